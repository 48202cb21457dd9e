"""Weights read in place (compiler/onnx_source.py): large initializers become read-only
views into the mapped file (or the bytes), equal to what onnx decodes; the parsed proto
is small and still valid; ONNX external data is mapped too; compiles give onnxruntime's
results from every kind of source."""

from __future__ import annotations

import mmap

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import compiler
from compiler.onnx_import import load_source
from compiler.onnx_source import IN_PLACE, STRIP_BYTES, read_file, read_model
from tests.ort_check import run_ort


def _model() -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    w = rng.standard_normal((64, 32)).astype(np.float32)  # 8 KiB: read in place
    b = rng.standard_normal(32).astype(np.float32)  # 128 bytes: stays in the proto
    idx = np.arange(2048, dtype=np.int64)  # 16 KiB of int64: in place too
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"),
        helper.make_node("Add", ["h", "b"], ["y"], name="add"),
        helper.make_node("ReduceSum", ["idx_f"], ["s"], name="sum", keepdims=0),
        helper.make_node("Cast", ["idx"], ["idx_f"], name="cast", to=TensorProto.FLOAT),
    ]
    graph = helper.make_graph(
        [nodes[0], nodes[1], nodes[3], nodes[2]], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 32]),
         helper.make_tensor_value_info("s", TensorProto.FLOAT, [])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"), numpy_helper.from_array(idx, "idx")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _feeds():
    return {"x": np.random.default_rng(1).standard_normal((4, 64)).astype(np.float32)}


def test_file_weights_are_views_into_the_mapping(tmp_path):
    model = _model()
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    source = read_file(str(path))
    assert set(source.arrays) == {"w", "idx"}  # b is under STRIP_BYTES
    assert isinstance(source.keep, mmap.mmap)
    for init in model.graph.initializer:
        expected = numpy_helper.to_array(init)
        if init.name in source.arrays:
            got = source.arrays[init.name]
            np.testing.assert_array_equal(got, expected)
            assert not got.flags.writeable and not got.flags.owndata
    stripped = {i.name: i for i in source.proto.graph.initializer}
    assert stripped["w"].data_location == TensorProto.EXTERNAL and not stripped["w"].raw_data
    assert {e.key: e.value for e in stripped["w"].external_data}["location"] == IN_PLACE
    assert len(source.proto.SerializeToString()) < STRIP_BYTES  # no weight bytes left in it
    inferred = onnx.shape_inference.infer_shapes(source.proto, strict_mode=True)  # still a valid model
    assert [o.type.tensor_type.shape.dim[0].dim_value for o in inferred.graph.output[:1]] == [4]


def test_external_data_is_mapped(tmp_path):
    model = _model()
    path = tmp_path / "ext.onnx"
    onnx.save(_model(), path, save_as_external_data=True, all_tensors_to_one_file=True, location="ext.data",
              size_threshold=0)
    source = read_file(str(path))
    assert {"w", "idx", "b"} <= set(source.arrays)
    assert isinstance(source.arrays["w"], np.memmap)
    np.testing.assert_array_equal(source.arrays["w"], numpy_helper.to_array(model.graph.initializer[0]))
    (y, s) = compiler.compile(str(path)).run(_feeds())
    ey, es = run_ort(model, _feeds())
    np.testing.assert_allclose(y, ey, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(s, es, rtol=1e-6)


@pytest.mark.parametrize("kind", ["path", "bytes", "proto"])
def test_every_source_compiles_the_same(tmp_path, kind):
    model = _model()
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    given = {"path": str(path), "bytes": path.read_bytes(), "proto": model}[kind]
    source = load_source(given)
    assert "w" in source.arrays
    got = compiler.compile(given).run(_feeds())
    for g, e in zip(got, run_ort(model, _feeds())):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)
    # the caller's proto is not changed
    assert model.graph.initializer[0].raw_data


def test_truncated_bytes_are_a_model_error():
    data = _model().SerializeToString()
    with pytest.raises(compiler.ModelError):
        load_source(data[: len(data) // 2])
    with pytest.raises(ValueError):
        read_model(data[: len(data) // 2])
