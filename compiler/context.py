"""The compile context: xDSL's Context plus the weight table of this one compile."""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.arith import Arith
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.func import Func
from xdsl.dialects.math import Math
from xdsl.dialects.memref import MemRef
from xdsl.dialects.scf import Scf

from compiler.weights import WeightTable
from dialects.onnx import ONNX


@dataclass
class StrataContext(Context):
    """Passes that need constant data read it from `ctx.weights`."""

    weights: WeightTable = field(default_factory=WeightTable)


def weights_of(ctx: Context) -> WeightTable | None:
    return ctx.weights if isinstance(ctx, StrataContext) else None


def make_context() -> StrataContext:
    ctx = StrataContext()
    for dialect in (Builtin, Func, ONNX, Arith, Math, MemRef, Scf):
        ctx.load_dialect(dialect)
    return ctx
