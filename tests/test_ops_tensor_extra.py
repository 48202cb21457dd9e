"""GatherElements, ScatterElements, GatherND, ScatterND, OneHot, Trilu, EyeLike,
DepthToSpace and SpaceToDepth against onnxruntime. Cases onnxruntime has no kernel for
are checked against onnx.reference (`check_reference`, each use says why): OneHot with
index types other than i64, DepthToSpace/SpaceToDepth on integer and bool tensors,
EyeLike with a bool output, and SpaceToDepth's `mode`, which came with opset 28.
Out-of-range gather/scatter indices are refused at run time: tests/test_runtime_checks.py."""

from __future__ import annotations

import numpy as np
import pytest

import compiler
from tests.ort_check import assert_matches_ort, single_node_model

RNG = np.random.default_rng(0)


def rand(shape, dtype=np.float32):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return np.asarray(RNG.random(shape) > 0.5)
    if dtype.kind in "iu":
        return RNG.integers(-100 if dtype.kind == "i" else 0, 100, size=shape).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


def check(op_type, inputs, initializers=None, input_order=None, outputs=("y",), opset=21, **attrs):
    model = single_node_model(
        op_type, inputs, outputs=outputs, initializers=initializers, input_order=input_order, opset=opset, **attrs
    )
    return assert_matches_ort(model, inputs)


def check_reference(op_type, inputs, initializers=None, input_order=None, opset=21, **attrs):
    """Like `check`, against onnx.reference.ReferenceEvaluator."""
    from onnx.reference import ReferenceEvaluator

    model = single_node_model(op_type, inputs, initializers=initializers, input_order=input_order, opset=opset, **attrs)
    want = ReferenceEvaluator(model).run(None, dict(inputs))[0]
    got = compiler.compile(model).run(dict(inputs))[0]
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape, want.dtype, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    return got


# ---- GatherElements -----------------------------------------------------------------


@pytest.mark.parametrize(
    "data_shape,index_shape,axis",
    [
        ((5,), (7,), 0),
        ((3, 4), (2, 4), 0),
        ((3, 4), (3, 6), 1),
        ((3, 4), (2, 3), -1),
        ((2, 3, 4), (2, 3, 2), 2),
        ((2, 3, 4), (2, 5, 4), -2),
    ],
)
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
def test_gather_elements(data_shape, index_shape, axis, index_dtype):
    dim = data_shape[axis]
    data = rand(data_shape)
    indices = RNG.integers(-dim, dim, index_shape).astype(index_dtype)
    check("GatherElements", {"data": data, "indices": indices}, axis=axis)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.float64, np.uint8])
def test_gather_elements_dtypes(dtype):
    data = rand((3, 4), dtype)
    indices = RNG.integers(-3, 3, (2, 4)).astype(np.int64)
    check("GatherElements", {"data": data, "indices": indices})


# ---- ScatterElements ----------------------------------------------------------------


def _unique_indices(shape, axis, dim, dtype=np.int64):
    """Indices without duplicates along `axis` (reduction none has no defined order)."""
    moved = list(shape)
    n = moved.pop(axis % len(shape))
    rows = [RNG.permutation(dim)[:n] - (dim if RNG.random() < 0.5 else 0) for _ in range(int(np.prod(moved)))]
    return np.moveaxis(np.array(rows).reshape(*moved, n), -1, axis % len(shape)).astype(dtype)


@pytest.mark.parametrize(
    "data_shape,index_shape,axis",
    [((6,), (3,), 0), ((3, 4), (2, 4), 0), ((3, 5), (3, 2), 1), ((2, 3, 4), (2, 2, 3), -1), ((2, 3, 4), (1, 3, 4), 1)],
)
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
def test_scatter_elements(data_shape, index_shape, axis, index_dtype):
    data, updates = rand(data_shape), rand(index_shape)
    indices = _unique_indices(index_shape, axis, data_shape[axis], index_dtype)
    check("ScatterElements", {"data": data, "indices": indices, "updates": updates}, axis=axis)


@pytest.mark.parametrize("reduction", ["add", "mul", "max", "min"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.int32])
def test_scatter_elements_reduction_duplicates(reduction, dtype):
    """Duplicate indices combine every update with the running value."""
    data = rand((3, 5), dtype)
    indices = RNG.integers(-5, 5, (3, 7)).astype(np.int64)
    updates = rand((3, 7), dtype)
    if dtype != np.float32 and reduction == "mul":
        data, updates = data % 5, updates % 3
    check("ScatterElements", {"data": data, "indices": indices, "updates": updates}, axis=1, reduction=reduction)


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.float64])
def test_scatter_elements_dtypes(dtype):
    data, updates = rand((4, 3), dtype), rand((2, 3), dtype)
    indices = _unique_indices((2, 3), 0, 4)
    check("ScatterElements", {"data": data, "indices": indices, "updates": updates})


# ---- GatherND / ScatterND -----------------------------------------------------------


def _nd_indices(index_shape, dims, dtype=np.int64):
    """Random in-range index tuples (half of them negative) for the leading `dims`."""
    cols = [RNG.integers(-d, d, index_shape[:-1]) for d in dims]
    return np.stack(cols, axis=-1).astype(dtype)


@pytest.mark.parametrize(
    "data_shape,index_shape,batch_dims",
    [
        ((2, 2), (2, 2), 0),  # elements
        ((2, 2), (2, 1), 0),  # rows
        ((2, 3, 4), (3, 2), 0),
        ((2, 3, 4), (2, 2, 3), 0),
        ((2, 3, 4), (2, 1), 1),
        ((2, 3, 4), (2, 5, 2), 1),
        ((2, 3, 4, 2), (2, 3, 1), 2),
        ((5,), (1,), 0),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_gather_nd(data_shape, index_shape, batch_dims, dtype):
    q = index_shape[-1]
    data = rand(data_shape, dtype)
    indices = _nd_indices(index_shape, data_shape[batch_dims : batch_dims + q])
    check("GatherND", {"data": data, "indices": indices}, batch_dims=batch_dims)


@pytest.mark.parametrize(
    "data_shape,index_shape",
    [((8,), (4, 1)), ((4, 3), (2, 1)), ((4, 3), (3, 2)), ((2, 3, 4), (2, 2)), ((2, 3, 4), (2, 2, 3)),
     ((4, 4, 4), (2, 1))],
)
def test_scatter_nd(data_shape, index_shape):
    q = index_shape[-1]
    n = int(np.prod(index_shape[:-1]))
    # Distinct tuples: reduction none has no defined order for duplicates.
    flat = RNG.permutation(int(np.prod(data_shape[:q])))[:n]
    indices = np.stack(np.unravel_index(flat, data_shape[:q]), axis=-1).reshape(index_shape).astype(np.int64)
    data, updates = rand(data_shape), rand((*index_shape[:-1], *data_shape[q:]))
    check("ScatterND", {"data": data, "indices": indices, "updates": updates})


@pytest.mark.parametrize("reduction", ["add", "mul", "max", "min"])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_scatter_nd_reduction_duplicates(reduction, dtype):
    data = rand((4, 3), dtype)
    indices = np.array([[1], [-1], [1], [3]], np.int64)
    updates = rand((4, 3), dtype)
    if dtype == np.int64 and reduction == "mul":
        data, updates = data % 5, updates % 3
    check("ScatterND", {"data": data, "indices": indices, "updates": updates}, reduction=reduction)


# ---- OneHot -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "index_shape,axis", [((5,), -1), ((5,), 0), ((2, 3), -1), ((2, 3), 1), ((2, 3), 0), ((2, 3), -2)]
)
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32, np.float32])
def test_one_hot(index_shape, axis, index_dtype):
    """Indices in [-depth - 2, depth + 2): negative ones wrap, out-of-range ones are all
    off. onnxruntime has OneHot for i64 indices with an i64 depth only (of these)."""
    depth = 4
    indices = RNG.integers(-depth - 2, depth + 2, index_shape).astype(index_dtype)
    values = np.array([-1.5, 3.0], np.float32)
    (check if index_dtype == np.int64 else check_reference)(
        "OneHot", {"indices": indices, "values": values}, initializers={"depth": np.array(depth, np.int64)},
        input_order=["indices", "depth", "values"], axis=axis,
    )


@pytest.mark.parametrize("values_dtype", [np.int64, np.int32, np.float64])
def test_one_hot_values_dtypes(values_dtype):
    """A float depth; onnxruntime lacks these type combinations: onnx.reference."""
    indices = np.array([[0, 2], [1, -1]], np.int64)
    values = np.array([2, 7], values_dtype)
    check_reference(
        "OneHot", {"indices": indices, "values": values}, initializers={"depth": np.array(3.0, np.float32)},
        input_order=["indices", "depth", "values"],
    )


# ---- Trilu / EyeLike ----------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 2), (2, 3, 4)])
@pytest.mark.parametrize("k", [None, 0, 1, -2, 7, -9])
@pytest.mark.parametrize("upper", [0, 1])
def test_trilu(shape, k, upper):
    x = rand(shape)
    inits = {} if k is None else {"k": np.array(k, np.int64)}
    check("Trilu", {"x": x}, initializers=inits, upper=upper)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.float64, np.int32])
def test_trilu_runtime_k_dtypes(dtype):
    """k as a graph input: read at run time."""
    x = rand((3, 4, 5), dtype)
    for upper, k in ((1, -1), (0, 2)):
        check("Trilu", {"x": x, "k": np.array(k, np.int64)}, upper=upper)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 2)])
@pytest.mark.parametrize("k", [0, 1, -2, 6])
def test_eye_like(shape, k):
    check("EyeLike", {"x": rand(shape)}, k=k)


@pytest.mark.parametrize(
    "in_dtype,dtype", [(np.float32, 7), (np.int64, 1), (np.int32, None), (np.float64, 11), (np.float32, 9)]
)
def test_eye_like_dtype(in_dtype, dtype):
    """onnxruntime has no bool (dtype 9) EyeLike: that one against onnx.reference."""
    attrs = {} if dtype is None else {"dtype": dtype}
    (check_reference if dtype == 9 else check)("EyeLike", {"x": rand((3, 4), in_dtype)}, k=1, **attrs)



@pytest.mark.parametrize("dtype", [2, 4, 12])
def test_eye_like_unsigned_dtype(dtype):
    """An unsigned dtype (UINT8/16/32) types the result unsigned, as the importer types
    it (EyeLike's verifier once wanted a signless result and rejected these models)."""
    check_reference("EyeLike", {"x": rand((3, 4))}, k=-1, dtype=dtype)

# ---- DepthToSpace / SpaceToDepth ----------------------------------------------------


@pytest.mark.parametrize(
    "shape,blocksize", [((1, 8, 2, 3), 2), ((2, 18, 2, 2), 3), ((1, 4, 3, 3), 1), ((2, 12, 1, 2), 2)]
)
@pytest.mark.parametrize("mode", [None, "DCR", "CRD"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_depth_to_space(shape, blocksize, mode, dtype):
    """onnxruntime has no i64 DepthToSpace: that one against onnx.reference."""
    attrs = {} if mode is None else {"mode": mode}
    kind = check_reference if dtype == np.int64 else check
    kind("DepthToSpace", {"x": rand(shape, dtype)}, blocksize=blocksize, **attrs)


@pytest.mark.parametrize("shape,blocksize", [((1, 2, 4, 6), 2), ((2, 3, 6, 3), 3), ((1, 3, 2, 2), 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_])
def test_space_to_depth(shape, blocksize, dtype):
    """onnxruntime has no i64/bool SpaceToDepth: those against onnx.reference."""
    kind = check if np.dtype(dtype).kind == "f" else check_reference
    kind("SpaceToDepth", {"x": rand(shape, dtype)}, blocksize=blocksize)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_space_to_depth_mode_opset28(mode):
    """`mode` came with opset 28, beyond onnxruntime: checked against onnx.reference, and
    SpaceToDepth(mode) must undo DepthToSpace(mode)."""
    from onnx.reference import ReferenceEvaluator

    x = rand((2, 3, 4, 6))
    model = single_node_model("SpaceToDepth", {"x": x}, opset=28, blocksize=2, mode=mode)
    got = compiler.compile(model).run({"x": x})[0]
    np.testing.assert_array_equal(got, ReferenceEvaluator(model).run(None, {"x": x})[0])
    back = single_node_model("DepthToSpace", {"d": got}, opset=28, blocksize=2, mode=mode)
    np.testing.assert_array_equal(compiler.compile(back).run({"d": got})[0], x)
