"""The Resize kernel (modes nearest and linear). Per axis, the scale (from the constant
`scales`, or float(out)/float(in) from the constant `sizes`, with keep_aspect_ratio_policy
applied), the ROI (tf_crop_and_resize) and the coordinate-mode constants are fixed at
compile time; the source coordinate of each output index is computed in the loop with
f32 arithmetic in the same order onnxruntime uses (half_pixel_symmetric and the
single-pixel tf_crop_and_resize case go through f64 as there), at the loop level of its
axis, so no index or weight tables enter the IR. Axes whose size and scale are 1:1
(outside tf_crop_and_resize) read the input index directly. nearest rounds by
`nearest_mode` and linear interpolates over the 2^k neighbours of the k resized axes
(bilinear on H, W for the usual NCHW case); coordinates are clamped into
[0, dim - 1] before any index is formed, so nothing is read out of bounds. With
tf_crop_and_resize an output whose coordinate leaves the input takes
`extrapolation_value`. exclude_outside does not change nearest or linear results. Not
supported (kc.fail): cubic, antialias with downscaling, linear on integer tensors.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import arith, math
from xdsl.dialects.builtin import AnyFloat, IndexType, IntegerType, f32, f64
from xdsl.ir import SSAValue

from dialects.onnx.base import float_attr_value, int_attr_value, str_attr_value
from lowering import scalar
from lowering.loop_builder import idx, load, loop, store
from lowering.kernel_context import KernelContext, KernelLowering


def _f(value: float, ty=f32) -> SSAValue:
    return scalar.const(float(value), ty)


def _to_float(iv: SSAValue, ty=f32) -> SSAValue:
    return arith.SIToFPOp(arith.IndexCastOp(iv, IntegerType(64)).result, ty).result


def _clampf(c: SSAValue, hi: float) -> SSAValue:
    """c clamped into [0, hi]; NaN becomes 0."""
    c = arith.SelectOp(arith.CmpfOp(c, _f(0.0), "ogt").result, c, _f(0.0)).result
    return arith.SelectOp(arith.CmpfOp(c, _f(hi), "olt").result, c, _f(hi)).result


def _f_to_index(v: SSAValue) -> SSAValue:
    """A float holding a small non-negative integer as an index."""
    return arith.IndexCastOp(arith.FPToSIOp(v, IntegerType(64)).result, IndexType()).result


@dataclass
class AxisPlan:
    """Compile-time facts of one axis."""

    in_dim: int
    out_dim: int
    scale: float  # f32 value
    roi: tuple[float, float] = (0.0, 1.0)

    def identity(self, ctm: str) -> bool:
        return ctm != "tf_crop_and_resize" and self.in_dim == self.out_dim and np.float32(self.scale) == 1


def _coordinate(plan: AxisPlan, ctm: str, iv: SSAValue) -> SSAValue:
    """The f32 source coordinate of output index iv (onnxruntime's formulas)."""
    s = np.float32(plan.scale)
    l_in, l_out = np.float32(plan.in_dim), np.float32(plan.out_dim)
    x = _to_float(iv)
    if ctm == "asymmetric":
        return arith.DivfOp(x, _f(s)).result
    if ctm in ("half_pixel", "pytorch_half_pixel"):
        if ctm == "pytorch_half_pixel" and plan.out_dim <= 1:
            return _f(0.0)
        t = arith.DivfOp(arith.AddfOp(x, _f(0.5)).result, _f(s)).result
        return arith.SubfOp(t, _f(0.5)).result
    if ctm == "align_corners":
        if plan.out_dim == 1:
            return _f(0.0)
        t = arith.MulfOp(x, _f(l_in - np.float32(1))).result
        return arith.DivfOp(t, _f(l_out - np.float32(1))).result
    if ctm == "half_pixel_symmetric":
        output_width = np.float32(s * l_in)
        adjustment = np.float32(l_out / output_width)
        center = np.float32(l_in / np.float32(2))
        offset = np.float32(center * np.float32(np.float32(1) - adjustment))
        xd = _to_float(iv, f64)
        t = arith.DivfOp(arith.AddfOp(xd, _f(0.5, f64)).result, _f(float(s), f64)).result
        t = arith.SubfOp(arith.AddfOp(_f(float(offset), f64), t).result, _f(0.5, f64)).result
        return arith.TruncFOp(t, f32).result
    if ctm == "tf_crop_and_resize":
        start, end = np.float32(plan.roi[0]), np.float32(plan.roi[1])
        if plan.out_dim <= 1:
            return _f(np.float32(0.5 * (float(start) + float(end)) * (plan.in_dim - 1)))
        base = np.float32(start * (l_in - np.float32(1)))
        t = arith.MulfOp(x, _f(np.float32(end - start))).result
        t = arith.MulfOp(t, _f(l_in - np.float32(1))).result
        t = arith.DivfOp(t, _f(l_out - np.float32(1))).result
        return arith.AddfOp(_f(base), t).result
    raise ValueError(f"coordinate_transformation_mode {ctm!r}")


def _nearest(c: SSAValue, nearest_mode: str) -> SSAValue:
    """The rounded index of coordinate c, already clamped into [0, dim - 1]."""
    if nearest_mode == "floor":
        return _f_to_index(math.FloorOp(c).result)
    if nearest_mode == "ceil":
        return _f_to_index(math.CeilOp(c).result)
    f = math.FloorOp(c).result
    frac = arith.SubfOp(c, f).result
    pred = "ogt" if nearest_mode == "round_prefer_floor" else "oge"
    up = arith.CmpfOp(frac, _f(0.5), pred).result
    return _f_to_index(arith.SelectOp(up, arith.AddfOp(f, _f(1.0)).result, f).result)


def axis_plans(kc: KernelContext) -> list[AxisPlan]:
    op = kc.op
    in_shape, out_shape = kc.shape("x"), kc.shape("y")
    rank = len(in_shape)
    axes = op.effective_axes()
    scales = [np.float32(1.0)] * rank
    if op.has_scales():
        given = np.asarray(kc.require_const("scales"), dtype=np.float32).reshape(-1)
        for a, s in zip(axes, given):
            scales[a] = np.float32(s)
    else:
        if op.sizes is None:
            raise kc.fail("one of scales and sizes must be given")
        sizes = [int(v) for v in np.asarray(kc.require_const("sizes")).reshape(-1)]
        for a, n in zip(axes, sizes):
            scales[a] = np.float32(1.0) if in_shape[a] == 0 else np.float32(n) / np.float32(in_shape[a])
        policy = str_attr_value(op.keep_aspect_ratio_policy) or "stretch"
        if policy != "stretch":
            pick = min if policy == "not_larger" else max
            common = pick(scales[a] for a in axes)
            for a in axes:  # the output dims themselves come from the result type
                scales[a] = common
    rois = [(0.0, 1.0)] * rank
    ctm = str_attr_value(op.coordinate_transformation_mode) or "half_pixel"
    if ctm == "tf_crop_and_resize":
        roi = kc.const("roi") if op.roi is not None else None
        if roi is None or roi.size == 0:
            raise kc.fail("tf_crop_and_resize needs a constant, non-empty roi")
        roi = np.asarray(roi, dtype=np.float32).reshape(-1)
        roi_axes = axes if roi.size == 2 * len(axes) else list(range(rank))
        if roi.size != 2 * len(roi_axes):
            raise kc.fail(f"roi has {roi.size} entries, expected {2 * len(axes)}")
        n = len(roi_axes)
        for k, a in enumerate(roi_axes):
            rois[a] = (float(roi[k]), float(roi[n + k]))
    return [AxisPlan(i, o, float(s), r) for i, o, s, r in zip(in_shape, out_shape, scales, rois)]


def lower_resize(kc: KernelContext) -> None:
    op = kc.op
    mode = str_attr_value(op.mode) or "nearest"
    ctm = str_attr_value(op.coordinate_transformation_mode) or "half_pixel"
    nearest_mode = str_attr_value(op.nearest_mode) or "round_prefer_floor"
    if mode == "cubic":
        raise kc.fail("cubic not supported yet")
    if mode not in ("nearest", "linear"):
        raise kc.fail(f"mode {mode!r} is not supported")
    plans = axis_plans(kc)
    if mode == "linear" and int_attr_value(op.antialias) and any(np.float32(p.scale) < 1 for p in plans):
        raise kc.fail("antialias with downscaling is not supported yet")
    x, y = kc.input("x"), kc.output("y")
    elem = y.type.element_type
    if mode == "linear" and not isinstance(elem, AnyFloat):
        raise kc.fail(f"linear mode needs a floating-point element type, got {kc.type_of('y').element_type}")
    extrapolate = ctm == "tf_crop_and_resize"
    extrapolation_value = float_attr_value(op.extrapolation_value) or 0.0
    if 0 in (p.in_dim for p in plans) and 0 not in (p.out_dim for p in plans):
        raise kc.fail("cannot resize an input with a zero-size dim to a non-empty output")

    # Per axis: list of (index, weight or None) neighbours; out-of-range flags.
    neighbours: list[list[tuple[SSAValue, SSAValue | None]]] = []
    outside: SSAValue | None = None
    with ExitStack() as stack:
        ivs = []
        for plan in plans:
            iv = stack.enter_context(loop(plan.out_dim)).iv
            ivs.append(iv)
            if plan.identity(ctm):
                neighbours.append([(iv, None)])
                continue
            c = _coordinate(plan, ctm, iv)
            hi = float(plan.in_dim - 1)
            if extrapolate:
                bad = arith.OrIOp(
                    arith.CmpfOp(c, _f(0.0), "olt").result, arith.CmpfOp(c, _f(hi), "ogt").result
                ).result
                outside = bad if outside is None else arith.OrIOp(outside, bad).result
            c = _clampf(c, hi)
            if mode == "nearest":
                neighbours.append([(_nearest(c, nearest_mode), None)])
                continue
            f = math.FloorOp(c).result
            w1 = arith.SubfOp(c, f).result
            w0 = arith.SubfOp(_f(1.0), w1).result
            i0 = _f_to_index(f)
            i1 = arith.MinSIOp(arith.AddiOp(i0, idx(1)).result, idx(plan.in_dim - 1)).result
            neighbours.append([(i0, w0), (i1, w1)])

        if mode == "nearest":
            value = load(x, [n[0][0] for n in neighbours])
        else:
            value = _interpolate(x, neighbours, elem)
        if outside is not None:
            value = scalar.select(outside, scalar.const(extrapolation_value, elem), value)
        store(value, y, ivs)


def _interpolate(x: SSAValue, neighbours, elem) -> SSAValue:
    """sum over the 2^k corners of prod(weights) * x[corner], in f32 (f64 for f64 data)."""
    acc_ty = f64 if elem == f64 else f32

    def weight(w: SSAValue) -> SSAValue:
        return w if acc_ty == f32 else arith.ExtFOp(w, f64).result

    acc: SSAValue | None = None
    corners: list[tuple[list[SSAValue], SSAValue | None]] = [([], None)]
    for choices in neighbours:
        nxt = []
        for index, w in corners:
            for i, wi in choices:
                if wi is None:
                    nxt.append((index + [i], w))
                else:
                    wi = weight(wi)
                    nxt.append((index + [i], wi if w is None else arith.MulfOp(w, wi).result))
        corners = nxt
    for index, w in corners:
        v = scalar.convert(load(x, index), acc_ty)
        term = v if w is None else arith.MulfOp(w, v).result
        acc = term if acc is None else arith.AddfOp(acc, term).result
    assert acc is not None
    return scalar.convert(acc, elem)


LOWERINGS: dict[str, KernelLowering] = {"onnx.Resize": lower_resize}
