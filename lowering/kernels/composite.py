"""Kernels of the recomposed `strata` blocks: RMSNormalization, ScaledMaskedSoftmax and
Attention, one loop nest each (16-bit floats computed in f32).

- strata.RMSNormalization: per outer index, one pass for mean(x^2) over dims
  [axis, rank), then y = x * (1 / sqrt(mean + eps)) * scale (scale broadcast to x).
- strata.ScaledMaskedSoftmax: per row along `axis`, the numerically stable three passes
  of Softmax (max, sum of exp(v - max), write exp(v - max) / sum) on v = x * scale +
  mask, v recomputed in each pass (a load and an FMA are cheaper than a scratch row).
- strata.Attention: per (batch..., query row i), the scores row s_j = (q_i . k_t[:, j]) *
  scale + mask_ij goes into a scratch buffer of Sk elements (one memref.alloca at the top
  of the kernel, which the LLVM translator hoists into the entry block), carrying the row
  max; a second pass replaces s_j by exp(s_j - max) and sums it; then each output column
  is sum_j e_j v[j, :] divided once by the sum. The full [Sq, Sk] score matrix never
  exists.
"""

from __future__ import annotations

from xdsl.dialects import math, memref
from xdsl.ir import SSAValue

from dialects.onnx.base import float_attr_value
from lowering import scalar
from lowering.kernels.normalization import compute_type, load_as, store_as
from lowering.kernels.reduction import accumulate
from lowering.loop_builder import broadcast_indices, load, loop_nest, parallel, store
from lowering.onnx_to_loops import KernelContext, KernelLowering


def _count(dims) -> int:
    n = 1
    for d in dims:
        n *= d
    return n


def lower_rms_normalization(kc: KernelContext) -> None:
    x, y = kc.input("x"), kc.output("y")
    shape = kc.shape("x")
    axis = kc.op.normalized_axis()
    ty = compute_type(kc.type_of("x").element_type)
    scale, scale_shape = kc.input("scale"), kc.shape("scale")
    outer, inner = shape[:axis], shape[axis:]
    eps = scalar.const(float_attr_value(kc.op.epsilon), ty)
    with parallel(outer) as oivs:

        def sq(ivs, acc):
            v = load_as(x, [*oivs, *ivs], ty)
            return [scalar.add(acc[0], scalar.mul(v, v))]

        (total,) = accumulate(inner, [scalar.const(0, ty)], sq)
        mean = scalar.div(total, scalar.const(_count(inner), ty))
        inv_rms = scalar.div(scalar.const(1, ty), math.SqrtOp(scalar.add(mean, eps)).result)
        with loop_nest(inner) as ivs:
            full = [*oivs, *ivs]
            v = scalar.mul(load_as(x, full, ty), inv_rms)
            store_as(scalar.mul(v, load_as(scale, broadcast_indices(full, scale_shape, shape), ty)), y, full)


def lower_scaled_masked_softmax(kc: KernelContext) -> None:
    x, y, mask = kc.input("x"), kc.output("y"), kc.input("mask")
    shape = kc.shape("x")
    mask_shape = kc.shape("mask") if mask is not None else ()
    axis = kc.op.normalized_axis()
    ty = compute_type(kc.type_of("x").element_type)
    scale = scalar.const(float_attr_value(kc.op.scale), ty)
    n = shape[axis]
    with parallel([s for d, s in enumerate(shape) if d != axis]) as ivs:

        def at(i: SSAValue) -> list[SSAValue]:
            return [*ivs[:axis], i, *ivs[axis:]]

        def value(i: SSAValue) -> SSAValue:
            v = scalar.mul(load_as(x, at(i), ty), scale)
            if mask is not None:
                v = scalar.add(v, load_as(mask, broadcast_indices(at(i), mask_shape, shape), ty))
            return v

        (row_max,) = accumulate([n], [scalar.const(float("-inf"), ty)], lambda i, a: [scalar.maximum(a[0], value(i[0]))])
        (total,) = accumulate(
            [n], [scalar.const(0, ty)], lambda i, a: [scalar.add(a[0], math.ExpOp(scalar.sub(value(i[0]), row_max)).result)]
        )
        inv = scalar.div(scalar.const(1, ty), total)
        with loop_nest([n]) as (i,):
            store_as(scalar.mul(math.ExpOp(scalar.sub(value(i), row_max)).result, inv), y, at(i))


def lower_attention(kc: KernelContext) -> None:
    q, k_t, v, y, mask = kc.input("q"), kc.input("k_t"), kc.input("v"), kc.output("y"), kc.input("mask")
    sq, sk, sv, sy = kc.shape("q"), kc.shape("k_t"), kc.shape("v"), kc.shape("y")
    batch = sy[:-2]
    n_q, depth, n_k, d_v = sq[-2], sq[-1], sk[-1], sv[-1]
    scores_shape = (*batch, n_q, n_k)  # the scores as broadcast to the output's batch
    mask_shape = kc.shape("mask") if mask is not None else ()
    ty = compute_type(kc.type_of("q").element_type)
    scale = scalar.const(float_attr_value(kc.op.scale), ty)
    row = memref.AllocaOp.get(ty, shape=[n_k]).memref
    with parallel([*batch, n_q]) as ivs:
        b, i = ivs[:-1], ivs[-1]
        qb = broadcast_indices(b, sq[:-2], batch)
        kb = broadcast_indices(b, sk[:-2], batch)
        vb = broadcast_indices(b, sv[:-2], batch)

        def score(j_iv, acc):
            (j,) = j_iv
            (dot,) = accumulate(
                [depth],
                [scalar.const(0, ty)],
                lambda d, a: [scalar.add(a[0], scalar.mul(load_as(q, [*qb, i, d[0]], ty), load_as(k_t, [*kb, d[0], j], ty)))],
            )
            s = scalar.mul(dot, scale)
            if mask is not None:
                s = scalar.add(s, load_as(mask, broadcast_indices([*b, i, j], mask_shape, scores_shape), ty))
            store(s, row, [j])
            return [scalar.maximum(acc[0], s)]

        (row_max,) = accumulate([n_k], [scalar.const(float("-inf"), ty)], score)

        def exp_sum(j_iv, acc):
            (j,) = j_iv
            e = math.ExpOp(scalar.sub(load(row, [j]), row_max)).result
            store(e, row, [j])
            return [scalar.add(acc[0], e)]

        (total,) = accumulate([n_k], [scalar.const(0, ty)], exp_sum)
        inv = scalar.div(scalar.const(1, ty), total)
        with loop_nest([d_v]) as (c,):
            (acc,) = accumulate(
                [n_k],
                [scalar.const(0, ty)],
                lambda j, a: [scalar.add(a[0], scalar.mul(load(row, [j[0]]), load_as(v, [*vb, j[0], c], ty)))],
            )
            store_as(scalar.mul(acc, inv), y, [*b, i, c])


LOWERINGS: dict[str, KernelLowering] = {
    "strata.RMSNormalization": lower_rms_normalization,
    "strata.ScaledMaskedSoftmax": lower_scaled_masked_softmax,
    "strata.Attention": lower_attention,
}
