"""onnx-eliminate-redundant-nodes on small ONNX models: the expected nodes go away, and
the rewritten graph (exported back to ONNX) computes exactly what the original does in
onnxruntime and in Strata's compiled code. All rewrites are exact, so onnxruntime on the
rewritten graph must match onnxruntime on the original bit for bit."""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import compiler
from compiler.context import make_context
from compiler.onnx_export import export_model
from compiler.onnx_import import import_model
from compiler.passes.eliminate_redundant_nodes import EliminateRedundantNodesPass
from tests.ort_check import run_ort, tensor_info

RNG = np.random.default_rng(0)


def _model(nodes, inputs, outputs, initializers=None) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "g",
        [tensor_info(n, a) for n, a in inputs.items()],
        [helper.make_value_info(o, onnx.TypeProto()) for o in outputs],
        [numpy_helper.from_array(np.asarray(a), n) for n, a in (initializers or {}).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model


def _ops(module) -> Counter:
    return Counter(op.name.removeprefix("onnx.") for op in module.walk() if op.name.startswith("onnx.") and op.name != "onnx.Constant")


def _check(model: onnx.ModelProto, feeds: dict, before: dict, after: dict) -> Counter:
    """Runs the pass; checks the op counts before/after and the numerics."""
    ctx = make_context()
    module = import_model(model, ctx.weights)
    assert _ops(module) == Counter(before)
    EliminateRedundantNodesPass().apply(ctx, module)
    module.verify()
    assert _ops(module) == Counter(after), str(module)

    rewritten = export_model(module, ctx.weights)
    onnx.checker.check_model(rewritten)
    expected = run_ort(model, feeds)
    got = run_ort(rewritten, feeds)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(g, e)  # exact rewrites
    for compiled_model in (model, rewritten):
        compiled = compiler.compile(compiled_model, opt_level=1).run(dict(feeds))
        for c, e in zip(compiled, expected):
            assert c.dtype == e.dtype and c.shape == e.shape
            np.testing.assert_allclose(c, e, rtol=1e-5, atol=1e-5)
    return _ops(module)


def _f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _i64(values):
    return np.asarray(values, dtype=np.int64)


def test_identity_dropout_cast():
    x = _f32(2, 3)
    nodes = [
        helper.make_node("Identity", ["x"], ["a"], name="id"),
        helper.make_node("Dropout", ["a"], ["b", "mask"], name="drop"),  # mask unused
        helper.make_node("Dropout", ["b", "ratio", "train"], ["c"], name="drop_false"),
        helper.make_node("Cast", ["c"], ["d"], to=TensorProto.FLOAT, name="cast"),
        helper.make_node("Relu", ["d"], ["y"], name="relu"),
    ]
    inits = {"ratio": np.array(0.3, np.float32), "train": np.array(False)}
    model = _model(nodes, {"x": x}, ["y"], inits)
    _check(model, {"x": x}, {"Identity": 1, "Dropout": 2, "Cast": 1, "Relu": 1}, {"Relu": 1})


def test_reshape_chain():
    x = _f32(2, 3, 4)
    nodes = [
        helper.make_node("Flatten", ["x"], ["a"], axis=1, name="flat"),
        helper.make_node("Unsqueeze", ["a", "ax1"], ["b"], name="unsq"),
        helper.make_node("Reshape", ["b", "shape"], ["c"], name="reshape"),
        helper.make_node("Squeeze", ["c"], ["d"], name="sq_noop"),  # 4x6: nothing to squeeze
        helper.make_node("Tanh", ["d"], ["y"], name="tanh"),
        # A Squeeze of an Unsqueeze: back to x's type -> x.
        helper.make_node("Unsqueeze", ["x", "ax03"], ["e"], name="unsq2"),
        helper.make_node("Squeeze", ["e", "ax03"], ["f"], name="sq2"),
        helper.make_node("Neg", ["f"], ["z"], name="neg"),
    ]
    inits = {"ax1": _i64([1]), "ax03": _i64([0, 4]), "shape": _i64([4, -1])}
    model = _model(nodes, {"x": x}, ["y", "z"], inits)
    ctx_ops = _check(
        model,
        {"x": x},
        {"Flatten": 1, "Unsqueeze": 2, "Reshape": 1, "Squeeze": 2, "Tanh": 1, "Neg": 1},
        {"Reshape": 1, "Tanh": 1, "Neg": 1},
    )
    assert ctx_ops["Reshape"] == 1


def test_reshape_chain_keeps_name_and_shape_constant():
    x = _f32(2, 3, 4)
    nodes = [
        helper.make_node("Flatten", ["x"], ["a"], axis=2, name="flat"),
        helper.make_node("Reshape", ["a", "shape"], ["y"], name="last_reshape"),
    ]
    model = _model(nodes, {"x": x}, ["y"], {"shape": _i64([-1])})
    ctx = make_context()
    module = import_model(model, ctx.weights)
    EliminateRedundantNodesPass().apply(ctx, module)
    from dialects.onnx.constants import constant_value
    from dialects.onnx.base import node_name
    from dialects.onnx.tensor import ReshapeOp

    (reshape,) = [op for op in module.walk() if isinstance(op, ReshapeOp)]
    assert node_name(reshape) == "last_reshape"
    assert reshape.data.name_hint == "x"
    assert constant_value(reshape.shape, ctx.weights).tolist() == [24]


def test_transposes():
    x = _f32(2, 3, 4)
    nodes = [
        helper.make_node("Transpose", ["x"], ["a"], perm=[1, 2, 0], name="t1"),
        helper.make_node("Transpose", ["a"], ["b"], perm=[1, 2, 0], name="t2"),  # -> [2, 0, 1]
        helper.make_node("Relu", ["b"], ["y"], name="relu"),
        helper.make_node("Transpose", ["x"], ["c"], perm=[2, 0, 1], name="t3"),
        helper.make_node("Transpose", ["c"], ["z"], perm=[1, 2, 0], name="t4"),  # identity
        helper.make_node("Transpose", ["x"], ["w"], perm=[0, 1, 2], name="t5"),  # identity perm
    ]
    model = _model(nodes, {"x": x}, ["y", "z", "w"])
    _check(model, {"x": x}, {"Transpose": 5, "Relu": 1}, {"Transpose": 1, "Relu": 1})


def test_expand_concat_split_slice_pad_tile():
    x = _f32(3, 4)
    nodes = [
        helper.make_node("Expand", ["x", "eshape"], ["a"], name="expand"),
        helper.make_node("Concat", ["a"], ["b"], axis=1, name="concat"),
        helper.make_node("Split", ["b"], ["c"], axis=0, num_outputs=1, name="split"),
        helper.make_node("Slice", ["c", "zeros", "bigs", "axes"], ["d"], name="slice"),
        helper.make_node("Slice", ["d", "neg", "bigs", "axes", "ones"], ["e"], name="slice_neg"),
        helper.make_node("Pad", ["e", "pads"], ["f"], mode="reflect", name="pad"),
        helper.make_node("Tile", ["f", "ones"], ["g"], name="tile"),
        helper.make_node("Mul", ["g", "x"], ["y"], name="mul"),
    ]
    inits = {
        "eshape": _i64([1, 4]),
        "zeros": _i64([0, 0]),
        "bigs": _i64([2**62, 2**62]),
        "axes": _i64([0, 1]),
        "neg": _i64([-3, -100]),
        "ones": _i64([1, 1]),
        "pads": _i64([0, 0, 0, 0]),
    }
    model = _model(nodes, {"x": x}, ["y"], inits)
    before = {"Expand": 1, "Concat": 1, "Split": 1, "Slice": 2, "Pad": 1, "Tile": 1, "Mul": 1}
    _check(model, {"x": x}, before, {"Mul": 1})


def test_int_cast_and_returned_input():
    # Cast i64 -> i64 and Identity on an integer graph; the graph output becomes the input.
    x = np.arange(6, dtype=np.int64).reshape(2, 3)
    nodes = [
        helper.make_node("Cast", ["x"], ["a"], to=TensorProto.INT64, name="cast"),
        helper.make_node("Identity", ["a"], ["y"], name="id"),
    ]
    model = _model(nodes, {"x": x}, ["y"])
    _check(model, {"x": x}, {"Cast": 1, "Identity": 1}, {})


def test_does_not_fire():
    """Same types, different values: a square Transpose (perm [1, 0]), a shifting Pad
    ([1, -1]), a reversing Slice (step -1), a real Tile, a Cast to another type,
    a Reshape of a Transpose (no chain) and an inference Dropout whose mask is used."""
    x = _f32(3, 3)
    nodes = [
        helper.make_node("Transpose", ["x"], ["a"], perm=[1, 0], name="t"),
        helper.make_node("Pad", ["a", "pads"], ["b"], name="pad"),
        helper.make_node("Slice", ["b", "m1", "lo", "ax", "m1"], ["c"], name="rev"),
        helper.make_node("Tile", ["c", "rep"], ["d"], name="tile"),
        helper.make_node("Cast", ["d"], ["e"], to=TensorProto.DOUBLE, name="cast"),
        helper.make_node("Reshape", ["a", "flat"], ["z"], name="reshape"),
        helper.make_node("Dropout", ["x"], ["w", "mask"], name="drop"),
    ]
    inits = {
        "pads": _i64([0, 1, 0, -1]),
        "m1": _i64([-1]),
        "lo": _i64([-(2**62)]),
        "ax": _i64([0]),
        "rep": _i64([2, 1]),
        "flat": _i64([9]),
    }
    model = _model(nodes, {"x": x}, ["e", "z", "w", "mask"], inits)
    counts = {"Transpose": 1, "Pad": 1, "Slice": 1, "Tile": 1, "Cast": 1, "Reshape": 1, "Dropout": 1}
    _check(model, {"x": x}, counts, counts)


def test_training_dropout_kept():
    """training_mode true: Dropout is random, so it stays (checked in the IR only)."""
    x = _f32(2, 3)
    nodes = [helper.make_node("Dropout", ["x", "ratio", "train"], ["y"], name="drop")]
    model = _model(nodes, {"x": x}, ["y"], {"ratio": np.array(0.5, np.float32), "train": np.array(True)})
    ctx = make_context()
    module = import_model(model, ctx.weights)
    EliminateRedundantNodesPass().apply(ctx, module)
    assert _ops(module) == Counter({"Dropout": 1})


def test_without_weight_table():
    """A plain xDSL context (no weight table): inline shape constants still work."""
    from xdsl.context import Context

    x = _f32(2, 3, 4)
    nodes = [
        helper.make_node("Flatten", ["x"], ["a"], axis=1, name="flat"),
        helper.make_node("Unsqueeze", ["a", "ax"], ["y"], name="unsq"),
    ]
    model = _model(nodes, {"x": x}, ["y"], {"ax": _i64([0])})
    sctx = make_context()
    module = import_model(model, sctx.weights)
    EliminateRedundantNodesPass().apply(Context(), module)
    module.verify()
    assert _ops(module) == Counter({"Reshape": 1})
    got = run_ort(export_model(module, sctx.weights), {"x": x})[0]
    np.testing.assert_array_equal(got, x.reshape(1, 2, 12))


def test_identical_constants_merge_then_cse_merges_their_users():
    # Two Convs of x with equal (but separately stored) weights: the pass merges the
    # weight constants, and the -O1 pipeline's cse then merges the Convs.
    from compiler.pipelines import graph_pipeline

    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    model = _model(
        [
            helper.make_node("Conv", ["x", "w1"], ["c1"], name="c1"),
            helper.make_node("Conv", ["x", "w2"], ["c2"], name="c2"),
            helper.make_node("Add", ["c1", "c2"], ["y"], name="y"),
        ],
        {"x": rng.standard_normal((1, 3, 6, 6)).astype(np.float32)},
        ["y"],
        {"w1": w, "w2": w.copy()},
    )
    ctx = make_context()
    module = import_model(model, ctx.weights)

    def constants() -> int:
        return sum(op.name == "onnx.Constant" for op in module.walk())

    assert constants() == 2
    EliminateRedundantNodesPass().apply(ctx, module)
    assert constants() == 1
    graph_pipeline(1).apply(ctx, module)
    assert _ops(module) == Counter({"Conv": 1, "Add": 1})
    feeds = {"x": rng.standard_normal((1, 3, 6, 6)).astype(np.float32)}
    expected = run_ort(model, feeds)
    np.testing.assert_allclose(run_ort(export_model(module, ctx.weights), feeds)[0], expected[0], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(compiler.compile(model).run(feeds)[0], expected[0], rtol=1e-5, atol=1e-5)


def test_constants_equal_at_both_ends_merge_only_when_all_bytes_agree():
    # merge_identical_constants compares a sample from each end first: weights that agree
    # there but differ in the middle stay apart; -0.0 and 0.0 are different bytes.
    from compiler.passes.eliminate_redundant_nodes import merge_identical_constants

    rng = np.random.default_rng(3)
    w = rng.standard_normal((64, 8)).astype(np.float32)
    w_mid = w.copy()
    w_mid[32, 4] += 1.0
    zeros, neg_zeros = np.zeros((64, 8), np.float32), np.full((64, 8), -0.0, np.float32)
    names = {"w": w, "w_same": w.copy(), "w_mid": w_mid, "z": zeros, "nz": neg_zeros}
    nodes = [helper.make_node("Add", ["x", n], [f"y_{n}"], name=f"add_{n}") for n in names]
    model = _model(nodes, {"x": w}, [f"y_{n}" for n in names], names)
    ctx = make_context()
    module = import_model(model, ctx.weights)
    assert merge_identical_constants(module, ctx.weights) == 1  # only w_same into w
    assert sum(op.name == "onnx.Constant" for op in module.walk()) == 4
    feeds = {"x": w}
    for got, want in zip(run_ort(export_model(module, ctx.weights), feeds), run_ort(model, feeds)):
        np.testing.assert_array_equal(got, want)


def test_softmax_through_flatten():
    # Flatten -> Softmax -> Reshape back (what onnx.version_converter makes of an
    # opset-11 Softmax over [N, C, 1, 1]) becomes one Softmax over C; over [2, 3, 4]
    # (two flattened dims that are not 1) it must not fire.
    rng = np.random.default_rng(2)
    for op_type in ("Softmax", "LogSoftmax", "Hardmax"):
        for shape, fires in (((2, 5, 1, 1), True), ((2, 1, 5, 1), True), ((2, 3, 4), False)):
            x = rng.standard_normal(shape).astype(np.float32)
            model = _model(
                [
                    helper.make_node("Flatten", ["x"], ["f"], name="f", axis=1),
                    helper.make_node(op_type, ["f"], ["s"], name="s", axis=1),
                    helper.make_node("Reshape", ["s", "shape"], ["y"], name="y"),
                ],
                {"x": x},
                ["y"],
                {"shape": np.array(shape, np.int64)},
            )
            after = {op_type: 1} if fires else {"Flatten": 1, op_type: 1, "Reshape": 1}
            _check(model, {"x": x}, {"Flatten": 1, op_type: 1, "Reshape": 1}, after)
