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

from xdsl.dialects import arith, math, memref
from xdsl.dialects.builtin import Float32Type
from xdsl.ir import SSAValue

from dialects.onnx.base import float_attr_value
from lowering import scalar
from lowering.kernels.conv import Index, ix_add, ix_min, ix_mul, ix_sub
from lowering.kernels.matmul import MR, NR, GemmOperands, gemm_tile
from lowering.kernels.normalization import compute_type, load_as, store_as
from lowering.kernels.reduction import accumulate, lane_fold, sum_over
from lowering.loop_builder import as_index, broadcast_indices, load, loop, loop_nest, parallel, store
from lowering.kernel_context import KernelContext, KernelLowering


def _floordiv(a: SSAValue, b: int) -> SSAValue:
    return arith.DivUIOp(a, as_index(b)).result


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

        def square(ivs: list[SSAValue]) -> SSAValue:
            v = load_as(x, [*oivs, *ivs], ty)
            return scalar.mul(v, v)

        total = sum_over(inner, square, ty)
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
        total = sum_over([n], lambda i: math.ExpOp(scalar.sub(value(i[0]), row_max)).result, ty,
                         contiguous=axis == len(shape) - 1)
        inv = scalar.div(scalar.const(1, ty), total)
        with loop_nest([n]) as (i,):
            store_as(scalar.mul(math.ExpOp(scalar.sub(value(i), row_max)).result, inv), y, at(i))


# Scores of one block of query rows live in a stack buffer of at most this many floats
# (64 KiB: L2-resident, and within the translator's stack limit).
QUERY_BLOCK_FLOATS = 16384
ROW_LANES = 16  # partial maxima / sums per softmax row (one vector of them)


def _row_reduce(row: SSAValue, r: SSAValue, n: int, init: float, combine) -> SSAValue:
    """combine-fold of row[r, 0:n] with ROW_LANES partial results (lane_fold)."""
    return lane_fold(n, lambda i: load(row, [r, i]), init, combine, row.type.element_type, ROW_LANES)


def _attention_f32(kc: KernelContext) -> None:
    """Attention on f32 as two register-tiled GEMMs around a softmax, per (batch...,
    block of query rows) — one iteration of a parallel loop:
      scores[i, j] = (q[i, :] . k_t[:, j]) * scale + mask[i, j]  (gemm_tile: 4 rows x
        16 keys of accumulators, k_t read in place: it is contiguous along the keys);
      per row: the max, e = exp(s - max) (vectorized: math-polynomial-approximation),
        the sum (ROW_LANES partial maxima and sums);
      y[i, c] = (e[i, :] . v[:, c]) / sum[i]  (gemm_tile again, v contiguous along c).
    The block's scores ([rows, Sk], at most QUERY_BLOCK_FLOATS) stay in a stack buffer
    of the thread that runs it; the whole [Sq, Sk] matrix never exists. The query
    block has a static size, its last one fewer rows (full 4-row tiles, then single
    rows)."""
    q, k_t, v, y, mask = kc.input("q"), kc.input("k_t"), kc.input("v"), kc.output("y"), kc.input("mask")
    sq, sk, sv, sy = kc.shape("q"), kc.shape("k_t"), kc.shape("v"), kc.shape("y")
    batch = sy[:-2]
    n_q, depth, n_k, d_v = sq[-2], sq[-1], sk[-1], sv[-1]
    scores_shape = (*batch, n_q, n_k)
    mask_shape = kc.shape("mask") if mask is not None else ()
    ty = y.type.element_type
    scale = scalar.const(float_attr_value(kc.op.scale), ty)
    block = min(n_q, max(MR, QUERY_BLOCK_FLOATS // max(n_k, 1) // MR * MR))
    blocks = -(-n_q // block)
    with parallel([*batch, blocks]) as ivs:
        b, first = ivs[:-1], ix_mul(ivs[-1], block)
        qb = broadcast_indices(b, sq[:-2], batch)
        kb = broadcast_indices(b, sk[:-2], batch)
        vb = broadcast_indices(b, sv[:-2], batch)
        rows = ix_min(block, ix_sub(n_q, first)) if n_q % block else block
        scores = memref.AllocaOp.get(ty, 64, [block, n_k]).memref
        inv = memref.AllocaOp.get(ty, 64, [block]).memref
        acc = memref.AllocaOp.get(ty, 64, [MR * NR]).memref

        def at(i: Index) -> Index:  # block row -> query row
            return ix_add(first, i)

        def finish_score(s: SSAValue, i: SSAValue, j: SSAValue) -> SSAValue:
            s = scalar.mul(s, scale)
            if mask is not None:
                s = scalar.add(s, load(mask, broadcast_indices([*b, at(i), j], mask_shape, scores_shape)))
            return s

        qk = GemmOperands(
            block, n_k, depth,
            a_at=lambda i, d: load(q, [*qb, at(i), d]),
            b_at=lambda d, j: load(k_t, [*kb, d, j]),
            finish=finish_score,
            store=lambda s, i, j: store(s, scores, [i, j]),
        )
        pv = GemmOperands(
            block, d_v, n_k,
            a_at=lambda i, j: load(scores, [i, j]),
            b_at=lambda j, c: load(v, [*vb, j, c]),
            finish=lambda s, i, c: scalar.mul(s, load(inv, [i])),
            store=lambda s, i, c: store(s, y, [*b, at(i), c]),
        )

        def gemm(ops: GemmOperands, n: int) -> None:
            """ops over the block's rows: 4-row tiles, then single rows; 16-column
            panels, then the tail panel; B read in place."""

            def panel(j0: Index, width: int) -> None:
                def b_at(kk: Index, lane: SSAValue) -> SSAValue:
                    return ops.b_at(kk, ix_add(j0, lane))

                full_rows = rows - rows % MR if isinstance(rows, int) else ix_mul(_floordiv(rows, MR), MR)
                if full_rows != 0:
                    with loop(full_rows, 0, MR) as il:
                        gemm_tile(ops, acc, il.iv, MR, j0, width, b_at)
                if full_rows != rows:
                    with loop(rows, full_rows) as il:
                        gemm_tile(ops, acc, il.iv, 1, j0, width, b_at)

            n_full = n - n % NR
            if n_full:
                with loop(n_full, 0, NR) as jl:
                    panel(jl.iv, NR)
            if n % NR:
                panel(n_full, n % NR)

        gemm(qk, n_k)
        with loop(rows) as rl:
            r = rl.iv
            row_max = _row_reduce(scores, r, n_k, float("-inf"), scalar.maximum)
            with loop(n_k) as jl:
                store(math.ExpOp(scalar.sub(load(scores, [r, jl.iv]), row_max)).result, scores, [r, jl.iv])
            total = _row_reduce(scores, r, n_k, 0.0, scalar.add)
            store(scalar.div(scalar.const(1.0, ty), total), inv, [r])
        gemm(pv, d_v)


def lower_attention(kc: KernelContext) -> None:
    if isinstance(kc.type_of("q").element_type, Float32Type):
        _attention_f32(kc)
        return
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
