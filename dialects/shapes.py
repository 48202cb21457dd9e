"""Reading a tensor value's shape, and the row-major strides of a shape: the one copy
of each that every layer above uses.

Here, at the bottom layer (it imports only xDSL), so that compiler/, lowering/ and the
Triton text emitters share it instead of each keeping a copy.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import TensorType
from xdsl.ir import SSAValue

__all__ = ["contiguous_strides", "static_shape", "tensor_shape"]


def tensor_shape(value: SSAValue) -> tuple[int, ...]:
    """The shape of a tensor-typed value as a tuple of ints.

    Dynamic dimensions are not rejected: they come back as xDSL's -1 (callers work on
    graphs whose shapes the importer has made static). A value that is not a tensor is a
    bug in the caller and fails the assertion."""
    assert isinstance(value.type, TensorType), value.type
    return tuple(value.type.get_shape())


def static_shape(value: SSAValue) -> tuple[int, ...] | None:
    """The shape of a tensor value when every dimension is known; None for a dynamic
    dimension or a value that is not a tensor (for patterns that must not fire then)."""
    ty = value.type
    if not isinstance(ty, TensorType):
        return None
    shape = tuple(ty.get_shape())
    return None if any(d < 0 for d in shape) else shape


def contiguous_strides(shape: Sequence[int]) -> list[int]:
    """Row-major strides, in elements, of a contiguous tensor of `shape`."""
    strides, acc = [], 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= d
    return strides[::-1]
