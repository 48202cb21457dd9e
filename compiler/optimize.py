"""ONNX in, optimized ONNX out: Strata's graph passes as a model-to-model optimizer (like
onnxruntime's `SessionOptions.optimized_model_filepath`).

    import compiler
    optimized = compiler.optimize("model.onnx", level="all", input_shapes={"x": [1, 3, 224, 224]})
    onnx.save(optimized, "model.opt.onnx")

The model is imported into the `onnx` dialect (opset upgraded to 21, shapes inferred and
made static), run through the graph pipeline of the level and exported back to ONNX.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import onnx

from compiler.context import make_context
from dialects.errors import StrataError
from compiler.onnx_export import export_model
from compiler.onnx_import import ModelLike, import_model, load_model
from compiler.pipelines import graph_pipeline

# onnxruntime's GraphOptimizationLevel names -> Strata's -O levels.
LEVELS: dict[str, int] = {"none": 0, "basic": 1, "extended": 2, "all": 3}


class OptimizeLevelError(StrataError, ValueError):
    """`optimize(level=...)` is not one of the known levels."""


def opt_level_of(level: str | int) -> int:
    """"none"/"basic"/"extended"/"all" (case-insensitive) or 0..3 -> the -O level."""
    if isinstance(level, bool):  # bool is an int; True/False is almost surely a mistake
        raise OptimizeLevelError(f"optimization level must be one of {list(LEVELS)} or 0..3, got {level!r}")
    if isinstance(level, int):
        if level in (0, 1, 2, 3):
            return level
        raise OptimizeLevelError(f"optimization level must be 0..3 (or one of {list(LEVELS)}), got {level}")
    if isinstance(level, str):
        key = level.strip().lower()
        if key in LEVELS:
            return LEVELS[key]
        raise OptimizeLevelError(f"unknown optimization level {level!r}; expected one of {list(LEVELS)} or 0..3")
    raise OptimizeLevelError(
        f"optimization level must be a str ({'/'.join(LEVELS)}) or an int 0..3, got {type(level).__name__}"
    )


def optimize(
    model: ModelLike,
    level: str | int = "all",
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    max_memory_bytes: int | None = None,
) -> onnx.ModelProto:
    """Optimizes an ONNX model (path, bytes or ModelProto) and returns a new ModelProto.

    `level`: "none" (0), "basic" (1), "extended" (2) or "all" (3), the same graph
    pipelines as `compile(opt_level=N)` and `opt-tool -ON`. `input_shapes` binds symbolic
    input dims; the result has static shapes. The graph keeps its name. Raises
    OptimizeLevelError for a bad level, and the import errors (ModelError, ShapeError,
    UnsupportedOpsError, NodeImportError) for a model Strata cannot import, and
    MemoryLimitError for a tensor larger than `max_memory_bytes` (default: this
    machine's physical memory), before a pass could fold it into a constant.
    """
    opt_level = opt_level_of(level)
    proto = load_model(model)
    ctx = make_context()
    module = import_model(proto, ctx.weights, input_shapes, max_memory_bytes=max_memory_bytes)
    graph_pipeline(opt_level).apply(ctx, module)
    out = export_model(module, ctx.weights)
    out.graph.name = proto.graph.name or out.graph.name
    if proto.graph.doc_string:
        out.graph.doc_string = proto.graph.doc_string
    if proto.doc_string:
        out.doc_string = proto.doc_string
    for prop in proto.metadata_props:
        out.metadata_props.add(key=prop.key, value=prop.value)
    return out
