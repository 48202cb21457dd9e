"""CompiledModel: a JIT-compiled model ready to run.

The entry point takes one array of pointers (inputs, outputs, weights). The array is
built once; a call only writes the input and output pointers into it and makes one
ctypes call, so the per-call cost is a few microseconds.

Intermediates live in one arena (entry argument kind "arena:BYTES", planned at compile
time by `lowering/plan_memory.py`): it is allocated once per CompiledModel, 64-byte
aligned, and reused by every call; the machine code allocates nothing. Calls on one
model are serialized by a lock because they share the pointer array and the arena.

Kernels that check values at run time (indices) report failures in a status buffer
(entry argument kind "status:BYTES"; layout in `lowering/runtime_checks.py`): word 0 is
read once per call, and when it is set the call raises OutOfRangeError with the message
of the first failed check site (`status_sites`: (op, node, message) per site).

A model compiled with num_threads > 1 splits its large loops over its own pool of
worker threads (runtime/thread_pool.py starts them on the first call). ctypes
releases the GIL for the whole call, so other Python threads run meanwhile.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dialects.errors import InputError, OutOfRangeError, StrataError
from runtime import artifact
from runtime.profiler import run_profiled
from runtime.thread_pool import ModelThreads

if TYPE_CHECKING:  # dialects.weights imports xDSL; a loaded model (runtime/loader.py) must not
    from dialects.weights import WeightTable


@dataclass(frozen=True)
class TensorSpec:
    name: str
    dtype: np.dtype
    shape: tuple[int, ...]

    def describe(self) -> str:
        return f"{self.dtype.name}{list(self.shape)}"


def aligned_bytes(nbytes: int, align: int = 64) -> np.ndarray:
    """A zeroed uint8 array of `nbytes` (at least one) whose data is `align`-aligned;
    it keeps its over-allocated base alive."""
    raw = np.zeros(max(nbytes, 1) + align, dtype=np.uint8)
    start = -raw.ctypes.data % align
    return raw[start : start + max(nbytes, 1)]


def aligned_copy(array: np.ndarray, align: int = 64) -> np.ndarray:
    """`array` copied into a C-contiguous array whose data is `align`-aligned, so no
    vector load of it splits a cache line (numpy gives large arrays malloc's 16-byte
    alignment)."""
    out = aligned_bytes(array.nbytes, align)[: array.nbytes].view(array.dtype).reshape(array.shape)
    np.copyto(out, array)
    return out


class CompiledModel:
    """Run with `.run({name: array})` or `model(*arrays)`; outputs come back in graph order."""

    def __init__(
        self,
        jit: Any,
        entry_symbol: str,
        arg_kinds: Sequence[str],
        inputs: Sequence[TensorSpec],
        outputs: Sequence[TensorSpec],
        weights: WeightTable,
        stats: dict[str, Any],
        num_threads: int = 1,
        profiled_entry: Callable[[], Any] | None = None,
        status_sites: Sequence[tuple[str, str, str]] = (),
        unrunnable: str | None = None,
    ):
        self._jit = jit  # keeps the machine code alive
        # Set when the code was built for a CPU this host cannot run (compile(cpu=...)):
        # every call raises it instead of executing unknown instructions.
        self._unrunnable = unrunnable
        self._entry_symbol = entry_symbol
        self._arg_kinds = list(arg_kinds)
        self._weight_slots: list[tuple[int, np.ndarray]] = []  # what save() writes
        self._threads = ModelThreads(jit, num_threads)
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.stats = stats
        self._fn = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(jit.address(entry_symbol))
        self._argv = (ctypes.c_void_p * max(len(arg_kinds), 1))()
        self._in_slot: list[int] = []
        self._out_slot: list[int] = []
        in_index = {s.name: i for i, s in enumerate(self.inputs)}
        self._weights: list[np.ndarray] = []  # keeps weight buffers alive
        self._arena: np.ndarray | None = None
        self._status: np.ndarray | None = None  # int64 words written by run-time checks
        self._status_sites = list(status_sites)
        # The pointer array and the arena are per model: calls are serialized.
        self._lock = threading.Lock()
        # Builds the profiled entry (runtime/profiler.py) on the first profile() call.
        self._profiled_factory = profiled_entry
        self._profiled: Any = None
        self._profiled_threads: ModelThreads | None = None  # the profiled module's own pool
        out_seen = 0
        for slot, kind in enumerate(arg_kinds):
            role, _, name = kind.partition(":")
            if role == "input":
                self._in_slot.append(slot)
                assert in_index[name] == len(self._in_slot) - 1
            elif role == "output":
                self._out_slot.append(slot)
                out_seen += 1
            elif role == "weight":
                array = np.ascontiguousarray(weights.get(name))
                if array.size == 0:
                    array = np.empty(1, dtype=array.dtype)
                self._weights.append(array)
                self._weight_slots.append((slot, array))
                self._argv[slot] = array.ctypes.data
            elif role == "arena":
                if self._arena is not None:
                    raise ValueError("the entry takes two arenas")
                self._arena = aligned_bytes(int(name))
                self._argv[slot] = self._arena.ctypes.data
            elif role == "status":
                self._status = aligned_bytes(int(name)).view(np.int64)
                self._argv[slot] = self._status.ctypes.data
            else:
                raise ValueError(f"unknown entry argument kind '{kind}'")

    @property
    def num_threads(self) -> int:
        """Threads a call runs on: the compile's `num_threads` when the model has
        parallel loops (workers start on the first call), else 1."""
        return self._threads.requested if self._threads.parallel else 1

    @property
    def input_names(self) -> list[str]:
        return [s.name for s in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [s.name for s in self.outputs]

    def _check(self, spec: TensorSpec, value: Any) -> np.ndarray:
        try:
            array = value if isinstance(value, np.ndarray) else np.asarray(value)
        except (ValueError, TypeError) as e:  # ragged lists and objects numpy cannot hold
            raise InputError(f"input '{spec.name}' must be {spec.describe()}, got {type(value).__name__}: {e}") from None
        if array.dtype != spec.dtype:
            raise InputError(
                f"input '{spec.name}' must be {spec.describe()}, got dtype {array.dtype.name} "
                f"with shape {list(array.shape)}"
            )
        if tuple(array.shape) != spec.shape:
            raise InputError(
                f"input '{spec.name}' must be {spec.describe()}, got shape {list(array.shape)}"
            )
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)
        return array

    def run(self, feeds: Mapping[str, Any]) -> list[np.ndarray]:
        """Runs one inference; `feeds` maps every input name to an array."""
        missing = [s.name for s in self.inputs if s.name not in feeds]
        extra = [k for k in feeds if k not in {s.name for s in self.inputs}]
        if missing or extra:
            raise InputError(
                f"feeds must name exactly the inputs {self.input_names}; "
                + (f"missing {missing}" if missing else "")
                + ("; " if missing and extra else "")
                + (f"unknown {extra}" if extra else "")
            )
        return self._call([self._check(s, feeds[s.name]) for s in self.inputs])

    def __call__(self, *arrays: Any) -> list[np.ndarray]:
        if len(arrays) != len(self.inputs):
            raise InputError(f"the model takes {len(self.inputs)} inputs {self.input_names}, got {len(arrays)}")
        return self._call([self._check(s, a) for s, a in zip(self.inputs, arrays)])

    def _call(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        if self._unrunnable is not None:
            raise StrataError(self._unrunnable)
        outs = [np.empty(s.shape, dtype=s.dtype) for s in self.outputs]
        # Empty tensors still get a real (one-element) buffer, never a null pointer.
        buffers = [a if a.size else np.empty(1, dtype=a.dtype) for a in arrays + outs]
        with self._lock:
            self._threads.ensure_started()
            argv = self._argv
            for slot, b in zip(self._in_slot + self._out_slot, buffers):
                argv[slot] = b.ctypes.data
            self._fn(argv)
            if self._status is not None and self._status[0]:
                self._raise_status()
        return outs

    def _raise_status(self) -> None:
        """The first failed check site (word 1 + 2s set, its value at 2 + 2s) as an
        OutOfRangeError; clears the buffer for the next call."""
        words = self._status.copy()
        self._status[:] = 0
        failed = [s for s in range(len(self._status_sites)) if words[1 + 2 * s]]
        if not failed:
            raise OutOfRangeError("?", "?", 0, "a run-time check failed at an unknown site")
        op, node, message = self._status_sites[failed[0]]
        value = int(words[2 + 2 * failed[0]])
        more = f" ({len(failed) - 1} more check(s) failed)" if len(failed) > 1 else ""
        raise OutOfRangeError(op, node, value, f"{op} node '{node}': {message.replace('{value}', str(value))}{more}")

    def save(self, path: str) -> str:
        """Writes the model to the folder `path`: object code for this CPU, the weights
        in the layout the kernels read, a manifest (runtime/artifact.py).
        `compiler.load(path)` (runtime/loader.py) runs it in another process without
        compiling."""
        return artifact.save(self, path)

    def profile(self, feeds: Mapping[str, Any], runs: int = 10) -> Any:
        """Times every kernel call over `runs` runs on `feeds` (runtime/profiler.py): a
        `Profile` with per-call median times, shares, ONNX nodes and GFLOP/s or GB/s,
        `.table()` and `.chrome_trace()`. The first call JIT-compiles the profiled entry
        (the same kernels with a clock read between calls), which takes as long as
        compiling the model's kernels did unless the object cache has them."""
        self.run(feeds)  # checks the feeds
        arrays = [self._check(s, feeds[s.name]) for s in self.inputs]
        with self._lock:
            if self._profiled is None:
                if self._profiled_factory is None:
                    raise ValueError("this model has no profiled entry (it was not built by compiler.compile)")
                self._profiled = self._profiled_factory()
                self._profiled_factory = None  # drops the loop-level module it held
                self._profiled_threads = ModelThreads(self._profiled.jit, self._threads.requested)
            self._threads.ensure_started()
            assert self._profiled_threads is not None
            self._profiled_threads.ensure_started()
            return run_profiled(
                self._profiled, self._argv, self._in_slot + self._out_slot, arrays, self.outputs, self._fn, runs
            )
