"""Reading and creating `onnx.Constant` ops inside rewrite patterns (shared by the
graph passes)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue

from compiler.pattern_log import LoggedPattern
from dialects.weights import INLINE_LIMIT, WeightTable, attr_array, constant_value, tensor_attr
from dialects.onnx.base import element_kind
from dialects.onnx.tensor import ConstantOfShapeOp, ConstantOp


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


@dataclass
class PatternWithWeights(LoggedPattern):
    """A rewrite pattern that reads or creates constant data."""

    weights: WeightTable | None


def finite_float_scalar(value: SSAValue, weights: WeightTable | None) -> float | None:
    """The value of a float constant of shape [] or [1] when it is finite and not zero
    (a scale that can move into alpha: x * s or x / s), else None."""
    ty = value.type
    if not isinstance(ty, TensorType) or element_kind(ty.element_type) != "float":
        return None
    if tuple(ty.get_shape()) not in ((), (1,)):
        return None
    array = known_constant(value, weights)
    if array is None or array.dtype.kind != "f" or array.size != 1:
        return None
    s = float(array.reshape(()))
    return s if np.isfinite(s) and s != 0.0 else None
