"""The per-kernel profiler (CompiledModel.profile, runtime/profiler.py, tools/profile.py):
every kernel call is timed by the profiled entry, named by its ONNX nodes, its times add
up to the run, its work is counted as the ONNX ops define it, and the trace loads.
Checks are structural; no timing is asserted beyond loose consistency."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import compiler
from tools.example_models import EXAMPLES, example_inputs


def conv_model() -> onnx.ModelProto:
    """x[1,16,48,48] -> Conv 3x3 16->16 -> Relu -> MaxPool 2x2 -> Conv 3x3 16->32 -> Relu
    -> GlobalAveragePool: kernels of about a millisecond on one core."""
    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.standard_normal((16, 16, 3, 3)).astype(np.float32) * 0.1, "w1")
    w2 = numpy_helper.from_array(rng.standard_normal((32, 16, 3, 3)).astype(np.float32) * 0.1, "w2")
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["p1", "w2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["r2"], ["y"], name="gap"),
    ]
    graph = helper.make_graph(
        nodes,
        "conv_model",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 48, 48])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 32, 1, 1])],
        [w1, w2],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


@pytest.fixture(scope="module")
def conv_profile():
    model = conv_model()
    compiled = compiler.compile(model)
    feeds = {"x": np.random.default_rng(1).standard_normal((1, 16, 48, 48)).astype(np.float32)}
    return compiled, feeds, compiled.profile(feeds, runs=20)


@pytest.fixture(scope="module")
def transformer_profile():
    name = "torch_style_transformer"
    feeds = example_inputs(name)
    compiled = compiler.compile(EXAMPLES[name][0](), input_shapes={k: list(v.shape) for k, v in feeds.items()})
    return compiled, feeds, compiled.profile(feeds, runs=5)


def test_kernel_times_add_up_to_the_call(conv_profile):
    compiled, _, profile = conv_profile
    kernel_ms = sum(k.ms for k in profile.kernels)
    # Per run the kernel times add up to the run exactly; medians of parts vs the median
    # of the whole differ only by noise.
    per_run = profile.kernel_ns.sum(axis=1)
    assert np.array_equal(per_run, profile.timestamps_ns[:, -1] - profile.timestamps_ns[:, 0])
    assert 0.8 * profile.total_ms <= kernel_ms <= 1.25 * profile.total_ms
    # ... and the normal entry, timed from Python, takes about as long (same machine code;
    # loose: the machine is shared).
    assert 0.5 * profile.call_ms <= kernel_ms <= 2.0 * profile.call_ms
    assert all(k.ms >= 0 for k in profile.kernels)
    assert abs(sum(k.share for k in profile.kernels) - 1.0) < 1e-9


def test_profiled_outputs_equal_the_normal_run(conv_profile, transformer_profile):
    for compiled, feeds, profile in (conv_profile, transformer_profile):
        for got, want in zip(profile.outputs, compiled.run(feeds)):
            assert np.array_equal(got, want)


def test_every_kernel_appears_and_calls_are_named(transformer_profile):
    compiled, _, profile = transformer_profile
    assert len({c.kernel for c in profile.calls}) == compiled.stats["kernels"]
    assert len(profile.kernels) == len(profile.calls) == profile.kernel_ns.shape[1]
    for call in profile.calls:
        assert call.op
        if call.op != "Identity":  # a copy into a graph output runs no ONNX node
            assert call.nodes and all(call.nodes)
    # A kernel shared by several layers (dedupe-kernels) is named per call site: no node
    # is claimed by two calls.
    nodes = [n for c in profile.calls for n in c.nodes]
    assert len(nodes) == len(set(nodes))
    shared = [k for k in {c.kernel for c in profile.calls} if sum(c.kernel == k for c in profile.calls) > 1]
    assert shared, "the example has kernels shared between layers"
    # Every node of the optimized graph is run by some call (fused groups name each member),
    # except reshapes between intermediates, which plan-memory turns into views of their
    # input (lowering/plan_memory.py alias_reshapes): no call runs them.
    from dialects.onnx import SHAPE_VIEW_OP_NAMES

    reshapes = {name.removeprefix("onnx.") for name in SHAPE_VIEW_OP_NAMES}

    shapes = {k: list(v.shape) for k, v in example_inputs("torch_style_transformer").items()}
    optimized = compiler.optimize(EXAMPLES["torch_style_transformer"][0](), level=3, input_shapes=shapes)
    graph_nodes = {n.name for n in optimized.graph.node if n.op_type != "Constant" and n.op_type not in reshapes}
    assert graph_nodes <= set(nodes) | {n for n in graph_nodes if not n}
    assert any(n.op_type in reshapes for n in optimized.graph.node)


def test_flops_and_bytes_follow_the_onnx_ops(conv_profile):
    _, _, profile = conv_profile
    by_node = {n: c for c in profile.calls for n in c.nodes}
    conv1 = by_node["relu1"] if "relu1" in by_node else by_node["conv1"]
    conv2 = by_node["relu2"] if "relu2" in by_node else by_node["conv2"]
    assert conv1.flops == 2 * 48 * 48 * 16 * 16 * 3 * 3
    assert conv2.flops == 2 * 24 * 24 * 32 * 16 * 3 * 3
    pool = by_node["pool1"]
    assert pool.flops is None
    assert pool.bytes == 4 * (16 * 48 * 48 + 16 * 24 * 24)  # reads its input, writes its output
    rates = {k.call.kernel: k.rate for k in profile.kernels}
    assert rates[conv1.kernel].endswith("GFLOP/s") and rates[pool.kernel].endswith("GB/s")


def test_attention_and_matmul_flops(transformer_profile):
    _, _, profile = transformer_profile
    by_node = {n: c for c in profile.calls for n in c.nodes}
    # tokens [2, 16, 64], 4 heads of 16: scores 16x16 per head, then @ v.
    assert by_node["context"].flops == 2 * (2 * 4 * 16) * 16 * (16 + 16)
    assert by_node["q.bias"].flops == 2 * (2 * 16 * 64) * 64


def test_chrome_trace_loads(conv_profile, tmp_path):
    _, _, profile = conv_profile
    path = tmp_path / "trace.json"
    profile.write_trace(str(path), "conv_model")
    trace = json.loads(path.read_text())
    events = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    calls = len(profile.calls)
    assert len(events) == profile.runs * (calls + 1)  # every call of every run, plus the runs
    for e in events:
        assert {"name", "cat", "ts", "dur", "pid", "tid"} <= set(e) and e["dur"] >= 0
    kernels = [e for e in events if e["cat"] != "run"]
    for a, b in zip(kernels, kernels[1:]):
        assert b["ts"] >= a["ts"] + a["dur"] - 1e-6  # back to back, in call order
    assert {e["args"]["kernel"] for e in kernels} == {c.kernel for c in profile.calls}


def test_table_lists_the_slowest_calls(conv_profile):
    _, _, profile = conv_profile
    text = profile.table(top=2)
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| #")]
    assert len(rows) == 3  # two calls and the rest
    slowest = profile.top(1)[0]
    assert slowest.call.kernel in rows[0]
    assert "more calls" in rows[-1]
    assert "| op | calls |" in profile.op_table()


def test_profile_rejects_bad_feeds_and_runs(conv_profile):
    compiled, feeds, _ = conv_profile
    with pytest.raises(ValueError, match="input 'x' must be float32"):
        compiled.profile({"x": feeds["x"].astype(np.float64)})
    with pytest.raises(ValueError, match="feeds must name exactly"):
        compiled.profile({})
    with pytest.raises(ValueError, match="runs must be at least 1"):
        compiled.profile(feeds, runs=0)


def test_profile_script(tmp_path, capsys):
    from tools import profile as profile_tool

    path = tmp_path / "model.onnx"
    onnx.save(conv_model(), str(path))
    trace = tmp_path / "out.json"
    assert profile_tool.main([str(path), "--input-shape", "x=1,16,48,48", "--runs", "3", "--trace", str(trace)]) == 0
    out = capsys.readouterr().out
    assert "cpu: " in out and "| # | kernel | op | ONNX nodes |" in out and "pool1" in out
    assert json.loads(trace.read_text())["traceEvents"]


def test_profile_of_a_threaded_model():
    # The profiled module has its own thread pool; its outputs and kernel list match.
    model = conv_model()
    compiled = compiler.compile(model, num_threads=2)
    feeds = {"x": np.random.default_rng(2).standard_normal((1, 16, 48, 48)).astype(np.float32)}
    profile = compiled.profile(feeds, runs=3)
    assert len({c.kernel for c in profile.calls}) == compiled.stats["kernels"]
    for got, want in zip(profile.outputs, compiled.run(feeds)):
        assert np.array_equal(got, want)
    assert abs(sum(k.share for k in profile.kernels) - 1.0) < 1e-9
