"""How the Triton generator chooses launch configurations for the kernels of a
`TritonProgram` (the program's data types live in runtime/triton_program.py, which the
launcher reads), and the error it raises for what it cannot compile.

Launch configurations: every kernel carries `configs`, a short list of
`KernelConfig`s (constexpr block sizes, num_warps, num_stages and the grid they imply)
drawn from its family's list below and filtered by its shapes (no tile larger than the
next power of two of the dims it covers). The first entry is the heuristic choice, used
where nothing is measured (no GPU, the interpreter, tuning off): pointwise takes the
smallest BLOCK of 128..1024 that covers the tensor (1024 beyond); row reductions take
BLOCK_R = next power of two of the row (capped at MAX_ROW_BLOCK) and 1/4/8 warps by
BLOCK_R; matmul and implicit-GEMM conv take the largest of 16/32/64/128 square tiles not
above the next power of two of M and N (BK 32); attention takes BM/BN = next power of
two of the query/key counts clamped to 16..64; 3 stages everywhere (Triton's default).
On a GPU the launcher (runtime/triton_launcher.py) times every configuration on the
first call and caches the fastest on disk. A whole-row reduction only varies its warps
(BLOCK_R must hold the row); a looped one also varies its chunk.

Family lists (POINTWISE_TUNE, ROW_WARPS/ROW_LOOP_TUNE, MATMUL_TUNE, ATTENTION_TUNE):
pointwise (BLOCK, warps) 128/1, 256/2, 512/4, 1024/4, 1024/8, 2048/8, 4096/8; row warps
1/2/4/8 (whole row, at most BLOCK_R/32), chunks 512..4096 with 4 or 8 warps (looped);
matmul and conv (BM, BN, BK, warps, stages) from 16x16 to 128x128 tiles, BK 32 or 64,
2..4 stages; attention (BM, BN, warps, stages) 16..64 blocks.
"""

from __future__ import annotations

import math

from dialects.errors import StrataError
from runtime.triton_program import DEFAULT_NUM_STAGES, KernelConfig, make_config

MAX_ROW_BLOCK = 4096
# The heuristic's choices (no GPU to measure on):
POINTWISE_CONFIGS = ((128, 1), (256, 2), (512, 4), (1024, 4))  # (BLOCK, num_warps)
MATMUL_CONFIGS = ((16, 16, 32, 2), (32, 32, 32, 4), (64, 64, 32, 4), (128, 128, 32, 8))  # BM, BN, BK, warps
# What the autotuner may try on a GPU (each compiles for sm_90: tests/test_triton_autotune.py):
POINTWISE_TUNE = ((128, 1), (256, 2), (512, 4), (1024, 4), (1024, 8), (2048, 8), (4096, 8))  # BLOCK, warps
ROW_WARPS = (1, 2, 4, 8)  # whole row in registers: BLOCK_R is fixed by the row
ROW_LOOP_TUNE = ((512, 4), (1024, 4), (1024, 8), (2048, 8), (4096, 8))  # looped: (chunk BLOCK_R, warps)
MATMUL_TUNE = (  # BM, BN, BK, warps, stages
    (16, 16, 32, 2, 3), (16, 32, 32, 2, 3), (16, 64, 32, 4, 3), (32, 32, 32, 4, 3), (32, 64, 32, 4, 3),
    (64, 32, 32, 4, 3), (64, 64, 32, 4, 3), (64, 64, 32, 4, 4), (64, 64, 64, 4, 2), (64, 128, 32, 4, 3),
    (128, 64, 32, 4, 3), (128, 128, 32, 8, 3),
)
ATTENTION_TUNE = (  # BM, BN, warps, stages
    (16, 16, 2, 2), (16, 32, 4, 2), (32, 32, 4, 2), (32, 64, 4, 3), (64, 32, 4, 3), (64, 64, 4, 3), (64, 64, 8, 3),
)


class UnsupportedOnCuda(StrataError):
    """An op (or an op form) the Triton generator has no kernel for."""



def _unique(configs: list[KernelConfig]) -> list[KernelConfig]:
    return list(dict.fromkeys(configs))


def next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def pointwise_configs(n: int) -> list[KernelConfig]:
    """1-D tiles over `n` elements; the heuristic first."""
    block, warps = next(((b, w) for b, w in POINTWISE_CONFIGS if b >= n), POINTWISE_CONFIGS[-1])
    cands = [(block, warps)] + [(b, w) for b, w in POINTWISE_TUNE if b <= max(128, next_pow2(n))]
    return _unique([make_config({"BLOCK": b}, w, DEFAULT_NUM_STAGES, (math.ceil(n / b),)) for b, w in cands])


def serial_configs() -> list[KernelConfig]:
    """One program that walks its elements in order (scatters with a reduction)."""
    return [make_config({}, 1, DEFAULT_NUM_STAGES, (1,))]


def row_configs(red: int, rows: int, max_row_block: int) -> list[KernelConfig]:
    """One program per row of `red` elements; looped when the row exceeds
    `max_row_block` (then the chunk may vary, else only the warps)."""
    looped = red > max_row_block
    block = min(next_pow2(red), next_pow2(max_row_block)) if looped else next_pow2(red)
    warps = 1 if block <= 256 else 4 if block <= 1024 else 8
    cands = [(block, warps)]
    if looped:
        cap = min(next_pow2(red), next_pow2(max_row_block))
        cands += [(b, w) for b, w in ROW_LOOP_TUNE if b <= cap]
    else:
        cands += [(block, w) for w in ROW_WARPS if 32 * w <= max(32, block)]
    return _unique([make_config({"BLOCK_R": b}, w, DEFAULT_NUM_STAGES, (rows,)) for b, w in cands])


def matmul_configs(M: int, N: int, nb: int) -> list[KernelConfig]:
    """BM x BN output tiles (grid: M tiles, N tiles, batch or group); the heuristic first."""
    fm, fn = max(16, next_pow2(M)), max(16, next_pow2(N))
    BM, BN, BK, warps = next((c for c in reversed(MATMUL_CONFIGS) if c[0] <= fm and c[1] <= fn), MATMUL_CONFIGS[0])
    cands = [(BM, BN, BK, warps, DEFAULT_NUM_STAGES)] + [c for c in MATMUL_TUNE if c[0] <= fm and c[1] <= fn]
    return _unique([make_config({"BM": bm, "BN": bn, "BK": bk}, w, st, (math.ceil(M / bm), math.ceil(N / bn), nb))
                    for bm, bn, bk, w, st in cands])


def attention_configs(Sq: int, Sk: int, D: int, Dv: int, nb: int) -> list[KernelConfig]:
    """BM queries per program, keys in BN blocks; BD/BDV hold a whole head dim."""
    fq, fk = max(16, next_pow2(Sq)), max(16, next_pow2(Sk))
    BD, BDV = max(16, next_pow2(D)), max(16, next_pow2(Dv))
    cands = [(min(64, fq), min(64, fk), 4, DEFAULT_NUM_STAGES)] + [c for c in ATTENTION_TUNE if c[0] <= fq and c[1] <= fk]
    return _unique([make_config({"BM": bm, "BN": bn, "BD": BD, "BDV": BDV}, w, st, (math.ceil(Sq / bm), nb))
                    for bm, bn, w, st in cands])
