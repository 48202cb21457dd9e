"""Runs a TritonProgram (runtime/triton_program.py, made by lowering/to_triton.py): the GPU
back end's runtime.

- `load_kernels(program)` writes the generated kernels to one Python module in a
  temporary directory and imports it (`triton.jit` reads the function's source through
  `inspect`, so the text must live in a real file). Under Triton's interpreter the same
  program runs on the CPU with torch CPU tensors.
- `compile_to_cubin(kernel)` compiles one kernel ahead of time for sm_90 with
  `triton.compile(ASTSource(...), target=GPUTarget("cuda", 90, 32))`; it needs no GPU.

One process runs Triton either interpreted or compiled: `TRITON_INTERPRET=1` must be set
before triton is first imported (Triton's own library functions, tl.sum, tl.max, ...,
are decorated then), and such a process cannot compile to cubin. `interpreted()` says
which mode this process is in; asking for the other one raises StrataError.
- `TritonModel` holds the device tensors: weights are copied to the device once;
  intermediates live in ONE device allocation (a uint8 arena) at the offsets the program
  carries (`TritonProgram.arena`, planned at compile time by plan-memory's planner over
  the program's schedule: each intermediate is live from the step that writes it to the
  last step that reads it or a view of it), so buffers whose lifetimes do not overlap
  share bytes. Inputs (numpy arrays or torch
  tensors) are copied to the device once per call; steps run in graph order; outputs
  come back as numpy arrays (copies), or stay torch tensors with `as_numpy=False`.

Every step is a generated Triton kernel or a view (AliasStep); torch only allocates
the device tensors and moves inputs and outputs. Calls on one model are serialized by a
lock (they share the arena).

Autotuning (on a real GPU only): each kernel carries a short list of launch
configurations (`TritonKernel.configs`, lowering/to_triton.py; the first is the heuristic
choice). `Autotuner` looks each kernel up in an `AutotuneCache`, a JSON file
(`$STRATA_CACHE_DIR/triton_autotune.json`, default `~/.cache/strata/`) keyed by a hash
of the kernel's source (its name and comments left out, so the same kernel in another
model or compile hits), its argument shapes/dtypes and the device name. Kernels not
found are tuned during the model's first call, on that call's real inputs: every
configuration is launched a few times and timed (`cuda_event_timer`: warm-up launches,
which also JIT-compile it, then torch.cuda.Event around timed launches); a configuration
that fails to compile or launch (out of shared memory, say) is skipped; the fastest is
kept (unless it beats the heuristic choice by less than 3 %: tiny kernels time mostly
launch overhead), written to the cache and used from
then on. Repeated launches are safe because no kernel reads a buffer it writes (arena
slots live from their writing step to their last read, inclusive). A corrupt cache file
is ignored with a warning and rewritten. Tuning is off under the interpreter and with
STRATA_AUTOTUNE=0; tests inject `timer` (and call `Autotuner.tune` with their own
`launch`) to exercise it without a GPU. Which configuration each kernel runs, and where it
came from (heuristic/cache/tuned), is in `stats["autotune"]`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import math
import os
import re
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from dialects.errors import StrataError
from runtime.triton_program import KernelConfig, TritonKernel, TritonProgram, value_nbytes
from runtime.compiled_model import TensorSpec
from runtime.object_cache import cache_dir

# triton and torch (optional: pip install '.[gpu]') are imported inside the functions
# that use them: a CPU-only install has neither, and compiler/compile_cuda.py imports this
# module before check_cuda_target can say so.

CUDA_TARGET = ("cuda", 90, 32)  # backend, compute capability (sm_90), warp size


def interpreted() -> bool:
    """Whether triton was imported under its interpreter (TRITON_INTERPRET=1)."""
    import triton.language.standard as standard
    from triton.runtime.interpreter import InterpretedFunction

    return isinstance(standard.sum, InterpretedFunction)


def _check_mode(interpret: bool) -> None:
    if interpret != interpreted():
        raise StrataError(
            f"triton was imported {'with' if interpreted() else 'without'} TRITON_INTERPRET=1, so this process "
            f"cannot run kernels {'interpreted' if interpret else 'compiled'}: set or unset TRITON_INTERPRET "
            "before triton is first imported (a separate process for the other mode)"
        )


def load_kernels(program_or_source: TritonProgram | str, interpret: bool | None = None,
                 directory: str | None = None) -> ModuleType:
    """Imports the generated kernels as a module (see the module docstring). The file,
    named by a hash of its text, stays in `directory` (default: strata_triton/ in the
    temporary directory, shared by every compile, so each distinct source is one file)."""
    import triton

    source = program_or_source if isinstance(program_or_source, str) else program_or_source.module_source()
    if interpret is None:
        interpret = interpreted()
    _check_mode(interpret)
    digest = hashlib.sha1(source.encode()).hexdigest()[:16]
    name = f"strata_triton_{digest}_{'interp' if interpret else 'jit'}"
    directory = directory or os.path.join(tempfile.gettempdir(), "strata_triton")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{name}.py")
    if not os.path.exists(path):
        # write then rename: another process may be loading the same kernels
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with triton.knobs.runtime.scope():
        triton.knobs.runtime.interpret = interpret
        sys.modules[name] = module  # inspect.getsource looks modules up here
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise
    return module


def compile_to_cubin(kernel: TritonKernel, module: ModuleType | None = None, arch: int = 90) -> bytes:
    """The kernel compiled for sm_`arch` (PTX, then a cubin through ptxas); no GPU
    needed. `module` is a non-interpreted `load_kernels` module holding it."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.compiler import ASTSource

    _check_mode(False)
    if module is None:
        module = load_kernels(kernel.standalone_source(), interpret=False)
    fn = getattr(module, kernel.name)
    src = ASTSource(fn=fn, signature=kernel.signature(), constexprs=dict(kernel.constexprs))
    with triton.knobs.runtime.scope():
        # TRITON_INTERPRET=1 in the environment would change how the AST is compiled
        triton.knobs.runtime.interpret = False
        compiled = triton.compile(src, target=GPUTarget(CUDA_TARGET[0], arch, CUDA_TARGET[2]),
                                  options={"num_warps": kernel.num_warps, "num_stages": kernel.num_stages,
                                           "enable_fp_fusion": True})
    return compiled.asm["cubin"]


# ---------------------------------------------------------------------------------------
# Autotuning
# ---------------------------------------------------------------------------------------

AUTOTUNE_FILE = "triton_autotune.json"
CACHE_VERSION = 1
Timer = Callable[[Callable[[], None]], float]  # runs a launch thunk, returns its time (ms)


def autotune_enabled(interpret: bool) -> bool:
    """The default: on for compiled kernels on a GPU, unless STRATA_AUTOTUNE=0."""
    return not interpret and os.environ.get("STRATA_AUTOTUNE", "1") not in ("0", "false", "no", "off")


class AutotuneCache:
    """The tuned choices on disk: one JSON file {"version": 1, "entries": {key: entry}},
    entry = {"config": KernelConfig.to_json(), "ms": {config: time}, "kernel": name}.
    Reads never raise: a missing file is empty, a corrupt one is empty with a warning.
    Writes merge with what is on disk now (another process may have tuned other
    kernels) and replace the file atomically."""

    def __init__(self, path: str | None = None):
        self.path = path or os.path.join(cache_dir(), AUTOTUNE_FILE)
        self._entries: dict[str, dict[str, Any]] | None = None

    def _read(self, warn: bool) -> dict[str, dict[str, Any]]:
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
            if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or not isinstance(data.get("entries"), dict):
                raise ValueError(f"not a version-{CACHE_VERSION} autotune cache")
            return {k: v for k, v in data["entries"].items() if isinstance(v, dict)}
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
            if warn:
                warnings.warn(f"ignoring the corrupt Triton autotune cache {self.path} ({type(e).__name__}: {e}); "
                              "kernels are tuned again and the file is rewritten", RuntimeWarning, stacklevel=3)
            return {}

    def entries(self) -> dict[str, dict[str, Any]]:
        if self._entries is None:
            self._entries = self._read(warn=True)
        return self._entries

    def get(self, key: str) -> dict[str, Any] | None:
        return self.entries().get(key)

    def update(self, new: Mapping[str, dict[str, Any]]) -> None:
        if not new:
            return
        merged = {**self._read(warn=False), **new}
        directory = os.path.dirname(self.path) or "."
        try:
            os.makedirs(directory, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"version": CACHE_VERSION, "entries": merged}, f, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError as e:
            # a read-only home must not break the model: tuning just is not remembered
            warnings.warn(f"could not write the Triton autotune cache {self.path}: {e}", RuntimeWarning, stacklevel=3)
        self._entries = merged


def kernel_hash(kernel: TritonKernel) -> str:
    """A hash of what the kernel computes: its source without its name and comments (the
    same kernel in another model or compile has the same hash) and its parameter types."""
    body = kernel.source.replace(kernel.name, "kernel")
    body = "\n".join(re.sub(r"\s*#.*$", "", ln) for ln in body.splitlines())
    body = "\n".join(ln for ln in body.splitlines() if ln.strip())
    return hashlib.sha256((body + "|" + ",".join(kernel.param_types)).encode()).hexdigest()[:24]


def tuning_key(kernel: TritonKernel, program: TritonProgram, device_name: str) -> str:
    shapes = ";".join(f"{np.dtype(program.values[a].dtype).name}{list(program.values[a].shape)}" for a in kernel.args)
    return f"{kernel_hash(kernel)}|{shapes}|{device_name}"


def cuda_event_timer(fn: Callable[[], None], warmup: int = 3, repeat: int = 20) -> float:
    """Milliseconds per launch of `fn` on the current CUDA stream (the warm-up launches
    also JIT-compile a configuration the first time)."""
    import torch

    for _ in range(warmup):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(repeat):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / repeat


class Autotuner:
    """Picks each kernel's configuration (see the module docstring). `timer(thunk)`
    returns the time of one launch of a configuration (default: CUDA events)."""

    def __init__(self, device_name: str, cache: AutotuneCache | None = None, timer: Timer | None = None,
                 min_gain: float = 0.03):
        """`min_gain`: another configuration replaces the heuristic one only when it is
        at least this much faster (tiny kernels time mostly launch overhead, and noise
        must not pick their configuration)."""
        self.device_name = device_name
        self.cache = cache if cache is not None else AutotuneCache()
        self.timer = timer or cuda_event_timer
        self.min_gain = min_gain
        self._pending: dict[str, dict[str, Any]] = {}

    def lookup(self, kernel: TritonKernel, program: TritonProgram) -> KernelConfig | None:
        """The cached choice for `kernel`, if there is one and it is still a candidate."""
        entry = self._pending.get(tuning_key(kernel, program, self.device_name)) or \
            self.cache.get(tuning_key(kernel, program, self.device_name))
        if entry is None:
            return None
        try:
            cfg = KernelConfig.from_json(entry["config"])
        except (KeyError, TypeError, ValueError, AttributeError):
            return None
        # the candidate itself (JSON does not keep the constexprs' order)
        return next((c for c in kernel.candidates() if c.to_json() == cfg.to_json()), None)

    def tune(self, kernel: TritonKernel, program: TritonProgram,
             launch: Callable[[KernelConfig], None]) -> tuple[KernelConfig, dict[str, float]]:
        """Times `launch(config)` for every candidate; returns the fastest and the times
        (ms; inf for a configuration that failed). The choice is saved by `save()`."""
        times: dict[str, float] = {}
        best: tuple[float, KernelConfig] | None = None
        errors: list[str] = []
        for cfg in kernel.candidates():
            try:
                ms = float(self.timer(lambda cfg=cfg: launch(cfg)))
            except Exception as e:  # noqa: BLE001 - a config the GPU cannot run is skipped
                times[cfg.describe()] = math.inf
                errors.append(f"{cfg.describe()}: {type(e).__name__}: {e}"[:300])
                continue
            times[cfg.describe()] = ms
            if best is None or ms < best[0]:
                best = (ms, cfg)
        if best is None:
            raise StrataError(f"no configuration of Triton kernel {kernel.name} could run: " + "; ".join(errors))
        first = kernel.candidates()[0]
        t_first = times[first.describe()]
        if math.isfinite(t_first) and best[0] > t_first * (1.0 - self.min_gain):
            best = (t_first, first)
        key = tuning_key(kernel, program, self.device_name)
        self._pending[key] = {"config": best[1].to_json(), "ms": {k: (v if math.isfinite(v) else None) for k, v in times.items()},
                              "kernel": kernel.name, "family": kernel.family}
        return best[1], times

    def save(self) -> None:
        self.cache.update(self._pending)
        self._pending = {}


def _torch_dtype(dtype: np.dtype):
    import torch

    return {
        np.dtype(np.float32): torch.float32, np.dtype(np.float16): torch.float16, np.dtype(np.float64): torch.float64,
        np.dtype(np.int32): torch.int32, np.dtype(np.int64): torch.int64, np.dtype(np.int8): torch.int8,
        np.dtype(np.uint8): torch.uint8, np.dtype(np.bool_): torch.bool, np.dtype(np.int16): torch.int16,
        np.dtype(np.uint16): torch.uint16, np.dtype(np.uint32): torch.uint32, np.dtype(np.uint64): torch.uint64,
    }[np.dtype(dtype)]


class TritonModel:
    """A compiled model on the Triton path; the same calling surface as CompiledModel
    (`run(feeds)`, `model(*arrays)`, `input_names`, `output_names`, `stats`)."""

    def __init__(self, program: TritonProgram, inputs: Sequence[TensorSpec], outputs: Sequence[TensorSpec],
                 stats: dict[str, Any] | None = None, device: str | None = None, interpret: bool | None = None,
                 autotune: bool | None = None, tuner: Autotuner | None = None):
        """`autotune` (default: on a GPU, unless STRATA_AUTOTUNE=0): pick each kernel's
        configuration from the cache or by timing on the first call; `tuner` replaces
        the default Autotuner (device name, cache, timer)."""
        import torch

        if interpret is None:
            interpret = interpreted()
        if device is None:
            device = "cpu" if interpret else "cuda"
        self.program = program
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.device = torch.device(device)
        self.interpret = interpret
        self.kernels = load_kernels(program, interpret=interpret)
        self._fns = {k.name: getattr(self.kernels, k.name) for k in program.kernels()}
        self._lock = threading.Lock()
        self._weights = {
            n: torch.from_numpy(np.array(a, copy=True)).to(self.device) for n, a in program.weights.items()
        }
        self._plan_arena(torch)
        self.stats = dict(stats or {})
        self.stats.setdefault("triton_kernels", program.summary())
        self.stats["arena_bytes"] = self.arena_bytes
        self.stats["naive_bytes"] = self.naive_bytes
        self.stats["device"] = f"{self.device}{' (Triton interpreter)' if interpret else ''}"
        self._init_autotune(autotune, tuner)

    # configurations -------------------------------------------------------------------
    def _init_autotune(self, autotune: bool | None, tuner: Autotuner | None) -> None:
        kernels = self.program.kernels()
        self._config: dict[str, KernelConfig] = {k.name: k.config() for k in kernels}
        self._config_source: dict[str, str] = {k.name: "heuristic" for k in kernels}
        self._untuned: set[str] = set()
        if autotune is None:
            autotune = autotune_enabled(self.interpret)
        if autotune and tuner is None:
            import torch

            tuner = Autotuner(torch.cuda.get_device_name(self.device))
        self._tuner = tuner if autotune else None
        if self._tuner is not None:
            for k in kernels:
                if len(k.candidates()) < 2 or 0 in k.grid:
                    continue
                cfg = self._tuner.lookup(k, self.program)
                if cfg is None:
                    self._untuned.add(k.name)
                else:
                    self._config[k.name], self._config_source[k.name] = cfg, "cache"
        self._autotune_stats: dict[str, Any] = {
            "enabled": self._tuner is not None,
            "cache": self._tuner.cache.path if self._tuner is not None else None,
            "from_cache": sum(v == "cache" for v in self._config_source.values()),
            "to_tune": len(self._untuned), "tuned": 0, "seconds": 0.0,
        }
        self._update_config_stats()

    def _update_config_stats(self) -> None:
        self._autotune_stats["kernels"] = {
            n: {"config": c.describe(), "source": self._config_source[n]} for n, c in self._config.items()
        }
        self.stats["autotune"] = self._autotune_stats
        for entry in self.stats.get("triton_kernels", []):
            cfg = self._config.get(entry.get("kernel"))
            if cfg is not None:
                entry.update(constexprs=dict(cfg.constexprs), grid=list(cfg.grid), num_warps=cfg.num_warps,
                             num_stages=cfg.num_stages, config_source=self._config_source[entry["kernel"]])

    def config(self, kernel_name: str) -> KernelConfig:
        """The configuration the kernel launches with now."""
        return self._config[kernel_name]

    def set_config(self, kernel_name: str, cfg: KernelConfig) -> None:
        """Launches the kernel with `cfg` (one of its candidates) from now on."""
        kernel = next(k for k in self.program.kernels() if k.name == kernel_name)
        if cfg not in kernel.candidates():
            raise ValueError(f"{cfg.describe()} is not a configuration of {kernel_name}")
        with self._lock:
            self._config[kernel_name], self._config_source[kernel_name] = cfg, "set"
            self._untuned.discard(kernel_name)
            self._update_config_stats()

    # memory -------------------------------------------------------------------------
    def _plan_arena(self, torch) -> None:
        """Views into one device arena at the offsets planned at compile time
        (lowering/to_triton.py::plan_arena)."""
        prog = self.program
        if prog.arena is None:
            raise StrataError("this Triton program has no arena plan (it was not made by lowering.to_triton.generate)")
        self.arena_bytes = prog.arena.arena_bytes
        self.naive_bytes = prog.arena.naive_bytes
        self._arena = torch.empty(max(self.arena_bytes, 1), dtype=torch.uint8, device=self.device)
        self._slots: dict[str, Any] = {}
        for n, off in prog.arena.offsets.items():
            info = prog.values[n]
            view = self._arena[off : off + value_nbytes(info)].view(_torch_dtype(info.dtype)).view(info.shape)
            self._slots[n] = view

    # calls --------------------------------------------------------------------------
    @property
    def input_names(self) -> list[str]:
        return [s.name for s in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [s.name for s in self.outputs]

    def _to_device(self, spec: TensorSpec, value: Any):
        import torch

        if isinstance(value, torch.Tensor):
            t = value
            dtype_ok = t.dtype == _torch_dtype(spec.dtype)
            dtype_name = str(t.dtype).removeprefix("torch.")
        else:
            a = np.asarray(value)
            dtype_ok = a.dtype == spec.dtype
            dtype_name = a.dtype.name
            t = torch.from_numpy(np.array(a, order="C", copy=True)) if dtype_ok else None
        if not dtype_ok:
            raise ValueError(f"input '{spec.name}' must be {spec.describe()}, got dtype {dtype_name}")
        if tuple(t.shape) != spec.shape:
            raise ValueError(f"input '{spec.name}' must be {spec.describe()}, got shape {list(t.shape)}")
        return t.to(self.device).contiguous()

    def run(self, feeds: Mapping[str, Any], as_numpy: bool = True) -> list[Any]:
        names = {s.name for s in self.inputs}
        if set(feeds) != names:
            raise ValueError(f"feeds must name exactly the inputs {self.input_names}, got {sorted(feeds)}")
        return self._call([feeds[s.name] for s in self.inputs], as_numpy)

    def __call__(self, *arrays: Any) -> list[Any]:
        if len(arrays) != len(self.inputs):
            raise ValueError(f"the model takes {len(self.inputs)} inputs {self.input_names}, got {len(arrays)}")
        return self._call(list(arrays), True)

    def _launch(self, kernel: TritonKernel, cfg: KernelConfig, tensors: dict[str, Any]) -> None:
        _launch_kernel(self._fns[kernel.name], kernel, cfg, tensors)

    def _tune(self, kernel: TritonKernel, tensors: dict[str, Any]) -> None:
        """Times every configuration of `kernel` on this call's data (its inputs are
        ready: the steps before it have run) and keeps the fastest."""
        assert self._tuner is not None
        cfg, _ = self._tuner.tune(kernel, self.program, lambda c: self._launch(kernel, c, tensors))
        self._config[kernel.name], self._config_source[kernel.name] = cfg, "tuned"
        self._untuned.discard(kernel.name)
        self._autotune_stats["tuned"] += 1

    def _call(self, values: list[Any], as_numpy: bool) -> list[Any]:
        prog = self.program
        tensors: dict[str, Any] = dict(self._weights)
        for spec, n, v in zip(self.inputs, prog.inputs, values):
            tensors[n] = self._to_device(spec, v)
        with self._lock:
            tensors.update(self._slots)
            tuning = bool(self._untuned)
            t0 = time.perf_counter()
            for step in prog.steps:
                if isinstance(step, TritonKernel):
                    if 0 in step.grid:
                        continue
                    if step.name in self._untuned:
                        self._tune(step, tensors)
                    self._launch(step, self._config[step.name], tensors)
                else:
                    tensors[step.target] = tensors[step.source].reshape(prog.values[step.target].shape)
            outs = [tensors[n].clone() for n in prog.outputs]
            if tuning:
                assert self._tuner is not None
                self._tuner.save()
                self._autotune_stats["seconds"] = time.perf_counter() - t0
                self._update_config_stats()
        if as_numpy:
            return [o.cpu().numpy() for o in outs]
        return outs


def _launch_kernel(fn, kernel: TritonKernel, cfg: KernelConfig, tensors: dict[str, Any]) -> None:
    fn[cfg.grid](*[tensors[a] for a in kernel.args], **dict(cfg.constexprs), num_warps=cfg.num_warps,
                 num_stages=cfg.num_stages)


__all__ = ["AutotuneCache", "Autotuner", "CUDA_TARGET", "TritonModel", "cache_dir", "compile_to_cubin",
           "cuda_event_timer", "load_kernels", "tuning_key"]
