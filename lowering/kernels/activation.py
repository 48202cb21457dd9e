"""Scalar bodies of the activations a fused op applies to its result before storing it
(the epilogue of strata.FusedConv / FusedGemm / FusedMatMul, and of any later fused
kernel that calls `apply_activation`).

Each body computes what the ONNX op of the same name computes, with the same formulas
as the standalone elementwise kernels (`lowering/kernels/elementwise.py`):

    Relu         max(x, 0)
    Clip         min(max(x, min), max)            params: min, max
    LeakyRelu    x < 0 ? alpha * x : x            params: alpha
    Sigmoid      overflow-free 1 / (1 + e^-x)
    HardSigmoid  max(0, min(1, alpha * x + beta)) params: alpha, beta
    HardSwish    x * max(0, min(1, x / 6 + 1/2))
    Tanh         tanh(x)
    Gelu         x / 2 * (1 + erf(x / sqrt 2))   (ONNX Gelu, approximate="none")
    GeluTanh     x / 2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
    Swish        x / (1 + e^(-alpha x)) = x * sigmoid(alpha x)   params: alpha
                 (SiLU at alpha = 1; one exp, no select, so it vectorizes)

For f32, the pass math-polynomial-approximation (lowering/math_approximation.py) turns
the erf, tanh and exp of these bodies into arith ops: as scalar libm calls they keep
the whole store loop of a vectorized GEMM scalar (measured: a FusedMatMul + Gelu ran
2.5-4x slower than onnxruntime with a libm erf, 0.88x without). f64 keeps libm's.
"""

from __future__ import annotations

import math as pymath
from collections.abc import Sequence

from xdsl.dialects import math
from xdsl.ir import SSAValue

from dialects.strata.fused import ACTIVATION_PARAM_COUNTS
from lowering import scalar
from lowering.kernels.elementwise import _clamp01, _hard_swish, _sigmoid, swish

ACTIVATIONS: tuple[str, ...] = tuple(name for name in ACTIVATION_PARAM_COUNTS if name)


def _c(value: float, like: SSAValue) -> SSAValue:
    return scalar.const(value, like.type)


def _gelu(x: SSAValue, tanh_form: bool) -> SSAValue:
    if tanh_form:
        x3 = scalar.mul(scalar.mul(x, x), x)
        inner = scalar.mul(_c(pymath.sqrt(2.0 / pymath.pi), x), scalar.add(x, scalar.mul(x3, _c(0.044715, x))))
        t = math.TanhOp(inner).result
    else:
        u = scalar.mul(x, _c(1.0 / pymath.sqrt(2.0), x))
        t = math.ErfOp(u).result
    return scalar.mul(scalar.mul(x, _c(0.5, x)), scalar.add(_c(1, x), t))


def apply_activation(name: str, params: Sequence[float], x: SSAValue) -> SSAValue:
    """activation(x) for a float scalar x; "" returns x unchanged. Raises ValueError for
    an unknown name or a wrong number of parameters."""
    if name not in ACTIVATION_PARAM_COUNTS:
        raise ValueError(f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}")
    if len(params) != ACTIVATION_PARAM_COUNTS[name]:
        raise ValueError(f"activation {name!r} takes {ACTIVATION_PARAM_COUNTS[name]} parameters, got {len(params)}")
    if name == "":
        return x
    if name == "Relu":
        return scalar.maximum(x, _c(0, x))
    if name == "Clip":
        return scalar.minimum(scalar.maximum(x, _c(params[0], x)), _c(params[1], x))
    if name == "LeakyRelu":
        return scalar.select(scalar.compare("lt", x, _c(0, x)), scalar.mul(x, _c(params[0], x)), x)
    if name == "Sigmoid":
        return _sigmoid(x)
    if name == "HardSigmoid":
        return _clamp01(scalar.add(scalar.mul(x, _c(params[0], x)), _c(params[1], x)))
    if name == "HardSwish":
        return _hard_swish(x)
    if name == "Tanh":
        return math.TanhOp(x).result
    if name == "Swish":
        return swish(x, params[0])
    return _gelu(x, tanh_form=name == "GeluTanh")
