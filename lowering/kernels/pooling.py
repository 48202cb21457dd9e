"""Pooling kernels: MaxPool (with the optional Indices output), AveragePool,
GlobalAveragePool and GlobalMaxPool as plain loop nests.

Windows use the geometry of `lowering/kernels/conv.py`: each output position loops
only over the taps that fall inside the input, so padding is never read. MaxPool keeps
the first maximum (`x > acc`, as onnxruntime), AveragePool divides by the number of
taps inside the input (count_include_pad=0) or inside the padded input
(count_include_pad=1; with ceil_mode a window may also reach past the end padding,
and those taps are not counted, as in onnxruntime).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

from xdsl.dialects import arith
from xdsl.dialects.builtin import AnyFloat, IndexType, IntegerType, i64
from xdsl.ir import Attribute, SSAValue

from dialects.onnx.base import int_attr_value
from lowering import scalar
from lowering.kernels.conv import (
    Index,
    Window,
    input_position,
    ix_add,
    ix_mul,
    ix_sub,
    reduce_loops,
    tap_ranges,
    valid_range,
    window_of,
)
from lowering.loop_builder import as_index, load, parallel, parallel_nest, store
from lowering.kernel_context import KernelContext, KernelLowering


def lowest(ty: Attribute, unsigned: bool) -> SSAValue:
    """The identity of max: -inf for floats, the minimum of an integer type."""
    if isinstance(ty, AnyFloat):
        return scalar.const(float("-inf"), ty)
    assert isinstance(ty, IntegerType)
    width = ty.width.data
    return scalar.const(0 if unsigned else -(1 << (width - 1)), ty)


def count_of(ranges: list[tuple[Index, Index]]) -> Index:
    """The number of points in the product of ranges."""
    total: Index = 1
    for lo, hi in ranges:
        extent = ix_sub(hi, lo)
        if isinstance(total, int) and isinstance(extent, int):
            total *= extent
        elif total == 1:
            total = extent
        else:
            total = arith.MuliOp(as_index(total), as_index(extent)).result
    return total


def average_divisor(win: Window, outs: Sequence[SSAValue], out_sizes: Sequence[int], in_sizes: Sequence[int],
                    ranges: list[tuple[Index, Index]], include_pad: bool, elem: Attribute) -> SSAValue:
    """AveragePool's divisor at output position `outs`, as an `elem` scalar: the number
    of taps inside the input (`ranges`, the window's valid tap ranges), or with
    count_include_pad inside the padded input [-pad_begin, size + pad_end); at least 1."""
    if include_pad:
        counted = [
            valid_range(
                win.kernel[d], win.dilations[d], outs[d], out_sizes[d], win.strides[d], 0,
                in_sizes[d] + win.pads_begin[d] + win.pads_end[d],
            )
            for d in range(win.rank)
        ]
    else:
        counted = ranges
    count = count_of(counted)
    if isinstance(count, int):
        return scalar.const(max(count, 1), elem)
    return scalar.from_index(arith.MaxSIOp(count, as_index(1)).result, elem)


def _flat_offset(positions: list[Index], sizes: tuple[int, ...], column_major: bool) -> Index:
    """Row-major (or, for storage_order=1, column-major) offset of a spatial position."""
    order = range(len(sizes) - 1, -1, -1) if column_major else range(len(sizes))
    offset: Index = 0
    for d in order:
        offset = ix_add(ix_mul(offset, sizes[d]), positions[d])
    return offset


def lower_max_pool(kc: KernelContext) -> None:
    x, y = kc.input("x"), kc.output("y")
    x_shape, y_shape = kc.shape("x"), kc.shape("y")
    win = window_of(kc)
    in_sizes, out_sizes = x_shape[2:], y_shape[2:]
    elem = y.type.element_type
    unsigned = kc.unsigned("x")
    with_indices = kc.op.indices is not None  # type: ignore[attr-defined]
    column_major = bool(int_attr_value(kc.op.storage_order))  # type: ignore[attr-defined]
    indices = kc.output("indices") if with_indices else None
    spatial = prod(in_sizes)

    with parallel_nest([x_shape[0], x_shape[1], *out_sizes]) as ivs:
        n, c, outs = ivs[0], ivs[1], ivs[2:]
        ranges = tap_ranges(win, outs, out_sizes, in_sizes)

        def positions(taps: list[SSAValue]) -> list[Index]:
            return [input_position(win, d, outs[d], taps[d]) for d in range(win.rank)]

        if indices is None:

            def body(taps: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
                return [scalar.maximum(acc[0], load(x, [n, c, *positions(taps)]), unsigned)]

            (best,) = reduce_loops(ranges, [lowest(elem, unsigned)], body)
            store(best, y, [n, c, *outs])
        else:
            # Indices are flat offsets into X (N, C, D1..Dn); -1 is never produced for
            # a window with at least one tap inside X.
            channel_base = ix_mul(ix_add(ix_mul(n, x_shape[1]), c), spatial)

            def body_idx(taps: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
                pos = positions(taps)
                v = load(x, [n, c, *pos])
                better = scalar.compare("gt", v, acc[0], unsigned)
                flat = as_index(ix_add(channel_base, _flat_offset(pos, in_sizes, column_major)))
                return [scalar.select(better, v, acc[0]), scalar.select(better, flat, acc[1])]

            best, arg = reduce_loops(ranges, [lowest(elem, unsigned), scalar.const(-1, IndexType())], body_idx)
            store(best, y, [n, c, *outs])
            store(arith.IndexCastOp(arg, i64).result, indices, [n, c, *outs])


def lower_average_pool(kc: KernelContext) -> None:
    x, y = kc.input("x"), kc.output("y")
    x_shape, y_shape = kc.shape("x"), kc.shape("y")
    win = window_of(kc)
    in_sizes, out_sizes = x_shape[2:], y_shape[2:]
    elem = y.type.element_type
    if not isinstance(elem, AnyFloat):
        raise kc.fail(f"AveragePool needs a floating-point element type, got {elem}")
    include_pad = bool(int_attr_value(kc.op.count_include_pad))  # type: ignore[attr-defined]

    with parallel_nest([x_shape[0], x_shape[1], *out_sizes]) as ivs:
        n, c, outs = ivs[0], ivs[1], ivs[2:]
        ranges = tap_ranges(win, outs, out_sizes, in_sizes)

        def body(taps: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
            pos = [input_position(win, d, outs[d], taps[d]) for d in range(win.rank)]
            return [scalar.add(acc[0], load(x, [n, c, *pos]))]

        (total,) = reduce_loops(ranges, [scalar.const(0, elem)], body)
        divisor = average_divisor(win, outs, out_sizes, in_sizes, ranges, include_pad, elem)
        store(scalar.div(total, divisor), y, [n, c, *outs])


def _global_pool(kc: KernelContext, average: bool) -> None:
    x, y = kc.input("x"), kc.output("y")
    x_shape = kc.shape("x")
    spatial = x_shape[2:]
    elem = y.type.element_type
    unsigned = kc.unsigned("x")
    ones = [0] * len(spatial)
    with parallel(x_shape[:2]) as (n, c):
        if average:
            init = scalar.const(0, elem)

            def body(taps: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
                return [scalar.add(acc[0], load(x, [n, c, *taps]))]
        else:
            init = lowest(elem, unsigned)

            def body(taps: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
                return [scalar.maximum(acc[0], load(x, [n, c, *taps]), unsigned)]

        (total,) = reduce_loops([(0, s) for s in spatial], [init], body)
        if average:
            total = scalar.div(total, scalar.const(max(prod(spatial), 1), elem))
        store(total, y, [n, c, *ones])


def lower_global_average_pool(kc: KernelContext) -> None:
    if not isinstance(kc.output("y").type.element_type, AnyFloat):
        raise kc.fail("GlobalAveragePool needs a floating-point element type")
    _global_pool(kc, average=True)


def lower_global_max_pool(kc: KernelContext) -> None:
    _global_pool(kc, average=False)


LOWERINGS: dict[str, KernelLowering] = {
    "onnx.MaxPool": lower_max_pool,
    "onnx.AveragePool": lower_average_pool,
    "onnx.GlobalAveragePool": lower_global_average_pool,
    "onnx.GlobalMaxPool": lower_global_max_pool,
}
