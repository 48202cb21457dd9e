"""Canonicalization patterns of the onnx ops: the exact local identities.

Each pattern rewrites one op (its root) from that op and its operands' producers alone.
`canonicalization_patterns_by_op` lists them per op class; the `OnnxCanonicalization`
trait (dialects/onnx/traits.py, on every onnx op) hands them to xDSL's `canonicalize`,
and `onnx-simplify-algebra` (compiler/passes/simplify_algebra.py) runs the same
patterns, with the compile's weight table, plus the identities that are not exact.

"Exact" means the rewritten graph computes equal values (==, NaN where NaN) for every
input; canonicalize runs in every -O pipeline's cleanup, also when a user disables
onnx-simplify-algebra, so a rewrite that may change a value does not belong here.
Every rewrite keeps the replaced value's type exactly: an identity whose constant
broadcasts the other operand to a bigger shape (x: 3xf32 + zeros: 2x3xf32) does not
fire, and no returned value is ever retyped.

The patterns (x is float or integer unless stated):

    Add(c, x) -> Add(x, c), same for Mul, Equal, And, Or, Xor; Max/Min move every
        constant operand after the others. Exact (these ops are commutative; Strata's
        max/min are NaN-propagating and symmetric). Normalizes for the patterns
        below and for cse.
    x + 0, 0 + x, x - 0 -> x. Integers: exact. Floats: exact except for the sign of
        a zero: -0.0 + (+0.0) is +0.0 where the rewrite gives -0.0 (and x - (-0.0)
        likewise); the values compare equal.
    x * 1, 1 * x, x / 1, Pow(x, 1) -> x. Exact.
    x * 0, 0 * x -> zeros: integers only (exact). Floats do not fire:
        NaN * 0 and inf * 0 are NaN, and -x * 0 is -0.0.
    Sub(x, x) -> zeros: integers only (exact). Floats do not fire: inf - inf and
        NaN - NaN are NaN.
    Pow(x, 2) -> Mul(x, x): floats only. Exact (onnxruntime computes Pow by 2 as
        x * x). Integers do not fire (onnxruntime and Strata compute integer Pow in
        double and convert; on overflow that differs from a wrapping multiply).
    Neg(Neg(x)) -> x; Relu(Relu(x)) -> Relu(x); Abs(Abs(x)) -> Abs(x). Exact.

New constants (zeros) and new ops carry the location (ONNX node name) of the op they
replace. A pattern reads constants through `known_constant` with its `weights`: the
instances registered for canonicalize have none (xDSL gives patterns no context), so
under canonicalize only inline constants are read and only constants of at most 16
elements are made; onnx-simplify-algebra's instances carry the compile's weight table
and also see `dense_resource` constants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from dialects.dtypes import numpy_dtype
from dialects.onnx.base import element_kind, node_name
from dialects.onnx.constants import can_create_constants, known_constant, new_constant
from dialects.onnx.elementwise import (
    AbsOp,
    AddOp,
    AndOp,
    DivOp,
    EqualOp,
    MaxOp,
    MinOp,
    MulOp,
    NegOp,
    OrOp,
    PowOp,
    ReluOp,
    SubOp,
    XorOp,
)
from dialects.onnx.tensor import ConstantOp
from dialects.onnx.traits import register_canonicalization_patterns
from dialects.weights import WeightTable

# ---- helpers (also used by onnx-simplify-algebra's own patterns) -------------------------


def is_constant(value: SSAValue) -> bool:
    return isinstance(value.owner, ConstantOp)


def all_equal(array: np.ndarray | None, scalar: float) -> bool:
    """Whether `array` is known and every element equals `scalar`."""
    return array is not None and bool(np.all(array == scalar))


def kind_of(value: SSAValue) -> str | None:
    """"float", "int", "bool" or None: the element kind of a tensor value."""
    ty = value.type
    return element_kind(ty.element_type) if isinstance(ty, TensorType) else None


def _numeric(value: SSAValue) -> bool:
    return kind_of(value) in ("float", "int")


def _replace_with_value(rewriter: PatternRewriter, op: Operation, value: SSAValue) -> None:
    """Replaces op's single result by an existing value of the same type."""
    assert op.results[0].type == value.type
    rewriter.replace(op, [], [value])


def _replace_with_zeros(rewriter: PatternRewriter, op: Operation, weights: WeightTable | None) -> None:
    ty = op.results[0].type
    assert isinstance(ty, TensorType)
    shape = tuple(ty.get_shape())
    if any(d < 0 for d in shape) or not can_create_constants([int(np.prod(shape))], weights):
        return
    zeros = np.zeros(shape, numpy_dtype(ty.element_type))
    const = new_constant(zeros, weights, f"{node_name(op)}_zeros", op, op.results[0].name_hint)
    rewriter.replace(op, const)


@dataclass
class ConstantReadingPattern(RewritePattern):
    """A pattern that reads (or makes) constant data; `weights` is the compile's weight
    table, None where there is none (canonicalize)."""

    weights: WeightTable | None = None


# ---- commutative ops: constants to the right ---------------------------------------------

_COMMUTATIVE_BINARY = (AddOp, MulOp, EqualOp, AndOp, OrOp, XorOp)


class HoistConstantRight(RewritePattern):
    """Add(c, x) -> Add(x, c) for commutative binary ops (and Max/Min: every constant
    operand after the others). Fires only when a constant precedes a non-constant."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if isinstance(op, _COMMUTATIVE_BINARY):
            operands = [op.a, op.b]
        elif isinstance(op, (MaxOp, MinOp)):
            operands = list(op.data_0)
        else:
            return
        consts = [v for v in operands if is_constant(v)]
        others = [v for v in operands if not is_constant(v)]
        reordered = others + consts
        if reordered == operands:
            return
        # Broadcasting is symmetric, so the op keeps its result type and attributes:
        # its operands are reordered in place (no new op for a different order).
        for i, value in enumerate(reordered):
            op.operands[i] = value
        rewriter.notify_op_modified(op)


# ---- identity elements -------------------------------------------------------------------


class AddZero(ConstantReadingPattern):
    """x + 0 -> x and 0 + x -> x when the result has x's type."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AddOp, rewriter: PatternRewriter) -> None:
        for x, c in ((op.a, op.b), (op.b, op.a)):
            if op.c.type == x.type and _numeric(x) and all_equal(known_constant(c, self.weights), 0):
                _replace_with_value(rewriter, op, x)
                return


class SubZero(ConstantReadingPattern):
    """x - 0 -> x when the result has x's type."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: SubOp, rewriter: PatternRewriter) -> None:
        if op.c.type == op.a.type and _numeric(op.a) and all_equal(known_constant(op.b, self.weights), 0):
            _replace_with_value(rewriter, op, op.a)


class MulOne(ConstantReadingPattern):
    """x * 1 -> x and 1 * x -> x when the result has x's type."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MulOp, rewriter: PatternRewriter) -> None:
        for x, c in ((op.a, op.b), (op.b, op.a)):
            if op.c.type == x.type and _numeric(x) and all_equal(known_constant(c, self.weights), 1):
                _replace_with_value(rewriter, op, x)
                return


class DivOne(ConstantReadingPattern):
    """x / 1 -> x when the result has x's type."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DivOp, rewriter: PatternRewriter) -> None:
        if op.c.type == op.a.type and _numeric(op.a) and all_equal(known_constant(op.b, self.weights), 1):
            _replace_with_value(rewriter, op, op.a)


# ---- zeros (integers only) ---------------------------------------------------------------


class MulZeroInt(ConstantReadingPattern):
    """x * 0 -> zeros of the result type, integers only (for floats NaN * 0 and
    inf * 0 are NaN and -x * 0 is -0.0, so it does not fire)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MulOp, rewriter: PatternRewriter) -> None:
        if kind_of(op.c) != "int":
            return
        if all_equal(known_constant(op.b, self.weights), 0) or all_equal(known_constant(op.a, self.weights), 0):
            _replace_with_zeros(rewriter, op, self.weights)


class SubSelfInt(ConstantReadingPattern):
    """Sub(x, x) -> zeros, integers only (for floats inf - inf and NaN - NaN are NaN)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: SubOp, rewriter: PatternRewriter) -> None:
        if op.a is op.b and kind_of(op.c) == "int":
            _replace_with_zeros(rewriter, op, self.weights)


# ---- Pow by a constant exponent ----------------------------------------------------------


def pow_exponent_is(op: PowOp, weights: WeightTable | None, value: float) -> bool:
    """Whether every element of op's exponent is `value` and the result has x's type."""
    return op.z.type == op.x.type and all_equal(known_constant(op.y, weights), value)


class PowOne(ConstantReadingPattern):
    """Pow(x, 1) -> x."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: PowOp, rewriter: PatternRewriter) -> None:
        if _numeric(op.x) and pow_exponent_is(op, self.weights, 1):
            _replace_with_value(rewriter, op, op.x)


class PowTwo(ConstantReadingPattern):
    """Pow(x, 2) -> Mul(x, x), floats only."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: PowOp, rewriter: PatternRewriter) -> None:
        if kind_of(op.x) == "float" and pow_exponent_is(op, self.weights, 2):
            mul = MulOp(op.x, op.x, result_type=op.z.type)
            mul.location = op.location
            rewriter.replace(op, mul)


# ---- unary chains ------------------------------------------------------------------------


class NegNeg(RewritePattern):
    """Neg(Neg(x)) -> x."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: NegOp, rewriter: PatternRewriter) -> None:
        inner = op.x.owner
        if isinstance(inner, NegOp):
            _replace_with_value(rewriter, op, inner.x)


class ReluRelu(RewritePattern):
    """Relu(Relu(x)) -> Relu(x)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ReluOp, rewriter: PatternRewriter) -> None:
        if isinstance(op.x.owner, ReluOp):
            _replace_with_value(rewriter, op, op.x)


class AbsAbs(RewritePattern):
    """Abs(Abs(x)) -> Abs(x)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AbsOp, rewriter: PatternRewriter) -> None:
        if isinstance(op.x.owner, AbsOp):
            _replace_with_value(rewriter, op, op.x)


# ---- the table ---------------------------------------------------------------------------


def canonicalization_patterns_by_op(
    weights: WeightTable | None,
) -> dict[type[Operation], tuple[RewritePattern, ...]]:
    """Each op class's canonicalization patterns, in the order they are tried, reading
    constants from `weights` (None: inline constants only)."""
    hoist = HoistConstantRight()
    return {
        AddOp: (hoist, AddZero(weights)),
        SubOp: (SubZero(weights), SubSelfInt(weights)),
        MulOp: (hoist, MulOne(weights), MulZeroInt(weights)),
        DivOp: (DivOne(weights),),
        PowOp: (PowOne(weights), PowTwo(weights)),
        EqualOp: (hoist,),
        AndOp: (hoist,),
        OrOp: (hoist,),
        XorOp: (hoist,),
        MaxOp: (hoist,),
        MinOp: (hoist,),
        NegOp: (NegNeg(),),
        ReluOp: (ReluRelu(),),
        AbsOp: (AbsAbs(),),
    }


def canonicalization_patterns(weights: WeightTable | None) -> list[RewritePattern]:
    """All canonicalization patterns of the onnx ops, once each (a pattern shared by
    several op classes, as HoistConstantRight, appears once), in table order."""
    seen: dict[int, RewritePattern] = {}
    for patterns in canonicalization_patterns_by_op(weights).values():
        for p in patterns:
            seen.setdefault(id(p), p)
    return list(seen.values())


register_canonicalization_patterns(canonicalization_patterns_by_op(None))
