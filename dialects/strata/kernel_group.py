"""The fused-kernel group op: graph ops that become one kernel.

`strata.FusedKernel` holds a group of graph-level `onnx` ops in its single-block region.
The block's arguments stand for the group's external inputs (the op's operands, one per
distinct value, in the same order); the block ends with `strata.KernelYield` of the
values the group produces for the rest of the graph (the op's results, in order). Every
value computed inside is otherwise private to the group: a backend (the CPU loop
lowering, later a Triton generator) may keep it in registers.

Members are `onnx` ops and graph-level `strata` ops (a strata.FusedConv with an
elementwise epilogue), never another group. The op says nothing about how to run the
group; it only records what is in it. Which groups are legal and profitable is
decided by the `fuse-kernels` pass (lowering/fuse_kernels.py), which also marks purely
elementwise groups with the unit attribute `strata.elementwise`.

```
%r = "strata.FusedKernel"(%x, %b) ({
^bb0(%x1: tensor<2x3xf32>, %b1: tensor<3xf32>):
  %s = "onnx.Add"(%x1, %b1) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %y = "onnx.Relu"(%s) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  "strata.KernelYield"(%y) : (tensor<2x3xf32>) -> ()
}) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
```
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import StringAttr, TensorType, UnitAttr
from xdsl.ir import Attribute, Operation, Region, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    region_def,
    traits_def,
    var_operand_def,
    var_result_def,
)
from xdsl.traits import HasParent, IsTerminator, Pure
from xdsl.utils.exceptions import VerifyException

from dialects.onnx.base import node_name
from dialects.strata.base import StrataOp


@irdl_op_definition
class FusedKernelOp(StrataOp):
    """A group of onnx ops that becomes one kernel (see the module docstring)."""

    name = "strata.FusedKernel"

    inputs = var_operand_def(TensorType)
    outputs = var_result_def(TensorType)
    body = region_def("single_block")

    def __init__(self, inputs: Sequence[SSAValue], result_types: Sequence[Attribute], body: Region) -> None:
        """The group over `body` (its block's arguments stand for `inputs`; it ends
        with a KernelYield of values of `result_types`)."""
        super().__init__(operands=[list(inputs)], result_types=[list(result_types)], regions=[body])

    def inner_ops(self) -> list[Operation]:
        """The grouped ops in order, without the terminator."""
        return [op for op in self.body.block.ops if not isinstance(op, KernelYieldOp)]

    def yield_op(self) -> KernelYieldOp:
        last = self.body.block.last_op
        assert isinstance(last, KernelYieldOp)
        return last

    def op_types(self) -> list[str]:
        return [op.name.removeprefix("onnx.").removeprefix("strata.") for op in self.inner_ops()]

    def kernel_attributes(self) -> dict[str, Attribute]:
        """Attributes of the kernel func.func this group lowers to: the fused node names
        (comma-separated), `Fused(Add,Relu)` as the op type, and `strata.elementwise`
        when the group has only elementwise ops."""
        attrs: dict[str, Attribute] = {
            "strata.onnx_node": StringAttr(",".join(node_name(op) for op in self.inner_ops())),
            "strata.onnx_op": StringAttr(f"Fused({','.join(self.op_types())})"),
        }
        if "strata.elementwise" in self.attributes:
            attrs["strata.elementwise"] = UnitAttr()
        return attrs

    def verify_(self) -> None:
        block = self.body.block
        if [a.type for a in block.args] != [o.type for o in self.operands]:
            raise VerifyException("strata.FusedKernel: block argument types must match the operand types")
        last = block.last_op
        if not isinstance(last, KernelYieldOp):
            raise VerifyException("strata.FusedKernel: the body must end with strata.KernelYield")
        if [v.type for v in last.operands] != [r.type for r in self.results]:
            raise VerifyException("strata.FusedKernel: yielded types must match the result types")
        for op in self.inner_ops():
            graph_op = op.name.startswith("onnx.") or (isinstance(op, StrataOp) and not isinstance(op, FusedKernelOp))
            if not graph_op or op.name == "onnx.Constant":
                raise VerifyException(f"strata.FusedKernel: {op.name} cannot be part of a kernel group")


@irdl_op_definition
class KernelYieldOp(IRDLOperation):
    """The values a `strata.FusedKernel` group gives to the rest of the graph."""

    name = "strata.KernelYield"

    values = var_operand_def(TensorType)

    traits = traits_def(IsTerminator(), HasParent(FusedKernelOp), Pure())

    def __init__(self, values: list[SSAValue]):
        super().__init__(operands=[values])
