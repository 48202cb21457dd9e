"""The weight table: tensor data that stays out of the IR text.

Large constants are `dense_resource<handle>` attributes in the IR; their bytes live here
as numpy arrays keyed by handle. One table belongs to one compile (it hangs off the
`StrataContext`), so there is no process-wide state.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, DenseResourceAttr, TensorType
from xdsl.ir import Attribute

from dialects.dtypes import numpy_dtype, xdsl_element_type

# Constants up to this many elements are printed inline as `dense<...>`.
INLINE_LIMIT = 16


class WeightTable:
    """Handle -> numpy array for every `dense_resource` of one compile."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def add(self, name: str, array: np.ndarray) -> str:
        """Stores `array` under a handle derived from `name`; returns the handle."""
        base = "".join(c if c.isalnum() or c in "_." else "_" for c in name) or "w"
        if not (base[0].isalpha() or base[0] == "_"):
            base = "w_" + base
        handle, n = base, 0
        while handle in self._arrays:
            n += 1
            handle = f"{base}_{n}"
        self._arrays[handle] = np.asarray(array, order="C")  # keeps rank 0 (ascontiguousarray would not)
        return handle

    def get(self, handle: str) -> np.ndarray:
        try:
            return self._arrays[handle]
        except KeyError:
            raise KeyError(
                f"no data for dense_resource<{handle}>: the IR was read without its weights"
            ) from None

    def __contains__(self, handle: str) -> bool:
        return handle in self._arrays

    def __len__(self) -> int:
        return len(self._arrays)

    def items(self):
        return self._arrays.items()

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self._arrays.values())


def tensor_attr(array: np.ndarray, weights: WeightTable, name: str) -> Attribute:
    """The IR attribute for a constant: inline when small, a resource handle otherwise."""
    ty = TensorType(xdsl_element_type(array.dtype), array.shape)
    if array.size <= INLINE_LIMIT and array.dtype != np.bool_:
        flat = array.reshape(-1)
        values = [float(v) for v in flat] if array.dtype.kind == "f" else [int(v) for v in flat]
        return DenseIntOrFPElementsAttr.from_list(ty, values)
    return DenseResourceAttr.from_params(weights.add(name, array), ty)


def attr_array(attr: Attribute, weights: WeightTable | None) -> np.ndarray:
    """The numpy value of a constant attribute (inline dense or resource handle)."""
    if isinstance(attr, DenseResourceAttr):
        if weights is None:
            raise KeyError(f"dense_resource<{attr.resource_handle.data}> needs a weight table")
        return weights.get(attr.resource_handle.data)
    assert isinstance(attr, DenseIntOrFPElementsAttr)
    ty = attr.get_type()
    assert isinstance(ty, TensorType)
    dtype = numpy_dtype(ty.element_type)
    shape = tuple(ty.get_shape())
    values = attr.get_values()
    if len(values) == 1 and int(np.prod(shape)) != 1:  # a splat
        return np.full(shape, values[0], dtype=dtype)
    return np.asarray(values, dtype=dtype).reshape(shape)


def weights_of(ctx: object) -> WeightTable | None:
    """The weight table a pass reads constants from: the compile's (compiler/context.py's
    StrataContext carries one), or None under a plain xDSL Context (e.g. xdsl-opt)."""
    table = getattr(ctx, "weights", None)
    return table if isinstance(table, WeightTable) else None
