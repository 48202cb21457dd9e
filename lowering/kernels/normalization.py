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
scale + B, with the channel factor computed once per (n, c). Half-precision inputs are
computed in f32 (stash_type beyond that is ignored); others in their own type."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.dialects import math
from xdsl.dialects.builtin import BFloat16Type, Float16Type, f32
from xdsl.ir import Attribute, SSAValue

from dialects.onnx.base import float_attr_value, int_attr_value
from lowering import scalar
from lowering.kernels.reduction import accumulate
from lowering.loop_builder import broadcast_indices, load, loop_nest, store
from lowering.onnx_to_loops import KernelContext, KernelLowering


def compute_type(elem: Attribute) -> Attribute:
    """The arithmetic type for a float element type: f32 for 16-bit floats."""
    return f32 if isinstance(elem, (Float16Type, BFloat16Type)) else elem


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
    (total,) = accumulate(bounds, [scalar.const(0, ty)], lambda ivs, a: [scalar.add(a[0], load_as(x, index(ivs), ty))])
    mean = scalar.div(total, n)

    def sq(ivs, a):
        d = scalar.sub(load_as(x, index(ivs), ty), mean)
        return [scalar.add(a[0], scalar.mul(d, d))]

    (sqsum,) = accumulate(bounds, [scalar.const(0, ty)], sq)
    return mean, scalar.div(sqsum, n)


# ---- Softmax / LogSoftmax -----------------------------------------------------------


def lower_softmax(log: bool) -> KernelLowering:
    def lower(kc: KernelContext) -> None:
        x, y = kc.input("input"), kc.output("output")
        shape = kc.shape("input")
        axis = kc.op.normalized_axis()
        ty = compute_type(y.type.element_type)
        outer = [s for d, s in enumerate(shape) if d != axis]
        n = shape[axis]
        with loop_nest(outer) as ivs:

            def at(i: SSAValue) -> list[SSAValue]:
                return [*ivs[:axis], i, *ivs[axis:]]

            (row_max,) = accumulate(
                [n], [scalar.const(float("-inf"), ty)], lambda i, a: [scalar.maximum(a[0], load_as(x, at(i[0]), ty))]
            )
            (total,) = accumulate(
                [n],
                [scalar.const(0, ty)],
                lambda i, a: [scalar.add(a[0], _exp(scalar.sub(load_as(x, at(i[0]), ty), row_max)))],
            )
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
    with loop_nest(outer) as oivs:
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
    with loop_nest(shape[:2]) as (n, c):
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
    with loop_nest(shape[:2]) as (n, c):
        mean, var = _mean_and_var(x, ty, spatial, lambda ivs: [n, c, *ivs], _count(spatial))
        factor = scalar.div(load_as(scale, [c], ty), _sqrt(scalar.add(var, eps)))
        b = load_as(bias, [c], ty)
        with loop_nest(spatial) as sivs:
            idx = [n, c, *sivs]
            store_as(scalar.add(scalar.mul(scalar.sub(load_as(x, idx, ty), mean), factor), b), y, idx)


LOWERINGS: dict[str, KernelLowering] = {
    "onnx.Softmax": lower_softmax(log=False),
    "onnx.LogSoftmax": lower_softmax(log=True),
    "onnx.LayerNormalization": lower_layer_norm,
    "onnx.BatchNormalization": lower_batch_norm,
    "onnx.InstanceNormalization": lower_instance_norm,
}
