"""Errors Strata raises to users. Each names the ONNX node, op and shape involved."""

from __future__ import annotations


class StrataError(Exception):
    """Base class of every error Strata raises on purpose."""


class ModelError(StrataError, ValueError):
    """The model file is malformed, truncated or not an ONNX model."""


class UnsupportedOpsError(StrataError):
    """The model uses operators Strata cannot compile; lists all of them at once."""

    def __init__(self, unsupported: dict[str, list[str]]):
        self.unsupported = unsupported
        lines = [
            f"  {op_type}: {len(nodes)} node(s): {', '.join(nodes[:8])}{' ...' if len(nodes) > 8 else ''}"
            for op_type, nodes in sorted(unsupported.items())
        ]
        super().__init__(
            f"the model uses {len(unsupported)} unsupported operator type(s):\n" + "\n".join(lines)
        )


class ShapeError(StrataError, ValueError):
    """A shape could not be determined statically (for example an unbound symbolic dim)."""


class InputError(StrataError, ValueError):
    """The feeds of a call do not fit the compiled model: a missing or unknown input
    name, or an array of another dtype or shape than the input's; names the input."""


class NodeImportError(StrataError):
    """An ONNX node could not be turned into a valid `onnx` dialect op."""


class OutOfRangeError(StrataError, IndexError):
    """A value the compiled model read at run time is outside what its op allows (a
    Gather index beyond its axis, a OneHot depth other than the compiled one). The
    kernel skipped the access, so nothing was read or written out of bounds; the
    call's outputs are not returned. `.op`, `.node` and `.value` say where and what."""

    def __init__(self, op: str, node: str, value: int, message: str):
        self.op, self.node, self.value = op, node, value
        super().__init__(message)


class MemoryLimitError(StrataError, MemoryError):
    """A tensor or the planned arena is larger than the memory limit (the machine's
    physical memory, or `compile(..., max_memory_bytes=N)`); names the bytes and node."""


class UnsupportedOpsetError(StrataError):
    """The model declares an opset of the default ONNX domain outside the supported range."""
