"""Which rewrite patterns fired, and why the others did not.

Every graph pass applies its patterns through `apply_patterns`, which counts each
successful rewrite under the pattern's class name. A pattern that finds a candidate
(say a Conv followed by BatchNormalization) but must leave it alone calls
`self.missed(op, reason)`; the log keeps, per pattern and reason, a count and the
first few ONNX node names, so `opt-tool --stats` can answer "why did my Conv+BN not
fuse?" The log lives in the compile's context (`StrataContext.pattern_log`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, Region
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriterListener, PatternRewriteWalker, RewritePattern
from xdsl.transforms.dead_code_elimination import is_trivially_dead

from dialects.onnx.base import node_name

EXAMPLES_KEPT = 3


@dataclass
class PatternLog:
    fired: Counter[str] = field(default_factory=Counter)
    # pattern -> reason -> [count, first node names]
    missed: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def fire(self, pattern: str) -> None:
        self.fired[pattern] += 1

    def miss(self, pattern: str, op: Operation, reason: str) -> None:
        entry = self.missed.setdefault(pattern, {}).setdefault(reason, [0, []])
        entry[0] += 1
        name = node_name(op)
        if len(entry[1]) < EXAMPLES_KEPT and name not in entry[1]:
            entry[1].append(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "fired": dict(sorted(self.fired.items())),
            "missed": {
                p: {r: {"count": c, "nodes": list(n)} for r, (c, n) in sorted(reasons.items())}
                for p, reasons in sorted(self.missed.items())
            },
        }


class LoggedPattern(RewritePattern):
    """A pattern that can say why it did not fire (`self.missed(op, reason)`).

    `log` is set by `apply_patterns`; without it (a pattern used on its own) misses are
    simply not recorded. A fixpoint walk visits an op many times, so a reason is counted
    once per visit, not once per op: read counts as "how often", node names as "where".
    """

    log: PatternLog | None = None

    def missed(self, op: Operation, reason: str) -> None:
        if self.log is not None:
            self.log.miss(type(self).__name__, op, reason)


@dataclass(eq=False, repr=False)
class _CountingApplier(RewritePattern):
    """Like xDSL's GreedyRewritePatternApplier (erase trivially dead ops, then the first
    pattern that rewrites wins), counting each rewrite under its pattern's name."""

    patterns: list[RewritePattern]
    log: PatternLog

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if is_trivially_dead(op):
            rewriter.erase(op)
            return
        for pattern in self.patterns:
            before = rewriter.has_done_action
            rewriter.has_done_action = False
            pattern.match_and_rewrite(op, rewriter)
            done = rewriter.has_done_action
            rewriter.has_done_action = before or done
            if done:
                self.log.fire(type(pattern).__name__)
                return


def pattern_log_of(ctx: Context) -> PatternLog:
    """The compile's log, or a throwaway one for a plain xDSL Context."""
    log = getattr(ctx, "pattern_log", None)
    return log if isinstance(log, PatternLog) else PatternLog()


def erase_dead_ops(region: Region, listener: PatternRewriterListener | None = None) -> bool:
    """Erases the ops of `region` that have no uses and no effects (xDSL's
    `is_trivially_dead`), users before their operands, so a dead chain goes in one
    walk; True when it erased any. What xDSL's `region_dce` does for the acyclic graphs
    the graph passes rewrite, without its whole-region liveness fixed point: that ran
    after every pattern walk (45 times a ResNet-50 compile) and was about a third of
    the graph passes' time. A dead cycle (not made by any ONNX graph) is left to it."""
    changed = False
    for block in region.blocks:
        for op in reversed(block.ops):
            if is_trivially_dead(op):
                if listener is not None:
                    listener.handle_operation_removal(op)
                block.erase_op(op, safe_erase=False)
                changed = True
            else:
                for r in op.regions:
                    changed |= erase_dead_ops(r, listener)
    return changed


def apply_patterns(ctx: Context, module: ModuleOp, patterns: list[RewritePattern]) -> None:
    """Applies `patterns` greedily to a fixed point over `module`, removing ops left dead,
    and records fires and misses in the context's pattern log."""
    log = pattern_log_of(ctx)
    for p in patterns:
        if isinstance(p, LoggedPattern):
            p.log = log
    PatternRewriteWalker(_CountingApplier(patterns, log), post_walk_func=erase_dead_ops).rewrite_module(module)
