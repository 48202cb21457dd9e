"""Constants in the graph passes' rewrite patterns: the pattern base class that carries
the weight table, a scalar-scale reader (and the operand pairs of a Mul/Div that may
hold a scale), and (re-exported from dialects/onnx/constants.py,
where the canonicalization patterns use them too) reading and creating `onnx.Constant`s."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue

from compiler.pattern_log import LoggedPattern
from dialects.onnx.base import element_kind
from dialects.onnx.elementwise import DivOp, MulOp
from dialects.onnx.constants import can_create_constants, known_constant, new_constant
from dialects.weights import WeightTable

__all__ = [
    "PatternWithWeights", "can_create_constants", "finite_float_scalar", "known_constant", "new_constant",
    "scale_candidates",
]


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


def scale_candidates(op: Operation) -> tuple[tuple[SSAValue, SSAValue], ...]:
    """The (scaled value, scale) operand pairs of `op` when it is a Mul (either way
    round) or a Div (the divisor is the scale); none for any other op. A pattern that
    folds a scalar scale into an alpha tries each pair (`finite_float_scalar` reads the
    scale)."""
    if isinstance(op, MulOp):
        return ((op.a, op.b), (op.b, op.a))
    if isinstance(op, DivOp):
        return ((op.a, op.b),)
    return ()
