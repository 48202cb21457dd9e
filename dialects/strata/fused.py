"""Graph-level fused ops: Conv / Gemm / MatMul with a bias, residual and activation
epilogue (strata.FusedConv, strata.FusedGemm, strata.FusedMatMul).

    strata.FusedConv(x, w, b?, z?)   y = act(conv(x, w) + b + z)
    strata.FusedGemm(a, b, c?)       y = act(alpha * a' @ b' + beta * c)
    strata.FusedMatMul(a, b, bias?)  y = act(alpha * matmul(a, b) + bias)

`activation` is one of ACTIVATION_PARAM_COUNTS ("" = none) and `activation_params` its
f32 parameters (Clip: min, max; LeakyRelu: alpha; HardSigmoid: alpha, beta; Swish:
alpha), as in
onnxruntime's com.microsoft.FusedConv. FusedConv and FusedGemm carry every property of
onnx.Conv / onnx.Gemm (and reuse their `effective_*` methods, so the Conv and Gemm
kernels lower them with an epilogue). `z` is a residual of exactly the output's type;
the FusedMatMul bias broadcasts to the MatMul result without changing its shape.

`decompose` writes each op as the standard opset-21 nodes it stands for (Conv, Add,
Relu, ...), which the exporter wraps in a model-local function.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import onnx
from onnx import helper, numpy_helper
from xdsl.irdl import (
    AttrSizedOperandSegments,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    result_def,
)

from dialects.dtypes import numpy_dtype
from dialects.onnx.base import (
    FLOAT,
    Kinds,
    TensorConstraint,
    broadcast_shapes,
    dims_compatible,
    expect_flag,
    expect_min_rank,
    expect_rank,
    expect_shape,
    int_attr_value,
    is_dynamic,
    expect_kinds,
    expect_same_element_type,
    expect_same_type,
    fail,
    float_attr_value,
    float_prop,
    floats_prop,
    floats_value,
    fmt_shape,
    int_prop,
    ints_prop,
    onnx_attribute,
    shape_of,
    str_attr_value,
    str_prop,
    unidirectional_broadcastable,
)
from dialects.onnx.nn import ConvolutionOp
from dialects.strata.base import StrataOp

# activation name -> number of activation_params ("" = no activation).
ACTIVATION_PARAM_COUNTS: dict[str, int] = {
    "": 0,
    "Relu": 0,
    "Clip": 2,
    "LeakyRelu": 1,
    "Sigmoid": 0,
    "HardSigmoid": 2,
    "HardSwish": 0,
    "Tanh": 0,
    "Gelu": 0,
    "GeluTanh": 0,
    "Swish": 1,  # x * sigmoid(alpha * x); alpha = 1 is SiLU, 1.702 QuickGelu
}

_EPILOGUE_PROPS = ("activation", "activation_params", "operandSegmentSizes")


def activation_of(op: StrataOp) -> tuple[str, list[float]]:
    """(activation name, its parameters) of a fused op."""
    return str_attr_value(op.activation) or "", floats_value(op.activation_params) or []  # type: ignore[attr-defined]


def verify_activation(op: StrataOp) -> None:
    name, params = activation_of(op)
    if name not in ACTIVATION_PARAM_COUNTS:
        known = ", ".join(repr(n) for n in ACTIVATION_PARAM_COUNTS)
        raise fail(op, f"unknown activation {name!r}; expected one of {known}")
    want = ACTIVATION_PARAM_COUNTS[name]
    if len(params) != want:
        raise fail(op, f"activation {name!r} takes {want} activation_params, got {len(params)}")
    if name == "Clip" and not params[0] <= params[1]:
        raise fail(op, f"Clip activation_params min {params[0]} > max {params[1]}")


def _anchor_node(op: StrataOp, op_type: str, inputs: list[str], output: str) -> onnx.NodeProto:
    """The Conv/Gemm node of a fused op: its properties without the epilogue ones."""
    node = helper.make_node(op_type, inputs, [output])
    node.attribute.extend(
        onnx_attribute(k, v) for k, v in sorted(op.properties.items()) if k not in _EPILOGUE_PROPS
    )
    return node


def _scalar_constant(value: float, dtype: np.dtype, output: str) -> onnx.NodeProto:
    return helper.make_node("Constant", [], [output], value=numpy_helper.from_array(np.array(value, dtype), output))


def activation_nodes(name: str, params: list[float], x: str, y: str, dtype: np.dtype) -> list[onnx.NodeProto]:
    """Standard ONNX nodes computing y = activation(x) (an Identity when none)."""
    if name == "":
        return [helper.make_node("Identity", [x], [y])]
    if name == "Clip":
        return [
            _scalar_constant(params[0], dtype, "_t_clip_min"),
            _scalar_constant(params[1], dtype, "_t_clip_max"),
            helper.make_node("Clip", [x, "_t_clip_min", "_t_clip_max"], [y]),
        ]
    if name == "LeakyRelu":
        return [helper.make_node("LeakyRelu", [x], [y], alpha=params[0])]
    if name == "HardSigmoid":
        return [helper.make_node("HardSigmoid", [x], [y], alpha=params[0], beta=params[1])]
    if name == "Gelu":
        return [helper.make_node("Gelu", [x], [y], approximate="none")]
    if name == "GeluTanh":
        return [helper.make_node("Gelu", [x], [y], approximate="tanh")]
    if name == "Swish":
        # Swish is an ONNX op only from opset 24 on; the exported model is opset 21.
        nodes, arg = [], x
        if params[0] != 1.0:
            nodes += [_scalar_constant(params[0], dtype, "_t_swish_alpha"),
                      helper.make_node("Mul", [x, "_t_swish_alpha"], ["_t_swish_ax"])]
            arg = "_t_swish_ax"
        return nodes + [helper.make_node("Sigmoid", [arg], ["_t_swish_s"]), helper.make_node("Mul", [x, "_t_swish_s"], [y])]
    return [helper.make_node(name, [x], [y])]


def _dtype(op: StrataOp) -> np.dtype:
    return np.dtype(numpy_dtype(op.results[0].type.element_type))  # type: ignore[attr-defined]


@irdl_op_definition
class FusedConvOp(StrataOp, ConvolutionOp):
    """y = act(conv(x, w) + b + z): onnx.Conv's operands and properties plus an optional
    residual z (the output's type) and the activation epilogue."""

    name = "strata.FusedConv"
    ELEMENT_KINDS: ClassVar[Kinds] = FLOAT
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    # Redeclared so the operand order is x, w, b, z (the parent's fields come after).
    x = operand_def(TensorConstraint)
    w = operand_def(TensorConstraint)
    b = opt_operand_def(TensorConstraint)
    z = opt_operand_def(TensorConstraint)
    y = result_def(TensorConstraint)

    group = int_prop(1)
    kernel_shape = ints_prop()
    activation = str_prop("")
    activation_params = floats_prop()

    def verify_(self) -> None:
        self.verify_convolution()
        group = self.effective_group()
        sx, sw = shape_of(self, self.x, "X"), shape_of(self, self.w, "W")
        if not (is_dynamic(sx[1]) or is_dynamic(sw[1])) and sx[1] != sw[1] * group:
            raise fail(self, f"X has {sx[1]} channels but W {fmt_shape(sw)} with group={group} expects {sw[1] * group}")
        if not is_dynamic(sw[0]) and sw[0] % group:
            raise fail(self, f"W output channels {sw[0]} are not divisible by group={group}")
        self.verify_batch_and_channels(sw[0])
        self.verify_output_spatial()
        if self.z is not None:
            expect_same_type(self, self.z, self.y, "Z and Y")
        verify_activation(self)

    def decompose(self, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        x, w, b, z = inputs
        act, params = activation_of(self)
        nodes = [_anchor_node(self, "Conv", [x, w] + ([b] if b else []), "_t_conv")]
        last = "_t_conv"
        if z:
            nodes.append(helper.make_node("Add", [last, z], ["_t_sum"]))
            last = "_t_sum"
        return nodes + activation_nodes(act, params, last, outputs[0], _dtype(self))


@irdl_op_definition
class FusedGemmOp(StrataOp):
    """y = act(Gemm(a, b, c)): onnx.Gemm's operands and properties plus the activation."""

    name = "strata.FusedGemm"
    ELEMENT_KINDS: ClassVar[Kinds] = FLOAT

    a = operand_def(TensorConstraint)
    b = operand_def(TensorConstraint)
    c = opt_operand_def(TensorConstraint)
    y = result_def(TensorConstraint)

    alpha = float_prop(1.0)
    beta = float_prop(1.0)
    transA = int_prop(0)
    transB = int_prop(0)
    activation = str_prop("")
    activation_params = floats_prop()

    def verify_(self) -> None:
        expect_flag(self, self.transA, "transA")
        expect_flag(self, self.transB, "transB")
        expect_kinds(self, self.a, "A", self.ELEMENT_KINDS)
        expect_same_element_type(self, [self.a, self.b, self.y] + ([self.c] if self.c else []), "A, B, C and Y")
        expect_rank(self, self.a, "A", 2)
        expect_rank(self, self.b, "B", 2)
        sa, sb = shape_of(self, self.a, "A"), shape_of(self, self.b, "B")
        m, k_a = (sa[1], sa[0]) if int_attr_value(self.transA) else sa
        k_b, n = (sb[1], sb[0]) if int_attr_value(self.transB) else sb
        if not dims_compatible(k_a, k_b):
            raise fail(self, f"inner dimensions differ: A {fmt_shape(sa)} and B {fmt_shape(sb)} (with transA/transB)")
        expect_shape(self, self.y, "Y", (m, n))
        if self.c is not None and not unidirectional_broadcastable(shape_of(self, self.c, "C"), (m, n)):
            raise fail(self, f"C {fmt_shape(shape_of(self, self.c, 'C'))} does not broadcast to (M, N) = {fmt_shape((m, n))}")
        verify_activation(self)

    def decompose(self, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        a, b, c = inputs
        act, params = activation_of(self)
        nodes = [_anchor_node(self, "Gemm", [a, b] + ([c] if c else []), "_t_gemm")]
        return nodes + activation_nodes(act, params, "_t_gemm", outputs[0], _dtype(self))


@irdl_op_definition
class FusedMatMulOp(StrataOp):
    """y = act(alpha * matmul(a, b) + bias); bias broadcasts to the MatMul result shape."""

    name = "strata.FusedMatMul"
    ELEMENT_KINDS: ClassVar[Kinds] = FLOAT

    a = operand_def(TensorConstraint)
    b = operand_def(TensorConstraint)
    bias = opt_operand_def(TensorConstraint)
    y = result_def(TensorConstraint)

    alpha = float_prop(1.0)
    activation = str_prop("")
    activation_params = floats_prop()

    def verify_(self) -> None:
        expect_kinds(self, self.a, "A", self.ELEMENT_KINDS)
        expect_same_element_type(self, [self.a, self.b, self.y], "A, B and Y")
        expect_min_rank(self, self.a, "A", 1)
        expect_min_rank(self, self.b, "B", 1)
        sa, sb = shape_of(self, self.a, "A"), shape_of(self, self.b, "B")
        if not dims_compatible(sa[-1], sb[0] if len(sb) == 1 else sb[-2]):
            raise fail(self, f"inner dimensions differ: A {fmt_shape(sa)} and B {fmt_shape(sb)}")
        batch = broadcast_shapes(self, [sa[:-2], sb[:-2]])
        rows = (sa[-2],) if len(sa) >= 2 else ()
        cols = (sb[-1],) if len(sb) >= 2 else ()
        expect_shape(self, self.y, "Y", (*batch, *rows, *cols))
        if self.bias is not None:
            expect_same_element_type(self, [self.bias, self.y], "bias and Y")
            sb, sy = shape_of(self, self.bias, "bias"), shape_of(self, self.y, "Y")
            if not unidirectional_broadcastable(sb, sy):
                raise fail(self, f"bias {fmt_shape(sb)} does not broadcast to Y {fmt_shape(sy)}")
        verify_activation(self)

    def decompose(self, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        a, b, bias = inputs
        act, params = activation_of(self)
        dtype = _dtype(self)
        nodes = [helper.make_node("MatMul", [a, b], ["_t_mm"])]
        last = "_t_mm"
        alpha_value = float_attr_value(self.alpha)
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


FUSED_OPS = (FusedConvOp, FusedGemmOp, FusedMatMulOp)
