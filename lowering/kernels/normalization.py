"""Normalization kernels: Softmax/LogSoftmax, LayerNormalization, BatchNormalization
(inference form) and InstanceNormalization. Each is an outer loop nest over the
positions that own one set of statistics (a softmax row, a LayerNorm outer index, an
(n, c) pair) around inner passes over the normalized elements, each pass an scf.for nest
whose running value is an iter_arg (`reduction.accumulate`). Softmax follows opset 13:
along `axis` only, numerically stable in three passes (row max; sum of exp(x - max);
write exp(x - max) / sum, or x - max - log(sum)). LayerNormalization, InstanceNormalization
use two passes for the statistics (mean, then the mean of squared deviations, which is
stabler than E[x^2] - E[x]^2) and a third pass that writes y = (x - mean) * inv_std *
scale + B, with Scale/B broadcast to the normalized dims; LayerNorm's optional Mean and
InvStdDev outputs have X's shape with the normalized dims set to 1. BatchNormalization
uses the given per-channel (axis 1) mean and variance: y = (x - mean) / sqrt(var + eps) *
scale + B, with the channel factor computed once per (n, c). GroupNormalization is the
same two-pass statistics per (n, group) over the group's channels and the spatial dims,
with per-channel scale and bias (opset 21). RMSNormalization takes one pass for
mean(x^2) over dims [axis, rank) and writes x / sqrt(mean + eps) * scale (scale
broadcast to X, Y in scale's type). LpNormalization divides by the L1 or L2 norm along
`axis` (0 where the norm is 0, as opset 22 says). MeanVarianceNormalization computes mean
and variance over `axes` (the other dims are the outer loops) and writes (x - mean) /
(sqrt(var) + 1e-9), ONNX's function body. LRN sums x^2 over the clamped channel window
[c - floor((size-1)/2), c + ceil((size-1)/2)] (a loop with runtime bounds) and writes
x / (bias + alpha / size * sum)^beta. Half-precision inputs are computed in f32, and
stash_type=11 (double) computes the statistics of Group/RMSNormalization in f64; others
in their own type."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import arith, math
from xdsl.dialects.builtin import BFloat16Type, Float16Type, f32, f64
from xdsl.ir import Attribute, SSAValue

from dialects.onnx.base import float_attr_value, int_attr_value
from lowering import scalar
from lowering.kernels.reduction import accumulate, merge_indices, sum_over
from lowering.loop_builder import broadcast_indices, idx, load, loop, loop_nest, parallel, parallel_nest, store
from lowering.kernel_context import KernelContext, KernelLowering


def compute_type(elem: Attribute) -> Attribute:
    """The arithmetic type for a float element type: f32 for 16-bit floats."""
    return f32 if isinstance(elem, (Float16Type, BFloat16Type)) else elem


def stash_compute_type(kc: KernelContext, elem: Attribute) -> Attribute:
    """The statistics' arithmetic type: f64 for stash_type=11, else compute_type."""
    return f64 if int_attr_value(kc.op.stash_type) == 11 else compute_type(elem)


def load_as(mem: SSAValue, indices: Sequence[int | SSAValue], ty: Attribute) -> SSAValue:
    return scalar.convert(load(mem, indices), ty)


def store_as(value: SSAValue, mem: SSAValue, indices: Sequence[int | SSAValue]) -> None:
    store(scalar.convert(value, mem.type.element_type), mem, indices)


def _exp(v: SSAValue) -> SSAValue:
    return math.ExpOp(v).result


def _log(v: SSAValue) -> SSAValue:
    return math.LogOp(v).result


def _sqrt(v: SSAValue) -> SSAValue:
    return math.SqrtOp(v).result


def _epsilon(kc: KernelContext, ty: Attribute) -> SSAValue:
    eps = float_attr_value(kc.op.epsilon)
    return scalar.const(1e-5 if eps is None else eps, ty)


def _count(shape: Sequence[int]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _mean_and_var(
    x: SSAValue, ty: Attribute, bounds: Sequence[int], index: Callable[[list[SSAValue]], list[SSAValue]], count: int
) -> tuple[SSAValue, SSAValue]:
    """Mean and population variance of x[index(ivs)] over the nest `bounds` (two passes)."""
    n = scalar.const(count, ty)
    mean = scalar.div(sum_over(bounds, lambda ivs: load_as(x, index(ivs), ty), ty), n)

    def square(ivs: list[SSAValue]) -> SSAValue:
        d = scalar.sub(load_as(x, index(ivs), ty), mean)
        return scalar.mul(d, d)

    return mean, scalar.div(sum_over(bounds, square, ty), n)


# ---- Softmax / LogSoftmax -----------------------------------------------------------


def lower_softmax(log: bool) -> KernelLowering:
    def lower(kc: KernelContext) -> None:
        x, y = kc.input("input"), kc.output("output")
        shape = kc.shape("input")
        axis = kc.op.normalized_axis()
        ty = compute_type(y.type.element_type)
        outer = [s for d, s in enumerate(shape) if d != axis]
        n = shape[axis]
        with parallel(outer) as ivs:

            def at(i: SSAValue) -> list[SSAValue]:
                return [*ivs[:axis], i, *ivs[axis:]]

            (row_max,) = accumulate(
                [n], [scalar.const(float("-inf"), ty)], lambda i, a: [scalar.maximum(a[0], load_as(x, at(i[0]), ty))]
            )
            total = sum_over([n], lambda i: _exp(scalar.sub(load_as(x, at(i[0]), ty), row_max)), ty,
                             contiguous=axis == len(shape) - 1)
            if log:
                shift = scalar.add(row_max, _log(total))
                with loop_nest([n]) as (i,):
                    store_as(scalar.sub(load_as(x, at(i), ty), shift), y, at(i))
            else:
                with loop_nest([n]) as (i,):
                    e = _exp(scalar.sub(load_as(x, at(i), ty), row_max))
                    store_as(scalar.div(e, total), y, at(i))

    lower.__name__ = "lower_logsoftmax" if log else "lower_softmax"
    return lower


# ---- LayerNormalization -------------------------------------------------------------


def lower_layer_norm(kc: KernelContext) -> None:
    x, y = kc.input("x"), kc.output("y")
    shape = kc.shape("x")
    axis = kc.op.normalized_axis()
    ty = compute_type(y.type.element_type)
    outer, inner = shape[:axis], shape[axis:]
    scale, bias = kc.input("scale"), kc.input("b")
    scale_shape = kc.shape("scale")
    bias_shape = kc.shape("b") if bias is not None else ()
    mean_out = kc.output("mean") if kc.op.mean is not None else None
    inv_out = kc.output("inv_std_dev") if kc.op.inv_std_dev is not None else None
    one = scalar.const(1, ty)
    eps = _epsilon(kc, ty)
    with parallel(outer) as oivs:
        mean, var = _mean_and_var(x, ty, inner, lambda ivs: [*oivs, *ivs], _count(inner))
        inv_std = scalar.div(one, _sqrt(scalar.add(var, eps)))
        stats_idx = [*oivs, *([0] * len(inner))]
        if mean_out is not None:
            store_as(mean, mean_out, stats_idx)
        if inv_out is not None:
            store_as(inv_std, inv_out, stats_idx)
        with loop_nest(inner) as ivs:
            idx = [*oivs, *ivs]
            v = scalar.mul(scalar.sub(load_as(x, idx, ty), mean), inv_std)
            v = scalar.mul(v, load_as(scale, broadcast_indices(ivs, scale_shape, inner), ty))
            if bias is not None:
                v = scalar.add(v, load_as(bias, broadcast_indices(ivs, bias_shape, inner), ty))
            store_as(v, y, idx)


# ---- BatchNormalization -------------------------------------------------------------


def lower_batch_norm(kc: KernelContext) -> None:
    if int_attr_value(kc.op.training_mode) or kc.op.running_mean is not None or kc.op.running_var is not None:
        raise kc.fail("only inference BatchNormalization is supported (training_mode=1 / running stats outputs)")
    x, y = kc.input("x"), kc.output("y")
    shape = kc.shape("x")
    ty = compute_type(y.type.element_type)
    scale, bias, mean, var = (kc.input(n) for n in ("scale", "b", "input_mean", "input_var"))
    eps = _epsilon(kc, ty)
    with parallel(shape[:2]) as (n, c):
        m = load_as(mean, [c], ty)
        factor = scalar.div(load_as(scale, [c], ty), _sqrt(scalar.add(load_as(var, [c], ty), eps)))
        b = load_as(bias, [c], ty)
        with loop_nest(shape[2:]) as sivs:
            idx = [n, c, *sivs]
            store_as(scalar.add(scalar.mul(scalar.sub(load_as(x, idx, ty), m), factor), b), y, idx)


# ---- InstanceNormalization ----------------------------------------------------------


def lower_instance_norm(kc: KernelContext) -> None:
    x, y = kc.input("input"), kc.output("output")
    shape = kc.shape("input")
    ty = compute_type(y.type.element_type)
    scale, bias = kc.input("scale"), kc.input("b")
    eps = _epsilon(kc, ty)
    spatial = shape[2:]
    with parallel(shape[:2]) as (n, c):
        mean, var = _mean_and_var(x, ty, spatial, lambda ivs: [n, c, *ivs], _count(spatial))
        factor = scalar.div(load_as(scale, [c], ty), _sqrt(scalar.add(var, eps)))
        b = load_as(bias, [c], ty)
        with loop_nest(spatial) as sivs:
            idx = [n, c, *sivs]
            store_as(scalar.add(scalar.mul(scalar.sub(load_as(x, idx, ty), mean), factor), b), y, idx)


# ---- GroupNormalization -------------------------------------------------------------


def lower_group_norm(kc: KernelContext) -> None:
    x, y = kc.input("x"), kc.output("y")
    shape = kc.shape("x")
    ty = stash_compute_type(kc, y.type.element_type)
    scale, bias = kc.input("scale"), kc.input("bias")
    eps = _epsilon(kc, ty)
    groups = kc.op.num_groups.value.data
    per_group = shape[1] // groups
    spatial = shape[2:]
    bounds = [per_group, *spatial]
    with parallel([shape[0], groups]) as (n, g):
        first = arith.MuliOp(g, idx(per_group)).result

        def at(ivs: list[SSAValue]) -> list[SSAValue]:
            return [n, arith.AddiOp(first, ivs[0]).result, *ivs[1:]]

        mean, var = _mean_and_var(x, ty, bounds, at, _count(bounds))
        inv_std = scalar.div(scalar.const(1, ty), _sqrt(scalar.add(var, eps)))
        with loop_nest(bounds) as ivs:
            pos = at(ivs)
            c = pos[1]
            v = scalar.mul(scalar.mul(scalar.sub(load_as(x, pos, ty), mean), inv_std), load_as(scale, [c], ty))
            store_as(scalar.add(v, load_as(bias, [c], ty)), y, pos)


# ---- RMSNormalization ---------------------------------------------------------------


def lower_rms_norm(kc: KernelContext) -> None:
    x, y = kc.input("x"), kc.output("y")
    shape = kc.shape("x")
    axis = kc.op.normalized_axis()
    ty = stash_compute_type(kc, kc.type_of("x").element_type)
    scale, scale_shape = kc.input("scale"), kc.shape("scale")
    outer, inner = shape[:axis], shape[axis:]
    eps = _epsilon(kc, ty)
    with parallel(outer) as oivs:

        def square(ivs: list[SSAValue]) -> SSAValue:
            v = load_as(x, [*oivs, *ivs], ty)
            return scalar.mul(v, v)

        total = sum_over(inner, square, ty)
        mean = scalar.div(total, scalar.const(_count(inner), ty))
        inv_rms = scalar.div(scalar.const(1, ty), _sqrt(scalar.add(mean, eps)))
        with loop_nest(inner) as ivs:
            full = [*oivs, *ivs]
            v = scalar.mul(load_as(x, full, ty), inv_rms)
            store_as(scalar.mul(v, load_as(scale, broadcast_indices(full, scale_shape, shape), ty)), y, full)


# ---- LpNormalization ----------------------------------------------------------------


def lower_lp_norm(kc: KernelContext) -> None:
    x, y = kc.input("input"), kc.output("output")
    shape = kc.shape("input")
    axis = kc.op.normalized_axis()
    ty = compute_type(y.type.element_type)
    p = kc.op.p.value.data
    zero = scalar.const(0, ty)
    with parallel([d for i, d in enumerate(shape) if i != axis]) as ivs:

        def at(i: SSAValue) -> list[SSAValue]:
            return [*ivs[:axis], i, *ivs[axis:]]

        def add_term(i, a):
            v = load_as(x, at(i[0]), ty)
            return [scalar.add(a[0], scalar.abs_(v) if p == 1 else scalar.mul(v, v))]

        (total,) = accumulate([shape[axis]], [zero], add_term)
        norm = total if p == 1 else _sqrt(total)
        is_zero = scalar.compare("eq", norm, zero)
        with loop_nest([shape[axis]]) as (i,):
            v = scalar.div(load_as(x, at(i), ty), norm)
            store_as(scalar.select(is_zero, zero, v), y, at(i))


# ---- MeanVarianceNormalization ------------------------------------------------------


def lower_mvn(kc: KernelContext) -> None:
    x, y = kc.input("x"), kc.output("y")
    shape = kc.shape("x")
    axes = kc.op.effective_axes()
    ty = compute_type(y.type.element_type)
    rank = len(shape)
    inner = [shape[a] for a in axes]
    tiny = scalar.const(1e-9, ty)
    with parallel([d for i, d in enumerate(shape) if i not in axes]) as kept:

        def at(ivs: list[SSAValue]) -> list[SSAValue]:
            return merge_indices(rank, axes, kept, ivs)

        mean, var = _mean_and_var(x, ty, inner, at, _count(inner))
        denom = scalar.add(_sqrt(var), tiny)
        with loop_nest(inner) as ivs:
            store_as(scalar.div(scalar.sub(load_as(x, at(ivs), ty), mean), denom), y, at(ivs))


# ---- LRN ----------------------------------------------------------------------------


def lower_lrn(kc: KernelContext) -> None:
    x, y = kc.input("x"), kc.output("y")
    shape = kc.shape("x")
    ty = compute_type(y.type.element_type)
    size = kc.op.size.value.data
    channels = shape[1]
    before, after = (size - 1) // 2, size // 2  # floor and ceil of (size - 1) / 2
    alpha = scalar.const(float_attr_value(kc.op.alpha) / size, ty)
    beta = scalar.const(float_attr_value(kc.op.beta), ty)
    bias = scalar.const(float_attr_value(kc.op.bias), ty)
    with parallel_nest(shape) as ivs:
        c = ivs[1]
        lo = arith.MaxSIOp(arith.SubiOp(c, idx(before)).result, idx(0)).result
        hi = arith.MinSIOp(arith.AddiOp(c, idx(after + 1)).result, idx(channels)).result
        with loop(hi, lo, carried=[scalar.const(0, ty)]) as lp:
            v = load_as(x, [ivs[0], lp.iv, *ivs[2:]], ty)
            lp.yield_(scalar.add(lp.carried[0], scalar.mul(v, v)))
        base = scalar.add(bias, scalar.mul(alpha, lp.results[0]))
        denom = math.PowFOp(base, beta).result
        store_as(scalar.div(load_as(x, ivs, ty), denom), y, ivs)


LOWERINGS: dict[str, KernelLowering] = {
    "onnx.Softmax": lower_softmax(log=False),
    "onnx.LogSoftmax": lower_softmax(log=True),
    "onnx.LayerNormalization": lower_layer_norm,
    "onnx.BatchNormalization": lower_batch_norm,
    "onnx.InstanceNormalization": lower_instance_norm,
    "onnx.GroupNormalization": lower_group_norm,
    "onnx.RMSNormalization": lower_rms_norm,
    "onnx.LpNormalization": lower_lp_norm,
    "onnx.MeanVarianceNormalization": lower_mvn,
    "onnx.LRN": lower_lrn,
}
