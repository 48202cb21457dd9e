"""Compares Strata's ONNX-to-ONNX optimizer (`compiler.optimize.optimize`) with
onnxruntime's own graph optimizer and prints a markdown table: node count of the model,
of Strata's -O1/-O2/-O3 exported models and of onnxruntime's ORT_ENABLE_EXTENDED
optimized model (`optimized_model_filepath`), and whether Strata's -O3 model gives the
outputs onnxruntime gives on the original (max abs error on random inputs).

Nodes are counted in the graph (`len(graph.node)`); initializers are not nodes. Nothing
is compiled to machine code, so 224x224 models take seconds.

    python -m tools.optimize_report                      # onnx's light models + the example models
    python -m tools.optimize_report --models squeezenet  # only models whose name contains this
    python -m tools.optimize_report --real efficientnet_b0,mobilenetv3_large_100   # timm / torchvision / transformers
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Mapping

import numpy as np
import onnx

from dialects.errors import StrataError
from compiler.optimize import optimize
from tools.benchmark import light_models, random_feeds
from tools.example_models import EXAMPLES, example_inputs

# Strata's -O3 model "matches" when max |strata - ort| <= ATOL + RTOL * max |ort|.
RTOL, ATOL = 1e-4, 1e-4


def _session(model_or_path, optimized_path: str | None = None, level=None):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    if level is not None:
        opts.graph_optimization_level = level
    if optimized_path is not None:
        opts.optimized_model_filepath = optimized_path
    src = model_or_path.SerializeToString() if isinstance(model_or_path, onnx.ModelProto) else model_or_path
    return ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"])


def ort_extended_node_count(model: onnx.ModelProto) -> int:
    """Node count of the model onnxruntime writes after ORT_ENABLE_EXTENDED."""
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "ort_extended.onnx")
        _session(model, path, ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED)
        return len(onnx.load(path, load_external_data=False).graph.node)


def max_abs_error(got: list[np.ndarray], expected: list[np.ndarray]) -> tuple[float, bool]:
    err, ok = 0.0, len(got) == len(expected)
    for g, e in zip(got, expected):
        g, e = np.asarray(g), np.asarray(e)
        if g.shape != e.shape:
            return float("inf"), False
        if not g.size:
            continue
        if e.dtype.kind in "fc":
            d = float(np.max(np.abs(g.astype(np.float64) - e.astype(np.float64))))
            scale = float(np.max(np.abs(e.astype(np.float64))))
        else:
            d = float(np.max(np.abs(g.astype(np.int64) - e.astype(np.int64)))) if e.dtype != bool else float(np.any(g != e))
            scale = 0.0
        err = max(err, d)
        ok = ok and d <= ATOL + RTOL * scale
    return err, ok


def report_row(name: str, model: onnx.ModelProto, feeds: Mapping[str, np.ndarray]) -> str:
    start = time.perf_counter()
    shapes = {k: list(v.shape) for k, v in feeds.items()}
    before = len(model.graph.node)
    try:
        optimized = {level: optimize(model, level, shapes) for level in (1, 2, 3)}
    except StrataError as e:
        reason = str(e).splitlines()[0][:100]
        return f"| {name} | {before} | skipped: {type(e).__name__}: {reason} | | | | | |"
    counts = [len(optimized[level].graph.node) for level in (1, 2, 3)]
    try:
        ort_count = str(ort_extended_node_count(model))
    except Exception as e:  # onnxruntime cannot load the original
        ort_count = f"ORT failed: {type(e).__name__}"
    try:
        expected = _session(model).run(None, dict(feeds))
        got = _session(optimized[3]).run(None, dict(feeds))
        err, ok = max_abs_error(got, expected)
        match = f"{'yes' if ok else 'NO'} ({err:.1e})"
    except Exception as e:
        match = f"NO ({type(e).__name__}: {str(e).splitlines()[0][:80]})"
    seconds = time.perf_counter() - start
    return f"| {name} | {before} | {counts[0]} | {counts[1]} | {counts[2]} | {ort_count} | {match} | {seconds:.1f} |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="", help="only models whose name contains this substring")
    parser.add_argument(
        "--real", default="", metavar="NAMES",
        help="only these real architectures of tools/real_models.py ('all' or comma-separated; exported into the cache if missing)",
    )
    args = parser.parse_args(argv)

    jobs = []
    if args.real:
        from tools import real_models
        from tools.benchmark import real_model_names

        for name in real_model_names(args.real):
            jobs.append((name, lambda name=name: (onnx.load(real_models.export(name)), real_models.feeds(name))))
    for path in light_models("all") if not args.real else []:
        name = os.path.basename(path).removesuffix(".onnx")
        if args.models in name:
            jobs.append((name, lambda path=path: (m := onnx.load(path), random_feeds(m))))
    for name in EXAMPLES if not args.real else []:
        if args.models in name:
            jobs.append((name, lambda name=name: (EXAMPLES[name][0](), example_inputs(name))))
    if not jobs:
        print(f"no model name contains '{args.models}'", file=sys.stderr)
        return 1

    print("| model | nodes | Strata -O1 | Strata -O2 | Strata -O3 | ORT extended | -O3 matches ORT (max abs err) | s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, load in jobs:
        model, feeds = load()
        print(report_row(name, model, feeds), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
