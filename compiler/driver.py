"""The pipeline behind `compiler.compile()` (compiler/api.py checks the arguments and asks
the model cache first): read the model, import it, run the graph passes, then either the
CPU path here (`lower_to_loops`, translate to LLVM, LLVM compile, a CompiledModel) or the
GPU path (compiler/compile_cuda.py)."""

from __future__ import annotations

import contextlib
import functools
import gc
import sys
import time
from collections.abc import Sequence
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from compiler.context import StrataContext, make_context
from compiler.graph_io import graph_specs, supported_op_types
from compiler.memory_limits import check_arena, resolve_limit
from compiler.onnx_import import ModelLike, expand_and_check, import_model, load_source
from compiler.op_flops import node_flops
from compiler.pipelines import graph_pipeline
from compiler.profiling import build_profiled_entry
from dialects.weights import weights_of
from lowering.convert_onnx_to_loops import DeferredKernels, build_deferred, lower_graph
from lowering.kernel_cache import KernelCache
from lowering.kernels import KERNEL_LOWERINGS, KERNEL_PACKINGS
from lowering.fuse_kernels import FuseKernelsPass
from lowering.loops_to_llvm import parallel_loop_count, translate_module
from lowering.math_approximation import MathPolynomialApproximationPass
from lowering.plan_memory import PlanMemoryPass
from lowering.runtime_checks import SITES_ATTR
from lowering.target import target_for, unrunnable_reason
from runtime.compiled_model import CompiledModel
from runtime.llvm_objects import ObjectStream, prestart_workers


# The CPU path's stages in order (the progress bar's steps).
CPU_STAGES = ("read", "import", "graph passes", "lower to loops", "translate to LLVM", "LLVM compile")


class _Stages:
    """Times each pipeline stage and shows progress: with `verbose`, one line per stage
    (its name when it starts, its seconds when it ends); on a terminal, a one-line bar
    once a compile has run for `BAR_AFTER` seconds (short compiles stay silent)."""

    BAR_AFTER = 1.0

    def __init__(self, verbose: bool, progress: bool | None = None, stream=None):
        self.seconds: dict[str, float] = {}
        self.verbose = verbose
        self.stream = stream or sys.stderr
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar = (tty if progress is None else progress) and not verbose
        self._start = time.perf_counter()
        self._drawn = False

    def _draw(self, done: int, name: str, detail: str = "") -> None:
        if not self.bar or (not self._drawn and time.perf_counter() - self._start < self.BAR_AFTER):
            return
        width = 24
        filled = width * done // len(CPU_STAGES)
        bar = "#" * filled + "-" * (width - filled)
        line = f"[strata] [{bar}] {name} {detail}".rstrip()
        self.stream.write("\r" + line.ljust(72)[:100])
        self.stream.flush()
        self._drawn = True

    def step(self, name: str, detail: str) -> None:
        """Progress inside a stage (e.g. '12/29 kernels')."""
        self._draw(len(self.seconds), name, detail)

    def run(self, name: str, fn, *args):
        t = time.perf_counter()
        if self.verbose:
            print(f"[strata] {name} ...", file=self.stream, flush=True)
        self._draw(len(self.seconds), name)
        result = fn(*args)
        self.seconds[name] = time.perf_counter() - t
        if self.verbose:
            print(f"[strata] {name}: {self.seconds[name]:.2f} s", file=self.stream, flush=True)
        return result

    def finish(self) -> None:
        if self._drawn:
            total = time.perf_counter() - self._start
            self.stream.write("\r" + f"[strata] compiled in {total:.1f} s".ljust(72) + "\n")
            self.stream.flush()
            self._drawn = False


def lower_to_loops(module: ModuleOp, ctx: StrataContext, opt_level: int = 3, disabled: Sequence[str] = (),
                   cpu: str | None = None, kernel_cache: KernelCache | None = None) -> None:
    """Graph level -> planned loop level: fuse-kernels (from -O1 on), then
    convert-onnx-to-loops (which lowers each distinct kernel once), plan-memory and
    math-polynomial-approximation. `dedupe-kernels` (merging identical kernels after lowering) is not
    run: measured on the example models, ResNet-18/50 and GPT-2 it found nothing left to
    merge and cost a second on ResNet-50 (it prints every kernel). `cpu`: the LLVM CPU
    name the kernels are tiled for (None: the host). `kernel_cache`: kernels compiled
    before are declared, not lowered (lowering/kernel_cache.py)."""
    if opt_level >= 1 and "fuse-kernels" not in disabled:
        FuseKernelsPass().apply(ctx, module)
    # convert-onnx-to-loops' own lowering, with the cache; Concat kernels are lowered only
    # if plan-memory leaves them a call (DenseNet-121: 58 of them a compile, none left).
    deferred = DeferredKernels()
    lower_graph(module, weights_of(ctx), KERNEL_LOWERINGS, target_for(cpu), KERNEL_PACKINGS, kernel_cache, deferred)
    PlanMemoryPass().apply(ctx, module)
    build_deferred(deferred, kernel_cache)
    MathPolynomialApproximationPass().apply(ctx, module)


# Python's cyclic garbage collector during a compile: a compile allocates hundreds of
# thousands of IR objects (xDSL ops, llvmlite instructions) that live until it ends, and
# at the default thresholds (700, 10, 10) the collector traverses them again and again.
# Measured on ResNet-50 (Zen 4, `lower_to_loops` + `translate_module` alone, under
# strata-bench-lock, two rounds): lower to loops 0.70 / 0.78 s -> 0.48 / 0.47 s, translate
# 0.75 / 0.78 s -> 0.34 / 0.37 s with these thresholds; with the collector off, about the
# same. Collections still happen (every 100k allocations), so cyclic garbage is freed.
_COMPILE_GC_THRESHOLDS = (100_000, 50, 1000)


@contextlib.contextmanager
def _fewer_collections():
    """The collector's thresholds raised for the duration of one compile, then restored
    (two compiles overlapping in threads may leave them raised until the last ends)."""
    old = gc.get_threshold()
    gc.set_threshold(*(max(a, b) for a, b in zip(old, _COMPILE_GC_THRESHOLDS)))
    try:
        yield
    finally:
        gc.set_threshold(*old)


def compile_model(model: ModelLike, target: str, opt_level: int, input_shapes, verbose: bool, progress: bool | None,
                  graph_disabled: Sequence[str], lowering_disabled: Sequence[str], max_memory_bytes: int | None,
                  num_threads: int, precision: str, cpu: str | None) -> Any:
    """compile() after its argument checks and a model-cache miss (compiler/api.py has the
    options' meaning): a CompiledModel, or a TritonModel for target="cuda"."""
    with _fewer_collections():
        return _compile_model(model, target, opt_level, input_shapes, verbose, progress, graph_disabled,
                              lowering_disabled, max_memory_bytes, num_threads, precision, cpu)


def _compile_model(model: ModelLike, target: str, opt_level: int, input_shapes, verbose: bool, progress: bool | None,
                   graph_disabled: Sequence[str], lowering_disabled: Sequence[str], max_memory_bytes: int | None,
                   num_threads: int, precision: str, cpu: str | None) -> Any:
    if target == "cuda":
        # Start-up time: the Triton generator (lowering/to_triton.py and its kernels, about
        # 100 ms of imports) loads for the GPU target only.
        from compiler.compile_cuda import check_cuda_target, check_precision, compile_cuda, cuda_disabled_passes

        check_precision(precision)
        check_cuda_target()  # no triton/torch or no device: say so before any work
        graph_disabled = cuda_disabled_passes(opt_level, graph_disabled)  # no CPU-only layout passes
    resolve_limit(max_memory_bytes)  # a bad limit is an error before any work
    # The NCHWc block follows the CPU the code is for (16 lanes with AVX-512).
    cpu_target = target_for(cpu)
    layout = {"onnx-layout-nchwc": {"block": cpu_target.nchwc_block}} if target == "cpu" else None
    pipeline = graph_pipeline(opt_level, graph_disabled, options=layout)
    stages = _Stages(verbose, progress)
    # The LLVM workers start up while the Python stages run: from the start when there is
    # no kernel cache, else when the first kernel missing from it is lowered. A compile
    # that finds every kernel in the cache starts none: on this 2-core machine starting
    # them (two Python processes importing llvmlite) took ResNet-50's warm compile from
    # 0.44-0.52 s to 0.81-1.02 s.
    if target == "cpu" and not KernelCache.enabled():
        prestart_workers()
    source = stages.run("read", load_source, model)  # weights viewed in place (compiler/onnx_source.py)
    source.proto = expand_and_check(source.proto, supported_op_types())
    ctx = make_context()
    module = stages.run("import", import_model, source, ctx.weights, input_shapes, None, max_memory_bytes)
    del source  # the weight table holds the views it uses
    inputs, outputs = graph_specs(module)
    stages.run("graph passes", pipeline.apply, ctx, module)
    if target == "cuda":
        base = {"seconds": dict(stages.seconds), "graph_passes": pipeline.stats.to_dict(), "weights_bytes": ctx.weights.nbytes()}
        return compile_cuda(module, ctx, inputs, outputs, base, run_fusion="fuse-kernels" not in lowering_disabled,
                            precision=precision)
    flops_by_node = node_flops(module)  # graph-level shapes, for the profiler's GFLOP/s
    # LLVM level follows opt_level (-O3 at the default). Measured on the example models,
    # LLVM -O2 gives the same run time as -O3 for a third of the compile time, so
    # opt_level 1 and 2 use it.
    llvm_opt_level = {0: 0, 1: 2, 2: 2, 3: 3}[opt_level]
    # Kernels compiled before (this or an earlier process) skip lowering and translation.
    kernel_cache = KernelCache.for_compile(cpu, llvm_opt_level, num_threads > 1, cpu_target.describe())
    if kernel_cache is not None:
        kernel_cache.on_first_lowering = prestart_workers
    stages.run("lower to loops", lower_to_loops, module, ctx, opt_level, lowering_disabled, cpu, kernel_cache)
    check_arena(module, max_memory_bytes)
    entry = next(op for op in module.ops if isinstance(op, func.FuncOp) and "strata.entry" in op.attributes)
    arg_kinds = [a.data for a in entry.attributes["strata.args"].data]
    status_sites = [tuple(part.data for part in site.data) for site in entry.attributes[SITES_ATTR].data] if SITES_ATTR in entry.attributes else []
    kernels = sum(1 for op in module.ops if isinstance(op, func.FuncOp)) - 1
    # One object file per kernel, compiled in worker processes and cached per kernel
    # (runtime/llvm_objects.py), linked into one engine here. Each kernel goes to the
    # workers as soon as it is translated: LLVM runs while Python translates the rest.
    external = kernel_cache.external() if kernel_cache is not None else {}
    stream = ObjectStream(llvm_opt_level, cpu)
    # Cached kernels with thread-pool loops call the pool the module defines.
    with_pool = kernel_cache is not None and kernel_cache.parallel_loops() > 0
    llvm_module = stages.run("translate to LLVM", translate_module, module, num_threads > 1, stream.add, with_pool)
    jit = stages.run("LLVM compile", stream.finish, llvm_module,
                     lambda done, total: stages.step("LLVM compile", f"{done}/{total} kernels"), external)
    stored = kernel_cache.store(jit.kernel_parts) if kernel_cache is not None else 0
    stages.finish()
    stats: dict[str, Any] = {
        "seconds": dict(stages.seconds),
        "total_seconds": sum(stages.seconds.values()),
        "kernels": kernels,
        "weights_bytes": ctx.weights.nbytes(),
        "graph_passes": pipeline.stats.to_dict(),
        # Lowering passes report here: fused_ops (kernel fusion), naive_bytes,
        # arena_bytes and lower_bound_bytes (plan-memory).
        "fused_ops": 0,
        # scf.parallel loops large enough to run on the thread pool (num_threads > 1)
        "parallel_loops": parallel_loop_count(llvm_module) + (kernel_cache.parallel_loops() if kernel_cache else 0),
        "target": cpu_target.describe(),  # the CPU the kernels are tiled and compiled for
        **ctx.report,
    }
    if hasattr(jit, "timings"):
        stats["llvm_seconds"] = dict(jit.timings)
    # "hit": all object code came from the on-disk cache (runtime/object_cache.py),
    # "partial": some kernels did (another model had compiled them), "miss": none.
    stats["object_cache"] = jit.cached
    stats["llvm_objects"] = dict(jit.parts)
    # Kernels declared from the kernel cache: neither lowered nor translated here.
    stats["kernel_cache"] = {"hits": len(external), "stored": stored,
                             "enabled": kernel_cache is not None}
    # The profiled variant is built from this module on the first profile() call only,
    # translated and JIT-compiled exactly as above.
    def machine_code(loops: ModuleOp) -> Any:
        stream = ObjectStream(llvm_opt_level, cpu)
        return stream.finish(translate_module(loops, num_threads > 1, stream.add, with_pool), None, external)

    profiled = functools.partial(build_profiled_entry, module, machine_code, flops_by_node)
    model = CompiledModel(
        jit, "strata_entry", arg_kinds, inputs, outputs, ctx.weights, stats, num_threads, profiled_entry=profiled,
        status_sites=status_sites, unrunnable=unrunnable_reason(cpu_target),
    )
    stats["num_threads"] = model.num_threads
    return model
