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

import onnx
from onnx import helper
from xdsl.dialects.builtin import StringAttr, TensorType, UnitAttr
from xdsl.ir import Attribute, Operation, SSAValue
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

from dialects.onnx.base import node_name, onnx_attribute
from dialects.strata.base import StrataOp


@irdl_op_definition
class FusedKernelOp(StrataOp):
    """A group of onnx ops that becomes one kernel (see the module docstring)."""

    name = "strata.FusedKernel"

    inputs = var_operand_def(TensorType)
    outputs = var_result_def(TensorType)
    body = region_def("single_block")

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

    def decompose(self, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        """The grouped ops themselves, as standard ONNX nodes (a strata member as its own
        decomposition, its intermediates renamed apart)."""
        names: dict[SSAValue, str] = dict(zip(self.body.block.args, inputs))
        names.update(zip(self.yield_op().operands, outputs))
        counter = 0

        def name_of(v: SSAValue) -> str:
            nonlocal counter
            if v not in names:
                names[v] = f"_t{counter}"
                counter += 1
            return names[v]

        nodes: list[onnx.NodeProto] = []
        for position, op in enumerate(self.inner_ops()):
            assert isinstance(op, IRDLOperation)
            defs = op.get_irdl_definition()
            ins = _slots(op, defs.operands, name_of)
            outs = _slots(op, defs.results, name_of)
            if isinstance(op, StrataOp):
                padded = ins + [""] * (len(defs.operands) - len(ins))
                nodes.extend(_renamed(op.decompose(padded, outs), set(ins) | set(outs), f"_tm{position}"))
                continue
            node = helper.make_node(op.name.removeprefix("onnx."), ins, outs, name=node_name(op))
            node.attribute.extend(
                onnx_attribute(k, v) for k, v in sorted(op.properties.items()) if k not in ("operandSegmentSizes", "resultSegmentSizes")
            )
            nodes.append(node)
        return nodes


@irdl_op_definition
class KernelYieldOp(IRDLOperation):
    """The values a `strata.FusedKernel` group gives to the rest of the graph."""

    name = "strata.KernelYield"

    values = var_operand_def(TensorType)

    traits = traits_def(IsTerminator(), HasParent(FusedKernelOp), Pure())

    def __init__(self, values: list[SSAValue]):
        super().__init__(operands=[values])


def _slots(op: IRDLOperation, slots, name_of) -> list[str]:
    """ONNX input/output names: "" for an absent optional, trailing "" dropped."""
    out: list[str] = []
    for slot, _ in slots:
        v = getattr(op, slot)
        if v is None:
            out.append("")
        elif isinstance(v, SSAValue):
            out.append(name_of(v))
        else:
            out.extend(name_of(x) for x in v)
    while out and out[-1] == "":
        out.pop()
    return out


def _renamed(nodes: list[onnx.NodeProto], keep: set[str], prefix: str) -> list[onnx.NodeProto]:
    """A member's decomposition with its own intermediates ("_t...", not one of `keep`)
    prefixed, so two members' intermediates cannot share a name."""

    def rename(n: str) -> str:
        return f"{prefix}{n}" if n.startswith("_t") and n not in keep else n

    for node in nodes:
        node.input[:] = [rename(n) for n in node.input]
        node.output[:] = [rename(n) for n in node.output]
    return nodes
