"""Matrix ONNX ops: MatMul (numpy.matmul semantics, batch dimensions broadcast, 1-D
operands promoted and the promoted dimension dropped again) and Gemm (rank-2
Y = alpha * op(A) @ op(B) + beta * C with transA/transB flags and a C that broadcasts
unidirectionally to (M, N)). The verifiers check ranks, element types and that inner
and result dimensions agree wherever they are static."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import TensorType
from xdsl.ir import SSAValue
from xdsl.irdl import VarConstraint, irdl_op_definition, operand_def, opt_operand_def, result_def, traits_def

from dialects.onnx.base import (
    OnnxOp,
    NUMERIC_TYPES,
    broadcast_shapes,
    dims_compatible,
    element_type_of,
    expect_flag,
    expect_min_rank,
    expect_rank,
    expect_shape,
    fail,
    float_prop,
    fmt_shape,
    int_attr_value,
    int_prop,
    onnx_properties,
    shape_of,
    tensor_of,
    unidirectional_broadcastable,
)
from dialects.onnx.traits import FusionAnchor, MatrixProduct


@irdl_op_definition
class MatMulOp(OnnxOp):
    """numpy.matmul semantics: batch dims broadcast, 1-D operands promoted."""

    name = "onnx.MatMul"
    traits = traits_def(MatrixProduct(), FusionAnchor())

    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    a = operand_def(tensor_of(T))
    b = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    def verify_(self) -> None:
        expect_min_rank(self, self.a, "A", 1)
        expect_min_rank(self, self.b, "B", 1)
        sa = shape_of(self, self.a, "A")
        sb = shape_of(self, self.b, "B")
        k_a = sa[-1]
        k_b = sb[0] if len(sb) == 1 else sb[-2]
        if not dims_compatible(k_a, k_b):
            raise fail(self, f"inner dimensions differ: A {fmt_shape(sa)} and B {fmt_shape(sb)}")
        batch = broadcast_shapes(self, [sa[:-2], sb[:-2]])
        rows = (sa[-2],) if len(sa) >= 2 else ()
        cols = (sb[-1],) if len(sb) >= 2 else ()
        expect_shape(self, self.y, "Y", (*batch, *rows, *cols))


@irdl_op_definition
class GemmOp(OnnxOp):
    """Y = alpha * A' @ B' + beta * C, A' = transpose(A) if transA else A (same for B)."""

    name = "onnx.Gemm"
    traits = traits_def(MatrixProduct(), FusionAnchor())

    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    a = operand_def(tensor_of(T))
    b = operand_def(tensor_of(T))
    c = opt_operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    alpha = float_prop(1.0)
    beta = float_prop(1.0)
    transA = int_prop(0)
    transB = int_prop(0)

    def __init__(
        self,
        a: SSAValue,
        b: SSAValue,
        c: SSAValue | None = None,
        *,
        alpha: float | None = None,
        beta: float | None = None,
        transA: int | None = None,
        transB: int | None = None,
    ) -> None:
        """Y (M, N) of A's element type, M and N read from A and B after the transposes."""
        sa, sb = shape_of(self, a, "A"), shape_of(self, b, "B")
        m = sa[1] if transA else sa[0]
        n = sb[0] if transB else sb[1]
        props = onnx_properties(GemmOp, alpha=alpha, beta=beta, transA=transA, transB=transB)
        super().__init__(operands=[a, b, c], result_types=[TensorType(element_type_of(a), [m, n])], properties=props)

    def verify_(self) -> None:
        expect_flag(self, self.transA, "transA")
        expect_flag(self, self.transB, "transB")
        expect_rank(self, self.a, "A", 2)
        expect_rank(self, self.b, "B", 2)
        sa = shape_of(self, self.a, "A")
        sb = shape_of(self, self.b, "B")
        m, k_a = (sa[1], sa[0]) if int_attr_value(self.transA) else (sa[0], sa[1])
        k_b, n = (sb[1], sb[0]) if int_attr_value(self.transB) else (sb[0], sb[1])
        if not dims_compatible(k_a, k_b):
            raise fail(
                self,
                f"inner dimensions differ: A {fmt_shape(sa)} (transA={int_attr_value(self.transA)}) "
                f"and B {fmt_shape(sb)} (transB={int_attr_value(self.transB)})",
            )
        expect_shape(self, self.y, "Y", (m, n))
        if self.c is not None:
            sc = shape_of(self, self.c, "C")
            if not unidirectional_broadcastable(sc, (m, n)):
                raise fail(self, f"C {fmt_shape(sc)} does not broadcast to (M, N) = {fmt_shape((m, n))}")
