"""Kernels of the fused ops strata.FusedConv, strata.FusedGemm and strata.FusedMatMul.

Each reuses the kernel of its anchor (`lower_conv`, `lower_gemm`, `lower_matmul`)
with an epilogue that runs in registers on every result element right before it is
stored, in the same loop nest: FusedConv adds the residual z[n, m, o...] and applies
the activation; FusedGemm applies the activation after alpha/beta*C; FusedMatMul
computes alpha * sum + bias[broadcast] and applies the activation. For f32 with N >= 8
the MatMul/Gemm anchor is the register-tiled GEMM, which runs the epilogue inside its
vectorized final k body (the epilogue is vectorized too when all its ops are; f32
Gelu's erf is a rational approximation for that reason, see `activation.py`). No extra pass over the output
is made (except the row pass the plain-loop Gemm makes for transB=0).
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.ir import SSAValue

from dialects.onnx.base import float_attr_value
from dialects.strata.activation import activation_of
from lowering import scalar
from lowering.kernels.activation import apply_activation
from lowering.kernels.conv import Epilogue, Index, lower_conv
from lowering.kernels.matmul import gemm_packings, lower_gemm, lower_matmul, matmul_packings
from lowering.loop_builder import broadcast_indices, load
from lowering.kernel_context import KernelContext, KernelLowering
from lowering.operand_packing import OperandPackings


def _check_float(kc: KernelContext) -> None:
    if not scalar.is_float(kc.type_of("y").element_type):
        raise kc.fail(f"fused ops are float-only, got {kc.type_of('y')}")


def _then(epilogue: Epilogue | None, value: SSAValue, out_idx: Sequence[Index]) -> SSAValue:
    return value if epilogue is None else epilogue(value, out_idx)


def gemm_epilogue(kc: KernelContext, then: Epilogue | None = None) -> Epilogue:
    """A FusedGemm's own epilogue (its activation), followed by `then` (e.g. the ops of
    a kernel group the FusedGemm anchors)."""
    act, params = activation_of(kc.op)
    return lambda value, out_idx: _then(then, apply_activation(act, params, value), out_idx)


def matmul_epilogue(kc: KernelContext, then: Epilogue | None = None) -> Epilogue:
    """A FusedMatMul's own epilogue (alpha * value + bias[broadcast], activation),
    followed by `then`."""
    act, params = activation_of(kc.op)
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
        return _then(then, apply_activation(act, params, value), out_idx)

    return epilogue


def conv_epilogue(kc: KernelContext, then: Epilogue | None = None) -> Epilogue:
    """A FusedConv's own epilogue (+ residual z, activation), followed by `then`."""
    act, params = activation_of(kc.op)
    z = kc.input("z")

    def epilogue(value: SSAValue, out_idx: Sequence[Index]) -> SSAValue:
        if z is not None:
            value = scalar.add(value, load(z, out_idx))
        return _then(then, apply_activation(act, params, value), out_idx)

    return epilogue


# Each takes the epilogue of the kernel group it anchors (fused_group.py), if any.
def lower_fused_conv(kc: KernelContext, then: Epilogue | None = None) -> None:
    _check_float(kc)
    lower_conv(kc, conv_epilogue(kc, then))


def lower_fused_gemm(kc: KernelContext, then: Epilogue | None = None) -> None:
    _check_float(kc)
    lower_gemm(kc, gemm_epilogue(kc, then))


def lower_fused_matmul(kc: KernelContext, then: Epilogue | None = None) -> None:
    _check_float(kc)
    lower_matmul(kc, matmul_epilogue(kc, then))


LOWERINGS: dict[str, KernelLowering] = {
    "strata.FusedConv": lower_fused_conv,
    "strata.FusedGemm": lower_fused_gemm,
    "strata.FusedMatMul": lower_fused_matmul,
}
# Their B operands are those of the ops they fuse (same names, same kernel).
PACKINGS: dict[str, OperandPackings] = {"strata.FusedGemm": gemm_packings, "strata.FusedMatMul": matmul_packings}
