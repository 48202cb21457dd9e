"""onnx-fuse-activation on imported ONNX models: Conv / Gemm / MatMul with the residual
add, bias, scale and activation after them become strata.FusedConv / FusedGemm /
FusedMatMul. For every activation the rewritten graph, exported to ONNX (fused ops as
model-local functions), gives onnxruntime's results on the original model, and Strata
compiling the original model with the pass (fused kernels with the epilogue in the
store loop) gives them too: f32 at 1e-5, Gelu at 1e-4."""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
import pytest
from xdsl.dialects import func

import compiler
import compiler.pipelines
from compiler.context import make_context
from compiler.onnx_export import export_model
from compiler.onnx_import import import_model
from compiler.passes.fuse_activation import FuseActivationPass
from dialects.onnx.base import float_attr_value, node_name
from dialects.strata.activation import activation_of
from dialects.strata.fused import FusedConvOp, FusedGemmOp, FusedMatMulOp
from tests.ort_check import chain_model, checked_optimize, graph_ops, node, op_counts, run_ort

RNG = np.random.default_rng(0)

# activation -> (ONNX node type, attributes, extra initializers, activation_params)
ACTS = {
    "Relu": ("Relu", {}, {}, []),
    "Clip": ("Clip", {}, {"lo": np.array(-0.5, np.float32), "hi": np.array(1.5, np.float32)}, [-0.5, 1.5]),
    "LeakyRelu": ("LeakyRelu", {"alpha": 0.2}, {}, [0.2]),
    "Sigmoid": ("Sigmoid", {}, {}, []),
    "HardSigmoid": ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}, {}, [0.3, 0.4]),
    "HardSwish": ("HardSwish", {}, {}, []),
    "Tanh": ("Tanh", {}, {}, []),
    "Gelu": ("Gelu", {}, {}, []),
    "GeluTanh": ("Gelu", {"approximate": "tanh"}, {}, []),
}


def randn(*shape, scale=1.0) -> np.ndarray:
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


@pytest.fixture
def with_pass(monkeypatch):
    """compile() at -O2 with onnx-fuse-activation appended (until the lead puts it in
    the pipeline; then the level's own placement is used)."""
    original = compiler.pipelines.graph_passes

    def graph_passes(opt_level, disabled=(), options=None):
        passes = original(opt_level, disabled, options)
        if opt_level >= 2 and all(p.name != FuseActivationPass.name for p in passes):
            passes.insert(len(passes) - 3, FuseActivationPass())  # before canonicalize/cse/dce
        return passes

    monkeypatch.setattr(compiler.pipelines, "graph_passes", graph_passes)


def fuse(model: onnx.ModelProto):
    """Imports `model`, runs the pass, checks the graph's signature did not change.
    Returns (ctx, module)."""
    ctx = make_context()
    module = import_model(model, ctx.weights, None)
    (fn,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    signature = fn.function_type
    FuseActivationPass().apply(ctx, module)
    module.verify()
    assert fn.function_type == signature
    return ctx, module


def check_numerics(model, module, weights, feeds, tol):
    """onnxruntime on the original model is the reference for onnxruntime on the
    exported rewritten graph and for Strata compiling the original with the pass."""
    expected = run_ort(model, feeds)
    results = {
        "ort(rewritten)": run_ort(export_model(module, weights), feeds),
        "strata(original)": compiler.compile(model, opt_level=2).run(dict(feeds)),
    }
    for who, got in results.items():
        for i, (g, e) in enumerate(zip(got, expected)):
            assert g.shape == e.shape and g.dtype == e.dtype, f"{who} output {i}"
            np.testing.assert_allclose(g, e, rtol=tol, atol=tol, err_msg=f"{who} output {i}")


def act_node(name: str, inp: str, out: str) -> onnx.NodeProto:
    op_type, attrs, inits, _ = ACTS[name]
    inputs = [inp, "lo", "hi"] if inits else [inp]
    return node(op_type, inputs, out, **attrs)


def three_anchor_model(act: str) -> tuple[onnx.ModelProto, dict]:
    """Conv -> Add(residual) -> act; Gemm (transB 0 and 1) -> act;
    MatMul (batched) -> Mul(0.5) -> Add(bias) -> act."""
    inits = {
        "w": randn(4, 3, 3, 3, scale=0.5),
        "b": randn(4),
        "gw": randn(5, 4),
        "gwt": randn(4, 5),
        "gc": randn(4),
        "mw": randn(5, 4),
        "half": np.array(0.5, np.float32),
        "mbias": randn(4),
        **ACTS[act][2],
    }
    nodes = [
        node("Conv", ["x", "w", "b"], "conv", pads=[1, 1, 1, 1]),
        node("Add", ["conv", "r"], "res"),
        act_node(act, "res", "y1"),
        node("Gemm", ["a", "gw", "gc"], "gemm", alpha=0.5),
        act_node(act, "gemm", "y2"),
        node("Gemm", ["a", "gwt", "gc"], "gemmt", transB=1, beta=2.0),
        act_node(act, "gemmt", "y3"),
        node("MatMul", ["m", "mw"], "mm"),
        node("Mul", ["mm", "half"], "scaled"),
        node("Add", ["scaled", "mbias"], "biased"),
        act_node(act, "biased", "y4"),
    ]
    feeds = {"x": randn(1, 3, 6, 6), "r": randn(1, 4, 6, 6), "a": randn(3, 5, scale=2.0), "m": randn(2, 3, 5, scale=2.0)}
    return chain_model(nodes, feeds, ["y1", "y2", "y3", "y4"], inits), feeds


@pytest.mark.parametrize("act", list(ACTS))
def test_each_activation_fuses_and_matches(act, with_pass):
    model, feeds = three_anchor_model(act)
    ctx, module = fuse(model)
    assert op_counts(module, constants=False) == Counter({"strata.FusedConv": 1, "strata.FusedGemm": 2, "strata.FusedMatMul": 1})
    ops = {node_name(op): op for op in graph_ops(module) if op.name.startswith("strata.")}
    assert set(ops) == {"y1_node", "y2_node", "y3_node", "y4_node"}  # the last replaced op's name
    for op in ops.values():
        assert activation_of(op) == (act, pytest.approx(ACTS[act][3]))
    conv, mm = ops["y1_node"], ops["y4_node"]
    assert isinstance(conv, FusedConvOp) and conv.z is not None and conv.b is not None
    assert isinstance(mm, FusedMatMulOp) and mm.bias is not None and float_attr_value(mm.alpha) == 0.5
    assert isinstance(ops["y2_node"], FusedGemmOp) and float_attr_value(ops["y2_node"].alpha) == 0.5
    check_numerics(model, module, ctx.weights, feeds, tol=1e-4 if act.startswith("Gelu") else 1e-5)


def test_residual_sum_and_resnet_block(with_pass):
    # Conv -> BN -> Relu -> Conv -> BN -> Sum(x) -> Relu at -O2: onnx-fuse-conv-bn folds
    # the BNs, this pass makes FusedConv(Relu) and FusedConv(z = x, Relu).
    c = 4
    bn = {f"{p}{i}": v for i in (1, 2) for p, v in (("s", randn(c) * 0.1 + 1), ("o", randn(c)), ("mu", randn(c)), ("var", np.abs(randn(c)) + 0.5))}
    inits = {"w1": randn(c, c, 3, 3, scale=0.3), "w2": randn(c, c, 3, 3, scale=0.3), **bn}
    nodes = [
        node("Conv", ["x", "w1"], "c1", pads=[1, 1, 1, 1]),
        node("BatchNormalization", ["c1", "s1", "o1", "mu1", "var1"], "bn1"),
        node("Relu", ["bn1"], "r1"),
        node("Conv", ["r1", "w2"], "c2", pads=[1, 1, 1, 1]),
        node("BatchNormalization", ["c2", "s2", "o2", "mu2", "var2"], "bn2"),
        node("Sum", ["x", "bn2"], "sum"),
        node("Relu", ["sum"], "y"),
    ]
    feeds = {"x": randn(1, c, 5, 5)}
    model = chain_model(nodes, feeds, ["y"], inits)
    expected = run_ort(model, feeds)
    np.testing.assert_allclose(compiler.compile(model, opt_level=2).run(feeds)[0], expected[0], rtol=1e-4, atol=1e-4)
    optimized = checked_optimize(model, level="extended", feeds=feeds)
    # Two distinct decompositions (with and without z): functions FusedConv, FusedConv_1.
    assert [(n.domain, n.op_type) for n in optimized.graph.node] == [("strata", "FusedConv"), ("strata", "FusedConv_1")]


def test_does_not_fire_and_logs_why():
    ints = np.arange(6, dtype=np.int32).reshape(2, 3)
    inits = {"w": randn(2, 3, 1, 1), "mw": randn(3, 4), "bias3": randn(1, 2, 4), "iw": np.ones((3, 2), np.int32)}
    nodes = [
        # Conv also returned: the Relu must not absorb it.
        node("Conv", ["x", "w"], "conv"),
        node("Relu", ["conv"], "y1"),
        # Clip with a runtime bound.
        node("Conv", ["x", "w"], "conv2"),
        node("Clip", ["conv2", "lo"], "y2"),
        # A [1, 2, 4] bias on a [2, 4] MatMul changes the shape.
        node("MatMul", ["a", "mw"], "mm"),
        node("Add", ["mm", "bias3"], "y3"),
        # Integer MatMul -> Relu.
        node("MatMul", ["ia", "iw"], "imm"),
        node("Relu", ["imm"], "y4"),
    ]
    feeds = {"x": randn(1, 3, 4, 4), "lo": np.array(0.0, np.float32), "a": randn(2, 3), "ia": ints}
    model = chain_model(nodes, feeds, ["y1", "conv", "y2", "y3", "y4"], inits)
    ctx, module = fuse(model)
    assert op_counts(module, constants=False) == Counter({"Conv": 2, "Relu": 2, "Clip": 1, "MatMul": 2, "Add": 1})
    missed = ctx.pattern_log.to_dict()["missed"]
    assert missed["FuseConvActivation"]["producer result is a graph output"]["nodes"] == ["y1_node"]
    assert missed["FuseConvActivation"]["Clip bounds not constant"]["nodes"] == ["y2_node"]
    assert missed["FuseMatMulBias"]["shape-changing bias"]["nodes"] == ["y3_node"]
    assert missed["FuseMatMulActivation"]["non-float type"]["nodes"] == ["y4_node"]


def test_activation_already_present_and_other_uses():
    inits = {"w": randn(2, 3, 1, 1)}
    nodes = [
        node("Conv", ["x", "w"], "conv"),
        node("Relu", ["conv"], "r"),
        node("Sigmoid", ["r"], "y1"),  # Relu goes into the Conv; Sigmoid cannot follow
        node("Conv", ["x", "w"], "conv2"),
        node("Tanh", ["conv2"], "t"),
        node("Add", ["conv2", "t"], "y2"),  # conv2 has two uses: neither fuses
    ]
    feeds = {"x": randn(1, 3, 4, 4)}
    model = chain_model(nodes, feeds, ["y1", "y2"], inits)
    ctx, module = fuse(model)
    assert op_counts(module, constants=False) == Counter({"strata.FusedConv": 1, "Sigmoid": 1, "Conv": 1, "Tanh": 1, "Add": 1})
    missed = ctx.pattern_log.to_dict()["missed"]
    assert "activation already present" in missed["FuseConvActivation"]
    assert "producer has other uses" in missed["FuseConvActivation"]
    check_numerics(model, module, ctx.weights, feeds, tol=1e-5)


@pytest.mark.parametrize("act", ["Gelu", "GeluTanh"])
def test_gelu_epilogue_matches_at_1e5(act, with_pass):
    # MatMul -> Gelu over a wide input range; the fused epilogue computes onnxruntime's
    # Gelu (erf form, or the tanh form) to 1e-5.
    inits = {"w": randn(8, 16, scale=0.7)}
    model = chain_model([node("MatMul", ["a", "w"], "mm"), act_node(act, "mm", "y")], {"a": randn(6, 8)}, ["y"], inits)
    feeds = {"a": randn(6, 8, scale=2.0)}
    ctx, module = fuse(model)
    assert op_counts(module, constants=False) == Counter({"strata.FusedMatMul": 1})
    check_numerics(model, module, ctx.weights, feeds, tol=1e-5)


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '%y = "strata.FusedConv"(%x, %w) <{activation = "Mish", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) -> tensor<1x3x4x4xf32>',
            "strata.FusedConv: unknown activation 'Mish'",
        ),
        (
            '%y = "strata.FusedConv"(%x, %w) <{activation = "Swish", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) -> tensor<1x3x4x4xf32>',
            "strata.FusedConv: activation 'Swish' takes 1 activation_params, got 0",
        ),
        (
            '%y = "strata.FusedConv"(%x, %w, %x) <{operandSegmentSizes = array<i32: 1, 1, 0, 1>}> : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32>',
            "strata.FusedConv: Z and Y must have the same type",
        ),
        (
            '%y = "strata.FusedGemm"(%a, %a) <{transB = 1 : i64, activation = "Clip", activation_params = array<f32: 1.0>}> : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x2xf32>',
            "strata.FusedGemm: activation 'Clip' takes 2 activation_params, got 1",
        ),
        (
            '%y = "strata.FusedMatMul"(%a, %b, %a) : (tensor<2x3xf32>, tensor<3x2xf32>, tensor<2x3xf32>) -> tensor<2x2xf32>',
            "strata.FusedMatMul: bias [2, 3] does not broadcast to Y [2, 2]",
        ),
    ],
)
def test_verifier_messages_name_the_op(text, message):
    from xdsl.parser import Parser
    from xdsl.utils.exceptions import VerifyException

    src = (
        "func.func @f(%x: tensor<1x2x4x4xf32>, %w: tensor<3x2x1x1xf32>, %a: tensor<2x3xf32>, %b: tensor<3x2xf32>) {\n"
        f"  {text}\n  func.return\n}}"
    )
    module = Parser(make_context(), src).parse_module()
    with pytest.raises(VerifyException, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        module.verify()
