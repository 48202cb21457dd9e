"""The `onnx` dialect: one op per ONNX operator, named as in ONNX (`onnx.Conv`).

`ONNX` is the xDSL Dialect; `ONNX_OPS` maps an ONNX op_type to its op class, which is
what import and export use to move between NodeProtos and ops. Importing the package
also registers the ops' canonicalization patterns (dialects/onnx/canonicalization.py).
"""

from __future__ import annotations

from xdsl.ir import Dialect
from xdsl.irdl import IRDLOperation

from dialects.onnx import elementwise, linalg, nn, reduction, tensor
from dialects.onnx import canonicalization  # noqa: F401  (registers the patterns with the op trait)
from dialects.onnx.traits import Elementwise, ShapeView


def _collect() -> list[type[IRDLOperation]]:
    ops: list[type[IRDLOperation]] = []
    for module in (elementwise, linalg, nn, reduction, tensor):
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, IRDLOperation)
                and isinstance(getattr(obj, "name", None), str)
                and obj.name.startswith("onnx.")
            ):
                ops.append(obj)
    return sorted(ops, key=lambda o: o.name)


ONNX_OP_CLASSES = _collect()
ONNX_OPS: dict[str, type[IRDLOperation]] = {op.name.removeprefix("onnx."): op for op in ONNX_OP_CLASSES}
ONNX = Dialect("onnx", ONNX_OP_CLASSES, [])
# The names ("onnx.Add", ...) of the op classes with the Elementwise trait.
ELEMENTWISE_OP_NAMES = frozenset(cls.name for cls in ONNX_OP_CLASSES if cls.has_trait(Elementwise))
# ... and of those with the ShapeView trait (Reshape, Flatten, Squeeze, Unsqueeze).
SHAPE_VIEW_OP_NAMES = frozenset(cls.name for cls in ONNX_OP_CLASSES if cls.has_trait(ShapeView))

__all__ = ["ELEMENTWISE_OP_NAMES", "SHAPE_VIEW_OP_NAMES", "ONNX", "ONNX_OPS", "ONNX_OP_CLASSES"]
