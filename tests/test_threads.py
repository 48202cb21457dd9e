"""Multi-threaded models: results do not depend on the thread count, calls from many
Python threads and several models at once are correct, and the pool starts, restarts
after fork and stops."""

from __future__ import annotations

import os
import threading

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import compiler
from dialects.errors import StrataError
from tests.ort_check import run_ort
from tools import example_models


def _feeds(name: str, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {k: rng.standard_normal(v).astype(np.float32) for k, v in MODELS[name][1].items()}


def _compile(name: str, num_threads: int | None) -> compiler.CompiledModel:
    model, shapes, _ = MODELS[name]
    return compiler.compile(model, input_shapes=shapes, num_threads=num_threads)


def _conv_net() -> onnx.ModelProto:
    """Blocked conv, depthwise conv, pooling, residual add, global pool and Gemm at a size
    where every one of them is split over threads."""
    rng = np.random.default_rng(1)
    inits, nodes = [], []

    def w(name, shape):
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * 0.1).astype(np.float32), name))
        return name

    nodes.append(helper.make_node("Conv", ["x", w("w1", [32, 3, 3, 3]), w("b1", [32])], ["c1"], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Relu", ["c1"], ["r1"]))
    nodes.append(helper.make_node("Conv", ["r1", w("w2", [32, 32, 3, 3]), w("b2", [32])], ["c2"], pads=[1, 1, 1, 1]))
    nodes.append(helper.make_node("Add", ["c2", "r1"], ["s2"]))
    nodes.append(helper.make_node("Relu", ["s2"], ["r2"]))
    nodes.append(helper.make_node("Conv", ["r2", w("dw", [32, 1, 3, 3])], ["d3"], pads=[1, 1, 1, 1], group=32))
    nodes.append(helper.make_node("MaxPool", ["d3"], ["p3"], kernel_shape=[2, 2], strides=[2, 2]))
    nodes.append(helper.make_node("Conv", ["p3", w("w4", [64, 32, 1, 1])], ["c4"]))
    nodes.append(helper.make_node("Sigmoid", ["c4"], ["g4"]))
    nodes.append(helper.make_node("Mul", ["c4", "g4"], ["a4"]))
    nodes.append(helper.make_node("GlobalAveragePool", ["a4"], ["gp"]))
    nodes.append(helper.make_node("Flatten", ["gp"], ["f"]))
    nodes.append(helper.make_node("Gemm", ["f", w("wf", [10, 64]), w("bf", [10])], ["y"], transB=1))
    graph = helper.make_graph(
        nodes, "conv_net",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 64, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 10])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


# name -> (model, input shapes, whether its loops are large enough to be split)
def _models() -> dict[str, tuple[onnx.ModelProto, dict[str, list[int]], bool]]:
    models = {name: (build(), shapes, False) for name, (build, shapes) in example_models.EXAMPLES.items()}
    em = example_models
    models["mlp_large"] = (em.mlp(batch=64, features=512, hidden=1024), {"x": [64, 512]}, True)
    models["transformer_large"] = (
        em.torch_style_transformer(seq=128, d_model=128, heads=4, d_ff=512), {"tokens": [2, 128, 128]}, True
    )
    models["small_cnn_large"] = (em.small_cnn(channels=32, size=64), {"image": [2, 3, 64, 64]}, True)
    models["conv_net"] = (_conv_net(), {"x": [2, 3, 64, 64]}, True)
    return models


MODELS = _models()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_results_do_not_depend_on_thread_count(name: str) -> None:
    model, _, large = MODELS[name]
    feeds = _feeds(name)
    one = _compile(name, 1)
    two = _compile(name, 2)
    assert one.stats["num_threads"] == 1 and one.stats["parallel_loops"] == 0
    if large:
        assert two.stats["parallel_loops"] > 0
        assert two.num_threads == 2
    a, b = one.run(feeds), two.run(feeds)
    for x, y in zip(a, b):
        assert np.array_equal(x, y), f"{name}: outputs differ between 1 and 2 threads"
    # ...and they are right.
    ref = run_ort(model, feeds)
    for x, r in zip(b, ref):
        np.testing.assert_allclose(x, r, rtol=1e-4, atol=1e-4 * max(1.0, float(np.abs(r).max())))


def test_more_threads_than_cores_still_bitwise_equal() -> None:
    feeds = _feeds("conv_net")
    base = _compile("conv_net", 1).run(feeds)[0]
    for n in (3, 5):
        cm = _compile("conv_net", n)
        assert np.array_equal(cm.run(feeds)[0], base)


def test_default_uses_every_available_core() -> None:
    cm = _compile("conv_net", None)
    assert cm.stats["num_threads"] == len(os.sched_getaffinity(0))


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_thread_count_is_refused(bad) -> None:
    with pytest.raises(StrataError, match="num_threads"):
        _compile("mlp", bad)


def test_concurrent_calls_on_three_models() -> None:
    """8 Python threads x 200 calls spread over 3 models (one model called from several
    threads at once, several models running at once) give the single-call results."""
    names = ["conv_net", "transformer_large", "mlp_large"]
    compiled = {n: _compile(n, 2) for n in names}
    feeds = {n: [_feeds(n, seed) for seed in range(3)] for n in names}
    expected = {n: [compiled[n].run(f)[0] for f in feeds[n]] for n in names}
    errors: list[str] = []

    def worker(t: int) -> None:
        for i in range(200):
            n = names[(t + i) % 3]
            k = (t * 7 + i) % 3
            (out,) = compiled[n].run(feeds[n][k])
            if not np.array_equal(out, expected[n][k]):
                errors.append(f"thread {t} call {i}: {n} feed {k} differs")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors[:5]


def test_pool_restarts_in_a_forked_child() -> None:
    feeds = _feeds("conv_net")
    cm = _compile("conv_net", 2)
    (expected,) = cm.run(feeds)  # the parent's workers are running now
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: the workers did not survive the fork; the pool starts again
        ok = np.array_equal(cm.run(feeds)[0], expected)
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    answer = os.read(read, 1)
    os.waitpid(pid, 0)
    assert answer == b"1"
    assert np.array_equal(cm.run(feeds)[0], expected)


def test_pool_threads_stop_when_the_model_is_collected() -> None:
    import gc

    feeds = _feeds("conv_net")
    before = threading.active_count()  # pool workers are not Python threads: count the OS's
    tasks_before = len(os.listdir("/proc/self/task"))
    cm = _compile("conv_net", 3)
    cm.run(feeds)
    assert len(os.listdir("/proc/self/task")) == tasks_before + 2
    del cm
    gc.collect()
    assert len(os.listdir("/proc/self/task")) == tasks_before
    assert threading.active_count() == before
