"""Strata's driver and graph level: import/export, graph passes, pipelines and the API.

    import compiler
    model = compiler.compile("model.onnx", input_shapes={"x": [1, 3, 224, 224]})
    outputs = model.run({"x": x})
    optimized = compiler.optimize("model.onnx", level="extended")   # ONNX in, ONNX out
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from dialects.errors import ModelError, ShapeError, StrataError, UnsupportedOpsError

# Imported on first use. compile/optimize pull in xDSL and onnx, which a serving process
# that only runs `load(path)` on a saved model never needs (runtime/loader.py); load
# pulls in numpy and llvmlite, which `import compiler` for the error classes does not.
_LAZY = {
    "ArtifactError": "runtime.artifact",
    "CompiledModel": "runtime.compiled_model",
    "load": "runtime.loader",
    "compile": "compiler.api",
    "supported_op_types": "compiler.graph_io",
    "optimize": "compiler.optimize",
    "OptimizeLevelError": "compiler.optimize",
}


class _Package(types.ModuleType):
    """Keeps `compiler.optimize` the function: importing the submodule of that name
    later (the first use, now that it is lazy) would otherwise bind the module there."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'compiler' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "ArtifactError",
    "CompiledModel",
    "ModelError",
    "OptimizeLevelError",
    "ShapeError",
    "StrataError",
    "UnsupportedOpsError",
    "compile",
    "load",
    "optimize",
    "supported_op_types",
]
