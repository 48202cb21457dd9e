"""Scalar bodies of the activations a fused op applies to its result before storing it
(the epilogue of strata.FusedConv / FusedGemm / FusedMatMul and strata.ConvNCHWc, and of
any later fused kernel that calls `apply_activation`): `SCALAR_ACTIVATIONS`, keyed by
the `Activation` enum of dialects/strata/activation.py (tests/test_activation_table.py
checks that it covers every member).

Each body computes what the ONNX op it stands for computes, with the same helpers as
the standalone elementwise kernels (`lowering/kernels/elementwise.py`):

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

from collections.abc import Callable, Sequence

from xdsl.dialects import math
from xdsl.ir import SSAValue

from dialects.strata.activation import Activation, param_count
from lowering import scalar
from lowering.kernels.elementwise import gelu, hard_sigmoid, hard_swish, leaky_relu, sigmoid, swish

# activation -> fn(params, x): its scalar body on a float value x
ActivationBody = Callable[[Sequence[float], SSAValue], SSAValue]


def _c(value: float, like: SSAValue) -> SSAValue:
    return scalar.const(value, like.type)


SCALAR_ACTIVATIONS: dict[Activation, ActivationBody] = {
    Activation.RELU: lambda p, x: scalar.maximum(x, _c(0, x)),
    Activation.CLIP: lambda p, x: scalar.minimum(scalar.maximum(x, _c(p[0], x)), _c(p[1], x)),
    Activation.LEAKY_RELU: lambda p, x: leaky_relu(x, p[0]),
    Activation.SIGMOID: lambda p, x: sigmoid(x),
    Activation.HARD_SIGMOID: lambda p, x: hard_sigmoid(x, p[0], p[1]),
    Activation.HARD_SWISH: lambda p, x: hard_swish(x),
    Activation.TANH: lambda p, x: math.TanhOp(x).result,
    Activation.GELU: lambda p, x: gelu(x, tanh_form=False),
    Activation.GELU_TANH: lambda p, x: gelu(x, tanh_form=True),
    Activation.SWISH: lambda p, x: swish(x, p[0]),
}


def apply_activation(act: Activation | str, params: Sequence[float], x: SSAValue) -> SSAValue:
    """act(x) for a float scalar x; Activation.NONE returns x unchanged. Raises
    ValueError for an unknown name or a wrong number of parameters."""
    try:
        act = Activation(act)
    except ValueError:
        known = ", ".join(a.value for a in SCALAR_ACTIVATIONS)
        raise ValueError(f"unknown activation {act!r}; expected one of {known}") from None
    if len(params) != param_count(act):
        raise ValueError(f"activation {act.value!r} takes {param_count(act)} parameters, got {len(params)}")
    if act is Activation.NONE:
        return x
    return SCALAR_ACTIVATIONS[act](params, x)
