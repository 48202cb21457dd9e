"""The Pad kernel: one loop nest over the output. `pads` and `axes` must be compile-time
constants. Negative pads crop first (as onnxruntime does); the padded window's source
index `i - pad_begin` is then mapped per mode: constant clamps the index for a safe load
and selects the runtime `constant_value` (default 0) where it fell outside, edge clamps
into [0, n - 1], wrap takes it modulo n, and reflect folds it with period 2 * (n - 1)
(any pad width; n = 1 repeats the element), n being the cropped size of the axis. Index
checks are emitted only on sides that are padded, and no index ever leaves the input.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects import arith
from xdsl.ir import SSAValue

from dialects.onnx.base import str_attr_value
from lowering import scalar
from lowering.kernels.data_movement import clamp_index
from lowering.loop_builder import idx, load, loop_nest, store
from lowering.kernel_context import KernelContext, KernelLowering


def _positive_mod(v: SSAValue, m: int) -> SSAValue:
    """v mod m in [0, m) for a signed index v."""
    r = arith.RemSIOp(v, idx(m)).result
    neg = arith.CmpiOp(r, idx(0), "slt").result
    return arith.SelectOp(neg, arith.AddiOp(r, idx(m)).result, r).result


def _and(a: SSAValue | None, b: SSAValue) -> SSAValue:
    return b if a is None else arith.AndIOp(a, b).result


def pad_widths(kc: KernelContext, rank: int) -> list[tuple[int, int]]:
    """(begin, end) per dim from the constant `pads` and optional `axes`."""
    pads = [int(v) for v in np.asarray(kc.require_const("pads")).reshape(-1)]
    if kc.op.axes is not None:
        axes = [int(a) for a in np.asarray(kc.require_const("axes")).reshape(-1)]
        axes = [a + rank if a < 0 else a for a in axes]
    else:
        axes = list(range(rank))
    if len(pads) != 2 * len(axes):
        raise kc.fail(f"pads has {len(pads)} entries for {len(axes)} axes")
    widths = [(0, 0)] * rank
    for k, a in enumerate(axes):
        if not 0 <= a < rank:
            raise kc.fail(f"axes entry {a} is out of range for rank {rank}")
        widths[a] = (pads[k], pads[len(axes) + k])
    return widths


def lower_pad(kc: KernelContext) -> None:
    mode = str_attr_value(kc.op.mode) or "constant"
    in_shape, out_shape = kc.shape("data"), kc.shape("output")
    widths = pad_widths(kc, len(in_shape))
    expected = tuple(d + b + e for d, (b, e) in zip(in_shape, widths))
    if expected != out_shape:
        raise kc.fail(f"pads give shape {list(expected)}, but the result type has {list(out_shape)}")
    data, out = kc.input("data"), kc.output("output")
    elem = out.type.element_type
    empty_input = 0 in in_shape

    if mode == "constant":
        cval_buf = kc.input("constant_value")
        if cval_buf is None:
            cval = scalar.const(0, elem)
        else:
            cval = load(cval_buf, [0] * len(kc.shape("constant_value")))
        with loop_nest(out_shape) as ivs:
            if empty_input:
                store(cval, out, ivs)
                return
            src: list[SSAValue] = []
            inside: SSAValue | None = None
            for iv, d, (b, e) in zip(ivs, in_shape, widths):
                s = iv if b == 0 else arith.SubiOp(iv, idx(b)).result
                if b > 0:
                    inside = _and(inside, arith.CmpiOp(s, idx(0), "sge").result)
                if e > 0:
                    inside = _and(inside, arith.CmpiOp(s, idx(d), "slt").result)
                if b > 0 or e > 0:
                    s = clamp_index(s, 0, d - 1)
                src.append(s)
            value = load(data, src)
            if inside is not None:
                value = scalar.select(inside, value, cval)
            store(value, out, ivs)
        return

    if mode not in ("reflect", "edge", "wrap"):
        raise kc.fail(f"pad mode {mode!r} is not supported")
    if empty_input and 0 not in out_shape:
        raise kc.fail(f"mode {mode} cannot pad an input with a zero-size dim")
    with loop_nest(out_shape) as ivs:
        src = []
        for iv, d, (b, e) in zip(ivs, in_shape, widths):
            # Crop first (negative pads, as onnxruntime does), then pad the window
            # [lo, lo + n) of the input.
            lo, n = max(0, -b), d - max(0, -b) - max(0, -e)
            b, e = max(b, 0), max(e, 0)
            if n <= 0 and (b > 0 or e > 0):
                raise kc.fail(f"mode {mode} cannot pad an axis cropped to size {n}")
            s = iv if b == 0 else arith.SubiOp(iv, idx(b)).result
            if b > 0 or e > 0:
                if n == 1:
                    s = idx(0)
                elif mode == "edge":
                    s = clamp_index(s, 0, n - 1)
                elif mode == "wrap":
                    s = _positive_mod(s, n)
                else:  # reflect: period 2(n - 1), the second half mirrored
                    period = 2 * (n - 1)
                    t = _positive_mod(s, period)
                    low = arith.CmpiOp(t, idx(n), "slt").result
                    s = arith.SelectOp(low, t, arith.SubiOp(idx(period), t).result).result
            if lo:
                s = arith.AddiOp(s, idx(lo)).result
            src.append(s)
        store(load(data, src), out, ivs)


LOWERINGS: dict[str, KernelLowering] = {"onnx.Pad": lower_pad}
