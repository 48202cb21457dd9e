"""Memory plans of the example models and onnx's light models: kernels, the bytes of all
intermediates (naive: one buffer each), the planned arena, the lower bound (most bytes
live at once over the schedule) and arena / lower bound, with onnxruntime's latency next
to Strata's on the same inputs in the same run (1 thread each).

    python -m tools.memory_report                  # examples + every light model
    python -m tools.memory_report --light resnet   # light models whose name matches
    python -m tools.memory_report --no-latency     # plans only (no LLVM, fast)
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import onnx

import compiler
from tools.benchmark import benchmark_jobs, best_time, max_abs_error, ort_session


def _mib(n: int) -> str:
    return f"{n / 2**20:.2f}"


def plan_only(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> dict:
    """The plan's numbers without compiling machine code."""
    from compiler.driver import lower_to_loops
    from compiler.context import make_context
    from compiler.onnx_import import import_model
    from compiler.pipelines import graph_pipeline
    from xdsl.dialects import func

    ctx = make_context()
    module = import_model(model, ctx.weights, {k: list(v.shape) for k, v in feeds.items()})
    graph_pipeline(3, []).apply(ctx, module)
    lower_to_loops(module, ctx)
    kernels = sum(1 for op in module.ops if isinstance(op, func.FuncOp)) - 1
    return {"kernels": kernels, **ctx.report}


def measure(model: onnx.ModelProto, feeds: dict[str, np.ndarray], repeat: int) -> dict:
    compiled = compiler.compile(model, input_shapes={k: list(v.shape) for k, v in feeds.items()}, num_threads=1)
    sess = ort_session(model)
    expected = sess.run(None, feeds)
    err = max_abs_error(compiled.run(feeds), expected)
    stats = compiled.stats
    return {
        "kernels": stats["kernels"],
        "naive_bytes": stats["naive_bytes"],
        "arena_bytes": stats["arena_bytes"],
        "lower_bound_bytes": stats["lower_bound_bytes"],
        "err": err,
        "ort_ms": best_time(lambda: sess.run(None, feeds), repeat) * 1e3,
        "strata_ms": best_time(lambda: compiled.run(feeds), repeat) * 1e3,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--light", default="all", help="light models whose file name contains this ('' for none)")
    parser.add_argument("--no-examples", action="store_true", help="skip the example models")
    parser.add_argument("--no-latency", action="store_true", help="plan only: no machine code, no timing")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs per model (best is reported)")
    args = parser.parse_args(argv)

    jobs = benchmark_jobs(not args.no_examples, args.light)

    head = "| model | kernels | naive MiB | arena MiB | lower bound MiB | arena / lower bound | arena / naive |"
    if not args.no_latency:
        head += " max abs err vs ORT | ORT ms | Strata ms | Strata / ORT |"
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for name, model, feeds in jobs:
        try:
            r = plan_only(model, feeds) if args.no_latency else measure(model, feeds, args.repeat)
        except compiler.StrataError as e:
            print(f"| {name} | not compiled: {str(e).splitlines()[0][:80]} |")
            continue
        lb, arena, naive = r["lower_bound_bytes"], r["arena_bytes"], r["naive_bytes"]
        line = (
            f"| {name} | {r['kernels']} | {_mib(naive)} | {_mib(arena)} | {_mib(lb)} "
            f"| {arena / lb if lb else 1.0:.3f} | {arena / naive if naive else 1.0:.3f} |"
        )
        if not args.no_latency:
            line += f" {r['err']:.1e} | {r['ort_ms']:.3f} | {r['strata_ms']:.3f} | {r['strata_ms'] / r['ort_ms']:.2f}x |"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
