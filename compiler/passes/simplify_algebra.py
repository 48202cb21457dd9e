"""`onnx-simplify-algebra`: algebraic identities on the graph level.

One small RewritePattern per identity, applied greedily to a fixpoint (new ops are
revisited; like canonicalize, the walk also removes every op without uses, so the
identity constants and inner ops of folded chains go away). Constants are read
with `dialects.weights.constant_value`; new constants are made with `tensor_attr`, so
large ones live in the weight table and stay out of the IR text.

Every rewrite keeps the replaced value's type exactly: an identity whose constant
broadcasts the other operand to a bigger shape (x: 3xf32 + zeros: 2x3xf32) does not
fire, and no returned value is ever retyped.

Patterns, and how exact they are (x is float or integer unless stated):

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
    Div(x, c) -> Mul(x, 1/c) for a float constant c: NOT exact. 1/c is rounded to the
        element type, so the result may differ from x / c by about one ulp (tested at
        1e-6 relative for f32). Does not fire when c has a zero, a NaN or an inf,
        or when 1/c overflows or is subnormal.
    Pow(x, 2) -> Mul(x, x): floats only. Exact (onnxruntime computes Pow by 2 as
        x * x). Integers do not fire (onnxruntime and Strata compute integer Pow in
        double and convert; on overflow that differs from a wrapping multiply).
    Pow(x, 0.5) -> Sqrt(x): floats only. Equal to numpy.power (which computes the
        0.5 power as sqrt). Against onnxruntime's Pow it is NOT bit-exact: pow is
        not correctly rounded there (about 0.06 % of random f32 inputs differ by
        1 ulp), and pow(-inf, 0.5) = +inf, pow(-0.0, 0.5) = +0.0 where Sqrt gives
        NaN and -0.0. For every other negative x both give NaN.
    Neg(Neg(x)) -> x; Relu(Relu(x)) -> Relu(x); Abs(Abs(x)) -> Abs(x). Exact.

New constants (zeros, the reciprocal) and new ops carry the location (ONNX node name)
of the op they replace. Without a weight table (a plain xDSL Context) only constants
of at most 16 elements are read or created; larger ones make a pattern not fire.

Run standalone (until it is registered with opt-tool):
    python3 -m compiler.passes.simplify_algebra graph.mlir [--split-input-file]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)

from dialects.weights import weights_of
from compiler.pattern_log import apply_patterns
from dialects.dtypes import numpy_dtype
from compiler.passes.constants import PatternWithWeights, can_create_constants, known_constant, new_constant
from dialects.weights import WeightTable
from dialects.onnx.base import element_kind, node_name
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
    SqrtOp,
    SubOp,
    XorOp,
)
from dialects.onnx.tensor import ConstantOp

# ---- helpers ----------------------------------------------------------------------------


def _is_const(value: SSAValue) -> bool:
    return isinstance(value.owner, ConstantOp)


def _all(array: np.ndarray | None, scalar: float) -> bool:
    return array is not None and bool(np.all(array == scalar))


def _kind(value: SSAValue) -> str | None:
    ty = value.type
    return element_kind(ty.element_type) if isinstance(ty, TensorType) else None


def _numeric(value: SSAValue) -> bool:
    return _kind(value) in ("float", "int")


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
        consts = [v for v in operands if _is_const(v)]
        others = [v for v in operands if not _is_const(v)]
        reordered = others + consts
        if reordered == operands:
            return
        # Broadcasting is symmetric, so the reordered op has the same result type.
        (result,) = op.results
        new_operands = reordered if isinstance(op, _COMMUTATIVE_BINARY) else [reordered]
        new = type(op).build(operands=new_operands, result_types=[result.type], properties=dict(op.properties))
        new.location = op.location
        rewriter.replace(op, new)


# ---- identity elements -------------------------------------------------------------------


class AddZero(PatternWithWeights):
    """x + 0 -> x and 0 + x -> x when the result has x's type."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AddOp, rewriter: PatternRewriter) -> None:
        for x, c in ((op.a, op.b), (op.b, op.a)):
            if op.c.type == x.type and _numeric(x) and _all(known_constant(c, self.weights), 0):
                _replace_with_value(rewriter, op, x)
                return


class SubZero(PatternWithWeights):
    """x - 0 -> x when the result has x's type."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: SubOp, rewriter: PatternRewriter) -> None:
        if op.c.type == op.a.type and _numeric(op.a) and _all(known_constant(op.b, self.weights), 0):
            _replace_with_value(rewriter, op, op.a)


class MulOne(PatternWithWeights):
    """x * 1 -> x and 1 * x -> x when the result has x's type."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MulOp, rewriter: PatternRewriter) -> None:
        for x, c in ((op.a, op.b), (op.b, op.a)):
            if op.c.type == x.type and _numeric(x) and _all(known_constant(c, self.weights), 1):
                _replace_with_value(rewriter, op, x)
                return


class DivOne(PatternWithWeights):
    """x / 1 -> x when the result has x's type."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DivOp, rewriter: PatternRewriter) -> None:
        if op.c.type == op.a.type and _numeric(op.a) and _all(known_constant(op.b, self.weights), 1):
            _replace_with_value(rewriter, op, op.a)


# ---- zeros (integers only) ---------------------------------------------------------------


class MulZeroInt(PatternWithWeights):
    """x * 0 -> zeros of the result type, integers only (for floats NaN * 0 and
    inf * 0 are NaN and -x * 0 is -0.0, so it does not fire)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MulOp, rewriter: PatternRewriter) -> None:
        if _kind(op.c) != "int":
            return
        if _all(known_constant(op.b, self.weights), 0) or _all(known_constant(op.a, self.weights), 0):
            _replace_with_zeros(rewriter, op, self.weights)


class SubSelfInt(PatternWithWeights):
    """Sub(x, x) -> zeros, integers only (for floats inf - inf and NaN - NaN are NaN)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: SubOp, rewriter: PatternRewriter) -> None:
        if op.a is op.b and _kind(op.c) == "int":
            _replace_with_zeros(rewriter, op, self.weights)


# ---- division by a constant --------------------------------------------------------------


class DivByConstantToMul(PatternWithWeights):
    """Div(x, c) -> Mul(x, 1/c) for a float constant c. Not exact: 1/c is rounded to
    the element type (about one ulp of difference). Skipped when c has a zero, NaN or
    inf, or when 1/c overflows or is subnormal."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DivOp, rewriter: PatternRewriter) -> None:
        if _kind(op.b) != "float":
            return
        c = known_constant(op.b, self.weights)
        if c is None or c.size == 0 or not np.all(np.isfinite(c)) or np.any(c == 0):
            return
        with np.errstate(over="ignore", under="ignore"):
            r = (1.0 / c.astype(np.float64)).astype(c.dtype)
        if not np.all(np.isfinite(r)) or np.any(np.abs(r) < np.finfo(c.dtype).tiny):
            return
        if not can_create_constants([r.size], self.weights):
            return
        hint = op.b.name_hint
        const = new_constant(
            r, self.weights, f"{node_name(op)}_reciprocal", op, f"{hint}_reciprocal" if hint else None
        )
        mul = MulOp.build(operands=[op.a, const.output], result_types=[op.c.type])
        mul.location = op.location
        rewriter.replace(op, [const, mul])


# ---- Pow by a constant exponent ----------------------------------------------------------


def _pow_exponent(op: PowOp, weights: WeightTable | None, value: float) -> bool:
    """Whether every element of op's exponent is `value` and the result has x's type."""
    return op.z.type == op.x.type and _all(known_constant(op.y, weights), value)


class PowOne(PatternWithWeights):
    """Pow(x, 1) -> x."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: PowOp, rewriter: PatternRewriter) -> None:
        if _numeric(op.x) and _pow_exponent(op, self.weights, 1):
            _replace_with_value(rewriter, op, op.x)


class PowTwo(PatternWithWeights):
    """Pow(x, 2) -> Mul(x, x), floats only."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: PowOp, rewriter: PatternRewriter) -> None:
        if _kind(op.x) == "float" and _pow_exponent(op, self.weights, 2):
            mul = MulOp.build(operands=[op.x, op.x], result_types=[op.z.type])
            mul.location = op.location
            rewriter.replace(op, mul)


class PowHalf(PatternWithWeights):
    """Pow(x, 0.5) -> Sqrt(x), floats only (see the module docstring for -inf, -0.0)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: PowOp, rewriter: PatternRewriter) -> None:
        if _kind(op.x) == "float" and _pow_exponent(op, self.weights, 0.5):
            sqrt = SqrtOp.build(operands=[op.x], result_types=[op.z.type])
            sqrt.location = op.location
            rewriter.replace(op, sqrt)


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


# ---- the pass ----------------------------------------------------------------------------


def simplify_algebra_patterns(weights: WeightTable | None) -> list[RewritePattern]:
    return [
        HoistConstantRight(),
        AddZero(weights),
        SubZero(weights),
        MulOne(weights),
        DivOne(weights),
        MulZeroInt(weights),
        SubSelfInt(weights),
        DivByConstantToMul(weights),
        PowOne(weights),
        PowTwo(weights),
        PowHalf(weights),
        NegNeg(),
        ReluRelu(),
        AbsAbs(),
    ]


@dataclass(frozen=True)
class SimplifyAlgebraPass(ModulePass):
    """Algebraic identities on onnx ops (see the module docstring for each one and
    for which are not bit-exact)."""

    name = "onnx-simplify-algebra"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = simplify_algebra_patterns(weights_of(ctx))
        apply_patterns(ctx, op, patterns)
