"""Kernel lowerings: one function per ONNX op (family) that writes its loop nest.

`KERNEL_LOWERINGS` maps an op name (`onnx.Add`, `strata.FusedConv`) to its lowering; each module below
contributes its own `LOWERINGS` table. `KERNEL_PACKINGS` maps an op name to the constant
operands its kernel reads in a layout of its own (lowering/operand_packing.py), from the
modules' `PACKINGS` tables.
"""

from __future__ import annotations

from lowering.kernels import (
    composite,
    conv,
    conv_nchwc,
    data_movement,
    elementwise,
    fused_group,
    fused_ops,
    matmul,
    normalization,
    pad,
    pooling,
    reduction,
    resize,
)
from lowering.kernel_context import KernelLowering
from lowering.operand_packing import OperandPackings

KERNEL_LOWERINGS: dict[str, KernelLowering] = {}
for _module in (
    elementwise, matmul, conv, pooling, reduction, normalization, data_movement, pad, resize,
    fused_ops, composite, conv_nchwc, fused_group,
):
    KERNEL_LOWERINGS.update(_module.LOWERINGS)

KERNEL_PACKINGS: dict[str, OperandPackings] = {}
for _module in (matmul, fused_ops, fused_group):
    KERNEL_PACKINGS.update(_module.PACKINGS)
