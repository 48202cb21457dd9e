"""LRN, RMSNormalization (opset 23), GroupNormalization (opset 21), LpNormalization and
MeanVarianceNormalization against onnxruntime. onnxruntime's LRN only takes 4-D f32
inputs with odd sizes, and onnx.reference's LRN sums the wrong window (it loops over N
instead of C), so other LRN cases are checked against a numpy transcription of the
spec, and f64 MeanVarianceNormalization (no onnxruntime kernel) against the ONNX
formula in numpy."""

from __future__ import annotations

import numpy as np
import pytest

import compiler
from tests.ort_check import assert_matches_ort, single_node_model

RNG = np.random.default_rng(0)


def _normal(shape, dtype=np.float32, scale=1.0, offset=0.0) -> np.ndarray:
    return (RNG.standard_normal(shape) * scale + offset).astype(dtype)


# ---- LRN ----------------------------------------------------------------------------


def _lrn_numpy(x: np.ndarray, size: int, alpha=1e-4, beta=0.75, bias=1.0) -> np.ndarray:
    """The ONNX spec: square sum over channels [c - floor((size-1)/2), c + ceil((size-1)/2)]."""
    lo, hi = (size - 1) // 2, size // 2
    sq = np.zeros_like(x, dtype=np.float64)
    for c in range(x.shape[1]):
        window = x[:, max(0, c - lo) : min(x.shape[1], c + hi + 1)].astype(np.float64)
        sq[:, c] = np.sum(window * window, axis=1)
    return (x / (bias + alpha / size * sq) ** beta).astype(x.dtype)


@pytest.mark.parametrize("shape", [(2, 7, 4, 3), (1, 3, 5, 5), (1, 10, 1, 2)])
@pytest.mark.parametrize(
    "attrs",
    [{"size": 3}, {"size": 5, "alpha": 0.01, "beta": 0.5, "bias": 2.0}, {"size": 1}, {"size": 11, "alpha": 1e-3}],
)
def test_lrn(shape, attrs):
    x = _normal(shape, scale=3.0)
    assert_matches_ort(single_node_model("LRN", {"x": x}, **attrs), {"x": x})


@pytest.mark.parametrize(
    "shape,dtype,size",
    [
        ((2, 6, 3, 3), np.float32, 2),  # window [c, c + 1]
        ((2, 6, 3, 3), np.float32, 4),  # window [c - 1, c + 2]
        ((1, 5, 7), np.float32, 3),  # rank 3
        ((1, 4, 2, 2, 3), np.float32, 3),  # rank 5
        ((2, 5, 3, 3), np.float64, 3),
    ],
)
def test_lrn_beyond_onnxruntime(shape, dtype, size):
    """Even sizes, ranks other than 4 and f64, which onnxruntime rejects, against numpy."""
    x = _normal(shape, dtype, scale=2.0)
    got = compiler.compile(single_node_model("LRN", {"x": x}, size=size, alpha=0.1)).run({"x": x})[0]
    assert got.dtype == x.dtype
    np.testing.assert_allclose(got, _lrn_numpy(x, size, alpha=0.1), rtol=1e-5, atol=1e-5)


# ---- RMSNormalization ---------------------------------------------------------------

RMS_CASES = [
    # (X shape, axis, scale shape)
    ((8,), -1, (8,)),
    ((4, 8), -1, (8,)),
    ((4, 8), 0, (4, 8)),
    ((2, 3, 8), -2, (3, 8)),
    ((2, 3, 8), 1, (1, 8)),
    ((2, 3, 4, 5), -1, (5,)),
    ((2, 3, 4, 5), 1, (3, 1, 5)),
    ((2, 3, 4, 5), 2, (2, 1, 1, 5)),  # scale broadcasts to all of X, not only the normalized dims
]


@pytest.mark.parametrize("shape,axis,scale_shape", RMS_CASES)
@pytest.mark.parametrize("epsilon", [None, 1e-2])
def test_rms_norm(shape, axis, scale_shape, epsilon):
    x = _normal(shape, scale=2.0, offset=0.5)
    attrs = {} if epsilon is None else {"epsilon": epsilon}
    model = single_node_model(
        "RMSNormalization", {"x": x}, initializers={"scale": _normal(scale_shape)}, opset=23, axis=axis, **attrs
    )
    assert_matches_ort(model, {"x": x})


def test_rms_norm_f64():
    x = _normal((3, 4, 5), np.float64)
    inits = {"scale": _normal((4, 5), np.float64)}
    model = single_node_model("RMSNormalization", {"x": x}, initializers=inits, opset=23, axis=1)
    assert_matches_ort(model, {"x": x}, rtol=1e-6, atol=1e-6)


def test_rms_norm_scale_as_input():
    x, scale = _normal((2, 6)), _normal((6,))
    feeds = {"x": x, "scale": scale}
    assert_matches_ort(single_node_model("RMSNormalization", feeds, opset=23), feeds)


# ---- GroupNormalization -------------------------------------------------------------


@pytest.mark.parametrize(
    "shape,groups",
    [((2, 6, 4, 3), 3), ((2, 6, 4, 3), 1), ((2, 6, 4, 3), 6), ((1, 4, 7), 2), ((3, 4), 2), ((1, 4, 2, 2, 3), 4)],
)
@pytest.mark.parametrize("epsilon", [None, 1e-2])
def test_group_norm(shape, groups, epsilon):
    x = _normal(shape, scale=3.0, offset=-1.0)
    c = shape[1]
    inits = {"scale": _normal((c,)), "bias": _normal((c,))}
    attrs = {} if epsilon is None else {"epsilon": epsilon}
    model = single_node_model("GroupNormalization", {"x": x}, initializers=inits, num_groups=groups, **attrs)
    assert_matches_ort(model, {"x": x})


def test_group_norm_f64():
    x = _normal((2, 4, 3, 3), np.float64)
    inits = {"scale": _normal((4,), np.float64), "bias": _normal((4,), np.float64)}
    model = single_node_model("GroupNormalization", {"x": x}, initializers=inits, num_groups=2)
    assert_matches_ort(model, {"x": x}, rtol=1e-6, atol=1e-6)


# ---- LpNormalization ----------------------------------------------------------------


@pytest.mark.parametrize("shape,axis", [((6,), None), ((3, 5), 0), ((3, 5), None), ((2, 3, 4), 1), ((2, 3, 4), -3)])
@pytest.mark.parametrize("p", [1, 2])
def test_lp_norm(shape, axis, p):
    x = _normal(shape)
    attrs = {} if axis is None else {"axis": axis}
    assert_matches_ort(single_node_model("LpNormalization", {"x": x}, p=p, **attrs), {"x": x})


@pytest.mark.parametrize("p", [1, 2])
def test_lp_norm_zero_rows(p):
    """A zero norm gives 0, not NaN (opset 22 spells it out; onnxruntime agrees)."""
    x = _normal((4, 5))
    x[1] = 0.0
    assert_matches_ort(single_node_model("LpNormalization", {"x": x}, p=p), {"x": x})


def test_lp_norm_f64():
    x = _normal((3, 4), np.float64)
    assert_matches_ort(single_node_model("LpNormalization", {"x": x}, axis=0), {"x": x}, rtol=1e-10, atol=1e-10)


# ---- MeanVarianceNormalization ------------------------------------------------------


@pytest.mark.parametrize(
    "shape,axes",
    [((2, 3, 4, 5), None), ((2, 3, 4, 5), [1, 3]), ((2, 3, 4, 5), [-1]), ((3, 4), [0, 1]), ((2, 3, 4), [0, 2])],
)
def test_mvn(shape, axes):
    x = _normal(shape, scale=2.0, offset=3.0)
    attrs = {} if axes is None else {"axes": axes}
    assert_matches_ort(single_node_model("MeanVarianceNormalization", {"x": x}, **attrs), {"x": x})


def test_mvn_f64():
    """onnxruntime has no f64 kernel and onnx's function body mixes in an f32 epsilon
    (so neither onnx.reference nor onnx shape inference handle f64: the output type is
    given), so this checks against the ONNX formula in numpy."""
    from tests.ort_check import tensor_info

    x = _normal((2, 3, 4, 2), np.float64, offset=2.0)
    model = single_node_model("MeanVarianceNormalization", {"x": x})
    model.graph.output[0].CopyFrom(tensor_info("y", x))
    got = compiler.compile(model).run({"x": x})[0]
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    want = (x - mean) / (np.sqrt(((x - mean) ** 2).mean(axis=(0, 2, 3), keepdims=True)) + 1e-9)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


# ---- half precision -----------------------------------------------------------------


@pytest.mark.parametrize("op", ["RMSNormalization", "GroupNormalization", "LpNormalization"])
def test_f16(op):
    """Computed in f32 (stash_type), rounded to f16: tolerance is a few f16 ulps."""
    x = _normal((2, 4, 8), np.float16, scale=2.0)
    inits, attrs = {}, {}
    if op == "RMSNormalization":
        inits, attrs = {"scale": _normal((8,), np.float16)}, {"opset": 23}
    elif op == "GroupNormalization":
        inits, attrs = {"scale": _normal((4,), np.float16), "bias": _normal((4,), np.float16)}, {"num_groups": 2}
    model = single_node_model(op, {"x": x}, initializers=inits, **attrs)
    assert_matches_ort(model, {"x": x}, rtol=4e-3, atol=4e-3)
