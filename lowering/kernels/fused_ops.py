"""Kernels of the fused ops strata.FusedConv, strata.FusedGemm and strata.FusedMatMul.

Each reuses the kernel of its anchor (`lower_conv`, `lower_gemm`, `lower_matmul`)
with an epilogue that runs in registers on every result element right before it is
stored, in the same loop nest: FusedConv adds the residual z[n, m, o...] and applies
the activation; FusedGemm applies the activation after alpha/beta*C; FusedMatMul
computes alpha * sum + bias[broadcast] and applies the activation. For f32 with N >= 8
the MatMul/Gemm anchor is the register-tiled GEMM, which runs the epilogue inside its
vectorized final k body (the epilogue is vectorized too when all its ops are: Gelu's
erf is a libm call today, which keeps that body scalar). No extra pass over the output
is made (except the row pass the plain-loop Gemm makes for transB=0).
"""

from __future__ import annotations

import math as pymath

from collections.abc import Sequence

from xdsl.ir import SSAValue

from dialects.onnx.base import float_attr_value
from dialects.strata.fused import activation_of
from lowering import scalar
from lowering.kernels.activation import apply_activation
from lowering.kernels.conv import Epilogue, Index, lower_conv
from lowering.kernels.matmul import lower_gemm, lower_matmul
from lowering.loop_builder import broadcast_indices, load
from lowering.onnx_to_loops import KernelContext, KernelLowering


def _check_float(kc: KernelContext) -> None:
    if not scalar.is_float(kc.type_of("y").element_type):
        raise kc.fail(f"fused ops are float-only, got {kc.type_of('y')}")


def lower_fused_conv(kc: KernelContext) -> None:
    _check_float(kc)
    act, params = activation_of(kc.op)  # type: ignore[arg-type]
    z = kc.input("z")

    def epilogue(value: SSAValue, out_idx: Sequence[Index]) -> SSAValue:
        if z is not None:
            value = scalar.add(value, load(z, out_idx))
        return apply_activation(act, params, value)

    lower_conv(kc, epilogue)


# Odd/even polynomial coefficients of erf(x) ~ x P(x^2) / Q(x^2) on [-4, 4] (Eigen's
# and XLA's f32 erf): max abs error 4.2e-7 against math.erf on [-6, 6], measured.
_ERF_P = (-1.60960333262415e-02, -2.95459980854025e-03, -7.34990630326855e-04,
          -5.69250639462346e-05, -2.10102402082508e-06, 2.77068142495902e-08, -2.72614225801306e-10)
_ERF_Q = (-1.42647390514189e-02, -7.37332916720468e-03, -1.68282697438203e-03,
          -2.13374055278905e-04, -1.45660718464996e-05)


def _erf_rational(x: SSAValue) -> SSAValue:
    """erf(x) from arith ops only, so a loop using it still vectorizes (math.erf is a
    scalar libm call: a Gelu epilogue made the tiled GEMM's final body scalar and the
    whole FusedMatMul 2.5-4x slower than onnxruntime). NaN stays NaN."""

    def c(v: float) -> SSAValue:
        return scalar.const(v, x.type)

    x = scalar.minimum(scalar.maximum(x, c(-4.0)), c(4.0))
    x2 = scalar.mul(x, x)
    p = c(_ERF_P[-1])
    for coef in reversed(_ERF_P[:-1]):
        p = scalar.add(scalar.mul(p, x2), c(coef))
    q = c(_ERF_Q[-1])
    for coef in reversed(_ERF_Q[:-1]):
        q = scalar.add(scalar.mul(q, x2), c(coef))
    return scalar.div(scalar.mul(x, p), q)


def _matmul_activation(act: str, params: Sequence[float], value: SSAValue) -> SSAValue:
    """The activation of a FusedMatMul / FusedGemm epilogue: exact Gelu (erf form) with
    the rational erf above (approximate: 4.2e-7 abs on erf); the others as every kernel
    applies them."""
    if act == "Gelu":
        half = scalar.mul(value, scalar.const(0.5, value.type))
        t = _erf_rational(scalar.mul(value, scalar.const(1.0 / pymath.sqrt(2.0), value.type)))
        return scalar.mul(half, scalar.add(scalar.const(1.0, value.type), t))
    return apply_activation(act, params, value)


def lower_fused_gemm(kc: KernelContext) -> None:
    _check_float(kc)
    act, params = activation_of(kc.op)  # type: ignore[arg-type]
    epilogue: Epilogue = lambda value, out_idx: _matmul_activation(act, params, value)  # noqa: E731
    lower_gemm(kc, epilogue)


def lower_fused_matmul(kc: KernelContext) -> None:
    _check_float(kc)
    act, params = activation_of(kc.op)  # type: ignore[arg-type]
    alpha = float_attr_value(kc.op.alpha)  # type: ignore[attr-defined]
    alpha = 1.0 if alpha is None else alpha
    bias = kc.input("bias")
    y_shape = kc.shape("y")
    bias_shape = kc.shape("bias") if bias is not None else ()

    def epilogue(value: SSAValue, out_idx: Sequence[Index]) -> SSAValue:
        if alpha != 1.0:
            value = scalar.mul(value, scalar.const(alpha, value.type))
        if bias is not None:
            value = scalar.add(value, load(bias, broadcast_indices(list(out_idx), bias_shape, y_shape)))  # type: ignore[arg-type]
        return _matmul_activation(act, params, value)

    lower_matmul(kc, epilogue)


LOWERINGS: dict[str, KernelLowering] = {
    "strata.FusedConv": lower_fused_conv,
    "strata.FusedGemm": lower_fused_gemm,
    "strata.FusedMatMul": lower_fused_matmul,
}
