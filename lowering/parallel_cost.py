"""How much work an `scf.parallel` loop does, and so whether it is worth splitting.

The estimate counts loop-level ops (every arith/math/memref op is one unit) and
multiplies the body of each `scf.for` by its trip count: static bounds give the exact
count; bounds computed at run time are bounded from their shape (a chunk
`i .. min(i + c, n)` runs at most c times, a window clamped into `[0, k)` at most k);
anything else counts as `UNKNOWN_TRIPS`. It is a count of scalar operations: LLVM vectorizes many of them, so
it overstates the time of vector loops by up to the vector width, which only makes the
threshold below conservative.

The thresholds are measured (`python3 -m tools.thread_benchmark`, Zen 3 host): handing
a loop to a spinning worker costs about 0.2 us, waking a sleeping one about 50 us of
the caller's time (the caller does not wait for it: lowering/thread_pool.py). A
vectorized elementwise kernel does about 18 units a nanosecond, a blocked conv about
130; splitting paid from about 250k-elementwise units up (Relu * x: 0.9x at 65536
elements = 330k units, 1.2x at 262144, 2.3x at 1M). A loop is split when it does at
least `MIN_PARALLEL_WORK` units, into at most one share per `WORK_PER_THREAD`
units, so no thread gets a sliver.
"""

from __future__ import annotations

from math import prod

from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Block, Operation, SSAValue

__all__ = ["MIN_PARALLEL_WORK", "WORK_PER_THREAD", "UNKNOWN_TRIPS", "static_int", "trip_count", "estimated_trips", "loop_work", "parallel_work"]

MIN_PARALLEL_WORK = 500_000
WORK_PER_THREAD = 250_000
UNKNOWN_TRIPS = 16

# Transcendental math ops run as libm calls or long expansions: about 10-20 ns each on
# the Zen 3 host (Tanh * x: 16 ns an element), where a vectorized add costs a fraction
# of a nanosecond; they count this many units.
TRANSCENDENTAL_WORK = 100
TRANSCENDENTAL_OPS = frozenset(
    f"math.{n}"
    for n in (
        "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "powf", "tanh", "sinh", "cosh", "sin", "cos",
        "tan", "asin", "acos", "atan", "atan2", "erf", "cbrt", "asinh", "acosh", "atanh",
    )
)


def static_int(v: SSAValue) -> int | None:
    """The value of an `arith.constant` of integer/index type, else None."""
    owner = v.owner
    if isinstance(owner, arith.ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def trip_count(lb: SSAValue, ub: SSAValue, step: SSAValue) -> int | None:
    lo, hi, st = static_int(lb), static_int(ub), static_int(step)
    if lo is None or hi is None or st is None or st <= 0:
        return None
    return max(0, -(-(hi - lo) // st))


def _bound(v: SSAValue, upper: bool, depth: int = 0) -> int | None:
    """A static upper (or lower) bound of an index value built from constants with
    min/max/add, else None."""
    c = static_int(v)
    if c is not None or depth > 8:
        return c
    op = v.owner
    if isinstance(op, (arith.MinSIOp, arith.MinUIOp, arith.MaxSIOp, arith.MaxUIOp)):
        bounds = [_bound(o, upper, depth + 1) for o in op.operands]
        known = [b for b in bounds if b is not None]
        is_min = isinstance(op, (arith.MinSIOp, arith.MinUIOp))
        if is_min == upper:  # min bounded above (max below) by any operand's bound
            return min(known) if is_min and known else max(known) if known else None
        return None if None in bounds else (min(bounds) if is_min else max(bounds))  # type: ignore[type-var]
    if isinstance(op, arith.AddiOp):
        a, b = (_bound(o, upper, depth + 1) for o in op.operands)
        return None if a is None or b is None else a + b
    return None


def _offset(ub: SSAValue, lb: SSAValue, depth: int = 0) -> int | None:
    """c when ub is lb + c, or min(lb + c, ...) (a chunk of at most c iterations)."""
    op = ub.owner
    if isinstance(op, arith.AddiOp):
        a, b = op.operands
        if a is lb:
            return static_int(b)
        if b is lb:
            return static_int(a)
    if isinstance(op, (arith.MinSIOp, arith.MinUIOp)) and depth < 8:
        found = [c for c in (_offset(o, lb, depth + 1) for o in op.operands) if c is not None]
        return min(found) if found else None
    return None


def estimated_trips(lb: SSAValue, ub: SSAValue, step: SSAValue) -> int:
    """The trip count when static, else a bound from the shape of the bounds (a chunk
    `i .. min(i + c, n)`, a window clamped into `[0, k)`), else UNKNOWN_TRIPS."""
    exact = trip_count(lb, ub, step)
    if exact is not None:
        return exact
    st = static_int(step) or 1
    span = _offset(ub, lb)
    if span is None:
        hi, lo = _bound(ub, upper=True), _bound(lb, upper=False)
        span = None if hi is None or lo is None else hi - lo
    return UNKNOWN_TRIPS if span is None else max(0, -(-span // max(st, 1)))


def _block_work(block: Block) -> int:
    return sum(_op_work(op) for op in block.ops)


def _op_work(op: Operation) -> int:
    if isinstance(op, scf.ForOp):
        return 1 + estimated_trips(op.lb, op.ub, op.step) * _block_work(op.body.block)
    if isinstance(op, scf.ParallelOp):
        return 1 + parallel_work(op)
    if isinstance(op, scf.WhileOp):
        return 1 + UNKNOWN_TRIPS * sum(_block_work(r.block) for r in op.regions)
    if isinstance(op, memref.CopyOp):  # a memcpy: about one unit an element
        return max(1, prod(op.source.type.get_shape()))
    if op.regions:  # scf.if, scf.index_switch, execute_region: the costliest branch
        return 1 + max((_block_work(b) for r in op.regions for b in r.blocks), default=0)
    return TRANSCENDENTAL_WORK if op.name in TRANSCENDENTAL_OPS else 1


def loop_work(op: scf.ParallelOp) -> int:
    """Units of work of one iteration of `op`'s body."""
    return max(1, _block_work(op.body.block))


def parallel_work(op: scf.ParallelOp) -> int:
    """Units of work of the whole loop (unknown trip counts as UNKNOWN_TRIPS)."""
    total = loop_work(op)
    for lb, ub, st in zip(op.lowerBound, op.upperBound, op.step):
        total *= estimated_trips(lb, ub, st)
    return total
