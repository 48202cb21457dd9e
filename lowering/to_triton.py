"""Fused kernel groups -> Triton kernels (the GPU back end's generator).

Input: the graph-level module after the graph passes and `fuse-kernels`: one
`func.func @main` holding `strata.FusedKernel` groups, single `onnx` ops (each treated as
a group of one) and `onnx.Constant`s. Output: a `TritonProgram`, the run order of steps
over named values: one `@triton.jit` kernel (readable Python source text, the fused ONNX
node names in a comment) per group, plus launch metadata (argument order, grid, block
sizes, warps). The generator imports neither triton nor torch: it writes text.

Kernel families:
- pointwise: elementwise groups and Transpose. A 1-D flat tile of BLOCK elements over
  the group's output shape with a mask for the tail; an input of another shape
  (broadcast) or a transposed input is read at an offset computed from the element's
  coordinates (`//` and `%` by the static dims) times its strides.
- row reduction: Softmax, LogSoftmax (one axis), LayerNormalization, ReduceSum/Mean/Max/
  Min/SumSquare/L1/L2 (contiguous axes), GlobalAverage/MaxPool, strata.RMSNormalization
  and strata.ScaledMaskedSoftmax, with the group's elementwise prologue (recomputed at
  each load of the anchor's input) and epilogue (applied before the store). One program
  per row; the whole row is held in registers when it fits in `MAX_ROW_BLOCK` (BLOCK_R =
  next power of two), else the row is read in BLOCK_R chunks in a loop (two or three
  passes: max, sum, write).
- matmul: MatMul (batched, broadcast batch dims) and Gemm (transA/transB, alpha, beta,
  C), `tl.dot` on BM x BN x BK tiles with fp32 accumulation (`input_precision="ieee"`,
  so results match onnxruntime's fp32 to rounding, not TF32), and the epilogue (bias,
  activation, residual add) applied to the accumulator tile. The generator fuses a
  MatMul/Gemm into the elementwise group that is the only user of its result (as
  TorchInductor does): the fusion pass does not group matmuls, so this is where the
  bias/GELU/residual epilogues of a transformer join their matmul. strata.FusedGemm /
  FusedMatMul (onnx-fuse-activation) carry their bias and activation into the same
  epilogue.
- attention: strata.Attention as one flash-attention style kernel (a block of queries
  per program, key blocks with an online softmax; the scores never reach memory).

Data movement (Concat, Slice with constant starts/steps, Expand) is pointwise copies
with strided offsets (one kernel per Concat input).

Not Triton kernels: Conv (and strata.FusedConv) runs through torch's convolution on the
device (cuDNN), MaxPool and AveragePool through torch's pooling ("torch" steps); a
FusedConv's residual/activation epilogue runs after it as a separate pointwise kernel;
Reshape/Flatten/Squeeze/Unsqueeze/Identity/Dropout are views ("alias" steps, no kernel,
no copy). Any other op raises `UnsupportedOnCuda` naming it.

Block sizes, warps and pipelining stages: every kernel carries `configs`, a short list
of launch configurations (`KernelConfig`: constexpr block sizes, num_warps, num_stages and
the grid they imply) drawn from its family's list below and filtered by its shapes
(no tile larger than the next power of two of the dims it covers). The first entry is the
heuristic choice, used where nothing is measured (no GPU, the interpreter, tuning off):
pointwise takes the smallest BLOCK of 128..1024 that covers the tensor (1024 beyond);
row reductions take BLOCK_R = next power of two of the row (capped at MAX_ROW_BLOCK) and
1/4/8 warps by BLOCK_R; matmul takes the largest of 16/32/64/128 square tiles not above
the next power of two of M and N (BK 32); attention takes BM/BN = next power of two of
the query/key counts clamped to 16..64; 3 stages everywhere (Triton's default). On a GPU
the launcher (runtime/triton_launcher.py) times every configuration on the first call
and caches the fastest on disk. A whole-row reduction only varies its warps (BLOCK_R
must hold the row); a looped one also varies its chunk.

Family lists (POINTWISE_TUNE, ROW_WARPS/ROW_LOOP_TUNE, MATMUL_TUNE, ATTENTION_TUNE):
pointwise (BLOCK, warps) 128/1, 256/2, 512/4, 1024/4, 1024/8, 2048/8, 4096/8; row warps
1/2/4/8 (whole row, at most BLOCK_R/32), chunks 512..4096 with 4 or 8 warps (looped);
matmul (BM, BN, BK, warps, stages) from 16x16 to 128x128 tiles, BK 32 or 64, 2..4
stages; attention (BM, BN, warps, stages) 16..64 blocks.

Exact vs approximate: everything is fp32 arithmetic (accumulation order differs from
onnxruntime's: results agree to about 1e-6 on the test models); the attention kernel's
online softmax rescales partial sums; `tl.erf`, `tl.exp` and the exp-based tanh are
within a few ulps. Only float32/float16/int32/int64/bool tensors; offsets are int32
(tensors below 2**31 elements).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue

from compiler.dtypes import numpy_dtype
from compiler.errors import StrataError
from compiler.weights import WeightTable, constant_value
from dialects.onnx.base import float_attr_value, int_attr_value, ints_value, node_name, str_attr_value
from dialects.onnx.tensor import ConstantOp
from dialects.strata.kernel_group import FusedKernelOp

MAX_ROW_BLOCK = 4096
DEFAULT_NUM_STAGES = 3  # Triton's default on CUDA
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

ALIAS_OPS = frozenset(
    {"onnx.Reshape", "onnx.Flatten", "onnx.Squeeze", "onnx.Unsqueeze", "onnx.Identity", "onnx.Dropout"}
)
ROW_OPS = frozenset(
    {"onnx.Softmax", "onnx.LogSoftmax", "onnx.LayerNormalization", "onnx.GlobalAveragePool", "onnx.GlobalMaxPool"}
    | {"strata.ScaledMaskedSoftmax", "strata.RMSNormalization"}
    | {f"onnx.Reduce{k}" for k in ("Sum", "Mean", "Max", "Min", "SumSquare", "L1", "L2")}
)
MATMUL_OPS = frozenset({"onnx.MatMul", "onnx.Gemm", "strata.FusedGemm", "strata.FusedMatMul"})
COPY_OPS = frozenset({"onnx.Concat", "onnx.Slice", "onnx.Expand"})
TORCH_OPS = frozenset({"onnx.Conv", "strata.FusedConv", "onnx.MaxPool", "onnx.AveragePool"})

_TRITON_TYPES = {
    np.dtype(np.float32): "fp32",
    np.dtype(np.float16): "fp16",
    np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64",
    np.dtype(np.bool_): "i1",
}


class UnsupportedOnCuda(StrataError):
    """An op (or an op form) the Triton generator has no kernel for."""


# ---------------------------------------------------------------------------------------
# What the generator produces
# ---------------------------------------------------------------------------------------


@dataclass
class ValueInfo:
    name: str  # identifier used by the program ("v3")
    shape: tuple[int, ...]
    dtype: np.dtype
    hint: str  # the SSA name in the graph, for comments and errors


@dataclass(frozen=True)
class KernelConfig:
    """One way to launch a kernel: its constexpr block sizes, warps, pipelining stages
    and the grid those block sizes imply."""

    constexprs: tuple[tuple[str, int], ...]
    num_warps: int
    num_stages: int
    grid: tuple[int, ...]

    def describe(self) -> str:
        return " ".join([f"{k}={v}" for k, v in self.constexprs] + [f"warps={self.num_warps}", f"stages={self.num_stages}"])

    def to_json(self) -> dict[str, Any]:
        return {"constexprs": dict(self.constexprs), "num_warps": self.num_warps, "num_stages": self.num_stages,
                "grid": list(self.grid)}

    @staticmethod
    def from_json(d: dict[str, Any]) -> KernelConfig:
        return KernelConfig(tuple((str(k), int(v)) for k, v in d["constexprs"].items()), int(d["num_warps"]),
                            int(d["num_stages"]), tuple(int(g) for g in d["grid"]))


def _cfg(constexprs: dict[str, int], warps: int, stages: int, grid: tuple[int, ...]) -> KernelConfig:
    return KernelConfig(tuple(constexprs.items()), warps, stages, tuple(grid))


def _unique(configs: list[KernelConfig]) -> list[KernelConfig]:
    return list(dict.fromkeys(configs))


def pointwise_configs(n: int) -> list[KernelConfig]:
    """1-D tiles over `n` elements; the heuristic first."""
    block, warps = next(((b, w) for b, w in POINTWISE_CONFIGS if b >= n), POINTWISE_CONFIGS[-1])
    cands = [(block, warps)] + [(b, w) for b, w in POINTWISE_TUNE if b <= max(128, _next_pow2(n))]
    return _unique([_cfg({"BLOCK": b}, w, DEFAULT_NUM_STAGES, (math.ceil(n / b),)) for b, w in cands])


def row_configs(red: int, rows: int, max_row_block: int) -> list[KernelConfig]:
    """One program per row of `red` elements; looped when the row exceeds
    `max_row_block` (then the chunk may vary, else only the warps)."""
    looped = red > max_row_block
    block = min(_next_pow2(red), _next_pow2(max_row_block)) if looped else _next_pow2(red)
    warps = 1 if block <= 256 else 4 if block <= 1024 else 8
    cands = [(block, warps)]
    if looped:
        cap = min(_next_pow2(red), _next_pow2(max_row_block))
        cands += [(b, w) for b, w in ROW_LOOP_TUNE if b <= cap]
    else:
        cands += [(block, w) for w in ROW_WARPS if 32 * w <= max(32, block)]
    return _unique([_cfg({"BLOCK_R": b}, w, DEFAULT_NUM_STAGES, (rows,)) for b, w in cands])


def matmul_configs(M: int, N: int, nb: int) -> list[KernelConfig]:
    """BM x BN output tiles (grid: M tiles, N tiles, batch); the heuristic first."""
    fm, fn = max(16, _next_pow2(M)), max(16, _next_pow2(N))
    BM, BN, BK, warps = next((c for c in reversed(MATMUL_CONFIGS) if c[0] <= fm and c[1] <= fn), MATMUL_CONFIGS[0])
    cands = [(BM, BN, BK, warps, DEFAULT_NUM_STAGES)] + [c for c in MATMUL_TUNE if c[0] <= fm and c[1] <= fn]
    return _unique([_cfg({"BM": bm, "BN": bn, "BK": bk}, w, st, (math.ceil(M / bm), math.ceil(N / bn), nb))
                    for bm, bn, bk, w, st in cands])


def attention_configs(Sq: int, Sk: int, D: int, Dv: int, nb: int) -> list[KernelConfig]:
    """BM queries per program, keys in BN blocks; BD/BDV hold a whole head dim."""
    fq, fk = max(16, _next_pow2(Sq)), max(16, _next_pow2(Sk))
    BD, BDV = max(16, _next_pow2(D)), max(16, _next_pow2(Dv))
    cands = [(min(64, fq), min(64, fk), 4, DEFAULT_NUM_STAGES)] + [c for c in ATTENTION_TUNE if c[0] <= fq and c[1] <= fk]
    return _unique([_cfg({"BM": bm, "BN": bn, "BD": BD, "BDV": BDV}, w, st, (math.ceil(Sq / bm), nb))
                    for bm, bn, w, st in cands])


@dataclass
class TritonKernel:
    """One `@triton.jit` function and how to launch it (constexprs, grid, num_warps,
    num_stages: the heuristic configuration, `configs[0]`; `configs`: every
    configuration the autotuner may try)."""

    name: str
    family: str  # "pointwise" | "row" | "matmul"
    source: str
    params: list[str]  # pointer parameters, in order
    param_types: list[str]  # "*fp32", ...
    args: list[str]  # program value bound to each parameter
    constexprs: dict[str, int]
    grid: tuple[int, ...]
    num_warps: int
    nodes: list[str]  # fused ONNX node names
    num_stages: int = DEFAULT_NUM_STAGES
    configs: list[KernelConfig] = field(default_factory=list)

    def signature(self) -> dict[str, str]:
        sig = dict(zip(self.params, self.param_types))
        sig.update({k: "constexpr" for k in self.constexprs})
        return sig

    def config(self) -> KernelConfig:
        """The configuration this kernel launches with."""
        return _cfg(dict(self.constexprs), self.num_warps, self.num_stages, self.grid)

    def candidates(self) -> list[KernelConfig]:
        return list(self.configs) or [self.config()]

    def with_config(self, cfg: KernelConfig) -> TritonKernel:
        """This kernel launched with `cfg` (one of `candidates()`)."""
        return dataclasses.replace(self, constexprs=dict(cfg.constexprs), grid=tuple(cfg.grid),
                                   num_warps=cfg.num_warps, num_stages=cfg.num_stages)


@dataclass
class TorchStep:
    """An op run by torch on the device (Conv, pooling)."""

    op: str  # "conv" | "max_pool" | "avg_pool"
    args: list[str | None]
    output: str
    params: dict[str, Any]
    nodes: list[str]


@dataclass
class AliasStep:
    """`target` is `source` viewed with another shape (no data moves)."""

    source: str
    target: str
    nodes: list[str]


Step = TritonKernel | TorchStep | AliasStep


@dataclass
class TritonProgram:
    values: dict[str, ValueInfo]
    steps: list[Step]
    inputs: list[str]
    outputs: list[str]
    weights: dict[str, np.ndarray]

    def kernels(self) -> list[TritonKernel]:
        return [s for s in self.steps if isinstance(s, TritonKernel)]

    def module_source(self) -> str:
        """All kernels as one importable Python module."""
        parts = ['"""Triton kernels generated by Strata (lowering/to_triton.py)."""', "import triton", "import triton.language as tl", ""]
        for k in self.kernels():
            parts += ["", k.source]
        return "\n".join(parts) + "\n"

    def summary(self) -> list[dict[str, Any]]:
        """One line per step, for CompiledModel.stats."""
        out: list[dict[str, Any]] = []
        for s in self.steps:
            if isinstance(s, TritonKernel):
                out.append({"kernel": s.name, "family": s.family, "grid": list(s.grid), "constexprs": dict(s.constexprs),
                            "num_warps": s.num_warps, "num_stages": s.num_stages, "configs": len(s.candidates()),
                            "nodes": list(s.nodes)})
            elif isinstance(s, TorchStep):
                out.append({"kernel": f"torch.{s.op}", "family": "torch", "nodes": list(s.nodes)})
        return out


# ---------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------


def _shape(v: SSAValue) -> tuple[int, ...]:
    assert isinstance(v.type, TensorType)
    return tuple(v.type.get_shape())


def _numel(shape) -> int:
    return int(np.prod(shape, dtype=np.int64)) if len(shape) else 1


def _contiguous_strides(shape) -> list[int]:
    strides, acc = [], 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= d
    return strides[::-1]


def _next_pow2(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def _ident(text: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z_]", "_", text).strip("_").lower()
    return s[:40] or "k"


def _broadcast_strides(in_shape, out_shape) -> list[int]:
    """Strides of a contiguous `in_shape` tensor over `out_shape`'s coordinates (numpy
    broadcasting: right-aligned, 0 where the input dim is 1)."""
    strides = _contiguous_strides(in_shape)
    off = len(out_shape) - len(in_shape)
    out = [0] * len(out_shape)
    for d in range(len(in_shape)):
        if in_shape[d] != 1:
            out[d + off] = strides[d]
    return out


def _float_lit(x: float) -> str:
    if math.isnan(x):
        return 'float("nan")'
    if math.isinf(x):
        return 'float("inf")' if x > 0 else 'float("-inf")'
    return repr(float(x))


class _Coords:
    """Coordinates of an element over `shape`, emitted into `lines` on first use: from a
    flat index (`flat`) or from given per-dim expressions (`given`)."""

    def __init__(self, lines: list[str], indent: str, shape, flat: str | None = None,
                 given: dict[int, str] | None = None, prefix: str = "i"):
        self.lines, self.indent, self.shape, self.flat = lines, indent, tuple(shape), flat
        self.given = dict(given or {})
        self.prefix = prefix
        self.strides = _contiguous_strides(self.shape)

    def coord(self, d: int) -> str:
        if callable(self.given.get(d)):
            self.given[d] = self.given[d]()
        if d not in self.given:
            assert self.flat is not None
            name = f"{self.prefix}{d}"
            expr = f"({self.flat})"
            if self.strides[d] != 1:
                expr = f"{expr} // {self.strides[d]}"
            if d > 0:
                expr = f"({expr}) % {self.shape[d]}"
            self.lines.append(f"{self.indent}{name} = {expr}")
            self.given[d] = name
        return self.given[d]

    def offset(self, strides: list[int]) -> str:
        """The offset of an element read with `strides` over these coordinates."""
        live = [d for d, n in enumerate(self.shape) if n != 1]
        if self.flat is not None and all(strides[d] == self.strides[d] for d in live):
            return self.flat
        terms = []
        for d, s in enumerate(strides):
            if s == 0 or self.shape[d] == 1:
                continue
            c = self.coord(d)
            terms.append(c if s == 1 else f"{c} * {s}")
        return " + ".join(terms) if terms else "0"


# ---------------------------------------------------------------------------------------
# Elementwise bodies: ONNX op -> Triton expression over operand expressions
# ---------------------------------------------------------------------------------------


def _tanh(x: str) -> str:
    # tl has no tanh; 1 - 2/(exp(2x)+1) saturates correctly at both ends.
    return f"(1.0 - 2.0 / (tl.exp(2.0 * {x}) + 1.0))"


def _prop_f(op: Operation, name: str, default: float) -> float:
    v = float_attr_value(op.properties.get(name))
    return default if v is None else v


def _body(op: Operation, a: list[str | None]) -> str:
    n = op.name.removeprefix("onnx.")
    x = a[0]
    simple_binary = {"Add": "+", "Sub": "-", "Mul": "*", "Div": "/"}
    if n in simple_binary:
        elem = op.results[0].type.element_type
        if n == "Div" and numpy_dtype(elem).kind in "iu":
            raise UnsupportedOnCuda(f"integer Div '{node_name(op)}' has no Triton kernel yet")
        return f"({a[0]} {simple_binary[n]} {a[1]})"
    table: dict[str, Callable[[], str]] = {
        "Relu": lambda: f"tl.maximum({x}, 0.0)",
        "Neg": lambda: f"(-{x})",
        "Abs": lambda: f"tl.abs({x})",
        "Exp": lambda: f"tl.exp({x})",
        "Log": lambda: f"tl.log({x})",
        "Sqrt": lambda: f"tl.sqrt({x})",
        "Reciprocal": lambda: f"(1.0 / {x})",
        "Sigmoid": lambda: f"tl.sigmoid({x})",
        "Tanh": lambda: _tanh(x),
        "Erf": lambda: f"tl.erf({x})",
        "Floor": lambda: f"tl.floor({x})",
        "Ceil": lambda: f"tl.ceil({x})",
        "Sin": lambda: f"tl.sin({x})",
        "Cos": lambda: f"tl.cos({x})",
        "Identity": lambda: f"{x}",
        "Softplus": lambda: f"tl.where({x} > 20.0, {x}, tl.log(1.0 + tl.exp({x})))",
        "Softsign": lambda: f"({x} / (1.0 + tl.abs({x})))",
        "LeakyRelu": lambda: f"tl.where({x} >= 0.0, {x}, {x} * {_prop_f(op, 'alpha', 0.01)!r})",
        "Elu": lambda: f"tl.where({x} >= 0.0, {x}, {_prop_f(op, 'alpha', 1.0)!r} * (tl.exp({x}) - 1.0))",
        "HardSigmoid": lambda: f"tl.minimum(tl.maximum({_prop_f(op, 'alpha', 0.2)!r} * {x} + {_prop_f(op, 'beta', 0.5)!r}, 0.0), 1.0)",
        "HardSwish": lambda: f"({x} * tl.minimum(tl.maximum({x} / 6.0 + 0.5, 0.0), 1.0))",
        "Swish": lambda: f"({x} * tl.sigmoid({_prop_f(op, 'alpha', 1.0)!r} * {x}))",
        "Mish": lambda: f"({x} * {_tanh(f'tl.where({x} > 20.0, {x}, tl.log(1.0 + tl.exp({x})))')})",
        "Sign": lambda: f"tl.where({x} > 0, 1.0, tl.where({x} < 0, -1.0, 0.0)).to({x}.dtype)",
        "Max": lambda: _fold("tl.maximum", a),
        "Min": lambda: _fold("tl.minimum", a),
        "Sum": lambda: "(" + " + ".join(a) + ")",  # type: ignore[arg-type]
        "Where": lambda: f"tl.where({a[0]}, {a[1]}, {a[2]})",
        "Equal": lambda: f"({a[0]} == {a[1]})",
        "Greater": lambda: f"({a[0]} > {a[1]})",
        "GreaterOrEqual": lambda: f"({a[0]} >= {a[1]})",
        "Less": lambda: f"({a[0]} < {a[1]})",
        "LessOrEqual": lambda: f"({a[0]} <= {a[1]})",
        "Not": lambda: f"({x} == 0)",
        "And": lambda: f"({a[0]} & {a[1]})",
        "Or": lambda: f"({a[0]} | {a[1]})",
        "Xor": lambda: f"({a[0]} ^ {a[1]})",
        "PRelu": lambda: f"tl.where({a[0]} >= 0.0, {a[0]}, {a[0]} * {a[1]})",
    }
    if n in table:
        return table[n]()
    if n == "Clip":
        out = x
        if len(a) > 1 and a[1] is not None:
            out = f"tl.maximum({out}, {a[1]})"
        if len(a) > 2 and a[2] is not None:
            out = f"tl.minimum({out}, {a[2]})"
        return out
    if n == "Gelu":
        if (str_attr_value(op.properties.get("approximate")) or "none") == "tanh":
            inner = f"0.7978845608028654 * ({x} + 0.044715 * {x} * {x} * {x})"
            return f"(0.5 * {x} * (1.0 + {_tanh(inner)}))"
        return f"(0.5 * {x} * (1.0 + tl.erf({x} * 0.7071067811865476)))"
    if n == "Cast":
        to = numpy_dtype(op.results[0].type.element_type)
        tt = {"fp32": "tl.float32", "fp16": "tl.float16", "i32": "tl.int32", "i64": "tl.int64", "i1": "tl.int1"}
        if to not in _TRITON_TYPES:
            raise UnsupportedOnCuda(f"Cast '{node_name(op)}' to {to} has no Triton kernel")
        if to == np.bool_:
            return f"({x} != 0)"
        return f"{x}.to({tt[_TRITON_TYPES[to]]})"
    raise UnsupportedOnCuda(f"{n} '{node_name(op)}' has no Triton kernel yet")


def _activation(op: Operation, x: str) -> str | None:
    """The activation epilogue of a strata.Fused* op applied to `x` (None: none)."""
    name = str_attr_value(op.properties.get("activation")) or ""
    attr = op.properties.get("activation_params")
    params = [float(v) for v in attr.get_values()] if attr is not None else []  # type: ignore[attr-defined]
    if name == "":
        return None
    if name == "Relu":
        return f"tl.maximum({x}, 0.0)"
    if name == "Clip":
        return f"tl.minimum(tl.maximum({x}, {_float_lit(params[0])}), {_float_lit(params[1])})"
    if name == "LeakyRelu":
        return f"tl.where({x} >= 0.0, {x}, {x} * {params[0]!r})"
    if name == "Sigmoid":
        return f"tl.sigmoid({x})"
    if name == "HardSigmoid":
        return f"tl.minimum(tl.maximum({params[0]!r} * {x} + {params[1]!r}, 0.0), 1.0)"
    if name == "HardSwish":
        return f"({x} * tl.minimum(tl.maximum({x} / 6.0 + 0.5, 0.0), 1.0))"
    if name == "Tanh":
        return _tanh(x)
    if name == "Gelu":
        return f"(0.5 * {x} * (1.0 + tl.erf({x} * 0.7071067811865476)))"
    if name == "GeluTanh":
        inner = f"0.7978845608028654 * ({x} + 0.044715 * {x} * {x} * {x})"
        return f"(0.5 * {x} * (1.0 + {_tanh(inner)}))"
    raise UnsupportedOnCuda(f"activation {name!r} of '{node_name(op)}' has no Triton form")


def _fold(fn: str, args: list) -> str:
    out = args[0]
    for b in args[1:]:
        out = f"{fn}({out}, {b})"
    return out


def _present_operands(op: Operation) -> list[SSAValue | None]:
    """Operands by ONNX slot (None for an absent optional), for Clip's min/max."""
    if op.name == "onnx.Clip":
        return [op.input, op.min, op.max]  # type: ignore[attr-defined]
    return list(op.operands)


# ---------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------


@dataclass
class _KernelText:
    """Parameters and body lines of a kernel being written."""

    params: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


class _Generator:
    def __init__(self, weights: WeightTable | None, max_row_block: int):
        self.weights = weights
        self.max_row_block = max_row_block
        self.values: dict[str, ValueInfo] = {}
        self.names: dict[SSAValue, str] = {}
        self.scalars: dict[str, float] = {}  # one-element float constants, inlined
        self.program_weights: dict[str, np.ndarray] = {}
        self.steps: list[Step] = []

    # values -----------------------------------------------------------------------
    def name(self, v: SSAValue) -> str:
        if v not in self.names:
            n = f"v{len(self.names)}"
            self.names[v] = n
            self.values[n] = ValueInfo(n, _shape(v), numpy_dtype(v.type.element_type), v.name_hint or n)
        return self.names[v]

    def add_constant(self, op: ConstantOp) -> None:
        v = op.results[0]
        array = constant_value(v, self.weights)
        if array is None:
            raise UnsupportedOnCuda(f"constant '{node_name(op)}' has no readable value")
        n = self.name(v)
        self.program_weights[n] = np.ascontiguousarray(array)
        if array.size == 1 and array.dtype == np.float32:
            self.scalars[n] = float(array.reshape(-1)[0])

    # kernels ----------------------------------------------------------------------
    def new_param(self, kt: _KernelText, value: str, prefix: str) -> str:
        if value in kt.args:
            return kt.params[kt.args.index(value)]
        info = self.values[value]
        if info.dtype not in _TRITON_TYPES:
            raise UnsupportedOnCuda(f"value '{info.hint}' has element type {info.dtype}, not supported by the Triton path")
        p = f"{prefix}{sum(1 for q in kt.params if q.startswith(prefix))}"
        kt.params.append(p)
        kt.types.append("*" + _TRITON_TYPES[info.dtype])
        kt.args.append(value)
        return p

    def kernel_name(self, family: str, first: Operation) -> str:
        return f"k{len(self.kernels())}_{family}_{_ident(node_name(first))}"

    def kernels(self) -> list[TritonKernel]:
        return [s for s in self.steps if isinstance(s, TritonKernel)]

    def emit_elementwise(self, kt: _KernelText, ops: list[Operation], env: dict[SSAValue, str],
                         coords: _Coords, mask: str | None, indent: str, leaf: Callable[[SSAValue], str | None]) -> None:
        """Lines computing `ops` in order; operands not in `env` are loaded through
        `leaf(value)` -> program value name (None: an inlined scalar)."""
        for op in ops:
            args: list[str | None] = []
            for v in _present_operands(op):
                if v is None:
                    args.append(None)
                    continue
                if v not in env:
                    env[v] = self.load_leaf(kt, v, coords, mask, indent, leaf)
                args.append(env[v])
            var = f"t{sum(1 for _ in env)}"
            kt.lines.append(f"{indent}{var} = {_body(op, args)}  # {node_name(op)} ({op.name.removeprefix('onnx.')})")
            env[op.results[0]] = var

    def load_leaf(self, kt: _KernelText, v: SSAValue, coords: _Coords, mask: str | None, indent: str,
                  leaf: Callable[[SSAValue], str | None]) -> str:
        value = leaf(v)
        assert value is not None
        if value in self.scalars:
            return _float_lit(self.scalars[value])
        p = self.new_param(kt, value, "in")
        strides = _broadcast_strides(self.values[value].shape, coords.shape)
        off = coords.offset(strides)
        var = f"x{len([ln for ln in kt.lines if ' = tl.load(' in ln])}"
        if off == "0":
            kt.lines.append(f"{indent}{var} = tl.load({p})")
        else:
            m = f", mask={mask}" if mask else ""
            kt.lines.append(f"{indent}{var} = tl.load({p} + {off}{m})")
        return var

    def finish(self, kt: _KernelText, name: str, family: str, nodes: list[str], header: list[str],
               configs: list[KernelConfig]) -> None:
        """Appends the kernel; `configs[0]` (the heuristic choice) is how it launches
        unless the autotuner picks another of `configs`."""
        first = configs[0]
        constexprs, grid, num_warps = dict(first.constexprs), first.grid, first.num_warps
        cparams = [f"{k}: tl.constexpr" for k in constexprs]
        comment = [f"    # fused ONNX nodes: {', '.join(nodes)}"] + [f"    # {h}" for h in header]
        comment.append(f"    # launch (heuristic): {first.describe()}, grid {list(grid)}"
                       + (f"; {len(configs)} configurations to autotune among" if len(configs) > 1 else ""))
        src = "\n".join(
            ["@triton.jit", f"def {name}({', '.join(kt.params + cparams)}):"] + comment + kt.lines
        )
        self.steps.append(TritonKernel(name, family, src, list(kt.params), list(kt.types), list(kt.args),
                                       constexprs, grid, num_warps, nodes, first.num_stages, list(configs)))

    # families ---------------------------------------------------------------------
    def pointwise(self, ops: list[Operation], outputs: list[SSAValue], leaf, first: Operation) -> None:
        shape = _shape(outputs[0])
        n = _numel(shape)
        kt = _KernelText()
        kt.lines += [
            "    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)",
            f"    mask = offs < {n}",
        ]
        coords = _Coords(kt.lines, "    ", shape, flat="offs")
        env: dict[SSAValue, str] = {}
        if len(ops) == 1 and ops[0].name == "onnx.Transpose":
            op = ops[0]
            src = leaf(op.operands[0])
            p = self.new_param(kt, src, "in")
            in_shape = self.values[src].shape
            perm = ints_value(op.properties.get("perm")) or list(reversed(range(len(in_shape))))
            in_strides = _contiguous_strides(in_shape)
            off = coords.offset([in_strides[perm[d]] for d in range(len(shape))])
            kt.lines.append(f"    t0 = tl.load({p} + {off}, mask=mask)  # {node_name(op)} (Transpose)")
            env[op.results[0]] = "t0"
        else:
            self.emit_elementwise(kt, ops, env, coords, "mask", "    ", leaf)
        for r in outputs:
            p = self.new_param(kt, self.name(r), "out")
            kt.lines.append(f"    tl.store({p} + offs, {env[r]}, mask=mask)")
        nodes = [node_name(op) for op in ops]
        self.finish(kt, self.kernel_name("pointwise", first), "pointwise", nodes,
                    [f"pointwise over {list(shape)} ({n} elements), 1-D tiles of BLOCK"],
                    pointwise_configs(n))

    def row(self, anchor: Operation, others: list[Operation], outputs: list[SSAValue], leaf, first: Operation) -> None:
        """`others`: the group's elementwise ops; those the anchor's data input depends on
        are its prologue (recomputed at each load of a row chunk), the rest its epilogue."""
        kind = anchor.name.split(".", 1)[1]
        softmax = kind in ("Softmax", "LogSoftmax", "ScaledMaskedSoftmax")
        needed: set[Operation] = set()
        todo = [anchor.operands[0]]
        while todo:
            v = todo.pop()
            if v.owner in others and v.owner not in needed:
                needed.add(v.owner)  # type: ignore[arg-type]
                todo.extend(v.owner.operands)  # type: ignore[union-attr]
        prologue = [o for o in others if o in needed]
        epilogue = [o for o in others if o not in needed]
        x = anchor.operands[0]
        xs = _shape(x)
        rank = len(xs)
        if softmax:
            axis = int_attr_value(anchor.properties.get("axis"))
            axis = (-1 if axis is None else axis) % rank
            axes = [axis]
        elif kind in ("LayerNormalization", "RMSNormalization"):
            axis = int_attr_value(anchor.properties.get("axis"))
            axis = (-1 if axis is None else axis) % rank
            axes = list(range(axis, rank))
            if anchor.results[1:] and any(r.uses for r in anchor.results[1:]):
                raise UnsupportedOnCuda(f"LayerNormalization '{node_name(anchor)}': Mean/InvStdDev outputs are not supported")
        elif kind.startswith("Global"):
            axes = list(range(2, rank))
        else:
            axes_v = anchor.operands[1] if len(anchor.operands) > 1 else None
            if axes_v is None:
                axes = [] if int_attr_value(anchor.properties.get("noop_with_empty_axes")) else list(range(rank))
            else:
                arr = constant_value(axes_v, self.weights)
                if arr is None:
                    raise UnsupportedOnCuda(f"{kind} '{node_name(anchor)}': axes must be a constant")
                axes = sorted({int(a) % rank for a in arr.reshape(-1)})
                if not axes and not int_attr_value(anchor.properties.get("noop_with_empty_axes")):
                    axes = list(range(rank))
            if not axes:
                raise UnsupportedOnCuda(f"{kind} '{node_name(anchor)}' with no axes (a copy) has no Triton kernel")
        if axes != list(range(axes[0], axes[-1] + 1)):
            raise UnsupportedOnCuda(f"{kind} '{node_name(anchor)}' over non-contiguous axes {axes}")
        outer = _numel(xs[: axes[0]])
        red = _numel(xs[axes[0] : axes[-1] + 1])
        inner = _numel(xs[axes[-1] + 1 :])
        rows = outer * inner
        looped = red > self.max_row_block  # the chunk size is row_configs' choice
        per_row = softmax or kind in ("LayerNormalization", "RMSNormalization")
        out_shape = _shape(anchor.results[0])
        kt = _KernelText()
        px = None if prologue else self.new_param(kt, leaf(x), "in")
        L = kt.lines
        L.append("    row = tl.program_id(0)")
        if inner == 1:
            L.append(f"    base = row * {red}")
        else:
            L.append(f"    base = (row // {inner}) * {red * inner} + row % {inner}")
        step = "" if inner == 1 else f" * {inner}"
        # ReduceX and GlobalXPool by what they compute: Sum, Mean, Max, Min, SumSquare, L1, L2
        rkind = {"GlobalAveragePool": "Mean", "GlobalMaxPool": "Max"}.get(kind, kind.removeprefix("Reduce"))
        red_op = {"Max": "tl.max", "Min": "tl.min"}.get(rkind, "tl.sum")
        fill = 'float("-inf")' if softmax else {"Max": 'float("-inf")', "Min": 'float("inf")'}.get(rkind, "0.0")

        def load(ind: str) -> str:
            return f"tl.load({px} + base + cols{step}, mask=cmask, other={fill}).to(tl.float32)"

        def chunk(ind: str, start: str) -> dict[SSAValue, str]:
            """Loads (or computes, through the prologue) one chunk of the row into x;
            lanes past the row hold the reduction's neutral value."""
            L.append(f"{ind}cols = {start}tl.arange(0, BLOCK_R)")
            L.append(f"{ind}cmask = cols < {red}")
            env: dict[SSAValue, str] = {}
            if kind == "ScaledMaskedSoftmax":
                # x * scale + mask, then -inf past the row
                L.append(f"{ind}x = tl.load({px} + base + cols{step}, mask=cmask, other=0.0).to(tl.float32)")
                L.append(f"{ind}x = x * {_prop_f(anchor, 'scale', 1.0)!r}")
                if len(anchor.operands) > 1:
                    coords = _Coords(L, ind, xs, flat=f"base + cols{step}", prefix="p")
                    mk = self.load_leaf(kt, anchor.operands[1], coords, "cmask", ind, leaf)
                    L.append(f"{ind}x = x + {mk}")
                L.append(f'{ind}x = tl.where(cmask, x, float("-inf"))')
                return env
            if not prologue:
                L.append(f"{ind}x = {load(ind)}")
                return env
            coords = _Coords(L, ind, xs, flat=f"base + cols{step}", prefix="p")
            self.emit_elementwise(kt, prologue, env, coords, "cmask", ind, leaf)
            L.append(f"{ind}x = tl.where(cmask, {env[x]}, {fill}).to(tl.float32)")
            return env

        def store_rows(ind: str, y: str, env: dict[SSAValue, str]) -> None:
            """Per-row outputs (Softmax/LayerNorm): epilogue at each element, stored."""
            L.append(f"{ind}offs = base + cols{step}")
            coords = _Coords(L, ind, out_shape, flat="offs")
            env[anchor.results[0]] = y
            self.emit_elementwise(kt, epilogue, env, coords, "cmask", ind, leaf)
            for r in outputs:
                p = self.new_param(kt, self.name(r), "out")
                L.append(f"{ind}tl.store({p} + offs, {env[r]}, mask=cmask)")

        def per_row_value(ind: str) -> None:
            """Softmax / LayerNorm: y at each element of the chunk in x."""
            if kind in ("Softmax", "ScaledMaskedSoftmax"):
                L.append(f"{ind}y = tl.exp(x - m) / s")
            elif kind == "LogSoftmax":
                L.append(f"{ind}y = x - m - tl.log(s)")
            else:
                scale = anchor.operands[1]
                bias = anchor.operands[2] if len(anchor.operands) > 2 else None
                coords = _Coords(L, ind, xs, flat=f"base + cols{step}", prefix="c")
                g = self.load_leaf(kt, scale, coords, "cmask", ind, leaf)
                if kind == "RMSNormalization":
                    L.append(f"{ind}y = x / rms * {g}")
                    return
                L.append(f"{ind}y = (x - mean) * rstd * {g}")
                if bias is not None:
                    b = self.load_leaf(kt, bias, coords, "cmask", ind, leaf)
                    L.append(f"{ind}y = y + {b}")

        if not looped:
            env0 = chunk("    ", "")
            if kind == "RMSNormalization":
                eps = _prop_f(anchor, "epsilon", 1e-5)
                L.append(f"    rms = tl.sqrt(tl.sum(x * x, axis=0) / {red} + {eps!r})")
            if softmax:
                L += ["    m = tl.max(x, axis=0)", "    e = tl.where(cmask, tl.exp(x - m), 0.0)", "    s = tl.sum(e, axis=0)"]
            elif kind == "LayerNormalization":
                eps = _prop_f(anchor, "epsilon", 1e-5)
                L += [f"    mean = tl.sum(x, axis=0) / {red}", "    d = tl.where(cmask, x - mean, 0.0)",
                      f"    rstd = 1.0 / tl.sqrt(tl.sum(d * d, axis=0) / {red} + {eps!r})"]
            if per_row:
                per_row_value("    ")
                store_rows("    ", "y", env0)
        else:
            loop = f"    for c0 in range(0, {red}, BLOCK_R):"
            ind = "        "
            if kind == "RMSNormalization":
                eps = _prop_f(anchor, "epsilon", 1e-5)
                L += ["    acc = tl.zeros([BLOCK_R], tl.float32)", loop]
                chunk(ind, "c0 + ")
                L.append(f"{ind}acc += x * x")
                L.append(f"    rms = tl.sqrt(tl.sum(acc, axis=0) / {red} + {eps!r})")
            if softmax:
                L.append('    mv = tl.full([BLOCK_R], float("-inf"), tl.float32)')
                L.append(loop)
                chunk(ind, "c0 + ")
                L.append(f"{ind}mv = tl.maximum(mv, x)")
                L += ["    m = tl.max(mv, axis=0)", "    sv = tl.zeros([BLOCK_R], tl.float32)", loop]
                chunk(ind, "c0 + ")
                L.append(f"{ind}sv += tl.where(cmask, tl.exp(x - m), 0.0)")
                L.append("    s = tl.sum(sv, axis=0)")
            elif kind == "LayerNormalization":
                eps = _prop_f(anchor, "epsilon", 1e-5)
                L += ["    acc = tl.zeros([BLOCK_R], tl.float32)", loop]
                chunk(ind, "c0 + ")
                L.append(f"{ind}acc += x")
                L += [f"    mean = tl.sum(acc, axis=0) / {red}", "    acc = tl.zeros([BLOCK_R], tl.float32)", loop]
                chunk(ind, "c0 + ")
                L.append(f"{ind}d = tl.where(cmask, x - mean, 0.0)")
                L.append(f"{ind}acc += d * d")
                L.append(f"    rstd = 1.0 / tl.sqrt(tl.sum(acc, axis=0) / {red} + {eps!r})")
            if per_row:
                L.append(loop)
                env1 = chunk(ind, "c0 + ")
                per_row_value(ind)
                store_rows(ind, "y", env1)
        if not per_row:
            # One value per row: reduce (in registers or chunk by chunk), then the
            # epilogue on that scalar, stored at the row's index of the reduced output.
            term = {"SumSquare": "x * x", "L2": "x * x", "L1": "tl.abs(x)"}.get(rkind, "x")
            if not looped:
                L.append(f"    r = {red_op}({term}, axis=0)")
            else:
                init = {"tl.max": 'float("-inf")', "tl.min": 'float("inf")'}.get(red_op, "0.0")
                L.append(f"    acc = tl.full([BLOCK_R], {init}, tl.float32)")
                L.append(loop)
                chunk(ind, "c0 + ")
                comb = {"tl.max": f"tl.maximum(acc, {term})", "tl.min": f"tl.minimum(acc, {term})"}.get(red_op, f"acc + {term}")
                L.append(f"{ind}acc = {comb}")
                L.append(f"    r = {red_op}(acc, axis=0)")
            if rkind == "Mean":
                L.append(f"    r = r / {red}")
            elif rkind == "L2":
                L.append("    r = tl.sqrt(r)")
            coords = _Coords(L, "    ", out_shape, flat="row")
            if any(v.owner in prologue for o in epilogue for v in o.operands):
                raise UnsupportedOnCuda(f"{kind} '{node_name(anchor)}': an epilogue op reads a prologue value")
            env = {anchor.results[0]: "r"}
            self.emit_elementwise(kt, epilogue, env, coords, None, "    ", leaf)
            for r in outputs:
                p = self.new_param(kt, self.name(r), "out")
                L.append(f"    tl.store({p} + row, {env[r]})")
        nodes = [node_name(op) for op in prologue + [anchor] + epilogue]
        how = "looped over BLOCK_R chunks" if looped else "whole row in registers"
        self.finish(kt, self.kernel_name("row", first), "row", nodes,
                    [f"{kind} over {rows} rows of {red} ({how})"],
                    row_configs(red, rows, self.max_row_block))

    def matmul(self, mm: Operation, epilogue: list[Operation], outputs: list[SSAValue], leaf, first: Operation,
               acc_value: SSAValue | None = None) -> None:
        """`acc_value`: the value that stands for the product in the epilogue (the group's
        block argument when the matmul was fused into the group that uses it)."""
        gemm = mm.name in ("onnx.Gemm", "strata.FusedGemm")
        a_v, b_v = mm.operands[0], mm.operands[1]
        sa, sb, so = _shape(a_v), _shape(b_v), _shape(mm.results[0])
        if len(sa) < 2 or len(sb) < 2:
            raise UnsupportedOnCuda(f"MatMul '{node_name(mm)}' with a 1-D operand has no Triton kernel yet")
        ta = gemm and bool(int_attr_value(mm.properties.get("transA")))
        tb = gemm and bool(int_attr_value(mm.properties.get("transB")))
        M, N = so[-2], so[-1]
        K = sa[-2] if ta else sa[-1]
        batch = so[:-2]
        nb = _numel(batch)
        kt = _KernelText()
        pa = self.new_param(kt, leaf(a_v), "in")
        pb = self.new_param(kt, leaf(b_v), "in")
        L = kt.lines
        L += ["    pid_m = tl.program_id(0)", "    pid_n = tl.program_id(1)", "    pid_b = tl.program_id(2)",
              "    rm = pid_m * BM + tl.arange(0, BM)", "    rn = pid_n * BN + tl.arange(0, BN)"]
        bcoords = _Coords(L, "    ", batch, flat="pid_b", prefix="b")

        def batch_off(shape) -> str:
            strides = _broadcast_strides(shape[:-2], batch) if batch else []
            mat = shape[-2] * shape[-1]
            strides = [s * mat for s in strides]
            return bcoords.offset(strides) if batch else "0"

        oa, ob = batch_off(sa), batch_off(sb)
        sam, sak = (1, M) if ta else (K, 1)
        sbk, sbn = (1, K) if tb else (N, 1)
        L.append("    acc = tl.zeros((BM, BN), dtype=tl.float32)")
        L.append(f"    for k0 in range(0, {K}, BK):")
        L.append("        rk = k0 + tl.arange(0, BK)")
        a_off = f"rm[:, None] * {sam} + rk[None, :] * {sak}"
        b_off = f"rk[:, None] * {sbk} + rn[None, :] * {sbn}"
        L.append(f"        a = tl.load({pa} + {oa} + {a_off}, mask=(rm[:, None] < {M}) & (rk[None, :] < {K}), other=0.0)")
        L.append(f"        b = tl.load({pb} + {ob} + {b_off}, mask=(rk[:, None] < {K}) & (rn[None, :] < {N}), other=0.0)")
        L.append('        acc += tl.dot(a, b, input_precision="ieee")')
        L.append(f"    omask = (rm[:, None] < {M}) & (rn[None, :] < {N})")
        given = {len(so) - 2: "rm[:, None]", len(so) - 1: "rn[None, :]"}
        for d in range(len(batch)):
            given[d] = (lambda d=d: bcoords.coord(d)) if batch[d] > 1 else "0"
        coords = _Coords(L, "    ", so, given=given, prefix="o")
        if gemm:
            alpha, beta = _prop_f(mm, "alpha", 1.0), _prop_f(mm, "beta", 1.0)
            if alpha != 1.0:
                L.append(f"    acc = acc * {alpha!r}")
            c_v = mm.operands[2] if len(mm.operands) > 2 else None
            if c_v is not None and beta != 0.0:
                c = self.load_leaf(kt, c_v, coords, "omask", "    ", leaf)
                L.append(f"    acc = acc + {c}" if beta == 1.0 else f"    acc = acc + {beta!r} * {c}")
        if mm.name == "strata.FusedMatMul":
            alpha = _prop_f(mm, "alpha", 1.0)
            if alpha != 1.0:
                L.append(f"    acc = acc * {alpha!r}")
            if len(mm.operands) > 2:
                c = self.load_leaf(kt, mm.operands[2], coords, "omask", "    ", leaf)
                L.append(f"    acc = acc + {c}")
        act = _activation(mm, "acc") if mm.name.startswith("strata.") else None
        if act is not None:
            L.append(f"    acc = {act}")
        env: dict[SSAValue, str] = {mm.results[0]: "acc"}
        if acc_value is not None:
            env[acc_value] = "acc"
        self.emit_elementwise(kt, epilogue, env, coords, "omask", "    ", leaf)
        L.append(f"    o = pid_b * {M * N} + rm[:, None] * {N} + rn[None, :]")
        for r in outputs:
            p = self.new_param(kt, self.name(r), "out")
            L.append(f"    tl.store({p} + o, {env[r]}, mask=omask)")
        nodes = [node_name(op) for op in [mm] + epilogue]
        epi = f", epilogue: {', '.join(op.name.removeprefix('onnx.') for op in epilogue)}" if epilogue else ""
        self.finish(kt, self.kernel_name("matmul", first), "matmul", nodes,
                    [f"{'Gemm' if gemm else 'MatMul'} {list(batch)} x [{M}x{K}] @ [{K}x{N}]{epi}"],
                    matmul_configs(M, N, nb))

    def attention(self, op: Operation) -> None:
        """strata.Attention: softmax(q @ k_t * scale + mask) @ v as one flash-attention
        style kernel: a BM block of queries per program, keys in BN blocks with an
        online softmax (running max and sum), the scores never stored."""
        q_v, k_v, v_v = op.operands[0], op.operands[1], op.operands[2]
        mask_v = op.mask  # type: ignore[attr-defined]
        sq, sk, sv, so = _shape(q_v), _shape(k_v), _shape(v_v), _shape(op.results[0])
        Sq, D, Sk, Dv = sq[-2], sq[-1], sk[-1], sv[-1]
        batch = so[:-2]
        nb = _numel(batch)
        kt = _KernelText()
        pq, pk, pv = (self.new_param(kt, self.name(v), "in") for v in (q_v, k_v, v_v))
        L = kt.lines
        L += ["    pid_m = tl.program_id(0)", "    pid_b = tl.program_id(1)",
              "    rm = pid_m * BM + tl.arange(0, BM)", "    rd = tl.arange(0, BD)", "    rdv = tl.arange(0, BDV)"]
        bcoords = _Coords(L, "    ", batch, flat="pid_b", prefix="b")

        def batch_off(shape) -> str:
            if not batch:
                return "0"
            strides = [s * shape[-2] * shape[-1] for s in _broadcast_strides(shape[:-2], batch)]
            return bcoords.offset(strides)

        oq, ok, ov = batch_off(sq), batch_off(sk), batch_off(sv)
        scale = _prop_f(op, "scale", 1.0)
        L.append(f"    q = tl.load({pq} + {oq} + rm[:, None] * {D} + rd[None, :], mask=(rm[:, None] < {Sq}) & (rd[None, :] < {D}), other=0.0)")
        L += ['    m_i = tl.full([BM], float("-inf"), tl.float32)', "    l_i = tl.zeros([BM], tl.float32)",
              "    acc = tl.zeros((BM, BDV), dtype=tl.float32)", f"    for n0 in range(0, {Sk}, BN):",
              "        rn = n0 + tl.arange(0, BN)",
              f"        k = tl.load({pk} + {ok} + rd[:, None] * {Sk} + rn[None, :], mask=(rd[:, None] < {D}) & (rn[None, :] < {Sk}), other=0.0)",
              f'        s = tl.dot(q, k, input_precision="ieee") * {scale!r}']
        if mask_v is not None:
            sm = _shape(mask_v)
            scores = (*batch, Sq, Sk)
            given: dict[int, Any] = {len(scores) - 2: "rm[:, None]", len(scores) - 1: "rn[None, :]"}
            for d in range(len(batch)):
                given[d] = (lambda d=d: bcoords.coord(d)) if batch[d] > 1 else "0"
            coords = _Coords(L, "        ", scores, given=given, prefix="s")
            off = coords.offset(_broadcast_strides(sm, scores))
            pm = self.new_param(kt, self.name(mask_v), "in")
            L.append(f"        s = s + tl.load({pm} + {off}, mask=(rm[:, None] < {Sq}) & (rn[None, :] < {Sk}), other=0.0)")
        L += [f'        s = tl.where(rn[None, :] < {Sk}, s, float("-inf"))',
              "        m_new = tl.maximum(m_i, tl.max(s, axis=1))",
              "        p = tl.exp(s - m_new[:, None])",
              "        alpha = tl.exp(m_i - m_new)",
              "        l_i = l_i * alpha + tl.sum(p, axis=1)",
              f"        v = tl.load({pv} + {ov} + rn[:, None] * {Dv} + rdv[None, :], mask=(rn[:, None] < {Sk}) & (rdv[None, :] < {Dv}), other=0.0)",
              '        acc = acc * alpha[:, None] + tl.dot(p, v, input_precision="ieee")',
              "        m_i = m_new",
              "    acc = acc / l_i[:, None]"]
        po = self.new_param(kt, self.name(op.results[0]), "out")
        L.append(f"    tl.store({po} + pid_b * {Sq * Dv} + rm[:, None] * {Dv} + rdv[None, :], acc, "
                 f"mask=(rm[:, None] < {Sq}) & (rdv[None, :] < {Dv}))")
        self.finish(kt, self.kernel_name("attention", op), "attention", [node_name(op)],
                    [f"attention {list(batch)} x [{Sq}x{D}] keys {Sk} -> [{Sq}x{Dv}], online softmax over BN key blocks"],
                    attention_configs(Sq, Sk, D, Dv, nb))

    def copy(self, op: Operation, src: str, dst: str, shape, src_strides, src_base: int, dst_strides, dst_base: int,
             what: str) -> None:
        """A pointwise copy over `shape`: element at coordinates c goes from
        src[src_base + c . src_strides] to dst[dst_base + c . dst_strides]."""
        n = _numel(shape)
        kt = _KernelText()
        ps = self.new_param(kt, src, "in")
        kt.lines += ["    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)", f"    mask = offs < {n}"]
        coords = _Coords(kt.lines, "    ", shape, flat="offs")
        so, do = coords.offset(list(src_strides)), coords.offset(list(dst_strides))
        so = so if src_base == 0 else f"{src_base} + {so}"
        do = do if dst_base == 0 else f"{dst_base} + {do}"
        kt.lines.append(f"    t = tl.load({ps} + {so}, mask=mask)")
        pd = self.new_param(kt, dst, "out")
        kt.lines.append(f"    tl.store({pd} + {do}, t, mask=mask)")
        self.finish(kt, self.kernel_name("pointwise", op), "pointwise", [node_name(op)], [f"{what} over {list(shape)}"], pointwise_configs(n))

    def data_movement(self, op: Operation) -> None:
        """Concat (one copy kernel per input), Slice (static starts/steps) and Expand."""
        out = self.name(op.results[0])
        so = _shape(op.results[0])
        out_strides = _contiguous_strides(so)
        if op.name == "onnx.Expand":
            x = op.operands[0]
            self.copy(op, self.name(x), out, so, _broadcast_strides(_shape(x), so), 0, out_strides, 0, "Expand")
            return
        if op.name == "onnx.Concat":
            axis = int_attr_value(op.properties.get("axis")) % len(so)  # type: ignore[operator]
            start = 0
            for x in op.operands:
                sx = _shape(x)
                if _numel(sx):
                    self.copy(op, self.name(x), out, sx, _contiguous_strides(sx), 0, out_strides,
                              start * out_strides[axis], f"Concat input at {start} along axis {axis}")
                start += sx[axis]
            return
        data = op.operands[0]
        sx = _shape(data)
        vals = [constant_value(v, self.weights) if v is not None else None for v in
                (op.starts, op.ends, op.axes, op.steps)]  # type: ignore[attr-defined]
        if any(v is None for v, o in zip(vals, (op.starts, op.ends, op.axes, op.steps)) if o is not None):  # type: ignore[attr-defined]
            raise UnsupportedOnCuda(f"Slice '{node_name(op)}' with non-constant starts/ends/axes/steps")
        starts, ends = [int(v) for v in vals[0].reshape(-1)], [int(v) for v in vals[1].reshape(-1)]  # type: ignore[union-attr]
        axes = [int(v) % len(sx) for v in vals[2].reshape(-1)] if vals[2] is not None else list(range(len(starts)))
        steps = [int(v) for v in vals[3].reshape(-1)] if vals[3] is not None else [1] * len(starts)
        in_strides = _contiguous_strides(sx)
        first = [0] * len(sx)
        step = [1] * len(sx)
        for a, b, e, st in zip(axes, starts, ends, steps):
            first[a], _, step[a] = slice(b, e, st).indices(sx[a])
        base = sum(f * s for f, s in zip(first, in_strides))
        self.copy(op, self.name(data), out, so, [st * s for st, s in zip(step, in_strides)], base, out_strides, 0, "Slice")

    def conv_epilogue(self, op: Operation, src: str, z: str | None, out: str, act: str | None) -> None:
        shape = self.values[out].shape
        n = _numel(shape)
        kt = _KernelText()
        ps = self.new_param(kt, src, "in")
        kt.lines += ["    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)", f"    mask = offs < {n}",
                     f"    c = tl.load({ps} + offs, mask=mask)"]
        if z is not None:
            pz = self.new_param(kt, z, "in")
            kt.lines.append(f"    c = c + tl.load({pz} + offs, mask=mask)  # residual")
        if act is not None:
            kt.lines.append(f"    c = {act}  # activation")
        po = self.new_param(kt, out, "out")
        kt.lines.append(f"    tl.store({po} + offs, c, mask=mask)")
        self.finish(kt, self.kernel_name("pointwise", op), "pointwise", [node_name(op)],
                    [f"epilogue of the convolution (run by torch) over {list(shape)}"],
                    pointwise_configs(n))

    def torch_step(self, op: Operation) -> None:
        n = op.name
        x = self.name(op.operands[0])
        out = self.name(op.results[0])
        pads = op.effective_pads()  # type: ignore[attr-defined]
        k = len(pads) // 2
        params: dict[str, Any] = {"strides": op.effective_strides(), "dilations": op.effective_dilations(),  # type: ignore[attr-defined]
                                  "pads": pads, "rank": k}
        if n in ("onnx.Conv", "strata.FusedConv"):
            if k not in (1, 2, 3):
                raise UnsupportedOnCuda(f"Conv '{node_name(op)}' with {k} spatial dims")
            b = op.b  # type: ignore[attr-defined]
            args = [x, self.name(op.operands[1]), self.name(b) if b is not None else None]
            params["group"] = op.effective_group()  # type: ignore[attr-defined]
            z = op.z if n == "strata.FusedConv" else None  # type: ignore[attr-defined]
            act = _activation(op, "c") if n == "strata.FusedConv" else None
            if z is None and act is None:
                self.steps.append(TorchStep("conv", args, out, params, [node_name(op)]))
                return
            # torch's conv writes a temporary; the residual/activation epilogue runs
            # after it as one pointwise kernel.
            tmp = f"v{len(self.names)}_{len(self.values)}conv"
            info = self.values[out]
            self.values[tmp] = ValueInfo(tmp, info.shape, info.dtype, f"{info.hint}.conv")
            self.steps.append(TorchStep("conv", args, tmp, params, [node_name(op)]))
            self.conv_epilogue(op, tmp, self.name(z) if z is not None else None, out, act)
            return
        if op.results[1:] and any(r.uses for r in op.results[1:]):
            raise UnsupportedOnCuda(f"MaxPool '{node_name(op)}': the Indices output is not supported")
        if k not in (1, 2, 3):
            raise UnsupportedOnCuda(f"{n} '{node_name(op)}' with {k} spatial dims")
        params["kernel"] = op.effective_kernel_shape()  # type: ignore[attr-defined]
        params["ceil_mode"] = bool(int_attr_value(op.properties.get("ceil_mode")))
        if n == "onnx.AveragePool":
            if any(d != 1 for d in params["dilations"]):
                raise UnsupportedOnCuda(f"AveragePool '{node_name(op)}' with dilations (torch has none)")
            params["count_include_pad"] = bool(int_attr_value(op.properties.get("count_include_pad")))
            if any(pads) and not params["count_include_pad"] and pads[:k] != pads[k:]:
                raise UnsupportedOnCuda(f"AveragePool '{node_name(op)}' with asymmetric pads excluded from the count")
        self.steps.append(TorchStep("max_pool" if n == "onnx.MaxPool" else "avg_pool", [x], out, params, [node_name(op)]))


def _main(module: ModuleOp) -> func.FuncOp:
    mains = [op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == "main"]
    if len(mains) != 1 or "strata.entry" in mains[0].attributes:
        raise StrataError("to_triton: expects the graph-level module (one func.func @main of onnx ops)")
    return mains[0]


def _is_elementwise(op: Operation) -> bool:
    from lowering.fuse_kernels import is_elementwise

    return is_elementwise(op)


def _epilogue_user(mm: Operation, returned: set[SSAValue]) -> Operation | None:
    """The elementwise group (or single elementwise op) a MatMul/Gemm's result goes to,
    when it is its only user, iterates over the same shape and is purely elementwise."""
    r = mm.results[0]
    users = {u.operation for u in r.uses}
    if r in returned or len(users) != 1:
        return None
    user = next(iter(users))
    if isinstance(user, FusedKernelOp):
        if "strata.elementwise" not in user.attributes:
            return None
        shapes = {_shape(v) for v in user.results}
    elif _is_elementwise(user):
        shapes = {_shape(user.results[0])}
    else:
        return None
    return user if shapes == {_shape(r)} else None


def _generate_op(gen: _Generator, op: Operation, returned: set[SSAValue], deferred: dict[Operation, Operation],
                 fuse_matmul_epilogues: bool) -> None:
    """The step(s) of one graph op (a group, a single op or a constant)."""

    def outer_leaf(v: SSAValue) -> str:
        return gen.name(v)

    if isinstance(op, ConstantOp):
        gen.add_constant(op)
        return
    if isinstance(op, FusedKernelOp):
        arg_map = dict(zip(op.body.block.args, op.operands))

        def leaf(v: SSAValue, arg_map=arg_map) -> str:
            return gen.name(arg_map.get(v, v))

        inner = op.inner_ops()
        yielded = list(op.yield_op().operands)
        for inner_v, outer_v in zip(yielded, op.results):
            gen.names[inner_v] = gen.name(outer_v)
        mm = deferred.pop(op, None)
        if mm is not None:
            # The product enters the group as a block argument: the epilogue reads
            # it as the accumulator tile.
            arg = next(a for a, o in arg_map.items() if o is mm.results[0])
            gen.matmul(mm, inner, yielded, leaf, mm, acc_value=arg)
            return
        anchors = [o for o in inner if not _is_elementwise(o)]
        if not anchors:
            gen.pointwise(inner, yielded, leaf, inner[0])
        elif len(anchors) == 1 and anchors[0].name in ROW_OPS:
            gen.row(anchors[0], [o for o in inner if o is not anchors[0]], yielded, leaf, inner[0])
        elif len(anchors) == 1 and anchors[0].name in MATMUL_OPS:
            gen.matmul(anchors[0], [o for o in inner if o is not anchors[0]], yielded, leaf, inner[0])
        else:
            raise UnsupportedOnCuda(f"kernel group '{node_name(op)}' ({', '.join(op.op_types())}) has no Triton kernel")
        return
    name = op.name
    if name in MATMUL_OPS:
        user = _epilogue_user(op, returned) if fuse_matmul_epilogues else None
        if user is not None:
            deferred[user] = op
        else:
            gen.matmul(op, [], [op.results[0]], outer_leaf, op)
    elif op in deferred:
        mm = deferred.pop(op)
        gen.matmul(mm, [op], [op.results[0]], outer_leaf, mm)
    elif _is_elementwise(op) or name == "onnx.Transpose":
        gen.pointwise([op], [op.results[0]], outer_leaf, op)
    elif name in ROW_OPS:
        gen.row(op, [], [op.results[0]], outer_leaf, op)
    elif name == "strata.Attention":
        gen.attention(op)
    elif name in COPY_OPS:
        gen.data_movement(op)
    elif name in ALIAS_OPS:
        gen.steps.append(AliasStep(gen.name(op.operands[0]), gen.name(op.results[0]), [node_name(op)]))
    elif name in TORCH_OPS:
        gen.torch_step(op)
    else:
        raise UnsupportedOnCuda(f"{name.removeprefix('onnx.')} '{node_name(op)}' has no Triton kernel yet")


def generate(module: ModuleOp, weights: WeightTable | None, max_row_block: int = MAX_ROW_BLOCK,
             fuse_matmul_epilogues: bool = True) -> TritonProgram:
    """The Triton program of a graph-level module (after fuse-kernels), in graph order."""
    fn = _main(module)
    gen = _Generator(weights, max_row_block)
    inputs = [gen.name(a) for a in fn.body.block.args]
    ret = fn.body.block.last_op
    assert isinstance(ret, func.ReturnOp)
    returned = set(ret.operands)
    deferred: dict[Operation, Operation] = {}  # epilogue user -> its matmul

    unsupported: list[str] = []
    for op in fn.body.block.ops:
        if isinstance(op, func.ReturnOp):
            break
        try:
            _generate_op(gen, op, returned, deferred, fuse_matmul_epilogues)
        except UnsupportedOnCuda as e:
            unsupported.append(str(e))
    if unsupported:
        # every problem at once, like UnsupportedOpsError on the CPU path
        raise UnsupportedOnCuda("the cuda target cannot compile: " + "; ".join(unsupported))

    outputs = [gen.name(v) for v in ret.operands]
    return TritonProgram(gen.values, gen.steps, inputs, outputs, gen.program_weights)
