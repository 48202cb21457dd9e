"""`compiler.backend` as an onnx.backend.base.Backend, including the specialization of
shape-deciding graph inputs."""

import numpy as np

from onnx import TensorProto, helper

import compiler.backend as backend


def _reshape_model():
    node = helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6]),
         helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_supports_cpu_and_cuda_where_triton_can_run():
    """CUDA means the Triton path: supported where a GPU or Triton's interpreter runs it."""
    from compiler.compile_cuda import check_cuda_target
    from dialects.errors import StrataError

    try:
        check_cuda_target()
        runs = True
    except StrataError:
        runs = False
    assert backend.supports_device("CPU")
    assert backend.supports_device("CUDA") == runs
    assert not backend.supports_device("TPU")


def test_shape_input_is_specialized_per_value():
    model = _reshape_model()
    assert backend.shape_inputs(model) == ["shape"]
    rep = backend.prepare(model)
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    (y,) = rep.run([x, np.array([3, 4], np.int64)])
    np.testing.assert_array_equal(y, x.reshape(3, 4))
    (y,) = rep.run({"x": x, "shape": np.array([4, -1], np.int64)})
    np.testing.assert_array_equal(y, x.reshape(4, 3))
    assert len(rep._compiled) == 2


def test_shape_inputs_through_other_nodes():
    nodes = [
        helper.make_node("Add", ["d", "d"], ["d2"]),
        helper.make_node("Reshape", ["x", "d2"], ["y"]),
        helper.make_node("Relu", ["x"], ["z"]),
    ]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6]),
         helper.make_tensor_value_info("d", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None), helper.make_tensor_value_info("z", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    assert backend.shape_inputs(model) == ["d"]
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    y, z = backend.run_model(model, [x, np.array([1, 3], np.int64)])  # d + d = [2, 6]
    np.testing.assert_array_equal(y, x.reshape(2, 6))
    np.testing.assert_array_equal(z, np.maximum(x, 0))


def test_run_node():
    node = helper.make_node("LeakyRelu", ["x"], ["y"], alpha=0.5)
    x = np.array([-2.0, 0.0, 3.0], np.float32)
    (y,) = backend.run_node(node, [x])
    np.testing.assert_array_equal(y, np.where(x > 0, x, 0.5 * x))


def test_outputs_are_named():
    model = _reshape_model()
    out = backend.run_model(model, {"x": np.zeros((2, 6), np.float32), "shape": np.array([12, 1], np.int64)})
    assert out.y.shape == (12, 1)


def test_run_time_operands_are_not_specialized_on_cpu():
    """Trilu's k and CumSum's axis are read at run time by the CPU kernels: one compile
    serves every value. The cuda target's CumSum needs its axis: specialized there."""
    nodes = [helper.make_node("CumSum", ["x", "a"], ["c"]), helper.make_node("Trilu", ["c", "k"], ["y"])]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 3]),
         helper.make_tensor_value_info("a", TensorProto.INT64, []),
         helper.make_tensor_value_info("k", TensorProto.INT64, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    assert backend.shape_inputs(model) == []
    assert backend.shape_inputs(model, "cuda") == ["a"]
    rep = backend.prepare(model)
    x = np.arange(9, dtype=np.float32).reshape(3, 3)
    for axis, k in ((0, 0), (1, 1), (-1, -1)):
        (y,) = rep.run([x, np.array(axis, np.int64), np.array(k, np.int64)])
        np.testing.assert_array_equal(y, np.triu(np.cumsum(x, axis=axis), k))
    assert len(rep._compiled) == 1
