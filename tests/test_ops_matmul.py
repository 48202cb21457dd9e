"""MatMul and Gemm kernels against onnxruntime (and numpy for integer Gemm, which
onnxruntime does not implement)."""

from __future__ import annotations

import numpy as np
import pytest

import compiler
from tests.ort_check import assert_matches_ort, single_node_model

RNG = np.random.default_rng(7)


def rand(shape, dtype=np.float32) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return RNG.standard_normal(shape).astype(dtype)
    if dtype.kind == "u":
        return RNG.integers(0, 6, shape).astype(dtype)
    return RNG.integers(-5, 6, shape).astype(dtype)


# ---- MatMul -------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),  # 2-D
    ((1, 1), (1, 1)),
    ((2, 3, 4), (2, 4, 5)),  # batched
    ((2, 3, 4), (4, 5)),  # batch broadcast of a 2-D B
    ((3, 4), (2, 4, 5)),  # batch broadcast of a 2-D A
    ((2, 1, 3, 4), (1, 3, 4, 2)),  # both broadcast
    ((4,), (4, 5)),  # 1-D x 2-D
    ((3, 4), (4,)),  # 2-D x 1-D
    ((4,), (4,)),  # 1-D x 1-D: a scalar
    ((4,), (2, 4, 3)),  # 1-D x batched
    ((2, 3, 4), (4,)),  # batched x 1-D
]


@pytest.mark.parametrize("a_shape,b_shape", MATMUL_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matmul_f32(a_shape, b_shape):
    a, b = rand(a_shape), rand(b_shape)
    assert_matches_ort(single_node_model("MatMul", {"a": a, "b": b}), {"a": a, "b": b})


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.int64, np.uint32, np.uint64])
def test_matmul_dtypes(dtype):
    a, b = rand((2, 3, 4), dtype), rand((4, 5), dtype)
    assert_matches_ort(single_node_model("MatMul", {"a": a, "b": b}), {"a": a, "b": b})


def test_matmul_constant_weight():
    a, w = rand((3, 6)), rand((6, 4))
    model = single_node_model("MatMul", {"a": a}, initializers={"w": w})
    assert_matches_ort(model, {"a": a})


# ---- Gemm ---------------------------------------------------------------------------


def gemm_inputs(m, k, n, trans_a, trans_b, c_shape, dtype=np.float32):
    a = rand((k, m) if trans_a else (m, k), dtype)
    b = rand((n, k) if trans_b else (k, n), dtype)
    feeds = {"a": a, "b": b}
    if c_shape is not None:
        feeds["c"] = rand(c_shape, dtype)
    return feeds


@pytest.mark.parametrize("trans_a", [0, 1])
@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_transpose(trans_a, trans_b):
    feeds = gemm_inputs(3, 5, 4, trans_a, trans_b, (3, 4))
    model = single_node_model("Gemm", feeds, transA=trans_a, transB=trans_b)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize(
    "c_shape",
    [None, (), (1,), (4,), (1, 4), (3, 1), (3, 4), (1, 1)],
    ids=lambda s: "absent" if s is None else "c" + "x".join(map(str, s)),
)
@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_c_broadcast(c_shape, trans_b):
    feeds = gemm_inputs(3, 5, 4, 0, trans_b, c_shape)
    model = single_node_model("Gemm", feeds, transB=trans_b, alpha=0.5, beta=2.0)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (0.25, 0.0), (-1.5, 3.0), (0.0, 1.0), (2.0, -0.5)])
def test_gemm_alpha_beta(alpha, beta):
    feeds = gemm_inputs(4, 3, 2, 1, 0, (2,))
    model = single_node_model("Gemm", feeds, transA=1, alpha=alpha, beta=beta)
    assert_matches_ort(model, feeds)


def test_gemm_absent_c_in_middle_of_inputs():
    """C given as an empty name (the 3-input form with C left out)."""
    feeds = gemm_inputs(3, 4, 5, 0, 1, None)
    model = single_node_model("Gemm", feeds, input_order=["a", "b", ""], transB=1, alpha=1.5)
    assert_matches_ort(model, feeds)


def test_gemm_constant_weights():
    """The usual Linear layer: Y = X @ W^T + bias with W and bias as initializers."""
    x, w, bias = rand((2, 6)), rand((4, 6)), rand((4,))
    model = single_node_model("Gemm", {"x": x}, initializers={"w": w, "bias": bias}, transB=1)
    assert_matches_ort(model, {"x": x})


def test_gemm_f64():
    feeds = gemm_inputs(3, 4, 5, 1, 1, (5,), np.float64)
    model = single_node_model("Gemm", feeds, transA=1, transB=1, alpha=0.5, beta=-2.0)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_int_vs_numpy(dtype, trans_b):
    """onnxruntime has no integer Gemm kernel: compare with numpy (integral alpha/beta)."""
    feeds = gemm_inputs(3, 4, 5, 1, trans_b, (3, 1), dtype)
    model = single_node_model("Gemm", feeds, transA=1, transB=trans_b, alpha=2.0, beta=3.0)
    (got,) = compiler.compile(model).run(feeds)
    b = feeds["b"].T if trans_b else feeds["b"]
    expected = (2 * (feeds["a"].T @ b) + 3 * feeds["c"]).astype(dtype)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_matmul_f16():
    a, b = rand((2, 3, 8), np.float16), rand((8, 4), np.float16)
    # f16 accumulation over k=8 (onnxruntime accumulates in f32): a few f16 ulps apart.
    assert_matches_ort(single_node_model("MatMul", {"a": a, "b": b}), {"a": a, "b": b}, rtol=1e-2, atol=1e-2)
