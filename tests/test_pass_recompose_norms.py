"""onnx-recompose-norms on imported ONNX models: decomposed LayerNorm chains become
onnx.LayerNormalization and RMSNorm chains strata.RMSNormalization; the rewritten graph
(exported back to ONNX, strata ops as local functions) gives onnxruntime's results on
the original model, under onnxruntime and compiled by Strata with the pass in the -O2
pipeline (after onnx-simplify-algebra, so Div by a constant is already a Mul and Pow(x,
2) a Mul(x, x) there). All compared at 1e-4: the kernels sum in another order than
onnxruntime's decomposed ops.

The helpers here (`recompose`, `check_pass`) are shared by the other recompose tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import onnx
import pytest
from xdsl.dialects import func

import compiler
import compiler.pipelines as pipelines
from compiler.context import make_context
from compiler.onnx_export import export_model
from compiler.onnx_import import import_model
from compiler.passes.recompose_attention import RecomposeAttentionPass
from compiler.passes.recompose_gelu import RecomposeGeluPass
from compiler.passes.recompose_norms import RecomposeNormsPass
from tests.ort_check import chain_model, node, op_counts, run_ort
from tools.example_models import torch_style_transformer

RNG = np.random.default_rng(0)
TOL = 1e-4


def rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def f32(v: float) -> np.ndarray:
    return np.array(v, np.float32)


def recompose(model: onnx.ModelProto, passes: Sequence, input_shapes=None):
    """Imports `model` and runs `passes`; the graph signature must not change.
    Returns (ctx, module)."""
    ctx = make_context()
    module = import_model(model, ctx.weights, input_shapes)
    (fn,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    signature = fn.function_type
    for p in passes:
        p.apply(ctx, module)
    module.verify()
    assert fn.function_type == signature
    return ctx, module


def compile_with(model: onnx.ModelProto, passes: Sequence, input_shapes=None):
    """compiler.compile at -O2, whose pipeline runs `passes` (the recomposition passes)
    after the basic passes, so they see the graph as the pipeline leaves it. The
    activation fusion is left out so the recomposed ops stay visible in the stats."""
    level = [p.name for p in pipelines.graph_passes(2)]
    assert all(p.name in level for p in passes)
    return compiler.compile(model, opt_level=2, input_shapes=input_shapes, disable_passes=["onnx-fuse-activation"])


def check_pass(model, feeds, passes, expect: dict[str, int], input_shapes=None, tol=TOL):
    """Runs `passes`, checks the op counts in `expect` (op type -> count, strata ops
    by their full name), then onnxruntime on the rewritten graph and Strata's compile
    against onnxruntime on the original model. Returns the module."""
    ctx, module = recompose(model, passes, input_shapes)
    counts = op_counts(module, constants=False)
    for op_type, n in expect.items():
        assert counts[op_type] == n, (op_type, counts)
    expected = run_ort(model, feeds)
    exported = export_model(module, ctx.weights)
    for got, want in zip(run_ort(exported, feeds), expected):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    compiled = compile_with(model, passes, input_shapes)
    after = compiled.stats["graph_passes"]["ops_after"]
    for op_type, n in expect.items():
        if n:
            assert any(k.endswith(op_type) for k in after), (op_type, after)
    for got, want in zip(compiled.run(dict(feeds)), expected):
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    return module


# ---- LayerNorm -------------------------------------------------------------------------


def layer_norm_nodes(x="x", square="pow", divide=True, gamma=True, beta=True, eps_first=False, out="y"):
    nodes = [
        node("ReduceMean", [x, "axes"], "mean"),
        node("Sub", [x, "mean"], "d"),
        node("Pow", ["d", "two"], "sq") if square == "pow" else node("Mul", ["d", "d"], "sq"),
        node("ReduceMean", ["sq", "axes"], "var"),
        node("Add", ["eps", "var"] if eps_first else ["var", "eps"], "ve"),
        node("Sqrt", ["ve"], "std"),
    ]
    if divide:
        nodes.append(node("Div", ["d", "std"], "n"))
    else:
        nodes += [node("Reciprocal", ["std"], "rstd"), node("Mul", ["rstd", "d"], "n")]
    last = "n"
    if gamma:
        nodes.append(node("Mul", [last, "gamma"], "g" if beta else out))
        last = "g"
    if beta:
        nodes.append(node("Add", [last, "beta"], out))
    if not gamma and not beta:
        nodes[-1].output[0] = out
    return nodes


def norm_inits(d=8, axis=-1):
    return {
        "axes": np.array([axis], np.int64),
        "two": f32(2.0),
        "eps": f32(1e-5),
        "gamma": (np.abs(rand(d)) + 0.5),
        "beta": rand(d),
    }


@pytest.mark.parametrize(
    "variant",
    [
        dict(),
        dict(square="mul", divide=False, gamma=False, beta=False),
        dict(gamma=False, eps_first=True),
        dict(beta=False, divide=False),
    ],
    ids=["torch", "mul-reciprocal-bare", "beta-only", "gamma-only"],
)
def test_layer_norm_fires(variant):
    x = rand(2, 3, 8)
    model = chain_model(layer_norm_nodes(**variant), {"x": x}, ["y"], norm_inits())
    module = check_pass(model, {"x": x}, [RecomposeNormsPass()], {"LayerNormalization": 1, "ReduceMean": 0, "Sqrt": 0})
    (ln,) = [op for op in module.walk() if op.name == "onnx.LayerNormalization"]
    assert ln.epsilon.value.data == pytest.approx(1e-5)
    assert (ln.b is not None) == variant.get("beta", True)


def test_layer_norm_variance_used_elsewhere_does_not_fire():
    # The variance is also a graph output: the chain must stay (an RMSNorm of d is not
    # formed either: the same intermediate is in its chain).
    x = rand(2, 8)
    model = chain_model(layer_norm_nodes(), {"x": x}, ["y", "var"], norm_inits())
    check_pass(model, {"x": x}, [RecomposeNormsPass()], {"LayerNormalization": 0, "RMSNormalization": 0})


def test_layer_norm_wrong_axis_does_not_fire():
    x = rand(2, 8, 8)
    model = chain_model(layer_norm_nodes(), {"x": x}, ["y"], norm_inits(axis=1))
    check_pass(model, {"x": x}, [RecomposeNormsPass()], {"LayerNormalization": 0, "RMSNormalization": 0})


# ---- RMSNorm ---------------------------------------------------------------------------


def rms_nodes(square="pow", divide=True, gamma=True):
    nodes = [
        node("Pow", ["x", "two"], "sq") if square == "pow" else node("Mul", ["x", "x"], "sq"),
        node("ReduceMean", ["sq", "axes"], "ms"),
        node("Add", ["ms", "eps"], "mse"),
        node("Sqrt", ["mse"], "rms"),
    ]
    if divide:
        nodes.append(node("Div", ["x", "rms"], "n"))
    else:
        nodes += [node("Reciprocal", ["rms"], "rrms"), node("Mul", ["x", "rrms"], "n")]
    if gamma:
        nodes.append(node("Mul", ["gamma", "n"], "y"))
    else:
        nodes[-1].output[0] = "y"
    return nodes


@pytest.mark.parametrize(
    "variant", [dict(), dict(square="mul", divide=False, gamma=False)], ids=["pow-div-gamma", "mul-reciprocal-bare"]
)
def test_rms_norm_fires(variant):
    x = rand(2, 3, 8)
    model = chain_model(rms_nodes(**variant), {"x": x}, ["y"], norm_inits())
    check_pass(model, {"x": x}, [RecomposeNormsPass()], {"strata.RMSNormalization": 1, "ReduceMean": 0})


def test_rms_norm_extra_use_does_not_fire():
    x = rand(2, 8)
    model = chain_model(rms_nodes(), {"x": x}, ["y", "rms"], norm_inits())
    check_pass(model, {"x": x}, [RecomposeNormsPass()], {"strata.RMSNormalization": 0})


# ---- the torch-style transformer block ---------------------------------------------------


def test_torch_style_transformer_recomposes():
    model = torch_style_transformer()
    shapes = {"tokens": [2, 16, 64]}
    feeds = {"tokens": rand(2, 16, 64)}
    passes = [RecomposeAttentionPass(), RecomposeNormsPass(), RecomposeGeluPass()]
    module = check_pass(
        model,
        feeds,
        passes,
        {"LayerNormalization": 2, "strata.RMSNormalization": 1, "Gelu": 2, "strata.Attention": 1, "Softmax": 0, "Erf": 0},
        input_shapes=shapes,
    )
    approx = sorted(op.approximate.data for op in module.walk() if op.name == "onnx.Gelu")
    assert approx == ["none", "tanh"]
