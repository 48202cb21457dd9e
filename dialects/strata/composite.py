"""Recomposed blocks without a standard ONNX op at opset 21 (RMS normalization,
scaled/masked softmax, attention), formed by the `onnx-recompose-*` passes.

    strata.RMSNormalization(x, scale) {axis, epsilon}
        y = x / sqrt(mean(x^2 over dims [axis, rank)) + epsilon) * scale; scale
        broadcasts unidirectionally to x; y has x's type.
    strata.ScaledMaskedSoftmax(x, mask?) {scale, axis}
        y = softmax(x * scale + mask) along `axis`; mask broadcasts unidirectionally to x.
    strata.Attention(q, k_t, v, mask?) {scale}
        y = softmax(q @ k_t * scale + mask, last axis) @ v, with the keys already
        transposed (k_t is [..., D, Sk]); q [..., Sq, D], v [..., Sk, Dv], one rank for
        all three, batch dims broadcasting like MatMul's; mask broadcasts
        unidirectionally to the scores [..., Sq, Sk].

compiler/onnx_export.py writes each op as the standard opset-21 chain it replaced (scale
and epsilon baked in as Constant nodes), so an exported model still loads in onnxruntime.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import VarConstraint, irdl_op_definition, operand_def, opt_operand_def, result_def

from dialects.onnx.base import (
    FLOAT_TYPES,
    expect_axis,
    expect_min_rank,
    expect_same_type,
    fail,
    float_prop,
    fmt_shape,
    int_prop,
    onnx_properties,
    rank_of,
    shape_of,
    tensor_of,
    unidirectional_broadcastable,
)
from dialects.strata.base import StrataOp


def _broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...] | None:
    """numpy broadcast of two static shapes, None when they do not broadcast."""
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        return None


@irdl_op_definition
class RMSNormalizationOp(StrataOp):
    name = "strata.RMSNormalization"

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    scale = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    axis = int_prop(-1)
    epsilon = float_prop(1e-5)

    def __init__(self, x: SSAValue, scale: SSAValue, *, axis: int | None = None, epsilon: float | None = None) -> None:
        """RMS normalization of x over [axis, rank); y has x's type."""
        props = onnx_properties(RMSNormalizationOp, axis=axis, epsilon=epsilon)
        super().__init__(operands=[x, scale], result_types=[x.type], properties=props)

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.x, "x"))

    def verify_(self) -> None:
        expect_min_rank(self, self.x, "x", 1)
        expect_same_type(self, self.x, self.y, "x and y")
        self.normalized_axis()
        sx, ss = shape_of(self, self.x, "x"), shape_of(self, self.scale, "scale")
        if not unidirectional_broadcastable(ss, sx):
            raise fail(self, f"scale {fmt_shape(ss)} does not broadcast to x {fmt_shape(sx)}")


@irdl_op_definition
class ScaledMaskedSoftmaxOp(StrataOp):
    name = "strata.ScaledMaskedSoftmax"

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    mask = opt_operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    scale = float_prop(1.0)
    axis = int_prop(-1)

    def __init__(self, x: SSAValue, mask: SSAValue | None = None, *, scale: float | None = None, axis: int | None = None) -> None:
        """softmax(x * scale + mask) along axis; y has x's type."""
        props = onnx_properties(ScaledMaskedSoftmaxOp, scale=scale, axis=axis)
        super().__init__(operands=[x, mask], result_types=[x.type], properties=props)

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.x, "x"))

    def verify_(self) -> None:
        expect_min_rank(self, self.x, "x", 1)
        expect_same_type(self, self.x, self.y, "x and y")
        self.normalized_axis()
        if self.mask is not None:
            sx, sm = shape_of(self, self.x, "x"), shape_of(self, self.mask, "mask")
            if not unidirectional_broadcastable(sm, sx):
                raise fail(self, f"mask {fmt_shape(sm)} does not broadcast to x {fmt_shape(sx)}")


@irdl_op_definition
class AttentionOp(StrataOp):
    name = "strata.Attention"

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    q = operand_def(tensor_of(T))
    k_t = operand_def(tensor_of(T))
    v = operand_def(tensor_of(T))
    mask = opt_operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    scale = float_prop(1.0)

    def __init__(
        self, q: SSAValue, k_t: SSAValue, v: SSAValue, mask: SSAValue | None = None, *, result_type: Attribute, scale: float | None = None
    ) -> None:
        """softmax(q @ k_t * scale + mask) @ v of type `result_type` (the replaced chain's)."""
        props = onnx_properties(AttentionOp, scale=scale)
        super().__init__(operands=[q, k_t, v, mask], result_types=[result_type], properties=props)

    def scores_shape(self) -> tuple[int, ...]:
        """[batch..., Sq, Sk]: q's and k_t's batch dims broadcast."""
        sq, sk = shape_of(self, self.q, "q"), shape_of(self, self.k_t, "k_t")
        batch = _broadcast(sq[:-2], sk[:-2])
        if batch is None:
            raise fail(self, f"batch dims of q {fmt_shape(sq)} and k_t {fmt_shape(sk)} do not broadcast")
        return (*batch, sq[-2], sk[-1])

    def verify_(self) -> None:
        for value, what in ((self.q, "q"), (self.k_t, "k_t"), (self.v, "v")):
            expect_min_rank(self, value, what, 2)
        sq, sk, sv, sy = (shape_of(self, v, w) for v, w in ((self.q, "q"), (self.k_t, "k_t"), (self.v, "v"), (self.y, "y")))
        if not len(sq) == len(sk) == len(sv) == len(sy):
            raise fail(self, f"q, k_t, v and y must have one rank, got {fmt_shape(sq)}, {fmt_shape(sk)}, {fmt_shape(sv)}, {fmt_shape(sy)}")
        if sq[-1] != sk[-2]:
            raise fail(self, f"q {fmt_shape(sq)} and k_t {fmt_shape(sk)} disagree on the head dim")
        if sk[-1] != sv[-2]:
            raise fail(self, f"k_t {fmt_shape(sk)} and v {fmt_shape(sv)} disagree on the key count")
        scores = self.scores_shape()
        batch = _broadcast(scores[:-2], sv[:-2])
        if batch is None or sy != (*batch, sq[-2], sv[-1]):
            raise fail(self, f"y {fmt_shape(sy)} is not the attention result of q {fmt_shape(sq)}, k_t {fmt_shape(sk)}, v {fmt_shape(sv)}")
        if self.mask is not None:
            sm = shape_of(self, self.mask, "mask")
            if not unidirectional_broadcastable(sm, scores):
                raise fail(self, f"mask {fmt_shape(sm)} does not broadcast to the scores {fmt_shape(scores)}")
