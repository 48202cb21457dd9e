"""Strata's passes by name, for opt-tool and the pipelines."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from xdsl.passes import ModulePass

# pass name -> (module, class); imported only when the pass is used.
PASSES: dict[str, tuple[str, str]] = {
    # graph level, basic (-O1)
    "onnx-fold-constants": ("compiler.passes.fold_constants", "FoldConstantsPass"),
    "onnx-eliminate-redundant-nodes": ("compiler.passes.eliminate_redundant_nodes", "EliminateRedundantNodesPass"),
    "onnx-simplify-algebra": ("compiler.passes.simplify_algebra", "SimplifyAlgebraPass"),
    # graph level, extended (-O2)
    "onnx-fuse-conv-bn": ("compiler.passes.fuse_conv_bn", "FuseConvBnPass"),
    "onnx-fuse-gemm": ("compiler.passes.fuse_gemm", "FuseGemmPass"),
    "onnx-fuse-pad": ("compiler.passes.fuse_pad", "FusePadPass"),
    "onnx-fuse-activation": ("compiler.passes.fuse_activation", "FuseActivationPass"),
    "onnx-recompose-norms": ("compiler.passes.recompose_norms", "RecomposeNormsPass"),
    "onnx-recompose-gelu": ("compiler.passes.recompose_gelu", "RecomposeGeluPass"),
    "onnx-recompose-swish": ("compiler.passes.recompose_swish", "RecomposeSwishPass"),
    "onnx-recompose-attention": ("compiler.passes.recompose_attention", "RecomposeAttentionPass"),
    # graph level, layout (-O3)
    "onnx-layout-nchwc": ("compiler.passes.layout_nchwc", "LayoutNchwcPass"),
    # graph -> loops
    "fuse-kernels": ("lowering.fuse_kernels", "FuseKernelsPass"),
    "convert-onnx-to-loops": ("lowering.convert_onnx_to_loops", "ConvertOnnxToLoopsPass"),
    "math-polynomial-approximation": ("lowering.math_approximation", "MathPolynomialApproximationPass"),
    "dedupe-kernels": ("lowering.dedupe_kernels", "DedupeKernelsPass"),
    "plan-memory": ("lowering.plan_memory", "PlanMemoryPass"),
    # profiling only (CompiledModel.profile)
    "insert-kernel-timestamps": ("lowering.kernel_timestamps", "InsertKernelTimestampsPass"),
}


def pass_class(name: str) -> type[ModulePass]:
    module, cls = PASSES[name]
    found = getattr(importlib.import_module(module), cls)
    if found.name != name:  # opt-tool's -p and xDSL's pipeline printer must agree on one name
        raise ValueError(f"pass registry: {module}.{cls} is named {found.name!r}, registered as {name!r}")
    return found


def strata_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    """Pass name -> factory returning the pass class (imported lazily), for xDSL's
    opt main."""
    return {name: (lambda name=name: pass_class(name)) for name in PASSES}
