"""Shared base of the `strata` dialect: ops Strata creates that have no standard ONNX
operator at opset 21 (fused Conv/Gemm/MatMul with an epilogue, recomposed blocks,
blocked-layout ops, fused-kernel groups).

A `strata` op that can appear in an optimized ONNX model (`compiler.optimize`,
`opt-tool --emit=onnx`) says how to write it with standard ONNX ops: `decompose`. The
exporter turns each distinct decomposition into a model-local ONNX function in the
`strata` domain, so the optimized model keeps one node per fused op and still loads
in onnxruntime (which inlines local functions) with the same results.
"""

from __future__ import annotations

import onnx

from dialects.onnx.base import OnnxOp


class StrataOp(OnnxOp):
    """Base of graph-level `strata` ops (Pure, like every onnx op)."""

    def decompose(self, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        """Standard ONNX (opset 21) nodes that compute this op.

        `inputs` has one name per operand in definition order ("" for an absent optional
        operand), `outputs` one per result. Intermediate names must start with "_t" so
        they cannot clash with the formal names. Ops that never reach export (kernel
        groups formed just before lowering) need not implement it.
        """
        raise NotImplementedError(f"{self.name} has no ONNX decomposition")
