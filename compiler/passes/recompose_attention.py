"""`onnx-recompose-attention`: scaled / masked softmax and scaled dot-product attention
blocks become one op each.

Patterns (c a one-element float `onnx.Constant`; Add and Mul in either operand order):

    ScaledMaskedSoftmax: Softmax(Add(Mul(x, c) | Div(x, c), mask)) or
        Softmax(Mul(x, c) | Div(x, c)) or Softmax(Add(x, mask)), Softmax over the last
        axis, mask broadcasting unidirectionally to x
        -> strata.ScaledMaskedSoftmax(x, mask?) {scale = c | 1 / c | 1, axis = -1}
    Attention: MatMul(P, V) where P is Softmax over the last axis of a chain as above
        (or no scale and no mask), or an already formed ScaledMaskedSoftmax, whose x is
        MatMul(Q, K_t) (K_t any tensor: a Transpose feeding it stays a separate op)
        -> strata.Attention(Q, K_t, V, mask?) {scale}

The new op takes the location and result name of the op it replaces (the Softmax, or
the final MatMul). Both patterns run in one walk: a Softmax becomes a
ScaledMaskedSoftmax first, then the MatMul after it absorbs that.

Exactness: Div(x, c) becomes a multiplication by 1 / c rounded to f32 (not bit-exact);
the attention kernel sums exp over one scores row and divides once at the end; results
agree with onnxruntime on the original model to 1e-4.

Does not fire (and logs why with `missed`) when an intermediate (scores, scaled or
masked scores, probabilities) has another use or is a graph output, the softmax is not
over the last axis, the scale is a zero divisor, an op broadcasts the scores to a larger
shape, or Q, K_t and V do not share one rank >= 2.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from dialects.weights import weights_of
from compiler.passes.constants import PatternWithWeights
from compiler.passes.recompose_norms import (
    binary_operands,
    is_float_tensor,
    owner_op,
    scalar_constant,
    shape,
    used_only_by,
)
from compiler.pattern_log import apply_patterns
from dialects.weights import WeightTable
from dialects.onnx.base import int_attr_value, unidirectional_broadcastable
from dialects.onnx.elementwise import AddOp, DivOp, MulOp
from dialects.onnx.linalg import MatMulOp
from dialects.onnx.nn import SoftmaxOp
from dialects.strata.composite import AttentionOp, ScaledMaskedSoftmaxOp


@dataclass
class _Softmax:
    """softmax(x * scale + mask) along the last axis; `ops` from the first op after x to
    the softmax itself, each used only by the next."""

    x: SSAValue
    scale: float
    mask: SSAValue | None
    ops: list[Operation]


def _scaled(value: SSAValue, weights: WeightTable | None) -> tuple[SSAValue, float, Operation] | None:
    """(x, scale, op) when `value` is Mul(x, c) or Div(x, c) keeping x's type."""
    op = owner_op(value)
    pairs = [(x, c, False) for x, c in binary_operands(op, MulOp)] + [(x, c, True) for x, c in binary_operands(op, DivOp, False)]
    for x, c, divide in pairs:
        s = scalar_constant(c, weights)
        if s is None or x.type != value.type or (divide and s == 0.0):
            continue
        return x, (1.0 / s if divide else s), op
    return None


def _is_last_axis(axis: int, value: SSAValue) -> bool:
    rank = len(shape(value))
    return rank > 0 and axis % rank == rank - 1


def _softmax_chain(op: Operation, weights: WeightTable | None) -> _Softmax | str | None:
    """The scale/mask chain in front of a Softmax (or a formed ScaledMaskedSoftmax). None:
    not a Softmax; a string: why it cannot be used."""
    if isinstance(op, ScaledMaskedSoftmaxOp):
        if not _is_last_axis(op.normalized_axis(), op.x):
            return "the softmax is not over the last axis"
        return _Softmax(op.x, float(op.scale.value.data), op.mask, [op])
    if not isinstance(op, SoftmaxOp):
        return None
    if not is_float_tensor(op.input) or not _is_last_axis(int_attr_value(op.axis), op.input):
        return "the softmax is not over the last axis"
    s = op.input
    mask: SSAValue | None = None
    ops: list[Operation] = [op]
    add = owner_op(s)
    # The scaled operand is x when there is one; else the first operand of x's type.
    pairs = sorted(binary_operands(add, AddOp), key=lambda p: _scaled(p[0], weights) is None)
    for a, m in pairs:
        if a.type == s.type and unidirectional_broadcastable(shape(m), shape(s)):
            mask, s = m, a
            ops.insert(0, add)
            break
    scale = 1.0
    found = _scaled(s, weights)
    if found is not None:
        s, scale, scale_op = found
        ops.insert(0, scale_op)
    for producer, consumer in zip(ops, ops[1:]):
        if not used_only_by(producer.results[0], [consumer]):
            return "an intermediate has another use or is a graph output"
    return _Softmax(s, scale, mask, ops)


class RecomposeScaledMaskedSoftmax(PatternWithWeights):
    """Softmax(x * c [+ mask]) / Softmax(x + mask) -> strata.ScaledMaskedSoftmax."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, SoftmaxOp):
            return
        found = _softmax_chain(op, self.weights)
        if found is None:
            return
        if isinstance(found, str):
            if isinstance(owner_op(op.input), (AddOp, MulOp, DivOp)):  # a real candidate
                self.missed(op, found)
            return
        if len(found.ops) == 1:
            return  # a plain Softmax
        sms = ScaledMaskedSoftmaxOp(found.x, found.mask, scale=found.scale, axis=-1)
        sms.location = op.location
        sms.y.name_hint = op.output.name_hint
        rewriter.replace(op, sms, [sms.y])


class RecomposeAttention(PatternWithWeights):
    """MatMul(softmax(MatMul(Q, K_t) * c + mask), V) -> strata.Attention."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, MatMulOp) or op.a is op.b:
            return
        probs_op = owner_op(op.a)
        found = _softmax_chain(probs_op, self.weights) if probs_op is not None else None
        if found is None:
            return
        scores_op = owner_op(found.x) if not isinstance(found, str) else None
        if isinstance(found, str):
            self.missed(op, found)
            return
        if not isinstance(scores_op, MatMulOp):
            return
        q, k_t, v = scores_op.a, scores_op.b, op.b
        ranks = {len(shape(t)) for t in (q, k_t, v, op.y)}
        if len(ranks) != 1 or min(ranks) < 2:
            self.missed(op, "Q, K_t and V do not share one rank >= 2")
            return
        if not is_float_tensor(q):
            self.missed(op, "not a float tensor")
            return
        if not used_only_by(found.x, [found.ops[0]]) or not used_only_by(op.a, [op]):
            self.missed(op, "an intermediate has another use or is a graph output")
            return
        att = AttentionOp(q, k_t, v, found.mask, result_type=op.y.type, scale=found.scale)
        att.location = op.location
        att.y.name_hint = op.y.name_hint
        rewriter.replace(op, att, [att.y])


def recompose_attention_patterns(weights: WeightTable | None) -> list[RewritePattern]:
    return [RecomposeScaledMaskedSoftmax(weights), RecomposeAttention(weights)]


@dataclass(frozen=True)
class RecomposeAttentionPass(ModulePass):
    """Scaled / masked Softmax -> strata.ScaledMaskedSoftmax; MatMul-Softmax-MatMul
    attention blocks -> strata.Attention (see the module docstring)."""

    name = "onnx-recompose-attention"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(ctx, op, recompose_attention_patterns(weights_of(ctx)))
