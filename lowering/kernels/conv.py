"""Conv and ConvTranspose kernels (plain loop nests; no tiling yet), and the window
geometry that the pooling kernels share.

Window geometry: a sliding-window op reads, for output position `o` and tap `k` of a
spatial dim, the input position `o * stride - pad_begin + k * dilation`. Padding is
never materialized and never read: for each output position the loops run only over
the taps whose input position lies inside the input (`valid_range`), computed with
index arithmetic (floordivsi/maxsi/minsi). Where no window of a dim can leave the input
the range is the static `[0, kernel)` and no index arithmetic is emitted.

ConvTranspose is the scatter form: Y starts as the bias (or zero) and every input
position adds `x * w` into output `i * stride - pad_begin + k * dilation`; for a fixed
tap the loop over the input positions is clamped the same way, so the innermost loop
walks X contiguously.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from xdsl.ir import SSAValue

from lowering import scalar
from lowering.loop_builder import load, loop, loop_nest, parallel, parallel_nest, store
from lowering.kernel_context import KernelContext, KernelLowering
from lowering.loop_builder import Index, ix_add, ix_affine, ix_ceildiv, ix_max, ix_min, ix_mul, ix_sub

# A kernel epilogue: (result value, its output indices) -> the value to store. Applied
# in registers right before the store of each output element (bias/residual adds,
# activations of fused ops), so it costs no extra pass over the output.
Epilogue = Callable[[SSAValue, Sequence[Index]], SSAValue]


# ---- window geometry ----------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Per spatial dim: kernel size, stride, dilation, begin/end padding."""

    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilations: tuple[int, ...]
    pads_begin: tuple[int, ...]
    pads_end: tuple[int, ...]

    @property
    def rank(self) -> int:
        return len(self.kernel)


def window_of(kc: KernelContext) -> Window:
    """The effective window attributes of a Conv/ConvTranspose/MaxPool/AveragePool
    (the dialect's `effective_*()` methods: defaults, auto_pad and output_shape applied)."""
    op = kc.op
    try:
        kernel = op.effective_kernel_shape()  # type: ignore[attr-defined]
        strides = op.effective_strides()  # type: ignore[attr-defined]
        dilations = op.effective_dilations()  # type: ignore[attr-defined]
        pads = op.effective_pads()  # type: ignore[attr-defined]
    except ValueError as e:
        raise kc.fail(str(e)) from None
    n = len(kernel)
    if not (len(strides) == len(dilations) == n and len(pads) == 2 * n):
        raise kc.fail(f"inconsistent window attributes: kernel {kernel}, strides {strides}, dilations {dilations}, pads {pads}")
    return Window(tuple(kernel), tuple(strides), tuple(dilations), tuple(pads[:n]), tuple(pads[n:]))


def valid_range(count: int, step: int, iv: Index, iv_count: int, scale: int, offset: int, limit: int) -> tuple[Index, Index]:
    """The range [lo, hi) of j in [0, count) with 0 <= j * step + (iv * scale + offset) < limit,
    where iv runs over [0, iv_count). Static (0, count) when that holds for every iv;
    otherwise index values with lo <= hi (an empty range when no j is valid)."""
    lowest = offset + min(0, (iv_count - 1) * scale)
    highest = offset + max(0, (iv_count - 1) * scale) + (count - 1) * step
    if lowest >= 0 and highest < limit:
        return 0, count
    base = ix_affine(iv, scale, offset)
    lo = ix_max(0, ix_ceildiv(ix_sub(0, base), step))
    hi = ix_min(count, ix_ceildiv(ix_sub(limit, base), step))
    return lo, ix_max(hi, lo)


def tap_ranges(win: Window, out_ivs: Sequence[SSAValue], out_sizes: Sequence[int], in_sizes: Sequence[int]) -> list[tuple[Index, Index]]:
    """Per spatial dim, the taps of the window at output position `out_ivs` that read
    inside the input."""
    return [
        valid_range(win.kernel[d], win.dilations[d], out_ivs[d], out_sizes[d], win.strides[d], -win.pads_begin[d], in_sizes[d])
        for d in range(win.rank)
    ]


def input_position(win: Window, d: int, out_iv: Index, tap: Index) -> Index:
    """o * stride - pad_begin + k * dilation."""
    return ix_add(ix_affine(out_iv, win.strides[d], -win.pads_begin[d]), ix_mul(tap, win.dilations[d]))


def reduce_loops(
    ranges: Sequence[tuple[Index, Index]],
    init: Sequence[SSAValue],
    body: Callable[[list[SSAValue], list[SSAValue]], Sequence[SSAValue]],
) -> list[SSAValue]:
    """Nested loops over `ranges` carrying `init`; `body(ivs, carried)` returns the next
    carried values. Returns the final values."""
    if not ranges:
        return list(body([], list(init)))
    lo, hi = ranges[0]
    with loop(hi, lo, carried=list(init)) as lp:
        outer = lp.iv
        lp.yield_(*reduce_loops(ranges[1:], lp.carried, lambda ivs, acc: body([outer, *ivs], acc)))
    return list(lp.results)


@contextmanager
def range_loops(ranges: Sequence[tuple[Index, Index]]) -> Iterator[list[SSAValue]]:
    """Nested loops over `ranges` without carried values, yielding the ivs."""
    if not ranges:
        yield []
        return
    lo, hi = ranges[0]
    with loop(hi, lo) as lp:
        with range_loops(ranges[1:]) as inner:
            yield [lp.iv, *inner]


# ---- Conv ---------------------------------------------------------------------------


def _group(kc: KernelContext) -> int:
    group = kc.op.effective_group()  # type: ignore[attr-defined]
    if group < 1:
        raise kc.fail(f"group must be >= 1, got {group}")
    return group


def lower_conv(kc: KernelContext, epilogue: Epilogue | None = None) -> None:
    """Y[n, m, o] = B[m] + sum_{c in group(m), k} X[n, c, o*s - pb + k*d] * W[m, c - c0, k],
    stored as epilogue(Y[n, m, o], [n, m, o...]) when an epilogue is given (any op with
    Conv's operand names x, w, b, result y and window properties lowers here)."""
    x, w, y = kc.input("x"), kc.input("w"), kc.output("y")
    bias = kc.input("b")
    x_shape, w_shape, y_shape = kc.shape("x"), kc.shape("w"), kc.shape("y")
    win = window_of(kc)
    group = _group(kc)
    batch, channels = x_shape[0], x_shape[1]
    m_total, c_per_group = w_shape[0], w_shape[1]
    if channels != c_per_group * group or m_total % group:
        raise kc.fail(f"X {x_shape} and W {w_shape} do not fit group={group}")
    if tuple(w_shape[2:]) != win.kernel:
        raise kc.fail(f"kernel_shape {list(win.kernel)} differs from W {w_shape}")
    m_per_group = m_total // group
    in_sizes, out_sizes = x_shape[2:], y_shape[2:]
    elem = y.type.element_type

    with parallel_nest([batch, group, m_per_group, *out_sizes]) as ivs:
        n, g, ml, outs = ivs[0], ivs[1], ivs[2], ivs[3:]
        m = ix_add(ix_mul(g, m_per_group), ml)
        c0 = ix_mul(g, c_per_group)
        init = load(bias, [m]) if bias is not None else scalar.const(0, elem)
        ranges = tap_ranges(win, outs, out_sizes, in_sizes)
        starts = [ix_affine(outs[d], win.strides[d], -win.pads_begin[d]) for d in range(win.rank)]

        def body(loop_ivs: list[SSAValue], acc: list[SSAValue]) -> list[SSAValue]:
            c, taps = loop_ivs[0], loop_ivs[1:]
            pos = [ix_add(starts[d], ix_mul(taps[d], win.dilations[d])) for d in range(win.rank)]
            xv = load(x, [n, ix_add(c0, c), *pos])
            wv = load(w, [m, c, *taps])
            return [scalar.add(acc[0], scalar.mul(xv, wv))]

        (total,) = reduce_loops([(0, c_per_group), *ranges], [init], body)
        out_idx = [n, m, *outs]
        store(epilogue(total, out_idx) if epilogue is not None else total, y, out_idx)


# ---- ConvTranspose ------------------------------------------------------------------


def lower_conv_transpose(kc: KernelContext) -> None:
    """Y = B, then for every input position i and tap k:
    Y[n, m, i*s - pb + k*d] += X[n, c, i] * W[c, m - m0, k] (c and m in the same group)."""
    x, w, y = kc.input("x"), kc.input("w"), kc.output("y")
    bias = kc.input("b")
    x_shape, w_shape, y_shape = kc.shape("x"), kc.shape("w"), kc.shape("y")
    win = window_of(kc)
    group = _group(kc)
    batch, channels = x_shape[0], x_shape[1]
    m_per_group = w_shape[1]
    if w_shape[0] != channels or channels % group or y_shape[1] != m_per_group * group:
        raise kc.fail(f"X {x_shape}, W {w_shape} and Y {y_shape} do not fit group={group}")
    if tuple(w_shape[2:]) != win.kernel:
        raise kc.fail(f"kernel_shape {list(win.kernel)} differs from W {w_shape}")
    c_per_group = channels // group
    in_sizes, out_sizes = x_shape[2:], y_shape[2:]
    elem = y.type.element_type

    with parallel([batch, group, m_per_group]) as ivs:
        n, g, ml = ivs
        m = ix_add(ix_mul(g, m_per_group), ml)
        init = load(bias, [m]) if bias is not None else scalar.const(0, elem)
        with loop_nest(out_sizes) as outs:
            store(init, y, [n, m, *outs])
        with loop_nest([c_per_group, *win.kernel]) as civs:
            c = ix_add(ix_mul(g, c_per_group), civs[0])
            taps = civs[1:]
            wv = load(w, [c, ml, *taps])
            # For tap k the input positions i with 0 <= i*s + (k*d - pb) < out_size.
            ranges = [
                valid_range(in_sizes[d], win.strides[d], taps[d], win.kernel[d], win.dilations[d], -win.pads_begin[d], out_sizes[d])
                for d in range(win.rank)
            ]
            with range_loops(ranges) as pos:
                outs = [ix_add(ix_mul(pos[d], win.strides[d]), ix_affine(taps[d], win.dilations[d], -win.pads_begin[d])) for d in range(win.rank)]
                acc = load(y, [n, m, *outs])
                store(scalar.add(acc, scalar.mul(load(x, [n, c, *pos]), wv)), y, [n, m, *outs])


LOWERINGS: dict[str, KernelLowering] = {
    "onnx.Conv": lower_conv,
    "onnx.ConvTranspose": lower_conv_transpose,
}
