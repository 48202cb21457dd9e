"""Compiles models with Strata and runs them beside onnxruntime (1 thread each, same
inputs, same process) and prints a table: compile time by stage, kernels, max abs error
vs onnxruntime, latency of both and the ratio.

    python -m tools.benchmark                       # the example models
    python -m tools.benchmark --light squeezenet    # + onnx's light models matching a name
    python -m tools.benchmark --light all
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time

import numpy as np
import onnx

import compiler
from tools.example_models import EXAMPLES, example_inputs


def light_models(pattern: str) -> list[str]:
    folder = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")
    paths = sorted(glob.glob(os.path.join(folder, "*.onnx")))
    return paths if pattern == "all" else [p for p in paths if pattern in os.path.basename(p)]


def random_feeds(model: onnx.ModelProto, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    inits = {t.name for t in model.graph.initializer}
    feeds = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        dims = [d.dim_value or 1 for d in tt.shape.dim]
        feeds[vi.name] = rng.standard_normal(dims).astype(onnx.helper.tensor_dtype_to_np_dtype(tt.elem_type))
    return feeds


def best_time(fn, repeat: int, budget_s: float = 5.0) -> float:
    fn()  # warm up
    times = []
    start = time.perf_counter()
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if time.perf_counter() - start > budget_s:
            break
    return min(times)


def ort_session(model: onnx.ModelProto):
    """An onnxruntime CPU session on one thread (all graph optimizations)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def max_abs_error(got, expected) -> float:
    return max(
        (float(np.max(np.abs(np.asarray(g, np.float64) - np.asarray(e, np.float64)))) if np.size(g) else 0.0)
        for g, e in zip(got, expected)
    )


def measure(name: str, model: onnx.ModelProto, feeds: dict[str, np.ndarray], repeat: int) -> dict:
    shapes = {k: list(v.shape) for k, v in feeds.items()}
    t = time.perf_counter()
    compiled = compiler.compile(model, input_shapes=shapes)
    compile_s = time.perf_counter() - t
    sess = ort_session(model)
    expected = sess.run(None, feeds)
    err = max_abs_error(compiled.run(feeds), expected)
    ort_s = best_time(lambda: sess.run(None, feeds), repeat)
    strata_s = best_time(lambda: compiled.run(feeds), repeat)
    seconds = compiled.stats["seconds"]
    return {
        "model": name,
        "nodes": len(model.graph.node),
        "kernels": compiled.stats["kernels"],
        "compile_s": compile_s,
        "llvm_s": seconds.get("LLVM compile", 0.0),
        "err": err,
        "ort_ms": ort_s * 1e3,
        "strata_ms": strata_s * 1e3,
    }


def benchmark_jobs(examples: bool, light: str) -> list[tuple[str, onnx.ModelProto, dict[str, np.ndarray]]]:
    """(name, model, feeds) for the example models (when `examples`) and onnx's light
    models whose file name contains `light` ('all' for every one, '' for none)."""
    jobs = []
    if examples:
        jobs += [(n, EXAMPLES[n][0](), example_inputs(n)) for n in EXAMPLES]
    if light:
        for path in light_models(light):
            model = onnx.load(path)
            jobs.append((os.path.basename(path).removesuffix(".onnx"), model, random_feeds(model)))
    return jobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--light", default="", help="also run onnx's light models whose file name contains this ('all' for every one)")
    parser.add_argument("--no-examples", action="store_true", help="skip the example models")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per model (best is reported)")
    args = parser.parse_args(argv)

    jobs = benchmark_jobs(not args.no_examples, args.light)
    print("| model | ONNX nodes | kernels | compile s (LLVM s) | max abs err vs ORT | ORT ms | Strata ms | Strata / ORT |")
    print("|---|---|---|---|---|---|---|---|")
    for name, model, feeds in jobs:
        try:
            r = measure(name, model, feeds, args.repeat)
        except compiler.StrataError as e:
            print(f"| {name} | {len(model.graph.node)} | - | not compiled: {str(e).splitlines()[0][:80]} | | | | |")
            continue
        print(
            f"| {r['model']} | {r['nodes']} | {r['kernels']} | {r['compile_s']:.2f} ({r['llvm_s']:.2f}) | {r['err']:.1e} "
            f"| {r['ort_ms']:.3f} | {r['strata_ms']:.3f} | {r['strata_ms'] / r['ort_ms']:.2f}x |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
