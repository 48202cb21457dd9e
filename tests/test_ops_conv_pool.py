"""Conv, ConvTranspose, MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool
kernels against onnxruntime (float64 Conv/ConvTranspose, which onnxruntime does not
implement, against onnx's reference evaluator)."""

from __future__ import annotations

import numpy as np
import pytest
from onnx.reference import ReferenceEvaluator

import compiler
from tests.ort_check import assert_matches_ort, single_node_model

RNG = np.random.default_rng(11)


def rand(shape, dtype=np.float32) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return RNG.standard_normal(shape).astype(dtype)
    info = np.iinfo(dtype)
    return RNG.integers(info.min, info.max, shape, endpoint=True).astype(dtype)


def case_id(value) -> str:
    if isinstance(value, dict):
        return "-".join(f"{k}{'x'.join(map(str, v)) if isinstance(v, list) else v}" for k, v in value.items()) or "default"
    return str(value)


# ---- Conv ---------------------------------------------------------------------------

# (X shape, W shape, attributes); W is (M, C/group, k...).
CONV_CASES = [
    ((1, 3, 7, 6), (4, 3, 3, 3), {}),
    ((2, 3, 8, 8), (4, 3, 3, 3), {"strides": [2, 2]}),
    ((1, 3, 7, 6), (4, 3, 3, 3), {"pads": [1, 0, 2, 1]}),
    ((1, 2, 9, 9), (3, 2, 3, 3), {"dilations": [2, 2], "pads": [1, 1, 1, 1]}),
    ((1, 4, 6, 7), (6, 2, 3, 3), {"group": 2, "pads": [1, 1, 1, 1]}),
    ((1, 4, 7, 7), (4, 1, 3, 3), {"group": 4, "pads": [1, 1, 1, 1], "strides": [2, 2]}),  # depthwise
    ((1, 4, 6, 6), (8, 1, 3, 3), {"group": 4}),  # depthwise, multiplier 2
    ((1, 3, 7, 8), (4, 3, 3, 2), {"auto_pad": "SAME_UPPER", "strides": [2, 2]}),
    ((1, 3, 7, 8), (4, 3, 2, 3), {"auto_pad": "SAME_LOWER", "strides": [2, 3]}),
    ((1, 3, 8, 7), (4, 3, 2, 2), {"auto_pad": "SAME_UPPER"}),  # (onnxruntime rejects SAME with dilations)
    ((1, 3, 7, 8), (4, 3, 3, 3), {"auto_pad": "VALID", "strides": [2, 2]}),
    ((1, 3, 5, 5), (2, 3, 1, 1), {}),  # pointwise
    ((1, 2, 4, 4), (3, 2, 3, 3), {"pads": [3, 3, 3, 3], "strides": [3, 1]}),  # windows in padding only
    ((1, 2, 6, 6), (3, 2, 3, 3), {"kernel_shape": [3, 3], "pads": [0, 2, 1, 0], "dilations": [1, 2], "strides": [1, 2]}),
    # 1-D and 3-D
    ((2, 3, 11), (4, 3, 3), {}),
    ((1, 4, 12), (4, 2, 4), {"group": 2, "strides": [2], "pads": [2, 1], "dilations": [2]}),
    ((1, 2, 10), (3, 2, 3), {"auto_pad": "SAME_LOWER", "strides": [3]}),
    ((1, 2, 5, 6, 4), (3, 2, 3, 3, 2), {}),
    ((1, 2, 5, 6, 4), (4, 1, 3, 2, 3), {"group": 2, "pads": [1, 0, 1, 1, 1, 0], "strides": [2, 1, 2]}),
    ((1, 2, 5, 5, 5), (2, 2, 2, 2, 2), {"auto_pad": "SAME_UPPER", "strides": [2, 2, 2]}),
]


def with_bias_cases(cases):
    """Each case once, alternately with and without the optional bias B."""
    return [(*c, i % 2 == 0) for i, c in enumerate(cases)]


def bias_ids(cases):
    return [f"{len(c[0]) - 2}d-{case_id(c[2])}-{'bias' if i % 2 == 0 else 'nobias'}" for i, c in enumerate(cases)]


@pytest.mark.parametrize("x_shape,w_shape,attrs,with_bias", with_bias_cases(CONV_CASES), ids=bias_ids(CONV_CASES))
def test_conv(x_shape, w_shape, attrs, with_bias):
    feeds = {"x": rand(x_shape), "w": rand(w_shape)}
    if with_bias:
        feeds["b"] = rand((w_shape[0],))
    assert_matches_ort(single_node_model("Conv", feeds, **attrs), feeds)


def test_conv_constant_weights():
    x = rand((1, 3, 6, 6))
    inits = {"w": rand((4, 3, 3, 3)), "b": rand((4,))}
    assert_matches_ort(single_node_model("Conv", {"x": x}, initializers=inits, pads=[1, 1, 1, 1]), {"x": x})


def compare_with_reference(model, feeds, rtol=1e-10, atol=1e-10):
    (expected,) = ReferenceEvaluator(model).run(None, feeds)
    (got,) = compiler.compile(model).run(feeds)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def test_conv_f64_vs_reference():
    """onnxruntime has no float64 Conv kernel."""
    feeds = {"x": rand((1, 4, 6, 5), np.float64), "w": rand((4, 2, 3, 3), np.float64), "b": rand((4,), np.float64)}
    compare_with_reference(single_node_model("Conv", feeds, group=2, pads=[1, 0, 0, 1], strides=[2, 1]), feeds)


# ---- ConvTranspose ------------------------------------------------------------------

# (X shape, W shape, attributes); W is (C, M/group, k...).
CONV_TRANSPOSE_CASES = [
    ((1, 3, 4, 5), (3, 2, 3, 3), {}),
    ((2, 3, 4, 4), (3, 2, 3, 3), {"strides": [2, 2]}),
    ((1, 2, 4, 5), (2, 3, 3, 3), {"strides": [2, 2], "pads": [1, 0, 1, 2]}),
    ((1, 2, 4, 5), (2, 3, 3, 3), {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]}),
    ((1, 2, 3, 4), (2, 3, 2, 3), {"strides": [3, 2], "output_padding": [2, 0]}),
    ((1, 4, 4, 4), (4, 2, 3, 3), {"group": 2, "strides": [2, 2]}),
    ((1, 4, 4, 5), (4, 1, 3, 2), {"group": 4, "dilations": [2, 1], "pads": [1, 0, 0, 1]}),  # depthwise
    ((1, 2, 4, 5), (2, 3, 3, 3), {"dilations": [2, 2], "strides": [2, 1]}),
    ((1, 2, 4, 5), (2, 3, 3, 3), {"strides": [2, 2], "output_shape": [9, 10]}),
    ((1, 2, 4, 5), (2, 3, 3, 3), {"strides": [2, 2], "output_shape": [8, 10]}),
    ((1, 2, 4, 5), (2, 3, 3, 3), {"strides": [2, 2], "output_shape": [8, 10], "auto_pad": "SAME_LOWER"}),
    ((1, 2, 4, 5), (2, 3, 3, 3), {"strides": [2, 2], "auto_pad": "SAME_UPPER"}),
    ((1, 2, 4, 5), (2, 3, 3, 3), {"strides": [3, 2], "auto_pad": "SAME_LOWER", "dilations": [1, 2]}),
    ((1, 2, 4, 5), (2, 3, 3, 3), {"strides": [2, 2], "auto_pad": "VALID"}),
    ((1, 2, 3, 3), (2, 2, 3, 3), {"pads": [2, 2, 2, 2]}),  # output smaller than the input
    # 1-D and 3-D
    ((2, 3, 6), (3, 2, 3), {"strides": [2]}),
    ((1, 4, 5), (4, 2, 4), {"group": 2, "strides": [3], "pads": [1, 2], "output_padding": [1]}),
    ((1, 2, 3, 4, 3), (2, 2, 2, 3, 2), {"strides": [2, 1, 2], "pads": [0, 1, 1, 0, 1, 0]}),
]


@pytest.mark.parametrize(
    "x_shape,w_shape,attrs,with_bias", with_bias_cases(CONV_TRANSPOSE_CASES), ids=bias_ids(CONV_TRANSPOSE_CASES)
)
def test_conv_transpose(x_shape, w_shape, attrs, with_bias):
    feeds = {"x": rand(x_shape), "w": rand(w_shape)}
    if with_bias:
        feeds["b"] = rand((w_shape[1] * attrs.get("group", 1),))
    assert_matches_ort(single_node_model("ConvTranspose", feeds, **attrs), feeds)


def test_conv_transpose_f64_vs_reference():
    feeds = {"x": rand((1, 2, 3, 4), np.float64), "w": rand((2, 2, 3, 3), np.float64), "b": rand((2,), np.float64)}
    compare_with_reference(single_node_model("ConvTranspose", feeds, strides=[2, 2], pads=[1, 0, 0, 1]), feeds)


# ---- MaxPool / AveragePool ----------------------------------------------------------

POOL_CASES = [
    ((1, 3, 8, 8), {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ((2, 3, 7, 8), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
    ((1, 2, 7, 8), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1}),
    ((1, 2, 8, 7), {"kernel_shape": [3, 2], "strides": [2, 2], "ceil_mode": 1}),
    ((1, 2, 7, 8), {"kernel_shape": [3, 2], "pads": [2, 0, 1, 1]}),
    ((1, 2, 7, 8), {"kernel_shape": [3, 3], "auto_pad": "SAME_UPPER", "strides": [2, 2]}),
    ((1, 2, 7, 8), {"kernel_shape": [2, 3], "auto_pad": "SAME_LOWER", "strides": [2, 3]}),
    ((1, 2, 7, 8), {"kernel_shape": [3, 3], "auto_pad": "VALID", "strides": [2, 1]}),
    ((1, 2, 9, 9), {"kernel_shape": [2, 2], "dilations": [2, 2], "pads": [1, 1, 1, 1]}),
    ((1, 2, 9, 8), {"kernel_shape": [2, 3], "dilations": [3, 2], "strides": [2, 2], "pads": [1, 2, 1, 0], "ceil_mode": 1}),
    # 1-D and 3-D
    ((2, 3, 11), {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}),
    ((1, 2, 10), {"kernel_shape": [4], "strides": [3], "ceil_mode": 1}),
    ((1, 2, 5, 6, 4), {"kernel_shape": [2, 3, 2], "strides": [2, 2, 1], "pads": [1, 1, 0, 0, 1, 1]}),
]


@pytest.mark.parametrize("x_shape,attrs", POOL_CASES, ids=[f"{len(c[0]) - 2}d-{case_id(c[1])}" for c in POOL_CASES])
def test_max_pool(x_shape, attrs):
    x = rand(x_shape)
    assert_matches_ort(single_node_model("MaxPool", {"x": x}, **attrs), {"x": x})


@pytest.mark.parametrize("x_shape,attrs", POOL_CASES, ids=[f"{len(c[0]) - 2}d-{case_id(c[1])}" for c in POOL_CASES])
@pytest.mark.parametrize("count_include_pad", [0, 1])
def test_average_pool(x_shape, attrs, count_include_pad):
    x = rand(x_shape)
    model = single_node_model("AveragePool", {"x": x}, count_include_pad=count_include_pad, **attrs)
    assert_matches_ort(model, {"x": x})


@pytest.mark.parametrize("op", ["MaxPool", "AveragePool"])
def test_pool_ceil_mode_window_in_end_padding(op):
    """onnx shape inference says 1x1x4x5; the spec and onnxruntime drop the window that
    starts in the end padding (1x1x4x4); the importer corrects it."""
    x = rand((1, 1, 7, 8))
    model = single_node_model(op, {"x": x}, kernel_shape=[3, 2], strides=[2, 2], pads=[1, 0, 1, 1], ceil_mode=1)
    assert_matches_ort(model, {"x": x})


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int8, np.uint8])
def test_max_pool_dtypes(dtype):
    x = rand((1, 3, 7, 7), dtype)
    model = single_node_model("MaxPool", {"x": x}, kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    assert_matches_ort(model, {"x": x})


@pytest.mark.parametrize("storage_order", [0, 1])
@pytest.mark.parametrize(
    "x_shape,attrs",
    [
        ((2, 3, 7, 8), {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
        ((1, 2, 9, 8), {"kernel_shape": [2, 3], "dilations": [2, 1], "pads": [1, 0, 0, 1], "ceil_mode": 1, "strides": [2, 2]}),
        ((1, 2, 11), {"kernel_shape": [3], "strides": [2]}),
        ((1, 2, 5, 4, 6), {"kernel_shape": [2, 2, 3], "strides": [2, 1, 2], "pads": [0, 1, 1, 1, 0, 0]}),
    ],
    ids=["2d", "2d-dilated-ceil", "1d", "3d"],
)
def test_max_pool_indices(x_shape, attrs, storage_order):
    x = rand(x_shape)
    model = single_node_model("MaxPool", {"x": x}, outputs=["y", "indices"], storage_order=storage_order, **attrs)
    assert_matches_ort(model, {"x": x})


def test_average_pool_f16():
    x = rand((1, 3, 6, 6), np.float16)
    model = single_node_model("AveragePool", {"x": x}, kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    assert_matches_ort(model, {"x": x}, rtol=1e-2, atol=1e-2)  # f16 rounding of the sum


# ---- GlobalAveragePool / GlobalMaxPool ----------------------------------------------


@pytest.mark.parametrize("op", ["GlobalAveragePool", "GlobalMaxPool"])
@pytest.mark.parametrize("x_shape", [(2, 3, 5, 6), (1, 4, 7), (1, 2, 3, 4, 5), (1, 3, 1, 1)], ids=case_id)
def test_global_pool(op, x_shape):
    x = rand(x_shape)
    assert_matches_ort(single_node_model(op, {"x": x}), {"x": x})


# ---- the explicit-vector conv tile ----------------------------------------------------


@pytest.mark.parametrize("cpu", ["znver3", "znver4"])
@pytest.mark.parametrize("channels,stride,pad", [(16, 1, 1), (24, 2, 1), (8, 1, 0)], ids=case_id)
def test_conv_nchwc_vector_tile_equals_lane_loops(monkeypatch, channels, stride, pad, cpu):
    # Built for znver3 (AVX2, 16 registers) or znver4 (AVX-512, 32 registers: other tile
    # shapes) the NCHWc conv tiles carry explicit vector<8xf32> accumulators
    # (CpuTarget.explicit_conv_tiles); with the lane-loop tile instead, the same FMAs
    # in the same order: bitwise equal outputs. Bias, a residual Add and Relu fuse into
    # the conv; 24 channels = 3 blocks (the 1-block tiles), stride 2 and padding (masked
    # border tiles), and an NCHW first conv (C = 3: the kw taps unrolled).
    from onnx import TensorProto, helper, numpy_helper

    from lowering.target import host_target

    if host_target().vector_bits < (512 if cpu == "znver4" else 256):
        pytest.skip(f"the host cannot run code built for {cpu}")
    w1, b1 = rand((channels, 3, 3, 3)), rand((channels,))
    w2, b2 = rand((channels, channels, 3, 3)), rand((channels,))
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1] * 4),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], pads=[pad] * 4, strides=[stride] * 2),
        helper.make_node("Conv", ["r1", "w2"], ["c3"], pads=[pad] * 4, strides=[stride] * 2),
        helper.make_node("Add", ["c2", "c3"], ["s"]),
        helper.make_node("Relu", ["s"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 13, 11])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, n) for n, v in {"w1": w1, "b1": b1, "w2": w2, "b2": b2}.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    _vector_tiles_equal_lane_loops(monkeypatch, model, {"x": rand((1, 3, 13, 11))}, cpu, "strata.ConvNCHWc")


def _vector_tiles_equal_lane_loops(monkeypatch, model, feeds, cpu: str, op_type: str) -> None:
    """`model` built for `cpu` with explicit vector tiles, then with lane loops: other
    code, bitwise the same outputs, and onnxruntime's."""
    from lowering.target import CpuTarget

    vector_model = compiler.compile(model, num_threads=1, cpu=cpu)
    assert op_type in vector_model.stats["graph_passes"]["ops_after"]
    got = vector_model.run(feeds)[0]
    monkeypatch.setattr(CpuTarget, "explicit_conv_tiles", property(lambda self: False))
    # the kernel cache's key names the CPU, not this patched property: lower again
    monkeypatch.setenv("STRATA_KERNEL_CACHE", "0")
    lanes_model = compiler.compile(model, num_threads=1, cpu=cpu)
    assert lanes_model._jit.optimized_ir() != vector_model._jit.optimized_ir()
    np.testing.assert_array_equal(got, lanes_model.run(feeds)[0])
    assert_matches_ort(model, feeds, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("cpu", ["znver3", "znver4"])
@pytest.mark.parametrize("kernel,stride,pad", [(3, 1, 1), (5, 2, 2), (3, 1, 0)], ids=case_id)
def test_depthwise_vector_tile_equals_lane_loops(monkeypatch, cpu, kernel, stride, pad):
    # The depthwise NCHWc kernel's explicit vector<8xf32> accumulators (explicit_conv_tiles)
    # against its lane loops: the same FMAs in the same order, bitwise equal; full tiles,
    # border columns and clamped rows, a bias and a Relu fused in.
    from onnx import TensorProto, helper, numpy_helper

    from lowering.target import host_target

    if host_target().vector_bits < (512 if cpu == "znver4" else 256):
        pytest.skip(f"the host cannot run code built for {cpu}")
    c = 24
    w0 = rand((c, 3, 1, 1))
    w, b = rand((c, 1, kernel, kernel)), rand((c,))
    nodes = [
        helper.make_node("Conv", ["x", "w0"], ["c0"]),
        helper.make_node("Conv", ["c0", "w", "b"], ["c1"], group=c, pads=[pad] * 4, strides=[stride] * 2),
        helper.make_node("Relu", ["c1"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 19, 13])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, n) for n, v in {"w0": w0, "w": w, "b": b}.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    _vector_tiles_equal_lane_loops(monkeypatch, model, {"x": rand((1, 3, 19, 13))}, cpu, "strata.DepthwiseConvNCHWc")
