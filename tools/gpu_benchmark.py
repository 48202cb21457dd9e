"""Latency of the GPU (Triton) path on the example models, against onnxruntime's CUDA
provider when onnxruntime-gpu is installed, else against torch eager (the ONNX graph
run op by op with torch on the GPU). Needs an NVIDIA GPU with CUDA; without one it says
so and exits with status 2.

    python3 -m tools.gpu_benchmark                      # every example model
    python3 -m tools.gpu_benchmark --models mlp --repeat 200 --json

Per model: compile seconds, the first call's seconds (it autotunes each kernel's
launch configuration unless the on-disk cache already has it; STRATA_AUTOTUNE=0 turns
tuning off), the max abs error vs onnxruntime on the CPU, Strata's median latency with
inputs/outputs on the device ("device": torch CUDA tensors in, tensors out) and from
numpy to numpy ("numpy"), the baseline's median latency and the ratio Strata / baseline,
taken on the same kind of measurement (onnxruntime CUDA: numpy in/out; torch eager:
device tensors). Medians of `--repeat` timed runs after `--warmup` runs, each ended by
torch.cuda.synchronize(). A table, not an assertion: tests/test_gpu_latency.py runs it.
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


def bench_model(name: str, warmup: int, repeat: int, device: str = "cuda") -> dict[str, Any]:
    """One row of the table. `device="cpu"` (with TRITON_INTERPRET=1) runs the same
    steps through the interpreter, so tests can check this code without a GPU."""
    import onnxruntime as ort
    import torch

    import compiler

    build, shapes = EXAMPLES[name]
    model = build()
    feeds = example_inputs(name)
    row: dict[str, Any] = {"model": name}
    ref = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    t = time.perf_counter()
    compiled = compiler.compile(model, target="cuda", input_shapes=shapes)
    row["compile_s"] = time.perf_counter() - t
    row["kernels"] = compiled.stats.get("kernels")
    t = time.perf_counter()
    got = compiled.run(feeds)
    row["first_call_s"] = time.perf_counter() - t
    auto = compiled.stats.get("autotune", {})
    row["autotune"] = {k: auto.get(k) for k in ("enabled", "tuned", "from_cache", "cache")}
    row["max_abs_err"] = max(float(np.max(np.abs(g - r))) for g, r in zip(got, ref))
    dev = {k: torch.from_numpy(v).to(device) for k, v in feeds.items()}
    row["strata_device_ms"] = median_ms(lambda: compiled.run(dev, as_numpy=False), warmup, repeat, device)
    row["strata_numpy_ms"] = median_ms(lambda: compiled.run(feeds), warmup, repeat, device)
    if device == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CUDAExecutionProvider"])
        row["baseline"] = "onnxruntime CUDA"
        row["baseline_ms"] = median_ms(lambda: sess.run(None, feeds), warmup, repeat)
        row["ratio"] = row["strata_numpy_ms"] / row["baseline_ms"]
    else:
        try:
            eager = TorchEager(model, device)
        except NotImplementedError as e:
            row["baseline"] = f"none ({e})"
        else:
            with torch.inference_mode():
                out = eager(dev)
                row["baseline"] = "torch eager"
                row["baseline_max_abs_err"] = max(float(np.max(np.abs(o.cpu().numpy() - r))) for o, r in zip(out, ref))
                row["baseline_ms"] = median_ms(lambda: eager(dev), warmup, repeat, device)
            row["ratio"] = row["strata_device_ms"] / row["baseline_ms"]
    return row


def print_table(rows: list[dict[str, Any]], device: str) -> None:
    print(f"device: {device}")
    head = ["model", "kernels", "compile s", "first call s", "max abs err vs ORT", "Strata ms (device)",
            "Strata ms (numpy)", "baseline", "baseline ms", "Strata / baseline"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        if "error" in r:
            print(f"| {r['model']} | error: {r['error']} |")
            continue
        cells = [r["model"], str(r["kernels"]), f"{r['compile_s']:.2f}", f"{r['first_call_s']:.2f}",
                 f"{r['max_abs_err']:.1e}", f"{r['strata_device_ms']:.3f}", f"{r['strata_numpy_ms']:.3f}",
                 r.get("baseline", "none"), f"{r['baseline_ms']:.3f}" if "baseline_ms" in r else "-",
                 f"{r['ratio']:.2f}x" if "ratio" in r else "-"]
        print("| " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(EXAMPLES), help="comma-separated example model names")
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="also print one line RESULT{json} (for tests)")
    args = ap.parse_args(argv)
    problem = gpu_problem()
    if problem is not None:
        print(f"tools.gpu_benchmark needs an NVIDIA GPU with CUDA: {problem}. Nothing was measured.", file=sys.stderr)
        return 2
    import torch

    names = [m for m in args.models.split(",") if m]
    unknown = [m for m in names if m not in EXAMPLES]
    if unknown:
        ap.error(f"unknown models {unknown}; available: {', '.join(EXAMPLES)}")
    rows = []
    for name in names:
        try:
            rows.append(bench_model(name, args.warmup, args.repeat))
        except Exception as e:  # one model's failure is a row, not the end of the table
            rows.append({"model": name, "error": f"{type(e).__name__}: {e}"[:500]})
    device = torch.cuda.get_device_name()
    print_table(rows, device)
    if args.json:
        print("RESULT" + json.dumps({"device": device, "rows": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
