"""Graph-level pass pipelines by optimization level (-O0 .. -O3), run to a fixed point."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination
from xdsl.transforms.dead_code_elimination import DeadCodeElimination

from dialects.errors import StrataError
from compiler.pass_registry import pass_class
from compiler.pattern_log import pattern_log_of
from compiler.pass_stats import PipelineStats, count_onnx_ops

DEFAULT_MAX_ITERATIONS = 4

# (previous pass or None, module, next pass or None), as xDSL's PassPipeline callback.
Callback = Callable[[ModulePass | None, ModuleOp, ModulePass | None], None]


# Pass names per level, in order. Recomposition runs before onnx-fuse-gemm (a 2-D
# attention's MatMul + Add(mask) would otherwise become a Gemm first) and before
# onnx-fuse-activation (which then sees Gelu, Swish, HardSwish as one op); Conv+BN and MatMul+Add -> Gemm
# run before onnx-fuse-activation, which absorbs the activation last (onnx-fuse-conv-bn
# does not look through a strata.FusedConv).
BASIC = ["onnx-fold-constants", "onnx-eliminate-redundant-nodes", "onnx-simplify-algebra"]
EXTENDED = [
    "onnx-recompose-attention",
    "onnx-recompose-norms",
    "onnx-recompose-gelu",
    "onnx-recompose-swish",
    "onnx-fuse-pad",
    "onnx-fuse-conv-bn",
    "onnx-fuse-gemm",
    "onnx-fuse-activation",
]
LAYOUT = ["onnx-layout-nchwc"]
CLEANUP = ["canonicalize", "cse", "dce"]


def level_pass_names(opt_level: int) -> list[str]:
    """The pass names of level -O`opt_level`, in the order they run each round."""
    if opt_level <= 0:
        return []
    return BASIC + (EXTENDED if opt_level >= 2 else []) + (LAYOUT if opt_level >= 3 else []) + CLEANUP


def graph_passes(opt_level: int, disabled: Iterable[str] = (),
                 options: Mapping[str, Mapping[str, Any]] | None = None) -> list[ModulePass]:
    """-O0 runs nothing; -O1 (basic) folds constants, removes redundant nodes and
    simplifies algebra; -O2 (extended) adds recomposition (attention, LayerNorm/RMSNorm,
    GELU) and fusions (Conv + BN/Add/Mul, MatMul + Add -> Gemm, ...); -O3 adds the layout
    passes; every level then cleans up with canonicalize, cse and dce.

    Passes whose name is in `disabled` are left out; a name that is not a pass of this
    level raises StrataError. `options` maps a pass name to its options (the fields of
    its class, as `onnx-layout-nchwc{block=16}` on the command line)."""
    xdsl_cleanup = {
        "canonicalize": CanonicalizePass,
        "cse": CommonSubexpressionElimination,
        "dce": DeadCodeElimination,
    }
    options = options or {}
    passes: list[ModulePass] = [
        xdsl_cleanup[name]() if name in xdsl_cleanup else pass_class(name)(**options.get(name, {}))
        for name in level_pass_names(opt_level)
    ]
    disabled = list(disabled)
    known = [p.name for p in passes]
    unknown = [n for n in disabled if n not in known]
    if unknown:
        listed = ", ".join(known) if known else "none (-O0 runs no graph pass)"
        raise StrataError(
            f"cannot disable unknown pass(es) {', '.join(repr(n) for n in unknown)} at -O{max(opt_level, 0)}; "
            f"the passes of that level are: {listed}"
        )
    return [p for p in passes if p.name not in disabled]


def module_fingerprint(module: ModuleOp) -> list[tuple[Any, ...]]:
    """A structural summary of `module` that changes whenever a pass changes the IR: each
    op's name, operand wiring, properties, attributes and result types, in walk order."""
    ids: dict[Any, int] = {}

    def vid(v) -> int:
        return ids.setdefault(v, len(ids))

    out: list[tuple[Any, ...]] = []
    for op in module.walk():
        for region in op.regions:
            for block in region.blocks:
                for arg in block.args:
                    vid(arg)
        out.append(
            (
                op.name,
                tuple(vid(o) for o in op.operands),
                tuple(sorted(op.properties.items())),
                tuple(sorted(op.attributes.items())),
                tuple(r.type for r in op.results),
            )
        )
        for r in op.results:
            vid(r)
    return out


class GraphPipeline:
    """Runs `passes` over and over until the module stops changing (or `max_iterations`
    rounds ran), then `tail` passes once. Records a PipelineStats in `self.stats`.

    `callback` is called like xDSL's PassPipeline callback: (None, module, first) before
    the first pass, then (previous, module, next) after each pass; `last_seconds` holds
    the wall time of the pass that just ran."""

    def __init__(
        self,
        passes: Sequence[ModulePass],
        callback: Callback | None = None,
        max_iterations: int = DEFAULT_MAX_ITERATIONS,
        tail: Sequence[ModulePass] = (),
    ):
        if max_iterations < 1:
            raise StrataError(f"max_iterations must be at least 1, got {max_iterations}")
        self.passes = tuple(passes)
        self.tail = tuple(tail)
        self.callback = callback
        self.max_iterations = max_iterations
        self.stats = PipelineStats(max_iterations=max_iterations)
        self.last_seconds = 0.0

    @property
    def iterations(self) -> int:
        return self.stats.iterations

    def _run(self, p: ModulePass, ctx: Context, module: ModuleOp) -> None:
        before = count_onnx_ops(module)
        t = time.perf_counter()
        p.apply(ctx, module)
        self.last_seconds = time.perf_counter() - t
        self.stats.record(p.name, self.last_seconds, before, count_onnx_ops(module))

    def apply(self, ctx: Context, module: ModuleOp) -> None:
        start = time.perf_counter()
        stats = self.stats = PipelineStats(max_iterations=self.max_iterations, patterns=pattern_log_of(ctx))
        stats.ops_before = count_onnx_ops(module)
        cb = self.callback
        first = self.passes[0] if self.passes else (self.tail[0] if self.tail else None)
        if cb is not None:
            cb(None, module, first)
        if self.passes:
            fingerprint = module_fingerprint(module)
            stats.converged = False
            for iteration in range(1, self.max_iterations + 1):
                stats.iterations = iteration
                for i, p in enumerate(self.passes):
                    self._run(p, ctx, module)
                    if i + 1 < len(self.passes):
                        nxt: ModulePass | None = self.passes[i + 1]
                    else:
                        new = module_fingerprint(module)
                        stats.converged = new == fingerprint
                        fingerprint = new
                        more = not stats.converged and iteration < self.max_iterations
                        nxt = self.passes[0] if more else (self.tail[0] if self.tail else None)
                    if cb is not None:
                        cb(p, module, nxt)
                if stats.converged:
                    break
        for i, p in enumerate(self.tail):
            self._run(p, ctx, module)
            if cb is not None:
                cb(p, module, self.tail[i + 1] if i + 1 < len(self.tail) else None)
        stats.ops_after = count_onnx_ops(module)
        stats.seconds = time.perf_counter() - start


def graph_pipeline(
    opt_level: int,
    disabled: Iterable[str] = (),
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    callback: Callback | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> GraphPipeline:
    """The -O`opt_level` graph passes (less `disabled`, with `options` as graph_passes),
    run to a fixed point."""
    return GraphPipeline(graph_passes(opt_level, disabled, options), callback, max_iterations)
