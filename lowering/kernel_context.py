"""What a kernel lowering (lowering/kernels/) is given: a `KernelContext` (the op, its
operand and result buffers, the weights, the target CPU, the run-time checks it may add)
and the error it raises, `LoweringError`. `convert-onnx-to-loops`
(lowering/convert_onnx_to_loops.py) calls one lowering per op through the table of
lowering/kernels/__init__.py; both import this module, so neither imports the other."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.dialects.builtin import (
    IntegerType,
    TensorType,
)
from xdsl.ir import Operation, SSAValue
from xdsl.irdl import IRDLOperation

from dialects.onnx.constants import constant_value
from dialects.weights import WeightTable
from dialects.onnx.base import node_name
from lowering.errors import LoweringError
from lowering.loop_builder import loop_nest, load, store
from lowering.runtime_checks import Check, KernelChecks
from lowering.target import CpuTarget, host_target


def describe(op: Operation) -> str:
    """`onnx.Conv node 'conv1' (tensor<1x3x8x8xf32>, ...)` for error messages."""
    types = ", ".join(str(o.type) for o in op.operands)
    return f"{op.name} node '{node_name(op)}' ({types})"


@dataclass
class KernelContext:
    """What a kernel lowering sees: the graph op and the buffers of its operands/results,
    addressed by the op definition's operand and result names (`kc.input("x")`)."""

    op: IRDLOperation
    buffers: dict[SSAValue, SSAValue]  # graph value -> kernel block argument (memref)
    weights: WeightTable | None
    checks: KernelChecks | None = None  # run-time checks (status arguments) of the kernel
    target: CpuTarget = field(default_factory=host_target)  # the CPU the kernels are for
    # op name -> lowering: the table this kernel was lowered by, for lowerings that lower
    # inner ops (a fused group's anchor) by the same table.
    lowerings: dict[str, KernelLowering] = field(default_factory=dict)
    # Inside a fused group the stores to the result buffer are rewritten into the
    # group's epilogue at the same indices: the lowering must store through that buffer
    # itself, never through a view of it.
    stores_rewritten = False

    def _value(self, name: str):
        return getattr(self.op, name)

    def input(self, name: str) -> SSAValue | None:
        """The buffer of operand `name` (None for an absent optional operand)."""
        v = self._value(name)
        if v is None:
            return None
        return self.buffers[v]

    def variadic(self, name: str) -> list[SSAValue]:
        return [self.buffers[v] for v in self._value(name)]

    def output(self, name: str) -> SSAValue:
        return self.buffers[self._value(name)]

    def type_of(self, name: str) -> TensorType:
        """The graph-level tensor type of operand or result `name` (keeps signedness)."""
        v = self._value(name)
        assert v is not None, name
        return v.type

    def shape(self, name: str) -> tuple[int, ...]:
        return tuple(self.type_of(name).get_shape())

    def unsigned(self, name: str) -> bool:
        ty = self.type_of(name).element_type
        return isinstance(ty, IntegerType) and ty.signedness.data.name == "UNSIGNED"

    def const(self, name: str) -> np.ndarray | None:
        """The compile-time value of operand `name` if it is an `onnx.Constant`."""
        v = self._value(name)
        return None if v is None else constant_value(v, self.weights)

    def require_const(self, name: str) -> np.ndarray:
        value = self.const(name)
        if value is None:
            raise LoweringError(f"{describe(self.op)}: input '{name}' must be a compile-time constant")
        return value

    def fail(self, message: str) -> LoweringError:
        return LoweringError(f"{describe(self.op)}: {message}")

    def guard(self, checks: Sequence[Check]):
        """`with kc.guard([Check(ok, value, message), ...]):` the body runs only where
        every check holds; a failing one is reported and the call raises
        OutOfRangeError naming this node (lowering/runtime_checks.py)."""
        if self.checks is None:
            raise self.fail("this kernel cannot report run-time checks")
        return self.checks.guard(checks)


KernelLowering = Callable[[KernelContext], None]


def copy_kernel_body(src: SSAValue, dst: SSAValue) -> None:
    """dst[...] = src[...] for buffers of the same shape."""
    shape = dst.type.get_shape()
    with loop_nest(shape) as ivs:
        store(load(src, ivs), dst, ivs)
