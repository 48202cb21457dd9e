"""Latency of the GPU (Triton) path against torch on the same GPU: torch eager and
torch.compile of the same model (the torch.nn module for the torch-built models of
tools/torch_models.py; the ONNX graph run op by op with torch ops for the example
models), plus onnxruntime's CUDA provider when onnxruntime-gpu is installed, and the
autotune cache warm-up. Needs an NVIDIA GPU with CUDA; without one it says so and exits
with status 2.

    python3 -m tools.gpu_benchmark                          # every model
    python3 -m tools.gpu_benchmark --models mlp --repeat 200 --json-out bench.json

Per model: compile seconds; the first call's seconds (cold: it autotunes each kernel's
launch configuration, `--tune-models`; the others keep the heuristic configurations);
the warm-up: a second compile's first call, which reads every tuned configuration from
the on-disk cache (kernels taken from it, seconds); the max abs error vs onnxruntime on
the CPU; Strata's median latency with inputs/outputs on the device (torch CUDA tensors
in, tensors out) and from numpy to numpy; torch eager's and torch.compile's
(`--torch-compile-models`; its compile seconds too) median latency on device tensors,
and the ratios Strata / eager and Strata / torch.compile on the same measurement.
`--precision-models` adds, per precision option (ieee, tf32, fp16, bf16), the error
relative to the output's largest magnitude and the device latency. Medians of
`--repeat` timed runs after `--warmup` runs, each ended by torch.cuda.synchronize().
`--deadline-s` stops starting new measurements after that many seconds (rows left say
so), so the script fits a fixed device budget. A table, not an assertion:
tests/test_gpu_latency.py runs it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from typing import Any, Callable

import numpy as np
import onnx
from onnx import numpy_helper

from tools.example_models import EXAMPLES, example_inputs
from tools.torch_models import MODULES


def gpu_problem() -> str | None:
    """Why this machine cannot run the GPU path compiled (None: it can)."""
    for mod in ("torch", "triton"):
        if importlib.util.find_spec(mod) is None:
            return f"{mod} is not installed (pip install '.[gpu]')"
    if os.environ.get("TRITON_INTERPRET") == "1":
        return "TRITON_INTERPRET=1 is set (the interpreter runs on the CPU; unset it to run on the GPU)"
    if not os.path.exists("/dev/nvidiactl") and not os.path.exists("/dev/nvidia0") and not os.environ.get("CUDA_VISIBLE_DEVICES"):
        # checked before importing torch: a CPU-only machine needs no torch import to know
        import shutil

        if shutil.which("nvidia-smi") is None:
            return "no NVIDIA GPU on this machine (no /dev/nvidia* device, no nvidia-smi)"
    import torch

    if not torch.cuda.is_available():
        return "torch.cuda.is_available() is False on this machine"
    return None


# ---------------------------------------------------------------------------------------
# torch eager: the ONNX graph run op by op (the ops of the example models)
# ---------------------------------------------------------------------------------------


def _attrs(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _pads(pads, k):
    if not pads:
        return [0] * k, True
    return list(pads[:k]), list(pads[:k]) == list(pads[k:])


class TorchEager:
    """Runs an ONNX graph node by node with torch ops on `device`; raises
    NotImplementedError for an op it does not know (the benchmark then has no baseline)."""

    def __init__(self, model: onnx.ModelProto, device: str):
        import torch

        self.torch = torch
        self.device = device
        self.graph = model.graph
        self.consts = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()).to(device) for i in model.graph.initializer}
        self.host = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
        for n in model.graph.node:
            if n.op_type not in self._OPS:
                raise NotImplementedError(f"torch eager baseline has no {n.op_type}")

    _OPS = frozenset({
        "Gemm", "Relu", "Softmax", "BatchNormalization", "Conv", "Flatten", "GlobalAveragePool", "MaxPool", "Add",
        "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Tanh", "LayerNormalization", "MatMul", "Reshape", "Transpose",
        "Identity", "ReduceMean", "Constant",
    })

    def __call__(self, feeds: dict[str, Any]) -> list[Any]:
        import torch.nn.functional as F

        torch = self.torch
        env: dict[str, Any] = dict(self.consts)
        env.update(feeds)
        for n in self.graph.node:
            a = _attrs(n)
            x = [env[i] if i else None for i in n.input]
            t = n.op_type
            if t == "Constant":
                y = torch.from_numpy(numpy_helper.to_array(a["value"]).copy()).to(self.device)
            elif t == "Gemm":
                A = x[0].T if a.get("transA", 0) else x[0]
                B = x[1].T if a.get("transB", 0) else x[1]
                y = a.get("alpha", 1.0) * (A @ B)
                if len(x) > 2 and x[2] is not None:
                    y = y + a.get("beta", 1.0) * x[2]
            elif t in ("Add", "Sub", "Mul", "Div", "Pow"):
                y = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div, "Pow": torch.pow}[t](x[0], x[1])
            elif t in ("Relu", "Sqrt", "Erf", "Tanh"):
                y = {"Relu": torch.relu, "Sqrt": torch.sqrt, "Erf": torch.erf, "Tanh": torch.tanh}[t](x[0])
            elif t == "Identity":
                y = x[0]
            elif t == "Softmax":
                y = torch.softmax(x[0], a.get("axis", -1))
            elif t == "MatMul":
                y = torch.matmul(x[0], x[1])
            elif t == "Transpose":
                y = x[0].permute(*(a.get("perm") or reversed(range(x[0].dim()))))
            elif t == "Reshape":
                shape = [int(v) for v in self.host[n.input[1]]] if n.input[1] in self.host else x[1].tolist()
                shape = [x[0].shape[i] if v == 0 else v for i, v in enumerate(shape)]
                y = x[0].reshape(shape)
            elif t == "Flatten":
                axis = a.get("axis", 1)
                y = x[0].reshape(int(np.prod(x[0].shape[:axis])), -1)
            elif t == "ReduceMean":
                axes = a.get("axes")
                if axes is None and len(x) > 1:
                    axes = [int(v) for v in self.host[n.input[1]]]
                y = x[0].mean(dim=list(axes) if axes else None, keepdim=bool(a.get("keepdims", 1)))
            elif t == "LayerNormalization":
                axis = a.get("axis", -1) % x[0].dim()
                y = F.layer_norm(x[0], x[0].shape[axis:], x[1], x[2] if len(x) > 2 else None, a.get("epsilon", 1e-5))
            elif t == "BatchNormalization":
                y = F.batch_norm(x[0], x[3], x[4], x[1], x[2], False, 0.0, a.get("epsilon", 1e-5))
            elif t == "GlobalAveragePool":
                y = x[0].mean(dim=list(range(2, x[0].dim())), keepdim=True)
            elif t in ("Conv", "MaxPool"):
                k = x[0].dim() - 2
                pads, symmetric = _pads(a.get("pads"), k)
                if not symmetric:
                    raise NotImplementedError("asymmetric pads")
                strides = a.get("strides") or [1] * k
                if t == "Conv":
                    conv = getattr(F, f"conv{k}d")
                    y = conv(x[0], x[1], x[2] if len(x) > 2 else None, stride=strides, padding=pads,
                             dilation=a.get("dilations") or [1] * k, groups=a.get("group", 1))
                else:
                    pool = getattr(F, f"max_pool{k}d")
                    y = pool(x[0], a["kernel_shape"], stride=strides, padding=pads, ceil_mode=bool(a.get("ceil_mode", 0)))
            else:  # pragma: no cover - _OPS is checked in __init__
                raise NotImplementedError(t)
            env[n.output[0]] = y
        return [env[o.name] for o in self.graph.output]


# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------


def median_ms(fn: Callable[[], Any], warmup: int, repeat: int, device: str = "cuda") -> float:
    import torch

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


MODELS = list(EXAMPLES) + list(MODULES)
TUNE_DEFAULT = ",".join(EXAMPLES)
TORCH_COMPILE_DEFAULT = "transformer_block,gpt_decoder,unet"
PRECISION_DEFAULT = "transformer_block,unet"


def _case(name: str, device: str):
    """(onnx model, feeds, input_shapes, torch callable on device tensors)."""
    import torch

    if name in EXAMPLES:
        build, shapes = EXAMPLES[name]
        model = build()
        feeds = example_inputs(name)
        try:
            eager = TorchEager(model, device)
            fn = lambda dev: eager(dev)  # noqa: E731
        except NotImplementedError:
            fn = None
        return model, feeds, shapes, fn
    from tools.torch_models import exported

    model, feeds = exported(name)
    module, _, input_names, _ = MODULES[name]()
    module = module.to(device).eval()

    def fn(dev):
        with torch.no_grad():
            out = module(*[dev[n] for n in input_names])
        return list(out) if isinstance(out, tuple) else [out]

    return model, feeds, None, fn


def _max_err(got, ref) -> float:
    return max(float(np.max(np.abs(np.asarray(g, dtype=np.float64) - r))) if np.asarray(r).size else 0.0
               for g, r in zip(got, ref))


def bench_model(name: str, warmup: int, repeat: int, device: str = "cuda", tune: bool = True,
                torch_compile: bool = False, precisions: bool = False) -> dict[str, Any]:
    """One row of the table. `device="cpu"` (with TRITON_INTERPRET=1) runs the same
    steps through the interpreter, so tests can check this code without a GPU."""
    import onnxruntime as ort
    import torch

    from compiler.compile_cuda import compile_model_cuda

    model, feeds, shapes, eager = _case(name, device)
    interpret = device == "cpu"
    row: dict[str, Any] = {"model": name}
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    t = time.perf_counter()
    compiled = compile_model_cuda(model, input_shapes=shapes, interpret=interpret, autotune=tune and not interpret)
    row["compile_s"] = time.perf_counter() - t
    row["kernels"] = compiled.stats.get("kernels")
    t = time.perf_counter()
    got = compiled.run(feeds)
    row["first_call_s"] = time.perf_counter() - t
    auto = compiled.stats.get("autotune", {})
    row["autotune"] = {k: auto.get(k) for k in ("enabled", "tuned", "from_cache", "cache", "seconds")}
    row["max_abs_err"] = _max_err(got, ref)
    if tune and not interpret:  # the warm-up: the same model again finds every choice in the cache
        again = compile_model_cuda(model, input_shapes=shapes, autotune=True)
        t = time.perf_counter()
        again.run(feeds)
        row["warm_first_call_s"] = time.perf_counter() - t
        row["warm_from_cache"] = again.stats["autotune"]["from_cache"]
        row["warm_tuned"] = again.stats["autotune"]["tuned"]
    dev = {k: torch.from_numpy(v).to(device) for k, v in feeds.items()}
    row["strata_device_ms"] = median_ms(lambda: compiled.run(dev, as_numpy=False), warmup, repeat, device)
    row["strata_numpy_ms"] = median_ms(lambda: compiled.run(feeds), warmup, repeat, device)
    if device == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CUDAExecutionProvider"])
        row["ort_cuda_ms"] = median_ms(lambda: sess.run(None, feeds), warmup, repeat)
    if eager is None:
        row["eager"] = "none (an op the torch eager baseline does not have)"
    else:
        with torch.inference_mode():
            out = eager(dev)
            row["eager_max_abs_err"] = _max_err([o.cpu().numpy() for o in out], ref)
            row["eager_ms"] = median_ms(lambda: eager(dev), warmup, repeat, device)
        row["strata_over_eager"] = row["strata_device_ms"] / row["eager_ms"]
        if torch_compile:
            try:
                fn = torch.compile(eager)
                t = time.perf_counter()
                with torch.inference_mode():
                    out = fn(dev)
                    if device == "cuda":
                        torch.cuda.synchronize()
                    row["torch_compile_s"] = time.perf_counter() - t
                    row["compiled_max_abs_err"] = _max_err([o.cpu().numpy() for o in out], ref)
                    row["compiled_ms"] = median_ms(lambda: fn(dev), warmup, repeat, device)
                row["strata_over_compiled"] = row["strata_device_ms"] / row["compiled_ms"]
            except Exception as e:  # noqa: BLE001 - a failed torch.compile is a cell, not the end
                row["torch_compile_error"] = f"{type(e).__name__}: {e}"[:300]
    if precisions:
        row["precision"] = {}
        scale = max(float(np.max(np.abs(r))) for r in ref)
        for p in ("ieee", "tf32", "fp16", "bf16"):
            c = compile_model_cuda(model, input_shapes=shapes, interpret=interpret, autotune=False, precision=p)
            err = _max_err(c.run(feeds), ref) / max(scale, 1e-30)
            ms = median_ms(lambda c=c: c.run(dev, as_numpy=False), warmup, repeat, device)
            row["precision"][p] = {"rel_err": err, "device_ms": ms}
    return row


def _f(v, fmt: str) -> str:
    return format(v, fmt) if isinstance(v, (int, float)) else "-"


def print_table(rows: list[dict[str, Any]], device: str) -> None:
    print(f"device: {device}")
    head = ["model", "kernels", "compile s", "first call s (tuning)", "warm first call s (cache)", "max abs err vs ORT",
            "Strata ms (device)", "Strata ms (numpy)", "eager ms", "torch.compile ms", "Strata / eager",
            "Strata / torch.compile"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        if "error" in r or "skipped" in r:
            print(f"| {r['model']} | {r.get('error') or r.get('skipped')} |")
            continue
        cells = [r["model"], str(r["kernels"]), _f(r["compile_s"], ".2f"),
                 f"{r['first_call_s']:.2f} ({r['autotune'].get('tuned') or 0} tuned)",
                 (f"{r['warm_first_call_s']:.2f} ({r['warm_from_cache']} from cache)" if "warm_first_call_s" in r else "-"),
                 f"{r['max_abs_err']:.1e}", _f(r["strata_device_ms"], ".3f"), _f(r["strata_numpy_ms"], ".3f"),
                 _f(r.get("eager_ms"), ".3f"), _f(r.get("compiled_ms"), ".3f"),
                 (f"{r['strata_over_eager']:.2f}x" if "strata_over_eager" in r else "-"),
                 (f"{r['strata_over_compiled']:.2f}x" if "strata_over_compiled" in r else r.get("torch_compile_error", "-"))]
        print("| " + " | ".join(cells) + " |")
    prec = [r for r in rows if "precision" in r]
    if prec:
        print()
        print("| model | " + " | ".join(f"{p} rel err | {p} ms" for p in ("ieee", "tf32", "fp16", "bf16")) + " |")
        print("|---|" + "---|---|" * 4)
        for r in prec:
            print(f"| {r['model']} | " + " | ".join(f"{v['rel_err']:.1e} | {v['device_ms']:.3f}"
                                                    for v in r["precision"].values()) + " |")


def print_environment() -> None:
    """Python and the versions of the packages the GPU path needs (missing ones say so)."""
    import importlib
    import platform

    print("python", platform.python_version())
    for m in ("torch", "triton", "onnx", "onnxruntime", "llvmlite", "numpy", "xdsl", "pytest"):
        try:
            print(m, importlib.import_module(m).__version__)
        except Exception as e:  # noqa: BLE001 - a report, not a requirement
            print(m, "missing:", f"{type(e).__name__}: {e}"[:200])
    try:
        import torch

        print("torch.cuda.is_available", torch.cuda.is_available(), "CUDA", torch.version.cuda)
    except Exception as e:  # noqa: BLE001
        print("torch:", e)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated model names")
    ap.add_argument("--tune-models", default=TUNE_DEFAULT, help="models whose first call autotunes (others: heuristic)")
    ap.add_argument("--torch-compile-models", default=TORCH_COMPILE_DEFAULT, help="models timed under torch.compile too")
    ap.add_argument("--precision-models", default=PRECISION_DEFAULT, help="models timed at every precision option")
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--deadline-s", type=float, default=0.0, help="start no new model after this many seconds (0: none)")
    ap.add_argument("--json", action="store_true", help="also print one line RESULT{json} (for tests)")
    ap.add_argument("--json-out", help="write the rows as JSON to this file")
    ap.add_argument("--env", action="store_true", help="print the versions of what the GPU path needs, and exit")
    args = ap.parse_args(argv)
    if args.env:
        print_environment()
        return 0
    problem = gpu_problem()
    if problem is not None:
        print(f"tools.gpu_benchmark needs an NVIDIA GPU with CUDA: {problem}. Nothing was measured.", file=sys.stderr)
        return 2
    import torch

    names = [m for m in args.models.split(",") if m]
    unknown = [m for m in names if m not in MODELS]
    if unknown:
        ap.error(f"unknown models {unknown}; available: {', '.join(MODELS)}")
    listed = lambda opt: {m for m in opt.split(",") if m}  # noqa: E731
    start = time.perf_counter()
    rows = []
    for name in names:
        if args.deadline_s and time.perf_counter() - start > args.deadline_s:
            rows.append({"model": name, "skipped": f"not started: past the {args.deadline_s:.0f} s deadline"})
            continue
        try:
            rows.append(bench_model(name, args.warmup, args.repeat, tune=name in listed(args.tune_models),
                                    torch_compile=name in listed(args.torch_compile_models),
                                    precisions=name in listed(args.precision_models)))
        except Exception as e:  # one model's failure is a row, not the end of the table
            rows.append({"model": name, "error": f"{type(e).__name__}: {e}"[:500]})
        print(f"[gpu_benchmark] {name} done at {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    device = torch.cuda.get_device_name()
    print_table(rows, device)
    result = {"device": device, "torch": torch.__version__, "triton": __import__("triton").__version__, "rows": rows}
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=1, default=str)
    if args.json:
        print("RESULT" + json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
