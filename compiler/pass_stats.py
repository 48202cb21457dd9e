"""Statistics of a graph pipeline run: per pass wall time and the ONNX nodes it removed and
added (by op type), node counts before and after the whole pipeline, and how many
fixed-point iterations ran. `PipelineStats.to_dict()` is what `compile()` puts in
`CompiledModel.stats["graph_passes"]`; `format_stats()` is the table `opt-tool --stats` prints.

Per-pattern firing counts and the reasons patterns gave for not firing come from the
compile's PatternLog (`compiler/pattern_log.py`) and are printed after the pass table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects.builtin import ModuleOp

from compiler.pattern_log import PatternLog


def count_onnx_ops(module: ModuleOp) -> Counter[str]:
    """Graph node counts by op type: every `onnx.*` op by its ONNX name ("Conv",
    "Constant", ...) and every `strata.*` op by its full name ("strata.FusedConv")."""
    counts: Counter[str] = Counter()
    for op in module.walk():
        if op.name.startswith("onnx."):
            counts[op.name[5:]] += 1
        elif op.name.startswith("strata."):
            counts[op.name] += 1
    return counts


@dataclass
class PassRecord:
    """One pass, summed over every time it ran."""

    name: str
    runs: int = 0
    seconds: float = 0.0
    ops_before: int | None = None  # onnx nodes before its first run
    ops_after: int = 0  # ops_before plus every node it added, less every node it removed
    removed: Counter[str] = field(default_factory=Counter)  # by op type, summed over runs
    added: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "seconds": self.seconds,
            "ops_before": self.ops_before or 0,
            "ops_after": self.ops_after,
            "removed": dict(sorted(self.removed.items())),
            "added": dict(sorted(self.added.items())),
        }


@dataclass
class PipelineStats:
    max_iterations: int = 0
    iterations: int = 0
    converged: bool = True
    passes: dict[str, PassRecord] = field(default_factory=dict)
    ops_before: Counter[str] = field(default_factory=Counter)
    ops_after: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    patterns: PatternLog = field(default_factory=PatternLog)

    def record(self, name: str, seconds: float, before: Counter[str], after: Counter[str]) -> None:
        rec = self.passes.setdefault(name, PassRecord(name))
        rec.runs += 1
        rec.seconds += seconds
        if rec.ops_before is None:
            rec.ops_before = sum(before.values())
            rec.ops_after = rec.ops_before
        rec.ops_after += sum(after.values()) - sum(before.values())
        for op_type in before.keys() | after.keys():
            delta = after[op_type] - before[op_type]
            if delta < 0:
                rec.removed[op_type] += -delta
            elif delta > 0:
                rec.added[op_type] += delta

    def to_dict(self) -> dict[str, Any]:
        return {
            "iterations": self.iterations,
            "max_iterations": self.max_iterations,
            "converged": self.converged,
            "seconds": self.seconds,
            "passes": {name: rec.to_dict() for name, rec in self.passes.items()},
            "ops_before": dict(sorted(self.ops_before.items())),
            "ops_after": dict(sorted(self.ops_after.items())),
            "patterns": self.patterns.to_dict(),
        }


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return " | ".join(c.rjust(w) if c[:1].isdigit() else c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    return [line(header), "-+-".join("-" * w for w in widths), *(line(r) for r in rows)]


def _delta(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "-"


def format_stats(stats: PipelineStats | dict[str, Any]) -> str:
    """A readable table of `stats` (a PipelineStats or its to_dict())."""
    d = stats.to_dict() if isinstance(stats, PipelineStats) else stats
    conv = "converged" if d["converged"] else "stopped at the limit"
    lines = [
        f"=== graph pipeline statistics: {d['iterations']} iteration(s) of at most {d['max_iterations']} "
        f"({conv}), {d['seconds'] * 1e3:.1f} ms ===",
    ]
    rows = [
        [
            name,
            str(p["runs"]),
            f"{p['seconds'] * 1e3:.2f}",
            str(p["ops_before"]),
            str(p["ops_after"]),
            _delta(p["removed"]),
            _delta(p["added"]),
        ]
        for name, p in d["passes"].items()
    ]
    lines += _table(["pass", "runs", "time ms", "ops before", "ops after", "removed", "added"], rows)
    lines.append("")
    types = sorted(d["ops_before"].keys() | d["ops_after"].keys())
    rows = [[t, str(d["ops_before"].get(t, 0)), str(d["ops_after"].get(t, 0))] for t in types]
    rows.append(["total", str(sum(d["ops_before"].values())), str(sum(d["ops_after"].values()))])
    lines += _table(["op type", "before", "after"], rows)
    patterns = d.get("patterns", {"fired": {}, "missed": {}})
    lines.append("")
    rows = [[name, str(n)] for name, n in patterns["fired"].items()]
    lines += _table(["pattern fired", "times"], rows) if rows else ["no pattern fired"]
    rows = [
        [name, reason, str(info["count"]), ", ".join(info["nodes"])]
        for name, reasons in patterns["missed"].items()
        for reason, info in reasons.items()
    ]
    if rows:
        lines.append("")
        lines += _table(["pattern not fired", "why", "times", "at nodes (first few)"], rows)
    return "\n".join(lines)
