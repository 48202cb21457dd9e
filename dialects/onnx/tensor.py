"""Constants and data-movement ONNX ops: Constant, Identity, Reshape, Transpose, Concat,
Split, Slice, Gather, Expand, Tile, Pad, Resize, Shape, ... ."""

from __future__ import annotations

from xdsl.irdl import IRDLOperation, irdl_op_definition, prop_def, result_def

from dialects.onnx.base import TensorConstraint, TensorDataAttr, fail


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """A tensor constant. `value` is an inline `dense<...>` for small tensors or a
    `dense_resource<handle>` whose data lives in the compile's weight table."""

    name = "onnx.Constant"
    value = prop_def(TensorDataAttr)
    output = result_def(TensorConstraint)

    def verify_(self) -> None:
        if self.value.get_type() != self.output.type:
            raise fail(self, f"value type {self.value.get_type()} differs from result type {self.output.type}")
