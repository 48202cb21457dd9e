"""The Python API's contract: inputs are checked before machine code runs, and bad
models and unsupported ops give clear errors."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

import compiler
from dialects.errors import ModelError, ShapeError, UnsupportedOpsError
from tests.ort_check import run_ort, single_node_model


def _add_model(shape=("N", 3)):
    node = helper.make_node("Add", ["a", "b"], ["c"], name="the_add")
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, list(shape)),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, None)],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_run_and_call_agree_and_names():
    m = compiler.compile(_add_model(), input_shapes={"a": [2, 3]})
    assert m.input_names == ["a", "b"] and m.output_names == ["c"]
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([1, 2, 3], dtype=np.float32)
    (c1,) = m.run({"a": a, "b": b})
    (c2,) = m(a, b)
    np.testing.assert_array_equal(c1, a + b)
    np.testing.assert_array_equal(c2, a + b)
    assert set(m.stats["seconds"]) >= {"import", "lower to loops", "translate to LLVM", "LLVM compile"}


def test_model_from_path_and_bytes(tmp_path):
    path = tmp_path / "add.onnx"
    onnx.save(_add_model((2, 3)), path)
    a, b = np.ones((2, 3), np.float32), np.ones(3, np.float32)
    for source in (str(path), path.read_bytes()):
        (c,) = compiler.compile(source).run({"a": a, "b": b})
        np.testing.assert_array_equal(c, a + b)


@pytest.mark.parametrize(
    "feed, message",
    [
        (np.ones((2, 3), np.float64), "input 'a' must be float32[2, 3], got dtype float64"),
        (np.ones((3, 2), np.float32), "input 'a' must be float32[2, 3], got shape [3, 2]"),
        (np.ones((2, 3, 1), np.float32), "got shape [2, 3, 1]"),
        (np.ones(6, np.int64), "got dtype int64"),
    ],
)
def test_wrong_inputs_raise_before_machine_code(feed, message):
    m = compiler.compile(_add_model(), input_shapes={"a": [2, 3]})
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        m.run({"a": feed, "b": np.ones(3, np.float32)})


def test_missing_and_unknown_feeds():
    m = compiler.compile(_add_model((2, 3)))
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        m.run({"a": np.ones((2, 3), np.float32)})
    with pytest.raises(ValueError, match=r"unknown \['z'\]"):
        m.run({"a": np.ones((2, 3), np.float32), "b": np.ones(3, np.float32), "z": 1})
    with pytest.raises(ValueError, match="takes 2 inputs"):
        m(np.ones((2, 3), np.float32))


def test_non_contiguous_input_is_handled():
    m = compiler.compile(_add_model((3, 3)))
    a = np.arange(9, dtype=np.float32).reshape(3, 3).T
    (c,) = m(a, np.zeros(3, np.float32))
    np.testing.assert_array_equal(c, a)


def test_unbound_symbolic_dim_names_the_input():
    with pytest.raises(ShapeError, match=r"graph input 'a' has symbolic dim 0 \('N'\)"):
        compiler.compile(_add_model())


def test_input_shapes_errors():
    with pytest.raises(ShapeError, match="'q', which is not a graph input"):
        compiler.compile(_add_model(), input_shapes={"a": [2, 3], "q": [1]})
    with pytest.raises(ShapeError, match="rank 3"):
        compiler.compile(_add_model(), input_shapes={"a": [2, 3, 4]})


def test_unsupported_ops_are_all_listed_first():
    nodes = [
        helper.make_node("Add", ["x", "x"], ["a"], name="ok"),
        helper.make_node("NonMaxSuppression", ["a", "a"], ["b"], name="nms1"),
        helper.make_node("Einsum", ["a"], ["c"], name="ein", equation="ij->ji"),
        helper.make_node("NonMaxSuppression", ["c", "c"], ["d"], name="nms2"),
        helper.make_node("MyOp", ["d"], ["e"], name="custom", domain="my.domain"),
    ]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
                              [helper.make_tensor_value_info("e", TensorProto.FLOAT, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("my.domain", 1)])
    with pytest.raises(UnsupportedOpsError) as info:
        compiler.compile(model)
    text = str(info.value)
    assert "3 unsupported operator type(s)" in text
    assert "NonMaxSuppression: 2 node(s): nms1, nms2" in text
    assert "Einsum: 1 node(s): ein" in text
    assert "my.domain.MyOp: 1 node(s): custom" in text


@pytest.mark.parametrize("data", [b"", b"\x08\x07garbage\xff\xff", None])
def test_malformed_or_truncated_models(data):
    if data is None:
        data = _add_model((2, 3)).SerializeToString()[:-7]  # truncated
    with pytest.raises(ModelError):
        compiler.compile(data)


def test_missing_file():
    with pytest.raises(ModelError, match="no such model file"):
        compiler.compile("/nonexistent/model.onnx")


def test_unknown_target_and_level():
    with pytest.raises(compiler.StrataError, match="unknown target"):
        compiler.compile(_add_model((2, 3)), target="tpu")
    with pytest.raises(compiler.StrataError, match="opt_level"):
        compiler.compile(_add_model((2, 3)), opt_level=7)


def test_verifier_error_names_the_node():
    # MatMul with mismatched inner dims: onnx shape inference leaves it; the verifier names it.
    node = helper.make_node("MatMul", ["a", "b"], ["c"], name="bad_mm")
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, [4, 5])],
        [helper.make_tensor_value_info("c", TensorProto.FLOAT, [2, 5])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(compiler.StrataError, match="bad_mm"):
        compiler.compile(model)


def test_graph_output_that_is_an_input_or_constant():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((2, 2)).astype(np.float32)
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="relu")]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, 2]) for n in ("r", "x", "w")],
        [onnx.numpy_helper.from_array(w, "w")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    x = rng.standard_normal((2, 2)).astype(np.float32)
    r, x_out, w_out = compiler.compile(model).run({"x": x})
    np.testing.assert_array_equal(r, np.maximum(x, 0))
    np.testing.assert_array_equal(x_out, x)
    np.testing.assert_array_equal(w_out, w)


def test_single_node_helper_model_runs():
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    (y,) = compiler.compile(single_node_model("Relu", {"x": x})).run({"x": x})
    np.testing.assert_array_equal(y, np.maximum(x, 0))


def test_shape_from_run_time_value_is_a_clear_error():
    node = helper.make_node("Reshape", ["x", "shape"], ["y"], name="dyn_reshape")
    graph = helper.make_graph(
        [node], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 6]),
         helper.make_tensor_value_info("shape", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(ShapeError, match="Reshape node 'dyn_reshape' depends on the run-time value of 'shape'"):
        compiler.compile(model)


def test_progress_lines_and_bar(capsys, monkeypatch):
    from compiler.driver import _Stages

    compiler.compile(_add_model((2, 3)), verbose=True)
    err = capsys.readouterr().err
    assert "[strata] lower to loops ..." in err and "[strata] LLVM compile: " in err
    monkeypatch.setattr(_Stages, "BAR_AFTER", 0.0)  # draw it even for this small compile
    compiler.compile(_add_model((2, 3)), progress=True)
    err = capsys.readouterr().err
    assert "\r[strata] [" in err and "translate to LLVM" in err
    assert err.rstrip().endswith("s") and "[strata] compiled in" in err
    compiler.compile(_add_model((2, 3)))  # not a terminal: silent
    assert capsys.readouterr().err == ""


def test_compile_for_a_named_cpu():
    """compile(cpu=...) tiles and compiles for that CPU: the AVX2 build (znver3: 16
    registers, 2 x 5 conv tiles) runs on any AVX2 host and matches onnxruntime and the
    host build; stats name the target; a build for wider vectors than this host has
    refuses to run, saying why; an unknown name is an error before any work."""
    import llvmlite.binding as llvm

    from lowering.target import host_target
    from tools.example_models import small_cnn

    model = small_cnn()
    for vi in model.graph.input:
        for d in vi.type.tensor_type.shape.dim:
            if not d.dim_value:
                d.dim_value = 2
    feeds = {vi.name: np.random.default_rng(0).standard_normal(
        [d.dim_value for d in vi.type.tensor_type.shape.dim]).astype(np.float32) for vi in model.graph.input}
    expected = run_ort(model, feeds)
    avx2 = compiler.compile(model, num_threads=1, cpu="znver3")
    assert avx2.stats["target"] == "znver3 (AVX2+FMA, 16 vector registers, NCHWc block 8)"
    assert llvm.get_host_cpu_name() in compiler.compile(model, num_threads=1).stats["target"]
    if host_target().vector_bits >= 256:
        np.testing.assert_allclose(avx2.run(feeds)[0], expected[0], rtol=1e-4, atol=1e-5)
    wide = compiler.compile(model, num_threads=1, cpu="znver5")
    assert wide.stats["target"].startswith("znver5 (AVX-512") and wide.stats["target"].endswith("NCHWc block 16)")
    if host_target().vector_bits >= 512:
        np.testing.assert_allclose(wide.run(feeds)[0], expected[0], rtol=1e-4, atol=1e-5)
    else:
        with pytest.raises(compiler.StrataError, match="lacks its 512-bit vector instructions"):
            wide.run(feeds)
    with pytest.raises(compiler.StrataError, match="unknown CPU 'z80'"):
        compiler.compile(model, cpu="z80")
