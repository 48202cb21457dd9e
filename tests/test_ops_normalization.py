"""Softmax/LogSoftmax, LayerNormalization, BatchNormalization and InstanceNormalization
against onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest

import compiler
from tests.ort_check import assert_matches_ort, single_node_model

RNG = np.random.default_rng(0)


def _normal(shape, dtype=np.float32, scale=1.0, offset=0.0) -> np.ndarray:
    return (RNG.standard_normal(shape) * scale + offset).astype(dtype)


# ---- Softmax / LogSoftmax -----------------------------------------------------------

SOFTMAX_CASES = [
    ((10,), None),
    ((10,), 0),
    ((3, 7), None),
    ((3, 7), 0),
    ((2, 3, 5), 1),
    ((2, 3, 5), -3),
    ((2, 3, 4, 5), -1),
    ((2, 3, 4, 5), 2),
    ((2, 3, 4, 5), 0),
]


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("shape,axis", SOFTMAX_CASES)
def test_softmax(op, shape, axis):
    x = _normal(shape, scale=3.0)
    attrs = {} if axis is None else {"axis": axis}
    assert_matches_ort(single_node_model(op, {"x": x}, **attrs), {"x": x})


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
@pytest.mark.parametrize("shape,axis", [((4, 16), -1), ((2, 8, 3), 1)])
def test_softmax_large_magnitude(op, shape, axis):
    """Values ~1e3 overflow exp() without the row-max shift; results must stay finite.
    LogSoftmax outputs are ~1e3 in magnitude, so atol scales with them (rtol 1e-4 holds)."""
    x = _normal(shape, scale=1e3)
    x[0, 0] = 3e3  # one dominant entry: its softmax is exactly 1, the others 0
    got = assert_matches_ort(single_node_model(op, {"x": x}, axis=axis), {"x": x})
    assert np.all(np.isfinite(got[0]))


def test_softmax_all_equal_large():
    x = np.full((3, 5), 1e4, np.float32)
    got = assert_matches_ort(single_node_model("Softmax", {"x": x}), {"x": x})
    np.testing.assert_allclose(got[0], 0.2, rtol=1e-6)


def test_softmax_negative_infinity():
    """-inf entries get probability 0; a row that also has finite values stays finite."""
    x = _normal((2, 6))
    x[0, 2] = -np.inf
    x[1, :3] = -np.inf
    assert_matches_ort(single_node_model("Softmax", {"x": x}), {"x": x})


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
def test_softmax_f64(op):
    x = _normal((3, 4, 5), np.float64, scale=10.0)
    assert_matches_ort(single_node_model(op, {"x": x}, axis=1), {"x": x}, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax"])
def test_softmax_f16(op):
    """Computed in f32, rounded to f16: tolerance is a few f16 ulps (2**-10 relative)."""
    x = _normal((3, 16), np.float16, scale=4.0)
    assert_matches_ort(single_node_model(op, {"x": x}), {"x": x}, rtol=4e-3, atol=4e-3)


# ---- LayerNormalization -------------------------------------------------------------

LAYERNORM_CASES = [
    # (X shape, axis, Scale/B shape)
    ((8,), -1, (8,)),
    ((4, 8), -1, (8,)),
    ((4, 8), 0, (4, 8)),
    ((2, 3, 8), -1, (8,)),
    ((2, 3, 8), -2, (3, 8)),
    ((2, 3, 8), -2, (1, 8)),  # broadcast over the first normalized dim
    ((2, 3, 4, 5), -1, (5,)),
    ((2, 3, 4, 5), -2, (4, 5)),
    ((2, 3, 4, 5), 1, (3, 4, 5)),
    ((2, 3, 4, 5), 1, (4, 1)),
]


@pytest.mark.parametrize("shape,axis,param_shape", LAYERNORM_CASES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_layer_norm(shape, axis, param_shape, with_bias):
    x = _normal(shape, scale=2.0, offset=1.0)
    inits = {"scale": _normal(param_shape)}
    if with_bias:
        inits["bias"] = _normal(param_shape)
    model = single_node_model("LayerNormalization", {"x": x}, initializers=inits, axis=axis, epsilon=1e-3)
    assert_matches_ort(model, {"x": x})


def _layer_norm_stats_model(x, inits, node_outputs, axis):
    """LayerNormalization with typed graph outputs (onnxruntime cannot type the optional
    Mean/InvStdDev outputs itself); "" in `node_outputs` leaves that output out."""
    import onnx
    from onnx import helper, numpy_helper

    stats_shape = [*x.shape[: axis % x.ndim], *([1] * (x.ndim - axis % x.ndim))]
    shapes = [list(x.shape), stats_shape, stats_shape]
    node = helper.make_node("LayerNormalization", ["x", *inits], node_outputs, axis=axis)
    graph = helper.make_graph(
        [node],
        "layer_norm_stats",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, x.shape)],
        [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, s) for n, s in zip(node_outputs, shapes) if n],
        [numpy_helper.from_array(a, n) for n, a in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model


@pytest.mark.parametrize("axis", [-1, -2])
@pytest.mark.parametrize("with_bias", [True, False])
def test_layer_norm_mean_inv_std_dev(axis, with_bias):
    x = _normal((2, 3, 6), offset=5.0)
    inits = {"scale": _normal((3, 6)[axis:])}
    if with_bias:
        inits["bias"] = _normal((3, 6)[axis:])
    for outputs in (["y", "mean", "inv_std"], ["y", "", "inv_std"], ["y", "mean"]):
        assert_matches_ort(_layer_norm_stats_model(x, inits, outputs, axis), {"x": x})


def test_layer_norm_f64():
    x = _normal((3, 4, 5), np.float64)
    inits = {"scale": _normal((4, 5), np.float64), "bias": _normal((4, 5), np.float64)}
    model = single_node_model("LayerNormalization", {"x": x}, initializers=inits, axis=1)
    assert_matches_ort(model, {"x": x}, rtol=1e-9, atol=1e-9)


def test_layer_norm_f16():
    """Statistics computed in f32 (stash_type); tolerance is a few f16 ulps."""
    x = _normal((4, 16), np.float16, scale=2.0)
    inits = {"scale": _normal((16,), np.float16), "bias": _normal((16,), np.float16)}
    model = single_node_model("LayerNormalization", {"x": x}, initializers=inits)
    assert_matches_ort(model, {"x": x}, rtol=4e-3, atol=4e-3)


# ---- BatchNormalization -------------------------------------------------------------


def _bn_params(c: int, dtype=np.float32) -> dict[str, np.ndarray]:
    return {
        "scale": _normal((c,), dtype),
        "b": _normal((c,), dtype),
        "mean": _normal((c,), dtype),
        "var": RNG.uniform(0.1, 2.0, (c,)).astype(dtype),
    }


@pytest.mark.parametrize("shape", [(4, 3), (1, 5), (2, 3, 7), (2, 3, 4, 5), (1, 2, 3, 2, 2)])
@pytest.mark.parametrize("epsilon", [None, 1e-2])
def test_batch_norm(shape, epsilon):
    x = _normal(shape, scale=2.0, offset=0.5)
    attrs = {} if epsilon is None else {"epsilon": epsilon}
    model = single_node_model("BatchNormalization", {"x": x}, initializers=_bn_params(shape[1]), **attrs)
    assert_matches_ort(model, {"x": x})


def test_batch_norm_params_as_inputs():
    x = _normal((2, 4, 3, 3))
    params = _bn_params(4)
    feeds = {"x": x, **params}
    assert_matches_ort(single_node_model("BatchNormalization", feeds), feeds)


def test_batch_norm_f64():
    x = _normal((2, 3, 4, 5), np.float64)
    model = single_node_model("BatchNormalization", {"x": x}, initializers=_bn_params(3, np.float64))
    assert_matches_ort(model, {"x": x}, rtol=1e-10, atol=1e-10)


# ---- InstanceNormalization ----------------------------------------------------------


@pytest.mark.parametrize("shape", [(2, 3, 7), (2, 3, 4, 5), (1, 4, 1, 6), (1, 2, 2, 3, 2)])
@pytest.mark.parametrize("epsilon", [None, 1e-2])
def test_instance_norm(shape, epsilon):
    x = _normal(shape, scale=3.0, offset=-2.0)
    c = shape[1]
    inits = {"scale": _normal((c,)), "b": _normal((c,))}
    attrs = {} if epsilon is None else {"epsilon": epsilon}
    model = single_node_model("InstanceNormalization", {"x": x}, initializers=inits, **attrs)
    assert_matches_ort(model, {"x": x})


def test_instance_norm_rank2():
    """No spatial dims: every (n, c) normalizes a single element, so y = B (onnxruntime
    rejects rank 2, so this checks against the definition)."""
    x = _normal((3, 4))
    inits = {"scale": _normal((4,)), "b": _normal((4,))}
    model = single_node_model("InstanceNormalization", {"x": x}, initializers=inits)
    got = compiler.compile(model).run({"x": x})[0]
    np.testing.assert_allclose(got, np.broadcast_to(inits["b"], x.shape), rtol=1e-6, atol=1e-6)


# ---- long rows: the statistics in vector lanes (reduction.lane_fold) -----------------

@pytest.mark.parametrize("n", [32, 96, 100, 768])
def test_long_rows_match_onnxruntime(n: int) -> None:
    """Rows of at least SUM_LANES elements take the lane-parallel sums (with a tail when
    n is not a multiple of 32); every result is still onnxruntime's within 1e-5, and an
    offset far from zero checks the two-pass variance."""
    x = _normal((6, n), scale=2.0, offset=30.0)
    inits = {"scale": _normal((n,)), "b": _normal((n,))}
    assert_matches_ort(single_node_model("LayerNormalization", {"x": x}, initializers=inits, axis=-1, epsilon=1e-5),
                       {"x": x}, rtol=1e-5, atol=1e-5)
    s = _normal((6, n), scale=3.0)
    assert_matches_ort(single_node_model("Softmax", {"x": s}, axis=-1), {"x": s}, rtol=1e-5, atol=1e-6)


def test_layer_norm_statistics_are_vector_adds() -> None:
    """The mean and variance loops of a 768-wide LayerNorm are vectorized: a plain float
    running sum would stay one scalar chain. (No bias: then the normalizing pass adds
    nothing, and every vector add is a statistic's.)"""
    import re

    x = _normal((4, 768))
    inits = {"scale": _normal((768,))}
    compiled = compiler.compile(single_node_model("LayerNormalization", {"x": x}, initializers=inits, axis=-1))
    ir = compiled._jit.optimized_ir()
    assert len(re.findall(r"= fadd <(?:8|16|32) x float>", ir)) >= 2
