"""Run-time checks (lowering/runtime_checks.py): an index out of range is never used.

Every op whose addresses depend on tensor values (Gather, GatherElements, GatherND,
ScatterElements, ScatterND) refuses an index outside [-dim, dim) the way onnxruntime
does: the call raises OutOfRangeError naming the node, the op, the index and the axis
size, and the next call with good indices runs normally (the status buffer is cleared).
Each case checks that onnxruntime refuses the same feed and matches it on a good one.
A OneHot depth or TopK K read at run time must equal the one the shapes were compiled
for (only hand-written IR gets such an operand past the importer, which folds or
refuses them): those cases are built from graph-level MLIR.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import compiler
from dialects.errors import OutOfRangeError, StrataError
from tests.ort_check import assert_matches_ort, run_ort, single_node_model

RNG = np.random.default_rng(0)


def i64(values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _refused(model: onnx.ModelProto, good: dict, bad: dict, message: str, opt_level: int = 3) -> OutOfRangeError:
    """onnxruntime and Strata both refuse `bad`; Strata's error says `message` (after the
    node prefix); a good call afterwards still matches onnxruntime."""
    with pytest.raises(Exception):
        run_ort(model, bad)
    compiled = compiler.compile(model, opt_level=opt_level)
    with pytest.raises(OutOfRangeError) as info:
        compiled.run(bad)
    node = model.graph.node[-1]
    assert str(info.value).startswith(f"{node.op_type} node '{node.name}': {message}"), str(info.value)
    assert info.value.op == node.op_type and info.value.node == node.name
    expected = run_ort(model, good)
    for got, want in zip(compiled.run(good), expected):
        np.testing.assert_array_equal(got, want)
    return info.value


@pytest.mark.parametrize("opt_level", [0, 3])
@pytest.mark.parametrize(
    "index,bad",
    [(i64([3, -1]), 10), (i64([3, -1]), -11), (i64([[0], [9]]), 2**40), (np.array([4, -10], np.int32), 2**31 - 1)],
)
def test_gather_axis0_refuses(index, bad, opt_level):
    data = RNG.standard_normal((10, 3)).astype(np.float32)
    model = single_node_model("Gather", {"x": data, "i": index}, axis=0)
    bad_index = index.copy()
    bad_index.reshape(-1)[-1] = bad
    err = _refused(model, {"x": data, "i": index}, {"x": data, "i": bad_index},
                   f"index {bad} is out of range for axis 0 of size 10 (valid: from -10 to 9)", opt_level)
    assert err.value == bad


def test_gather_rank0_index_inner_axis():
    data = RNG.standard_normal((2, 4, 3)).astype(np.float32)
    model = single_node_model("Gather", {"x": data, "i": np.array(-4, np.int64)}, axis=1)
    _refused(model, {"x": data, "i": np.array(-4, np.int64)}, {"x": data, "i": np.array(4, np.int64)},
             "index 4 is out of range for axis 1 of size 4")


def test_gather_embedding_weight_reports_first_bad_token():
    """A token-id lookup into an embedding table (a weight): the first bad id in
    row-major order is reported, with how many other check sites failed (none here)."""
    table = RNG.standard_normal((50, 8)).astype(np.float32)
    ids = i64([[1, 2, 3, 49]])
    model = single_node_model("Gather", {"ids": ids}, initializers={"table": table},
                              input_order=["table", "ids"], axis=0)
    err = _refused(model, {"ids": ids}, {"ids": i64([[1, 50, 77, -51]])},
                   "index 50 is out of range for axis 0 of size 50")
    assert "more" not in str(err)


def test_gather_elements_refuses():
    data = RNG.standard_normal((3, 4)).astype(np.float32)
    good = i64([[0, -1, 3], [2, 1, -4], [1, 1, 1]])
    bad = good.copy()
    bad[1, 2] = -5
    model = single_node_model("GatherElements", {"data": data, "indices": good}, axis=1)
    _refused(model, {"data": data, "indices": good}, {"data": data, "indices": bad},
             "index -5 is out of range for axis 1 of size 4")


def test_scatter_elements_refuses():
    data, updates = RNG.standard_normal((4,)).astype(np.float32), RNG.standard_normal((2,)).astype(np.float32)
    good = i64([3, -4])
    model = single_node_model("ScatterElements", {"data": data, "indices": good, "updates": updates}, axis=0)
    _refused(model, {"data": data, "indices": good, "updates": updates},
             {"data": data, "indices": i64([9, 0]), "updates": updates},
             "index 9 is out of range for axis 0 of size 4")


@pytest.mark.parametrize("batch_dims", [0, 1])
def test_gather_nd_refuses_each_component(batch_dims):
    """Each component of an index tuple is checked against its own axis."""
    data = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    good = i64([[[1, 3], [0, -4]], [[2, 0], [-1, 1]]]) if batch_dims else i64([[1, 2], [-2, -3]])
    bad = good.copy()
    bad.reshape(-1, 2)[-1, 1] = 4 if batch_dims else 3
    axis = 2 if batch_dims else 1
    size = 4 if batch_dims else 3
    model = single_node_model("GatherND", {"data": data, "indices": good}, batch_dims=batch_dims)
    _refused(model, {"data": data, "indices": good}, {"data": data, "indices": bad},
             f"index {size} is out of range for axis {axis} of size {size}")


def test_scatter_nd_refuses():
    data = RNG.standard_normal((4, 3)).astype(np.float32)
    updates = RNG.standard_normal((2, 3)).astype(np.float32)
    good = i64([[1], [-1]])
    model = single_node_model("ScatterND", {"data": data, "indices": good, "updates": updates})
    _refused(model, {"data": data, "indices": good, "updates": updates},
             {"data": data, "indices": i64([[1], [-5]]), "updates": updates},
             "index -5 is out of range for axis 0 of size 4")


def _two_gathers() -> onnx.ModelProto:
    """Two Gather nodes with identical kernels (dedupe-kernels keeps one) on different
    index inputs."""
    table = numpy_helper.from_array(RNG.standard_normal((6, 4)).astype(np.float32), "table")
    nodes = [
        helper.make_node("Gather", ["table", "a"], ["ga"], name="first_lookup"),
        helper.make_node("Gather", ["table", "b"], ["gb"], name="second_lookup"),
        helper.make_node("Add", ["ga", "gb"], ["y"], name="sum"),
    ]
    graph = helper.make_graph(
        nodes, "two_gathers",
        [helper.make_tensor_value_info(n, TensorProto.INT64, [3]) for n in ("a", "b")],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])], [table],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model


def test_deduplicated_kernels_name_their_own_node():
    model = _two_gathers()
    compiled = compiler.compile(model, disable_passes=["fuse-kernels"])
    assert compiled.stats["kernels"] == 2  # one Gather kernel serves both nodes, plus the Add
    good = {"a": i64([0, 1, 5]), "b": i64([-6, 2, 3])}
    assert_matches_ort(model, good)
    with pytest.raises(OutOfRangeError, match=r"^Gather node 'second_lookup': index 6 is out"):
        compiled.run({"a": i64([0, 1, 5]), "b": i64([6, 2, 3])})
    with pytest.raises(OutOfRangeError, match=r"^Gather node 'first_lookup': index -7 is out.*\(1 more check\(s\) failed\)$"):
        compiled.run({"a": i64([0, -7, 5]), "b": i64([6, 2, 3])})


# ---- sizes read at run time (hand-written graph IR) -----------------------------------


def _compile_graph_ir(text: str, inputs: list[tuple[str, np.dtype, tuple[int, ...]]], outputs):
    """Graph-level MLIR text -> a CompiledModel, through the same lowering as compile()."""
    from xdsl.dialects import func
    from xdsl.parser import Parser

    from compiler.driver import lower_to_loops
    from compiler.context import make_context
    from lowering.loops_to_llvm import to_llvm_ir
    from lowering.runtime_checks import SITES_ATTR
    from runtime.compiled_model import CompiledModel, TensorSpec
    from runtime.jit import JitModule

    ctx = make_context()
    module = Parser(ctx, text).parse_module()
    lower_to_loops(module, ctx)
    entry = next(op for op in module.ops if isinstance(op, func.FuncOp) and "strata.entry" in op.attributes)
    kinds = [a.data for a in entry.attributes["strata.args"].data]
    sites = [tuple(p.data for p in s.data) for s in entry.attributes[SITES_ATTR].data]
    return CompiledModel(JitModule(to_llvm_ir(module)), "strata_entry", kinds,
                         [TensorSpec(n, np.dtype(d), s) for n, d, s in inputs],
                         [TensorSpec(n, np.dtype(d), s) for n, d, s in outputs], ctx.weights, {}, status_sites=sites)


def test_one_hot_depth_read_at_run_time():
    text = """
    func.func @main(%i: tensor<3xi64>, %depth: tensor<i64>, %v: tensor<2xf32>) -> tensor<3x5xf32>
        attributes {strata.input_names = ["i", "depth", "v"], strata.output_names = ["y"]} {
      %y = "onnx.OneHot"(%i, %depth, %v) : (tensor<3xi64>, tensor<i64>, tensor<2xf32>) -> tensor<3x5xf32>
      func.return %y : tensor<3x5xf32>
    }"""
    compiled = _compile_graph_ir(text, [("i", np.int64, (3,)), ("depth", np.int64, ()), ("v", np.float32, (2,))],
                                 [("y", np.float32, (3, 5))])
    ind, values = i64([1, -1, 7]), np.array([0, 1], np.float32)
    (got,) = compiled.run({"i": ind, "depth": np.array(5, np.int64), "v": values})
    np.testing.assert_array_equal(got, np.eye(5, dtype=np.float32)[[1, 4]].tolist() + [[0] * 5])
    with pytest.raises(OutOfRangeError, match="OneHot node .*: depth 4 differs from the depth 5 the model was compiled for"):
        compiled.run({"i": ind, "depth": np.array(4, np.int64), "v": values})


def test_top_k_read_at_run_time():
    text = """
    func.func @main(%x: tensor<2x6xf32>, %k: tensor<1xi64>) -> (tensor<2x3xf32>, tensor<2x3xi64>)
        attributes {strata.input_names = ["x", "k"], strata.output_names = ["v", "i"]} {
      %v, %i = "onnx.TopK"(%x, %k) : (tensor<2x6xf32>, tensor<1xi64>) -> (tensor<2x3xf32>, tensor<2x3xi64>)
      func.return %v, %i : tensor<2x3xf32>, tensor<2x3xi64>
    }"""
    compiled = _compile_graph_ir(text, [("x", np.float32, (2, 6)), ("k", np.int64, (1,))],
                                 [("v", np.float32, (2, 3)), ("i", np.int64, (2, 3))])
    x = RNG.standard_normal((2, 6)).astype(np.float32)
    values, indices = compiled.run({"x": x, "k": i64([3])})
    np.testing.assert_array_equal(indices, np.argsort(-x, axis=1)[:, :3])
    with pytest.raises(OutOfRangeError, match="TopK node .*: K 2 differs from the K 3 the model was compiled for"):
        compiled.run({"x": x, "k": i64([2])})


def test_error_is_a_strata_index_error():
    assert issubclass(OutOfRangeError, StrataError) and issubclass(OutOfRangeError, IndexError)
