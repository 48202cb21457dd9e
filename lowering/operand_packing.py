"""Constant operands that a kernel reads in a layout of its own, made once at compile time.

A kernel lowering may declare (`PACKINGS` tables of lowering/kernels/, keyed by op name
like the lowerings) that one of its constant operands is better read rearranged: the
register-tiled GEMM reads B as the K x 16 column panels its microkernel streams, which
it otherwise copies out of B on every call (onnxruntime's MLAS prepacks B at session
creation for the same reason). `convert-onnx-to-loops` then rearranges the constant once
with numpy (`OperandPacking.pack`), adds the result to the weight table as a new weight,
passes that buffer to the kernel in place of the original and drops the original from
the entry's arguments when no kernel reads it any more. The graph-level IR is untouched:
the kernel's argument type (the packed shape) is what says that it reads the packed
layout, and the kernel's code depends only on shapes, so kernels stay shared between ops
whose constants differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.ir import Operation, SSAValue

from lowering.target import CpuTarget


@dataclass(frozen=True)
class OperandPacking:
    """How one constant operand is rearranged: `pack` maps its value to the packed array
    (of `shape`, same dtype); `suffix` names the packed weight (`<handle>.<suffix>`), so
    one constant read by several kernels the same way is packed once."""

    suffix: str
    shape: tuple[int, ...]
    pack: Callable[[np.ndarray], np.ndarray]


# (op, is_constant(value), target) -> the op's operands to pack, and how. `is_constant`
# says whether a value is a graph constant (for an op inside a fused group: whether the
# group operand it stands for is).
OperandPackings = Callable[[Operation, Callable[[SSAValue], bool], CpuTarget], dict[SSAValue, OperandPacking]]
