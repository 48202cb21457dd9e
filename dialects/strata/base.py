"""Shared base of the `strata` dialect: ops Strata creates that have no standard ONNX
operator at opset 21 (fused Conv/Gemm/MatMul with an epilogue, recomposed blocks,
blocked-layout ops, fused-kernel groups).

A `strata` op that can appear in an optimized ONNX model (`compiler.optimize`,
`opt-tool --emit=onnx`) is written with standard ONNX ops by the exporter
(compiler/onnx_export.py, `DECOMPOSITIONS`), which turns each distinct decomposition
into a model-local ONNX function in the `strata` domain, so the optimized model keeps
one node per fused op and still loads in onnxruntime (which inlines local functions)
with the same results. The dialect holds no export code.
"""

from __future__ import annotations

from dialects.onnx.base import OnnxOp


class StrataOp(OnnxOp):
    """Base of graph-level `strata` ops (Pure, like every onnx op)."""
