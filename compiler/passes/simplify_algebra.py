"""`onnx-simplify-algebra`: algebraic identities on the graph level.

The group that runs the onnx ops' canonicalization patterns (the exact local
identities, dialects/onnx/canonicalization.py: constants hoisted to the right of
commutative ops, x + 0, x * 1, x / 1, Pow(x, 1), integer x * 0 and x - x, Pow(x, 2) ->
x * x, Neg(Neg), Relu(Relu), Abs(Abs)) with the compile's weight table, so they also see
`dense_resource` constants, plus the two identities below that are local but not exact,
which therefore are not canonicalization patterns: xDSL's `canonicalize` runs in every
-O pipeline's cleanup, also when a user disables this pass to keep a Div or a Pow as it
is. No identity here is a whole-graph one.

All patterns are applied greedily to a fixpoint (new ops are revisited; like
canonicalize, the walk also removes every op without uses, so the identity constants
and inner ops of folded chains go away). Constants are read with `known_constant`; new
constants are made with `tensor_attr`, so large ones live in the weight table and stay
out of the IR text. Every rewrite keeps the replaced value's type exactly.

The patterns of this pass only, and how exact they are:

    Div(x, c) -> Mul(x, 1/c) for a float constant c: NOT exact. 1/c is rounded to the
        element type, so the result may differ from x / c by about one ulp (tested at
        1e-6 relative for f32). Does not fire when c has a zero, a NaN or an inf,
        or when 1/c overflows or is subnormal.
    Pow(x, 0.5) -> Sqrt(x): floats only. Equal to numpy.power (which computes the
        0.5 power as sqrt). Against onnxruntime's Pow it is NOT bit-exact: pow is
        not correctly rounded there (about 0.06 % of random f32 inputs differ by
        1 ulp), and pow(-inf, 0.5) = +inf, pow(-0.0, 0.5) = +0.0 where Sqrt gives
        NaN and -0.0. For every other negative x both give NaN.

New constants (zeros, the reciprocal) and new ops carry the location (ONNX node name)
of the op they replace. Without a weight table (a plain xDSL Context) only constants
of at most 16 elements are read or created; larger ones make a pattern not fire.

    opt-tool graph.mlir -p onnx-simplify-algebra   # this pass
    opt-tool graph.mlir -p canonicalize            # the exact identities only, inline constants
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern, op_type_rewrite_pattern

from compiler.passes.constants import PatternWithWeights, can_create_constants, known_constant, new_constant
from compiler.pattern_log import apply_patterns
from dialects.onnx.base import node_name
from dialects.onnx.canonicalization import canonicalization_patterns, kind_of, pow_exponent_is
from dialects.onnx.elementwise import DivOp, MulOp, PowOp, SqrtOp
from dialects.weights import WeightTable, weights_of

# ---- division by a constant --------------------------------------------------------------


class DivByConstantToMul(PatternWithWeights):
    """Div(x, c) -> Mul(x, 1/c) for a float constant c. Not exact: 1/c is rounded to
    the element type (about one ulp of difference). Skipped when c has a zero, NaN or
    inf, or when 1/c overflows or is subnormal."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DivOp, rewriter: PatternRewriter) -> None:
        if kind_of(op.b) != "float":
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
        mul = MulOp(op.a, const.output, result_type=op.c.type)
        mul.location = op.location
        rewriter.replace(op, [const, mul])


# ---- Pow by one half ---------------------------------------------------------------------


class PowHalf(PatternWithWeights):
    """Pow(x, 0.5) -> Sqrt(x), floats only (see the module docstring for -inf, -0.0)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: PowOp, rewriter: PatternRewriter) -> None:
        if kind_of(op.x) == "float" and pow_exponent_is(op, self.weights, 0.5):
            sqrt = SqrtOp(op.x, result_type=op.z.type)
            sqrt.location = op.location
            rewriter.replace(op, sqrt)


# ---- the pass ----------------------------------------------------------------------------


def simplify_algebra_patterns(weights: WeightTable | None) -> list[RewritePattern]:
    """The onnx canonicalization patterns, then this pass's own (a Div by exactly 1
    becomes x before DivByConstantToMul would make it a Mul by 1)."""
    return [*canonicalization_patterns(weights), DivByConstantToMul(weights), PowHalf(weights)]


@dataclass(frozen=True)
class SimplifyAlgebraPass(ModulePass):
    """Algebraic identities on onnx ops (see the module docstring for each one and
    for which are not bit-exact)."""

    name = "onnx-simplify-algebra"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        patterns = simplify_algebra_patterns(weights_of(ctx))
        apply_patterns(ctx, op, patterns)
