"""onnx-simplify-algebra on imported ONNX models: the ops change as expected, and the
rewritten graph (exported back to ONNX) gives onnxruntime's results on the original
model, both under onnxruntime and compiled by Strata. Its exact identities are the onnx
ops' canonicalization patterns: xDSL's canonicalize runs them too (last section)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
import pytest
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.passes import ModulePass
from xdsl.transforms.canonicalize import CanonicalizePass

import compiler
from compiler.context import make_context
from compiler.onnx_export import export_model
from compiler.onnx_import import import_model
from compiler.passes.simplify_algebra import SimplifyAlgebraPass, simplify_algebra_patterns
from dialects.onnx import ONNX_OP_CLASSES
from dialects.onnx.base import node_name
from dialects.onnx.canonicalization import canonicalization_patterns, canonicalization_patterns_by_op
from dialects.onnx.tensor import ConstantOp
from dialects.onnx.traits import OnnxCanonicalization
from dialects.strata import STRATA_OP_CLASSES
from tests.ort_check import chain_model, graph_ops, node, op_counts, run_ort

RNG = np.random.default_rng(0)










def simplify(model: onnx.ModelProto, ctx: Context | None = None, pass_: ModulePass | None = None):
    """Imports `model`, runs `pass_` (default onnx-simplify-algebra; with `ctx`, default a
    StrataContext) and checks that the graph's signature did not change. Returns
    (weights, module)."""
    strata_ctx = make_context()
    module = import_model(model, strata_ctx.weights)
    (fn,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    signature = fn.function_type
    (pass_ or SimplifyAlgebraPass()).apply(ctx or strata_ctx, module)
    module.verify()
    assert fn.function_type == signature
    return strata_ctx.weights, module


def check_numerics(model, module, weights, feeds, rtol=1e-5, atol=1e-5, exact=False, strata=True):
    """onnxruntime on the original is the reference for: onnxruntime on the rewritten
    graph, Strata on the rewritten graph and Strata on the original."""
    expected = run_ort(model, feeds)
    rewritten = export_model(module, weights)
    results = {"ort(rewritten)": run_ort(rewritten, feeds)}
    if strata:
        results["strata(rewritten)"] = compiler.compile(rewritten, opt_level=1).run(dict(feeds))
        results["strata(original)"] = compiler.compile(model, opt_level=1).run(dict(feeds))
    for who, got in results.items():
        assert len(got) == len(expected), who
        for i, (g, e) in enumerate(zip(got, expected)):
            g, e = np.asarray(g), np.asarray(e)
            assert g.shape == e.shape and g.dtype == e.dtype, f"{who} output {i}"
            # Exact rewrites are bit-exact through onnxruntime; Strata's own kernels
            # (vectorized exp, ...) may differ from onnxruntime's by an ulp.
            if (exact and who.startswith("ort")) or e.dtype.kind not in "fc":
                np.testing.assert_array_equal(g, e, err_msg=f"{who} output {i}")
            else:
                np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=f"{who} output {i}")
    return expected, results


# ---- identities ----------------------------------------------------------------------


def test_float_identities_fold_to_the_input():
    # y = Relu(Pow(((0 + x) * 1 - 0) / 1, 1)), with broadcast identity constants.
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    model = chain_model(
        [
            node("Add", ["zero", "x"], "a"),
            node("Mul", ["a", "one"], "m"),
            node("Sub", ["m", "zero"], "s"),
            node("Div", ["s", "ones"], "d"),
            node("Pow", ["d", "one_i"], "p"),
            node("Relu", ["p"], "y"),
        ],
        {"x": x},
        ["y"],
        {
            "zero": np.array(0.0, np.float32),
            "one": np.array([1.0], np.float32),
            "ones": np.ones((3, 4), np.float32),
            "one_i": np.array(1, np.int64),
        },
    )
    weights, module = simplify(model)
    assert op_counts(module) == Counter({"Relu": 1})
    (relu,) = graph_ops(module)
    assert relu.x is relu.parent_block().args[0]  # Relu(x)
    check_numerics(model, module, weights, {"x": x}, exact=True)


def test_float_add_zero_changes_only_the_sign_of_zero():
    # Documented: -0.0 + (+0.0) is +0.0, the rewrite returns -0.0 (equal values).
    x = np.array([-0.0, 0.0, -1.5, np.inf, -np.inf, np.nan], np.float32)
    model = chain_model([node("Add", ["x", "zero"], "y")], {"x": x}, ["y"], {"zero": np.array(0.0, np.float32)})
    weights, module = simplify(model)
    assert op_counts(module) == Counter()
    expected, results = check_numerics(model, module, weights, {"x": x}, strata=False)
    got = results["ort(rewritten)"][0]
    np.testing.assert_array_equal(got, expected[0])  # -0.0 == +0.0, NaN == NaN
    assert np.signbit(got[0]) and not np.signbit(expected[0][0])


def test_integer_identities_and_zeros():
    # x: int32 with extreme values. (x + 0) * 1 -> x; x * 0 -> zeros; Sub(x, x) -> zeros,
    # then zeros + y is hoisted and folded to y.
    x = np.array([[np.iinfo(np.int32).max, np.iinfo(np.int32).min, -7, 0, 5]], np.int32)
    y = RNG.integers(-100, 100, (3, 5)).astype(np.int32)
    model = chain_model(
        [
            node("Add", ["x", "zero"], "a"),
            node("Mul", ["one", "a"], "ident"),
            node("Mul", ["x", "zero"], "zeros"),
            node("Sub", ["x", "x"], "d"),
            node("Add", ["d", "y"], "sum"),
            node("Mul", ["zero", "y"], "zeros_b"),
        ],
        {"x": x, "y": y},
        ["ident", "zeros", "sum", "zeros_b"],
        {"zero": np.array(0, np.int32), "one": np.array([1], np.int32)},
    )
    weights, module = simplify(model)
    counts = op_counts(module)
    assert counts == Counter({"Constant": 2}), counts
    by_name = {node_name(op): op for op in graph_ops(module)}
    # New constants take the node name of the op they replace.
    assert set(by_name) == {"zeros_node", "zeros_b_node"}
    assert by_name["zeros_b_node"].output.type == module.ops.first.function_type.outputs.data[3]
    check_numerics(model, module, weights, {"x": x, "y": y})


def test_unsigned_mul_zero():
    x = RNG.integers(0, 255, (2, 8)).astype(np.uint8)
    model = chain_model([node("Mul", ["x", "zero"], "y")], {"x": x}, ["y"], {"zero": np.array([0], np.uint8)})
    weights, module = simplify(model)
    assert op_counts(module) == Counter({"Constant": 1})
    check_numerics(model, module, weights, {"x": x})


def test_large_zeros_go_to_the_weight_table():
    x = RNG.integers(-5, 5, (8, 8)).astype(np.int64)
    model = chain_model([node("Mul", ["x", "zero"], "y")], {"x": x}, ["y"], {"zero": np.array(0, np.int64)})
    weights, module = simplify(model)
    (const,) = graph_ops(module)
    assert const.name == "onnx.Constant" and node_name(const) == "y_node"
    assert "dense_resource" in str(const.value) and len(weights) == 1
    check_numerics(model, module, weights, {"x": x})


def test_float_zeros_are_not_folded():
    # x * 0 and Sub(x, x) stay for floats: NaN/inf give NaN, -x * 0 gives -0.0.
    x = np.array([np.nan, np.inf, -np.inf, -2.0, 0.0, 3.0], np.float32)
    model = chain_model(
        [node("Mul", ["x", "zero"], "m"), node("Sub", ["x", "x"], "s")],
        {"x": x},
        ["m", "s"],
        {"zero": np.array(0.0, np.float32)},
    )
    weights, module = simplify(model)
    assert op_counts(module) == Counter({"Constant": 1, "Mul": 1, "Sub": 1})
    expected, results = check_numerics(model, module, weights, {"x": x}, exact=True)
    assert np.isnan(expected[0][:3]).all() and np.signbit(expected[0][3])


def test_identity_that_broadcasts_x_does_not_fire():
    x = RNG.standard_normal((3,)).astype(np.float32)
    model = chain_model(
        [node("Add", ["x", "zeros"], "a"), node("Mul", ["x", "ones"], "m")],
        {"x": x},
        ["a", "m"],
        {"zeros": np.zeros((2, 3), np.float32), "ones": np.ones((2, 3), np.float32)},
    )
    weights, module = simplify(model)
    assert op_counts(module) == Counter({"Constant": 2, "Add": 1, "Mul": 1})
    check_numerics(model, module, weights, {"x": x}, exact=True, strata=False)


# ---- Div by a constant -----------------------------------------------------------------


def test_div_by_constant_becomes_mul_by_reciprocal():
    # Not exact: compared at 1e-6 relative. A small (inline) and a large (resource)
    # divisor; the reciprocal keeps the Div's node name.
    x = RNG.standard_normal((4, 32)).astype(np.float32)
    small = (RNG.uniform(0.5, 4.0, (32,)) * RNG.choice([-1, 1], 32)).astype(np.float32)[:8]
    x8 = x[:, :8].copy()
    big = RNG.uniform(0.1, 10.0, (4, 32)).astype(np.float32)
    model = chain_model(
        [node("Div", ["x8", "small"], "q1"), node("Div", ["x", "big"], "q2")],
        {"x8": x8, "x": x},
        ["q1", "q2"],
        {"small": small, "big": big},
    )
    weights, module = simplify(model)
    counts = op_counts(module)
    assert counts == Counter({"Constant": 2, "Mul": 2}), counts
    for op in graph_ops(module):
        assert node_name(op) in ("q1_node", "q2_node")
    recip = [op for op in graph_ops(module) if op.name == "onnx.Constant" and node_name(op) == "q2_node"][0]
    assert "dense_resource" in str(recip.value)
    check_numerics(model, module, weights, {"x8": x8, "x": x}, rtol=1e-6, atol=0)


def test_div_by_power_of_two_is_exact():
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    model = chain_model([node("Div", ["x", "c"], "y")], {"x": x}, ["y"], {"c": np.array([2, 0.25, -8, 1024], np.float32)})
    weights, module = simplify(model)
    assert op_counts(module) == Counter({"Constant": 1, "Mul": 1})
    check_numerics(model, module, weights, {"x": x}, exact=True)


@pytest.mark.parametrize(
    "c",
    [
        np.array([2.0, 0.0, 3.0], np.float32),  # a zero
        np.array([2.0, np.inf, 3.0], np.float32),  # 1/inf = 0
        np.array([1e-39, 1.0, 1.0], np.float32),  # 1/c overflows
        np.array([3e38, 1.0, 1.0], np.float32),  # 1/c is subnormal
    ],
)
def test_div_by_unsafe_constant_does_not_fire(c):
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    model = chain_model([node("Div", ["x", "c"], "y")], {"x": x}, ["y"], {"c": c})
    weights, module = simplify(model)
    assert op_counts(module) == Counter({"Constant": 1, "Div": 1})
    check_numerics(model, module, weights, {"x": x}, exact=True, strata=False)


def test_without_weight_table_only_small_constants():
    # A plain xDSL Context has no weight table: the 64-element divisor (a dense_resource)
    # cannot be read and 64 integer zeros cannot be created; the 4-element divisor can.
    x = RNG.standard_normal((2, 64)).astype(np.float32)
    i = RNG.integers(-5, 5, (64,)).astype(np.int32)
    model = chain_model(
        [node("Div", ["x", "big"], "q"), node("Div", ["x4", "small"], "r"), node("Mul", ["i", "zero"], "z")],
        {"x": x, "x4": x[:, :4].copy(), "i": i},
        ["q", "r", "z"],
        {"big": np.full((64,), 3.0, np.float32), "small": np.full((4,), 4.0, np.float32), "zero": np.array(0, np.int32)},
    )
    ctx = Context()
    for dialect in make_context().loaded_dialects:
        ctx.load_dialect(dialect)
    weights, module = simplify(model, ctx)
    counts = op_counts(module)
    assert counts == Counter({"Constant": 3, "Div": 1, "Mul": 2}), counts  # big, 1/small, zero
    check_numerics(model, module, weights, {"x": x, "x4": x[:, :4].copy(), "i": i}, rtol=1e-6, atol=0, strata=False)


# ---- Pow -------------------------------------------------------------------------------


def test_pow_by_constants():
    x = RNG.uniform(0.0, 10.0, (3, 16)).astype(np.float32)
    x[0, :4] = [0.0, 1e-30, 1.0, 3e18]
    model = chain_model(
        [node("Pow", ["x", "two"], "sq"), node("Pow", ["x", "half"], "rt"), node("Pow", ["x", "one"], "p1"), node("Relu", ["p1"], "id")],
        {"x": x},
        ["sq", "rt", "id"],
        {"two": np.array(2, np.int64), "half": np.array([0.5], np.float32), "one": np.array(1.0, np.float32)},
    )
    weights, module = simplify(model)
    assert op_counts(module) == Counter({"Mul": 1, "Sqrt": 1, "Relu": 1})
    expected, results = check_numerics(model, module, weights, {"x": x}, rtol=1e-6, atol=0)
    # Pow(x, 2) -> Mul(x, x) is exact (onnxruntime squares too).
    np.testing.assert_array_equal(results["ort(rewritten)"][0], expected[0])
    np.testing.assert_array_equal(results["strata(rewritten)"][0], expected[0])


def test_pow_half_edge_cases():
    # Negative finite x: NaN both ways; numpy.power(x, 0.5) equals Sqrt everywhere.
    # Documented differences from onnxruntime's Pow: -inf -> +inf there, NaN here;
    # -0.0 -> +0.0 there, -0.0 here.
    x = np.array([-4.0, -1e-20, np.nan, np.inf, 2.0, -np.inf, -0.0], np.float32)
    model = chain_model([node("Pow", ["x", "half"], "y")], {"x": x}, ["y"], {"half": np.array(0.5, np.float32)})
    weights, module = simplify(model)
    assert op_counts(module) == Counter({"Sqrt": 1})
    (expected,) = run_ort(model, {"x": x})
    (got,) = run_ort(export_model(module, weights), {"x": x})
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(got, np.power(x, np.float32(0.5)))
    np.testing.assert_array_equal(got[:5], expected[:5])
    assert expected[5] == np.inf and np.isnan(got[5])
    assert not np.signbit(expected[6]) and np.signbit(got[6])


def test_integer_pow_two_and_other_exponents_do_not_fire():
    i = RNG.integers(-50, 50, (6,)).astype(np.int32)
    x = RNG.uniform(0.5, 2.0, (6,)).astype(np.float32)
    model = chain_model(
        [node("Pow", ["i", "two"], "isq"), node("Pow", ["i", "one"], "i1"), node("Pow", ["x", "three"], "cube")],
        {"i": i, "x": x},
        ["isq", "i1", "cube"],
        {"two": np.array(2, np.int32), "one": np.array(1, np.int32), "three": np.array(3.0, np.float32)},
    )
    weights, module = simplify(model)
    # Integer Pow(i, 1) -> i fires; Pow(i, 2) and Pow(x, 3) stay.
    assert op_counts(module) == Counter({"Constant": 2, "Pow": 2})
    check_numerics(model, module, weights, {"i": i, "x": x}, strata=False)


# ---- unary chains and hoisting -----------------------------------------------------------


def test_unary_chains():
    x = RNG.standard_normal((2, 5)).astype(np.float32)
    i = np.array([np.iinfo(np.int8).min, -3, 0, 4, 127], np.int8)
    model = chain_model(
        [
            node("Neg", ["x"], "n1"), node("Neg", ["n1"], "n2"), node("Exp", ["n2"], "e"),
            node("Relu", ["x"], "r1"), node("Relu", ["r1"], "r2"),
            node("Abs", ["x"], "a1"), node("Abs", ["a1"], "a2"),
            node("Abs", ["i"], "ia1"), node("Abs", ["ia1"], "ia2"),
        ],
        {"x": x, "i": i},
        ["e", "r2", "a2", "ia2"],
    )
    weights, module = simplify(model)
    assert op_counts(module) == Counter({"Exp": 1, "Relu": 1, "Abs": 2})
    check_numerics(model, module, weights, {"x": x, "i": i}, exact=True)


def test_constants_hoisted_right():
    x = RNG.standard_normal((2, 3)).astype(np.float32)
    x[0, 0] = np.nan
    b = RNG.integers(0, 2, (2, 3)).astype(bool)
    c = np.array([0.5, -1.0, 2.0], np.float32)
    t = np.array([True, False, True])
    model = chain_model(
        [
            node("Add", ["c", "x"], "add"), node("Mul", ["c", "x"], "mul"),
            node("Max", ["c", "x", "c2"], "max"), node("Min", ["c", "x"], "min"),
            node("Equal", ["c", "x"], "eq"),
            node("And", ["t", "b"], "and"), node("Or", ["t", "b"], "or"), node("Xor", ["t", "b"], "xor"),
        ],
        {"x": x, "b": b},
        ["add", "mul", "max", "min", "eq", "and", "or", "xor"],
        {"c": c, "c2": np.array(0.0, np.float32), "t": t},
    )
    weights, module = simplify(model)
    for op in graph_ops(module):
        if op.name == "onnx.Constant":
            continue
        assert not isinstance(op.operands[0].owner, ConstantOp), op.name
        assert any(isinstance(v.owner, ConstantOp) for v in op.operands), op.name
        assert node_name(op) == f"{op.results[0].name_hint}_node"
    check_numerics(model, module, weights, {"x": x, "b": b}, exact=True)


# ---- the same identities under canonicalize ----------------------------------------------


def test_canonicalize_runs_the_exact_identities_only():
    # The float chain of test_float_identities_fold_to_the_input, integer zeros and a
    # Relu(Relu) fold under canonicalize alone; the two inexact identities (Div by a
    # constant, Pow by 0.5) are onnx-simplify-algebra's and stay.
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    i = RNG.integers(-100, 100, (3, 4)).astype(np.int32)
    model = chain_model(
        [
            node("Add", ["zero", "x"], "a"),
            node("Mul", ["a", "one"], "m"),
            node("Sub", ["m", "zero"], "s"),
            node("Div", ["s", "ones"], "d"),
            node("Pow", ["d", "one_i"], "p"),
            node("Relu", ["p"], "r"),
            node("Relu", ["r"], "y"),
            node("Sub", ["i", "i"], "iz"),
            node("Div", ["x", "four"], "q"),
            node("Pow", ["x", "half"], "rt"),
        ],
        {"x": x, "i": i},
        ["y", "iz", "q", "rt"],
        {
            "zero": np.array(0.0, np.float32),
            "one": np.array([1.0], np.float32),
            "ones": np.ones((3, 4), np.float32),
            "one_i": np.array(1, np.int64),
            "four": np.array([4.0], np.float32),
            "half": np.array(0.5, np.float32),
        },
    )
    weights, module = simplify(model, pass_=CanonicalizePass())
    assert op_counts(module) == Counter({"Relu": 1, "Constant": 3, "Div": 1, "Pow": 1}), op_counts(module)
    relu = [op for op in graph_ops(module) if op.name == "onnx.Relu"][0]
    assert relu.x is relu.parent_block().args[0]  # Relu(x)
    check_numerics(model, module, weights, {"x": x, "i": i}, exact=True)


def test_canonicalization_patterns_are_the_pass_patterns():
    # One definition: canonicalize gets each op class's patterns from its trait, and
    # onnx-simplify-algebra runs the same pattern classes plus its two inexact ones.
    # Only the op classes with patterns carry the trait (canonicalize pays for every op
    # that has it), and every one of them does.
    table = canonicalization_patterns_by_op(None)
    with_trait = {cls for cls in (*ONNX_OP_CLASSES, *STRATA_OP_CLASSES) if cls.has_trait(OnnxCanonicalization)}
    assert with_trait == set(table), sorted(c.name for c in with_trait ^ set(table))
    for cls in table:
        trait = cls.get_trait(OnnxCanonicalization)
        assert trait is not None, cls.name
        assert [type(p) for p in trait.get_patterns(cls)] == [type(p) for p in table[cls]], cls.name
    canonical = [type(p) for p in canonicalization_patterns(None)]
    in_pass = [type(p).__name__ for p in simplify_algebra_patterns(None)]
    assert in_pass == [c.__name__ for c in canonical] + ["DivByConstantToMul", "PowHalf"]
