"""Import from several opsets (attributes that became inputs) and export back to ONNX
that onnxruntime loads and that gives the same outputs."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from compiler.context import make_context
from compiler.onnx_export import export_model
from compiler.onnx_import import import_model
from tests.ort_check import assert_matches_ort, run_ort
from tools.example_models import EXAMPLES, example_inputs


def _opset11_model():
    nodes = [
        helper.make_node("Unsqueeze", ["x"], ["u"], axes=[0], name="unsq"),
        helper.make_node("Squeeze", ["u"], ["s"], axes=[0], name="sq"),
        helper.make_node("Split", ["s"], ["a", "b"], axis=1, split=[1, 3], name="split"),
        helper.make_node("Clip", ["b", "lo", "hi"], ["c"], name="clip"),
        helper.make_node("Softmax", ["c"], ["p"], axis=1, name="softmax"),
        helper.make_node("ReduceSum", ["a"], ["r"], axes=[1], keepdims=1, name="rsum"),
    ]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 4])],
        [helper.make_tensor_value_info("p", TensorProto.FLOAT, None), helper.make_tensor_value_info("r", TensorProto.FLOAT, None)],
        [onnx.numpy_helper.from_array(np.array(-0.5, np.float32), "lo"), onnx.numpy_helper.from_array(np.array(0.5, np.float32), "hi")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])


def test_old_opset_attributes_become_inputs():
    ctx = make_context()
    module = import_model(_opset11_model(), ctx.weights)
    text = str(module)
    assert '"onnx.Squeeze"(%u, %' in text  # axes is an operand now
    assert '"onnx.Split"(%s, %' in text
    assert '"onnx.ReduceSum"(%a, %' in text


def test_old_opset_model_matches_onnxruntime():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    assert_matches_ort(_opset11_model(), {"x": x})


def test_shape_subgraph_folds_to_constants():
    nodes = [
        helper.make_node("Shape", ["x"], ["shp"]),
        helper.make_node("Gather", ["shp", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "zero1"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["newshape"], axis=0),
        helper.make_node("Reshape", ["x", "newshape"], ["y"], name="flatten_by_shape"),
    ]
    inits = [
        onnx.numpy_helper.from_array(np.array(0, np.int64), "zero"),
        onnx.numpy_helper.from_array(np.array([0], np.int64), "zero1"),
        onnx.numpy_helper.from_array(np.array([-1], np.int64), "minus1"),
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    ctx = make_context()
    module = import_model(model, ctx.weights, {"x": [2, 3, 4]})
    text = str(module)
    assert "onnx.Shape" not in text and "onnx.Gather" not in text and "onnx.Concat" not in text
    assert "dense<[2, -1]> : tensor<2xi64>" in text  # Concat(Gather(Shape(x), 0), [-1])
    assert "-> tensor<2x12xf32>" in text


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_export_roundtrip_matches_original(name):
    build, shapes = EXAMPLES[name]
    model = build()
    ctx = make_context()
    module = import_model(model, ctx.weights, shapes)
    exported = export_model(module, ctx.weights)
    onnx.checker.check_model(exported)
    feeds = example_inputs(name)
    for got, want in zip(run_ort(exported, feeds), run_ort(model, feeds)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    names = {n.name for n in exported.graph.node}
    assert names >= {n.name for n in model.graph.node if n.op_type not in ("Constant",)}


def test_large_weights_stay_out_of_ir_text():
    build, shapes = EXAMPLES["small_cnn"]
    ctx = make_context()
    text = str(import_model(build(), ctx.weights, shapes))
    assert "dense_resource<block1.w>" in text
    assert len(text) < 20000
    assert ctx.weights.get("block1.w").shape == (8, 3, 3, 3)
