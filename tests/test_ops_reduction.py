"""ReduceSum/Mean/Max/Min/Prod/L2 and ArgMax/ArgMin against onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest

import compiler
from dialects.errors import StrataError
from tests.ort_check import assert_matches_ort, single_node_model

RNG = np.random.default_rng(0)

REDUCE_OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2"]

# (shape, axes or None for "absent", keepdims)
CASES = [
    ((7,), [0], 1),
    ((7,), None, 0),
    ((3, 5), [1], 0),
    ((3, 5), [-2], 1),
    ((2, 3, 4), [0, 2], 0),
    ((2, 3, 4), [-1, 0], 1),
    ((2, 3, 4, 5), [1, 3], 0),
    ((2, 3, 4, 5), None, 1),
    ((2, 3, 4, 5), [-3], 1),
]


def _reduce_model(op: str, x: np.ndarray, axes, **attrs):
    inits = {"axes": np.array(axes, np.int64)} if axes is not None else {}
    return single_node_model(op, {"x": x}, outputs=["y"], initializers=inits, **attrs)


def _data(shape, dtype=np.float32, op: str = "") -> np.ndarray:
    if np.dtype(dtype).kind == "f":
        if op == "ReduceProd":  # keep products near 1
            return RNG.uniform(0.5, 1.5, shape).astype(dtype)
        return RNG.standard_normal(shape).astype(dtype)
    lo, hi = (-3, 4) if op == "ReduceProd" else (-100, 100)
    if np.dtype(dtype).kind == "u":
        lo = 0
    return RNG.integers(lo, hi, shape).astype(dtype)


@pytest.mark.parametrize("op", REDUCE_OPS)
@pytest.mark.parametrize("shape,axes,keepdims", CASES)
def test_reduce_f32(op, shape, axes, keepdims):
    x = _data(shape, np.float32, op)
    assert_matches_ort(_reduce_model(op, x, axes, keepdims=keepdims), {"x": x})


@pytest.mark.parametrize(
    "op,dtype",
    [
        ("ReduceSum", np.int64),
        ("ReduceMax", np.int64),
        ("ReduceMin", np.int64),
        ("ReduceProd", np.int64),
        ("ReduceMean", np.int64),
        ("ReduceSum", np.int32),
        ("ReduceMax", np.int32),
        ("ReduceMin", np.uint8),
        ("ReduceMax", np.uint8),
        ("ReduceMax", np.int8),
        ("ReduceSum", np.float64),
        ("ReduceL2", np.float64),
        ("ReduceMean", np.float64),
    ],
)
@pytest.mark.parametrize("shape,axes,keepdims", [((3, 4, 5), [1], 0), ((3, 4, 5), [0, -1], 1), ((6,), None, 0)])
def test_reduce_other_dtypes(op, dtype, shape, axes, keepdims):
    x = _data(shape, dtype, op)
    assert_matches_ort(_reduce_model(op, x, axes, keepdims=keepdims), {"x": x})


def test_reduce_max_min_bool():
    x = RNG.integers(0, 2, (3, 4)).astype(bool)
    x[0] = False
    x[1] = True
    for op in ("ReduceMax", "ReduceMin"):
        assert_matches_ort(_reduce_model(op, x, [1], keepdims=0), {"x": x})


def test_reduce_max_extremes_int64():
    """The accumulator starts at the type's extreme, so INT64_MIN/MAX rows still work."""
    x = np.array([[np.iinfo(np.int64).min, np.iinfo(np.int64).min], [5, np.iinfo(np.int64).max]], np.int64)
    for op in ("ReduceMax", "ReduceMin"):
        assert_matches_ort(_reduce_model(op, x, [1], keepdims=1), {"x": x})


def test_reduce_float_infinities():
    x = np.array([[-np.inf, -np.inf, -np.inf], [1.0, np.inf, 2.0]], np.float32)
    for op in ("ReduceMax", "ReduceMin", "ReduceSum"):
        assert_matches_ort(_reduce_model(op, x, [1], keepdims=0), {"x": x})


@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMean", "ReduceMax"])
@pytest.mark.parametrize(
    "axes",
    [None, []],
)
@pytest.mark.parametrize("noop", [0, 1])
def test_empty_axes(op, axes, noop):
    """Absent or empty axes: all axes, or identity with noop_with_empty_axes=1."""
    x = _data((2, 3, 4))
    model = _reduce_model(op, x, axes, keepdims=0, noop_with_empty_axes=noop)
    assert_matches_ort(model, {"x": x})


@pytest.mark.parametrize("keepdims", [0, 1])
def test_reduce_rank0(keepdims):
    x = np.array(-2.5, np.float32)
    for op in ("ReduceSum", "ReduceMax", "ReduceL2"):
        assert_matches_ort(_reduce_model(op, x, None, keepdims=keepdims), {"x": x})


def test_non_constant_axes_is_an_error():
    x = _data((2, 3))
    model = single_node_model(
        "ReduceSum", {"x": x, "axes": np.array([1], np.int64)}, outputs=["y"], keepdims=0
    )
    with pytest.raises(StrataError, match="axes"):
        compiler.compile(model)


# ---- ArgMax / ArgMin ----------------------------------------------------------------

ARG_CASES = [
    ((9,), 0, 1),
    ((9,), -1, 0),
    ((3, 5), 0, 0),
    ((3, 5), 1, 1),
    ((2, 3, 4), -2, 0),
    ((2, 3, 4, 5), 3, 1),
    ((2, 3, 4, 5), 1, 0),
]


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("shape,axis,keepdims", ARG_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_arg(op, shape, axis, keepdims, dtype):
    x = _data(shape, dtype)
    assert_matches_ort(single_node_model(op, {"x": x}, axis=axis, keepdims=keepdims), {"x": x})


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("last", [0, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32, np.uint8])
def test_arg_ties_select_last_index(op, last, dtype):
    """Few distinct values so every row has ties; select_last_index picks the tie."""
    x = RNG.integers(0, 3, (4, 6, 5)).astype(dtype)
    for axis in (1, 2):
        model = single_node_model(op, {"x": x}, axis=axis, keepdims=0, select_last_index=last)
        assert_matches_ort(model, {"x": x})


def test_arg_default_axis():
    x = _data((5, 3))
    assert_matches_ort(single_node_model("ArgMax", {"x": x}), {"x": x})
