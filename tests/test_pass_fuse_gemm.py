"""onnx-fuse-gemm on imported ONNX models: 2-D MatMul + bias Add becomes Gemm, [1, 0]
Transposes fold into transA/transB, scalar Mul/Div folds into alpha/beta; the rewritten
graph (exported back to ONNX) gives onnxruntime's results on the original model, under
onnxruntime and compiled by Strata.

MatMul + Add and the Transpose fold are exact in math (the runtime may add the bias at
another point of the sum): compared at 1e-5. The scale fold rounds alpha/beta to f32 and
distributes over C (not bit-exact): compared at 1e-5 as well, and onnxruntime on the
rewritten graph against the original at rtol 1e-6 (atol 1e-6)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
import pytest
from xdsl.dialects import func

import compiler
from compiler.context import make_context
from compiler.onnx_export import export_model
from compiler.onnx_import import import_model
from compiler.passes.fuse_gemm import FuseGemmPass
from dialects.onnx.base import float_attr_value, int_attr_value, node_name
from dialects.onnx.linalg import GemmOp
from tests.ort_check import op_counts as shared_op_counts
from tests.ort_check import chain_model, graph_ops, node, run_ort
from tools.example_models import EXAMPLES, example_inputs, mlp, transformer_block

RNG = np.random.default_rng(0)


def op_counts(module) -> Counter:
    """Op counts without constants."""
    return shared_op_counts(module, constants=False)










def fuse(model: onnx.ModelProto, input_shapes=None):
    """Imports `model`, runs the pass and checks that the graph's signature did not
    change. Returns (weights, module)."""
    ctx = make_context()
    module = import_model(model, ctx.weights, input_shapes)
    (fn,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    signature = fn.function_type
    FuseGemmPass().apply(ctx, module)
    module.verify()
    assert fn.function_type == signature
    return ctx.weights, module


def check_numerics(model, module, weights, feeds, tol=1e-5, ort_rtol=None, input_shapes=None):
    """onnxruntime on the original is the reference for: onnxruntime on the rewritten
    graph (at `ort_rtol` when given), Strata on the rewritten graph and on the original."""
    expected = run_ort(model, feeds)
    rewritten = export_model(module, weights)
    results = {
        "ort(rewritten)": run_ort(rewritten, feeds),
        "strata(rewritten)": compiler.compile(rewritten, opt_level=1).run(dict(feeds)),
        "strata(original)": compiler.compile(model, opt_level=1, input_shapes=input_shapes).run(dict(feeds)),
    }
    for who, got in results.items():
        assert len(got) == len(expected), who
        rtol = ort_rtol if (ort_rtol is not None and who == "ort(rewritten)") else tol
        atol = min(rtol, tol)
        for i, (g, e) in enumerate(zip(got, expected)):
            g, e = np.asarray(g), np.asarray(e)
            assert g.shape == e.shape and g.dtype == e.dtype, f"{who} output {i}"
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=f"{who} output {i}")


def the_gemm(module) -> GemmOp:
    (gemm,) = [op for op in graph_ops(module) if isinstance(op, GemmOp)]
    return gemm


def randn(*shape) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


# ---- MatMul + Add ------------------------------------------------------------------------


@pytest.mark.parametrize("bias_first", [False, True])
@pytest.mark.parametrize("bias_shape", [(5,), (1, 5), (3, 5), (3, 1), ()], ids=str)
def test_matmul_add_becomes_gemm(bias_shape, bias_first):
    a = randn(3, 4)
    inits = {"w": randn(4, 5), "bias": randn(*bias_shape)}
    add_inputs = ["bias", "mm"] if bias_first else ["mm", "bias"]
    model = chain_model([node("MatMul", ["a", "w"], "mm"), node("Add", add_inputs, "y")], {"a": a}, ["y"], inits)
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"Gemm": 1})
    gemm = the_gemm(module)
    assert node_name(gemm) == "y_node" and gemm.c is not None
    assert float_attr_value(gemm.alpha) == 1.0 and float_attr_value(gemm.beta) == 1.0
    check_numerics(model, module, weights, {"a": a})


def test_matmul_add_bias_from_graph_input():
    a, bias = randn(6, 8), randn(6, 1)
    model = chain_model(
        [node("MatMul", ["a", "w"], "mm"), node("Add", ["mm", "bias"], "y")],
        {"a": a, "bias": bias},
        ["y"],
        {"w": randn(8, 7)},
    )
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"Gemm": 1})
    check_numerics(model, module, weights, {"a": a, "bias": bias})


# ---- Transpose folds ---------------------------------------------------------------------


def test_transposes_fold_into_gemm():
    # MatMul(T(a), T(b)) -> Gemm(a, b, transA, transB); Gemm(T(x), w, c, transB=1) reading
    # T(w2) -> transA=1, transB=0. T(b) is also a graph output, so it stays. (Operands
    # are graph inputs: the importer folds a Transpose of an initializer.)
    a, b, x, w2 = randn(4, 3), randn(5, 4), randn(4, 3), randn(4, 5)
    inits = {"c": randn(5)}
    model = chain_model(
        [
            node("Transpose", ["a"], "ta", perm=[1, 0]),
            node("Transpose", ["b"], "tb"),
            node("MatMul", ["ta", "tb"], "y1"),
            node("Transpose", ["x"], "tx", perm=[1, 0]),
            node("Transpose", ["w2"], "tw", perm=[1, 0]),
            node("Gemm", ["tx", "tw", "c"], "y2", transB=1, alpha=0.5, beta=2.0),
        ],
        {"a": a, "b": b, "x": x, "w2": w2},
        ["y1", "y2", "tb"],
        inits,
    )
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"Gemm": 2, "Transpose": 1})
    gemms = {node_name(op): op for op in graph_ops(module) if isinstance(op, GemmOp)}
    assert set(gemms) == {"y1_node", "y2_node"}
    assert (int_attr_value(gemms["y1_node"].transA), int_attr_value(gemms["y1_node"].transB)) == (1, 1)
    assert (int_attr_value(gemms["y2_node"].transA), int_attr_value(gemms["y2_node"].transB)) == (1, 0)
    assert float_attr_value(gemms["y2_node"].alpha) == 0.5 and float_attr_value(gemms["y2_node"].beta) == 2.0
    check_numerics(model, module, weights, {"a": a, "b": b, "x": x, "w2": w2})


# ---- scale folds -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "op_type, s_shape, const_first",
    [("Mul", (), False), ("Mul", (1,), True), ("Div", (), False), ("Div", (1,), False)],
)
def test_scale_folds_into_alpha(op_type, s_shape, const_first):
    a = randn(3, 8)
    inits = {"w": randn(8, 4), "s": np.full(s_shape, 0.37, np.float32)}
    inputs = ["s", "mm"] if const_first else ["mm", "s"]
    model = chain_model([node("MatMul", ["a", "w"], "mm"), node(op_type, inputs, "y")], {"a": a}, ["y"], inits)
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"Gemm": 1})
    gemm = the_gemm(module)
    assert node_name(gemm) == "y_node" and gemm.c is None
    expected_alpha = np.float32(0.37) if op_type == "Mul" else np.float32(1.0 / np.float64(np.float32(0.37)))
    assert float_attr_value(gemm.alpha) == pytest.approx(float(expected_alpha), rel=1e-7)
    check_numerics(model, module, weights, {"a": a}, ort_rtol=1e-6)


def test_scale_of_gemm_with_c_scales_beta():
    a = randn(3, 8)
    inits = {"w": randn(4, 8), "c": randn(1, 4), "s": np.array(2.5, np.float32)}
    model = chain_model(
        [node("Gemm", ["a", "w", "c"], "g", transB=1, alpha=0.5, beta=3.0), node("Div", ["g", "s"], "y")],
        {"a": a},
        ["y"],
        inits,
    )
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"Gemm": 1})
    gemm = the_gemm(module)
    assert float_attr_value(gemm.alpha) == pytest.approx(0.2) and float_attr_value(gemm.beta) == pytest.approx(1.2)
    assert int_attr_value(gemm.transB) == 1
    check_numerics(model, module, weights, {"a": a}, ort_rtol=1e-6)


def test_chain_becomes_one_gemm():
    # Relu(Mul(Add(MatMul(Transpose(x), w), b), 0.125)) -> Relu(Gemm(x, w, b, transA,
    # alpha = beta = 0.125)).
    x = randn(16, 6)
    inits = {"w": randn(16, 10), "b": randn(10), "s": np.array([0.125], np.float32)}
    model = chain_model(
        [
            node("Transpose", ["x"], "xt", perm=[1, 0]),
            node("MatMul", ["xt", "w"], "mm"),
            node("Add", ["b", "mm"], "biased"),
            node("Mul", ["biased", "s"], "scaled"),
            node("Relu", ["scaled"], "out"),
        ],
        {"x": x},
        ["out"],
        inits,
    )
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"Gemm": 1, "Relu": 1})
    gemm = the_gemm(module)
    assert node_name(gemm) == "scaled_node" and int_attr_value(gemm.transA) == 1
    assert float_attr_value(gemm.alpha) == 0.125 and float_attr_value(gemm.beta) == 0.125
    check_numerics(model, module, weights, {"x": x})


# ---- what does not fire ------------------------------------------------------------------


def test_does_not_fire():
    # m1: batched (3-D) MatMul; m2: the MatMul result is also a graph output (second
    # use); m3: a [1, 3, 5] bias makes the Add result 3-D (the result type would change);
    # m4: Mul by a non-scalar constant; m5: constant / MatMul is not a scale.
    xb, a = randn(2, 3, 4), randn(3, 4)
    inits = {"w": randn(4, 5), "b": randn(5), "b3": randn(1, 3, 5), "k": randn(3, 5), "s": np.array(2.0, np.float32)}
    model = chain_model(
        [
            node("MatMul", ["xb", "w"], "m1"),
            node("Add", ["m1", "b"], "y1"),
            node("MatMul", ["a", "w"], "m2"),
            node("Add", ["m2", "b"], "y2"),
            node("MatMul", ["a", "w"], "m3"),
            node("Add", ["m3", "b3"], "y3"),
            node("MatMul", ["a", "w"], "m4"),
            node("Mul", ["m4", "k"], "y4"),
            node("MatMul", ["a", "w"], "m5"),
            node("Div", ["s", "m5"], "y5"),
        ],
        {"xb": xb, "a": a},
        ["y1", "y2", "m2", "y3", "y4", "y5"],
        inits,
    )
    weights, module = fuse(model)
    assert op_counts(module) == Counter({"MatMul": 5, "Add": 3, "Mul": 1, "Div": 1})
    check_numerics(model, module, weights, {"xb": xb, "a": a})


def test_integer_matmul_does_not_fire():
    a = RNG.integers(-5, 5, (3, 4)).astype(np.int32)
    inits = {"w": RNG.integers(-5, 5, (4, 5)).astype(np.int32), "b": np.arange(5, dtype=np.int32)}
    model = chain_model([node("MatMul", ["a", "w"], "mm"), node("Add", ["mm", "b"], "y")], {"a": a}, ["y"], inits)
    _, module = fuse(model)
    assert op_counts(module) == Counter({"MatMul": 1, "Add": 1})


# ---- the example models ------------------------------------------------------------------


@pytest.mark.parametrize("name, build", [("mlp", mlp), ("transformer_block", transformer_block)])
def test_example_models_unchanged(name, build):
    # mlp already uses Gemm (no Transpose or scale to fold); the transformer's MatMuls are
    # all batched (3-D/4-D), so nothing fires on either.
    model = build()
    _, input_shapes = EXAMPLES[name]
    ctx = make_context()
    module = import_model(model, ctx.weights, input_shapes)
    before = op_counts(module)
    FuseGemmPass().apply(ctx, module)
    module.verify()
    assert op_counts(module) == before
    check_numerics(model, module, ctx.weights, example_inputs(name), tol=1e-4, input_shapes=input_shapes)
