"""onnx-fuse-conv-bn on imported ONNX models: BatchNormalization / per-channel Add / Mul
after a Conv fold into the Conv, and the rewritten graph (exported back to ONNX) gives
onnxruntime's results on the original model, under onnxruntime and compiled by Strata.

The folds reassociate float math (conv(x, W) * f vs conv(x, W * f)), so they are not
bit-exact: BatchNormalization folds and the example model are compared at 1e-4,
Add/Mul folds at 1e-5."""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
import pytest
from xdsl.context import Context
from xdsl.dialects import func

import compiler
from compiler.context import make_context
from compiler.onnx_export import export_model
from compiler.onnx_import import import_model
from compiler.passes.fuse_conv_bn import FuseConvBnPass
from dialects.onnx.base import node_name
from dialects.onnx.nn import ConvOp
from tests.ort_check import op_counts as shared_op_counts
from tests.ort_check import chain_model, graph_ops, node, run_ort
from tools.example_models import EXAMPLES, example_inputs, small_cnn

RNG = np.random.default_rng(0)


def op_counts(module) -> Counter:
    """Op counts without constants."""
    return shared_op_counts(module, constants=False)


def fuse(model: onnx.ModelProto, ctx: Context | None = None, input_shapes=None):
    """Imports `model`, runs the pass (with `ctx`, default a StrataContext) and checks
    that the graph's signature did not change. Returns (weights, module)."""
    strata_ctx = make_context()
    module = import_model(model, strata_ctx.weights, input_shapes)
    (fn,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    signature = fn.function_type
    FuseConvBnPass().apply(ctx or strata_ctx, module)
    module.verify()
    assert fn.function_type == signature
    return strata_ctx.weights, module


def check_numerics(model, module, weights, feeds, tol, input_shapes=None):
    """onnxruntime on the original is the reference for: onnxruntime on the rewritten
    graph, Strata on the rewritten graph and Strata on the original."""
    expected = run_ort(model, feeds)
    rewritten = export_model(module, weights)
    results = {
        "ort(rewritten)": run_ort(rewritten, feeds),
        "strata(rewritten)": compiler.compile(rewritten, opt_level=1).run(dict(feeds)),
        "strata(original)": compiler.compile(model, opt_level=1, input_shapes=input_shapes).run(dict(feeds)),
    }
    for who, got in results.items():
        assert len(got) == len(expected), who
        for i, (g, e) in enumerate(zip(got, expected)):
            g, e = np.asarray(g), np.asarray(e)
            assert g.shape == e.shape and g.dtype == e.dtype, f"{who} output {i}"
            np.testing.assert_allclose(g, e, rtol=tol, atol=tol, err_msg=f"{who} output {i}")


def the_conv(module) -> ConvOp:
    (conv,) = [op for op in graph_ops(module) if isinstance(op, ConvOp)]
    return conv


def bn_params(channels: int) -> dict:
    return {
        "scale": RNG.uniform(0.5, 2.0, channels).astype(np.float32),
        "beta": RNG.standard_normal(channels).astype(np.float32),
        "mean": RNG.standard_normal(channels).astype(np.float32),
        "var": RNG.uniform(0.1, 2.0, channels).astype(np.float32),
    }


# ---- Conv + BatchNormalization -----------------------------------------------------------


@pytest.mark.parametrize(
    "x_shape, w_shape, bias, attrs",
    [
        pytest.param((2, 3, 8, 8), (4, 3, 3, 3), True, {"pads": [1, 1, 1, 1]}, id="with_bias"),
        pytest.param((2, 3, 8, 8), (4, 3, 3, 3), False, {"strides": [2, 2]}, id="no_bias"),
        pytest.param((1, 4, 6, 6), (6, 2, 3, 3), True, {"group": 2, "dilations": [2, 1]}, id="group2"),
        pytest.param((2, 3, 10), (5, 3, 3), False, {"pads": [1, 0]}, id="conv1d"),
    ],
)
def test_conv_bn_fuses(x_shape, w_shape, bias, attrs):
    x = RNG.standard_normal(x_shape).astype(np.float32)
    inits = {"w": RNG.standard_normal(w_shape).astype(np.float32), **bn_params(w_shape[0])}
    conv_inputs = ["x", "w"]
    if bias:
        inits["b"] = RNG.standard_normal(w_shape[0]).astype(np.float32)
        conv_inputs.append("b")
    model = chain_model(
        [
            node("Conv", conv_inputs, "c", **attrs),
            node("BatchNormalization", ["c", "scale", "beta", "mean", "var"], "y", epsilon=1e-3),
        ],
        {"x": x},
        ["y"],
        inits,
    )
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"Conv": 1})
    conv = the_conv(module)
    assert node_name(conv) == "y_node"  # the BatchNormalization's node name
    assert conv.b is not None
    assert conv.group.value.data == attrs.get("group", 1)
    check_numerics(model, module, weights, {"x": x}, tol=1e-4)


# ---- Conv + Add / Mul --------------------------------------------------------------------


@pytest.mark.parametrize("const_first", [False, True])
@pytest.mark.parametrize("shape", [(4, 1, 1), (1, 4, 1, 1), (1,)])
def test_conv_add_fuses(shape, const_first):
    x = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
    inits = {
        "w": RNG.standard_normal((4, 3, 3, 3)).astype(np.float32),
        "c": RNG.standard_normal(shape).astype(np.float32),
    }
    add_inputs = ["c", "conv"] if const_first else ["conv", "c"]
    model = chain_model([node("Conv", ["x", "w"], "conv"), node("Add", add_inputs, "y")], {"x": x}, ["y"], inits)
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"Conv": 1})
    assert node_name(the_conv(module)) == "y_node"
    check_numerics(model, module, weights, {"x": x}, tol=1e-5)


@pytest.mark.parametrize("bias", [False, True])
def test_conv_mul_fuses(bias):
    x = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
    inits = {
        "w": RNG.standard_normal((4, 3, 3, 3)).astype(np.float32),
        "s": RNG.uniform(-2, 2, (4, 1, 1)).astype(np.float32),
    }
    conv_inputs = ["x", "w"]
    if bias:
        inits["b"] = RNG.standard_normal(4).astype(np.float32)
        conv_inputs.append("b")
    nodes = [node("Conv", conv_inputs, "conv"), node("Mul", ["s", "conv"], "y")]
    model = chain_model(nodes, {"x": x}, ["y"], inits)
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"Conv": 1})
    assert (the_conv(module).b is not None) == bias  # no bias stays no bias
    check_numerics(model, module, weights, {"x": x}, tol=1e-5)


def test_chain_folds_to_one_conv():
    x = RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    inits = {
        "w": RNG.standard_normal((4, 3, 3, 3)).astype(np.float32),
        "b": RNG.standard_normal(4).astype(np.float32),
        **bn_params(4),
        "s": RNG.uniform(0.5, 2, (1, 4, 1, 1)).astype(np.float32),
        "c": RNG.standard_normal((4, 1, 1)).astype(np.float32),
    }
    model = chain_model(
        [
            node("Conv", ["x", "w", "b"], "conv", pads=[1, 1, 1, 1]),
            node("BatchNormalization", ["conv", "scale", "beta", "mean", "var"], "bn"),
            node("Mul", ["bn", "s"], "mul"),
            node("Add", ["mul", "c"], "y"),
            node("Relu", ["y"], "out"),
        ],
        {"x": x},
        ["out"],
        inits,
    )
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"Conv": 1, "Relu": 1})
    assert node_name(the_conv(module)) == "y_node"
    check_numerics(model, module, weights, {"x": x}, tol=1e-4)


# ---- what does not fire ------------------------------------------------------------------


def test_does_not_fire():
    # c1 is also a graph output (a second use); c2's W is a graph input (not constant);
    # c3 is 1x4x4x4 and the Add constant [4] lies along its width, not its channels.
    x = RNG.standard_normal((1, 3, 6, 6)).astype(np.float32)
    w_in = RNG.standard_normal((4, 3, 3, 3)).astype(np.float32)
    inits = {"w": RNG.standard_normal((4, 3, 3, 3)).astype(np.float32), **bn_params(4)}
    inits["row"] = RNG.standard_normal(4).astype(np.float32)
    inits["s"] = inits["scale"].reshape(4, 1, 1)
    model = chain_model(
        [
            node("Conv", ["x", "w"], "c1", pads=[1, 1, 1, 1]),
            node("BatchNormalization", ["c1", "scale", "beta", "mean", "var"], "y1"),
            node("Conv", ["x", "w_in"], "c2"),
            node("Mul", ["c2", "s"], "y2"),
            node("Conv", ["x", "w"], "c3"),
            node("Add", ["c3", "row"], "y3"),
        ],
        {"x": x, "w_in": w_in},
        ["y1", "c1", "y2", "y3"],
        inits,
    )
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"Conv": 3, "BatchNormalization": 1, "Mul": 1, "Add": 1})


def test_misses_are_logged():
    # The same graph as above: the pattern log says why each Conv+BatchNormalization did
    # not fuse, naming the node.
    x = RNG.standard_normal((1, 3, 6, 6)).astype(np.float32)
    inits = {"w": RNG.standard_normal((4, 3, 3, 3)).astype(np.float32), **bn_params(4)}
    model = chain_model(
        [
            node("Conv", ["x", "w"], "c1", pads=[1, 1, 1, 1]),
            node("BatchNormalization", ["c1", "scale", "beta", "mean", "var"], "y1"),
            node("Conv", ["x", "w_in"], "c2"),
            node("BatchNormalization", ["c2", "scale", "beta", "mean", "var"], "y2"),
        ],
        {"x": x, "w_in": inits["w"]},
        ["y1", "c1", "y2"],
        inits,
    )
    ctx = make_context()
    module = import_model(model, ctx.weights)
    FuseConvBnPass().apply(ctx, module)
    log = ctx.pattern_log.to_dict()
    assert "FuseConvBatchNorm" not in log["fired"]
    missed = log["missed"]["FuseConvBatchNorm"]
    assert missed["the Conv result has other uses"]["nodes"] == ["y1_node"]
    assert missed["Conv weight W is not a known constant"]["nodes"] == ["y2_node"]


def test_conv_weight_from_constant_of_shape_fuses():
    # Exported models (onnx's light models) carry weights as ConstantOfShape fills; the
    # fill's value is known, so BatchNormalization still folds into the Conv.
    x = RNG.standard_normal((1, 3, 6, 6)).astype(np.float32)
    fill = onnx.helper.make_tensor("v", onnx.TensorProto.FLOAT, [1], [0.25])
    model = chain_model(
        [
            onnx.helper.make_node("ConstantOfShape", ["wshape"], ["w"], name="w_fill", value=fill),
            node("Conv", ["x", "w"], "c", pads=[1, 1, 1, 1]),
            node("BatchNormalization", ["c", "scale", "beta", "mean", "var"], "y"),
        ],
        {"x": x},
        ["y"],
        {"wshape": np.array([4, 3, 3, 3], np.int64), **bn_params(4)},
    )
    weights, module = fuse(model)
    assert op_counts(module)["BatchNormalization"] == 0
    check_numerics(model, module, weights, {"x": x}, tol=1e-4)


@pytest.mark.parametrize("order", ["mul_add", "add_mul", "const_first"])
def test_batchnorm_absorbs_per_channel_mul_and_add(order):
    # BatchNormalization -> Mul(s) -> Add(t) (onnx's light DenseNet/Inception: a BN not
    # after a Conv, then a per-channel scale and shift) becomes one BatchNormalization.
    x = RNG.standard_normal((2, 4, 5, 5)).astype(np.float32)
    inits = {**bn_params(4), "s": RNG.uniform(0.5, 2, (4, 1, 1)).astype(np.float32), "t": RNG.standard_normal((1, 4, 1, 1)).astype(np.float32)}
    first, second = ("Mul", "s"), ("Add", "t")
    if order == "add_mul":
        first, second = second, first
    ins = (lambda v, c: [c, v]) if order == "const_first" else (lambda v, c: [v, c])
    model = chain_model(
        [
            node("BatchNormalization", ["x", "scale", "beta", "mean", "var"], "b", epsilon=1e-3),
            node(first[0], ins("b", first[1]), "m"),
            node(second[0], ins("m", second[1]), "y"),
        ],
        {"x": x},
        ["y"],
        inits,
    )
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"BatchNormalization": 1})
    check_numerics(model, module, weights, {"x": x}, tol=1e-5)


def test_without_weight_table_only_small_constants():
    # A plain xDSL Context: no weight table, so the 4x3x3x3 W (a dense_resource) cannot
    # be read and the fold does not fire; a 2x1x1x1 W (inline) still folds.
    x = RNG.standard_normal((1, 3, 4, 4)).astype(np.float32)
    big = chain_model(
        [node("Conv", ["x", "w"], "c"), node("Mul", ["c", "s"], "y")],
        {"x": x},
        ["y"],
        {"w": RNG.standard_normal((4, 3, 3, 3)).astype(np.float32), "s": np.full((4, 1, 1), 2.0, np.float32)},
    )
    _, module = fuse(big, ctx=Context())
    assert op_counts(module) == Counter({"Conv": 1, "Mul": 1})
    x1 = RNG.standard_normal((1, 1, 4, 4)).astype(np.float32)
    small = chain_model(
        [node("Conv", ["x", "w"], "c"), node("Mul", ["c", "s"], "y")],
        {"x": x1},
        ["y"],
        {
            "w": np.array([1.0, -2.0], np.float32).reshape(2, 1, 1, 1),
            "s": np.array([3.0, 0.5], np.float32).reshape(2, 1, 1),
        },
    )
    weights, module = fuse(small, ctx=Context())
    assert op_counts(module) == Counter({"Conv": 1})
    check_numerics(small, module, weights, {"x": x1}, tol=1e-5)


# ---- the example model -------------------------------------------------------------------


def test_small_cnn_conv_bn_pairs_fuse():
    model = small_cnn()
    _, input_shapes = EXAMPLES["small_cnn"]
    feeds = example_inputs("small_cnn")
    strata_ctx = make_context()
    module = import_model(model, strata_ctx.weights, input_shapes)
    before = op_counts(module)
    assert before["Conv"] == 3 and before["BatchNormalization"] == 3
    FuseConvBnPass().apply(strata_ctx, module)
    module.verify()
    after = op_counts(module)
    assert after["BatchNormalization"] == 0 and after["Conv"] == 3
    assert after == before - Counter({"BatchNormalization": 3})
    names = sorted(node_name(op) for op in graph_ops(module) if isinstance(op, ConvOp))
    assert names == ["block1.bn", "block2.bn", "block3.bn"]
    check_numerics(model, module, strata_ctx.weights, feeds, tol=1e-4, input_shapes=input_shapes)
