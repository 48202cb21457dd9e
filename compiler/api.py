"""The Python API: `compile()` checks its arguments, asks the model cache, and hands the
rest to compiler/driver.py, which runs the pipeline and returns a CompiledModel."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from dialects.errors import StrataError
from lowering.target import target_for
from runtime import model_cache as mc
from runtime.compiled_model import CompiledModel
from runtime.object_cache import enabled
from runtime.thread_pool import available_cores

if TYPE_CHECKING:
    from compiler.onnx_import import ModelLike

TARGETS = ("cpu", "cuda")

# Passes run by lower_to_loops (not graph passes) that `disable_passes` may name.
LOWERING_PASSES = ("fuse-kernels",)


def compile(
    model: ModelLike,
    target: str = "cpu",
    opt_level: int = 3,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    verbose: bool = False,
    progress: bool | None = None,
    disable_passes: Sequence[str] = (),
    max_memory_bytes: int | None = None,
    num_threads: int | None = None,
    precision: str = "ieee",
    model_cache: bool = False,
    cpu: str | None = None,
) -> CompiledModel:
    """Compiles an ONNX model (path, bytes or ModelProto) to machine code.

    `input_shapes` binds symbolic input dims (`{"x": [1, 3, 224, 224]}`). Raises
    UnsupportedOpsError listing every op Strata cannot compile before doing any work.
    `disable_passes` names graph passes of the level to leave out (StrataError for a name
    that is not one). The graph passes run to a fixed point; their statistics (per pass
    time and nodes removed/added, node counts by op type before and after, iterations)
    are in `CompiledModel.stats["graph_passes"]`. A tensor, or the planned arena, larger
    than `max_memory_bytes` (default: this machine's physical memory) is a
    MemoryLimitError naming the bytes and the node, raised before LLVM runs.

    `num_threads` (CPU): threads each call may use; None means every core this process
    may run on (`os.sched_getaffinity`), as onnxruntime's default; 1 runs everything on
    the calling thread. Results do not depend on it (every output element is computed
    by one thread, in the same order).

    `verbose` prints each stage and its seconds; `progress` (default: when stderr is a
    terminal) draws a one-line progress bar once a compile runs longer than a second.

    `model_cache=True` (CPU): a model compiled before with the same options on this host
    and this Strata code is loaded from `$STRATA_CACHE_DIR/models/` instead
    (runtime/model_cache.py; `stats["model_cache"]` says "hit" or "miss"); a miss compiles
    and saves it there.

    `cpu` (CPU): the LLVM CPU name to build for (lowering/target.py's KNOWN_CPUS, e.g.
    "znver3" for AVX2, "znver5" for AVX-512); None: this host. The kernels are tiled for
    that CPU's vector registers and the object code uses its instructions, so an AVX2
    build is tested and timed on an AVX-512 host; a model built for vectors wider than
    this host runs refuses to run (StrataError) but compiles. `stats["target"]` names it.

    `precision` (target="cuda" only): how the GPU kernels' matrix products multiply:
    "ieee" (fp32, the default), "tf32", "fp16" or "bf16" (operands rounded, fp32
    accumulation); the CPU path always computes in the model's types.
    """
    if target not in TARGETS:
        raise StrataError(f"unknown target '{target}'; available: {', '.join(TARGETS)}")
    if opt_level not in (0, 1, 2, 3):
        raise StrataError(f"opt_level must be 0..3, got {opt_level}")
    if num_threads is None:
        num_threads = available_cores()
    elif isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1:
        raise StrataError(f"num_threads must be a positive integer or None, got {num_threads!r}")
    if cpu is not None:
        target_for(cpu)  # an unknown name is an error before any work
    if isinstance(disable_passes, str):
        disable_passes = [disable_passes]
    lowering_disabled = [n for n in disable_passes if n in LOWERING_PASSES]
    graph_disabled = [n for n in disable_passes if n not in LOWERING_PASSES]
    if target == "cpu" and precision != "ieee":
        raise StrataError(f"precision={precision!r} applies to target='cuda' only (the CPU path computes in fp32)")
    cache_key = None
    if model_cache and target == "cpu":
        if enabled():
            t = time.perf_counter()
            options = {"opt_level": opt_level, "input_shapes": {k: list(v) for k, v in (input_shapes or {}).items()},
                       "disable_passes": sorted(disable_passes), "num_threads": num_threads,
                       "max_memory_bytes": max_memory_bytes, "cpu": cpu}
            cache_key = mc.model_key(model, options)
            hit = mc.lookup(cache_key, num_threads)
            if hit is not None:
                hit.stats.update({"model_cache": "hit", "seconds": {"model cache": time.perf_counter() - t},
                                  "total_seconds": time.perf_counter() - t})

                def profiled(model=model):  # the loops are not saved: compile them on demand
                    return compile(model, opt_level=opt_level, input_shapes=input_shapes, disable_passes=disable_passes,
                                   max_memory_bytes=max_memory_bytes, num_threads=num_threads)._profiled_factory()

                hit._profiled_factory = profiled
                return hit
    # Start-up time: the pipeline's modules (xDSL, onnx, the passes: 2-4 s of imports here)
    # load only when a model is compiled, never on a model-cache hit.
    from compiler.driver import compile_model

    model = compile_model(model, target, opt_level, input_shapes, verbose, progress, graph_disabled,
                          lowering_disabled, max_memory_bytes, num_threads, precision, cpu)
    if cache_key is not None:
        model.stats["model_cache"] = "miss"
        mc.store(cache_key, model)
    return model
