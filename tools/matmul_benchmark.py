"""MatMul / Gemm kernels of Strata beside onnxruntime: one single-node model per shape,
both on 1 thread, same inputs, same process, best of N; prints a table with both
latencies, the ratio and Strata's GFLOP/s, plus the max abs error vs onnxruntime.

    python -m tools.matmul_benchmark              # transformer shapes + 256^3 .. 2048^3, few-row shapes
    python -m tools.matmul_benchmark --small      # transformer shapes only
    python -m tools.matmul_benchmark --gemv       # few-row products (fully connected layers at batch 1)
    python -m tools.matmul_benchmark --ir         # also count vector FMA calls in the optimized LLVM IR
"""

from __future__ import annotations

import argparse
import re
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import compiler
from tools.benchmark import best_time, compile_options, ort_session, table_preamble

# (label, op, A shape, B shape, attributes)
SMALL = [
    ("q/k/v proj [2,16,64]x[64,64]", "MatMul", (2, 16, 64), (64, 64), {}),
    ("ff1 [2,16,64]x[64,128]", "MatMul", (2, 16, 64), (64, 128), {}),
    ("ff2 [2,16,128]x[128,64]", "MatMul", (2, 16, 128), (128, 64), {}),
    ("[32,64]x[64,128]", "MatMul", (32, 64), (64, 128), {}),
    ("Linear Gemm 32x64 W^T[128,64]", "Gemm", (32, 64), (128, 64), {"transB": 1}),
    # MatMul + bias Add + activation with constant W and bias: one strata.FusedMatMul.
    ("ff1 + bias + Gelu", "FusedMatMul", (2, 16, 64), (64, 128), {"activation": "Gelu"}),
    ("ff2 + bias + Relu", "FusedMatMul", (2, 16, 128), (128, 64), {"activation": "Relu"}),
]
LARGE = [
    ("256^3", "MatMul", (256, 256), (256, 256), {}),
    ("512^3", "MatMul", (512, 512), (512, 512), {}),
    ("1024x768x768", "MatMul", (1024, 768), (768, 768), {}),
    ("2048^3", "MatMul", (2048, 2048), (2048, 2048), {}),
    ("Gemm 512^3 transB", "Gemm", (512, 512), (512, 512), {"transB": 1}),
    ("Gemm 1024x768x768 transB", "Gemm", (1024, 768), (768, 768), {"transB": 1}),
]
# Few rows (M < 4): the small-M kernels (no packing of B). The first two are AlexNet's /
# VGG's fc6 at batch 1: 150 MB of weights, memory-bound in both runtimes.
GEMV = [
    ("fc6 Gemm [1,9216] W^T[4096,9216]", "Gemm", (1, 9216), (4096, 9216), {"transB": 1}),
    ("fc6 Gemm [1,9216]x[9216,4096]", "Gemm", (1, 9216), (9216, 4096), {}),
    ("[1,4096]x[4096,4096]", "MatMul", (1, 4096), (4096, 4096), {}),
    ("Gemm [1,4096] W^T[4096,4096]", "Gemm", (1, 4096), (4096, 4096), {"transB": 1}),
    ("[2,1024]x[1024,1000]", "MatMul", (2, 1024), (1024, 1000), {}),
    ("Gemm [2,1024] W^T[1000,1024]", "Gemm", (2, 1024), (1000, 1024), {"transB": 1}),
    ("[3,512]x[512,512]", "MatMul", (3, 512), (512, 512), {}),
    ("Gemm [3,512] W^T[512,512]", "Gemm", (3, 512), (512, 512), {"transB": 1}),
]


def fused_model_of(a_shape, b_shape, activation: str) -> onnx.ModelProto:
    """MatMul(a, W) + bias, then the activation; W and bias are initializers (what
    onnx-fuse-activation turns into one FusedMatMul)."""
    rng = np.random.default_rng(1)
    y_shape = list(a_shape[:-1]) + [b_shape[-1]]
    nodes = [helper.make_node("MatMul", ["a", "w"], ["h"]), helper.make_node("Add", ["h", "bias"], ["hb"]),
             helper.make_node(activation, ["hb"], ["y"])]
    inits = [numpy_helper.from_array(rng.standard_normal(b_shape).astype(np.float32), "w"),
             numpy_helper.from_array(rng.standard_normal(b_shape[-1:]).astype(np.float32), "bias")]
    graph = helper.make_graph(
        nodes, "fused", [helper.make_tensor_value_info("a", TensorProto.FLOAT, list(a_shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])


def model_of(op: str, a_shape, b_shape, attrs: dict, weights: np.ndarray | None = None) -> onnx.ModelProto:
    """A's and B's values are graph inputs, so neither runtime can pack B ahead of the
    run; with `weights`, B is that initializer instead (a layer's weights: onnxruntime
    and Strata both pack it once, when the session is created / at compile time)."""
    if op == "FusedMatMul":
        return fused_model_of(a_shape, b_shape, attrs["activation"])
    if op == "MatMul":
        y_shape = list(np.broadcast_shapes(a_shape[:-2], b_shape[:-2])) + [a_shape[-2], b_shape[-1]]
    else:
        m = a_shape[1] if attrs.get("transA") else a_shape[0]
        n = b_shape[0] if attrs.get("transB") else b_shape[1]
        y_shape = [m, n]
    node = helper.make_node(op, ["a", "b"], ["y"], **attrs)
    inputs = [helper.make_tensor_value_info("a", TensorProto.FLOAT, list(a_shape))]
    inits = []
    if weights is None:
        inputs.append(helper.make_tensor_value_info("b", TensorProto.FLOAT, list(b_shape)))
    else:
        inits.append(numpy_helper.from_array(weights, "b"))
    graph = helper.make_graph(
        [node], "mm", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])


def vector_fmas(compiled) -> int:
    """<8 x float> or wider FMA calls in the optimized LLVM IR of a compiled model (the
    vectorizer picks <16 x float> on an AVX-512 host); -1 if the JIT hides the IR."""
    jit = getattr(compiled, "_jit", None)
    if jit is None or not hasattr(jit, "optimized_ir"):
        return -1
    return len(re.findall(r"call <(?:8|16|32) x float> @llvm\.fma\.v(?:8|16|32)f32", jit.optimized_ir()))


def run(shapes, repeat: int, budget_s: float, show_ir: bool, threads: int = 1, weights: bool = False) -> None:
    rng = np.random.default_rng(0)
    print(table_preamble(threads))
    if weights:
        print("B: an initializer (packed ahead of the run by both runtimes)")
    print()
    header = "| shape | op | ORT ms | Strata ms | Strata / ORT | Strata GFLOP/s | ORT GFLOP/s | max abs err | compile s |"
    if show_ir:
        header += " vector FMAs in IR |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for label, op, a_shape, b_shape, attrs in shapes:
        feeds = {"a": rng.standard_normal(a_shape).astype(np.float32)}
        b = rng.standard_normal(b_shape).astype(np.float32)
        model = model_of(op, a_shape, b_shape, attrs, b if weights else None)
        if op != "FusedMatMul" and not weights:
            feeds["b"] = b
        t = time.perf_counter()
        compiled = compiler.compile(model, **compile_options(threads))
        compile_s = time.perf_counter() - t
        sess = ort_session(model, threads)
        (expected,) = sess.run(None, feeds)
        (got,) = compiled.run(feeds)
        err = float(np.max(np.abs(got - expected)))
        k = a_shape[-2] if attrs.get("transA") else a_shape[-1]
        flops = 2.0 * expected.size * k
        ort_s = best_time(lambda: sess.run(None, feeds), repeat, budget_s)
        strata_s = best_time(lambda: compiled.run(feeds), repeat, budget_s)
        row = (f"| {label} | {op} | {ort_s * 1e3:.3f} | {strata_s * 1e3:.3f} | {strata_s / ort_s:.2f}x | "
               f"{flops / strata_s / 1e9:.1f} | {flops / ort_s / 1e9:.1f} | {err:.1e} | {compile_s:.2f} |")
        if show_ir:
            row += f" {vector_fmas(compiled)} |"
        print(row, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="transformer shapes only")
    parser.add_argument("--gemv", action="store_true", help="few-row (matrix-vector) shapes only")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--budget", type=float, default=2.0, help="seconds per measurement at most")
    parser.add_argument("--ir", action="store_true", help="count <8 x float> FMAs in the optimized IR")
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads and compile(num_threads=N) (default 1)")
    parser.add_argument("--weights", action="store_true",
                        help="B as an initializer (weights), which both runtimes pack ahead of the run")
    args = parser.parse_args(argv)
    shapes = GEMV if args.gemv else SMALL if args.small else SMALL + LARGE + GEMV
    run(shapes, args.repeat, args.budget, args.ir, args.threads, args.weights)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
