"""Runs a TritonProgram (lowering/to_triton.py): the GPU back end's runtime.

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
  intermediates live in ONE device allocation (a uint8 arena) whose offsets come from
  `lowering.plan_memory.plan_buffers` over this program's schedule (each intermediate is
  live from the step that writes it to the last step that reads it or a view of it), so
  buffers whose lifetimes do not overlap share bytes. Inputs (numpy arrays or torch
  tensors) are copied to the device once per call; steps run in graph order; outputs
  come back as numpy arrays (copies), or stay torch tensors with `as_numpy=False`.

Torch steps (Conv, pooling) run torch.nn.functional on the device and copy the result
into the arena slot. Calls on one model are serialized by a lock (they share the arena).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from compiler.errors import StrataError
from lowering.plan_memory import Buffer, plan_buffers, round_up
from lowering.to_triton import AliasStep, TorchStep, TritonKernel, TritonProgram
from runtime.compiled_model import TensorSpec

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
        module = load_kernels("import triton\nimport triton.language as tl\n\n\n" + kernel.source + "\n", interpret=False)
    fn = getattr(module, kernel.name)
    src = ASTSource(fn=fn, signature=kernel.signature(), constexprs=dict(kernel.constexprs))
    with triton.knobs.runtime.scope():
        # TRITON_INTERPRET=1 in the environment would change how the AST is compiled
        triton.knobs.runtime.interpret = False
        compiled = triton.compile(src, target=GPUTarget(CUDA_TARGET[0], arch, CUDA_TARGET[2]),
                                  options={"num_warps": kernel.num_warps, "enable_fp_fusion": True})
    return compiled.asm["cubin"]


def _torch_dtype(dtype: np.dtype):
    import torch

    return {
        np.dtype(np.float32): torch.float32, np.dtype(np.float16): torch.float16, np.dtype(np.float64): torch.float64,
        np.dtype(np.int32): torch.int32, np.dtype(np.int64): torch.int64, np.dtype(np.int8): torch.int8,
        np.dtype(np.uint8): torch.uint8, np.dtype(np.bool_): torch.bool,
    }[np.dtype(dtype)]


class TritonModel:
    """A compiled model on the Triton path; the same calling surface as CompiledModel
    (`run(feeds)`, `model(*arrays)`, `input_names`, `output_names`, `stats`)."""

    def __init__(self, program: TritonProgram, inputs: Sequence[TensorSpec], outputs: Sequence[TensorSpec],
                 stats: dict[str, Any] | None = None, device: str | None = None, interpret: bool | None = None):
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

    # memory -------------------------------------------------------------------------
    def _plan_arena(self, torch) -> None:
        prog = self.program
        external = set(prog.inputs) | set(prog.weights)
        root: dict[str, str] = {}
        for s in prog.steps:
            if isinstance(s, AliasStep):
                root[s.target] = root.get(s.source, s.source)
        first: dict[str, int] = {}
        last: dict[str, int] = {}
        for i, s in enumerate(prog.steps):
            if isinstance(s, TritonKernel):
                uses = list(s.args)
            elif isinstance(s, TorchStep):
                uses = [a for a in s.args if a is not None] + [s.output]
            else:
                uses = [s.source, s.target]
            for v in uses:
                r = root.get(v, v)
                if r in external:
                    continue
                first.setdefault(r, i)
                last[r] = i
        end = len(prog.steps)
        for v in prog.outputs:
            r = root.get(v, v)
            if r in first:
                last[r] = end  # read back after the last step
        names = list(first)
        sizes = [round_up(max(1, _nbytes(prog.values[n]))) for n in names]
        buffers = [Buffer(sz, first[n], last[n], (n,)) for n, sz in zip(names, sizes)]
        plan = plan_buffers(buffers) if buffers else None
        self.arena_bytes = plan.arena_bytes if plan else 0
        self.naive_bytes = sum(sizes)
        self._arena = torch.empty(max(self.arena_bytes, 1), dtype=torch.uint8, device=self.device)
        self._slots: dict[str, Any] = {}
        if plan is not None:
            for n, off in zip(names, plan.offsets):
                info = prog.values[n]
                nbytes = _nbytes(info)
                view = self._arena[off : off + nbytes].view(_torch_dtype(info.dtype)).view(info.shape)
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
            t = torch.from_numpy(np.ascontiguousarray(a)) if dtype_ok else None
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

    def _call(self, values: list[Any], as_numpy: bool) -> list[Any]:
        prog = self.program
        tensors: dict[str, Any] = dict(self._weights)
        for spec, n, v in zip(self.inputs, prog.inputs, values):
            tensors[n] = self._to_device(spec, v)
        with self._lock:
            tensors.update(self._slots)
            for step in prog.steps:
                if isinstance(step, TritonKernel):
                    if 0 in step.grid:
                        continue
                    self._fns[step.name][step.grid](
                        *[tensors[a] for a in step.args], **step.constexprs, num_warps=step.num_warps
                    )
                elif isinstance(step, AliasStep):
                    tensors[step.target] = tensors[step.source].reshape(prog.values[step.target].shape)
                else:
                    tensors[step.output].copy_(_torch_step(step, tensors))
            outs = [tensors[n].clone() for n in prog.outputs]
        if as_numpy:
            return [o.cpu().numpy() for o in outs]
        return outs


def _nbytes(info) -> int:
    return int(np.prod(info.shape, dtype=np.int64)) * np.dtype(info.dtype).itemsize


def _torch_step(step: TorchStep, tensors: dict[str, Any]):
    import torch.nn.functional as F

    p = step.params
    k = p["rank"]
    x = tensors[step.args[0]]
    pads = list(p["pads"])
    begin, end = pads[:k], pads[k:]
    symmetric = begin == end
    if step.op == "conv":
        w = tensors[step.args[1]]
        b = tensors[step.args[2]] if step.args[2] is not None else None
        if not symmetric:
            x = F.pad(x, [v for d in reversed(range(k)) for v in (begin[d], end[d])])
            begin = [0] * k
        conv = getattr(F, f"conv{k}d")
        return conv(x, w, b, stride=p["strides"], padding=begin, dilation=p["dilations"], groups=p["group"])
    kernel = p["kernel"]
    if step.op == "max_pool":
        # torch pads max pooling with -inf and allows at most half a window: pad
        # explicitly otherwise.
        if not symmetric or any(2 * b > kk for b, kk in zip(begin, kernel)):
            x = F.pad(x, [v for d in reversed(range(k)) for v in (begin[d], end[d])], value=float("-inf"))
            begin = [0] * k
        pool = getattr(F, f"max_pool{k}d")
        return pool(x, kernel, stride=p["strides"], padding=begin, dilation=p["dilations"], ceil_mode=p["ceil_mode"])
    if not symmetric or any(2 * b > kk for b, kk in zip(begin, kernel)):
        # counted pads are zeros (count_include_pad=1); asymmetric excluded pads are
        # refused by the generator
        x = F.pad(x, [v for d in reversed(range(k)) for v in (begin[d], end[d])])
        begin = [0] * k
    pool = getattr(F, f"avg_pool{k}d")
    return pool(x, kernel, stride=p["strides"], padding=begin, ceil_mode=p["ceil_mode"],
                count_include_pad=p["count_include_pad"])


__all__ = ["TritonModel", "compile_to_cubin", "load_kernels", "CUDA_TARGET"]
