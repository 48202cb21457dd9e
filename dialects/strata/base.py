"""Shared base of the `strata` dialect: ops Strata creates that have no standard ONNX
operator at opset 21 (fused Conv/Gemm/MatMul with an epilogue, recomposed blocks,
blocked-layout ops, fused-kernel groups).

Element types are declared as in the `onnx` dialect (dialects/onnx/base.py): a type
variable `T: ClassVar = VarConstraint("T", FLOAT_TYPES)` and `operand_def(tensor_of(T))`
for each operand/result it types, so a failed constraint is reported in the same words
("strata.FusedGemm: A must have a floating-point element type, got i32"), with the
operand names an op lists in FORMAL_NAMES (the names its own verifier messages use).

A `strata` op that can appear in an optimized ONNX model (`compiler.optimize`,
`opt-tool --emit=onnx`) is written with standard ONNX ops by the exporter
(compiler/onnx_export.py, `DECOMPOSITIONS`), which turns each distinct decomposition
into a model-local ONNX function in the `strata` domain, so the optimized model keeps
one node per fused op and still loads in onnxruntime (which inlines local functions)
with the same results. The dialect holds no export code.
"""

from __future__ import annotations

from dialects.onnx.base import OnnxOp


def upper_names(*def_names: str) -> dict[str, str]:
    """FORMAL_NAMES that spell each def name in capitals, as ONNX does (x -> X)."""
    return {n: n.upper() for n in def_names}


class StrataOp(OnnxOp):
    """Base of graph-level `strata` ops (Pure, like every onnx op)."""
