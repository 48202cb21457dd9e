"""ONNX export: a graph-level module (`func.func @main` of `onnx` ops) becomes a
ModelProto that onnxruntime can load.

Every op is written in its opset-21 form (the form the dialect holds), constants become
initializers (their data read from the weight table), and node names come back from the
ops' locations.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import AttributeProto, helper, numpy_helper
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DenseIntOrFPElementsAttr,
    DenseResourceAttr,
    ModuleOp,
    TensorType,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import IRDLOperation

from dialects.dtypes import numpy_to_onnx, numpy_dtype
from dialects.errors import StrataError
from compiler.onnx_import import TARGET_OPSET
from dialects.weights import WeightTable, attr_array
from dialects.onnx.base import float_attr_value, node_name, onnx_attribute
from dialects.onnx.elementwise import SwishOp
from dialects.onnx.tensor import ConstantOp
from dialects.strata.base import StrataOp
from dialects.strata.fused import activation_nodes

STRATA_DOMAIN = "strata"


class ExportError(StrataError):
    """The module cannot be written as ONNX (e.g. it is already lowered to loops)."""


def _attribute(name: str, attr: Attribute, weights: WeightTable | None) -> AttributeProto:
    if isinstance(attr, (DenseIntOrFPElementsAttr, DenseResourceAttr)):
        return helper.make_attribute(name, numpy_helper.from_array(attr_array(attr, weights)))
    try:
        return onnx_attribute(name, attr)
    except NotImplementedError:
        raise ExportError(f"cannot export attribute '{name}' of kind {attr}") from None


def _value_info(name: str, ty: Attribute) -> onnx.ValueInfoProto:
    assert isinstance(ty, TensorType)
    return helper.make_tensor_value_info(name, numpy_to_onnx(numpy_dtype(ty.element_type)), list(ty.get_shape()))


class _Names:
    """Unique ONNX value names for SSA values, from their name hints."""

    def __init__(self) -> None:
        self.names: dict[SSAValue, str] = {}
        self.used: set[str] = set()

    def fresh(self, hint: str | None) -> str:
        base = hint or "v"
        name, n = base, 0
        while name in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name

    def assign(self, value: SSAValue, name: str) -> None:
        self.names[value] = name
        self.used.add(name)

    def __getitem__(self, value: SSAValue) -> str:
        if value not in self.names:
            self.names[value] = self.fresh(value.name_hint)
        return self.names[value]


def _slot_names(op: IRDLOperation, slots, names: _Names) -> list[str]:
    """ONNX input/output names for an op's operand or result definitions, in order:
    "" for an absent optional, every value of a variadic; trailing "" dropped."""
    out: list[str] = []
    for slot, _ in slots:
        v = getattr(op, slot)
        if v is None:
            out.append("")
        elif isinstance(v, SSAValue):
            out.append(names[v])
        else:
            out.extend(names[x] for x in v)
    while out and out[-1] == "":
        out.pop()
    return out


class _LocalFunctions:
    """`strata` ops (and onnx.Swish, newer than opset 21) become calls of model-local
    functions in the `strata` domain, one
    function per distinct decomposition (op type, attributes, which optional operands
    are present): onnxruntime inlines them, and the graph keeps one node per fused op."""

    def __init__(self) -> None:
        self.protos: list[onnx.FunctionProto] = []
        self._by_body: dict[tuple[str, bytes], str] = {}
        self._per_type: dict[str, int] = {}

    def call(self, op: IRDLOperation, names: _Names) -> onnx.NodeProto:
        defs = op.get_irdl_definition()
        actual_in = _slot_names(op, defs.operands, names)
        actual_out = _slot_names(op, defs.results, names)
        formal_in = [f"x{i}" if n else "" for i, n in enumerate(actual_in)]
        formal_out = [f"y{i}" for i in range(len(actual_out))]
        if isinstance(op, SwishOp):
            alpha = float_attr_value(op.alpha)
            body = activation_nodes("Swish", [1.0 if alpha is None else alpha], "x0", "y0", numpy_dtype(op.y.type.element_type))
        else:
            try:
                body = op.decompose(formal_in + [""] * (len(defs.operands) - len(formal_in)), formal_out)
            except NotImplementedError as e:
                raise ExportError(str(e)) from None
        op_type = op.name.removeprefix("strata.").removeprefix("onnx.")
        key = (op_type, b"".join(n.SerializeToString(deterministic=True) for n in body))
        fname = self._by_body.get(key)
        if fname is None:
            k = self._per_type.get(op_type, 0)
            self._per_type[op_type] = k + 1
            fname = op_type if k == 0 else f"{op_type}_{k}"
            self._by_body[key] = fname
            self.protos.append(
                helper.make_function(
                    STRATA_DOMAIN,
                    fname,
                    [n for n in formal_in if n],
                    formal_out,
                    body,
                    [helper.make_opsetid("", TARGET_OPSET)],
                )
            )
        return helper.make_node(fname, [n for n in actual_in if n], actual_out, name=node_name(op), domain=STRATA_DOMAIN)


def export_model(module: ModuleOp, weights: WeightTable | None) -> onnx.ModelProto:
    """The graph function `@main` of `module` as an ONNX ModelProto (opset 21)."""
    mains = [op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == "main"]
    if len(mains) != 1 or "strata.entry" in mains[0].attributes:
        raise ExportError("only a graph-level module (func.func @main of onnx ops) can be exported to ONNX")
    fn = mains[0]
    block = fn.body.block
    ret = block.last_op
    assert isinstance(ret, func.ReturnOp)
    in_names = [a.data for a in fn.attributes["strata.input_names"].data] if "strata.input_names" in fn.attributes else [f"input{i}" for i in range(len(block.args))]
    out_names = [a.data for a in fn.attributes["strata.output_names"].data] if "strata.output_names" in fn.attributes else [f"output{i}" for i in range(len(ret.operands))]

    names = _Names()
    for arg, n in zip(block.args, in_names):
        names.assign(arg, n)
    # A returned op result takes the output's name; anything else gets an Identity.
    identities: list[tuple[SSAValue, str]] = []
    for value, n in zip(ret.operands, out_names):
        if value in names.names or n in names.used or not isinstance(value.owner, IRDLOperation):
            identities.append((value, n))
        else:
            names.assign(value, n)

    nodes: list[onnx.NodeProto] = []
    initializers: list[onnx.TensorProto] = []
    functions = _LocalFunctions()
    for op in block.ops:
        if isinstance(op, func.ReturnOp):
            continue
        if isinstance(op, (StrataOp, SwishOp)):
            # onnx.Swish (opset 24) has no opset-21 form: a local function like strata's ops
            nodes.append(functions.call(op, names))
            continue
        if not op.name.startswith("onnx."):
            raise ExportError(f"cannot export {op.name}: only onnx and strata dialect ops can be written as ONNX")
        if isinstance(op, ConstantOp):
            # np.asarray(order="C"), not np.ascontiguousarray: that one makes a rank-0
            # constant (a Gather's scalar index) rank 1, and the Gather then gains a dim.
            value = np.asarray(attr_array(op.value, weights), order="C")
            initializers.append(numpy_helper.from_array(value, names[op.output]))
            continue
        assert isinstance(op, IRDLOperation)
        defs = op.get_irdl_definition()
        inputs = _slot_names(op, defs.operands, names)
        outputs = _slot_names(op, defs.results, names)
        attrs = [
            _attribute(k, v, weights)
            for k, v in sorted(op.properties.items())
            if k not in ("operandSegmentSizes", "resultSegmentSizes")
        ]
        node = helper.make_node(op.name.removeprefix("onnx."), inputs, outputs, name=node_name(op))
        node.attribute.extend(attrs)
        nodes.append(node)
    for value, n in identities:
        nodes.append(helper.make_node("Identity", [names[value]], [n], name=f"output_{n}"))
        names.used.add(n)

    graph = helper.make_graph(
        nodes,
        fn.sym_name.data,
        [_value_info(n, a.type) for n, a in zip(in_names, block.args)],
        [_value_info(n, v.type) for n, v in zip(out_names, ret.operands)],
        initializers,
    )
    opsets = [helper.make_opsetid("", TARGET_OPSET)]
    if functions.protos:
        opsets.append(helper.make_opsetid(STRATA_DOMAIN, 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name="strata", functions=functions.protos)
    model.ir_version = 10
    return model
