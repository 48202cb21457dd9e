"""Graph-level pass pipelines by optimization level (-O0 .. -O3)."""

from __future__ import annotations

from xdsl.passes import ModulePass, PassPipeline
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination
from xdsl.transforms.dead_code_elimination import DeadCodeElimination


def graph_passes(opt_level: int) -> list[ModulePass]:
    """-O0 runs nothing; -O1 (basic) folds constants, removes redundant nodes and
    simplifies algebra; -O2 (extended) adds fusions (Conv + BN/Add/Mul); every level
    then cleans up with canonicalize, cse and dce. (-O3 adds layout passes once built.)"""
    from compiler.passes.eliminate_redundant_nodes import EliminateRedundantNodesPass
    from compiler.passes.fold_constants import FoldConstantsPass
    from compiler.passes.fuse_conv_bn import FuseConvBnPass
    from compiler.passes.simplify_algebra import SimplifyAlgebraPass

    if opt_level <= 0:
        return []
    basic: list[ModulePass] = [FoldConstantsPass(), EliminateRedundantNodesPass(), SimplifyAlgebraPass()]
    extended: list[ModulePass] = [FuseConvBnPass()] if opt_level >= 2 else []
    cleanup: list[ModulePass] = [CanonicalizePass(), CommonSubexpressionElimination(), DeadCodeElimination()]
    return basic + extended + cleanup


def graph_pipeline(opt_level: int) -> PassPipeline:
    return PassPipeline(tuple(graph_passes(opt_level)))
