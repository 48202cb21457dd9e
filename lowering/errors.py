"""The one exception every lowering stage raises: `LoweringError`.

Both `convert-onnx-to-loops` (the message names the ONNX node) and the LLVM translator
(`.op` / `.op_name` name the op it cannot translate) raise it, so callers catch one class.
"""

from __future__ import annotations

from xdsl.ir import Operation

from dialects.errors import StrataError

__all__ = ["LoweringError", "op_name"]


def op_name(op: Operation) -> str:
    """The op's name; for unregistered (generic-form) ops, the name they carry."""
    name = op.name
    if name == "builtin.unregistered":
        attr = op.attributes.get("op_name__")
        if attr is not None:
            return attr.data  # type: ignore[attr-defined]
    return name


class LoweringError(StrataError):
    """An op could not be lowered (to loops: the message names the ONNX node) or
    translated to LLVM (``.op`` / ``.op_name`` name it, and the message says so)."""

    def __init__(self, message: str, op: Operation | None = None):
        self.op = op
        self.op_name = op_name(op) if op is not None else None
        if op is not None:
            message = f"cannot translate '{self.op_name}' to LLVM: {message}"
        super().__init__(message)
