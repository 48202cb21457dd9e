"""Reduction ONNX ops in their opset-18+ form: ReduceSum/Mean/Max/Min/Prod/L1/L2/
SumSquare/LogSum/LogSumExp take the axes as an optional 1-D integer input (absent or
empty: all axes, or no reduction when noop_with_empty_axes=1) and have keepdims /
noop_with_empty_axes properties; ArgMax and ArgMin reduce one `axis` property to i64
indices. All share `ReduceOp` / `ArgReduceOp`, whose verifiers check the element type,
the axes operand and the result rank, which is known without constants whenever
keepdims=1 or the axes length is static. The scans and selections along one axis live
here too: CumSum (runtime-typed `axis` operand, exclusive/reverse), Hardmax (one-hot
of the first maximum along `axis`) and TopK (Values and i64 Indices of the K
largest/smallest along `axis`; K is the static size of that dim of the results)."""

from __future__ import annotations

from typing import ClassVar

from xdsl.ir import SSAValue
from xdsl.irdl import VarConstraint, irdl_op_definition, operand_def, opt_operand_def, result_def, traits_def

from dialects.onnx.base import (
    OnnxOp,
    ANY_TYPES,
    FLOAT_TYPES,
    I64_TYPE,
    INDEX_TYPES,
    NUMERIC_TYPES,
    expect_1d_index,
    expect_axis,
    expect_flag,
    expect_rank,
    expect_same_type,
    expect_scalar,
    expect_shape,
    fail,
    fmt_shape,
    int_attr_value,
    int_prop,
    is_dynamic,
    onnx_properties,
    rank_of,
    shape_of,
    tensor_of,
)
from dialects.onnx.traits import FusionAnchor


class ReduceOp(OnnxOp):
    """data, optional axes -> reduced (same element type T, numeric unless the op
    says otherwise)."""

    traits = traits_def(FusionAnchor(prologue=True))

    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    data = operand_def(tensor_of(T))
    axes = opt_operand_def(tensor_of(INDEX_TYPES))
    reduced = result_def(tensor_of(T))

    keepdims = int_prop(1)
    noop_with_empty_axes = int_prop(0)

    def keeps_dims(self) -> bool:
        return bool(int_attr_value(self.keepdims))

    def verify_(self) -> None:
        expect_flag(self, self.keepdims, "keepdims")
        expect_flag(self, self.noop_with_empty_axes, "noop_with_empty_axes")
        rank = rank_of(self, self.data, "data")
        n_axes = expect_1d_index(self, self.axes, "axes") if self.axes is not None else 0
        if n_axes is not None and n_axes > rank:
            raise fail(self, f"axes has {n_axes} entries for a rank-{rank} input")
        if n_axes == 0 and int_attr_value(self.noop_with_empty_axes):
            expect_shape(self, self.reduced, "reduced", shape_of(self, self.data, "data"))
        elif self.keeps_dims():
            expect_rank(self, self.reduced, "reduced", rank)
        elif n_axes == 0:
            expect_rank(self, self.reduced, "reduced", 0)
        elif n_axes is not None:
            expect_rank(self, self.reduced, "reduced", rank - n_axes)


@irdl_op_definition
class ReduceSumOp(ReduceOp):
    name = "onnx.ReduceSum"


@irdl_op_definition
class ReduceMeanOp(ReduceOp):
    name = "onnx.ReduceMean"


@irdl_op_definition
class ReduceMaxOp(ReduceOp):
    name = "onnx.ReduceMax"
    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    axes = opt_operand_def(tensor_of(INDEX_TYPES))
    reduced = result_def(tensor_of(T))


@irdl_op_definition
class ReduceMinOp(ReduceOp):
    name = "onnx.ReduceMin"
    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    axes = opt_operand_def(tensor_of(INDEX_TYPES))
    reduced = result_def(tensor_of(T))


@irdl_op_definition
class ReduceProdOp(ReduceOp):
    name = "onnx.ReduceProd"


@irdl_op_definition
class ReduceL2Op(ReduceOp):
    """sqrt(sum(x * x))."""

    name = "onnx.ReduceL2"


@irdl_op_definition
class ReduceL1Op(ReduceOp):
    """sum(|x|)."""

    name = "onnx.ReduceL1"


@irdl_op_definition
class ReduceSumSquareOp(ReduceOp):
    """sum(x * x)."""

    name = "onnx.ReduceSumSquare"


@irdl_op_definition
class ReduceLogSumOp(ReduceOp):
    """log(sum(x)); an empty reduction gives -inf."""

    name = "onnx.ReduceLogSum"
    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    data = operand_def(tensor_of(T))
    axes = opt_operand_def(tensor_of(INDEX_TYPES))
    reduced = result_def(tensor_of(T))


@irdl_op_definition
class ReduceLogSumExpOp(ReduceOp):
    """log(sum(exp(x))); an empty reduction gives -inf."""

    name = "onnx.ReduceLogSumExp"
    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    data = operand_def(tensor_of(T))
    axes = opt_operand_def(tensor_of(INDEX_TYPES))
    reduced = result_def(tensor_of(T))


class ArgReduceOp(OnnxOp):
    """data -> i64 indices of the extreme value along `axis`."""

    data = operand_def(tensor_of(NUMERIC_TYPES))
    reduced = result_def(tensor_of(I64_TYPE))

    axis = int_prop(0)
    keepdims = int_prop(1)
    select_last_index = int_prop(0)

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.data, "data"))

    def verify_(self) -> None:
        expect_flag(self, self.keepdims, "keepdims")
        expect_flag(self, self.select_last_index, "select_last_index")
        axis = self.normalized_axis()
        shape = list(shape_of(self, self.data, "data"))
        if int_attr_value(self.keepdims):
            shape[axis] = 1
        else:
            del shape[axis]
        expect_shape(self, self.reduced, "reduced", shape)


@irdl_op_definition
class ArgMaxOp(ArgReduceOp):
    name = "onnx.ArgMax"


@irdl_op_definition
class ArgMinOp(ArgReduceOp):
    name = "onnx.ArgMin"


# ---- scans and selections along one axis ------------------------------------------------


@irdl_op_definition
class CumSumOp(OnnxOp):
    """Running sum of x along the scalar i32/i64 `axis` operand; exclusive=1 leaves the
    current element out, reverse=1 sums from the end."""

    name = "onnx.CumSum"

    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    x = operand_def(tensor_of(T))
    axis = operand_def(tensor_of(INDEX_TYPES))
    y = result_def(tensor_of(T))

    exclusive = int_prop(0)
    reverse = int_prop(0)

    def verify_(self) -> None:
        expect_same_type(self, self.x, self.y, "x and y")
        expect_scalar(self, self.axis, "axis", allow_one_element=True)
        expect_flag(self, self.exclusive, "exclusive")
        expect_flag(self, self.reverse, "reverse")


@irdl_op_definition
class HardmaxOp(OnnxOp):
    """1 at the first maximum along `axis`, 0 elsewhere (same type as the input)."""

    name = "onnx.Hardmax"

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    input = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))

    axis = int_prop(-1)

    def __init__(self, input: SSAValue, *, axis: int | None = None) -> None:
        super().__init__(operands=[input], result_types=[input.type], properties=onnx_properties(HardmaxOp, axis=axis))

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.input, "input"))

    def verify_(self) -> None:
        expect_same_type(self, self.input, self.output, "input and output")
        self.normalized_axis()


@irdl_op_definition
class TopKOp(OnnxOp):
    """The K largest (largest=1) or smallest elements of x along `axis` and their i64
    indices; K is the one-element i64 operand `k`. Values and Indices have x's shape
    with K along `axis`; equal values keep the lower index first."""

    name = "onnx.TopK"

    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    x = operand_def(tensor_of(T))
    k = operand_def(tensor_of(INDEX_TYPES))
    values = result_def(tensor_of(T))
    indices = result_def(tensor_of(I64_TYPE))

    axis = int_prop(-1)
    largest = int_prop(1)
    sorted = int_prop(1)

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.x, "X"))

    def verify_(self) -> None:
        expect_flag(self, self.largest, "largest")
        expect_flag(self, self.sorted, "sorted")
        n = expect_1d_index(self, self.k, "K")
        if n is not None and n != 1:
            raise fail(self, f"K must hold one element, got {n}")
        axis = self.normalized_axis()
        sx = shape_of(self, self.x, "X")
        sv = shape_of(self, self.values, "Values")
        expect_shape(self, self.indices, "Indices", sv)
        expect_rank(self, self.values, "Values", len(sx))
        expected = list(sx)
        expected[axis] = sv[axis]
        expect_shape(self, self.values, "Values", expected)
        if not (is_dynamic(sv[axis]) or is_dynamic(sx[axis])) and sv[axis] > sx[axis]:
            raise fail(self, f"K = {sv[axis]} exceeds dim {axis} of X {fmt_shape(sx)}")
