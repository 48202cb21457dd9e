"""The GPU target: `compile(model, target="cuda")` after its graph passes.

`compile_cuda(module, ctx, inputs, outputs, stats)` takes the graph-level module after
the -O pipeline (the fusion pass `fuse-kernels` is run here when the module has not
been fused yet), generates one Triton kernel per fused group (lowering/to_triton.py) and
returns a `TritonModel` (runtime/triton_launcher.py) with CompiledModel's calling surface.

Where it runs: on an NVIDIA GPU (torch.cuda) by default; with `TRITON_INTERPRET=1` in the
environment when triton is first imported, the same kernels run through Triton's
interpreter on the CPU with torch CPU tensors, which is how the GPU path is tested on
machines without one. triton and torch are imported lazily, inside `compile_cuda`: the
CPU target never needs them (tests/test_triton_autotune.py checks that compiling on the
CPU leaves both out of sys.modules). Without a GPU and without the interpreter,
`check_cuda_target` raises a StrataError that says so, before any graph work.

Fusion: `fuse-kernels` groups as for the CPU (`cuda_fusion_pass`): elementwise chains,
reductions and pooling with their prologues/epilogues, Conv/MatMul/Gemm with their
epilogues; every group becomes one Triton kernel.

Precision: `precision` ("ieee" default, "tf32", "fp16", "bf16") is how every tl.dot
multiplies (lowering/to_triton.py); a value outside those is a StrataError before any
work.

Autotuning: on a GPU each kernel's launch configuration is picked on the model's first
call and cached on disk (runtime/triton_launcher.py); `autotune=False` or
STRATA_AUTOTUNE=0 keeps the heuristic choices.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from xdsl.dialects.builtin import ModuleOp

from compiler.context import StrataContext, make_context
from compiler.graph_io import graph_specs, supported_op_types
from compiler.onnx_import import expand_and_check, import_model, load_model
from compiler.pipelines import graph_passes, graph_pipeline
from dialects.errors import StrataError
from dialects.strata.kernel_group import FusedKernelOp
from lowering.fuse_kernels import FuseKernelsPass
from lowering.to_triton import PRECISIONS, generate
from runtime.compiled_model import TensorSpec
from runtime.triton_launcher import TritonModel, interpreted


# Graph passes that only make sense for the CPU kernels (blocked NCHWc layouts): the
# cuda target leaves them out of its -O pipeline.
CPU_ONLY_PASSES = ("onnx-layout-nchwc",)


def cuda_disabled_passes(opt_level: int, disable_passes: Sequence[str] = ()) -> list[str]:
    """`disable_passes` plus the CPU-only passes of the -O level (for graph_pipeline)."""
    disabled = [disable_passes] if isinstance(disable_passes, str) else list(disable_passes)
    level = {p.name for p in graph_passes(opt_level)}
    return disabled + [n for n in CPU_ONLY_PASSES if n in level and n not in disabled]


def cuda_fusion_pass():
    """The fuse-kernels pass of the cuda target (the same groups as the CPU's: the
    Triton generator has a kernel for every kind of group)."""
    return FuseKernelsPass()


def check_precision(precision: str) -> None:
    if precision not in PRECISIONS:
        raise StrataError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")


def check_cuda_target(interpret: bool | None = None) -> bool:
    """Whether kernels will run interpreted (`interpret` None: as triton was imported);
    a StrataError when triton/torch are missing, or when they would run compiled and
    there is no CUDA device."""
    try:
        import torch
        import triton  # noqa: F401
    except ImportError as e:
        raise StrataError(
            f"target='cuda' needs triton and torch ({e.name} is not installed): pip install '.[gpu]'"
        ) from e
    except Exception as e:  # a broken install (e.g. a driver library that fails to load)
        raise StrataError(f"target='cuda': importing triton/torch failed: {type(e).__name__}: {e}") from e
    if interpret is None:
        interpret = interpreted()
    if not interpret and not torch.cuda.is_available():
        raise StrataError(
            "target='cuda' found no CUDA device (torch.cuda.is_available() is False); set TRITON_INTERPRET=1 "
            "before triton is imported to run the kernels through Triton's interpreter on the CPU"
        )
    return interpret


def _is_fused(module: ModuleOp) -> bool:
    return any(isinstance(op, FusedKernelOp) for op in module.walk())


def compile_cuda(
    module: ModuleOp,
    ctx: StrataContext,
    inputs: Sequence[TensorSpec],
    outputs: Sequence[TensorSpec],
    stats: dict[str, Any],
    interpret: bool | None = None,
    run_fusion: bool = True,
    autotune: bool | None = None,
    precision: str = "ieee",
):
    """Returns a TritonModel for the graph-level `module` (see the module docstring).
    `stats` (the caller's stage timings etc.) is copied into the model's stats, with
    "triton_kernels" (one entry per kernel: name, family, grid, block sizes, fused
    nodes), "kernels", "seconds" for "fuse kernels"/"generate Triton"/"load Triton"
    added, and the arena sizes."""
    interpret = check_cuda_target(interpret)
    check_precision(precision)
    seconds: dict[str, float] = dict(stats.get("seconds", {}))
    if run_fusion and not _is_fused(module):
        t = time.perf_counter()
        cuda_fusion_pass().apply(ctx, module)
        seconds["fuse kernels"] = time.perf_counter() - t
    t = time.perf_counter()
    program = generate(module, ctx.weights, precision=precision)
    seconds["generate Triton"] = time.perf_counter() - t
    t = time.perf_counter()
    out_stats = {**stats, **ctx.report}
    out_stats["seconds"] = seconds
    model = TritonModel(program, inputs, outputs, out_stats, interpret=interpret, autotune=autotune)
    seconds["load Triton"] = time.perf_counter() - t
    model.stats["seconds"] = seconds
    model.stats["total_seconds"] = sum(seconds.values())
    model.stats["kernels"] = len(program.kernels())
    model.stats["precision"] = precision
    return model


def fused_graph(model, opt_level: int = 3, input_shapes=None, disable_passes: Sequence[str] = (),
                fuse: bool = True) -> tuple[ModuleOp, StrataContext, list[TensorSpec], list[TensorSpec]]:
    """Import + the -O pipeline (+ fuse-kernels): the module `compile_cuda` takes, with
    its context and graph input/output specs. Needs neither triton nor torch."""
    proto = expand_and_check(load_model(model), supported_op_types())
    ctx = make_context()
    module = import_model(proto, ctx.weights, input_shapes)
    inputs, outputs = graph_specs(module)
    graph_pipeline(opt_level, cuda_disabled_passes(opt_level, disable_passes)).apply(ctx, module)
    if fuse:
        cuda_fusion_pass().apply(ctx, module)
    return module, ctx, inputs, outputs


def compile_model_cuda(model, opt_level: int = 3, input_shapes=None, disable_passes: Sequence[str] = (),
                       interpret: bool | None = None, autotune: bool | None = None, precision: str = "ieee"):
    """What `compiler.compile(model, target="cuda", ...)` does: a TritonModel."""
    interpret = check_cuda_target(interpret)  # fail before the graph work
    check_precision(precision)
    t = time.perf_counter()
    module, ctx, inputs, outputs = fused_graph(model, opt_level, input_shapes, disable_passes, fuse=False)
    stats = {"seconds": {"import and graph passes": time.perf_counter() - t}}
    return compile_cuda(module, ctx, inputs, outputs, stats, interpret=interpret, autotune=autotune, precision=precision)
