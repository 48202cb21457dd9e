"""ReduceL1/SumSquare/LogSum/LogSumExp, CumSum, Hardmax and TopK against onnxruntime
(onnxruntime has no f64 Hardmax: that one is checked against onnx.reference)."""

from __future__ import annotations

import numpy as np
import pytest

import compiler
from tests.ort_check import assert_matches_ort, single_node_model

RNG = np.random.default_rng(0)


def assert_matches_reference(model, feeds, rtol=1e-4, atol=1e-4):
    """Compiles with Strata and compares with onnx.reference.ReferenceEvaluator, for
    cases onnxruntime cannot run."""
    from onnx.reference import ReferenceEvaluator

    expected = ReferenceEvaluator(model).run(None, dict(feeds))
    got = compiler.compile(model).run(dict(feeds))
    for g, e in zip(got, expected, strict=True):
        assert g.shape == e.shape and g.dtype == e.dtype, (g.shape, g.dtype, e.shape, e.dtype)
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)

# (shape, axes or None for "absent", keepdims)
CASES = [
    ((7,), [0], 1),
    ((7,), None, 0),
    ((3, 5), [1], 0),
    ((3, 5), [-2], 1),
    ((2, 3, 4), [0, 2], 0),
    ((2, 3, 4, 5), [1, 3], 0),
    ((2, 3, 4, 5), None, 1),
    ((2, 3, 4, 5), [-3], 1),
]


def _reduce_model(op: str, x: np.ndarray, axes, **attrs):
    inits = {"axes": np.array(axes, np.int64)} if axes is not None else {}
    return single_node_model(op, {"x": x}, outputs=["y"], initializers=inits, **attrs)


def _data(shape, dtype=np.float32, op: str = "") -> np.ndarray:
    if np.dtype(dtype).kind == "f":
        if op == "ReduceLogSum":  # log of a positive sum
            return RNG.uniform(0.1, 2.0, shape).astype(dtype)
        return RNG.standard_normal(shape).astype(dtype)
    return RNG.integers(-50, 50, shape).astype(dtype)


# ---- ReduceL1 / ReduceSumSquare / ReduceLogSum / ReduceLogSumExp ----------------------

NEW_REDUCE_OPS = ["ReduceL1", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"]


@pytest.mark.parametrize("op", NEW_REDUCE_OPS)
@pytest.mark.parametrize("shape,axes,keepdims", CASES)
def test_reduce_f32(op, shape, axes, keepdims):
    x = _data(shape, np.float32, op)
    assert_matches_ort(_reduce_model(op, x, axes, keepdims=keepdims), {"x": x})


@pytest.mark.parametrize(
    "op,dtype",
    [
        ("ReduceL1", np.int64),
        ("ReduceL1", np.int32),
        ("ReduceSumSquare", np.int64),
        ("ReduceSumSquare", np.int32),
        ("ReduceL1", np.float64),
        ("ReduceSumSquare", np.float64),
        ("ReduceLogSum", np.float64),
        ("ReduceLogSumExp", np.float64),
    ],
)
@pytest.mark.parametrize("shape,axes,keepdims", [((3, 4, 5), [1], 0), ((3, 4, 5), [0, -1], 1)])
def test_reduce_other_dtypes(op, dtype, shape, axes, keepdims):
    x = _data(shape, dtype, op)
    assert_matches_ort(_reduce_model(op, x, axes, keepdims=keepdims), {"x": x}, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("op", NEW_REDUCE_OPS)
@pytest.mark.parametrize("noop", [0, 1])
def test_empty_axes(op, noop):
    x = _data((2, 3, 4), np.float32, op)
    assert_matches_ort(_reduce_model(op, x, [], keepdims=0, noop_with_empty_axes=noop), {"x": x})


def test_log_sum_exp_is_stable():
    """exp(1e3) overflows f32; subtracting the max keeps the result finite."""
    x = RNG.standard_normal((4, 6)).astype(np.float32) * 1e3
    x[1] = 500.0  # all equal
    got = assert_matches_ort(_reduce_model("ReduceLogSumExp", x, [1], keepdims=0), {"x": x})
    assert np.all(np.isfinite(got[0]))


def test_log_sum_exp_infinities():
    """A row of -inf gives -inf (the shift by -inf would give NaN), +inf gives +inf."""
    x = np.array([[-np.inf, -np.inf, -np.inf], [1.0, np.inf, 2.0], [-np.inf, 0.0, 1.0]], np.float32)
    assert_matches_ort(_reduce_model("ReduceLogSumExp", x, [1], keepdims=0), {"x": x})


@pytest.mark.parametrize("op", NEW_REDUCE_OPS)
def test_reduce_empty_set(op):
    """Reducing over a zero-sized dim: 0 for L1/SumSquare, -inf for the log reductions."""
    x = np.zeros((2, 0, 4), np.float32)
    assert_matches_ort(_reduce_model(op, x, [1], keepdims=1), {"x": x})


# ---- CumSum -------------------------------------------------------------------------

CUMSUM_CASES = [((7,), 0), ((3, 5), 0), ((3, 5), 1), ((3, 5), -1), ((2, 3, 4), 1), ((2, 3, 4), -3)]


@pytest.mark.parametrize("shape,axis", CUMSUM_CASES)
@pytest.mark.parametrize("exclusive", [0, 1])
@pytest.mark.parametrize("reverse", [0, 1])
def test_cumsum(shape, axis, exclusive, reverse):
    x = _data(shape)
    model = single_node_model(
        "CumSum", {"x": x}, initializers={"axis": np.array(axis, np.int64)}, exclusive=exclusive, reverse=reverse
    )
    assert_matches_ort(model, {"x": x})


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float64])
@pytest.mark.parametrize("axis_dtype", [np.int64, np.int32])
def test_cumsum_dtypes(dtype, axis_dtype):
    x = _data((3, 4), dtype)
    for exclusive, reverse in ((0, 0), (1, 1)):
        model = single_node_model(
            "CumSum", {"x": x}, initializers={"axis": np.array([1], axis_dtype)}, exclusive=exclusive, reverse=reverse
        )
        assert_matches_ort(model, {"x": x}, rtol=1e-10, atol=1e-10)


def test_cumsum_non_constant_axis_is_read_at_run_time():
    """A run-time axis compiles (a loop nest per axis); tests/test_run_time_operands.py
    checks every axis and the refusal of one out of range."""
    x = _data((2, 3))
    for axis in (0, 1, -1):
        a = np.array(axis, np.int64)
        model = single_node_model("CumSum", {"x": x, "axis": a})
        assert_matches_ort(model, {"x": x, "axis": a})


# ---- Hardmax ------------------------------------------------------------------------


@pytest.mark.parametrize("shape,axis", [((6,), None), ((3, 5), 0), ((3, 5), None), ((2, 3, 4), 1), ((2, 3, 4), -3)])
def test_hardmax(shape, axis):
    x = _data(shape)
    attrs = {} if axis is None else {"axis": axis}
    assert_matches_ort(single_node_model("Hardmax", {"x": x}, **attrs), {"x": x})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hardmax_ties_pick_first(dtype):
    """onnxruntime has no f64 Hardmax kernel: f64 is checked against onnx.reference."""
    x = RNG.integers(0, 3, (4, 3, 6)).astype(dtype)
    check = assert_matches_ort if dtype == np.float32 else assert_matches_reference
    for axis in (0, 1, 2):
        check(single_node_model("Hardmax", {"x": x}, axis=axis), {"x": x})


# ---- TopK ---------------------------------------------------------------------------

TOPK_CASES = [((9,), -1, 3), ((9,), 0, 9), ((3, 7), 1, 1), ((3, 7), 0, 2), ((2, 5, 4), 1, 3), ((2, 3, 8), -1, 5)]


@pytest.mark.parametrize("shape,axis,k", TOPK_CASES)
@pytest.mark.parametrize("largest", [0, 1])
def test_topk(shape, axis, k, largest):
    x = _data(shape)
    model = single_node_model(
        "TopK", {"x": x}, outputs=["values", "indices"], initializers={"k": np.array([k], np.int64)},
        axis=axis, largest=largest,
    )
    assert_matches_ort(model, {"x": x})


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32])
@pytest.mark.parametrize("largest", [0, 1])
def test_topk_ties_lower_index_first(dtype, largest):
    """Few distinct values so every row has ties: equal values keep the lower index first."""
    x = RNG.integers(0, 3, (3, 4, 7)).astype(dtype)
    for axis, k in ((2, 4), (1, 4), (0, 2)):
        model = single_node_model(
            "TopK", {"x": x}, outputs=["values", "indices"], initializers={"k": np.array([k], np.int64)},
            axis=axis, largest=largest,
        )
        assert_matches_ort(model, {"x": x})


def test_topk_extremes_int64():
    """Rows holding the type's extremes (no sentinel value is used)."""
    lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    x = np.array([[lo, lo, 3, hi], [hi, hi, lo, 0]], np.int64)
    for largest in (0, 1):
        model = single_node_model(
            "TopK", {"x": x}, outputs=["values", "indices"], initializers={"k": np.array([3], np.int64)},
            largest=largest,
        )
        assert_matches_ort(model, {"x": x})


@pytest.mark.parametrize("op", ["ReduceLogSumExp", "Hardmax", "TopK"])
def test_f16(op):
    """Half precision, compared at a few f16 ulps."""
    x = RNG.standard_normal((3, 8)).astype(np.float16)
    if op == "ReduceLogSumExp":
        model = _reduce_model(op, x, [1], keepdims=0)
    elif op == "TopK":
        k = {"k": np.array([3], np.int64)}
        model = single_node_model(op, {"x": x}, outputs=["values", "indices"], initializers=k)
    else:
        model = single_node_model(op, {"x": x})
    assert_matches_ort(model, {"x": x}, rtol=4e-3, atol=4e-3)
