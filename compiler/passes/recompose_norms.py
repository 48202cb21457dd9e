"""`onnx-recompose-norms`: decomposed LayerNorm and RMSNorm chains (as torch.onnx
exports them) become one normalization op.

Patterns, anchored at the op that divides by the root mean square (x over the last axis,
eps a scalar float constant, every ReduceMean over the last axis with keepdims=1):

    LayerNorm:  m = ReduceMean(x); d = Sub(x, m); v = ReduceMean(Pow(d, 2) | Mul(d, d));
                n = Div(d, Sqrt(Add(v, eps)))   (or Mul(d, Reciprocal(Sqrt(...))))
                [Mul(n, gamma)] [Add(., beta)]
        -> onnx.LayerNormalization(x, gamma | ones, beta?) {axis = -1, epsilon = eps}
    RMSNorm:    v = ReduceMean(Pow(x, 2) | Mul(x, x)); n = Div(x, Sqrt(Add(v, eps)))
                (or Mul(x, Reciprocal(Sqrt(...)))) [Mul(n, gamma)]
        -> strata.RMSNormalization(x, gamma | ones) {axis = -1, epsilon = eps}

gamma / beta are any tensors broadcasting to the normalized dim ([D], [1], []) for
LayerNorm, and to x for RMSNorm; they are taken only when the Mul / Add is the single
use of the value before it and keeps its type. Either operand order of Add / Mul is
matched. The new op takes the location and result name of the last op it replaces.

Exactness: the same formula, but the kernel computes the statistics in another order
(LayerNorm's variance is the mean of squared deviations, as in the chain); results agree
to float rounding (tested at 1e-4 against onnxruntime on the original model).

Does not fire (and logs why with `missed`) when an intermediate has another use or is a
graph output, the reduction is not over the last axis alone (or does not keep dims), eps
is not a scalar float constant, an op broadcasts to a larger shape, or the element type
is not float. Pow exponents other than 2 are not a square: no candidate. When only the
LayerNorm pattern misses because x - mean has another use, the RMSNorm pattern still
takes the core (an RMSNormalization of x - mean: the same values, fewer ops).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from dialects.shapes import tensor_shape as shape
from dialects.weights import weights_of
from dialects.dtypes import is_float_tensor, numpy_dtype
from compiler.passes.constants import PatternWithWeights, can_create_constants, known_constant, new_constant
from compiler.pattern_log import apply_patterns
from dialects.weights import WeightTable
from dialects.onnx.base import int_attr_value, node_name, unidirectional_broadcastable
from dialects.onnx.elementwise import AddOp, DivOp, MulOp, PowOp, ReciprocalOp, SqrtOp, SubOp
from dialects.onnx.nn import LayerNormalizationOp
from dialects.onnx.reduction import ReduceMeanOp
from dialects.strata.composite import RMSNormalizationOp

# ---- matching helpers (shared by the recompose passes) ---------------------------------

REL_TOL = 1e-4


def scalar_constant(value: SSAValue, weights: WeightTable | None, kinds: str = "f") -> float | None:
    """The value of a one-element `onnx.Constant` whose dtype kind is in `kinds`
    (floats by default), else None."""
    array = known_constant(value, weights)
    if array is None or array.dtype.kind not in kinds or array.size != 1:
        return None
    return float(array.reshape(()))


def close_to(got: float | None, want: float) -> bool:
    return got is not None and abs(got - want) <= REL_TOL * abs(want)


def used_only_by(value: SSAValue, users: Iterable[Operation]) -> bool:
    """Every use of `value` is by one of `users` (a returned value is used by
    func.return, so it never qualifies)."""
    allowed = set(users)
    return all(use.operation in allowed for use in value.uses)


def single_user(value: SSAValue) -> Operation | None:
    """The op of the only use of `value` (None for none or several uses)."""
    uses = list(value.uses)
    return uses[0].operation if len(uses) == 1 else None


def binary_operands(op: Operation, cls: type, commutative: bool = True) -> list[tuple[SSAValue, SSAValue]]:
    """(first, second) operand pairs of `op` if it is a `cls`: both orders when commutative."""
    if not isinstance(op, cls):
        return []
    a, b = op.operands
    return [(a, b), (b, a)] if commutative and a is not b else [(a, b)]


def owner_op(value: SSAValue) -> Operation | None:
    owner = value.owner
    return owner if isinstance(owner, Operation) else None


def reduces_last_axis(op: ReduceMeanOp, weights: WeightTable | None) -> bool:
    """A ReduceMean over the last axis alone that keeps dims."""
    rank = len(shape(op.data))
    if rank == 0 or int_attr_value(op.keepdims) != 1 or op.axes is None:
        return False
    axes = known_constant(op.axes, weights)
    if axes is None or axes.size != 1:
        return False
    return int(axes.reshape(())) % rank == rank - 1


def square_of(value: SSAValue, weights: WeightTable | None) -> tuple[SSAValue, Operation] | None:
    """(v, op) when `value` is Pow(v, 2) or Mul(v, v)."""
    op = owner_op(value)
    if isinstance(op, PowOp) and close_to(scalar_constant(op.y, weights, "fiu"), 2.0):
        return op.x, op
    if isinstance(op, MulOp) and op.a is op.b:
        return op.a, op
    return None


# ---- the shared core: v / sqrt(mean(v^2) + eps) -----------------------------------------


@dataclass
class _RmsCore:
    v: SSAValue  # the value normalized by its root mean square
    eps: float
    ops: list[Operation]  # the chain, the anchor last


def _rms_core(anchor: Operation, weights: WeightTable | None) -> _RmsCore | str | None:
    """Matches `anchor` as v / sqrt(mean(v^2) + eps) over the last axis. None: not a
    candidate at all; a string: a candidate that must not fire, and why."""
    candidates: list[tuple[SSAValue, SSAValue, list[Operation]]] = []  # (v, std, extra ops)
    if isinstance(anchor, DivOp):
        candidates.append((anchor.a, anchor.b, []))
    for v, r in binary_operands(anchor, MulOp):
        rec = owner_op(r)
        if isinstance(rec, ReciprocalOp):
            candidates.append((v, rec.x, [rec]))
    for v, std, extra in candidates:
        sqrt = owner_op(std)
        if not isinstance(sqrt, SqrtOp):
            continue
        add = owner_op(sqrt.x)
        for var, eps_value in binary_operands(add, AddOp):
            mean = owner_op(var)
            if not isinstance(mean, ReduceMeanOp):
                continue
            sq = square_of(mean.data, weights)
            if sq is None or sq[0] is not v:
                continue
            # A real candidate from here on.
            eps = scalar_constant(eps_value, weights)
            if eps is None:
                return "epsilon is not a scalar float constant"
            if not is_float_tensor(v):
                return "not a float tensor"
            if not reduces_last_axis(mean, weights):
                return "not a reduction over the last axis alone with keepdims"
            chain = [sq[1], mean, add, sqrt, *extra, anchor]
            for op, user in zip(chain, chain[1:]):
                if not used_only_by(op.results[0], [user]):
                    return "an intermediate has another use or is a graph output"
            if anchor.results[0].type != v.type or add.results[0].type != var.type:
                return "an op broadcasts to a larger shape"
            return _RmsCore(v, eps, chain)
    return None


def _absorb(value: SSAValue, cls: type, fits) -> tuple[Operation, SSAValue] | None:
    """(op, other operand) when the only use of `value` is a `cls` op with `value` as one
    operand and another operand that `fits`, keeping `value`'s type."""
    user = single_user(value)
    for mine, other in binary_operands(user, cls) if user is not None else []:
        if mine is value and other is not value and user.results[0].type == value.type and fits(other):
            return user, other
    return None


def _same_element(a: SSAValue, b: SSAValue) -> bool:
    ta, tb = a.type, b.type
    return isinstance(ta, TensorType) and isinstance(tb, TensorType) and ta.element_type == tb.element_type


def _ones(like: SSAValue, n: int, weights: WeightTable | None, replaced: Operation, what: str):
    ty = like.type
    assert isinstance(ty, TensorType)
    hint = f"{replaced.results[0].name_hint or 'norm'}_{what}"
    return new_constant(np.ones((n,), numpy_dtype(ty.element_type)), weights, f"{node_name(replaced)}_{what}", replaced, hint)


# ---- patterns --------------------------------------------------------------------------


class RecomposeLayerNorm(PatternWithWeights):
    """Sub-mean / sqrt(var + eps) [* gamma] [+ beta] -> onnx.LayerNormalization."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, (DivOp, MulOp)):
            return
        core = _rms_core(op, self.weights)
        if core is None or isinstance(core, str):
            return  # RecomposeRmsNorm reports the candidates that do not fire
        sub = owner_op(core.v)
        if not isinstance(sub, SubOp):
            return
        mean = owner_op(sub.b)
        if not (isinstance(mean, ReduceMeanOp) and mean.data is sub.a):
            return
        x = sub.a
        if not reduces_last_axis(mean, self.weights):
            self.missed(op, "mean not over the last axis alone with keepdims")
            return
        sq_op = core.ops[0]
        if not used_only_by(core.v, [sq_op, op]) or not used_only_by(mean.reduced, [sub]):
            self.missed(op, "an intermediate has another use or is a graph output")
            return
        if core.v.type != x.type:
            self.missed(op, "an op broadcasts to a larger shape")
            return
        d = shape(x)[-1]
        norm_dims = shape(x)[-1:]

        def fits(p: SSAValue) -> bool:
            return _same_element(p, x) and unidirectional_broadcastable(shape(p), norm_dims)

        last: Operation = op
        gamma = beta = None
        if (found := _absorb(last.results[0], MulOp, fits)) is not None:
            last, gamma = found
        if (found := _absorb(last.results[0], AddOp, fits)) is not None:
            last, beta = found
        new_ops: list[Operation] = []
        if gamma is None:
            if not can_create_constants([d], self.weights):
                self.missed(op, "no weight table for a ones gamma")
                return
            ones = _ones(x, d, self.weights, last, "gamma")
            new_ops.append(ones)
            gamma = ones.output
        ln = LayerNormalizationOp(x, gamma, beta, axis=-1, epsilon=core.eps)
        ln.location = last.location
        ln.y.name_hint = last.results[0].name_hint
        rewriter.replace(last, [*new_ops, ln], [ln.y])


class RecomposeRmsNorm(PatternWithWeights):
    """x / sqrt(mean(x^2) + eps) [* gamma] -> strata.RMSNormalization."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, (DivOp, MulOp)):
            return
        core = _rms_core(op, self.weights)
        if core is None:
            return
        if isinstance(core, str):
            self.missed(op, core)
            return
        x = core.v
        last: Operation = op
        gamma = None
        found = _absorb(op.results[0], MulOp, lambda p: _same_element(p, x) and unidirectional_broadcastable(shape(p), shape(x)))
        if found is not None:
            last, gamma = found
        new_ops: list[Operation] = []
        if gamma is None:
            d = shape(x)[-1]
            if not can_create_constants([d], self.weights):
                self.missed(op, "no weight table for a ones scale")
                return
            ones = _ones(x, d, self.weights, last, "scale")
            new_ops.append(ones)
            gamma = ones.output
        # strata.RMSNormalization: its dialect is not onnx. `last` has x's type (_absorb
        # and _rms_core keep it), which the op gives its result.
        rms = RMSNormalizationOp(x, gamma, axis=-1, epsilon=core.eps)
        rms.location = last.location
        rms.y.name_hint = last.results[0].name_hint
        rewriter.replace(last, [*new_ops, rms], [rms.y])


# ---- the pass --------------------------------------------------------------------------


def recompose_norms_patterns(weights: WeightTable | None) -> list[RewritePattern]:
    # LayerNorm first: its core is an RMSNorm of x - mean.
    return [RecomposeLayerNorm(weights), RecomposeRmsNorm(weights)]


@dataclass(frozen=True)
class RecomposeNormsPass(ModulePass):
    """Decomposed LayerNorm / RMSNorm chains -> onnx.LayerNormalization /
    strata.RMSNormalization (see the module docstring)."""

    name = "onnx-recompose-norms"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(ctx, op, recompose_norms_patterns(weights_of(ctx)))
