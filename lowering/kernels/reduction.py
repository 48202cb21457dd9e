"""Reduction kernels: ReduceSum/Mean/Max/Min/Prod/L2 and ArgMax/ArgMin. All of them are
one loop structure, `reduce_kernel`: an outer loop nest over the kept dims (the output
positions) around an inner loop nest over the reduced dims that carries the accumulator(s)
as scf.for iter_args, followed by a store of `finalize(acc)`. An op only chooses the
initial accumulator, the `combine(acc, x, reduced ivs)` step and the finalizer
(`Reduction`). The axes of ReduceX come from the constant `axes` input (absent or empty:
every axis, or an identity copy when noop_with_empty_axes=1; negative axes count from the
end); keepdims=1 writes size-1 dims in their place. ArgMax/ArgMin carry (best value, best
index) over their single `axis`, starting from the first element, and take a later equal
value only when select_last_index=1; the result is the i64 index. Integer accumulation
wraps like onnxruntime's; floats accumulate in the element type."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import arith, math
from xdsl.dialects.builtin import AnyFloat, IndexType, IntegerType, f64, i64
from xdsl.ir import Attribute, SSAValue

from dialects.onnx.base import int_attr_value
from lowering import scalar
from lowering.loop_builder import load, loop, loop_nest, store
from lowering.onnx_to_loops import KernelContext, KernelLowering, copy_kernel_body

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


def reduce_kernel(
    x: SSAValue,
    in_shape: Sequence[int],
    axes: Sequence[int],
    out: SSAValue,
    keepdims: bool,
    red: Reduction,
) -> None:
    """out[kept] = finalize(fold(combine, x[kept, reduced] over reduced, init))."""
    rank = len(in_shape)
    axes = sorted(axes)
    kept_dims = [d for d in range(rank) if d not in axes]
    red_bounds = [in_shape[d] for d in axes]
    with loop_nest([in_shape[d] for d in kept_dims]) as kept:
        if red.skip_first:
            first = load(x, merge_indices(rank, axes, kept, [0] * len(axes)))
            inits = red.init(first)
            # Only valid for a single reduced dim (ArgMax/ArgMin).
            assert len(axes) == 1
            lower = 1
        else:
            inits = red.init(None)
            lower = 0

        def body(ivs: list[SSAValue], accs: tuple[SSAValue, ...]) -> Sequence[SSAValue]:
            v = load(x, merge_indices(rank, axes, kept, ivs))
            return red.combine(accs, v, ivs)

        accs = accumulate(red_bounds, inits, body, lower)
        if keepdims:
            out_idx = merge_indices(rank, axes, kept, [0] * len(axes))
        else:
            out_idx = list(kept)
        store(red.finalize(accs), out, out_idx)


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


def _reduction(kind: str, elem: Attribute, unsigned: bool, count: int) -> Reduction:
    def fold(fn: Callable[[SSAValue, SSAValue], SSAValue]):
        return lambda accs, v, ivs: [fn(accs[0], v)]

    ident = lambda accs: accs[0]  # noqa: E731
    if kind in ("Sum", "Mean"):
        finalize = ident
        if kind == "Mean":
            def finalize(accs):
                return scalar.div(accs[0], scalar.const(count, elem), unsigned)
        return Reduction(lambda _: [scalar.const(0, elem)], fold(scalar.add), finalize)
    if kind == "Prod":
        return Reduction(lambda _: [scalar.const(1, elem)], fold(scalar.mul), ident)
    if kind == "L2":
        return Reduction(
            lambda _: [scalar.const(0, elem)],
            fold(lambda a, v: scalar.add(a, scalar.mul(v, v))),
            lambda accs: _sqrt(accs[0]),
        )
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
    """The normalized, sorted axes to reduce; None means no reduction (identity)."""
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


def lower_reduce(kind: str) -> KernelLowering:
    def lower(kc: KernelContext) -> None:
        in_shape = kc.shape("data")
        rank = len(in_shape)
        out = kc.output("reduced")
        axes = reduce_axes(kc, rank)
        if axes is None:
            copy_kernel_body(kc.input("data"), out)
            return
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


def lower_arg(largest: bool) -> KernelLowering:
    def lower(kc: KernelContext) -> None:
        in_shape = kc.shape("data")
        axis = kc.op.normalized_axis()
        if in_shape[axis] == 0:
            raise kc.fail("ArgMax/ArgMin over an empty axis")
        keepdims = bool(int_attr_value(kc.op.keepdims))
        last = bool(int_attr_value(kc.op.select_last_index))
        unsigned = kc.unsigned("data") or _is_bool(kc.input("data").type.element_type)
        # Strictly better replaces the best; an equal value replaces it only for last.
        kind = ("ge" if last else "gt") if largest else ("le" if last else "lt")

        def combine(accs, v, ivs):
            best, best_i = accs
            take = scalar.compare(kind, v, best, unsigned)
            return [scalar.select(take, v, best), scalar.select(take, ivs[0], best_i)]

        red = Reduction(
            init=lambda first: [first, scalar.const(0, IndexType())],
            combine=combine,
            finalize=lambda accs: arith.IndexCastOp(accs[1], i64).result,
            skip_first=True,
        )
        reduce_kernel(kc.input("data"), in_shape, [axis], kc.output("reduced"), keepdims, red)

    lower.__name__ = "lower_argmax" if largest else "lower_argmin"
    return lower


LOWERINGS: dict[str, KernelLowering] = {
    "onnx.ReduceSum": lower_reduce("Sum"),
    "onnx.ReduceMean": lower_reduce("Mean"),
    "onnx.ReduceMax": lower_reduce("Max"),
    "onnx.ReduceMin": lower_reduce("Min"),
    "onnx.ReduceProd": lower_reduce("Prod"),
    "onnx.ReduceL2": lower_reduce("L2"),
    "onnx.ArgMax": lower_arg(True),
    "onnx.ArgMin": lower_arg(False),
}
