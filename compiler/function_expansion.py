"""Expands ONNX function ops Strata has no kernel for into the ops of their definition.

Many ONNX operators (Attention, NegativeLogLikelihoodLoss, RotaryEmbedding,
CenterCropPad, the window functions, ...) are defined in the ONNX schema as a function: a
body of simpler ONNX ops, fixed or built from the node's attributes and input types (a
"context-dependent" function). onnx's own expanded test cases are exactly those bodies.
A node of such an op that Strata cannot compile directly is replaced here by its body,
taken from the installed onnx's schema at the model's opset, so the rest of the pipeline
sees only ops it knows. Ops Strata compiles itself (LayerNormalization, Gelu, ...) are
kept: their kernels beat their bodies.

How: the body becomes a model-local function (a private domain, one function per
expanded node, since a context-dependent body depends on the node), the node is pointed
at it, and `onnx.inliner.inline_local_functions` does the renaming and attribute
substitution. Attributes the node leaves out get the schema's defaults first (the body
refers to them by name). Bodies may use function ops themselves, so this repeats.
"""

from __future__ import annotations

import onnx
from onnx import FunctionProto, ModelProto, NodeProto, helper, inliner

_DOMAIN = "strata.expanded"
_DEFAULT_DOMAINS = ("", "ai.onnx")
_MAX_ROUNDS = 4


def _opset(model: ModelProto, domain: str) -> int | None:
    for imp in model.opset_import:
        if imp.domain == domain or (domain in _DEFAULT_DOMAINS and imp.domain in _DEFAULT_DOMAINS):
            return imp.version
    return None


def _schema(node: NodeProto, opset: int):
    try:
        return onnx.defs.get_schema(node.op_type, opset, node.domain)
    except Exception:  # unknown op or domain: not ours to expand
        return None


def _expandable(node: NodeProto, opset: int, supported: set[str]) -> bool:
    if node.domain not in _DEFAULT_DOMAINS or node.op_type in supported:
        return False
    schema = _schema(node, opset)
    return schema is not None and (schema.has_function or schema.has_context_dependent_function)


def _value_types(model: ModelProto) -> dict[str, onnx.TypeProto]:
    """The types shape inference finds (element types are what context-dependent bodies
    need; shapes may stay symbolic)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, check_type=False, strict_mode=False)
    except Exception:
        inferred = model
    g = inferred.graph
    types = {vi.name: vi.type for vi in list(g.input) + list(g.value_info) + list(g.output)}
    for t in g.initializer:
        types[t.name] = helper.make_tensor_type_proto(t.data_type, list(t.dims))
    return types


def _with_defaults(node: NodeProto, schema) -> NodeProto:
    node = NodeProto.FromString(node.SerializeToString())
    present = {a.name for a in node.attribute}
    for name, attr in schema.attributes.items():
        default = attr.default_value
        if name not in present and default.type != onnx.AttributeProto.UNDEFINED:
            copy = onnx.AttributeProto.FromString(default.SerializeToString())
            copy.name = name
            node.attribute.append(copy)
    return node


def _body(node: NodeProto, schema, opset: int, types: dict[str, onnx.TypeProto]) -> FunctionProto | None:
    """The schema's function body for `node` at `opset`, or None."""
    fixed = [v for v in schema.function_opset_versions if v <= opset]
    dependent = [v for v in schema.context_dependent_function_opset_versions if v <= opset]
    try:
        if dependent and (not fixed or max(dependent) >= max(fixed)):
            input_types = []
            for name in node.input:
                if name and name not in types:
                    return None
                input_types.append(types[name].SerializeToString() if name else onnx.TypeProto().SerializeToString())
            data = schema.get_context_dependent_function_with_opset_version(
                max(dependent), node.SerializeToString(), input_types
            )
        elif fixed:
            data = schema.get_function_with_opset_version(max(fixed))
        else:
            return None
    except Exception:
        return None
    if not data:
        return None
    body = FunctionProto.FromString(data)
    return body if body.node else None


def expand_functions(model: ModelProto, supported: set[str]) -> ModelProto:
    """`model` with every default-domain node whose op is not in `supported` and has a
    function body in the schema replaced by that body (recursively); `model` itself when
    there is none."""
    for _ in range(_MAX_ROUNDS):
        opset = _opset(model, "")
        if opset is None:
            return model
        todo = [i for i, n in enumerate(model.graph.node) if _expandable(n, opset, supported)]
        if not todo:
            return model
        types = _value_types(model)
        expanded = ModelProto.FromString(model.SerializeToString())
        functions = []
        for i in todo:
            node = expanded.graph.node[i]
            schema = _schema(node, opset)
            node_with_defaults = _with_defaults(node, schema)
            body = _body(node_with_defaults, schema, opset, types)
            if body is None:
                continue
            fn = FunctionProto.FromString(body.SerializeToString())
            fn.domain = _DOMAIN
            fn.name = f"{node.op_type}_{i}"
            # The body's default-domain ops at the model's opset: onnx's inliner leaves a
            # function whose opset differs from the model's uninlined (HannWindow's body
            # is opset 17; in an opset-18 model it stayed a call and was refused).
            others = [o for o in fn.opset_import if o.domain not in _DEFAULT_DOMAINS]
            del fn.opset_import[:]
            fn.opset_import.extend([*others, helper.make_opsetid("", opset)])
            functions.append(fn)
            node.CopyFrom(node_with_defaults)
            node.domain = _DOMAIN
            node.op_type = fn.name
        if not functions:
            return model
        expanded.functions.extend(functions)
        if _opset(expanded, _DOMAIN) is None:
            expanded.opset_import.append(helper.make_opsetid(_DOMAIN, 1))
        try:
            inlined = inliner.inline_local_functions(expanded)
        except Exception:  # a body the inliner cannot take: the node stays, and is refused as unsupported
            return model
        # The private domain is gone with its functions.
        keep = [o for o in inlined.opset_import if o.domain != _DOMAIN]
        del inlined.opset_import[:]
        inlined.opset_import.extend(keep)
        model = inlined
    return model
