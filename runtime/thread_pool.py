"""Starting and stopping a compiled model's thread pool (the pool itself is machine
code: lowering/thread_pool.py emits it into the model's LLVM module).

The workers start on the model's first call, not at compile time, so a model that is
compiled and never run (or compiled in a parent that forks) costs no threads; they are
started again in a forked child, which inherits the pool's state but not its threads.
They are stopped and joined when the CompiledModel is garbage-collected or the
interpreter exits, before the machine code they run is freed.
"""

from __future__ import annotations

import ctypes
import os
import weakref
from typing import Any

POOL_START = "strata_pool_start"
POOL_STOP = "strata_pool_stop"


def available_cores() -> int:
    """The cores this process may run on (what onnxruntime's default uses)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class _PoolHandle:
    """What the finalizer needs: the stop function, the JIT module that holds the
    machine code (kept alive until the workers are joined), the pid that started them."""

    def __init__(self, jit: Any, stop: Any):
        self.jit = jit
        self.stop = stop
        self.started_in: int | None = None

    def close(self) -> None:
        if self.started_in == os.getpid():
            self.stop()
        self.started_in = None


class ModelThreads:
    """The thread pool of one CompiledModel: `ensure_started()` before each call (cheap
    once started); `threads` is the number running (1 before the first call)."""

    def __init__(self, jit: Any, num_threads: int):
        self.requested = num_threads
        self.threads = 1
        self._start = None
        self._handle: _PoolHandle | None = None
        if num_threads <= 1 or not _has_symbol(jit, POOL_START):
            return  # nothing parallel was compiled in
        self._start = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int32)(jit.address(POOL_START))
        stop = ctypes.CFUNCTYPE(None)(jit.address(POOL_STOP))
        self._handle = _PoolHandle(jit, stop)
        weakref.finalize(self, self._handle.close)

    @property
    def parallel(self) -> bool:
        return self._start is not None

    def ensure_started(self) -> None:
        handle = self._handle
        if handle is None or handle.started_in == os.getpid():
            return
        self.threads = int(self._start(self.requested))  # type: ignore[misc]
        handle.started_in = os.getpid()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self.threads = 1


def _has_symbol(jit: Any, name: str) -> bool:
    try:
        jit.address(name)
    except Exception:  # JitError: the module has no parallel loop
        return False
    return True
