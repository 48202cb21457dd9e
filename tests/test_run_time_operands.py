"""Shape-deciding operands read at run time. CumSum reads its axis (a loop nest per axis).
The rest (compiler/onnx_import.py
RUN_TIME_CHECKED_OPERANDS): when Reshape's shape, Squeeze/Unsqueeze's axes, Expand's
shape, Tile's repeats, ConstantOfShape's shape, TopK's K or OneHot's depth is a run-time
graph input, compile() takes the result type from the model's declared static type and
the kernel checks the fed value against it: a value that gives that type runs (and
matches onnxruntime), any other raises OutOfRangeError naming the node, at -O0 and -O3
(the graph passes must not drop a checked no-op Reshape or Expand)."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

import compiler
from dialects.errors import OutOfRangeError, ShapeError
from tests.ort_check import run_ort

RNG = np.random.default_rng(0)


def _model(node, inputs, out_shape, out_type=TensorProto.FLOAT, outputs=("y",)):
    graph = helper.make_graph(
        [node], "declared", inputs, [helper.make_tensor_value_info(o, out_type, out_shape) for o in outputs]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model


def _vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def _i64(*v):
    return np.array(v, np.int64)


X = RNG.standard_normal((2, 3, 4)).astype(np.float32)

# (name, model, good feeds (each must match onnxruntime), bad feeds (each must raise))
CASES = [
    (
        "reshape",
        _model(helper.make_node("Reshape", ["x", "s"], ["y"], name="rs"), [_vi("x", [2, 3, 4]), _vi("s", [2], TensorProto.INT64)], [6, 4]),
        [{"s": _i64(6, 4)}, {"s": _i64(-1, 4)}, {"s": _i64(6, -1)}],
        [{"s": _i64(4, 6)}, {"s": _i64(-1, -1)}, {"s": _i64(3, 8)}, {"s": _i64(0, 4)}],
    ),
    (
        "reshape_noop",  # the result type is the input type: -O3 must keep the checked node
        _model(helper.make_node("Reshape", ["x", "s"], ["y"], name="rs"), [_vi("x", [2, 3, 4]), _vi("s", [3], TensorProto.INT64)], [2, 3, 4]),
        [{"s": _i64(2, 3, 4)}, {"s": _i64(0, 0, -1)}],
        [{"s": _i64(3, 2, 4)}, {"s": _i64(2, 4, 3)}],
    ),
    (
        "unsqueeze",
        _model(helper.make_node("Unsqueeze", ["x", "a"], ["y"], name="us"), [_vi("x", [2, 3, 4]), _vi("a", [2], TensorProto.INT64)], [2, 1, 3, 1, 4]),
        [{"a": _i64(1, 3)}, {"a": _i64(3, 1)}, {"a": _i64(-2, 1)}],
        [{"a": _i64(0, 3)}, {"a": _i64(1, 1)}, {"a": _i64(1, 7)}],
    ),
    (
        "squeeze",
        _model(helper.make_node("Squeeze", ["x", "a"], ["y"], name="sq"), [_vi("x", [2, 1, 3, 1]), _vi("a", [1], TensorProto.INT64)], [2, 3, 1]),
        [{"a": _i64(1)}, {"a": _i64(-3)}],
        [{"a": _i64(3)}, {"a": _i64(0)}],
    ),
    (
        "expand",
        _model(helper.make_node("Expand", ["x", "s"], ["y"], name="ex"), [_vi("x", [3, 1]), _vi("s", [2], TensorProto.INT64)], [3, 4]),
        [{"s": _i64(3, 4)}, {"s": _i64(1, 4)}],
        [{"s": _i64(3, 5)}, {"s": _i64(3, 1)}],
    ),
    (
        "tile",
        _model(helper.make_node("Tile", ["x", "r"], ["y"], name="tl"), [_vi("x", [2, 3]), _vi("r", [2], TensorProto.INT64)], [4, 9]),
        [{"r": _i64(2, 3)}],
        [{"r": _i64(3, 2)}, {"r": _i64(2, 4)}],
    ),
    (
        "constant_of_shape",
        _model(helper.make_node("ConstantOfShape", ["s"], ["y"], name="fill"), [_vi("s", [2], TensorProto.INT64)], [3, 5]),
        [{"s": _i64(3, 5)}],
        [{"s": _i64(5, 3)}],
    ),
    (
        "topk",
        _model(helper.make_node("TopK", ["x", "k"], ["y", "i"], name="topk", axis=-1),
               [_vi("x", [2, 3, 4]), _vi("k", [1], TensorProto.INT64)], [2, 3, 2], outputs=("y",)),
        [{"k": _i64(2)}],
        [{"k": _i64(3)}],
    ),
]


def _feeds(model, extra):
    feeds = dict(extra)
    names = [i.name for i in model.graph.input]
    if "x" in names:
        shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
        feeds["x"] = RNG.standard_normal(shape).astype(np.float32)
    return feeds


@pytest.mark.parametrize("level", [0, 3])
@pytest.mark.parametrize("name,model,good,bad", CASES, ids=[c[0] for c in CASES])
def test_run_time_operand_checked(name, model, good, bad, level):
    if name == "topk":  # TopK's second output is declared too
        model.graph.output.append(helper.make_tensor_value_info("i", TensorProto.INT64, [2, 3, 2]))
        del model.graph.node[0].output[:]
        model.graph.node[0].output.extend(["y", "i"])
    compiled = compiler.compile(model, opt_level=level, num_threads=1)
    for extra in good:
        feeds = _feeds(model, extra)
        got = compiled.run(feeds)
        for g, w in zip(got, run_ort(model, feeds)):
            np.testing.assert_allclose(g, w, rtol=1e-6)
    node = model.graph.node[0].name
    for extra in bad:
        with pytest.raises(OutOfRangeError, match=f"node '{node}'"):
            compiled.run(_feeds(model, extra))


def test_without_a_declared_shape_it_is_still_refused():
    model = _model(helper.make_node("Reshape", ["x", "s"], ["y"], name="rs"),
                   [_vi("x", [2, 3, 4]), _vi("s", [2], TensorProto.INT64)], None)
    with pytest.raises(ShapeError, match="run-time value of 's'"):
        compiler.compile(model)


@pytest.mark.parametrize("level", [0, 3])
@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_cumsum_axis_read_at_run_time(level, exclusive, reverse):
    """CumSum's axis needs no declared type: the kernel holds a loop nest per axis."""
    model = _model(helper.make_node("CumSum", ["x", "a"], ["y"], name="cs", exclusive=exclusive, reverse=reverse),
                   [_vi("x", [2, 3, 4]), _vi("a", [], TensorProto.INT64)], [2, 3, 4])
    compiled = compiler.compile(model, opt_level=level, num_threads=1)
    for axis in (0, 1, 2, -1, -3):
        feeds = {"x": X, "a": np.array(axis, np.int64)}
        (got,) = compiled.run(feeds)
        np.testing.assert_allclose(got, run_ort(model, feeds)[0], rtol=1e-5, atol=1e-6)
    for axis in (3, -4, 1 << 40):
        with pytest.raises(OutOfRangeError, match="CumSum node 'cs': axis"):
            compiled.run({"x": X, "a": np.array(axis, np.int64)})
