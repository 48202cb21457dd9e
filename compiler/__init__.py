"""Strata's driver and graph level: import/export, graph passes, pipelines and the API.

    import compiler
    model = compiler.compile("model.onnx", input_shapes={"x": [1, 3, 224, 224]})
    outputs = model.run({"x": x})
    optimized = compiler.optimize("model.onnx", level="extended")   # ONNX in, ONNX out
"""

from __future__ import annotations

from compiler.api import compile, supported_op_types
from compiler.errors import ModelError, ShapeError, StrataError, UnsupportedOpsError
from compiler.optimize import OptimizeLevelError, optimize
from runtime.compiled_model import CompiledModel

__all__ = [
    "CompiledModel",
    "ModelError",
    "OptimizeLevelError",
    "ShapeError",
    "StrataError",
    "UnsupportedOpsError",
    "compile",
    "optimize",
    "supported_op_types",
]
