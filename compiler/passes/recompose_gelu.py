"""`onnx-recompose-gelu`: decomposed GELU chains become `onnx.Gelu`.

Patterns, anchored at the Mul that ends the product x * 0.5 * (1 + f(x)) (the product
may be grouped and ordered any way: Mul(Mul(x, p), 0.5), Mul(Mul(x, 0.5), p),
Mul(x, Mul(p, 0.5)), constants on either side):

    GELU (erf):      p = Add(Erf(Div(x, sqrt(2)) | Mul(x, 1/sqrt(2))), 1)
        -> onnx.Gelu(x) (approximate "none")
    FastGELU (tanh): p = Add(Tanh(Mul(sqrt(2/pi), Add(x, Mul(0.044715, x^3)))), 1),
                     x^3 as Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x)
        -> onnx.Gelu(x) {approximate = "tanh"}

Every constant is a one-element float `onnx.Constant` and must be within 1e-4 relative
of its exact value. The Gelu takes the location and result name of the final Mul.

Exactness: the same formula up to the constants' rounding (within 1e-4 relative by the
match; the usual f32 constants are the exact values rounded); tested at 1e-4 against
onnxruntime on the original model.

Does not fire (and logs why with `missed`) when a constant is off, an intermediate has
another use or is a graph output, the erf / tanh argument is not built from the same x
as the product (or is grouped otherwise, e.g. sqrt(2/pi) x + c x^3 with the scale
distributed), or the product broadcasts to a larger shape than x. A Mul that is
itself only a factor of another Mul is left to that Mul (no log).
"""

from __future__ import annotations

import math
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
    close_to,
    is_float_tensor,
    owner_op,
    scalar_constant,
    single_user,
    used_only_by,
)
from compiler.pattern_log import apply_patterns
from dialects.weights import WeightTable
from dialects.onnx.elementwise import AddOp, DivOp, ErfOp, GeluOp, MulOp, PowOp, TanhOp

SQRT2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
CUBIC = 0.044715
MAX_FACTORS = 4


class _NoMatch(Exception):
    """A candidate that must not fire; the message says why."""


@dataclass
class _Gelu:
    x: SSAValue
    approximate: str
    chain: list[tuple[Operation, Operation]]  # (producer, its only consumer) pairs


def _factors(value: SSAValue, parent: Operation, out: list[tuple[SSAValue, Operation]]) -> None:
    """The leaves of the product tree under `value`, expanding Muls used only by their
    parent, each with the Mul that reads it."""
    op = owner_op(value)
    if isinstance(op, MulOp) and single_user(value) is parent and len(out) < MAX_FACTORS:
        _factors(op.a, op, out)
        _factors(op.b, op, out)
    else:
        out.append((value, parent))


class RecomposeGelu(PatternWithWeights):
    """x * 0.5 * (1 + erf(x / sqrt 2)) -> Gelu; x * 0.5 * (1 + tanh(sqrt(2/pi) (x +
    0.044715 x^3))) -> Gelu(approximate = "tanh")."""

    def _const(self, value: SSAValue, want: float, what: str) -> None:
        got = scalar_constant(value, self.weights)
        if got is None:
            raise _NoMatch(f"{what} is not a scalar float constant")
        if not close_to(got, want):
            raise _NoMatch(f"{what} is {got:g}, not {want:g} within 1e-4")

    def _erf_arg(self, t: SSAValue, x: SSAValue, chain: list) -> None:
        """t = x / sqrt(2) or x * (1 / sqrt(2))."""
        op = owner_op(t)
        if isinstance(op, DivOp) and op.a is x:
            self._const(op.b, SQRT2, "the erf divisor")
            return
        for a, c in binary_operands(op, MulOp):
            if a is x:
                self._const(c, 1.0 / SQRT2, "the erf scale")
                return
        raise _NoMatch("the erf argument is not x / sqrt(2) of the same x")

    def _cube(self, value: SSAValue, x: SSAValue, chain: list) -> None:
        op = owner_op(value)
        if isinstance(op, PowOp) and op.x is x:
            got = scalar_constant(op.y, self.weights, "fiu")
            if close_to(got, 3.0):
                return
            raise _NoMatch("the cube's exponent is not 3")
        for a, sq in binary_operands(op, MulOp):
            sq_op = owner_op(sq)
            if a is x and isinstance(sq_op, MulOp) and sq_op.a is x and sq_op.b is x:
                chain.append((sq_op, op))
                return
        raise _NoMatch("the cubic term is not x^3 of the same x")

    def _tanh_arg(self, u: SSAValue, x: SSAValue, chain: list) -> None:
        """u = sqrt(2/pi) * (x + 0.044715 * x^3)."""
        for c, w in binary_operands(owner_op(u), MulOp):
            w_op = owner_op(w)
            for a, k in binary_operands(w_op, AddOp):
                if a is not x:
                    continue
                k_op = owner_op(k)
                for c2, cube in binary_operands(k_op, MulOp):
                    if scalar_constant(c2, self.weights) is None:
                        continue
                    self._const(c, SQRT_2_OVER_PI, "the tanh scale")
                    self._const(c2, CUBIC, "the cubic coefficient")
                    self._cube(cube, x, chain)
                    chain += [(w_op, owner_op(u)), (k_op, w_op), (owner_op(cube), k_op)]
                    return
        raise _NoMatch("the tanh argument is not sqrt(2/pi) * (x + 0.044715 x^3) of the same x")

    def _match(self, op: MulOp) -> _Gelu | None:
        leaves: list[tuple[SSAValue, Operation]] = []
        _factors(op.a, op, leaves)
        _factors(op.b, op, leaves)
        tails = []
        for i, (p, reader) in enumerate(leaves):
            for e, one in binary_operands(owner_op(p), AddOp):
                fn = owner_op(e)
                if isinstance(fn, (ErfOp, TanhOp)):
                    tails.append((i, p, reader, one, fn))
        if len(tails) != 1:
            return None
        i, p, reader, one, fn = tails[0]
        rest = [leaf for j, leaf in enumerate(leaves) if j != i]
        halves = [j for j, (v, _) in enumerate(rest) if close_to(scalar_constant(v, self.weights), 0.5)]
        if len(rest) != 2 or len(halves) != 1:
            if single_user(op.c) is not None and isinstance(single_user(op.c), MulOp):
                return None  # a partial product: the outer Mul decides
            raise _NoMatch("the product is not x * 0.5 * (1 + f(x))")
        x = rest[1 - halves[0]][0]
        if not is_float_tensor(x):
            raise _NoMatch("not a float tensor")
        add_op = owner_op(p)
        self._const(one, 1.0, "the added constant")
        chain: list[tuple[Operation, Operation]] = [(add_op, reader), (fn, add_op)]
        arg = fn.operands[0]
        chain.append((owner_op(arg), fn))
        if isinstance(fn, ErfOp):
            self._erf_arg(arg, x, chain)
            approximate = "none"
        else:
            self._tanh_arg(arg, x, chain)
            approximate = "tanh"
        for producer, consumer in chain:
            if not used_only_by(producer.results[0], [consumer]):
                raise _NoMatch("an intermediate has another use or is a graph output")
        if op.c.type != x.type:
            raise _NoMatch("the product broadcasts to a larger shape than x")
        return _Gelu(x, approximate, chain)

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, MulOp):
            return
        try:
            found = self._match(op)
        except _NoMatch as e:
            self.missed(op, str(e))
            return
        if found is None:
            return
        gelu = GeluOp(found.x, approximate="tanh" if found.approximate == "tanh" else None)
        gelu.location = op.location
        gelu.y.name_hint = op.c.name_hint
        rewriter.replace(op, gelu, [gelu.y])


def recompose_gelu_patterns(weights: WeightTable | None) -> list[RewritePattern]:
    return [RecomposeGelu(weights)]


@dataclass(frozen=True)
class RecomposeGeluPass(ModulePass):
    """Decomposed erf / tanh GELU chains -> onnx.Gelu (see the module docstring)."""

    name = "onnx-recompose-gelu"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(ctx, op, recompose_gelu_patterns(weights_of(ctx)))
