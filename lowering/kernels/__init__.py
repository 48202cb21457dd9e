"""Kernel lowerings: one function per ONNX op (family) that writes its loop nest.

`KERNEL_LOWERINGS` maps an op name (`onnx.Add`) to its lowering; each module below
contributes its own `LOWERINGS` table.
"""

from __future__ import annotations

from lowering.kernels import (
    conv,
    data_movement,
    elementwise,
    matmul,
    normalization,
    pad,
    pooling,
    reduction,
    resize,
)
from lowering.onnx_to_loops import KernelLowering

KERNEL_LOWERINGS: dict[str, KernelLowering] = {}
for _module in (elementwise, matmul, conv, pooling, reduction, normalization, data_movement, pad, resize):
    KERNEL_LOWERINGS.update(_module.LOWERINGS)
