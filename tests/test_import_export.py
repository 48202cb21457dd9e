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


def _sliced_buffer_model() -> onnx.ModelProto:
    """A HF BERT's token-type pattern: a [1, 128] buffer sliced to the sequence length
    (Shape -> Gather -> Unsqueeze), then GatherElements by a position buffer sliced the
    same way, added to the input. onnx's shape inference leaves the slices symbolic."""
    rng = np.random.default_rng(3)
    nodes = [
        helper.make_node("Shape", ["x"], ["shp"], name="shape"),
        helper.make_node("Gather", ["shp", "one"], ["seq"], name="seq_len", axis=0),
        helper.make_node("Unsqueeze", ["seq", "axis0"], ["end"], name="end"),
        helper.make_node("Slice", ["positions", "zero1", "end", "axis1"], ["pos"], name="slice_positions"),
        helper.make_node("Slice", ["table", "zero1", "end", "axis1"], ["rows"], name="slice_table"),
        helper.make_node("GatherElements", ["rows", "pos"], ["picked"], name="pick", axis=1),
        helper.make_node("Add", ["x", "picked"], ["y"], name="add"),
    ]
    inits = [
        onnx.numpy_helper.from_array(np.array(1, np.int64), "one"),
        onnx.numpy_helper.from_array(np.array([0], np.int64), "axis0"),
        onnx.numpy_helper.from_array(np.array([0], np.int64), "zero1"),
        onnx.numpy_helper.from_array(np.array([1], np.int64), "axis1"),
        onnx.numpy_helper.from_array(rng.permutation(128).reshape(1, 128).astype(np.int64) % 16, "positions"),
        onnx.numpy_helper.from_array(rng.standard_normal((1, 128)).astype(np.float32), "table"),
    ]
    graph = helper.make_graph(nodes, "sliced", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "sequence"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("seq", [16, 100])
def test_shapes_left_symbolic_by_onnx_are_inferred_after_folding(seq):
    """The GatherElements' shape comes from running its own onnx inference again on the
    input types folding made static (evaluating it failed: onnx.reference's
    GatherElements breaks beyond 64 elements along the axis)."""
    model = _sliced_buffer_model()
    x = np.random.default_rng(0).standard_normal((2, seq)).astype(np.float32)
    assert_matches_ort(model, {"x": x}, input_shapes={"x": [2, seq]}, opt_level=0)
    assert_matches_ort(model, {"x": x}, input_shapes={"x": [2, seq]})


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


def test_every_strata_op_has_an_onnx_decomposition():
    """The exporter (not the dialect) knows how to write each strata op as standard ONNX
    nodes; only the kernel group's terminator has no decomposition of its own."""
    from compiler.onnx_export import DECOMPOSITIONS
    from dialects.strata import STRATA_OP_CLASSES

    missing = sorted(cls.name for cls in STRATA_OP_CLASSES if cls not in DECOMPOSITIONS)
    assert missing == ["strata.KernelYield"]
    assert not any(hasattr(cls, "decompose") for cls in STRATA_OP_CLASSES), "export code in the dialect"


@pytest.mark.parametrize("attrs", [
    {"value": "f16"}, {"value": "bool"}, {"value_float": 1.5}, {"value_floats": [1.0, -2.5]},
    {"value_int": 3}, {"value_ints": [1, 2, 3]},
])
def test_constants_read_directly_match_the_reference_evaluator(attrs):
    """Constant nodes are folded from their attribute without onnx.reference
    (compiler/onnx_import.py, _evaluate): the same dtype, shape and values as it."""
    from onnx.reference import ReferenceEvaluator
    from onnx import numpy_helper

    from compiler.onnx_import import _evaluate

    tensors = {"f16": np.arange(6, dtype=np.float16).reshape(2, 3), "bool": np.array([True, False])}
    attrs = {k: numpy_helper.from_array(tensors[v]) if k == "value" else v for k, v in attrs.items()}
    node = helper.make_node("Constant", [], ["y"], **attrs)
    graph = helper.make_graph([node], "g", [], [helper.make_value_info("y", onnx.TypeProto())])
    (expected,) = ReferenceEvaluator(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])).run(None, {})
    (got,) = _evaluate(node, [], 21)
    expected = np.asarray(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape and np.array_equal(got, expected)
    x = np.arange(4, dtype=np.float32)
    (same,) = _evaluate(helper.make_node("Identity", ["x"], ["y"]), [x], 21)
    assert same is x  # no copy
