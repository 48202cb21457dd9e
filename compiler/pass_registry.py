"""Strata's passes by name, for opt-tool and the pipelines."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.passes import ModulePass


def strata_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Pass name -> factory returning the pass class (imported lazily)."""

    def lower():
        from lowering.onnx_to_loops import ConvertOnnxToLoopsPass

        return ConvertOnnxToLoopsPass

    def eliminate_redundant():
        from compiler.passes.eliminate_redundant_nodes import EliminateRedundantNodesPass

        return EliminateRedundantNodesPass

    def simplify_algebra():
        from compiler.passes.simplify_algebra import SimplifyAlgebraPass

        return SimplifyAlgebraPass

    def dedupe():
        from lowering.dedupe_kernels import DedupeKernelsPass

        return DedupeKernelsPass

    def fold_constants():
        from compiler.passes.fold_constants import FoldConstantsPass

        return FoldConstantsPass

    def fuse_conv_bn():
        from compiler.passes.fuse_conv_bn import FuseConvBnPass

        return FuseConvBnPass

    def fuse_gemm():
        from compiler.passes.fuse_gemm import FuseGemmPass

        return FuseGemmPass

    return {
        "dedupe-kernels": dedupe,
        "onnx-fuse-gemm": fuse_gemm,
        "onnx-fuse-conv-bn": fuse_conv_bn,
        "onnx-fold-constants": fold_constants,
        "onnx-eliminate-redundant-nodes": eliminate_redundant,
        "onnx-simplify-algebra": simplify_algebra,
        "convert-onnx-to-loops": lower,
    }
