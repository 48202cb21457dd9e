"""Per-kernel profile of a model: where the time goes, kernel by kernel.

    python -m tools.profile model.onnx --input-shape x=1,3,224,224 [--runs N] [--trace out.json]
    python -m tools.profile resnet50            # a model of tools/real_models.py (exported once)
    python -m tools.profile small_cnn           # an example model
    python -m tools.profile resnet50 --ort      # + onnxruntime's own profile by op type

Compiles the model, runs `CompiledModel.profile(feeds, runs)` and prints the slowest
kernel calls (median ms, share, the ONNX nodes each runs, GFLOP/s or GB/s) and the time
per op type. `--trace` writes a Chrome trace (JSON) that Perfetto (ui.perfetto.dev) or
chrome://tracing opens. Inputs are random: standard normal floats, integers 0 or 1
(valid token ids and attention masks); real models use their own inputs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import onnx

import compiler
from tools.benchmark import compile_options, cpu_description
from tools.example_models import EXAMPLES, example_inputs


def random_inputs(model: onnx.ModelProto, shapes: dict[str, list[int]], seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    inits = {t.name for t in model.graph.initializer}
    feeds = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        dims = shapes.get(vi.name) or [d.dim_value for d in vi.type.tensor_type.shape.dim]
        if any(d <= 0 for d in dims):
            raise SystemExit(f"input '{vi.name}' has a symbolic dim: give --input-shape {vi.name}=D0,D1,...")
        dtype = onnx.helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)
        if np.issubdtype(dtype, np.floating):
            feeds[vi.name] = rng.standard_normal(dims).astype(dtype)
        else:
            feeds[vi.name] = rng.integers(0, 2, size=dims).astype(dtype)
    return feeds


def load(target: str, input_shapes: list[str]) -> tuple[str, onnx.ModelProto, dict[str, np.ndarray]]:
    """(name, model, feeds) for an example name, a real-model name or an .onnx path."""
    from tools import real_models

    if target in EXAMPLES:
        return target, EXAMPLES[target][0](), example_inputs(target)
    if target in real_models.REAL_MODELS:
        return target, onnx.load(real_models.export(target)), real_models.feeds(target)
    if not os.path.exists(target):
        known = ", ".join([*EXAMPLES, *real_models.REAL_MODELS])
        raise SystemExit(f"no such file '{target}' (or give one of: {known})")
    shapes = {}
    for s in input_shapes:
        name, _, dims = s.partition("=")
        shapes[name] = [int(d) for d in dims.split(",")]
    model = onnx.load(target)
    return os.path.basename(target).removesuffix(".onnx"), model, random_inputs(model, shapes)


def ort_op_times(model: onnx.ModelProto, feeds: dict[str, np.ndarray], runs: int, threads: int) -> list[tuple[str, int, float]]:
    """onnxruntime's own profile (enable_profiling) of the same model and inputs:
    (op type, nodes, ms) per op type after its graph optimizations, slowest first; each
    node's median kernel time over `runs` runs."""
    import json
    import tempfile

    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    with tempfile.TemporaryDirectory() as folder:
        opts.enable_profiling = True
        opts.profile_file_prefix = os.path.join(folder, "ort")
        sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        sess.run(None, feeds)  # warm-up, dropped below
        for _ in range(runs):
            sess.run(None, feeds)
        with open(sess.end_profiling()) as f:
            events = json.load(f)
    per_node: dict[str, tuple[str, list[float]]] = {}
    for e in events:
        if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time"):
            op = e.get("args", {}).get("op_name", "?")
            per_node.setdefault(e["name"], (op, []))[1].append(e["dur"] / 1e3)
    by_op: dict[str, list[float]] = {}
    for op, times in per_node.values():
        by_op.setdefault(op, []).append(float(np.median(times[1:] if len(times) > 1 else times)))
    return sorted(((op, len(t), sum(t)) for op, t in by_op.items()), key=lambda r: -r[2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="an .onnx file, or the name of an example or real model")
    parser.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0,D1,...")
    parser.add_argument("--runs", type=int, default=10, help="profiled runs (medians are reported)")
    parser.add_argument("--top", type=int, default=15, help="kernel calls to list (0: all)")
    parser.add_argument("--trace", metavar="OUT.json", help="write a Chrome trace of the runs")
    parser.add_argument("--threads", type=int, default=1, help="compile(num_threads=N) and onnxruntime's intra-op threads (default 1)")
    parser.add_argument("--ort", action="store_true", help="also print onnxruntime's own profile by op type (enable_profiling)")
    args = parser.parse_args(argv)

    name, model, feeds = load(args.model, args.input_shape)
    t = time.perf_counter()
    shapes = {k: list(v.shape) for k, v in feeds.items()}
    compiled = compiler.compile(model, input_shapes=shapes, **compile_options(args.threads))
    compile_s = time.perf_counter() - t
    t = time.perf_counter()
    profile = compiled.profile(feeds, runs=args.runs)
    profile_s = time.perf_counter() - t
    print(f"cpu: {cpu_description()}")
    options = compile_options(args.threads)
    print(f"threads: {f'compile(num_threads={args.threads})' if options else '1 (compile() has no num_threads)'}")
    print(f"model: {name}   inputs: {', '.join(f'{k}{list(v.shape)}' for k, v in feeds.items())}   "
          f"{compiled.stats['kernels']} kernels, {len(profile.calls)} kernel calls   "
          f"compile {compile_s:.1f} s, profiled build + runs {profile_s:.1f} s")
    print()
    print(profile.table(args.top or None))
    print()
    print(profile.op_table())
    if args.ort:
        rows = ort_op_times(model, feeds, args.runs, args.threads)
        total = sum(ms for _, _, ms in rows) or 1.0
        print(f"\nonnxruntime's profile, same inputs ({args.threads} intra-op threads): nodes {total:.3f} ms (sum of medians)\n")
        print("| ORT op | nodes | ms | share |\n|---|---|---|---|")
        for op, n, ms in rows:
            print(f"| {op} | {n} | {ms:.3f} | {100 * ms / total:.1f} % |")
    if args.trace:
        profile.write_trace(args.trace, name)
        print(f"\ntrace: {args.trace} ({profile.runs} runs; open in ui.perfetto.dev or chrome://tracing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
