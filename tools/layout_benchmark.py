"""Does the blocked NCHWc layout (`onnx-layout-nchwc`) pay off? Compiles each model with
and without the pass, runs both and onnxruntime (1 thread, same process), and prints
best-of-N times and ratios.

    python3 -m tools.layout_benchmark [--repeat 30] [--no-large]

Columns: onnxruntime; Strata -O3 without the pass (NCHW kernels); with it; with it and
@main marked noinline in the LLVM IR (see `main_not_inlined`); GFLOP/s of the best
blocked run over the model's Conv MACs.

Models: tools.example_models.small_cnn (batch 1, 3x32x32) and a conv stack of 3x3 convs
with 32-64 channels at 56x56 (Conv+Relu, a residual Add, MaxPool), plus its first conv
alone with C_in = 3. Until the lead adds the pass to -O3 it is appended here after the
-O3 graph passes; once it is in the pipeline, `disable_passes=["onnx-layout-nchwc"]`
gives the baseline.
"""

from __future__ import annotations

import argparse
import re
import time
from contextlib import contextmanager
from unittest import mock

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import compiler
import compiler.driver as driver
from compiler.pipelines import GraphPipeline, graph_passes

LAYOUT_PASS = "onnx-layout-nchwc"


def _pass_in_pipeline() -> bool:
    return any(p.name == LAYOUT_PASS for p in graph_passes(3))


@contextmanager
def main_not_inlined():
    """Marks the graph function @main `noinline` in the LLVM IR handed to the JIT. When
    @main is inlined into the C wrapper strata_entry (whose buffer pointers are loaded
    from argv), LLVM's loop vectorizer leaves the 8-lane loop of a ConvNCHWc kernel that
    was inlined into @main scalar (measured: 64->64 3x3 conv at 56x56, 30 ms inlined,
    2.7 ms not). The translator cannot say noinline yet; this shows what it would give."""
    import runtime.jit as jit

    original = jit.JitModule.__init__

    def patched(self, llvm_ir: str, opt_level: int = 3):
        llvm_ir = re.sub(r'(define internal void @"main"[^\n]*)nounwind', r"\1nounwind noinline", llvm_ir)
        original(self, llvm_ir, opt_level)

    with mock.patch.object(jit.JitModule, "__init__", patched):
        yield


def compile_model(model: onnx.ModelProto, layout: bool, input_shapes=None, noinline: bool = False,
                  cpu: str | None = None):
    """Strata at -O3 with or without the layout pass (for the host, or for the LLVM CPU
    `cpu`: compile(cpu=...))."""
    if noinline:
        with main_not_inlined():
            return compile_model(model, layout, input_shapes, cpu=cpu)
    if _pass_in_pipeline():
        disabled = [] if layout else [LAYOUT_PASS]
        return compiler.compile(model, opt_level=3, input_shapes=input_shapes, disable_passes=disabled, num_threads=1,
                                **({"cpu": cpu} if cpu else {}))
    if not layout:
        return compiler.compile(model, opt_level=3, input_shapes=input_shapes, num_threads=1)
    from compiler.passes.layout_nchwc import LayoutNchwcPass

    def pipeline(opt_level, disabled=(), max_iterations=4, callback=None):
        return GraphPipeline(graph_passes(opt_level, disabled), callback, max_iterations, tail=[LayoutNchwcPass()])

    with mock.patch.object(driver, "graph_pipeline", pipeline):
        return compiler.compile(model, opt_level=3, input_shapes=input_shapes, num_threads=1)


def conv_stack(channels: tuple[int, ...] = (3, 32, 64, 64), size: int = 56, seed: int = 0) -> onnx.ModelProto:
    """Conv3x3+Relu per channel step, then a residual conv block (Conv+Relu, Conv, Add,
    Relu) and a 2x2 MaxPool."""
    rng = np.random.default_rng(seed)
    nodes, inits = [], []

    def conv(x: str, cin: int, cout: int, tag: str) -> str:
        w = (rng.standard_normal((cout, cin, 3, 3)) * (2.0 / (9 * cin)) ** 0.5).astype(np.float32)
        b = (rng.standard_normal(cout) * 0.1).astype(np.float32)
        inits.extend([numpy_helper.from_array(w, f"{tag}.w"), numpy_helper.from_array(b, f"{tag}.b")])
        nodes.append(helper.make_node("Conv", [x, f"{tag}.w", f"{tag}.b"], [tag], name=tag, pads=[1, 1, 1, 1]))
        return tag

    def relu(x: str) -> str:
        nodes.append(helper.make_node("Relu", [x], [x + ".relu"], name=x + ".relu"))
        return x + ".relu"

    y = "x"
    for i, (cin, cout) in enumerate(zip(channels, channels[1:])):
        y = relu(conv(y, cin, cout, f"conv{i}"))
    c = channels[-1]
    r = relu(conv(y, c, c, "res_a"))
    r = conv(r, c, c, "res_b")
    nodes.append(helper.make_node("Add", [r, y], ["res_sum"], name="res_sum"))
    y = relu("res_sum")
    nodes.append(helper.make_node("MaxPool", [y], ["y"], name="pool", kernel_shape=[2, 2], strides=[2, 2]))
    graph = helper.make_graph(
        nodes, "conv_stack",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, channels[0], size, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model


def best_ms(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1e3


def conv_flops(model: onnx.ModelProto) -> float:
    """2 * MACs of every Conv (shape inference gives the output sizes)."""
    inferred = onnx.shape_inference.infer_shapes(model)
    for i in inferred.graph.input:
        if any(d.dim_param for d in i.type.tensor_type.shape.dim):
            return 0.0
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in
              list(inferred.graph.value_info) + list(inferred.graph.output) + list(inferred.graph.input)}
    inits = {i.name: list(i.dims) for i in model.graph.initializer}
    total = 0.0
    for n in model.graph.node:
        if n.op_type == "Conv" and n.output[0] in shapes:
            out = shapes[n.output[0]]
            w = inits.get(n.input[1])
            if w and all(out):
                total += 2.0 * np.prod(out) * np.prod(w[1:])
    return total


def main() -> None:
    import onnxruntime as ort

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--no-large", action="store_true")
    args = parser.parse_args()

    from tools.example_models import small_cnn

    cases = [("small_cnn 1x3x32x32", small_cnn(size=32), {"image": [1, 3, 32, 32]})]
    if not args.no_large:
        cases.append(("conv_stack 3-32-64-64 @56", conv_stack(), None))
        cases.append(("conv 32->64 @56", conv_stack((32, 64)), None))
        cases.append(("conv 3->32 @56", conv_stack((3, 32)), None))

    from tools.benchmark import table_preamble

    print(table_preamble(1))
    print(f"{'model':28} {'ORT ms':>8} {'NCHW ms':>9} {'NCHWc ms':>9} {'noinl ms':>9} {'NCHW/ORT':>9} {'NCHWc/ORT':>10} "
          f"{'noinl/ORT':>10} {'GFLOP/s':>8} {'max err':>9} {'compile s':>10}")
    for name, model, shapes in cases:
        rng = np.random.default_rng(1)
        inp = model.graph.input[0]
        dims = shapes[inp.name] if shapes else [d.dim_value for d in inp.type.tensor_type.shape.dim]
        feeds = {inp.name: rng.standard_normal(dims).astype(np.float32)}
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        (expected,) = sess.run(None, feeds)
        t_ort = best_ms(lambda: sess.run(None, feeds), args.repeat)
        results = {}
        for layout, noinline in ((False, False), (True, False), ("noinline", True)):
            t0 = time.perf_counter()
            cm = compile_model(model, bool(layout), shapes, noinline)
            compile_s = time.perf_counter() - t0
            (got,) = cm.run(feeds)
            err = float(np.abs(got - expected).max())
            results[layout] = (best_ms(lambda: cm.run(feeds), args.repeat), err, compile_s)
        (t_nchw, _, _), (t_blk, err, cs), (t_ni, err_ni, _) = results[False], results[True], results["noinline"]
        gflops = conv_flops(model) / (min(t_blk, t_ni) * 1e-3) / 1e9
        print(f"{name:28} {t_ort:8.3f} {t_nchw:9.3f} {t_blk:9.3f} {t_ni:9.3f} {t_nchw / t_ort:8.2f}x {t_blk / t_ort:9.2f}x "
              f"{t_ni / t_ort:9.2f}x {gflops:8.1f} {max(err, err_ni):9.1e} {cs:10.2f}")


if __name__ == "__main__":
    main()
