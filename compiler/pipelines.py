"""Graph-level pass pipelines by optimization level (-O0 .. -O3)."""

from __future__ import annotations

from xdsl.passes import ModulePass, PassPipeline
from xdsl.transforms.canonicalize import CanonicalizePass
from xdsl.transforms.common_subexpression_elimination import CommonSubexpressionElimination
from xdsl.transforms.dead_code_elimination import DeadCodeElimination


def graph_passes(opt_level: int) -> list[ModulePass]:
    """-O0 runs nothing; -O1 and above remove redundant nodes, simplify algebra, then
    clean up with canonicalize, cse and dce. (Folding, fusion and layout passes join the
    higher levels as they are built.)"""
    from compiler.passes.eliminate_redundant_nodes import EliminateRedundantNodesPass
    from compiler.passes.simplify_algebra import SimplifyAlgebraPass

    if opt_level <= 0:
        return []
    return [
        EliminateRedundantNodesPass(),
        SimplifyAlgebraPass(),
        CanonicalizePass(),
        CommonSubexpressionElimination(),
        DeadCodeElimination(),
    ]


def graph_pipeline(opt_level: int) -> PassPipeline:
    return PassPipeline(tuple(graph_passes(opt_level)))
