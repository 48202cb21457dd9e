"""onnx-recompose-gelu on imported ONNX models: erf GELU chains in their common
orderings become onnx.Gelu and tanh (FastGELU) chains onnx.Gelu(approximate="tanh");
wrong constants and extra uses leave the chain alone. The rewritten graph, exported back
to ONNX, gives onnxruntime's results on the original model, under onnxruntime and
compiled by Strata with the pass in the -O2 pipeline; compared at 1e-4 (the constants
are matched within 1e-4 relative, the kernel's erf/tanh are not onnxruntime's)."""

from __future__ import annotations

import math

import pytest

from compiler.context import make_context
from compiler.passes.recompose_gelu import RecomposeGeluPass
from tests.ort_check import chain_model, node
from tests.test_pass_recompose_norms import check_pass, f32, rand

SQRT2 = math.sqrt(2.0)


def erf_nodes(order: str, scale_mul: bool = False):
    arg = node("Mul", ["x", "rsqrt2"], "t") if scale_mul else node("Div", ["x", "sqrt2"], "t")
    head = [arg, node("Erf", ["t"], "e"), node("Add", ["one", "e"], "p")]
    if order == "half-last":  # torch: Mul(x, p) * 0.5
        return head + [node("Mul", ["x", "p"], "xp"), node("Mul", ["xp", "half"], "y")]
    if order == "half-first":
        return head + [node("Mul", ["half", "x"], "xh"), node("Mul", ["xh", "p"], "y")]
    return head + [node("Mul", ["p", "half"], "ph"), node("Mul", ["x", "ph"], "y")]  # half on the erf part


def tanh_nodes(cube: str, coeff: float = 0.044715):
    if cube == "pow":
        c = [node("Pow", ["x", "three"], "x3")]
    else:
        c = [node("Mul", ["x", "x"], "xx"), node("Mul", ["x", "xx"], "x3")]
    return c + [
        node("Mul", ["x3", "coeff"], "k"),
        node("Add", ["k", "x"], "w"),
        node("Mul", ["w", "s"], "u"),
        node("Tanh", ["u"], "th"),
        node("Add", ["th", "one"], "p"),
        node("Mul", ["x", "p"], "xp"),
        node("Mul", ["half", "xp"], "y"),
    ]


def inits(coeff: float = 0.044715, half: float = 0.5):
    return {
        "sqrt2": f32(SQRT2),
        "rsqrt2": f32(1.0 / SQRT2),
        "one": f32(1.0),
        "half": f32(half),
        "three": f32(3.0),
        "coeff": f32(coeff),
        "s": f32(math.sqrt(2.0 / math.pi)),
    }


def used(nodes):
    names = {i for n in nodes for i in n.input}
    return {k: v for k, v in inits().items() if k in names}


@pytest.mark.parametrize(
    "order,scale_mul",
    [("half-last", False), ("half-first", True), ("half-on-erf", False)],
)
def test_erf_gelu_fires(order, scale_mul):
    x = rand(2, 3, 8) * 3
    nodes = erf_nodes(order, scale_mul)
    module = check_pass(chain_model(nodes, {"x": x}, ["y"], used(nodes)), {"x": x}, [RecomposeGeluPass()], {"Gelu": 1, "Erf": 0, "Mul": 0})
    (gelu,) = [op for op in module.walk() if op.name == "onnx.Gelu"]
    assert gelu.approximate.data == "none"


@pytest.mark.parametrize("cube", ["pow", "mul"])
def test_tanh_gelu_fires(cube):
    x = rand(4, 8) * 3
    nodes = tanh_nodes(cube)
    module = check_pass(chain_model(nodes, {"x": x}, ["y"], used(nodes)), {"x": x}, [RecomposeGeluPass()], {"Gelu": 1, "Tanh": 0})
    (gelu,) = [op for op in module.walk() if op.name == "onnx.Gelu"]
    assert gelu.approximate.data == "tanh"


def test_wrong_constant_does_not_fire_and_says_why():
    x = rand(4, 8)
    nodes = tanh_nodes("pow")
    model = chain_model(nodes, {"x": x}, ["y"], {**used(nodes), "coeff": f32(0.05)})
    check_pass(model, {"x": x}, [RecomposeGeluPass()], {"Gelu": 0, "Tanh": 1})
    ctx = make_context()
    from compiler.onnx_import import import_model

    module = import_model(model, ctx.weights, None)
    RecomposeGeluPass().apply(ctx, module)
    reasons = ctx.pattern_log.to_dict()["missed"]["RecomposeGelu"]
    assert any("cubic coefficient" in r for r in reasons), reasons


def test_erf_result_used_elsewhere_does_not_fire():
    x = rand(4, 8)
    nodes = erf_nodes("half-last")
    check_pass(chain_model(nodes, {"x": x}, ["y", "e"], used(nodes)), {"x": x}, [RecomposeGeluPass()], {"Gelu": 0, "Erf": 1})
