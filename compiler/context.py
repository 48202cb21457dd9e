"""The compile context: xDSL's Context plus the weight table of this one compile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xdsl.context import Context
from xdsl.dialects.arith import Arith
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.func import Func
from xdsl.dialects.math import Math
from xdsl.dialects.memref import MemRef
from xdsl.dialects.scf import Scf

from compiler.pattern_log import PatternLog
from dialects.weights import WeightTable
from dialects.onnx import ONNX
from dialects.strata import STRATA


@dataclass
class StrataContext(Context):
    """Passes that need constant data read it from `ctx.weights`; graph passes record
    pattern fires and misses in `pattern_log`; lowering passes put what they report
    (kernels, fused ops, arena bytes, ...) in `report`, which `compile()` merges into
    `CompiledModel.stats`. All of it belongs to one compile."""

    weights: WeightTable = field(default_factory=WeightTable)
    pattern_log: PatternLog = field(default_factory=PatternLog)
    report: dict[str, Any] = field(default_factory=dict)


def make_context() -> StrataContext:
    ctx = StrataContext()
    for dialect in (Builtin, Func, ONNX, STRATA, Arith, Math, MemRef, Scf):
        ctx.load_dialect(dialect)
    return ctx
