"""ONNX import: a ModelProto becomes a `builtin.module` holding one `func.func @main` of
`onnx` dialect ops on statically shaped tensors.

Steps, each reusing onnx's own machinery where it exists:
1. load (path, bytes or proto) and check the model;
2. bind symbolic input dims from `input_shapes` (an unbound dim is an error naming it);
3. bring the default domain to opset 21 with `onnx.version_converter`, so the dialect
   holds every op in one form (attributes that became inputs are inputs);
4. shape inference with data propagation (`onnx.shape_inference`);
5. walk the nodes: values computable at compile time from constants and static shapes
   (shape subgraphs: Shape -> Gather -> Concat -> Reshape, ...) are evaluated with
   `onnx.reference` and become `onnx.Constant`; shapes onnx could not infer (dims its
   pass left symbolic that folding has resolved since) are found by running the op's
   own onnx shape inference again on the now static input types, then by evaluating the
   node on stand-ins; everything else becomes its `onnx` op.
Initializers and large constants become `dense_resource` handles into the WeightTable.
"""

from __future__ import annotations

import heapq
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import AttributeProto, ModelProto, NodeProto, TensorProto, helper, inliner, numpy_helper
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    NameLoc,
    NoneAttr,
    StringAttr,
    TensorType,
    f32,
    i64,
)
from xdsl.ir import Attribute, Block, Region, SSAValue
from xdsl.irdl import OptOperandDef, OptResultDef, VarOperandDef, VarResultDef
from xdsl.utils.exceptions import VerifyException

from compiler.function_expansion import expand_functions
from compiler.memory_limits import check_tensor, resolve_limit
from compiler.onnx_source import ModelSource, initializer_array, read_file, read_model
from dialects.dtypes import is_supported_onnx_type, onnx_to_numpy, onnx_to_xdsl
from dialects.errors import ModelError, NodeImportError, ShapeError, UnsupportedOpsError, UnsupportedOpsetError
from dialects.onnx import ONNX_OPS
from dialects.onnx.base import make_floats, make_ints
from dialects.onnx.tensor import ConstantOp
from dialects.weights import WeightTable, tensor_attr

TARGET_OPSET = 21
# Opsets of the default domain Strata imports: older ones are upgraded to TARGET_OPSET
# by onnx's version converter; newer ones up to the newest the installed onnx defines
# (its shape inference and reference evaluator must know them) are taken as they are.
MIN_OPSET = 1
# Values computed at import time are kept only up to this many elements, so folding
# shape arithmetic never turns an Expand or Tile into a large constant.
FOLD_LIMIT = 4096
# Ops never evaluated at import time (their result is not a function of their inputs).
_NEVER_FOLD = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"}
_DEFAULT_DOMAINS = ("", "ai.onnx")
# Ops whose (first) result has exactly their first input's type.
_SAME_TYPE_AS_INPUT = {
    "MeanVarianceNormalization", "LpNormalization", "LRN", "Softmax", "LogSoftmax", "Hardmax",
    "InstanceNormalization", "GroupNormalization", "Identity", "Relu", "Sigmoid", "Tanh",
}
# Operand positions whose values decide a result's shape: a node whose shape-deciding
# input is not known at compile time cannot get a static shape.
SHAPE_OPERANDS: dict[str, tuple[int, ...]] = {
    "Reshape": (1,), "Expand": (1,), "Tile": (1,), "ConstantOfShape": (0,), "Range": (0, 1, 2),
    "Slice": (1, 2, 3, 4), "Pad": (1, 3), "Resize": (1, 2, 3), "Squeeze": (1,), "Unsqueeze": (1,),
    "Split": (1,), "ReduceSum": (1,), "ReduceMean": (1,), "ReduceMax": (1,), "ReduceMin": (1,),
    "ReduceProd": (1,), "ReduceL2": (1,), "ReduceL1": (1,), "ReduceLogSum": (1,),
    "ReduceLogSumExp": (1,), "ReduceSumSquare": (1,), "TopK": (1,), "OneHot": (1,),
    "NonZero": (0,), "Compress": (1,), "Unique": (0,),
}

# Ops whose kernels read these shape-deciding operands at run time and refuse a value
# other than the one their static result type was built for (TopK's K, OneHot's depth,
# Reshape's shape): when such an operand is a run-time input, the result type may come
# from the model's declared type for that value (a graph output or value_info with a
# static shape), since a declaration the value contradicts is refused at run time.
RUN_TIME_CHECKED_OPERANDS: dict[str, tuple[int, ...]] = {
    "TopK": (1,), "OneHot": (1,), "Reshape": (1,), "Squeeze": (1,), "Unsqueeze": (1,), "Expand": (1,), "Tile": (1,),
    "ConstantOfShape": (0,),
}

ModelLike = str | os.PathLike | bytes | ModelProto


def load_model(model: ModelLike) -> ModelProto:
    """Reads a model from a path, bytes or proto; malformed input is a ModelError."""
    if isinstance(model, ModelProto):
        return model
    try:
        if isinstance(model, (bytes, bytearray)):
            proto = onnx.load_from_string(bytes(model))
        else:
            path = os.fspath(model)
            if not os.path.exists(path):
                raise ModelError(f"no such model file: {path}")
            proto = onnx.load(path)
    except ModelError:
        raise
    except Exception as e:  # protobuf raises DecodeError and friends
        raise ModelError(f"cannot read the ONNX model: {type(e).__name__}: {e}") from None
    return _checked(proto)


def _checked(proto: ModelProto) -> ModelProto:
    """A model read from a file or bytes: it has a graph; local functions are inlined."""
    if not proto.HasField("graph") or not proto.graph.node and not proto.graph.output:
        raise ModelError("the file holds no ONNX graph (empty or truncated model)")
    if proto.functions:
        # Model-local functions (how Strata's own optimized models carry `strata` ops)
        # are expanded into the graph; Strata's passes recompose what they fused.
        try:
            proto = inliner.inline_local_functions(proto)
        except Exception as e:
            raise ModelError(f"cannot inline the model's local functions: {type(e).__name__}: {e}") from None
    return proto


def default_opset(model: ModelProto) -> int:
    for imp in model.opset_import:
        if imp.domain in _DEFAULT_DOMAINS:
            return imp.version
    return TARGET_OPSET


# Deprecated ops that the opset upgrade replaces (old op -> (last opset it exists in, new op)).
_UPGRADED_OPS = {"Scatter": (10, "ScatterElements"), "Upsample": (9, "Resize")}


def unsupported_ops(model: ModelProto, supported: set[str] | None = None) -> dict[str, list[str]]:
    """op_type -> node names of every node Strata cannot import."""
    supported = set(ONNX_OPS) if supported is None else supported
    opset = default_opset(model)
    bad: dict[str, list[str]] = {}
    for i, node in enumerate(model.graph.node):
        key = node.op_type if node.domain in _DEFAULT_DOMAINS else f"{node.domain}.{node.op_type}"
        op_type = node.op_type
        if op_type in _UPGRADED_OPS and opset <= _UPGRADED_OPS[op_type][0]:
            op_type = _UPGRADED_OPS[op_type][1]
        if node.domain not in _DEFAULT_DOMAINS or op_type not in supported:
            bad.setdefault(key, []).append(node.name or f"#{i}")
    return bad


def supported_opsets() -> tuple[int, int]:
    """The (lowest, highest) opset of the default ONNX domain Strata imports."""
    return MIN_OPSET, onnx.defs.onnx_opset_version()


def check_opset(model: ModelProto) -> None:
    """Refuses (UnsupportedOpsetError) a default-domain opset outside supported_opsets()."""
    lo, hi = supported_opsets()
    for imp in model.opset_import:
        if imp.domain in _DEFAULT_DOMAINS and not lo <= imp.version <= hi:
            raise UnsupportedOpsetError(
                f"the model declares opset {imp.version} of the default ONNX domain; Strata supports opsets "
                f"{lo} to {hi} (the newest this onnx {onnx.__version__} defines; older ones are upgraded to {TARGET_OPSET})"
            )


def check_supported(model: ModelProto, supported: set[str] | None = None) -> None:
    """Refuses a model Strata cannot compile before any other work: an opset outside the
    supported range (UnsupportedOpsetError), then unsupported ops (UnsupportedOpsError,
    listing all of them)."""
    check_opset(model)
    bad = unsupported_ops(model, supported)
    if bad:
        raise UnsupportedOpsError(bad)


def check_graph(model: ModelProto) -> ModelProto:
    """Refuses (ModelError, naming the node and value) a graph whose structure is broken:
    a node input that nothing defines, a cycle, two producers of one name, a graph
    output nothing produces, an initializer that a graph input declares with another
    type or shape. Nodes out of topological order (which onnxruntime accepts) come back
    sorted; otherwise `model` itself comes back."""
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    defined = set(inits) | {vi.name for vi in graph.input}
    for vi in graph.input:
        t = inits.get(vi.name)
        if t is None or not vi.type.HasField("tensor_type"):
            continue
        tt = vi.type.tensor_type
        declared = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim] if tt.HasField("shape") else None
        if (tt.elem_type and tt.elem_type != t.data_type) or (
            declared is not None
            and (len(declared) != len(t.dims) or any(d is not None and d != v for d, v in zip(declared, t.dims)))
        ):
            raise ModelError(
                f"initializer '{t.name}' is {TensorProto.DataType.Name(t.data_type)}{list(t.dims)}, but graph input "
                f"'{vi.name}' declares {TensorProto.DataType.Name(tt.elem_type)}{declared}"
            )
    producer: dict[str, int] = {}
    for i, node in enumerate(graph.node):
        for out in node.output:
            if not out:
                continue
            if out in producer or out in defined:
                first = f"node '{graph.node[producer[out]].name or producer[out]}'" if out in producer else "a graph input"
                raise ModelError(
                    f"{node.op_type} node '{node.name or i}' writes '{out}', which {first} defines already "
                    "(every value must have one producer)"
                )
            producer[out] = i
    for i, node in enumerate(graph.node):
        for name in node.input:
            if name and name not in defined and name not in producer:
                raise ModelError(
                    f"{node.op_type} node '{node.name or i}' reads '{name}', which no node, graph input or "
                    "initializer defines"
                )
    for out in graph.output:
        if out.name not in defined and out.name not in producer:
            raise ModelError(f"graph output '{out.name}' is produced by no node and is not a graph input")
    # Kahn's algorithm over node indices, keeping the file's order among ready nodes.
    waiting = [sum(1 for n in set(node.input) if n in producer) for node in graph.node]
    users: dict[int, list[int]] = {}
    for i, node in enumerate(graph.node):
        for name in set(node.input):
            if name in producer:
                users.setdefault(producer[name], []).append(i)
    ready = [i for i, w in enumerate(waiting) if w == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for u in users.get(i, ()):
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(ready, u)
    if len(order) < len(graph.node):
        stuck = [graph.node[i] for i in range(len(graph.node)) if waiting[i] > 0]
        names = ", ".join(f"{n.op_type} '{n.name or '?'}'" for n in stuck[:6])
        raise ModelError(f"the graph has a cycle: {len(stuck)} node(s) wait on each other's outputs ({names})")
    if order == sorted(order):
        return model
    model = ModelProto.FromString(model.SerializeToString())
    nodes = [model.graph.node[i] for i in order]
    sorted_nodes = [onnx.NodeProto.FromString(n.SerializeToString()) for n in nodes]
    del model.graph.node[:]
    model.graph.node.extend(sorted_nodes)
    return model


def expand_and_check(model: ModelProto, supported: set[str] | None = None) -> ModelProto:
    """check_supported after the opset check and function expansion: ONNX function ops
    outside `supported` become the ops of their schema bodies
    (compiler/function_expansion.py) before unsupported ops are refused."""
    check_opset(model)
    model = expand_functions(model, set(ONNX_OPS) if supported is None else supported)
    check_supported(model, supported)
    return model


def load_source(model: "ModelLike | ModelSource") -> ModelSource:
    """Like `load_model`, with the large initializers read in place (compiler/onnx_source.py):
    a file is memory-mapped, bytes are viewed, a ModelProto is serialized once."""
    if isinstance(model, ModelSource):
        return model
    try:
        if isinstance(model, ModelProto):
            source = read_model(model.SerializeToString())
        elif isinstance(model, (bytes, bytearray, memoryview)):
            source = read_model(bytes(model) if isinstance(model, bytearray) else model)
        else:
            path = os.fspath(model)
            if not os.path.exists(path):
                raise ModelError(f"no such model file: {path}")
            source = read_file(path)
    except ModelError:
        raise
    except Exception as e:  # protobuf raises DecodeError and friends; the wire walk ValueError
        raise ModelError(f"cannot read the ONNX model: {type(e).__name__}: {e}") from None
    source.proto = _checked(source.proto)  # a graph; local functions inlined
    return source


def _initializer_names(model: ModelProto) -> set[str]:
    return {t.name for t in model.graph.initializer}


def bind_input_shapes(model: ModelProto, input_shapes: Mapping[str, Sequence[int]] | None) -> ModelProto:
    """A copy of `model` whose graph inputs have concrete shapes.

    Symbolic dims are taken from `input_shapes`; a name there that is not an input, a
    rank that differs, or a dim left unbound is a ShapeError naming the input.
    """
    model = ModelProto.FromString(model.SerializeToString()) if input_shapes else model
    input_shapes = dict(input_shapes or {})
    inits = _initializer_names(model)
    real_inputs = [vi for vi in model.graph.input if vi.name not in inits]
    names = {vi.name for vi in real_inputs}
    for name in input_shapes:
        if name not in names:
            raise ShapeError(f"input_shapes names '{name}', which is not a graph input (inputs: {sorted(names)})")
    for vi in real_inputs:
        tt = vi.type.tensor_type
        if not vi.type.HasField("tensor_type"):
            raise ShapeError(f"graph input '{vi.name}' is not a tensor")
        if not is_supported_onnx_type(tt.elem_type):
            raise ShapeError(
                f"graph input '{vi.name}' has element type {TensorProto.DataType.Name(tt.elem_type)}, "
                "which Strata does not support"
            )
        if vi.name in input_shapes:
            shape = list(input_shapes[vi.name])
            if tt.HasField("shape") and len(tt.shape.dim) != len(shape):
                raise ShapeError(
                    f"input_shapes gives '{vi.name}' rank {len(shape)}, but the model declares rank {len(tt.shape.dim)}"
                )
            for d, given in zip(tt.shape.dim, shape):
                if d.HasField("dim_value") and d.dim_value != given:
                    raise ShapeError(f"input_shapes gives '{vi.name}' shape {shape}, but dim {d.dim_value} is fixed")
            tt.ClearField("shape")
            for v in shape:
                tt.shape.dim.add().dim_value = int(v)
            continue
        if not tt.HasField("shape"):
            raise ShapeError(f"graph input '{vi.name}' has no shape; give it with input_shapes={{'{vi.name}': [...]}}")
        for i, d in enumerate(tt.shape.dim):
            if not d.HasField("dim_value"):
                sym = d.dim_param or "?"
                raise ShapeError(
                    f"graph input '{vi.name}' has symbolic dim {i} ('{sym}') that is not bound; "
                    f"pass input_shapes={{'{vi.name}': [...]}}"
                )
    return model


def prepare_model(model: ModelProto, input_shapes: Mapping[str, Sequence[int]] | None = None) -> ModelProto:
    """Binds shapes, upgrades to opset 21 and runs onnx shape inference."""
    model = bind_input_shapes(model, input_shapes)
    if default_opset(model) < TARGET_OPSET:
        try:
            model = onnx.version_converter.convert_version(model, TARGET_OPSET)
        except Exception as e:
            raise ModelError(
                f"cannot upgrade the model from opset {default_opset(model)} to {TARGET_OPSET}: {e}"
            ) from None
    # Graph output shapes are inferred, never taken from the declaration: a declared
    # shape that contradicts the ops (onnxruntime only warns) would give a wrong type.
    model = ModelProto.FromString(model.SerializeToString())
    for out in model.graph.output:
        if out.type.HasField("tensor_type"):
            out.type.tensor_type.ClearField("shape")
    try:
        model = onnx.shape_inference.infer_shapes(model, check_type=False, strict_mode=False, data_prop=True)
    except Exception as e:
        raise ShapeError(f"ONNX shape inference failed: {e}") from None
    return model


@dataclass
class _ValueInfo:
    shape: tuple[int, ...] | None
    elem_type: int | None


def _value_infos(model: ModelProto) -> dict[str, _ValueInfo]:
    out: dict[str, _ValueInfo] = {}
    # Graph inputs last: they are authoritative; an entry without a static shape never
    # replaces one with a shape.
    for vi in list(model.graph.output) + list(model.graph.value_info) + list(model.graph.input):
        if not vi.type.HasField("tensor_type"):
            continue
        tt = vi.type.tensor_type
        shape = None
        if tt.HasField("shape") and all(d.HasField("dim_value") for d in tt.shape.dim):
            shape = tuple(int(d.dim_value) for d in tt.shape.dim)
        if shape is None and vi.name in out:
            continue
        out[vi.name] = _ValueInfo(shape, tt.elem_type or out.get(vi.name, _ValueInfo(None, None)).elem_type)
    return out


def declared_types(model: ModelProto) -> dict[str, _ValueInfo]:
    """The static types the model itself declares for graph outputs and value_info
    (before prepare_model drops the outputs' shapes)."""
    out: dict[str, _ValueInfo] = {}
    for vi in list(model.graph.value_info) + list(model.graph.output):
        tt = vi.type.tensor_type if vi.type.HasField("tensor_type") else None
        if tt is None or not tt.HasField("shape") or not all(d.HasField("dim_value") for d in tt.shape.dim):
            continue
        out[vi.name] = _ValueInfo(tuple(int(d.dim_value) for d in tt.shape.dim), tt.elem_type or None)
    return out


def _attribute_to_property(attr: AttributeProto, weights: WeightTable, hint: str) -> Attribute:
    kind = attr.type
    if kind == AttributeProto.INT:
        return IntegerAttr(attr.i, i64)
    if kind == AttributeProto.FLOAT:
        return FloatAttr(attr.f, f32)
    if kind == AttributeProto.STRING:
        return StringAttr(attr.s.decode("utf-8", errors="replace"))
    if kind == AttributeProto.INTS:
        return make_ints(list(attr.ints))
    if kind == AttributeProto.FLOATS:
        return make_floats(list(attr.floats))
    if kind == AttributeProto.TENSOR:
        return tensor_attr(numpy_helper.to_array(attr.t), weights, hint)
    raise NodeImportError(f"attribute '{attr.name}' has kind {AttributeProto.AttributeType.Name(kind)}, which is not supported")


def _sanitize(name: str) -> str | None:
    """An SSA name hint from an ONNX value name (None when nothing usable is left)."""
    s = "".join(c if c.isalnum() or c in "_." else "_" for c in name)
    if not s:
        return None
    if not (s[0].isalpha() or s[0] == "_"):
        s = "v" + s
    return s


def _constant_value(node: NodeProto) -> np.ndarray | None:
    """A Constant node's value read from its attribute (None for the kinds left to
    onnx.reference: sparse, string and external-data values)."""
    if len(node.attribute) != 1:
        return None
    attr = node.attribute[0]
    if attr.name == "value" and attr.t.data_location != TensorProto.EXTERNAL and attr.t.data_type != TensorProto.STRING:
        return numpy_helper.to_array(attr.t)
    plain = {"value_float": (attr.f, np.float32), "value_floats": (list(attr.floats), np.float32),
             "value_int": (attr.i, np.int64), "value_ints": (list(attr.ints), np.int64)}
    if attr.name in plain:
        value, dtype = plain[attr.name]
        return np.array(value, dtype)
    return None


def _evaluate(node: NodeProto, inputs: list[np.ndarray | None], opset: int) -> list[np.ndarray]:
    """Runs one node with onnx.reference (the ONNX spec's own evaluator). Identity and
    Constant, the nodes exporters leave most (timm's ResNet-50: 47 Identity; GPT-2: 92
    Constant), are read directly: a ReferenceEvaluator per node cost about 1 ms each, and
    a model that folds nothing else never imports onnx.reference."""
    if node.op_type == "Identity" and len(inputs) == 1 and inputs[0] is not None and not node.domain:
        return [inputs[0]]
    if node.op_type == "Constant" and not node.domain and (value := _constant_value(node)) is not None:
        return [value]
    from onnx.reference import ReferenceEvaluator  # here: importing it costs ~1 s, and most models fold nothing

    names = [f"in{i}" if x is not None else "" for i, x in enumerate(inputs)]
    vis = [
        helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(x.dtype), x.shape)
        for n, x in zip(names, inputs)
        if n
    ]
    outs = [f"out{i}" if o else "" for i, o in enumerate(node.output)]
    clone = helper.make_node(node.op_type, names, outs, domain=node.domain)
    clone.attribute.extend(node.attribute)
    graph = helper.make_graph([clone], "fold", vis, [helper.make_value_info(o, onnx.TypeProto()) for o in outs if o])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    results = ReferenceEvaluator(model).run(None, {n: x for n, x in zip(names, inputs) if n})
    return [np.asarray(r) for r in results]


def _created_shape(node: NodeProto, inputs: list[np.ndarray | None], shapes: list[tuple[int, ...] | None]) -> tuple[int, ...] | None:
    """The result shape of an op that creates a tensor of a size given by its operands
    (ConstantOfShape, Expand, Tile, Range), from its known operands, without evaluating
    it: evaluating a huge ConstantOfShape at import time would allocate it. None when it
    does not follow (the op then is evaluated or inferred as any other)."""
    def known(i: int) -> np.ndarray | None:
        return inputs[i] if i < len(inputs) else None

    try:
        if node.op_type == "ConstantOfShape" and known(0) is not None:
            dims = tuple(int(d) for d in known(0).reshape(-1))
        elif node.op_type == "Expand" and known(1) is not None and shapes and shapes[0] is not None:
            target = tuple(int(d) for d in known(1).reshape(-1))
            if any(d < 0 for d in target):
                return None
            dims = tuple(np.broadcast_shapes(shapes[0], target))
        elif node.op_type == "Tile" and known(1) is not None and shapes and shapes[0] is not None:
            repeats = [int(r) for r in known(1).reshape(-1)]
            if len(repeats) != len(shapes[0]):
                return None
            dims = tuple(d * r for d, r in zip(shapes[0], repeats))
        elif node.op_type == "Range" and all(known(i) is not None for i in range(3)):
            start, limit, delta = (float(np.asarray(known(i)).reshape(-1)[0]) for i in range(3))
            if delta == 0 or not np.isfinite([start, limit, delta]).all():
                return None
            dims = (max(int(np.ceil((limit - start) / delta)), 0),)
        else:
            return None
    except (ValueError, TypeError, OverflowError):
        return None
    return dims if all(d >= 0 for d in dims) else None


def _created_elem_type(node: NodeProto, infos: dict[str, "_ValueInfo"], inputs: list[np.ndarray | None]) -> int | None:
    """The element type of a `_created_shape` op's result."""
    if node.op_type == "ConstantOfShape":
        value = next((a.t for a in node.attribute if a.name == "value"), None)
        return value.data_type if value is not None else TensorProto.FLOAT
    if inputs and inputs[0] is not None:
        return helper.np_dtype_to_tensor_dtype(inputs[0].dtype)
    info = infos.get(node.input[0]) if node.input else None
    return info.elem_type if info is not None else None


@dataclass
class _Importer:
    model: ModelProto
    weights: WeightTable
    opset: int
    limit: tuple[int, str]  # memory limit (bytes, how to name it): resolve_limit
    declared: dict[str, _ValueInfo] = field(default_factory=dict)  # the model's own static types (declared_types)
    infos: dict[str, _ValueInfo] = field(default_factory=dict)
    known: dict[str, np.ndarray] = field(default_factory=dict)  # compile-time values
    values: dict[str, SSAValue] = field(default_factory=dict)  # emitted SSA values
    block: Block | None = None

    def tensor_type(self, name: str, node: NodeProto | None = None) -> TensorType:
        """The static type of value `name` (a result of `node`, or a graph input), refused
        when it is larger than the memory limit."""
        info = self.infos.get(name)
        if info is None or info.shape is None or info.elem_type is None:
            where = f" (output of {node.op_type} node '{node.name}')" if node is not None else ""
            raise ShapeError(f"the shape of '{name}'{where} could not be determined statically")
        where = f" (output of {node.op_type} node '{node.name}')" if node is not None else " (a graph input)"
        if not is_supported_onnx_type(info.elem_type):
            raise NodeImportError(
                f"'{name}'{where} has element type {TensorProto.DataType.Name(info.elem_type)}, "
                "which Strata does not support"
            )
        if any(d < 0 for d in info.shape):
            raise ShapeError(f"'{name}'{where} has a negative dim: {list(info.shape)}")
        ty = TensorType(onnx_to_xdsl(info.elem_type), info.shape)
        what = f"{node.op_type} node '{node.name or name}' produces" if node is not None else f"graph input '{name}' is"
        check_tensor(ty, what, self.limit)
        return ty

    def value(self, name: str) -> SSAValue:
        """The SSA value for an ONNX name, materializing compile-time values as constants."""
        if name in self.values:
            return self.values[name]
        if name not in self.known:
            raise NodeImportError(f"value '{name}' is used before it is defined")
        array = self.known[name]
        const = ConstantOp(tensor_attr(array, self.weights, name))
        const.location = NameLoc(StringAttr(name), NoneAttr())
        hint = _sanitize(name)
        if hint:
            const.results[0].name_hint = hint
        assert self.block is not None
        self.block.add_op(const)
        self.values[name] = const.results[0]
        return const.results[0]

    def record(self, name: str, array: np.ndarray) -> None:
        self.known[name] = array
        self.infos[name] = _ValueInfo(tuple(array.shape), helper.np_dtype_to_tensor_dtype(array.dtype))

    def try_fold(self, node: NodeProto) -> bool:
        """Evaluates `node` now when its inputs are known and its outputs are small."""
        if node.op_type in _NEVER_FOLD:
            return False
        if node.op_type == "Constant":
            outs = _evaluate(node, [], self.opset)
            self.record(node.output[0], outs[0])
            return True
        inputs: list[np.ndarray | None] = []
        for name in node.input:
            if not name:
                inputs.append(None)
            elif name in self.known:
                inputs.append(self.known[name])
            elif node.op_type in ("Shape", "Size") and self.infos.get(name) and self.infos[name].shape is not None:
                return self._fold_shape_of(node, self.infos[name])
            else:
                return False
        self.infer_created(node, inputs)
        for out in node.output:
            info = self.infos.get(out)
            if info is not None and info.shape is not None and int(np.prod(info.shape, dtype=object)) > FOLD_LIMIT:
                return False
        try:
            results = _evaluate(node, inputs, self.opset)
        except Exception:
            return False
        if any(r.size > FOLD_LIMIT for r in results):
            return False
        for out, r in zip(node.output, results):
            if out:
                self.record(out, r)
        return True

    def infer_with_static_inputs(self, node: NodeProto, missing: list[str]) -> bool:
        """Runs the op's own onnx shape inference on this node alone, with the static
        input types (and small known values) the importer has found by now. onnx's pass
        over the whole graph leaves some dims symbolic that the importer resolves by
        folding (a HF BERT's Slice of its position-id buffer up to the sequence length,
        Shape -> Gather -> Unsqueeze), and then every consumer of such a value too (the
        GatherElements after it). True when every missing output got a static shape."""
        try:
            schema = onnx.defs.get_schema(node.op_type, self.opset, node.domain)
        except Exception:
            return False
        types: dict[str, onnx.TypeProto] = {}
        data: dict[str, TensorProto] = {}
        for name in node.input:
            if not name:
                continue
            info = self.infos.get(name)
            if info is None or info.shape is None or info.elem_type is None:
                return False
            types[name] = helper.make_tensor_type_proto(info.elem_type, list(info.shape))
            if name in self.known and self.known[name].size <= FOLD_LIMIT:
                data[name] = numpy_helper.from_array(self.known[name], name)
        try:
            inferred = onnx.shape_inference.infer_node_outputs(
                schema, node, types, data, opset_imports=[helper.make_opsetid("", self.opset)]
            )
        except Exception:
            return False
        found: dict[str, _ValueInfo] = {}
        for out in missing:
            tp = inferred.get(out)
            if tp is None or not tp.HasField("tensor_type") or not tp.tensor_type.HasField("shape"):
                return False
            dims = tp.tensor_type.shape.dim
            if not all(d.HasField("dim_value") for d in dims):
                return False
            found[out] = _ValueInfo(tuple(int(d.dim_value) for d in dims), tp.tensor_type.elem_type or None)
        if any(v.elem_type is None for v in found.values()):
            return False
        self.infos.update(found)
        return True

    def infer_created(self, node: NodeProto, inputs: list[np.ndarray | None]) -> bool:
        """Types the result of a size-creating op whose shape onnx did not infer from
        its operands, without evaluating it (`_created_shape`); True when it did."""
        out = node.output[0] if node.output else ""
        if not out or (out in self.infos and self.infos[out].shape is not None):
            return False
        shapes = [self.infos[n].shape if n in self.infos else None for n in node.input]
        dims = _created_shape(node, inputs, shapes)
        elem = _created_elem_type(node, self.infos, inputs) if dims is not None else None
        if dims is None or elem is None:
            return False
        self.infos[out] = _ValueInfo(dims, elem)
        return True

    def _fold_shape_of(self, node: NodeProto, info: _ValueInfo) -> bool:
        shape = np.array(info.shape, dtype=np.int64)
        if node.op_type == "Size":
            self.record(node.output[0], np.array(int(np.prod(shape)), dtype=np.int64))
            return True
        attrs = {a.name: a.i for a in node.attribute}
        rank = len(shape)
        start = attrs.get("start", 0)
        end = attrs.get("end", rank)
        start = min(max(start + rank if start < 0 else start, 0), rank)
        end = min(max(end + rank if end < 0 else end, 0), rank)
        self.record(node.output[0], shape[start:end])
        return True

    def check_operand_values(self, node: NodeProto) -> None:
        """Refuses shape-deciding operand values the ONNX spec forbids and that numpy
        (which onnx.reference and the stand-in evaluation use) would quietly take: a
        Reshape to [-2, 3] or with two -1s, Split sizes that do not sum to the dim,
        negative Tile repeats or Expand dims."""
        def known(i: int) -> np.ndarray | None:
            return self.known.get(node.input[i]) if i < len(node.input) and node.input[i] else None

        label = f"{node.op_type} node '{node.name}'"
        if node.op_type == "Reshape" and known(1) is not None:
            shape = [int(v) for v in known(1).reshape(-1)]
            if any(v < -1 for v in shape) or shape.count(-1) > 1:
                raise NodeImportError(f"{label}: shape {shape} may hold one -1 and no other negative value")
        elif node.op_type == "Split" and known(1) is not None:
            sizes = [int(v) for v in known(1).reshape(-1)]
            info = self.infos.get(node.input[0])
            axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
            if any(v < 0 for v in sizes):
                raise NodeImportError(f"{label}: split sizes {sizes} must not be negative")
            if info is not None and info.shape is not None and -len(info.shape) <= axis < len(info.shape):
                dim = info.shape[axis]
                if sum(sizes) != dim:
                    raise NodeImportError(f"{label}: split sizes {sizes} sum to {sum(sizes)}, but axis {axis} has {dim}")
        elif node.op_type in ("Tile", "Expand") and known(1) is not None:
            values = [int(v) for v in known(1).reshape(-1)]
            if any(v < 0 for v in values):
                what = "repeats" if node.op_type == "Tile" else "shape"
                raise NodeImportError(f"{label}: {what} {values} must not be negative")

    def take_declared(self, node: NodeProto, missing: list[str]) -> bool:
        """Types the results of a RUN_TIME_CHECKED_OPERANDS op whose checked operand is
        a run-time value from the model's declared static types; True when it did."""
        positions = RUN_TIME_CHECKED_OPERANDS.get(node.op_type, ())
        runtime = [p for p in positions if p < len(node.input) and node.input[p] and node.input[p] not in self.known]
        if not runtime or not all(o in self.declared for o in missing):
            return False
        for o in missing:
            elem = self.infos[o].elem_type if o in self.infos and self.infos[o].elem_type else self.declared[o].elem_type
            self.infos[o] = _ValueInfo(self.declared[o].shape, elem)
        return True

    def infer_missing(self, node: NodeProto) -> None:
        """Finds output shapes onnx could not infer: the result of a shape-preserving op
        has its input's type; anything else is found by evaluating the node on stand-ins."""
        missing = [o for o in node.output if o and (o not in self.infos or self.infos[o].shape is None)]
        if not missing:
            return
        if node.op_type in _SAME_TYPE_AS_INPUT and node.input and node.input[0] in self.infos:
            self.infos[node.output[0]] = self.infos[node.input[0]]
            return
        if self.infer_created(node, [self.known.get(n) if n else None for n in node.input]):
            return
        if self.infer_with_static_inputs(node, missing):
            return
        if self.take_declared(node, missing):
            return
        for pos in SHAPE_OPERANDS.get(node.op_type, ()):
            if pos < len(node.input) and node.input[pos] and node.input[pos] not in self.known:
                raise ShapeError(
                    f"the output shape of {node.op_type} node '{node.name}' depends on the run-time value of "
                    f"'{node.input[pos]}'; Strata compiles static shapes (make it a constant or an initializer)"
                )
        inputs: list[np.ndarray | None] = []
        for name in node.input:
            if not name:
                inputs.append(None)
            elif name in self.known:
                inputs.append(self.known[name])
            else:
                self.tensor_type(name)
                info = self.infos[name]
                if int(np.prod(info.shape)) > 1 << 22:
                    raise ShapeError(
                        f"the output shape of {node.op_type} node '{node.name}' could not be inferred "
                        "(its inputs are too large to evaluate at compile time)"
                    )
                inputs.append(np.zeros(info.shape, dtype=onnx_to_numpy(info.elem_type)))
        try:
            results = _evaluate(node, inputs, self.opset)
        except Exception as e:
            raise ShapeError(
                f"the output shape of {node.op_type} node '{node.name}' could not be inferred: {e}"
            ) from None
        for out, r in zip(node.output, results):
            if out:
                self.infos[out] = _ValueInfo(tuple(r.shape), helper.np_dtype_to_tensor_dtype(r.dtype))

    def correct_pool_shape(self, node: NodeProto) -> None:
        """onnx shape inference keeps a ceil_mode pooling window that starts inside the
        end padding; the ONNX spec and onnxruntime drop it. Use the spec's size."""
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type not in ("MaxPool", "AveragePool") or not attrs.get("ceil_mode"):
            return
        if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            return
        x = self.infos.get(node.input[0])
        if x is None or x.shape is None:
            return
        spatial = x.shape[2:]
        kernel = list(attrs["kernel_shape"])
        n = len(spatial)
        strides = list(attrs.get("strides", [1] * n))
        dilations = list(attrs.get("dilations", [1] * n))
        pads = list(attrs.get("pads", [0] * (2 * n)))
        dims = []
        for i, size in enumerate(spatial):
            window = (kernel[i] - 1) * dilations[i] + 1
            span = size + pads[i] + pads[i + n] - window
            out = -(-span // strides[i]) + 1
            if (out - 1) * strides[i] >= size + pads[i]:
                out -= 1
            dims.append(out)
        shape = (*x.shape[:2], *dims)
        for out in node.output:
            if out and out in self.infos:
                self.infos[out] = _ValueInfo(shape, self.infos[out].elem_type)

    def emit(self, node: NodeProto, index: int) -> None:
        op_cls = ONNX_OPS[node.op_type]
        label = node.name or f"{node.op_type}_{index}"
        operands: list[SSAValue | list[SSAValue]] = []
        defs = op_cls.get_irdl_definition()
        # Positional mapping: ONNX inputs in order; optional inputs may be absent ("").
        names = list(node.input)
        pos = 0
        for _, odef in defs.operands:
            if isinstance(odef, VarOperandDef) and not isinstance(odef, OptOperandDef):
                operands.append([self.value(n) for n in names[pos:] if n])
                pos = len(names)
            elif isinstance(odef, OptOperandDef):
                n = names[pos] if pos < len(names) else ""
                operands.append([self.value(n)] if n else [])
                pos += 1
            else:
                if pos >= len(names) or not names[pos]:
                    raise NodeImportError(f"{node.op_type} node '{label}': required input #{pos} is missing")
                operands.append(self.value(names[pos]))
                pos += 1
        if pos < len(names) and any(names[pos:]):
            raise NodeImportError(f"{node.op_type} node '{label}' has {len(names)} inputs; onnx.{node.op_type} takes {pos}")

        results: list[Attribute | list[Attribute]] = []
        outs = list(node.output)
        pos = 0
        result_names: list[str] = []
        for _, rdef in defs.results:
            if isinstance(rdef, VarResultDef) and not isinstance(rdef, OptResultDef):
                group = [o for o in outs[pos:] if o]
                results.append([self.tensor_type(o, node) for o in group])
                result_names += group
                pos = len(outs)
            elif isinstance(rdef, OptResultDef):
                o = outs[pos] if pos < len(outs) else ""
                results.append([self.tensor_type(o, node)] if o else [])
                result_names += [o] if o else []
                pos += 1
            else:
                if pos >= len(outs) or not outs[pos]:
                    raise NodeImportError(f"{node.op_type} node '{label}': required output #{pos} is missing")
                results.append(self.tensor_type(outs[pos], node))
                result_names.append(outs[pos])
                pos += 1

        props = {}
        for attr in node.attribute:
            if attr.name not in defs.properties:
                raise NodeImportError(
                    f"{node.op_type} node '{label}': attribute '{attr.name}' is not supported by onnx.{node.op_type}"
                )
            props[attr.name] = _attribute_to_property(attr, self.weights, f"{label}.{attr.name}")
        try:
            op = op_cls.build(operands=operands, result_types=results, properties=props)
        except Exception as e:
            raise NodeImportError(f"{node.op_type} node '{label}': {e}") from None
        op.location = NameLoc(StringAttr(label), NoneAttr())
        try:
            op.verify()
        except VerifyException as e:
            raise NodeImportError(f"{node.op_type} node '{label}': {e}") from None
        assert self.block is not None
        self.block.add_op(op)
        for name, res in zip(result_names, op.results):
            self.values[name] = res
            hint = _sanitize(name)
            if hint:
                res.name_hint = hint


def import_model(
    model: ModelLike,
    weights: WeightTable,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    supported: set[str] | None = None,
    max_memory_bytes: int | None = None,
) -> ModuleOp:
    """ONNX model -> `builtin.module { func.func @main(...) { onnx ops } }`.

    Raises UnsupportedOpsetError / UnsupportedOpsError (listing every unsupported op
    type with its nodes) before any other work, MemoryLimitError for a graph input or
    node result larger than `max_memory_bytes` (default: physical memory) as soon as
    its type is known, and ShapeError / NodeImportError naming the node otherwise.
    """
    limit = resolve_limit(max_memory_bytes)
    source = load_source(model)
    proto = expand_and_check(source.proto, supported)
    proto = check_graph(proto)
    declared = declared_types(proto)
    proto = prepare_model(proto, input_shapes)
    graph = proto.graph
    imp = _Importer(proto, weights, max(default_opset(proto), TARGET_OPSET), limit, declared, _value_infos(proto))

    for init in graph.initializer:
        try:
            imp.known[init.name] = initializer_array(source, init)  # a view, not a copy
        except Exception as e:  # data shorter or longer than its dims say
            raise ModelError(
                f"initializer '{init.name}' ({TensorProto.DataType.Name(init.data_type)}{list(init.dims)}) "
                f"cannot be read: {e}"
            ) from None
        arr = imp.known[init.name]
        imp.infos[init.name] = _ValueInfo(tuple(arr.shape), init.data_type)

    inits = _initializer_names(proto)
    inputs = [vi for vi in graph.input if vi.name not in inits]
    arg_types = [imp.tensor_type(vi.name, None) for vi in inputs]
    imp.block = Block(arg_types=arg_types)
    for vi, arg in zip(inputs, imp.block.args):
        imp.values[vi.name] = arg
        hint = _sanitize(vi.name)
        if hint:
            arg.name_hint = hint

    for index, node in enumerate(graph.node):
        imp.check_operand_values(node)
        if imp.try_fold(node):
            continue
        imp.infer_missing(node)
        imp.correct_pool_shape(node)
        imp.emit(node, index)

    results = [imp.value(o.name) for o in graph.output]
    imp.block.add_op(func.ReturnOp(*results))
    fn = func.FuncOp(
        "main",
        (arg_types, [r.type for r in results]),
        Region(imp.block),
    )
    fn.attributes["strata.input_names"] = ArrayAttr([StringAttr(vi.name) for vi in inputs])
    fn.attributes["strata.output_names"] = ArrayAttr([StringAttr(o.name) for o in graph.output])
    module = ModuleOp([fn])
    return module
