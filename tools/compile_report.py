"""Compile time and memory, Strata beside onnxruntime: prints the table of issue 11.

For each model, every measurement runs in a fresh Python process (so imports, caches
and peak RSS are those of a real first compile):

- cold: `compile()` with an empty object cache (a new `$STRATA_CACHE_DIR`), then one run;
- warm: the same again with the cache the cold run filled;
- load: `compiler.load()` of the model saved by the cold process, then one run
  (when CompiledModel has `save`);
- model cache: `compile(model_cache=True)` when an earlier process compiled it so;
- onnxruntime: `InferenceSession` creation plus one run.

Seconds are `compile(...).stats["seconds"]` per stage and in total; "to first result"
is the wall time from before the compile (or load / session) to after the first run;
peak RSS is the process's `ru_maxrss` at the end (imports included, for both).

    python -m tools.compile_report                        # resnet50, gpt2
    python -m tools.compile_report --models resnet18,resnet50 --threads 1

Models come from `tools/real_models.py` (exported into the cache folder once).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, os, resource, sys, time
t0 = time.perf_counter()
mode, name, threads, saved = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
from tools.real_models import feeds, model_path
inputs = feeds(name)
out = {}
if mode == "ort":
    import onnxruntime as ort
    so = ort.SessionOptions(); so.intra_op_num_threads = threads
    t = time.perf_counter()
    sess = ort.InferenceSession(model_path(name), so, providers=["CPUExecutionProvider"])
    sess.run(None, inputs)
    out["first"] = time.perf_counter() - t
elif mode == "load":
    import compiler
    t = time.perf_counter()
    m = compiler.load(saved)
    m.run(inputs)
    out["first"] = time.perf_counter() - t
    out["xdsl_imported"] = "xdsl" in sys.modules
else:
    import compiler
    t = time.perf_counter()
    m = compiler.compile(model_path(name), num_threads=threads, model_cache=mode == "mcache")
    t1 = time.perf_counter()
    m.run(inputs)
    out["first"] = time.perf_counter() - t
    out["compile"] = t1 - t
    out["seconds"] = m.stats["seconds"]
    out["kernels"] = m.stats.get("kernels")
    out["object_cache"] = m.stats.get("object_cache")
    if mode == "cold" and saved != "-" and hasattr(m, "save"):
        m.save(saved)
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["process"] = time.perf_counter() - t0
print("RESULT " + json.dumps(out))
"""


def _child(mode: str, name: str, threads: int, cache: str, saved: str) -> dict:
    env = dict(os.environ, STRATA_CACHE_DIR=cache)
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, name, str(threads), saved],
        env=env, capture_output=True, text=True,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"{mode} {name} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def _stages(seconds: dict[str, float]) -> str:
    top = sorted(seconds.items(), key=lambda kv: -kv[1])[:3]
    return ", ".join(f"{k} {v:.2f}" for k, v in top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="resnet50,gpt2", help="comma-separated names of tools/real_models.py, or 'all'")
    parser.add_argument("--threads", type=int, default=None, help="compile(num_threads=N) and onnxruntime intra-op threads (default: every core)")
    args = parser.parse_args(argv)
    from tools.benchmark import cpu_description
    from tools.real_models import export, models_folder

    threads = args.threads or len(os.sched_getaffinity(0))
    print(f"CPU: {cpu_description()}; threads {threads}")
    print("| model | cold s (to first result) | warm s (to first result) | warm: top stages | load s to first result | peak RSS MB cold / warm / load / onnxruntime | onnxruntime session + first run s |")
    print("|---|---|---|---|---|---|---|")
    models = os.path.abspath(models_folder())
    from tools.real_models import REAL_MODELS

    for name in list(REAL_MODELS) if args.models == "all" else args.models.split(","):
        export(name)
        cache = tempfile.mkdtemp(prefix="strata-report-")
        try:
            # The exported models live under the default cache folder: link them in.
            os.symlink(models, os.path.join(cache, "bench_models"))
            saved = os.path.join(cache, f"{name}.strata")
            cold = _child("cold", name, threads, cache, saved)
            warm = _child("warm", name, threads, cache, "-")
            load = _child("load", name, threads, cache, saved) if os.path.exists(saved) else None
            _child("mcache", name, threads, cache, "-")  # fills the model cache
            mcache = _child("mcache", name, threads, cache, "-")
            ort = _child("ort", name, threads, cache, "-")
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        load_s = f"{load['first']:.2f}" + (" (xdsl imported!)" if load["xdsl_imported"] else "") if load else "-"
        load_rss = f"{load['peak_rss_mb']:.0f}" if load else "-"
        print(
            f"| {name} ({cold['kernels']} kernels) | {cold['compile']:.2f} ({cold['first']:.2f}) | {warm['compile']:.2f} ({warm['first']:.2f}, cache {warm['object_cache']}) "
            f"| {_stages(warm['seconds'])} | {load_s} | {cold['peak_rss_mb']:.0f} / {warm['peak_rss_mb']:.0f} / {load_rss} / {ort['peak_rss_mb']:.0f} "
            f"| {ort['first']:.2f} |",
            flush=True,
        )
        print(f"    cold stages: {_stages(cold['seconds'])}; compile(model_cache=True) hit: {mcache['compile']:.2f} s "
              f"({mcache['first']:.2f} to first result, peak RSS {mcache['peak_rss_mb']:.0f} MB)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
