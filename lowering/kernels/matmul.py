"""MatMul and Gemm kernels.

Both take an optional epilogue `(value, output indices) -> value` applied in registers
right before the single store of each result element (the fused ops' scale, bias and
activation; Gemm's alpha and beta * C go the same way).

f32 with at least 8 output columns (N >= MIN_N) and at most ROWS_MAX_M / DOTS_MAX_M
rows (M after folding batch dims, as below) takes a small-M kernel that reads B in its
own layout, without packing:
  - row-major B' (MatMul, Gemm transB=0): per block of up to 8192 / M columns, M x block
    accumulators on the stack (L1); a lane loop over the block's columns does KU = 4 k
    steps of FMAs per pass reading B[k, j0 : j0 + block] contiguously (vector FMAs;
    whole rows of B streamed, so the prefetcher keeps up); the last pass finishes and
    stores Y (the same body as the tiled kernel's, `gemm_tile`, with a wide lane loop);
  - transposed B' (Gemm transB=1): per 4 output columns, 16 partial sums per output
    along k (a lane loop over 16 consecutive k: vector FMAs, A loaded once for the 4
    columns, 4 rows of B streamed), then the 16 lanes summed, the K % 16 tail added in
    k order, alpha / beta * C / epilogue applied, one store per output.
  Measured (tools/matmul_benchmark.py --gemv, 1 thread, Strata / onnxruntime): AlexNet's
  fc6 at batch 1, Gemm [1,9216] x W^T[4096,9216] 22.6 ms -> 5.9 ms (0.92x; onnxruntime
  5-6 ms, both memory-bound at ~25 GB/s), the same with transB=0 44.3 -> 6.8 ms (0.94x),
  [1,4096]x[4096,4096] 19.2 -> 2.8 ms (0.79x), [2,1024]x[1024,1000] 0.36x, [3,512]^2
  0.52x (onnxruntime packs B for M > 1). Column blocks of 256 instead of whole rows:
  2.1x (fc6 transB=0); 16-column blocks read 64 bytes per row of B, one page each.
  Swept against the tiled kernel: small-M stays faster up to M = 16 for a row-major B
  (M = 4: 0.37x vs 1.79x of onnxruntime at 4096^2, 0.44x vs 1.26x at 512^2; M = 16:
  0.77x vs 1.51x, 1.07x vs 1.11x; M = 24: 0.90x vs 1.41x but 1.26x vs 1.07x at 512^2)
  and up to M = 8 for a transposed B (M = 8: 0.58x vs 1.17x, 1.06x vs 2.19x; M = 12 is
  mixed, the body of M x 4 FMAs gets long). The limits are 3 for now (the lit tests pin
  the tiled kernel's IR on 4- and 5-row products); raising them is a one-line change.
Otherwise f32 with N >= MIN_N takes a register-tiled GEMM:
  - it reads B' (B or B^T) as K x 16 column panels. A constant B' (weights) is packed
    into them once at compile time ([ceil(N / 16), K, 16], pack_panels; the kernel's
    argument has that shape); otherwise each panel is copied to a K x 16 stack buffer
    per call (a transposed B is read once with a stride instead of once per row tile;
    the copy is also what lets LLVM prove the stores of Y alias nothing the loop reads);
  - per 4-row tile of A', 4 x 16 accumulators in a stack buffer, zeroed; the K loop
    loads A'[i..i+3, k..k+3] as scalars and an inner lane loop over the 16 columns does
    16 `math.fma`. LLVM's loop vectorizer turns that lane loop into <16 x float> FMAs
    (one zmm FMA with an embedded broadcast of A on an AVX-512 host; two ymm FMAs per
    row when compiled for AVX2 / znver3, checked in the assembly, no spills) and SROA
    keeps the accumulators in registers. The last k steps' body applies the epilogue
    and stores Y (vector stores);
  - on AVX2 (16 registers of 8 floats, tiled_vector_lanes) full panels take 6-row
    tiles instead, MLAS's AVX2 SGEMM tile: the k loop carries the 6 x 16 accumulators
    as 12 explicit `vector<8xf32>` values (2 vector loads of the panel row, one
    broadcast of A per row, 12 `vector.fma`), so nothing depends on LLVM vectorizing
    the tile (a 6-row tile of lane loops spilled and ran at half speed); the final
    body is the lane loop above. The M % 6 rows left over take one tile of that many
    rows the same way (1-5 % faster than 4-row and single-row lane-loop tiles on
    Zen 3: GPT-2's 128 rows leave 2, ViT's 197 leave 5).
    Measured on the Zen 3 host (tools/matmul_benchmark.py, 1 thread, Strata / onnxruntime):
    512^3 1.04x -> 0.97x (85 -> 94 GFLOP/s), 1024x768x768 1.02x -> 0.95x, Gemm
    1024x768x768 transB 1.00x -> 0.92x; GPT-2 (tools/benchmark.py --real gpt2) 1.13x
    -> 1.00x, BERT-base 1.09x -> 1.02x;
  - on AVX-512 (32 registers of 16 floats) the same explicit tiles are 12 rows x 32
    columns, MLAS's AVX-512 SGEMM tile: 24 `vector<16xf32>` accumulators, per k step 2
    vector loads of B' (a 32-column panel: the stack copy is K x 32, a packed B' is read
    as two adjacent K x 16 panels, so pack_panels and its layout are the same for every
    target), 12 broadcasts of A and 24 `vector.fma`. The vector loop runs all of K and
    the final body only finishes and stores: a lane loop over the tile's columns that
    LLVM vectorizes (without an epilogue it stores the accumulators straight to Y; k
    steps in it, as on AVX2, took a lane loop per 16-column half, since the halves read
    different packed panels: the same speed, and 2.2x the LLVM time, 0.56 s vs 0.26 s
    over BERT's and ViT's four product shapes). The N % 32 >= 16 columns left take one
    16-column panel (12 x 16 vector tiles), the N % 16 left the lane-loop tile, M % 12
    rows one tile of that many rows. A' goes in row blocks of 768 KiB
    (A_BLOCK_BYTES_512; at least 512 rows when B' is copied per call). The 4 x 16
    lane-loop tile had 4 zmm accumulators: too few FMA chains for two 512-bit FMA
    units (8-10 needed to cover the latency);
  - tails: M % 4 rows and N % 16 columns run the same body with fewer rows / lanes,
    K % 4 goes into the final body (4 to 7 k steps), so nothing is read or written out
    of bounds and no loop is unrolled across a tensor;
  - a 2-D B folds the batch dims of A into its rows (memref.collapse_shape), other
    batched products loop over the batch (numpy broadcasting as in the plain loops).
Measured on this 2-core host (Intel Xeon, family 6 model 167, rocketlake, AVX-512;
two 512-bit FMA units; tools/fma_peak 196-225 GFLOP/s at 16 lanes, depending on the
load of the shared host; tools/matmul_benchmark.py, 1 thread, B an input, Strata time
/ onnxruntime time in the same run), 4 x 16 lane-loop tiles -> 12 x 32 explicit tiles
(ranges over runs on a noisy host): 256^3 1.60x -> 0.92-0.97x (102 -> 152-187
GFLOP/s), 512^3 1.61x -> 0.94-0.99x (97 -> 143-161), 1024x768x768 1.58x -> 0.91-0.99x
(86 -> 128-146), 2048^3 1.32x -> 0.82-0.87x (92 -> 141-146), Gemm 512^3 transB 1.48x
-> 0.99-1.02x (105 -> 141-152), Gemm 1024x768x768 transB 1.55x -> 0.86-0.93x (90 ->
143-152); onnxruntime ran at 115-180 GFLOP/s in the same runs. The transformer shapes
([2,16,64] x [64,64] etc., B an input) 1.17-1.27x -> 1.05-1.12x, with a fused bias +
Gelu/Relu 0.96-1.04x -> 0.78-0.89x, a small Gemm with transB=1 (32x64 by W^T
[128, 64]) 1.47x -> 1.12-1.19x: these take 8-11 us, of which a call of a compiled
Relu takes 6.7 us (onnxruntime's 5.6 us). With B a weight (--weights): the transformer
shapes 1.02-1.08x, 256^3 to 2048^3 and the Gemms 0.91-1.05x (149-167 GFLOP/s). Models (tools/benchmark.py --real, same
load): GPT-2 1.33x -> 0.94x, BERT-base 1.22x -> 0.94x, ViT-S/16 1.46x -> 1.05x. The
12 x 32 tile's k loop alone (a standalone LLVM loop, A and B in L1 / L2) runs at
160-168 GFLOP/s here (14 loads per 24 FMAs, 80-84 % of the peak measured beside it):
about the ceiling of this tile, and where onnxruntime's MLAS (the same tile) runs too;
6 x 64 measured 164-172 and 8 x 48 152-167 (not taken: fewer rows than MLAS's tile,
N tails of up to 63 columns). Measured dead ends on this host: K blocks of 64-256 k
steps (the K x 32 panel's block in L1 for every row tile, the partial sums in a
scratch) were 2-15 % slower than whole-K panels; packing A' (12 rows of a k step in
one cache line) did not speed up the k loop; 8, 10 or 14 rows per tile measured the
same as 12 within noise. The plain loops were 8-120x slower. LLVM time: about 40 ms
per lane-loop kernel, 150 ms with tails in M and N (four copies of the body); with
the 12 x 32 tiles, 0.26 s for BERT's and ViT's four product shapes with a bias and
Relu (0.19 s with lane-loop tiles).

Numerics: the sum of each element runs in k order with one rounding per FMA (as
onnxruntime's MLAS kernels do on this CPU: small products match it bit for bit; large
ones differ by MLAS's K blocking, 4e-5 at 256^3, as the plain loops did); the plain
loops round the product and the sum separately.

Not tiled (the plain loops below): other element types (f64, f16, integers), N < 8
(nothing to vectorize along N; also for a transposed B, where the dot products would not
need it: the lit tests pin those loops), and MatMul with a 1-D B (matrix-vector: N = 1).
Measured dead ends: without K unrolling in the lane-loop body, LLVM fully unrolls the
lane loop before vectorizing (all scalar, 9 GFLOP/s); with two 8-lane blocks instead of
one 16-lane loop, a lane loop below 16 iterations gets no run-time alias checks, so an
epilogue reading a bias kept the final stores scalar; with 32 registers (AVX-512)
and lane-loop tiles, MR = 6 and KU = 8 measured the same as 4 and 4 and cost more LLVM
time (on Zen 4; the explicit tiles above replaced them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import arith, memref, vector
from xdsl.dialects.builtin import Float32Type, VectorType
from xdsl.ir import Attribute, Operation, SSAValue

from dialects.onnx.base import float_attr_value, int_attr_value
from dialects.shapes import tensor_shape
from lowering import scalar
from lowering.kernels.conv import Epilogue, Index, ix_add, ix_mul
from lowering.loop_builder import as_index, broadcast_indices, collapse, load, loop, parallel, parallel_nest, store
from lowering.kernel_context import KernelContext, KernelLowering
from lowering.operand_packing import OperandPacking, OperandPackings
from lowering.target import CpuTarget
from runtime.compiled_model import aligned_bytes


# ---- register-tiled f32 GEMM ---------------------------------------------------------

MR = 4  # rows of A' per lane-loop register tile (6 measured no faster on Zen 4's lane loops; M = 32 divides by 4)
NR = 16  # columns per register tile: one lane loop of 16 (one zmm, or two ymm)
KU = 4  # k steps per lane-loop body (the tiled kernel's on AVX2: tiled_k_unroll)


def tiled_k_unroll(target: CpuTarget) -> int:
    """k steps per lane-loop body of the register-tiled kernel. With 16 vector registers
    (AVX2) 2: measured on the Zen 3 host, 1 thread, Strata / onnxruntime with KU = 4 vs
    2: 128x768x3072 1.15x vs 1.11x, Gemm 128x768x768 transB 1.15x vs 1.09x, 512^3 1.08x
    vs 1.04x, 1024x768x768 1.17x vs 1.14x (the same order in three runs; MR = 5 or 6 and
    24-column tiles were slower). With 32 registers KU stays 4, as measured on Zen 4."""
    return KU if target.vector_registers >= 32 else 2


# The explicit-vector register tiles: rows x (VECTORS_PER_ROW vectors of f32_lanes), the
# tile MLAS's SGEMM kernels use: 6 x 16 on AVX2 (12 of the 16 ymm registers as
# accumulators), 12 x 32 on AVX-512 (24 of the 32 zmm registers).
MR_VECTOR = 6  # AVX2
MR_VECTOR_512 = 12  # AVX-512
VECTORS_PER_ROW = 2


def tiled_vector_lanes(target: CpuTarget) -> int:
    """Lanes of the explicit-vector register tile of the tiled kernel, 0 for none (the
    lane loops LLVM vectorizes; CpuTarget.explicit_vector_tiles). With 16 registers of
    8 floats (AVX2): 8, a 6 x 16 tile in 12 accumulators, the B row in 2 and A's
    broadcast in 1, as MLAS tiles SGEMM on AVX2. With 32 registers of 16 floats
    (AVX-512): 16, a 12 x 32 tile in 24 accumulators (MLAS's AVX-512 tile)."""
    return target.f32_lanes if target.explicit_vector_tiles else 0


def tiled_vector_rows(target: CpuTarget) -> int:
    """Rows of the explicit-vector register tile (tiled_vector_lanes)."""
    return MR_VECTOR_512 if target.f32_lanes >= 16 else MR_VECTOR


def tiled_options(target: CpuTarget) -> dict[str, int]:
    """GemmOperands' target-dependent fields."""
    return {"tiled_ku": tiled_k_unroll(target), "vector_lanes": tiled_vector_lanes(target),
            "vector_rows": tiled_vector_rows(target)}


MIN_N = 8  # narrower outputs keep the simple loops (nothing to vectorize)


@dataclass(frozen=True)
class GemmOperands:
    """How the 2-D GEMM (of one batch) reads A' and B' and writes Y: closures over the
    batch indices, the transpose flags and the epilogue."""

    m: int
    n: int
    k: int
    a_at: Callable[[Index, Index], SSAValue]  # (row i, k) -> A'[i, k]
    b_at: Callable[[Index, Index], SSAValue]  # (k, column j) -> B'[k, j]
    finish: Callable[[SSAValue, SSAValue, SSAValue], SSAValue]  # (sum, i, j) -> value to store
    store: Callable[[SSAValue, SSAValue, SSAValue], None]  # Y[i, j] = value
    tiled_ku: int = KU  # k steps per lane-loop body in _tiled_gemm (tiled_k_unroll)
    vector_lanes: int = 0  # explicit-vector row tiles in _tiled_gemm (tiled_vector_lanes)
    vector_rows: int = MR_VECTOR  # rows of those tiles (tiled_vector_rows)
    # B' packed at compile time as [ceil(N / NR), K, NR] panels (pack_panels): the tiled
    # kernel reads them in place instead of copying each panel out of B' per call.
    b_panels: SSAValue | None = None


def _use_tiled(elem: Attribute, n: int) -> bool:
    return isinstance(elem, Float32Type) and n >= MIN_N


def _scratch(elem: Attribute, k: int, rows: int, panel: bool, cols: int = NR) -> tuple[SSAValue, SSAValue | None]:
    """The accumulator tile of rows x cols and (`panel`: B' is not packed at compile time)
    the K x cols panel of B' copied per call (stack buffers, hoisted by the translator to
    the top of their function, so one per thread inside a parallel loop; a panel over
    256 KiB goes to the heap)."""
    acc = memref.AllocaOp.get(elem, 64, [rows * cols]).memref
    return acc, memref.AllocaOp.get(elem, 64, [k * cols]).memref if panel else None


# ---- B' packed at compile time ---------------------------------------------------------
# A constant B' (weights) is rearranged once into the panels the tiled kernel streams,
# [ceil(N / NR), K, NR], zero columns past N (lowering/operand_packing.py). Measured on
# the Zen 3 host, [1, 128, K] x [K, N] + bias, 1 thread: copying the panels out of B
# per call cost 15-25 % of the product (768 x 3072: a K x 16 panel touches K rows 12 KiB
# apart, a page each); reading B in place with that stride instead was 1.5-2.6x slower.

PANELS_SUFFIX = "panels"  # the packed weight of constant `w` is `w.panels` (B^T: `w.panels_t`)


def pack_panels(b: np.ndarray) -> np.ndarray:
    """B' [K, N] -> [ceil(N / NR), K, NR], zero past column N, 64-byte aligned (a panel
    row is one cache line)."""
    k, n = b.shape
    full = n // NR
    panels = -(-n // NR)
    out = aligned_bytes(panels * k * NR * b.itemsize).view(b.dtype).reshape(panels, k, NR)
    out[:full] = b[:, : full * NR].reshape(k, full, NR).transpose(1, 0, 2)
    if n % NR:
        out[full, :, : n % NR] = b[:, full * NR :]
    return out


def _packs(elem: Attribute, m: int, n: int, b_transposed: bool) -> bool:
    """Whether a constant B' is packed as panels, which sends the product to the tiled
    kernel: where the tiled kernel is taken anyway, and for a transposed B from 2 rows
    on (the dot-product kernel of few rows was there only because copying B^T's panels
    per call cost more than the product; measured on Zen 3, Strata / onnxruntime with B
    an initializer, tools/matmul_benchmark.py --weights --gemv: Gemm [3, 512] x
    W^T[512, 512] 1.54x -> 0.98x, [2, 1024] x W^T[1000, 1024] 1.08x -> 0.99x). One row
    stays on the small-M kernels: memory-bound, and a 1-row tile has 2 accumulators
    (batch-1 fc6 0.82x -> 0.95x that way)."""
    if not _use_tiled(elem, n):
        return False
    return m >= 2 if b_transposed else not _small_m(m, b_transposed)


ROWS_T_SUFFIX = "rows_t"  # a constant B^T of few-row products, as row-major B' [1, K, N]


def _rows_t(k: int, n: int) -> OperandPacking:
    """B^T [N, K] -> B' [1, K, N] row-major (64-byte aligned), which the small-M rows
    kernel streams (the leading 1 tells the kernel, whatever K and N are, that it got
    B' and not B)."""
    def pack(b: np.ndarray) -> np.ndarray:
        out = aligned_bytes(k * n * b.itemsize).view(b.dtype).reshape(1, k, n)
        out[0] = b.T
        return out
    return OperandPacking(ROWS_T_SUFFIX, (1, k, n), pack)


def _rows_t_packs(target: CpuTarget, m: int, b_transposed: bool) -> bool:
    """A constant B^T of 2..DOTS_MAX_M rows goes to the rows kernel as B' with 32 vector
    registers: there the tiled kernel's lane-loop tile of 2-5 rows x 16 columns was 2-5
    zmm accumulators, too few chains to hide the FMA latency (measured before the
    AVX-512 tiles were 12 x 32 explicit vectors: 2-8 rows of those are 4-16). Measured on Zen 4, 1 thread,
    Strata / onnxruntime, tools/matmul_benchmark.py --weights --gemv: Gemm [2, 1024] x
    W^T[1000, 1024] 1.69x (tiled) / 1.06x (dot products, unpacked) / 0.99x (rows),
    [3, 512] x W^T[512, 512] 1.07x / 1.28x / 0.96x. With 16 registers (AVX2) the tiled kernel's explicit
    6 x 16 vector tile measured 0.96-0.99x there (Zen 3), so it stays."""
    return b_transposed and target.vector_registers >= 32 and 2 <= m <= DOTS_MAX_M


def rows_t_buffer(buffer: SSAValue, k: int, n: int) -> bool:
    """Whether `buffer` holds a constant B^T packed as B' [1, K, N] (_rows_t)."""
    return tuple(buffer.type.get_shape()) == (1, k, n)


def _panels(k: int, n: int, transposed: bool) -> OperandPacking:
    return OperandPacking(PANELS_SUFFIX + ("_t" if transposed else ""), (-(-n // NR), k, NR),
                          (lambda b: pack_panels(b.T)) if transposed else pack_panels)


def packed_panels(buffer: SSAValue, graph_shape: tuple[int, ...], k: int, n: int) -> SSAValue | None:
    """`buffer` if it holds B' [K, N] as compile-time panels (convert-onnx-to-loops passed
    the packed weight: the memref has the packed shape, not B's own), else None."""
    shape = tuple(buffer.type.get_shape())
    return buffer if shape != tuple(graph_shape) and shape == (-(-n // NR), k, NR) else None


def matmul_packings(op: Operation, is_constant, target: CpuTarget) -> dict[SSAValue, OperandPacking]:
    """MatMul / FusedMatMul with a constant 2-D B on the tiled path: B as panels."""
    a_shape, b_shape = tensor_shape(op.a), tensor_shape(op.b)
    if len(b_shape) != 2 or not is_constant(op.b):
        return {}
    m = _prod(a_shape[:-1])
    k, n = b_shape
    return {op.b: _panels(k, n, False)} if _packs(op.y.type.element_type, m, n, False) else {}


def gemm_packings(op: Operation, is_constant, target: CpuTarget) -> dict[SSAValue, OperandPacking]:
    """Gemm / FusedGemm with a constant B on the tiled path: B' (B^T when transB) as panels."""
    if not is_constant(op.b):
        return {}
    trans_b = bool(int_attr_value(op.transB))
    m, n = tensor_shape(op.y)
    k = tensor_shape(op.b)[1 if trans_b else 0]
    if not _packs(op.y.type.element_type, m, n, trans_b):
        return {}
    return {op.b: _rows_t(k, n) if _rows_t_packs(target, m, trans_b) else _panels(k, n, trans_b)}


# A' of more than this many bytes goes through the column panels in blocks of rows.
# Measured on Zen 4, 1 thread, B a weight, A/B in one process: 2048^3 95 -> 107 GFLOP/s,
# 2048 x 4096 x 512 95 -> 107, 4096 x 1024 x 1024 92 -> 103, bit-equal; blocks of 512 KiB
# or 2 MiB (L2-sized) were slower on 2048^3 and 512 x 2048 x 2048 (then each block reads
# all of B again), and A' up to 8 MiB (every transformer of the benchmarks) is unchanged.
A_BLOCK_BYTES = 8 << 20
# The same for the AVX-512 tile of 12 x 32 (half as many panels read A' again, and each
# panel reads it at twice the speed, so A' must come from L2, 2 MiB on the Intel host).
# Measured there, 1 thread, Strata GFLOP/s with 8 MiB -> 768 KiB blocks, B a weight, one
# process: 1024x768x768 137 -> 162, 512x2048x2048 148 -> 157, 4096x1024x1024 152 ->
# 158, 1024^3 134 -> 163, 2048^3 unchanged (149 / 144-149 over runs); 512 KiB and 1 MiB
# were each slower on one of these.
A_BLOCK_BYTES_512 = 768 << 10
# ...but at least this many rows when B' is not packed at compile time: every block
# copies every panel of B' again (K strided rows each), which small blocks of a long K
# did too often. Measured there, B an input, blocks of 768 KiB -> at least 512 rows:
# 2048^3 110 -> 133 GFLOP/s, 512x2048x2048 98 -> 131 (8 MiB: 136, 124-130),
# 1024x768x768 127 -> 124 (8 MiB: 117), 4096x1024x1024 123 -> 133.
A_BLOCK_MIN_ROWS_COPIED = 512


def a_block_rows(k: int, unit: int = 12, block_bytes: int | None = None) -> int:
    """Rows of A' per row block of the tiled kernel: whole register tiles (`unit`, a
    multiple of every row tile's height: the 4-row lane tile, the AVX2 6-row and the
    AVX-512 12-row vector tiles all divide 12) within `block_bytes` (A_BLOCK_BYTES),
    so the blocks cut M into the same tiles as one pass does (and give the same
    results, bit for bit)."""
    limit = A_BLOCK_BYTES if block_bytes is None else block_bytes
    return max(unit, limit // (4 * k) // unit * unit)


def _tiled_gemm(ops: GemmOperands, elem: Attribute) -> None:
    """Y = finish(A' @ B') in register tiles: column panels outer, row tiles inner. Each
    K x width panel of B' is first copied to `panel` and then read by every row tile:
    contiguous vectors whatever the layout of B (a transposed B is read once with a
    stride, not once per row tile), and a stack buffer that LLVM knows Y does not alias
    (read in place, B may alias Y and the final lane loop stayed scalar). A B' packed at
    compile time is read in place instead. Panels are NR = 16 columns wide, or with
    explicit vector tiles VECTORS_PER_ROW vectors (32 columns on AVX-512: two adjacent
    packed panels); on AVX-512 the N % 32 >= 16 columns left take one 16-column panel,
    and the N % 16 left a lane-loop panel."""
    m, n, k = ops.m, ops.n, ops.k
    lanes = ops.vector_lanes
    wide = max(NR, VECTORS_PER_ROW * lanes)  # columns of a full panel
    n_full = n - n % wide
    n_mid = (n - n_full) // NR * NR  # one 16-column panel left by 32-column ones
    n_rest = n - n_full - n_mid
    acc_rows = max(ops.vector_rows, MR) if lanes else MR
    packed = ops.b_panels

    def column_panel(j0: Index, width: int, acc: SSAValue, panel: SSAValue | None, i_lo: Index = 0, rows: int = m) -> None:
        if packed is not None:
            p = j0 // NR if isinstance(j0, int) else arith.DivUIOp(j0, as_index(NR)).result

            def b_at(kk: Index, lane: SSAValue) -> SSAValue:
                return load(packed, [p, kk, lane])

            def b_vec(kk: Index, col: int, vt: VectorType) -> SSAValue:
                return vector.LoadOp(packed, [as_index(ix_add(p, col // NR)), as_index(kk), as_index(col % NR)],
                                     vt).result
        else:
            assert panel is not None
            with loop(k) as kl:
                with loop(width) as lp:
                    store(ops.b_at(kl.iv, ix_add(j0, lp.iv)), panel, [ix_add(ix_mul(kl.iv, width), lp.iv)])

            def b_at(kk: Index, lane: SSAValue) -> SSAValue:
                return load(panel, [ix_add(ix_mul(kk, width), lane)])

            def b_vec(kk: Index, col: int, vt: VectorType) -> SSAValue:
                return vector.LoadOp(panel, [as_index(ix_add(ix_mul(kk, width), col))], vt).result

        vec = lanes if width % NR == 0 else 0
        tile_rows = ops.vector_rows if vec else MR

        def tile(i0: Index, tr: int) -> None:
            gemm_tile(ops, acc, i0, tr, j0, width, b_at, ops.tiled_ku, b_vec, vec)

        # Rows [i_lo, i_lo + rows): whole tiles, and the rows left over when the range
        # ends at M (row blocks, below, are whole tiles; the last one takes the rest).
        count = rows // tile_rows
        if count == 1:
            tile(i_lo, tile_rows)
        elif count > 1:
            with loop(ix_add(i_lo, count * tile_rows), i_lo, tile_rows) as il:
                tile(il.iv, tile_rows)
        if count * tile_rows < rows:
            # The rows left over: one tile of fewer rows, explicit vectors too (a 4-row
            # lane-loop tile and then single rows measured slower on AVX2: GPT-2's
            # M = 128 leaves 2 rows, ViT's 197 leaves 5).
            tile(ix_add(i_lo, count * tile_rows), rows - count * tile_rows)

    def panels(lo: int, hi: int, width: int) -> None:  # columns [lo, hi) in panels of `width`
        # Column panels are independent: each packs its own panel of B' into buffers of
        # its own (one set per thread; the translator hoists them). A' larger than
        # A_BLOCK_BYTES goes in blocks of rows, each through every panel: otherwise
        # every panel reads all of A' again, from memory once A' outgrows the caches.
        unit = np.lcm(MR, acc_rows).item() if lanes else 12
        mc = a_block_rows(k, unit, A_BLOCK_BYTES_512 if lanes >= 16 else A_BLOCK_BYTES)
        if packed is None and lanes >= 16:
            mc = max(mc, -(-A_BLOCK_MIN_ROWS_COPIED // unit) * unit)
        blocks = m // mc if m > mc else 0
        if blocks:
            with loop(blocks * mc, 0, mc) as ib:
                with parallel([hi - lo], steps=[width]) as (j,):
                    column_panel(ix_add(j, lo), width, *_scratch(elem, k, acc_rows, packed is None, width),
                                 i_lo=ib.iv, rows=mc)
        if blocks * mc < m:
            with parallel([hi - lo], steps=[width]) as (j,):
                column_panel(ix_add(j, lo), width, *_scratch(elem, k, acc_rows, packed is None, width),
                             i_lo=blocks * mc, rows=m - blocks * mc)

    if n_full:
        panels(0, n_full, wide)
    if n_mid:
        column_panel(n_full, n_mid, *_scratch(elem, k, acc_rows, packed is None))
    if n_rest:
        column_panel(n_full + n_mid, n_rest, *_scratch(elem, k, acc_rows, packed is None))


def _final_steps(k: int, ku: int) -> int:
    """k steps of a tile's final lane-loop body (ku to 2 ku - 1, or all of a short K)."""
    return k if k <= ku else ku + k % ku


def gemm_tile(ops: GemmOperands, acc: SSAValue, i0: Index, rows: int, j0: Index, width: int,
          b_at: Callable[[Index, SSAValue], SSAValue], ku: int = KU,
          b_vec: Callable[[Index, int, VectorType], SSAValue] | None = None, lanes: int = 0) -> None:
    """One rows x width tile of Y. The accumulators live in `acc`; each k step
    broadcasts A'[i0 + r, k] (loaded outside the lane loop) against the vector
    B'[k, j0 : j0 + width] in a lane loop that LLVM's loop vectorizer turns into
    vector FMAs; SROA then keeps the accumulators in registers.

    Each lane-loop body does `ku` k steps (KU = 4; 2 on AVX2, tiled_k_unroll): LLVM fully unrolls a lane loop with a small
    body before the vectorizer sees it, and everything stays scalar (9 GFLOP/s
    measured). The last body (the last ku to 2 ku - 1 steps) also finishes and stores
    the results, so the stores are vectors too (a separate store loop was unrolled into
    scalar stores). The lane loop runs over all NR = 16 columns, not 8: LLVM adds the
    run-time alias checks that an epilogue reading a bias needs only to loops of at
    least 16 iterations.

    With `lanes` (tiled_vector_lanes) every k step but the last body's is a loop over k
    carrying the rows x width accumulators as `vector<lanes x f32>` values (B's row of
    the panel as width / lanes vectors, `b_vec(k, column, type)`, A broadcast):
    explicit vectors from the start, so they stay in registers. The sums then go to
    `acc`, and the last body runs as above. With 16 lanes (AVX-512) the vector loop
    runs all of K and the last body only finishes and stores, one lane loop over the
    whole width (a 32-column tile's two halves read different packed panels, so k
    steps there would take a lane loop per half: measured the same speed, and 2.2x the
    LLVM time over BERT's and ViT's products). The same FMAs in the same k order: the
    results are those of the lane loops, bit for bit."""
    k = ops.k
    last = 0 if lanes >= 16 and b_vec is not None else _final_steps(k, ku)
    elem = acc.type.element_type
    zero = scalar.const(0.0, elem)
    if lanes and b_vec is not None and k > last:
        vt = VectorType(elem, [lanes])
        per_row = width // lanes
        zv = vector.BroadcastOp(zero, vt).vector
        with loop(k - last, carried=[zv] * (rows * per_row)) as kl:
            bs = [b_vec(kl.iv, c * lanes, vt) for c in range(per_row)]
            sums = []
            for r in range(rows):
                av = vector.BroadcastOp(ops.a_at(ix_add(i0, r), kl.iv), vt).vector
                sums += [vector.FMAOp(av, bs[c], kl.carried[r * per_row + c]).res for c in range(per_row)]
            kl.yield_(*sums)
        for r in range(rows):
            for c in range(per_row):
                vector.StoreOp(kl.results[r * per_row + c], acc, [as_index(r * width + c * lanes)])
    else:
        with loop(width) as lp:
            for r in range(rows):
                store(zero, acc, [ix_add(r * width, lp.iv)])
        if k > last:
            with loop(k - last, 0, ku) as kl:
                _k_steps(ops, acc, i0, rows, j0, width, b_at, kl.iv, ku, final=False)
    _k_steps(ops, acc, i0, rows, j0, width, b_at, k - last, last, final=True)


def _k_steps(ops: GemmOperands, acc: SSAValue, i0: Index, rows: int, j0: Index, width: int,
             b_at: Callable[[Index, SSAValue], SSAValue], k0: Index, steps: int, final: bool) -> None:
    """`steps` k steps of a tile from the partial sums in `acc`, in one lane loop; the
    final ones finish and store Y, the others write the sums back."""
    ks = [ix_add(k0, t) for t in range(steps)]
    avs = [[ops.a_at(ix_add(i0, r), kk) for r in range(rows)] for kk in ks]
    with loop(width) as lp:
        sums = [load(acc, [ix_add(r * width, lp.iv)]) for r in range(rows)]
        for t, kk in enumerate(ks):
            bv = b_at(kk, lp.iv)
            for r in range(rows):
                sums[r] = scalar.fma(avs[t][r], bv, sums[r])
        for r in range(rows):
            if final:
                i, j = as_index(ix_add(i0, r)), as_index(ix_add(j0, lp.iv))
                ops.store(ops.finish(sums[r], i, j), i, j)
            else:
                store(sums[r], acc, [ix_add(r * width, lp.iv)])


# ---- few rows: no packing --------------------------------------------------------------
# Packing a K x 16 panel of B' per 16 columns costs as much as the product itself when
# only a few row tiles of A' share it, and the products with few rows (fully connected
# layers at batch 1) are memory-bound: B is read once, in its own layout.

# At most this many rows take the small-M kernels: measured faster than the tiled kernel
# up to 16 rows (row-major B') and 8 rows (transposed B'), see the module docstring.
ROWS_MAX_M = 16  # row-major B' (MatMul, Gemm transB=0): _small_m_rows
DOTS_MAX_M = 8  # transposed B' (Gemm transB=1): _small_m_dots
ROW_ACC = 8192  # accumulators (floats) of the row-major path: M x (column block) <= this
DOT_COLS = 4  # output columns per block of a transposed B (4 rows of B streamed at once)
DOT_LANES = 16  # partial sums per dot product


def _row_block(m: int) -> int:
    """Columns per block of the row-major path: as wide as ROW_ACC accumulators allow."""
    return max(NR, ROW_ACC // m // NR * NR)


def _small_m_scratch(elem: Attribute, m: int, dots: bool) -> SSAValue:
    size = m * DOT_COLS * DOT_LANES if dots else m * _row_block(m)
    return memref.AllocaOp.get(elem, 64, [size]).memref


def _small_m_rows(ops: GemmOperands, elem: Attribute) -> None:
    """B' row-major (MatMul, Gemm transB=0): per block of _row_block(M) columns (whole
    rows of B up to 8192 / M columns), the M x block accumulators in `acc` (L1) take KU
    k steps of FMAs per pass of a lane loop over the block's columns, reading
    B'[k, j0 : j0 + block] in place: contiguous, so LLVM vectorizes it and the hardware
    prefetcher streams B (narrow blocks measured 1.4x-2x slower on a memory-bound B:
    short runs per row, a new page per row). The last pass finishes and stores Y."""
    n, nb = ops.n, _row_block(ops.m)
    n_full, n_rest = n - n % nb, n % nb

    def block(j0: Index, width: int, acc: SSAValue) -> None:
        gemm_tile(ops, acc, 0, ops.m, j0, width, lambda kk, lane: ops.b_at(kk, ix_add(j0, lane)))

    if n_full:
        with parallel([n_full], steps=[nb]) as (j0,):
            block(j0, nb, _small_m_scratch(elem, ops.m, False))
    if n_rest:
        block(n_full, n_rest, _small_m_scratch(elem, ops.m, False))


def _small_m_dots(ops: GemmOperands, elem: Attribute) -> None:
    """B' = B^T (Gemm transB=1): each output is a dot product along a contiguous row of
    B. Per block of DOT_COLS columns, DOT_LANES partial sums per (row, column) in `acc`;
    a lane loop over DOT_LANES consecutive k does rows x DOT_COLS FMAs (A loaded once
    for all columns) and vectorizes along k (LLVM does not vectorize a plain float
    reduction without fast-math flags, hence the explicit lanes). Then each output sums
    its lanes, adds the K % DOT_LANES tail in k order, and is finished and stored once."""
    m, n, k = ops.m, ops.n, ops.k
    k_full = k - k % DOT_LANES
    zero = scalar.const(0.0, elem)

    def block(j0: Index, cols: int, acc: SSAValue) -> None:
        def slot(r: int, c: int, lane: Index) -> Index:
            return ix_add((r * cols + c) * DOT_LANES, lane)

        if k_full:
            with loop(DOT_LANES) as lp:
                for r in range(m):
                    for c in range(cols):
                        store(zero, acc, [slot(r, c, lp.iv)])
            with loop(k_full, 0, DOT_LANES) as kl:
                with loop(DOT_LANES) as lp:
                    kk = ix_add(kl.iv, lp.iv)
                    avs = [ops.a_at(r, kk) for r in range(m)]
                    for c in range(cols):
                        bv = ops.b_at(kk, ix_add(j0, c))
                        for r in range(m):
                            sl = slot(r, c, lp.iv)
                            store(scalar.fma(avs[r], bv, load(acc, [sl])), acc, [sl])
        for r in range(m):
            for c in range(cols):
                total = zero
                if k_full:
                    with loop(DOT_LANES, carried=[zero]) as h:
                        h.yield_(scalar.add(h.carried[0], load(acc, [slot(r, c, h.iv)])))
                    total = h.results[0]
                j = ix_add(j0, c)
                if k != k_full:
                    with loop(k, k_full, carried=[total]) as t:
                        t.yield_(scalar.fma(ops.a_at(r, t.iv), ops.b_at(t.iv, j), t.carried[0]))
                    total = t.results[0]
                i, jx = as_index(r), as_index(j)
                ops.store(ops.finish(total, i, jx), i, jx)

    n_full = n - n % DOT_COLS
    if n_full:
        with parallel([n_full], steps=[DOT_COLS]) as (j0,):
            block(j0, DOT_COLS, _small_m_scratch(elem, m, True))
    if n % DOT_COLS:
        block(n_full, n % DOT_COLS, _small_m_scratch(elem, m, True))


def _small_m(m: int, b_transposed: bool) -> bool:
    return m <= (DOTS_MAX_M if b_transposed else ROWS_MAX_M)


def _gemm(ops: GemmOperands, elem: Attribute, b_transposed: bool) -> None:
    """The f32 GEMM of one batch: few rows without packing, otherwise register tiles.
    `b_transposed`: B'[k, j] is contiguous along k (Gemm transB=1). Its column blocks
    are one parallel loop."""
    if _small_m(ops.m, b_transposed) and ops.b_panels is None:  # packed panels: tiled (_packs)
        (_small_m_dots if b_transposed else _small_m_rows)(ops, elem)
        return
    _tiled_gemm(ops, elem)


def lower_matmul(kc: KernelContext, epilogue: Epilogue | None = None) -> None:
    """numpy.matmul: batch dims broadcast; 1-D operands are promoted and the promoted
    dim dropped from the result. Each result element is stored as
    epilogue(sum, its indices in Y) when an epilogue is given."""
    a_shape, b_shape, y_shape = kc.shape("a"), kc.shape("b"), kc.shape("y")
    a, b, y = kc.input("a"), kc.input("b"), kc.output("y")
    k_dim = a_shape[-1]
    a_vec, b_vec = len(a_shape) == 1, len(b_shape) == 1
    # Logical output dims: batch..., M, N (M or N absent for vector operands).
    batch = y_shape[: len(y_shape) - (0 if a_vec else 1) - (0 if b_vec else 1)]
    m = 1 if a_vec else a_shape[-2]
    n = 1 if b_vec else b_shape[-1]
    elem = y.type.element_type
    if not b_vec and _use_tiled(elem, n):
        _tiled_matmul(kc, epilogue, a_shape, b_shape, batch)
        return
    with parallel_nest([*batch, m, n]) as ivs:
        bivs, i, j = ivs[: len(batch)], ivs[len(batch)], ivs[len(batch) + 1]

        def batch_index(shape_batch: tuple[int, ...]) -> list:
            off = len(batch) - len(shape_batch)
            return [0 if d == 1 and batch[off + k] != 1 else bivs[off + k] for k, d in enumerate(shape_batch)]

        a_b = batch_index(a_shape[:-2]) if not a_vec else []
        b_b = batch_index(b_shape[:-2]) if not b_vec else []
        with loop(k_dim, carried=[scalar.const(0, elem)]) as red:
            av = load(a, [red.iv] if a_vec else [*a_b, i, red.iv])
            bv = load(b, [red.iv] if b_vec else [*b_b, red.iv, j])
            red.yield_(scalar.add(red.carried[0], scalar.mul(av, bv)))
        out_idx = [*bivs] + ([] if a_vec else [i]) + ([] if b_vec else [j])
        total = red.results[0]
        store(epilogue(total, out_idx) if epilogue is not None else total, y, out_idx)


def _collapse_rows(mem: SSAValue) -> SSAValue:
    """[d0, ..., dr, c] -> [d0 * ... * dr, c] (same buffer: a contiguous reshape)."""
    rank = len(mem.type.get_shape())
    return collapse(mem, [list(range(rank - 1)), [rank - 1]])


def _tiled_matmul(kc: KernelContext, epilogue: Epilogue | None, a_shape, b_shape, batch) -> None:
    """MatMul with a matrix B (rank >= 2) through the register-tiled GEMM. A 2-D B
    (weights) folds A's batch dims into its rows: one GEMM of prod(batch) * M rows
    (the transformer's [2, 16, 64] x [64, 64] is one 32-row GEMM, with one packing of
    B); otherwise one GEMM per batch index, B packed per batch. A 1-D A is one row."""
    a, b, y = kc.input("a"), kc.input("b"), kc.output("y")
    a_vec = len(a_shape) == 1
    m, k_dim, n = 1 if a_vec else a_shape[-2], a_shape[-1], b_shape[-1]
    elem = y.type.element_type

    if not a_vec and len(b_shape) == 2 and batch:
        a2, y2 = _collapse_rows(a), _collapse_rows(y)
        outer = (*batch, m)

        def finish_folded(v: SSAValue, row: SSAValue, j: SSAValue) -> SSAValue:
            if epilogue is None:
                return v
            # Y's indices of folded row `row`: delinearized over (batch..., M).
            idx: list[Index] = []
            rest = row
            for size in reversed(outer):
                if size == 1:
                    idx.append(0)
                    continue
                idx.append(arith.RemUIOp(rest, as_index(size)).result)
                rest = arith.DivUIOp(rest, as_index(size)).result
            return epilogue(v, [*reversed(idx), j])

        ops = GemmOperands(
            _prod(outer), n, k_dim,
            a_at=lambda i, kk: load(a2, [i, kk]),
            b_at=lambda kk, j: load(b, [kk, j]),
            finish=finish_folded,
            store=lambda v, i, j: store(v, y2, [i, j]),
            b_panels=packed_panels(b, b_shape, k_dim, n),
            **tiled_options(kc.target),
        )
        _gemm(ops, elem, False)
        return

    # Batches are independent (one thread each when the loop is split; the column
    # blocks inside are then a plain loop).
    with parallel(batch) as bivs:

        def batch_index(shape_batch: tuple[int, ...]) -> list:
            off = len(batch) - len(shape_batch)
            return [0 if d == 1 and batch[off + q] != 1 else bivs[off + q] for q, d in enumerate(shape_batch)]

        a_b, b_b = batch_index(a_shape[:-2]), batch_index(b_shape[:-2])

        def y_index(i: SSAValue, j: SSAValue) -> list:
            return [*bivs, j] if a_vec else [*bivs, i, j]

        ops = GemmOperands(
            m, n, k_dim,
            a_at=lambda i, kk: load(a, [kk] if a_vec else [*a_b, i, kk]),
            b_at=lambda kk, j: load(b, [*b_b, kk, j]),
            finish=lambda v, i, j: epilogue(v, y_index(i, j)) if epilogue is not None else v,
            store=lambda v, i, j: store(v, y, y_index(i, j)),
            b_panels=packed_panels(b, b_shape, k_dim, n),
            **tiled_options(kc.target),
        )
        _gemm(ops, elem, False)


def _prod(dims) -> int:
    rows = 1
    for d in dims:
        rows *= d
    return rows


def _scale(value: SSAValue, factor: float, what: str, kc: KernelContext) -> SSAValue:
    """value * factor in value's type; integer Gemm needs an integral alpha/beta."""
    if factor == 1.0:
        return value
    if not scalar.is_float(value) and factor != int(factor):
        raise kc.fail(f"{what}={factor} is not an integer, but the element type is {value.type}")
    return scalar.mul(value, scalar.const(factor, value.type))


def lower_gemm(kc: KernelContext, epilogue: Epilogue | None = None) -> None:
    """Y = alpha * A' @ B' + beta * C with A' = A^T if transA, B' = B^T if transB, and
    C (optional) broadcast unidirectionally to (M, N).

    f32 with N >= 8 takes the register-tiled kernel: alpha, beta * C and the epilogue
    are applied to each sum in registers before its one store. Otherwise, per row i of
    Y: with B' = B (transB=0) the row is accumulated in place over k with
    j innermost (B and Y rows are contiguous); with transB=1 each Y[i, j] is a reduction
    over k (rows of B are contiguous in k). Then Y[i, :] = alpha * Y[i, :] + beta * C.

    With an epilogue, transB=1 applies alpha, beta * C and the epilogue to the sum in
    registers and stores once; transB=0 applies them in the row's final pass (the row
    of Y is still in cache)."""
    op = kc.op
    trans_a = bool(int_attr_value(op.transA))
    trans_b = bool(int_attr_value(op.transB))
    alpha = float_attr_value(op.alpha)
    beta = float_attr_value(op.beta)
    alpha = 1.0 if alpha is None else alpha
    beta = 1.0 if beta is None else beta
    a, b, y = kc.input("a"), kc.input("b"), kc.output("y")
    c = kc.input("c")
    m, n = kc.shape("y")
    k_dim = kc.shape("a")[0] if trans_a else kc.shape("a")[1]
    elem = y.type.element_type

    def a_at(i, k):
        return load(a, [k, i] if trans_a else [i, k])

    def finish(v: SSAValue, i: SSAValue, j: SSAValue) -> SSAValue:
        """alpha * v + beta * C[i, j], then the epilogue."""
        v = _scale(v, alpha, "alpha", kc)
        if c is not None and beta != 0.0:
            cv = load(c, broadcast_indices([i, j], kc.shape("c"), (m, n)))
            v = scalar.add(v, _scale(cv, beta, "beta", kc))
        return epilogue(v, [i, j]) if epilogue is not None else v

    if _use_tiled(elem, n):
        if trans_b and rows_t_buffer(b, k_dim, n):  # B^T packed as B' (_rows_t)
            trans_b = False
            b_at = lambda kk, j: load(b, [0, kk, j])  # noqa: E731
        else:
            b_at = lambda kk, j: load(b, [j, kk] if trans_b else [kk, j])  # noqa: E731
        ops = GemmOperands(
            m, n, k_dim, a_at=a_at,
            b_at=b_at,
            finish=finish,
            store=lambda v, i, j: store(v, y, [i, j]),
            b_panels=packed_panels(b, kc.shape("b"), k_dim, n),
            **tiled_options(kc.target),
        )
        _gemm(ops, elem, trans_b)
        return

    zero = scalar.const(0, elem)
    fused_store = trans_b and epilogue is not None
    with parallel([m]) as (i,):
        if trans_b:
            with loop(n) as col:
                with loop(k_dim, carried=[zero]) as red:
                    prod = scalar.mul(a_at(i, red.iv), load(b, [col.iv, red.iv]))
                    red.yield_(scalar.add(red.carried[0], prod))
                total = red.results[0]
                store(finish(total, i, col.iv) if fused_store else total, y, [i, col.iv])
        else:
            with loop(n) as col:
                store(zero, y, [i, col.iv])
            with loop(k_dim) as red:
                av = a_at(i, red.iv)
                with loop(n) as col:
                    acc = load(y, [i, col.iv])
                    store(scalar.add(acc, scalar.mul(av, load(b, [red.iv, col.iv]))), y, [i, col.iv])
        if not fused_store and (alpha != 1.0 or (c is not None and beta != 0.0) or epilogue is not None):
            with loop(n) as col:
                store(finish(load(y, [i, col.iv]), i, col.iv), y, [i, col.iv])


LOWERINGS: dict[str, KernelLowering] = {"onnx.MatMul": lower_matmul, "onnx.Gemm": lower_gemm}
PACKINGS: dict[str, OperandPackings] = {"onnx.MatMul": matmul_packings, "onnx.Gemm": gemm_packings}
