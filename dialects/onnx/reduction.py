"""Reduction ONNX ops in their opset-18+ form: ReduceSum/Mean/Max/Min/Prod/L2 take the
axes as an optional 1-D integer input (absent or empty: all axes, or no reduction when
noop_with_empty_axes=1) and have keepdims / noop_with_empty_axes properties; ArgMax and
ArgMin reduce one `axis` property to i64 indices. All share `ReduceOp` / `ArgReduceOp`,
whose verifiers check the element type, the axes operand and the result rank, which is
known without constants whenever keepdims=1 or the axes length is static."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import i64
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, opt_operand_def, result_def

from dialects.onnx.base import (
    ANY,
    NUMERIC,
    Kinds,
    TensorConstraint,
    expect_1d_index,
    expect_axis,
    expect_flag,
    expect_kinds,
    expect_rank,
    expect_same_element_type,
    expect_shape,
    fail,
    int_attr_value,
    int_prop,
    rank_of,
    shape_of,
    tensor_type,
)


class ReduceOp(IRDLOperation):
    """data, optional axes -> reduced (same element type)."""

    ELEMENT_KINDS: ClassVar[Kinds] = NUMERIC

    data = operand_def(TensorConstraint)
    axes = opt_operand_def(TensorConstraint)
    reduced = result_def(TensorConstraint)

    keepdims = int_prop(1)
    noop_with_empty_axes = int_prop(0)

    def keeps_dims(self) -> bool:
        return bool(int_attr_value(self.keepdims))

    def verify_(self) -> None:
        expect_kinds(self, self.data, "data", self.ELEMENT_KINDS)
        expect_same_element_type(self, [self.data, self.reduced], "data and reduced")
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
    ELEMENT_KINDS: ClassVar[Kinds] = ANY


@irdl_op_definition
class ReduceMinOp(ReduceOp):
    name = "onnx.ReduceMin"
    ELEMENT_KINDS: ClassVar[Kinds] = ANY


@irdl_op_definition
class ReduceProdOp(ReduceOp):
    name = "onnx.ReduceProd"


@irdl_op_definition
class ReduceL2Op(ReduceOp):
    """sqrt(sum(x * x))."""

    name = "onnx.ReduceL2"


class ArgReduceOp(IRDLOperation):
    """data -> i64 indices of the extreme value along `axis`."""

    ELEMENT_KINDS: ClassVar[Kinds] = NUMERIC

    data = operand_def(TensorConstraint)
    reduced = result_def(TensorConstraint)

    axis = int_prop(0)
    keepdims = int_prop(1)
    select_last_index = int_prop(0)

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.data, "data"))

    def verify_(self) -> None:
        expect_kinds(self, self.data, "data", self.ELEMENT_KINDS)
        expect_flag(self, self.keepdims, "keepdims")
        expect_flag(self, self.select_last_index, "select_last_index")
        ty = tensor_type(self, self.reduced, "reduced").element_type
        if ty != i64:
            raise fail(self, f"reduced must have element type i64, got {ty}")
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
