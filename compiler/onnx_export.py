"""ONNX export: a graph-level module (`func.func @main` of `onnx` ops) becomes a
ModelProto that onnxruntime can load.

Every op is written in its opset-21 form (the form the dialect holds), constants become
initializers (their data read from the weight table), and node names come back from the
ops' locations. A `strata` op (and onnx.Swish, newer than opset 21) becomes a call of a
model-local function whose body is its decomposition into standard nodes
(`DECOMPOSITIONS`, keyed by op class; the activation epilogues of the fused ops are
written from the table of dialects/strata/activation.py). The dialects hold no export
code: they only say what each op computes.
"""

from __future__ import annotations

from collections.abc import Callable

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
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import IRDLOperation

from dialects.dtypes import numpy_to_onnx, numpy_dtype
from dialects.errors import StrataError
from compiler.onnx_import import TARGET_OPSET
from dialects.weights import WeightTable, attr_array
from dialects.onnx.base import float_attr_value, int_attr_value, ints_value, node_name, onnx_attribute, rank_of, shape_of
from dialects.onnx.elementwise import SwishOp
from dialects.onnx.tensor import ConstantOp
from dialects.strata.activation import ACTIVATIONS, Activation, activation_of
from dialects.strata.base import StrataOp
from dialects.strata.composite import AttentionOp, RMSNormalizationOp, ScaledMaskedSoftmaxOp
from dialects.strata.fused import FusedConvOp, FusedGemmOp, FusedMatMulOp
from dialects.strata.kernel_group import FusedKernelOp
from dialects.strata.layout import (
    AveragePoolNCHWcOp,
    ChannelShuffleNCHWcOp,
    ConvNCHWcOp,
    DepthwiseConvNCHWcOp,
    GlobalAveragePoolNCHWcOp,
    MaxPoolNCHWcOp,
    ReorderFromBlockedOp,
    ReorderToBlockedOp,
    blocks,
)

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


def _slot_names(op: IRDLOperation, slots, name_of: Callable[[SSAValue], str]) -> list[str]:
    """ONNX input/output names for an op's operand or result definitions, in order:
    "" for an absent optional, every value of a variadic; trailing "" dropped."""
    out: list[str] = []
    for slot, _ in slots:
        v = getattr(op, slot)
        if v is None:
            out.append("")
        elif isinstance(v, SSAValue):
            out.append(name_of(v))
        else:
            out.extend(name_of(x) for x in v)
    while out and out[-1] == "":
        out.pop()
    return out


# ---- decompositions: strata ops (and onnx.Swish) as standard opset-21 nodes ----------
#
# A decomposition gets one input name per operand definition ("" for an absent optional
# operand) and one output name per result, and returns the nodes that compute the op.
# Intermediate names start with "_t" so they cannot clash with the formal names. Every
# decomposition is exact: the same arithmetic the op stands for.

Decomposition = Callable[[Operation, list[str], list[str]], list[onnx.NodeProto]]

_EPILOGUE_PROPS = ("activation", "activation_params", "operandSegmentSizes")


def _dtype(op: Operation) -> np.dtype:
    return np.dtype(numpy_dtype(op.results[0].type.element_type))  # type: ignore[attr-defined]


def _const_node(name: str, array: np.ndarray) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(array), name))


def _scalar_constant(value: float, dtype: np.dtype, output: str) -> onnx.NodeProto:
    return _const_node(output, np.array(value, dtype))


def _swish_nodes(params: list[float], x: str, y: str, dtype: np.dtype) -> list[onnx.NodeProto]:
    # Swish is an ONNX op only from opset 24 on; the exported model is opset 21.
    nodes, arg = [], x
    if params[0] != 1.0:
        nodes += [_scalar_constant(params[0], dtype, "_t_swish_alpha"),
                  helper.make_node("Mul", [x, "_t_swish_alpha"], ["_t_swish_ax"])]
        arg = "_t_swish_ax"
    return nodes + [helper.make_node("Sigmoid", [arg], ["_t_swish_s"]), helper.make_node("Mul", [x, "_t_swish_s"], [y])]


# Activations whose ONNX op is newer than TARGET_OPSET: their opset-21 form.
NEWER_ACTIVATION_NODES: dict[Activation, Callable[[list[float], str, str, np.dtype], list[onnx.NodeProto]]] = {
    Activation.SWISH: _swish_nodes,
}


def activation_nodes(act: Activation, params: list[float], x: str, y: str, dtype: np.dtype) -> list[onnx.NodeProto]:
    """Standard ONNX nodes computing y = act(x) (an Identity when none): the table's ONNX
    op, its selector attributes, attribute parameters as attributes and operand
    parameters (Clip's bounds) as Constant inputs."""
    if act is Activation.NONE:
        return [helper.make_node("Identity", [x], [y])]
    info = ACTIVATIONS[act]
    if info.since_opset > TARGET_OPSET:
        return NEWER_ACTIVATION_NODES[act](params, x, y, dtype)
    nodes: list[onnx.NodeProto] = []
    inputs = [x]
    attrs: dict[str, object] = {s.name: s.value for s in info.selectors}
    for param, value in zip(info.params, params, strict=True):
        if param.operand:
            name = f"_t_{info.onnx_op.lower()}_{param.name}"
            nodes.append(_scalar_constant(value, dtype, name))
            inputs.append(name)
        else:
            attrs[param.name] = value
    return nodes + [helper.make_node(info.onnx_op, inputs, [y], **attrs)]


def _anchor_node(op: Operation, op_type: str, inputs: list[str], output: str) -> onnx.NodeProto:
    """The Conv/Gemm node of a fused op: its properties without the epilogue ones."""
    node = helper.make_node(op_type, inputs, [output])
    node.attribute.extend(
        onnx_attribute(k, v) for k, v in sorted(op.properties.items()) if k not in _EPILOGUE_PROPS
    )
    return node


def _fused_conv(op: FusedConvOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    x, w, b, z = inputs
    act, params = activation_of(op)
    nodes = [_anchor_node(op, "Conv", [x, w] + ([b] if b else []), "_t_conv")]
    last = "_t_conv"
    if z:
        nodes.append(helper.make_node("Add", [last, z], ["_t_sum"]))
        last = "_t_sum"
    return nodes + activation_nodes(act, params, last, outputs[0], _dtype(op))


def _fused_gemm(op: FusedGemmOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    a, b, c = inputs
    act, params = activation_of(op)
    nodes = [_anchor_node(op, "Gemm", [a, b] + ([c] if c else []), "_t_gemm")]
    return nodes + activation_nodes(act, params, "_t_gemm", outputs[0], _dtype(op))


def _fused_matmul(op: FusedMatMulOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    a, b, bias = inputs
    act, params = activation_of(op)
    dtype = _dtype(op)
    nodes = [helper.make_node("MatMul", [a, b], ["_t_mm"])]
    last = "_t_mm"
    alpha_value = float_attr_value(op.alpha)
    if alpha_value is not None and alpha_value != 1.0:
        nodes += [
            _scalar_constant(alpha_value, dtype, "_t_alpha"),
            helper.make_node("Mul", [last, "_t_alpha"], ["_t_scaled"]),
        ]
        last = "_t_scaled"
    if bias:
        nodes.append(helper.make_node("Add", [last, bias], ["_t_biased"]))
        last = "_t_biased"
    return nodes + activation_nodes(act, params, last, outputs[0], dtype)


def _swish(op: SwishOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    alpha = float_attr_value(op.alpha)
    return activation_nodes(Activation.SWISH, [1.0 if alpha is None else alpha], inputs[0], outputs[0], _dtype(op))


# -- composite blocks: the standard chains they replaced (scale and epsilon as Constants)


def _rms_normalization(op: RMSNormalizationOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    x, scale = inputs
    rank = rank_of(op, op.x, "x")
    axes = list(range(op.normalized_axis(), rank))
    eps = np.array(float_attr_value(op.epsilon), _dtype(op))
    return [
        _const_node("_t_axes", np.array(axes, np.int64)),
        _const_node("_t_eps", eps),
        helper.make_node("Mul", [x, x], ["_t_sq"]),
        helper.make_node("ReduceMean", ["_t_sq", "_t_axes"], ["_t_ms"], keepdims=1),
        helper.make_node("Add", ["_t_ms", "_t_eps"], ["_t_mse"]),
        helper.make_node("Sqrt", ["_t_mse"], ["_t_rms"]),
        helper.make_node("Div", [x, "_t_rms"], ["_t_n"]),
        helper.make_node("Mul", ["_t_n", scale], [outputs[0]]),
    ]


def _scaled_masked_softmax(op: ScaledMaskedSoftmaxOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    x, mask = inputs[0], inputs[1] if len(inputs) > 1 else ""
    scale = np.array(float_attr_value(op.scale), _dtype(op))
    nodes = [_const_node("_t_scale", scale), helper.make_node("Mul", [x, "_t_scale"], ["_t_scaled"])]
    s = "_t_scaled"
    if mask:
        nodes.append(helper.make_node("Add", [s, mask], ["_t_masked"]))
        s = "_t_masked"
    nodes.append(helper.make_node("Softmax", [s], [outputs[0]], axis=op.normalized_axis()))
    return nodes


def _attention(op: AttentionOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    q, k_t, v = inputs[:3]
    mask = inputs[3] if len(inputs) > 3 else ""
    scale = np.array(float_attr_value(op.scale), _dtype(op))
    nodes = [
        _const_node("_t_scale", scale),
        helper.make_node("MatMul", [q, k_t], ["_t_scores"]),
        helper.make_node("Mul", ["_t_scores", "_t_scale"], ["_t_scaled"]),
    ]
    s = "_t_scaled"
    if mask:
        nodes.append(helper.make_node("Add", [s, mask], ["_t_masked"]))
        s = "_t_masked"
    nodes.append(helper.make_node("Softmax", [s], ["_t_probs"], axis=-1))
    nodes.append(helper.make_node("MatMul", ["_t_probs", v], [outputs[0]]))
    return nodes


# -- blocked-layout ops: the same arithmetic on the padded channels, then the padding
#    is sliced off (dialects/strata/layout.py describes the layout)


class _Nodes:
    """Builds a node list with fresh "_t" intermediate names."""

    def __init__(self, prefix: str):
        self.nodes: list[onnx.NodeProto] = []
        self.prefix = prefix
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        return f"_t{self.prefix}{self.count}"

    def add(self, op_type: str, inputs: list[str], output: str | None = None, **attrs) -> str:
        out = output or self.fresh()
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def const(self, values: list[int]) -> str:
        out = self.fresh()
        self.nodes.append(
            helper.make_node("Constant", [], [out], value=numpy_helper.from_array(np.array(values, np.int64)))
        )
        return out


def _to_blocked(nodes: _Nodes, x: str, shape: tuple[int, ...], block: int, out: str | None = None) -> str:
    """NCHW (any spatial rank) -> blocked by `block`, padding channels with zeros."""
    n, c, spatial = shape[0], shape[1], list(shape[2:])
    cb = blocks(c, block)
    if cb * block != c:
        pads = [0] * (2 * len(shape))
        pads[len(shape) + 1] = cb * block - c
        x = nodes.add("Pad", [x, nodes.const(pads)])
    x = nodes.add("Reshape", [x, nodes.const([n, cb, block, *spatial])])
    rank = len(shape) + 1
    return nodes.add("Transpose", [x], out, perm=[0, 1, *range(3, rank), 2])


def _from_blocked(nodes: _Nodes, x: str, shape: tuple[int, ...], channels: int | None, out: str | None = None) -> str:
    """Blocked [N, Cb, d..., block] -> NCHW with `channels` channels (None: keep padding)."""
    n, cb, spatial, block = shape[0], shape[1], list(shape[2:-1]), shape[-1]
    rank = len(shape)
    keep = channels is None or channels == cb * block
    x = nodes.add("Transpose", [x], perm=[0, 1, rank - 1, *range(2, rank - 1)])
    x = nodes.add("Reshape", [x, nodes.const([n, cb * block, *spatial])], out if keep else None)
    if keep:
        return x
    return nodes.add("Slice", [x, nodes.const([0]), nodes.const([channels]), nodes.const([1])], out)


def _window_attrs(op) -> dict:
    return {
        "kernel_shape": ints_value(op.kernel_shape),
        "strides": ints_value(op.strides),
        "pads": ints_value(op.pads),
        "dilations": ints_value(op.dilations),
    }


def _reorder_to_blocked(op: ReorderToBlockedOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    nodes = _Nodes("rtb")
    _to_blocked(nodes, inputs[0], shape_of(op, op.x, "X"), shape_of(op, op.y, "Y")[-1], outputs[0])
    return nodes.nodes


def _reorder_from_blocked(op: ReorderFromBlockedOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    nodes = _Nodes("rfb")
    _from_blocked(nodes, inputs[0], shape_of(op, op.x, "X"), shape_of(op, op.y, "Y")[1], outputs[0])
    return nodes.nodes


def _blocked_epilogue(nodes: _Nodes, op: ConvNCHWcOp | DepthwiseConvNCHWcOp, y: str, channels: int,
                      inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    """The NCHW conv result `y` blocked again, plus the residual and activation."""
    sy = shape_of(op, op.y, "Y")
    final = outputs[0]
    act, params = activation_of(op)
    has_z = len(inputs) > 3 and inputs[3]
    y = _to_blocked(nodes, y, (sy[0], channels, sy[2], sy[3]), sy[-1], None if (has_z or act) else final)
    if has_z:
        y = nodes.add("Add", [y, inputs[3]], None if act else final)
    if act:
        nodes.nodes += activation_nodes(act, params, y, final, np.dtype(np.float32))
    return nodes.nodes


def _conv_nchwc(op: ConvNCHWcOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    nodes = _Nodes("conv")
    sx, sw = shape_of(op, op.x, "X"), shape_of(op, op.w, "W")
    x = _from_blocked(nodes, inputs[0], sx, None) if len(sx) == 5 else inputs[0]
    mb, icb, kh, kw, icl, block = sw
    w = nodes.add("Transpose", [inputs[1]], perm=[0, 5, 1, 4, 2, 3])
    w = nodes.add("Reshape", [w, nodes.const([mb * block, icb * icl, kh, kw])])
    conv_in = [x, w] + ([inputs[2]] if inputs[2] else [])
    y = nodes.add("Conv", conv_in, **_window_attrs(op))
    return _blocked_epilogue(nodes, op, y, mb * block, inputs, outputs)


def _depthwise_conv_nchwc(op: DepthwiseConvNCHWcOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    # A grouped ONNX Conv over all padded channels (padding lanes have zero weights).
    nodes = _Nodes("dwconv")
    sx, sw = shape_of(op, op.x, "X"), shape_of(op, op.w, "W")
    cb, kh, kw, block = sw
    channels = cb * block
    x = _from_blocked(nodes, inputs[0], sx, None)
    w = nodes.add("Transpose", [inputs[1]], perm=[0, 3, 1, 2])
    w = nodes.add("Reshape", [w, nodes.const([channels, 1, kh, kw])])
    conv_in = [x, w] + ([inputs[2]] if inputs[2] else [])
    y = nodes.add("Conv", conv_in, group=channels, **_window_attrs(op))
    return _blocked_epilogue(nodes, op, y, channels, inputs, outputs)


def _channel_shuffle_nchwc(op: ChannelShuffleNCHWcOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    nodes = _Nodes("shuffle")
    sx = shape_of(op, op.x, "X")
    c, g = op.channels.value.data, op.group.value.data
    n, spatial = sx[0], list(sx[2:4])
    x = _from_blocked(nodes, inputs[0], sx, c)
    x = nodes.add("Reshape", [x, nodes.const([n, g, c // g, *spatial])])
    x = nodes.add("Transpose", [x], perm=[0, 2, 1, 3, 4])
    x = nodes.add("Reshape", [x, nodes.const([n, c, *spatial])])
    _to_blocked(nodes, x, (n, c, *spatial), sx[-1], outputs[0])
    return nodes.nodes


def _blocked_pool(onnx_op: str, extra_attrs: Callable[[Operation], dict] = lambda op: {}) -> Decomposition:
    def decompose(op: Operation, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        nodes = _Nodes("pool")
        sx, sy = shape_of(op, op.x, "X"), shape_of(op, op.y, "Y")
        x = _from_blocked(nodes, inputs[0], sx, None)
        attrs = _window_attrs(op) | {"ceil_mode": int(op.ceil_mode.value.data)} | extra_attrs(op)
        y = nodes.add(onnx_op, [x], **attrs)
        _to_blocked(nodes, y, (sy[0], sy[1] * sy[-1], sy[2], sy[3]), sy[-1], outputs[0])
        return nodes.nodes

    return decompose


def _global_average_pool_nchwc(op: GlobalAveragePoolNCHWcOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    # Averaging each lane over H and W is the same on the blocked tensor.
    nodes = _Nodes("gap")
    nodes.add("ReduceMean", [inputs[0], nodes.const([2, 3])], outputs[0], keepdims=1)
    return nodes.nodes


# -- kernel groups


def _renamed(nodes: list[onnx.NodeProto], keep: set[str], prefix: str) -> list[onnx.NodeProto]:
    """A member's decomposition with its own intermediates ("_t...", not one of `keep`)
    prefixed, so two members' intermediates cannot share a name."""

    def rename(n: str) -> str:
        return f"{prefix}{n}" if n.startswith("_t") and n not in keep else n

    for node in nodes:
        node.input[:] = [rename(n) for n in node.input]
        node.output[:] = [rename(n) for n in node.output]
    return nodes


def _fused_kernel(op: FusedKernelOp, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    """The grouped ops themselves, as standard ONNX nodes (a strata member as its own
    decomposition, its intermediates renamed apart)."""
    names: dict[SSAValue, str] = dict(zip(op.body.block.args, inputs))
    names.update(zip(op.yield_op().operands, outputs))
    counter = 0

    def name_of(v: SSAValue) -> str:
        nonlocal counter
        if v not in names:
            names[v] = f"_t{counter}"
            counter += 1
        return names[v]

    nodes: list[onnx.NodeProto] = []
    for position, inner in enumerate(op.inner_ops()):
        assert isinstance(inner, IRDLOperation)
        defs = inner.get_irdl_definition()
        ins = _slot_names(inner, defs.operands, name_of)
        outs = _slot_names(inner, defs.results, name_of)
        if isinstance(inner, StrataOp):
            padded = ins + [""] * (len(defs.operands) - len(ins))
            nodes.extend(_renamed(decompose(inner, padded, outs), set(ins) | set(outs), f"_tm{position}"))
            continue
        node = helper.make_node(inner.name.removeprefix("onnx."), ins, outs, name=node_name(inner))
        node.attribute.extend(
            onnx_attribute(k, v) for k, v in sorted(inner.properties.items()) if k not in ("operandSegmentSizes", "resultSegmentSizes")
        )
        nodes.append(node)
    return nodes


DECOMPOSITIONS: dict[type[Operation], Decomposition] = {
    FusedConvOp: _fused_conv,
    FusedGemmOp: _fused_gemm,
    FusedMatMulOp: _fused_matmul,
    SwishOp: _swish,
    RMSNormalizationOp: _rms_normalization,
    ScaledMaskedSoftmaxOp: _scaled_masked_softmax,
    AttentionOp: _attention,
    ReorderToBlockedOp: _reorder_to_blocked,
    ReorderFromBlockedOp: _reorder_from_blocked,
    ConvNCHWcOp: _conv_nchwc,
    DepthwiseConvNCHWcOp: _depthwise_conv_nchwc,
    ChannelShuffleNCHWcOp: _channel_shuffle_nchwc,
    MaxPoolNCHWcOp: _blocked_pool("MaxPool"),
    AveragePoolNCHWcOp: _blocked_pool("AveragePool", lambda op: {"count_include_pad": int_attr_value(op.count_include_pad)}),
    GlobalAveragePoolNCHWcOp: _global_average_pool_nchwc,
    FusedKernelOp: _fused_kernel,
}
"""Op class -> its opset-21 decomposition: every strata op that can reach export, and
onnx.Swish (an opset-24 op). tests/test_import_export.py checks that every strata op
class but those formed only just before lowering has one."""


def decompose(op: Operation, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
    """Standard ONNX (opset 21) nodes that compute `op`; `inputs` has one name per
    operand definition ("" for an absent optional), `outputs` one per result."""
    fn = DECOMPOSITIONS.get(type(op))
    if fn is None:
        raise ExportError(f"{op.name} has no ONNX decomposition")
    return fn(op, inputs, outputs)


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
        actual_in = _slot_names(op, defs.operands, names.__getitem__)
        actual_out = _slot_names(op, defs.results, names.__getitem__)
        formal_in = [f"x{i}" if n else "" for i, n in enumerate(actual_in)]
        formal_out = [f"y{i}" for i in range(len(actual_out))]
        body = decompose(op, formal_in + [""] * (len(defs.operands) - len(formal_in)), formal_out)
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
        if isinstance(op, StrataOp) or type(op) in DECOMPOSITIONS:
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
        inputs = _slot_names(op, defs.operands, names.__getitem__)
        outputs = _slot_names(op, defs.results, names.__getitem__)
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
