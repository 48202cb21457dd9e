"""Per-kernel timing of a compiled model, like onnxruntime's `enable_profiling`.

`CompiledModel.profile(feeds, runs)` runs the model's profiled entry: the same kernels,
compiled from the same LLVM IR with the same options, called in the same order, with a
clock reading (`clock_gettime(CLOCK_MONOTONIC)`) written into a timestamps buffer before
the first call and after each call (`lowering/kernel_timestamps.py` builds it; it is
JIT-compiled on the first `profile()` call and never part of a normal run). Kernel call
i ran between timestamps i and i + 1 of a run, so a run's kernel times add up to its
time inside machine code exactly; a clock read costs about 37 ns (measured from JIT code
on the project's Zen 3 machine, TSC clocksource via the vDSO).

The result (`Profile`) has one row per kernel call (a kernel that `dedupe-kernels`
shares between layers is timed at each of its calls, with that call's ONNX nodes): its
median time over the runs, its share of the sum, and GFLOP/s (compute kernels, FLOPs
from `compiler/op_flops.py`) or GB/s (the others: bytes of the buffers it reads and
writes, each counted once). `table()` prints it; `chrome_trace()` is the Chrome trace
event format (one "X" event per kernel call and per run) that Perfetto and
chrome://tracing open.
"""

from __future__ import annotations

import ctypes
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np


@dataclass(frozen=True)
class KernelCall:
    """One call of the entry: which kernel, what it runs, how much work it does."""

    kernel: str  # the kernel function's symbol
    op: str  # its op type: "Conv", "strata.ConvNCHWc", "Fused(Add,Relu)", ...
    nodes: tuple[str, ...]  # the ONNX nodes this call runs
    flops: float | None  # None: not a compute kernel
    bytes: int  # bytes of the distinct buffers it reads and writes


@dataclass(frozen=True)
class ProfiledEntry:
    """The profiled variant's machine code: `symbol` in `jit` takes the model's argument
    array with one more slot, `timestamps_slot`, pointing at 16 bytes per timestamp."""

    jit: Any  # keeps the machine code alive
    symbol: str
    timestamps_slot: int
    calls: tuple[KernelCall, ...]


@dataclass(frozen=True)
class KernelTime:
    """One row of a profile."""

    index: int  # position in call order
    call: KernelCall
    ms: float  # median over runs
    min_ms: float
    share: float  # of the sum of all kernels' medians

    @property
    def rate(self) -> str:
        """GFLOP/s for compute kernels, GB/s for the others ('-' when it took no time)."""
        seconds = self.ms * 1e-3
        if seconds <= 0:
            return "-"
        if self.call.flops:
            return f"{self.call.flops / seconds / 1e9:.1f} GFLOP/s"
        return f"{self.call.bytes / seconds / 1e9:.1f} GB/s"


def _short_nodes(nodes: Sequence[str], limit: int = 2, width: int = 60) -> str:
    text = ", ".join(nodes[:limit]) + (f" (+{len(nodes) - limit})" if len(nodes) > limit else "")
    return text if len(text) <= width else text[: width - 3] + "..."


@dataclass
class Profile:
    """Timestamps of `runs` profiled runs and what they say per kernel call."""

    calls: tuple[KernelCall, ...]
    timestamps_ns: np.ndarray  # [runs, calls + 1], CLOCK_MONOTONIC nanoseconds
    call_ms: float  # median wall time of the normal entry, called from Python the same way
    outputs: list[np.ndarray]  # the outputs of the last profiled run

    @property
    def runs(self) -> int:
        return int(self.timestamps_ns.shape[0])

    @property
    def kernel_ns(self) -> np.ndarray:
        """[runs, calls]: each call's nanoseconds in each run."""
        return np.diff(self.timestamps_ns, axis=1)

    @property
    def total_ms(self) -> float:
        """Median over runs of the time from before the first to after the last call."""
        return float(np.median(self.timestamps_ns[:, -1] - self.timestamps_ns[:, 0])) / 1e6

    @cached_property
    def kernels(self) -> list[KernelTime]:
        """One row per kernel call, in call order."""
        ns = self.kernel_ns
        medians = np.median(ns, axis=0) / 1e6 if ns.size else np.zeros(0)
        mins = ns.min(axis=0) / 1e6 if ns.size else np.zeros(0)
        total = float(medians.sum()) or 1.0
        return [
            KernelTime(i, c, float(medians[i]), float(mins[i]), float(medians[i]) / total)
            for i, c in enumerate(self.calls)
        ]

    def top(self, n: int | None = None) -> list[KernelTime]:
        """Rows by time, slowest first."""
        rows = sorted(self.kernels, key=lambda k: -k.ms)
        return rows if n is None else rows[:n]

    def by_op(self) -> list[tuple[str, int, float, float]]:
        """(op type, calls, median ms summed, share) per op type, slowest first."""
        acc: dict[str, list[float]] = {}
        for k in self.kernels:
            entry = acc.setdefault(k.call.op, [0, 0.0, 0.0])
            entry[0] += 1
            entry[1] += k.ms
            entry[2] += k.share
        return sorted(((op, int(n), ms, share) for op, (n, ms, share) in acc.items()), key=lambda r: -r[2])

    def table(self, top: int | None = 15) -> str:
        """A markdown table of the slowest kernel calls (every call when `top` is None)."""
        lines = [
            f"{self.runs} runs: kernels {sum(k.ms for k in self.kernels):.3f} ms (sum of medians), "
            f"profiled run {self.total_ms:.3f} ms, normal call {self.call_ms:.3f} ms (medians)",
            "",
            "| # | kernel | op | ONNX nodes | ms | share | GFLOP/s or GB/s |",
            "|---|---|---|---|---|---|---|",
        ]
        rows = self.top(top)
        for k in rows:
            lines.append(
                f"| {k.index} | {k.call.kernel} | {k.call.op} | {_short_nodes(k.call.nodes)} | {k.ms:.3f} "
                f"| {100 * k.share:.1f} % | {k.rate} |"
            )
        if len(rows) < len(self.kernels):
            shown = {k.index for k in rows}
            left = [k for k in self.kernels if k.index not in shown]
            lines.append(
                f"| | ({len(left)} more calls) | | | {sum(k.ms for k in left):.3f} | {100 * sum(k.share for k in left):.1f} % | |"
            )
        return "\n".join(lines)

    def op_table(self) -> str:
        lines = ["| op | calls | ms | share |", "|---|---|---|---|"]
        for op, n, ms, share in self.by_op():
            lines.append(f"| {op} | {n} | {ms:.3f} | {100 * share:.1f} % |")
        return "\n".join(lines)

    def chrome_trace(self, name: str = "strata") -> dict:
        """The runs in the Chrome trace event format ("X" complete events, microseconds)."""
        origin = int(self.timestamps_ns[0, 0]) if self.timestamps_ns.size else 0
        us = (self.timestamps_ns - origin) / 1e3
        events: list[dict] = [
            {"name": "process_name", "ph": "M", "pid": 1, "tid": 1, "args": {"name": name}},
            {"name": "thread_name", "ph": "M", "pid": 1, "tid": 1, "args": {"name": "entry"}},
        ]
        for run in range(self.runs):
            t = us[run]
            events.append({"name": f"run {run}", "cat": "run", "ph": "X", "pid": 1, "tid": 1,
                           "ts": float(t[0]), "dur": float(t[-1] - t[0])})
            for i, call in enumerate(self.calls):
                args: dict[str, Any] = {"kernel": call.kernel, "op": call.op, "nodes": list(call.nodes), "bytes": call.bytes}
                if call.flops:
                    args["flops"] = call.flops
                events.append({"name": _short_nodes(call.nodes, 1) or call.kernel, "cat": call.op, "ph": "X",
                               "pid": 1, "tid": 1, "ts": float(t[i]), "dur": float(t[i + 1] - t[i]), "args": args})
        return {"traceEvents": events, "displayTimeUnit": "ms"}

    def write_trace(self, path: str, name: str = "strata") -> None:
        with open(path, "w") as f:
            json.dump(self.chrome_trace(name), f)


def run_profiled(
    entry: ProfiledEntry,
    argv_template: Any,
    io_slots: Sequence[int],
    arrays: Sequence[np.ndarray],
    output_specs: Sequence[Any],
    normal_fn: Callable[[Any], None],
    runs: int,
) -> Profile:
    """Runs the profiled entry `runs` times on `arrays` (inputs, already checked) with the
    model's weights and arena (the first `timestamps_slot` slots of `argv_template`),
    each run followed by a timed call of the normal entry `normal_fn` on the same
    buffers. The caller holds the model's lock."""
    if runs < 1:
        raise ValueError(f"runs must be at least 1, got {runs}")
    outs = [np.empty(s.shape, dtype=s.dtype) for s in output_specs]
    buffers = [a if a.size else np.empty(1, dtype=a.dtype) for a in [*arrays, *outs]]
    slot = entry.timestamps_slot
    argv = (ctypes.c_void_p * (slot + 1))()
    for i in range(slot):
        argv[i] = argv_template[i]
    for i, b in zip(io_slots, buffers):
        argv[i] = b.ctypes.data
    stamps = np.zeros((runs, len(entry.calls) + 1, 2), dtype=np.int64)
    fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(entry.jit.address(entry.symbol))
    argv[slot] = stamps[0].ctypes.data
    fn(argv)  # warm-up: first touches of the arena and caches
    wall = []
    profiled_outputs: list[np.ndarray] = []
    for run in range(runs):
        argv[slot] = stamps[run].ctypes.data
        fn(argv)
        if run == runs - 1:
            profiled_outputs = [o.copy() for o in outs]
        # Interleaved with the profiled runs, so both see the same machine load.
        t = time.perf_counter_ns()
        normal_fn(argv)  # the normal entry ignores the extra slot
        wall.append(time.perf_counter_ns() - t)
    ns = stamps[:, :, 0] * 1_000_000_000 + stamps[:, :, 1]
    return Profile(entry.calls, ns, float(np.median(wall)) / 1e6, profiled_outputs)
