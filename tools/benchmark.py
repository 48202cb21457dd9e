"""Compiles models with Strata and runs them beside onnxruntime (1 thread each, same
inputs, same process) and prints a table: compile time by stage, kernels, max abs error
vs onnxruntime, latency of both and the ratio. The CPU is named above every table.

    python -m tools.benchmark                       # the example models
    python -m tools.benchmark --light squeezenet    # + onnx's light models matching a name
    python -m tools.benchmark --light all
    python -m tools.benchmark --no-examples --real all          # real architectures (timm,
    python -m tools.benchmark --no-examples --real resnet50,gpt2   # torchvision, transformers)
    python -m tools.benchmark --threads 2           # onnxruntime intra-op threads = 2, and
                                                    # compile(num_threads=2)
    python -m tools.benchmark --cpu znver3          # Strata built for an AVX2 CPU (compile(cpu=...))

`--real` models come from `tools/real_models.py` (exported once into the cache folder;
exporting needs the `bench` extra, running cached ones does not). `--threads` defaults
to 1; compile() gets num_threads when it has that parameter (a compile() without it
runs on one thread, and then only --threads 1 is accepted).
"""

from __future__ import annotations

import argparse
import glob
import inspect
import os
import sys
import time

import numpy as np
import onnx

import compiler
from tools.example_models import EXAMPLES, example_inputs


def cpuinfo() -> dict[str, str]:
    """The first processor's fields in /proc/cpuinfo ("model name", "cpu family", ...);
    empty where there is no such file."""
    info: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if not line.strip():
                    break  # the first processor is enough
                key, _, value = line.partition(":")
                info[key.strip()] = value.strip()
    except OSError:
        pass
    return info


def cpu_description() -> str:
    """The host CPU as LLVM and /proc/cpuinfo name it, its vector ISA and usable cores."""
    import llvmlite.binding as llvm

    info = cpuinfo()
    features = llvm.get_host_cpu_features()
    isa = "AVX-512F" if features.get("avx512f") else "AVX2+FMA" if features.get("avx2") and features.get("fma") else "no AVX2"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    name = info.get("model name", "unknown CPU")
    family = f" (family {info['cpu family']}, model {info.get('model', '?')})" if "cpu family" in info else ""
    return f"{name}{family}, LLVM host CPU {llvm.get_host_cpu_name()}, {isa}, {cores} cores"


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


def ort_session(model: onnx.ModelProto, threads: int = 1):
    """An onnxruntime CPU session on `threads` intra-op threads (all graph optimizations)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def max_abs_error(got, expected) -> float:
    return max(
        (float(np.max(np.abs(np.asarray(g, np.float64) - np.asarray(e, np.float64)))) if np.size(g) else 0.0)
        for g, e in zip(got, expected)
    )


def compile_options(threads: int, cpu: str | None = None) -> dict:
    """compile(num_threads=threads[, cpu=cpu]) when compile() has that parameter; without
    it compile() runs on one thread, so only threads == 1 works."""
    params = inspect.signature(compiler.compile).parameters
    if cpu is not None and "cpu" not in params:
        raise SystemExit("this compiler.compile() has no cpu parameter: --cpu does not work")
    extra = {"cpu": cpu} if cpu is not None else {}
    if "num_threads" not in params:
        if threads != 1:
            raise SystemExit("this compiler.compile() has no num_threads parameter: only --threads 1 works")
        return extra
    return {"num_threads": threads, **extra}


def measure(
    name: str, model: onnx.ModelProto, feeds: dict[str, np.ndarray], repeat: int, threads: int = 1,
    cpu: str | None = None,
) -> dict:
    shapes = {k: list(v.shape) for k, v in feeds.items()}
    t = time.perf_counter()
    compiled = compiler.compile(model, input_shapes=shapes, **compile_options(threads, cpu))
    compile_s = time.perf_counter() - t
    sess = ort_session(model, threads)
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


def real_model_names(spec: str) -> list[str]:
    """Names of tools/real_models.py for `--real` ('all', or comma-separated names)."""
    from tools.real_models import REAL_MODELS

    if not spec:
        return []
    names = list(REAL_MODELS) if spec == "all" else spec.split(",")
    unknown = [n for n in names if n not in REAL_MODELS]
    if unknown:
        raise SystemExit(f"unknown real models {unknown}; known: {', '.join(REAL_MODELS)}")
    return names


def benchmark_jobs(examples: bool, light: str, real: str = "") -> list[tuple[str, onnx.ModelProto, dict[str, np.ndarray]]]:
    """(name, model, feeds) for the example models (when `examples`), onnx's light
    models whose file name contains `light` ('all' for every one, '' for none) and the
    real architectures named by `real` (exported first when not in the cache)."""
    jobs = []
    if examples:
        jobs += [(n, EXAMPLES[n][0](), example_inputs(n)) for n in EXAMPLES]
    if light:
        for path in light_models(light):
            model = onnx.load(path)
            jobs.append((os.path.basename(path).removesuffix(".onnx"), model, random_feeds(model)))
    if real:
        from tools import real_models

        for name in real_model_names(real):
            jobs.append((name, onnx.load(real_models.export(name)), real_models.feeds(name)))
    return jobs


TABLE_HEADER = (
    "| model | ONNX nodes | kernels | compile s (LLVM s) | max abs err vs ORT | ORT ms | Strata ms | Strata / ORT |\n"
    "|---|---|---|---|---|---|---|---|"
)


def format_row(r: dict) -> str:
    """One table row of a `measure()` result."""
    return (
        f"| {r['model']} | {r['nodes']} | {r['kernels']} | {r['compile_s']:.2f} ({r['llvm_s']:.2f}) | {r['err']:.1e} "
        f"| {r['ort_ms']:.3f} | {r['strata_ms']:.3f} | {r['strata_ms'] / r['ort_ms']:.2f}x |"
    )


def table_preamble(threads: int, cpu: str | None = None) -> str:
    """The lines above every table: the CPU, the thread counts and the CPU built for."""
    strata = f"compile(num_threads={threads})" if compile_options(threads) else "1 (compile() has no num_threads)"
    built = f"\nStrata built for: cpu={cpu!r} (compile(cpu=...))" if cpu else ""
    return f"cpu: {cpu_description()}\nthreads: onnxruntime intra-op {threads}, Strata {strata}{built}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--light", default="", help="also run onnx's light models whose file name contains this ('all' for every one)")
    parser.add_argument("--no-examples", action="store_true", help="skip the example models")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per model (best is reported)")
    parser.add_argument("--real", default="", metavar="NAMES", help="also run real architectures: 'all' or comma-separated names of tools/real_models.py")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads and compile(num_threads=N) (default 1)")
    parser.add_argument("--cpu", default=None, metavar="NAME",
                        help="build Strata for this LLVM CPU (compile(cpu=NAME), e.g. znver3 for the AVX2 kernels); "
                             "default: the host")
    args = parser.parse_args(argv)

    real = real_model_names(args.real)  # unknown names fail before any work
    if args.cpu is not None:
        from lowering.target import target_for

        target_for(args.cpu)
    jobs = benchmark_jobs(not args.no_examples, args.light, ",".join(real))
    print(table_preamble(args.threads, args.cpu))
    print()
    print(TABLE_HEADER)
    ratios = []
    for name, model, feeds in jobs:
        try:
            r = measure(name, model, feeds, args.repeat, args.threads, args.cpu)
        except compiler.StrataError as e:
            print(f"| {name} | {len(model.graph.node)} | - | not compiled: {str(e).splitlines()[0][:80]} | | | | |", flush=True)
            continue
        ratios.append(r["strata_ms"] / r["ort_ms"])
        print(format_row(r), flush=True)
    if len(ratios) > 1:
        print(f"\ngeomean Strata / ORT over {len(ratios)} models: {float(np.exp(np.mean(np.log(ratios)))):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
