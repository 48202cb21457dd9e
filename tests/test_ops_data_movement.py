"""Data-movement kernels (lowering/kernels/data_movement.py) against onnxruntime:
Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Split, Slice, Gather, Expand,
Tile, Shape, Size, ConstantOfShape and Range, over f32 plus int and bool tensors.

Shape, Size, ConstantOfShape and Range nodes with constant inputs are folded away at
import, and again by -O1..-O3's onnx-fold-constants; the `no_fold` fixture keeps them as
ops at import and `check_kernel` compiles them at -O0 (no graph pass), asserting the op
is still in the graph the kernels are made from, so their kernels are what runs."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from compiler.onnx_import import _Importer
from tests.ort_check import assert_matches_ort, single_node_model

RNG = np.random.default_rng(0)


def rand(shape, dtype=np.float32):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return np.asarray(RNG.random(shape) > 0.5)
    if dtype.kind in "iu":
        return RNG.integers(-100 if dtype.kind == "i" else 0, 100, size=shape).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


def i64(values):
    return np.array(values, dtype=np.int64)


def check_kernel(model, op_type, feeds=None):
    """Checks `model` against onnxruntime at -O0, where `op_type` must reach lowering
    (not folded to a constant), so its kernel computes the result."""
    import compiler

    compiled = compiler.compile(model, opt_level=0)
    assert op_type in compiled.stats["graph_passes"]["ops_after"], f"{op_type} was folded, its kernel did not run"
    assert compiled.stats["kernels"] >= 1
    return assert_matches_ort(model, feeds or {}, opt_levels=[0])


def check(op_type, inputs, initializers=None, input_order=None, outputs=("y",), opset=21, **attrs):
    model = single_node_model(
        op_type, inputs, outputs=outputs, initializers=initializers, input_order=input_order, opset=opset, **attrs
    )
    return assert_matches_ort(model, inputs)


@pytest.fixture
def no_fold(monkeypatch):
    """Import Shape/Size/ConstantOfShape/Range as ops even when their inputs are known."""
    original = _Importer.try_fold

    def try_fold(self, node):
        if node.op_type in ("Shape", "Size", "ConstantOfShape", "Range"):
            return False
        return original(self, node)

    monkeypatch.setattr(_Importer, "try_fold", try_fold)


# ---- reshaping -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_, np.uint8])
@pytest.mark.parametrize(
    "in_shape,shape",
    [((2, 3, 4), [4, -1]), ((2, 3, 4), [0, 12]), ((2, 3, 4), [24]), ((6,), [1, 2, 1, 3]), ((1, 5, 1), [5])],
)
def test_reshape(in_shape, shape, dtype):
    check("Reshape", {"x": rand(in_shape, dtype)}, {"shape": i64(shape)})


def test_reshape_rank0():
    check("Reshape", {"x": rand((1, 1))}, {"shape": i64([])})


@pytest.mark.parametrize("axis", [0, 1, 2, -1, 3])
def test_flatten(axis):
    check("Flatten", {"x": rand((2, 3, 4))}, axis=axis)


@pytest.mark.parametrize("in_shape,axes", [((1, 3, 1, 4), [0, 2]), ((1, 3, 1, 4), None), ((2, 1), [-1])])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_squeeze(in_shape, axes, dtype):
    inits = {"axes": i64(axes)} if axes is not None else None
    check("Squeeze", {"x": rand(in_shape, dtype)}, inits)


@pytest.mark.parametrize("in_shape,axes", [((3, 4), [0, -1]), ((3, 4), [1, 3]), ((), [0])])
@pytest.mark.parametrize("dtype", [np.float32, np.bool_])
def test_unsqueeze(in_shape, axes, dtype):
    check("Unsqueeze", {"x": rand(in_shape, dtype)}, {"axes": i64(axes)})


@pytest.mark.parametrize(
    "in_shape,perm",
    [((3, 4), None), ((2, 3, 4), [1, 2, 0]), ((2, 3, 4), [0, 2, 1]), ((2, 3, 4, 5), [0, 3, 1, 2]), ((2, 3, 4), None)],
)
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_transpose(in_shape, perm, dtype):
    attrs = {} if perm is None else {"perm": perm}
    check("Transpose", {"x": rand(in_shape, dtype)}, **attrs)


@pytest.mark.parametrize(
    "in_shape,perm",
    # dims that move together are collapsed (data_movement.transpose_groups); sizes that
    # split into several shares on 2 threads
    [((1, 96, 56, 56), [0, 2, 3, 1]), ((1, 56, 56, 96), [0, 3, 1, 2]), ((1, 197, 3, 6, 64), [2, 0, 3, 1, 4]),
     ((2, 3, 4, 5, 6), [3, 4, 0, 1, 2]), ((4, 5, 6), [0, 1, 2]),
     # 8 x 8 register blocks (f32) with a ragged last dim, a ragged other dim, both
     ((1, 6, 197, 64), [0, 1, 3, 2]), ((2, 20, 13), [0, 2, 1]), ((3, 16, 24), [0, 2, 1])],
)
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_transpose_collapsed_groups_bitwise(in_shape, perm, threads, dtype):
    import compiler

    x = rand(in_shape, dtype)
    model = single_node_model("Transpose", {"x": x}, outputs=("y",), perm=perm)
    (y,) = compiler.compile(model, opt_level=0, num_threads=threads).run({"x": x})
    np.testing.assert_array_equal(y, np.transpose(x, perm))


def test_transpose_groups():
    from lowering.kernels.data_movement import transpose_groups

    assert transpose_groups([0, 2, 3, 1]) == [[0], [1], [2, 3]]
    assert transpose_groups([2, 0, 1]) == [[0, 1], [2]]
    assert transpose_groups([3, 4, 0, 1, 2]) == [[0, 1, 2], [3, 4]]
    assert transpose_groups([1, 0]) == [[0], [1]]


# ---- joining and splitting -----------------------------------------------------------


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_concat(axis, dtype):
    base = [2, 3, 4]
    inputs = {}
    for k, n in enumerate((1, 2, 3)):
        shape = list(base)
        shape[axis] = n
        inputs[f"x{k}"] = rand(shape, dtype)
    check("Concat", inputs, axis=axis)


@pytest.mark.parametrize("axis", [0, 1, 2])
@pytest.mark.parametrize("dtype", [np.float32, np.int8])
def test_concat_long_parts_in_chunks(axis, dtype):
    """Parts longer than PARALLEL_CHUNK elements are copied in chunks plus a tail (a
    [2, 3, 57, 43] part is 7353 elements a row on axis 1), at 1 and 2 threads."""
    import compiler

    shapes = [[2, 3, 57, 43], [2, 3, 57, 43]]
    shapes[1][axis] += 2
    inputs = {f"x{k}": rand(s, dtype) for k, s in enumerate(shapes)}
    model = single_node_model("Concat", inputs, outputs=["y"], axis=axis)
    expected = np.concatenate(list(inputs.values()), axis=axis)
    for threads in (1, 2):
        (got,) = compiler.compile(model, num_threads=threads).run(inputs)
        np.testing.assert_array_equal(got, expected)


def test_split_long_parts_in_chunks():
    x = rand([1, 12, 40, 40])
    model = single_node_model("Split", {"x": x}, outputs=["a", "b"], initializers={"split": i64([5, 7])}, axis=1)
    import compiler

    a, b = compiler.compile(model, num_threads=2).run({"x": x})
    np.testing.assert_array_equal(a, x[:, :5])
    np.testing.assert_array_equal(b, x[:, 5:])


def test_concat_bool_with_empty():
    check("Concat", {"a": rand((2, 0), np.bool_), "b": rand((2, 3), np.bool_), "c": rand((2, 1), np.bool_)}, axis=1)


@pytest.mark.parametrize(
    "shape,axis,split,num",
    [
        ((6, 4), 0, None, 3),  # equal, num_outputs
        ((2, 7), 1, None, 3),  # num_outputs with a smaller last part (3, 3, 1)
        ((2, 3, 6), -1, [1, 2, 3], None),  # uneven, split input
        ((5, 2), 0, [5], None),  # one part
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_split(shape, axis, split, num, dtype):
    n = num if num is not None else len(split)
    outputs = [f"y{k}" for k in range(n)]
    inits = {"split": i64(split)} if split is not None else None
    attrs = {"axis": axis}
    if num is not None:
        attrs["num_outputs"] = num
    check("Split", {"x": rand(shape, dtype)}, inits, outputs=outputs, **attrs)


def test_split_opset13_equal():
    """No split input and no num_outputs (opset 13): equal parts, one per output."""
    check("Split", {"x": rand((4, 6))}, outputs=["a", "b", "c"], opset=13, axis=1)


# ---- indexing --------------------------------------------------------------------------

BIG = 2**62


@pytest.mark.parametrize(
    "starts,ends,axes,steps",
    [
        ([1, 0], [3, 4], None, None),  # default axes and steps
        ([-1, 10], [-100, 0], [2, 1], [-2, -1]),  # negative steps, clamped start
        ([0], [BIG], [1], [2]),  # end clamped to dim
        ([-BIG], [BIG], [-1], [3]),  # start clamped to 0
        ([BIG, 2], [-BIG, 0], [0, 2], [-1, -1]),  # negative step from clamped end to before 0
        ([5], [1], [2], [1]),  # empty result
        ([1, 1, -2], [-1, 3, -5], [0, 1, 2], [1, 1, -1]),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_slice(starts, ends, axes, steps, dtype):
    inits = {"starts": i64(starts), "ends": i64(ends)}
    order = ["x", "starts", "ends"]
    if axes is not None:
        inits["axes"] = i64(axes)
        order.append("axes")
    if steps is not None:
        inits["steps"] = i64(steps)
        order.append("steps")
    check("Slice", {"x": rand((3, 4, 5), dtype)}, inits, input_order=order)


def test_slice_steps_without_axes():
    check(
        "Slice",
        {"x": rand((4, 6))},
        {"starts": i64([3, -1]), "ends": i64([-5, 0]), "steps": i64([-1, -2])},
        input_order=["x", "starts", "ends", "", "steps"],
    )


@pytest.mark.parametrize(
    "axis,indices",
    [
        (0, [[0, -1], [2, -3]]),
        (1, [-1, 0, -4, 3]),
        (1, [[1], [-2]]),
        (-1, [4, -5, 0]),
        (0, 2),  # rank-0 indices
        (2, -1),
    ],
)
@pytest.mark.parametrize("index_dtype", [np.int64, np.int32])
def test_gather(axis, indices, index_dtype):
    data = rand((3, 4, 5))
    check("Gather", {"x": data, "i": np.array(indices, dtype=index_dtype)}, axis=axis)


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.float64])
def test_gather_dtypes(dtype):
    check("Gather", {"x": rand((4, 3), dtype), "i": i64([[3, -1], [0, 1]])}, axis=0)


@pytest.mark.parametrize(
    "in_shape,shape",
    [((3, 1), [2, 3, 4]), ((1, 4), [3, 1]), ((2, 1, 3), [2, 5, 3]), ((4,), [1]), ((), [2, 2])],
)
@pytest.mark.parametrize("dtype", [np.float32, np.bool_, np.int32])
def test_expand(in_shape, shape, dtype):
    check("Expand", {"x": rand(in_shape, dtype)}, {"shape": i64(shape)})


@pytest.mark.parametrize("in_shape,repeats", [((2, 3), [2, 3]), ((2, 1, 3), [1, 4, 2]), ((5,), [1]), ((3, 2), [0, 2])])
@pytest.mark.parametrize("dtype", [np.float32, np.int64])
def test_tile(in_shape, repeats, dtype):
    check("Tile", {"x": rand(in_shape, dtype)}, {"repeats": i64(repeats)})


# ---- constants and shape queries -------------------------------------------------------


@pytest.mark.parametrize("attrs", [{}, {"start": 1}, {"start": -2, "end": -1}, {"end": 10}, {"start": 3, "end": 1}])
def test_shape(no_fold, attrs):
    inputs = {"x": rand((2, 3, 4))}
    check_kernel(single_node_model("Shape", inputs, **attrs), "Shape", inputs)


@pytest.mark.parametrize("shape", [(2, 3, 4), (), (0, 5)])
def test_size(no_fold, shape):
    inputs = {"x": rand(shape)}
    check_kernel(single_node_model("Size", inputs), "Size", inputs)


@pytest.mark.parametrize(
    "value",
    [None, np.array([2.5], np.float32), np.array([-7], np.int64), np.array([True]), np.array([200], np.uint8)],
)
def test_constant_of_shape(no_fold, value):
    attrs = {} if value is None else {"value": helper.make_tensor("value", helper.np_dtype_to_tensor_dtype(value.dtype), [1], value.tolist())}
    model = single_node_model("ConstantOfShape", {}, initializers={"shape": i64([3, 1, 4])}, **attrs)
    check_kernel(model, "ConstantOfShape")


def test_constant_of_shape_large():
    """Larger than the import folding limit: stays an op without the fixture."""
    model = single_node_model("ConstantOfShape", {}, initializers={"shape": i64([70, 80])})
    assert_matches_ort(model, {})


@pytest.mark.parametrize(
    "start,limit,delta,dtype",
    [
        (0, 10, 1, np.int64),
        (10, -3, -3, np.int32),
        (1.5, 7.0, 0.25, np.float32),
        (3.0, -1.0, -0.5, np.float64),
        (5, 5, 1, np.int64),
    ],
)
def test_range(no_fold, start, limit, delta, dtype):
    inits = {"start": np.array(start, dtype), "limit": np.array(limit, dtype), "delta": np.array(delta, dtype)}
    model = single_node_model("Range", {}, initializers=inits)
    check_kernel(model, "Range")


def test_range_large():
    inits = {"start": np.array(-2.0, np.float32), "limit": np.array(600.0, np.float32), "delta": np.array(0.125, np.float32)}
    model = single_node_model("Range", {}, initializers=inits)
    assert_matches_ort(model, {})
