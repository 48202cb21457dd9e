"""Reading and creating `onnx.Constant` values inside rewrite patterns.

Shared by the onnx canonicalization patterns (dialects/onnx/canonicalization.py) and the
graph passes (compiler/passes/, through compiler/passes/constants.py). Constant data is
read with `constant_value` (here, not in dialects/weights.py: the weight table is a leaf
that imports no dialect, and this package's __init__ imports this module); without a weight table (a plain xDSL
Context, or canonicalize, whose patterns get no context) only inline constants are read
and only small ones are made.
"""

from __future__ import annotations

import numpy as np
from xdsl.ir import Operation, SSAValue

from dialects.onnx.tensor import ConstantOfShapeOp, ConstantOp
from dialects.weights import INLINE_LIMIT, WeightTable, attr_array, tensor_attr


def constant_value(value: SSAValue, weights: WeightTable | None) -> np.ndarray | None:
    """The compile-time value of an SSA value defined by `onnx.Constant`, else None."""
    owner = value.owner
    if isinstance(owner, ConstantOp):
        return attr_array(owner.value, weights)
    return None


def known_constant(value: SSAValue | None, weights: WeightTable | None) -> np.ndarray | None:
    """The value of an `onnx.Constant` result, or of an `onnx.ConstantOfShape` whose
    shape is constant (a fill: exported models often carry weights that way, and
    onnx-fold-constants leaves large fills as ops so the IR stays small; a pattern that
    consumes one, e.g. Conv+BatchNormalization, still knows its value). None when the
    value is not known or its data is not available (a dense_resource read without its
    weight table, an odd dtype)."""
    if value is None:
        return None
    try:
        owner = value.owner
        if isinstance(owner, ConstantOfShapeOp):
            shape = constant_value(owner.input, weights)
            if shape is None:
                return None
            fill = attr_array(owner.value, weights).reshape(-1)[0] if owner.value is not None else np.float32(0)
            # A read-only broadcast view: patterns ask on every visit, and a fill can be a
            # 100 MB weight; nothing is allocated until a pattern computes from it.
            return np.broadcast_to(fill, tuple(int(d) for d in shape))
        return constant_value(value, weights)
    except (KeyError, ValueError):
        return None


def can_create_constants(sizes: list[int], weights: WeightTable | None) -> bool:
    """Without a weight table only inline (small) constants can be made."""
    return weights is not None or all(size <= INLINE_LIMIT for size in sizes)


def new_constant(
    array: np.ndarray, weights: WeightTable | None, handle: str, replaced: Operation, hint: str | None = None
) -> ConstantOp:
    """An `onnx.Constant` holding `array`, at the location (ONNX node name) of the op
    it replaces; its data goes to the weight table unless it is small."""
    attr = tensor_attr(array, weights, handle)  # type: ignore[arg-type]  # inline when weights is None
    const = ConstantOp(attr)
    const.location = replaced.location
    if hint is not None:
        const.output.name_hint = hint
    return const
