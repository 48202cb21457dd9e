"""The GPU program the Triton generator (lowering/to_triton.py) hands to the launcher
(runtime/triton_launcher.py): a `TritonProgram` (the run order of steps over named values)
whose steps are `TritonKernel`s (one `@triton.jit` function each, with the launch
configurations the autotuner may try) and `AliasStep`s (a value viewed with another shape),
plus its arena plan (each intermediate's byte offset, planned at compile time like the CPU
path's). Plain data: the runtime reads it without importing xDSL or the lowering passes."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

DEFAULT_NUM_STAGES = 3  # Triton's default on CUDA


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


def make_config(constexprs: dict[str, int], warps: int, stages: int, grid: tuple[int, ...]) -> KernelConfig:
    return KernelConfig(tuple(constexprs.items()), warps, stages, tuple(grid))


@dataclass
class TritonKernel:
    """One `@triton.jit` function and how to launch it (constexprs, grid, num_warps,
    num_stages: the heuristic configuration, `configs[0]`; `configs`: every
    configuration the autotuner may try). `helpers`: the source of the `@triton.jit`
    helper functions it calls (lowering/triton_kernels/helpers.py), emitted before it."""

    name: str
    family: str  # "pointwise" | "row" | "matmul" | "attention" | "conv" | "pool" | "select" | "scatter"
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
    helpers: list[str] = field(default_factory=list)

    def signature(self) -> dict[str, str]:
        sig = dict(zip(self.params, self.param_types))
        sig.update({k: "constexpr" for k in self.constexprs})
        return sig

    def config(self) -> KernelConfig:
        """The configuration this kernel launches with."""
        return make_config(dict(self.constexprs), self.num_warps, self.num_stages, self.grid)

    def candidates(self) -> list[KernelConfig]:
        return list(self.configs) or [self.config()]

    def with_config(self, cfg: KernelConfig) -> TritonKernel:
        """This kernel launched with `cfg` (one of `candidates()`)."""
        return dataclasses.replace(self, constexprs=dict(cfg.constexprs), grid=tuple(cfg.grid),
                                   num_warps=cfg.num_warps, num_stages=cfg.num_stages)

    def standalone_source(self) -> str:
        """An importable module holding just this kernel and its helpers."""
        return "\n".join(["import triton", "import triton.language as tl", "", ""] + [h + "\n\n" for h in self.helpers]
                         + [self.source, ""])


@dataclass
class AliasStep:
    """`target` is `source` viewed with another shape (no data moves)."""

    source: str
    target: str
    nodes: list[str]


Step = TritonKernel | AliasStep


@dataclass
class ArenaPlan:
    """Where each intermediate lives in the one device arena: `offsets[name]` in bytes.
    `naive_bytes` is what one buffer per intermediate would take."""

    offsets: dict[str, int]
    arena_bytes: int
    naive_bytes: int


def value_nbytes(info: ValueInfo) -> int:
    return int(np.prod(info.shape, dtype=np.int64)) * np.dtype(info.dtype).itemsize


@dataclass
class TritonProgram:
    values: dict[str, ValueInfo]
    steps: list[Step]
    inputs: list[str]
    outputs: list[str]
    weights: dict[str, np.ndarray]
    precision: str = "ieee"
    arena: ArenaPlan | None = None  # set by the generator once the steps are final


    def kernels(self) -> list[TritonKernel]:
        return [s for s in self.steps if isinstance(s, TritonKernel)]

    def module_source(self) -> str:
        """All kernels (and the helpers they call, once) as one importable Python module."""
        parts = ['"""Triton kernels generated by Strata (lowering/to_triton.py)."""', "import triton", "import triton.language as tl", ""]
        helpers = list(dict.fromkeys(h for k in self.kernels() for h in k.helpers))
        for h in helpers:
            parts += ["", h]
        for k in self.kernels():
            parts += ["", k.source]
        return "\n".join(parts) + "\n"

    def summary(self) -> list[dict[str, Any]]:
        """One line per kernel, for CompiledModel.stats."""
        return [{"kernel": s.name, "family": s.family, "grid": list(s.grid), "constexprs": dict(s.constexprs),
                 "num_warps": s.num_warps, "num_stages": s.num_stages, "configs": len(s.candidates()),
                 "nodes": list(s.nodes)} for s in self.steps if isinstance(s, TritonKernel)]


__all__ = ["DEFAULT_NUM_STAGES", "AliasStep", "ArenaPlan", "KernelConfig", "Step", "TritonKernel", "TritonProgram",
           "ValueInfo", "make_config", "value_nbytes"]
