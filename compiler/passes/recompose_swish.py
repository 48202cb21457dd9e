"""`onnx-recompose-swish`: decomposed Swish / SiLU and HardSwish become one op, so that
`onnx-fuse-activation` can fold them into a conv / GEMM epilogue (EfficientNet's SiLU
after every conv, MobileNet's HardSwish).

Patterns, anchored at the Mul (or Div by a constant) that ends the product; the product
may be grouped and ordered any way (Mul(Mul(x, g), c), Mul(x, Mul(g, c)), Div(Mul(x,
g), 6), Mul(x, Div(g, 6)), constants on either side), its scalar constants multiply
into one scale s:

    Swish / SiLU   x * Sigmoid(x)                 (s = 1) -> onnx.Swish(x)
    QuickGelu      x * Sigmoid(Mul(x, a))         (s = 1) -> onnx.Swish(x) {alpha = a}
    HardSwish      x * HardSigmoid(x) {alpha 1/6, beta 0.5}            (s = 1)
                   x * Clip(Add(x, 3), 0, 6) / 6  (s = 1/6, torch's x * relu6(x + 3) / 6)
                   -> onnx.HardSwish(x)

onnx.Swish is an opset-24 op; Strata holds it at any opset (the exporter writes it as a
model-local function of Sigmoid and Mul, since exported models are opset 21). The
recomposed op takes the location and result name of the final op.

Exactness: Swish and HardSwish compute the same function; constants (a, 1/6, 0.5, 3,
6, the scale) are matched within 1e-4 relative (0 exactly), so the usual f32 roundings
of 1/6 match. The kernels compute x / (1 + e^(-a x)) and x * clamp(x / 6 + 1/2, 0, 1):
a few ulp from onnxruntime's x * sigmoid(x) (tested at 1e-4 against onnxruntime).

Does not fire (and logs why with `missed`) when a constant is off, an intermediate
(the Sigmoid, HardSigmoid, Clip, Add, inner Mul) has another use or is a graph output,
the gate is not built from the same x as the product, or the product broadcasts to a
larger shape than x. A Mul that is itself only a factor of another Mul is left to that
Mul when it does not match on its own (no log): the outer one may bring the 1/6.
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
    close_to,
    is_float_tensor,
    owner_op,
    scalar_constant,
    single_user,
    used_only_by,
)
from compiler.pattern_log import apply_patterns
from dialects.weights import WeightTable
from dialects.onnx.base import float_attr_value
from dialects.onnx.elementwise import AddOp, ClipOp, DivOp, HardSigmoidOp, HardSwishOp, MulOp, SigmoidOp, SwishOp

MAX_FACTORS = 4


class _NoMatch(Exception):
    """A candidate that must not fire; the message says why."""


@dataclass
class _Product:
    leaves: list[tuple[SSAValue, Operation]]  # non-constant factors, each with its reader
    scale: float  # the product of the scalar constant factors (divisors inverted)
    inner: list[Operation]  # the Muls / Divs of the tree below the root


def _product(root: Operation, weights: WeightTable | None) -> _Product:
    """The factors of the product tree ending at `root` (a Mul, or a Div by a scalar
    constant), expanding Muls and Divs by a constant used only by their parent."""
    out = _Product([], 1.0, [])

    def visit(op: Operation) -> None:
        if isinstance(op, DivOp):
            d = scalar_constant(op.b, weights)
            assert d is not None
            out.scale /= d
            leaf(op.a, op)
        else:
            leaf(op.operands[0], op)
            leaf(op.operands[1], op)

    def leaf(value: SSAValue, reader: Operation) -> None:
        c = scalar_constant(value, weights)
        if c is not None:
            out.scale *= c
            return
        op = owner_op(value)
        expandable = isinstance(op, MulOp) or (
            isinstance(op, DivOp) and (d := scalar_constant(op.b, weights)) is not None and d != 0.0
        )
        if expandable and single_user(value) is reader and len(out.inner) < MAX_FACTORS:
            out.inner.append(op)
            visit(op)
        else:
            out.leaves.append((value, reader))

    visit(root)
    return out


def _is_root(op: Operation, weights: WeightTable | None) -> bool:
    if isinstance(op, MulOp):
        return True
    if isinstance(op, DivOp):
        d = scalar_constant(op.b, weights)
        return d is not None and d != 0.0
    return False


@dataclass
class _Found:
    x: SSAValue
    kind: str  # "Swish" or "HardSwish"
    alpha: float
    chain: list[tuple[Operation, Operation]]  # (producer, its only consumer)


class RecomposeSwish(PatternWithWeights):
    """x * Sigmoid(x) -> Swish; x * Sigmoid(a x) -> Swish(alpha = a); x *
    HardSigmoid(x) and x * Clip(x + 3, 0, 6) / 6 -> HardSwish."""

    def _const(self, value: SSAValue | None, want: float, what: str) -> None:
        got = scalar_constant(value, self.weights) if value is not None else None
        if got is None:
            raise _NoMatch(f"{what} is not a scalar float constant")
        if not (close_to(got, want) if want else got == 0.0):
            raise _NoMatch(f"{what} is {got:g}, not {want:g}")

    def _gate(self, gate: SSAValue, reader: Operation, x: SSAValue, scale: float) -> _Found | None:
        """The activation x * gate(x) * scale computes, None when `gate` is no gate of x."""
        g = owner_op(gate)
        chain = [(g, reader)] if g is not None else []
        if isinstance(g, SigmoidOp):
            arg, alpha = g.x, 1.0
            if arg is not x:
                pairs = [(a, c) for a, c in binary_operands(owner_op(arg), MulOp) if a is x]
                alpha = scalar_constant(pairs[0][1], self.weights) if pairs else None
                if alpha is None:
                    return None
                chain.append((owner_op(arg), g))
            if not close_to(scale, 1.0):
                raise _NoMatch(f"x * sigmoid(x) is scaled by {scale:g}")
            return _Found(x, "Swish", alpha, chain)
        if isinstance(g, HardSigmoidOp) and g.x is x:
            a, b = float_attr_value(g.alpha), float_attr_value(g.beta)
            a, b = 0.2 if a is None else a, 0.5 if b is None else b
            if not (close_to(a, 1.0 / 6.0) and close_to(b, 0.5)):
                raise _NoMatch(f"HardSigmoid alpha {a:g}, beta {b:g} is not 1/6, 0.5")
            if not close_to(scale, 1.0):
                raise _NoMatch(f"x * HardSigmoid(x) is scaled by {scale:g}")
            return _Found(x, "HardSwish", 1.0, chain)
        if isinstance(g, ClipOp):
            add = owner_op(g.input)
            pairs = [(a, c) for a, c in binary_operands(add, AddOp) if a is x]
            if not pairs:
                return None
            self._const(pairs[0][1], 3.0, "the added constant")
            self._const(g.min, 0.0, "the Clip min")
            self._const(g.max, 6.0, "the Clip max")
            if not close_to(scale, 1.0 / 6.0):
                if close_to(scale, 1.0):
                    raise _NoMatch("no division by 6")
                raise _NoMatch(f"x * clip(x + 3, 0, 6) is scaled by {scale:g}, not 1/6")
            return _Found(x, "HardSwish", 1.0, chain + [(add, g)])
        return None

    def _match(self, op: Operation) -> _Found | None:
        prod = _product(op, self.weights)
        if len(prod.leaves) != 2:
            return None
        found = None
        for (x, _), (gate, reader) in (prod.leaves, prod.leaves[::-1]):
            found = self._gate(gate, reader, x, prod.scale)
            if found is not None:
                break
        if found is None:
            return None
        if not is_float_tensor(found.x):
            raise _NoMatch("not a float tensor")
        chain = found.chain + [(inner, single_user(inner.results[0])) for inner in prod.inner]
        for producer, consumer in chain:
            if not used_only_by(producer.results[0], [consumer]):
                raise _NoMatch("an intermediate has another use or is a graph output")
        if op.results[0].type != found.x.type:
            raise _NoMatch("the product broadcasts to a larger shape than x")
        return found

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not _is_root(op, self.weights):
            return
        outer = single_user(op.results[0])
        partial = outer is not None and _is_root(outer, self.weights)
        try:
            found = self._match(op)
        except _NoMatch as e:
            if not partial:  # else the outer Mul / Div decides (it may bring the 1/6)
                self.missed(op, str(e))
            return
        if found is None:
            return
        if found.kind == "Swish":
            new = SwishOp(found.x, alpha=found.alpha)
        else:
            new = HardSwishOp(found.x)
        new.location = op.location
        new.y.name_hint = op.results[0].name_hint
        rewriter.replace(op, new, [new.y])


def recompose_swish_patterns(weights: WeightTable | None) -> list[RewritePattern]:
    return [RecomposeSwish(weights)]


@dataclass(frozen=True)
class RecomposeSwishPass(ModulePass):
    """Decomposed Swish / SiLU / QuickGelu and HardSwish -> onnx.Swish / onnx.HardSwish
    (see the module docstring)."""

    name = "onnx-recompose-swish"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(ctx, op, recompose_swish_patterns(weights_of(ctx)))
