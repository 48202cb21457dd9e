"""Reduction kernels: ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare/LogSum/LogSumExp,
ArgMax/ArgMin, and the per-axis scans and selections CumSum, Hardmax and TopK. The
reductions are one loop structure, `reduce_kernel`: an outer loop nest over the kept dims
(the output positions) around an inner loop nest over the reduced dims that carries the
accumulator(s) as scf.for iter_args (`fold_reduced`), followed by a store of
`finalize(acc)`. An op only chooses the initial accumulator, the `combine(acc, x, reduced
ivs)` step and the finalizer (`Reduction`); ReduceLogSumExp is a `TwoPass` reduction
that folds the maximum m first and then log(sum(exp(x - m))) + m, so exp never
overflows (m = +-inf, from infinities or an empty range, shifts by 0 instead). The axes
of ReduceX come from the constant `axes` input (absent or empty: every axis; negative
axes count from the end). With noop_with_empty_axes=1 and no axes every element is
reduced on its own, as onnxruntime does: a copy for Sum/Mean/Max/Min/Prod, |x| for L1
and L2, x * x for SumSquare, log(x) for LogSum. keepdims=1 writes size-1 dims in their
place. ArgMax/ArgMin carry (best value, best index) over their single `axis`, starting
from the first element, and take a later equal value only when select_last_index=1; the
result is the i64 index. Integer accumulation wraps like onnxruntime's; floats
accumulate in the element type.

CumSum takes a constant `axis` (it decides the loop structure) or reads it at run time
(one loop nest per possible axis, the fed one runs) and carries the running
sum along that axis, forward or backward, storing before (exclusive) or after adding.
Hardmax folds the ArgMax reduction (first maximum) per row and writes 1 there, 0
elsewhere. TopK takes K from the static result shape (a K operand that is not a
constant is checked against it at run time) and selects per row: K passes of
"best element not taken yet" over the row, with a `taken` flag per element in a
memref.alloca scratch; a pass keeps the first best it meets (strict comparison while
scanning upward), so equal values come out lower index first, as in onnxruntime, and
the output is always sorted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np
from xdsl.builder import ImplicitBuilder
from xdsl.dialects import arith, math, memref, scf
from xdsl.dialects.builtin import AnyFloat, IndexType, IntegerType, f64, i1, i64
from xdsl.ir import Attribute, Block, Region, SSAValue

from dialects.onnx.base import int_attr_value
from lowering import scalar
from lowering.loop_builder import idx, load, loop, loop_nest, parallel, store
from lowering.kernel_context import KernelContext, KernelLowering, copy_kernel_body
from lowering.runtime_checks import Check

# ---- the generic reduction loop structure -------------------------------------------


def accumulate(
    bounds: Sequence[int | SSAValue],
    inits: Sequence[SSAValue],
    body: Callable[[list[SSAValue], tuple[SSAValue, ...]], Sequence[SSAValue]],
    lower: int = 0,
) -> tuple[SSAValue, ...]:
    """A loop nest over `bounds` carrying `inits` through every iteration:
    `accs = body(ivs, accs)` in the innermost loop; returns the final values. The
    outermost loop starts at `lower`. No bounds: `body` runs once on `inits`."""
    if not bounds:
        return tuple(body([], tuple(inits)))
    with loop(bounds[0], lower, carried=list(inits)) as lp:
        inner = accumulate(bounds[1:], lp.carried, lambda ivs, accs, iv=lp.iv: body([iv, *ivs], accs))
        lp.yield_(*inner)
    return lp.results


# Partial results of lane_fold: 32 floats, four <8 x float> or two <16 x float> adds in
# flight (an add's latency is 3-4 cycles; one running sum waits for each).
SUM_LANES = 32


def lane_fold(n: int, term: Callable[[SSAValue], SSAValue], init: float,
              combine: Callable[[SSAValue, SSAValue], SSAValue], ty: Attribute, lanes: int = SUM_LANES) -> SSAValue:
    """combine-fold of term(i) for i in [0, n) (float ty): `lanes` partial results in a
    stack buffer, each over the i of its lane, taken by a lane loop that LLVM vectorizes,
    then folded in lane order, then the n % lanes last terms in order (fewer than `lanes`
    terms: one running fold). A running float sum in one scalar chain (accumulate) stays
    scalar: LLVM does not reorder it without fast-math flags. Measured on Zen 4, 1
    thread: ConvNeXt-T's 23 LayerNormalizations (rows of 96-768) 4.77 -> 1.23 ms
    (onnxruntime 1.79)."""
    start = scalar.const(init, ty)
    full = n - n % lanes
    if not full:
        return accumulate([n], [start], lambda ivs, a: [combine(a[0], term(ivs[0]))])[0]
    acc = memref.AllocaOp.get(ty, 64, [lanes]).memref
    with loop(lanes) as lp:
        store(start, acc, [lp.iv])
    with loop(full, 0, lanes) as chunk:
        with loop(lanes) as lp:
            i = arith.AddiOp(chunk.iv, lp.iv).result
            store(combine(load(acc, [lp.iv]), term(i)), acc, [lp.iv])
    (total,) = accumulate([lanes], [start], lambda ls, a: [combine(a[0], load(acc, [ls[0]]))])
    if full == n:
        return total
    with loop(n, full, carried=[total]) as tail:
        tail.yield_(combine(tail.carried[0], term(tail.iv)))
    return tail.results[0]


def sum_over(bounds: Sequence[int], term: Callable[[list[SSAValue]], SSAValue], ty: Attribute,
             contiguous: bool = True) -> SSAValue:
    """sum of term(ivs) over the loop nest `bounds`: in vector lanes (lane_fold) when the
    nest is one range that runs along memory (`contiguous`), else one running sum."""
    if len(bounds) == 1 and contiguous:
        return lane_fold(bounds[0], lambda i: term([i]), 0.0, scalar.add, ty)
    return accumulate(bounds, [scalar.const(0, ty)], lambda ivs, a: [scalar.add(a[0], term(ivs))])[0]


def merge_indices(rank: int, axes: Sequence[int], kept: Sequence[SSAValue | int], reduced: Sequence[SSAValue | int]) -> list[SSAValue | int]:
    """Full input indices from the kept-dim indices and the reduced-dim indices."""
    kept_it, red_it = iter(kept), iter(reduced)
    return [next(red_it) if d in axes else next(kept_it) for d in range(rank)]


@dataclass
class Reduction:
    """What distinguishes one reduction: `init(elem)` gives the starting accumulators,
    `combine(accs, x, reduced_ivs)` the next ones, `finalize(accs)` the stored value.
    `skip_first` starts the accumulators from the first element of the reduced range
    (init gets that element) and loops the outermost reduced dim from 1."""

    init: Callable[[SSAValue | None], Sequence[SSAValue]]
    combine: Callable[[tuple[SSAValue, ...], SSAValue, list[SSAValue]], Sequence[SSAValue]]
    finalize: Callable[[tuple[SSAValue, ...]], SSAValue]
    skip_first: bool = False


@dataclass
class TwoPass:
    """A reduction that needs a statistic of the same range first (the maximum for a
    stable log-sum-exp): `first` is folded, then `second(stat)` over the range again."""

    first: Reduction
    second: Callable[[SSAValue], Reduction]


def fold_reduced(
    x: SSAValue,
    in_shape: Sequence[int],
    axes: Sequence[int],
    kept: Sequence[SSAValue | int],
    red: Reduction | TwoPass,
) -> SSAValue:
    """finalize(fold(combine, x[kept, reduced] over the reduced dims `axes`, init)) for
    one output position `kept` (indices of the dims not in `axes`)."""
    if isinstance(red, TwoPass):
        stat = fold_reduced(x, in_shape, axes, kept, red.first)
        return fold_reduced(x, in_shape, axes, kept, red.second(stat))
    rank = len(in_shape)
    axes = sorted(axes)
    if red.skip_first:
        # Only valid for a single reduced dim (ArgMax/ArgMin).
        assert len(axes) == 1
        inits = red.init(load(x, merge_indices(rank, axes, kept, [0])))
        lower = 1
    else:
        inits = red.init(None)
        lower = 0

    def body(ivs: list[SSAValue], accs: tuple[SSAValue, ...]) -> Sequence[SSAValue]:
        v = load(x, merge_indices(rank, axes, kept, ivs))
        return red.combine(accs, v, ivs)

    return red.finalize(accumulate([in_shape[d] for d in axes], inits, body, lower))


def reduce_kernel(
    x: SSAValue,
    in_shape: Sequence[int],
    axes: Sequence[int],
    out: SSAValue,
    keepdims: bool,
    red: Reduction | TwoPass,
) -> None:
    """out[kept] = finalize(fold(combine, x[kept, reduced] over reduced, init))."""
    rank = len(in_shape)
    axes = sorted(axes)
    kept_dims = [d for d in range(rank) if d not in axes]
    with parallel([in_shape[d] for d in kept_dims]) as kept:
        value = fold_reduced(x, in_shape, axes, kept, red)
        if keepdims:
            out_idx = merge_indices(rank, axes, kept, [0] * len(axes))
        else:
            out_idx = list(kept)
        store(value, out, out_idx)


# ---- ReduceX ------------------------------------------------------------------------


def _is_bool(ty: Attribute) -> bool:
    return isinstance(ty, IntegerType) and ty.width.data == 1


def _extreme(ty: Attribute, unsigned: bool, largest: bool) -> SSAValue:
    """The identity of min (largest=True) / max (largest=False) for type `ty`."""
    if isinstance(ty, AnyFloat):
        return scalar.const(float("inf") if largest else float("-inf"), ty)
    assert isinstance(ty, IntegerType)
    width = ty.width.data
    if unsigned:
        return scalar.const((1 << width) - 1 if largest else 0, ty)
    return scalar.const((1 << (width - 1)) - 1 if largest else -(1 << (width - 1)), ty)


def _sqrt(v: SSAValue) -> SSAValue:
    """sqrt for floats; for integers sqrt in f64 truncated back (onnxruntime's ReduceL2)."""
    if scalar.is_float(v):
        return math.SqrtOp(v).result
    as_f = arith.SIToFPOp(v, f64).result
    return arith.FPToSIOp(math.SqrtOp(as_f).result, v.type).result


def _reduction(kind: str, elem: Attribute, unsigned: bool, count: int) -> Reduction | TwoPass:
    def fold(fn: Callable[[SSAValue, SSAValue], SSAValue]):
        return lambda accs, v, ivs: [fn(accs[0], v)]

    ident = lambda accs: accs[0]  # noqa: E731
    if kind in ("Sum", "Mean"):

        def mean(accs):
            return scalar.div(accs[0], scalar.const(count, elem), unsigned)

        return Reduction(lambda _: [scalar.const(0, elem)], fold(scalar.add), mean if kind == "Mean" else ident)
    if kind == "Prod":
        return Reduction(lambda _: [scalar.const(1, elem)], fold(scalar.mul), ident)
    if kind == "L2":
        return Reduction(
            lambda _: [scalar.const(0, elem)],
            fold(lambda a, v: scalar.add(a, scalar.mul(v, v))),
            lambda accs: _sqrt(accs[0]),
        )
    if kind == "L1":
        absolute = (lambda v: v) if unsigned else scalar.abs_
        return Reduction(lambda _: [scalar.const(0, elem)], fold(lambda a, v: scalar.add(a, absolute(v))), ident)
    if kind == "SumSquare":
        return Reduction(lambda _: [scalar.const(0, elem)], fold(lambda a, v: scalar.add(a, scalar.mul(v, v))), ident)
    if kind == "LogSum":
        return Reduction(lambda _: [scalar.const(0, elem)], fold(scalar.add), lambda accs: math.LogOp(accs[0]).result)
    if kind == "LogSumExp":
        def second(m: SSAValue) -> Reduction:
            inf = scalar.const(float("inf"), elem)
            shift = scalar.select(scalar.compare("eq", math.AbsFOp(m).result, inf), scalar.const(0, elem), m)
            return Reduction(
                lambda _: [scalar.const(0, elem)],
                fold(lambda a, v: scalar.add(a, math.ExpOp(scalar.sub(v, shift)).result)),
                lambda accs: scalar.add(math.LogOp(accs[0]).result, shift),
            )

        return TwoPass(_reduction("Max", elem, unsigned, count), second)
    if kind in ("Max", "Min"):
        # Booleans are i1: ordered as unsigned (false < true).
        unsigned = unsigned or _is_bool(elem)
        largest = kind == "Min"
        pick = scalar.minimum if largest else scalar.maximum
        return Reduction(
            lambda _: [_extreme(elem, unsigned, largest)],
            fold(lambda a, v: pick(a, v, unsigned)),
            ident,
        )
    raise ValueError(kind)


def reduce_axes(kc: KernelContext, rank: int) -> list[int] | None:
    """The normalized, sorted axes to reduce; None means none (noop_with_empty_axes)."""
    noop = bool(int_attr_value(kc.op.noop_with_empty_axes))
    if kc.op.axes is None:
        raw: list[int] = []
    else:
        value = kc.const("axes")
        if value is None:
            raise kc.fail("axes must be a compile-time constant")
        raw = [int(a) for a in np.asarray(value).reshape(-1)]
    if not raw:
        return None if noop else list(range(rank))
    if rank == 0:  # a scalar: nothing to reduce over, the result is the value itself
        return []
    axes: list[int] = []
    for a in raw:
        if not -rank <= a < rank:
            raise kc.fail(f"axis {a} is out of range for a rank-{rank} input")
        a %= rank
        if a in axes:
            raise kc.fail(f"axis {a} appears twice in axes {raw}")
        axes.append(a)
    return sorted(axes)


# Reductions whose value on a single element is that element.
_SINGLE_IS_IDENTITY = ("Sum", "Mean", "Max", "Min", "Prod")


def lower_reduce(kind: str) -> KernelLowering:
    def lower(kc: KernelContext) -> None:
        in_shape = kc.shape("data")
        rank = len(in_shape)
        out = kc.output("reduced")
        axes = reduce_axes(kc, rank)
        if axes is None:
            if kind in _SINGLE_IS_IDENTITY:
                copy_kernel_body(kc.input("data"), out)
                return
            axes = []  # each element reduced on its own
        keepdims = bool(int_attr_value(kc.op.keepdims))
        expected = tuple(1 if d in axes else s for d, s in enumerate(in_shape) if keepdims or d not in axes)
        if kc.shape("reduced") != expected:
            raise kc.fail(f"result shape {kc.shape('reduced')} differs from the expected {expected}")
        count = int(np.prod([in_shape[a] for a in axes], dtype=np.int64))
        elem = out.type.element_type
        red = _reduction(kind, elem, kc.unsigned("data"), count)
        reduce_kernel(kc.input("data"), in_shape, axes, out, keepdims, red)

    lower.__name__ = f"lower_reduce_{kind.lower()}"
    return lower


# ---- ArgMax / ArgMin ----------------------------------------------------------------


def arg_reduction(largest: bool, last: bool, unsigned: bool, as_i64: bool = True) -> Reduction:
    """(best value, best index) along one reduced dim, starting from its first element;
    finalizes to the best index as i64 (as_i64) or as an `index` value."""
    # Strictly better replaces the best; an equal value replaces it only for last.
    kind = ("ge" if last else "gt") if largest else ("le" if last else "lt")

    def combine(accs, v, ivs):
        best, best_i = accs
        take = scalar.compare(kind, v, best, unsigned)
        return [scalar.select(take, v, best), scalar.select(take, ivs[0], best_i)]

    return Reduction(
        init=lambda first: [first, scalar.const(0, IndexType())],
        combine=combine,
        finalize=(lambda accs: arith.IndexCastOp(accs[1], i64).result) if as_i64 else (lambda accs: accs[1]),
        skip_first=True,
    )


def lower_arg(largest: bool) -> KernelLowering:
    def lower(kc: KernelContext) -> None:
        in_shape = kc.shape("data")
        axis = kc.op.normalized_axis()
        if in_shape[axis] == 0:
            raise kc.fail("ArgMax/ArgMin over an empty axis")
        keepdims = bool(int_attr_value(kc.op.keepdims))
        last = bool(int_attr_value(kc.op.select_last_index))
        unsigned = kc.unsigned("data") or _is_bool(kc.input("data").type.element_type)
        red = arg_reduction(largest, last, unsigned)
        reduce_kernel(kc.input("data"), in_shape, [axis], kc.output("reduced"), keepdims, red)

    lower.__name__ = "lower_argmax" if largest else "lower_argmin"
    return lower


# ---- CumSum -------------------------------------------------------------------------


def _at(ivs: Sequence[SSAValue], axis: int, i: SSAValue | int) -> list[SSAValue | int]:
    """Full indices from the indices of the other dims and position `i` along `axis`."""
    return [*ivs[:axis], i, *ivs[axis:]]


def lower_cumsum(kc: KernelContext) -> None:
    """The running sum along `axis`. A constant axis gives one loop nest (rows in
    parallel); an axis read at run time gives one loop nest per possible axis, of which
    the one equal to the fed axis (negative ones wrapped) runs; an axis outside
    [-rank, rank) runs none and the call raises OutOfRangeError."""
    shape = kc.shape("x")
    rank = len(shape)
    exclusive = bool(int_attr_value(kc.op.exclusive))
    reverse = bool(int_attr_value(kc.op.reverse))
    x, y = kc.input("x"), kc.output("y")
    elem = y.type.element_type

    def scan(axis: int, rows) -> None:
        n = shape[axis]
        with rows([d for i, d in enumerate(shape) if i != axis]) as ivs:

            def step(js: list[SSAValue], accs: tuple[SSAValue, ...]) -> list[SSAValue]:
                j = arith.SubiOp(idx(n - 1), js[0]).result if reverse else js[0]
                total = scalar.add(accs[0], load(x, _at(ivs, axis, j)))
                store(accs[0] if exclusive else total, y, _at(ivs, axis, j))
                return [total]

            accumulate([n], [scalar.const(0, elem)], step)

    given = kc.const("axis")
    if given is not None:
        raw = given.reshape(-1)
        axis = int(raw[0]) if raw.size == 1 else None
        if axis is None or not -rank <= axis < rank:
            raise kc.fail(f"axis {raw.tolist()} is not one axis of a rank-{rank} input")
        scan(axis % rank, parallel)
        return

    fed = scalar.convert(load(kc.input("axis"), [0] * len(kc.shape("axis"))), i64, src_unsigned=kc.unsigned("axis"))
    neg = arith.CmpiOp(fed, scalar.const(0, i64), "slt").result
    axis_value = arith.SelectOp(neg, arith.AddiOp(fed, scalar.const(rank, i64)).result, fed).result
    in_range = arith.AndIOp(arith.CmpiOp(axis_value, scalar.const(0, i64), "sge").result,
                            arith.CmpiOp(axis_value, scalar.const(rank, i64), "slt").result).result
    with kc.guard([Check(in_range, fed, f"axis {{value}} is not an axis of the rank-{rank} input (valid: from {-rank} to {rank - 1})")]):
        for a in range(rank):
            # Plain loops (not the thread pool's parallel ones) inside the selection.
            body = Block()
            with ImplicitBuilder(body):
                scan(a, loop_nest)
                scf.YieldOp()
            scf.IfOp(arith.CmpiOp(axis_value, scalar.const(a, i64), "eq").result, [], Region(body))


# ---- Hardmax ------------------------------------------------------------------------


def lower_hardmax(kc: KernelContext) -> None:
    """1 at the first maximum along the axis (ArgMax's reduction), 0 elsewhere."""
    shape = kc.shape("input")
    axis = kc.op.normalized_axis()
    x, y = kc.input("input"), kc.output("output")
    if shape[axis] == 0:
        return  # an empty output
    elem = y.type.element_type
    one, zero = scalar.const(1, elem), scalar.const(0, elem)
    red = arg_reduction(largest=True, last=False, unsigned=False, as_i64=False)
    with parallel([d for i, d in enumerate(shape) if i != axis]) as ivs:
        best = fold_reduced(x, shape, [axis], ivs, red)
        with loop_nest([shape[axis]]) as (i,):
            hit = arith.CmpiOp(i, best, "eq").result
            store(scalar.select(hit, one, zero), y, _at(ivs, axis, i))


# ---- TopK ---------------------------------------------------------------------------


def lower_topk(kc: KernelContext) -> None:
    """K selection passes per row over a `taken` scratch (see the module docstring)."""
    shape = kc.shape("x")
    axis = kc.op.normalized_axis()
    n, k = shape[axis], kc.shape("values")[axis]
    given = kc.const("k")
    if given is not None and int(given.reshape(-1)[0]) != k:
        raise kc.fail(f"K = {int(given.reshape(-1)[0])} differs from the result dim {k}")
    if k > n:
        raise kc.fail(f"K = {k} exceeds the axis size {n}")
    if k == 0:
        return
    x, values, indices = kc.input("x"), kc.output("values"), kc.output("indices")
    unsigned = kc.unsigned("x")
    better = "gt" if int_attr_value(kc.op.largest) else "lt"
    taken = memref.AllocaOp.get(i1, shape=[n]).memref
    with ExitStack() as stack:
        if given is None:  # a K read at run time must be the one the shapes were built for
            fed = load(kc.input("k"), [0] * len(kc.shape("k")))
            same = arith.CmpiOp(fed, scalar.const(k, fed.type), "eq").result
            stack.enter_context(kc.guard([Check(same, fed, f"K {{value}} differs from the K {k} the model was compiled for")]))
        _topk_rows(x, values, indices, taken, shape, axis, n, k, better, unsigned)


def _topk_rows(x, values, indices, taken, shape, axis, n, k, better, unsigned) -> None:
    """The selection passes of every row (lower_topk)."""
    elem = values.type.element_type
    true, false = scalar.const(1, i1), scalar.const(0, i1)
    with parallel([d for i, d in enumerate(shape) if i != axis]) as ivs:
        with loop_nest([n]) as (i,):
            store(false, taken, [i])
        with loop_nest([k]) as (j,):

            def scan(i: list[SSAValue], accs: tuple[SSAValue, ...]) -> list[SSAValue]:
                found, best, best_i = accs
                v = load(x, _at(ivs, axis, i[0]))
                free = arith.XOrIOp(load(taken, i), true).result
                wins = arith.OrIOp(arith.XOrIOp(found, true).result, scalar.compare(better, v, best, unsigned)).result
                take = arith.AndIOp(free, wins).result
                return [
                    arith.OrIOp(found, free).result,
                    scalar.select(take, v, best),
                    scalar.select(take, i[0], best_i),
                ]

            _, best, best_i = accumulate([n], [false, scalar.const(0, elem), idx(0)], scan)
            store(true, taken, [best_i])
            store(best, values, _at(ivs, axis, j))
            store(arith.IndexCastOp(best_i, i64).result, indices, _at(ivs, axis, j))


LOWERINGS: dict[str, KernelLowering] = {
    "onnx.ReduceSum": lower_reduce("Sum"),
    "onnx.ReduceMean": lower_reduce("Mean"),
    "onnx.ReduceMax": lower_reduce("Max"),
    "onnx.ReduceMin": lower_reduce("Min"),
    "onnx.ReduceProd": lower_reduce("Prod"),
    "onnx.ReduceL2": lower_reduce("L2"),
    "onnx.ReduceL1": lower_reduce("L1"),
    "onnx.ReduceSumSquare": lower_reduce("SumSquare"),
    "onnx.ReduceLogSum": lower_reduce("LogSum"),
    "onnx.ReduceLogSumExp": lower_reduce("LogSumExp"),
    "onnx.ArgMax": lower_arg(True),
    "onnx.ArgMin": lower_arg(False),
    "onnx.CumSum": lower_cumsum,
    "onnx.Hardmax": lower_hardmax,
    "onnx.TopK": lower_topk,
}
