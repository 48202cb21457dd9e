"""Graph-level fused ops: Conv / Gemm / MatMul with a bias, residual and activation
epilogue (strata.FusedConv, strata.FusedGemm, strata.FusedMatMul).

    strata.FusedConv(x, w, b?, z?)   y = act(conv(x, w) + b + z)
    strata.FusedGemm(a, b, c?)       y = act(alpha * a' @ b' + beta * c)
    strata.FusedMatMul(a, b, bias?)  y = act(alpha * matmul(a, b) + bias)

`activation` is an `Activation` of dialects/strata/activation.py ("" = none) and
`activation_params` its f32 parameters in the table's order (Clip: min, max; LeakyRelu:
alpha; HardSigmoid: alpha, beta; Swish: alpha), as in onnxruntime's
com.microsoft.FusedConv; the verifier checks both against the table. FusedConv and
FusedGemm carry every property of onnx.Conv / onnx.Gemm (and reuse their `effective_*`
methods, so the Conv and Gemm kernels lower them with an epilogue). `z` is a residual of exactly the output's type;
the FusedMatMul bias broadcasts to the MatMul result without changing its shape.

compiler/onnx_export.py writes each op as the standard opset-21 nodes it stands for
(Conv, Add, Relu, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import IntegerAttr, TensorType
from xdsl.ir import Attribute, SSAValue

from xdsl.irdl import (
    AttrSizedOperandSegments,
    VarConstraint,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    result_def,
    traits_def,
)

from dialects.onnx.base import (
    FLOAT_TYPES,
    broadcast_shapes,
    dims_compatible,
    expect_flag,
    expect_min_rank,
    expect_rank,
    expect_shape,
    int_attr_value,
    expect_same_type,
    onnx_properties,
    fail,
    float_prop,
    floats_prop,
    element_type_of,
    fmt_shape,
    int_prop,
    ints_prop,
    shape_of,
    str_prop,
    tensor_of,
    unidirectional_broadcastable,
)
from dialects.onnx.nn import ConvolutionOp
from dialects.onnx.traits import Convolution, FusionAnchor, MatrixProduct
from dialects.strata.activation import Activation, epilogue_props, verify_activation
from dialects.strata.base import StrataOp, upper_names


def _flag(value: int | Attribute | None) -> bool:
    """A transA/transB argument of a typed constructor (an int, an IntegerAttr copied
    from another op, or None: absent, 0)."""
    return bool(int_attr_value(value)) if isinstance(value, IntegerAttr) else bool(value)


@irdl_op_definition
class FusedConvOp(StrataOp, ConvolutionOp):
    """y = act(conv(x, w) + b + z): onnx.Conv's operands and properties plus an optional
    residual z (the output's type) and the activation epilogue."""

    name = "strata.FusedConv"
    traits = traits_def(Convolution(), FusionAnchor())
    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    FORMAL_NAMES: ClassVar = upper_names("x", "w", "b", "z", "y")

    # Redeclared so the operand order is x, w, b, z (the parent's fields come after).
    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    w = operand_def(tensor_of(T))
    b = opt_operand_def(tensor_of(T))
    z = opt_operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    group = int_prop(1)
    kernel_shape = ints_prop()
    activation = str_prop("")
    activation_params = floats_prop()

    def __init__(
        self,
        x: SSAValue,
        w: SSAValue,
        b: SSAValue | None = None,
        z: SSAValue | None = None,
        *,
        result_type: Attribute,
        auto_pad: str | Attribute | None = None,
        dilations: Sequence[int] | Attribute | None = None,
        group: int | Attribute | None = None,
        kernel_shape: Sequence[int] | Attribute | None = None,
        pads: Sequence[int] | Attribute | None = None,
        strides: Sequence[int] | Attribute | None = None,
        activation: Activation | Attribute | None = None,
        activation_params: Sequence[float] | Attribute | None = None,
    ) -> None:
        """act(conv(x, w) + b + z) of type `result_type` (onnx.Conv's, see ConvOp);
        `activation` an Activation with its parameters, or a fused op's epilogue
        attributes copied."""
        props = onnx_properties(
            FusedConvOp, auto_pad=auto_pad, dilations=dilations, group=group, kernel_shape=kernel_shape, pads=pads, strides=strides
        )
        props.update(epilogue_props(activation, activation_params))
        super().__init__(operands=[x, w, b, z], result_types=[result_type], properties=props)

    def verify_(self) -> None:
        self.verify_forward_conv()
        if self.z is not None:
            expect_same_type(self, self.z, self.y, "Z and Y")
        verify_activation(self)


@irdl_op_definition
class FusedGemmOp(StrataOp):
    """y = act(Gemm(a, b, c)): onnx.Gemm's operands and properties plus the activation."""

    name = "strata.FusedGemm"
    traits = traits_def(MatrixProduct(), FusionAnchor())
    FORMAL_NAMES: ClassVar = upper_names("a", "b", "c", "y")

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    a = operand_def(tensor_of(T))
    b = operand_def(tensor_of(T))
    c = opt_operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    alpha = float_prop(1.0)
    beta = float_prop(1.0)
    transA = int_prop(0)
    transB = int_prop(0)
    activation = str_prop("")
    activation_params = floats_prop()

    def __init__(
        self,
        a: SSAValue,
        b: SSAValue,
        c: SSAValue | None = None,
        *,
        result_type: Attribute | None = None,
        alpha: float | Attribute | None = None,
        beta: float | Attribute | None = None,
        transA: int | Attribute | None = None,
        transB: int | Attribute | None = None,
        activation: Activation | Attribute | None = None,
        activation_params: Sequence[float] | Attribute | None = None,
    ) -> None:
        """act(Gemm(a, b, c)); Y is `result_type` (a replaced op's, which may know more
        dims), else (M, N) of A's element type as onnx.Gemm's."""
        if result_type is None:
            sa, sb = shape_of(self, a, "A"), shape_of(self, b, "B")
            m = sa[1] if _flag(transA) else sa[0]
            n = sb[0] if _flag(transB) else sb[1]
            result_type = TensorType(element_type_of(a), [m, n])
        props = onnx_properties(FusedGemmOp, alpha=alpha, beta=beta, transA=transA, transB=transB)
        props.update(epilogue_props(activation, activation_params))
        super().__init__(operands=[a, b, c], result_types=[result_type], properties=props)

    def verify_(self) -> None:
        expect_flag(self, self.transA, "transA")
        expect_flag(self, self.transB, "transB")
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


@irdl_op_definition
class FusedMatMulOp(StrataOp):
    """y = act(alpha * matmul(a, b) + bias); bias broadcasts to the MatMul result shape."""

    name = "strata.FusedMatMul"
    traits = traits_def(MatrixProduct(), FusionAnchor())
    FORMAL_NAMES: ClassVar = upper_names("a", "b", "y")

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    a = operand_def(tensor_of(T))
    b = operand_def(tensor_of(T))
    bias = opt_operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    alpha = float_prop(1.0)
    activation = str_prop("")
    activation_params = floats_prop()

    def __init__(
        self,
        a: SSAValue,
        b: SSAValue,
        bias: SSAValue | None = None,
        *,
        result_type: Attribute,
        alpha: float | Attribute | None = None,
        activation: Activation | Attribute | None = None,
        activation_params: Sequence[float] | Attribute | None = None,
    ) -> None:
        """act(alpha * matmul(a, b) + bias) of type `result_type` (the MatMul's)."""
        props = onnx_properties(FusedMatMulOp, alpha=alpha)
        props.update(epilogue_props(activation, activation_params))
        super().__init__(operands=[a, b, bias], result_types=[result_type], properties=props)

    def verify_(self) -> None:
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
            sb, sy = shape_of(self, self.bias, "bias"), shape_of(self, self.y, "Y")
            if not unidirectional_broadcastable(sb, sy):
                raise fail(self, f"bias {fmt_shape(sb)} does not broadcast to Y {fmt_shape(sy)}")
        verify_activation(self)


FUSED_OPS = (FusedConvOp, FusedGemmOp, FusedMatMulOp)
