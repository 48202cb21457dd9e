"""onnx-fold-constants on imported ONNX models: weight preprocessing chains (Transpose,
Mul, Add, Cast, Reshape before a MatMul) fold to constants, and the folded graph
(exported back to ONNX) gives onnxruntime's results on the original model, both under
onnxruntime and compiled by Strata.

The weights are larger than the importer's own fold limit (4096 elements), so the
importer leaves the chains as ops and the pass has something to do."""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
from onnx import helper, numpy_helper
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.func import Func
from xdsl.parser import Parser
from xdsl.dialects.builtin import DenseResourceAttr

import compiler
from compiler.context import make_context
from compiler.onnx_export import export_model
from compiler.onnx_import import import_model
from compiler.passes.fold_constants import FoldConstantsPass, fold_constants
from dialects.weights import attr_array
from dialects.onnx import ONNX
from dialects.onnx.base import node_name
from dialects.onnx.tensor import ConstantOp
from tests.ort_check import chain_model, graph_ops, node, op_counts, run_ort

RNG = np.random.default_rng(0)
K, N = 96, 64  # weight matrices of 6144 elements


def imported(model: onnx.ModelProto):
    ctx = make_context()
    return ctx, import_model(model, ctx.weights)


def fold(model: onnx.ModelProto, pass_: FoldConstantsPass | None = None, ctx: Context | None = None):
    """Imports `model`, runs the pass (with `ctx`, default the StrataContext) and checks
    the graph's signature did not change. Returns (weights, module)."""
    strata_ctx, module = imported(model)
    (fn,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    signature = fn.function_type
    (pass_ or FoldConstantsPass()).apply(ctx or strata_ctx, module)
    module.verify()
    assert fn.function_type == signature
    return strata_ctx.weights, module


def check_numerics(model, module, weights, feeds, rtol=1e-5, atol=1e-5):
    """onnxruntime on the original is the reference for onnxruntime on the folded graph,
    Strata on the folded graph and Strata on the original."""
    expected = run_ort(model, feeds)
    folded = export_model(module, weights)
    results = {
        "ort(folded)": run_ort(folded, feeds),
        "strata(folded)": compiler.compile(folded, opt_level=1).run(dict(feeds)),
        "strata(original)": compiler.compile(model, opt_level=1).run(dict(feeds)),
    }
    for who, got in results.items():
        assert len(got) == len(expected), who
        for i, (g, e) in enumerate(zip(got, expected)):
            g, e = np.asarray(g), np.asarray(e)
            assert g.shape == e.shape and g.dtype == e.dtype, f"{who} output {i}"
            if e.dtype.kind in "fc":
                np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=f"{who} output {i}")
            else:
                np.testing.assert_array_equal(g, e, err_msg=f"{who} output {i}")
    return expected, results


def weight_chain_model() -> tuple[onnx.ModelProto, dict]:
    # y = x @ (Transpose(W) * scale + bias), W: N x K, so the folded weight is K x N.
    x = RNG.standard_normal((2, K)).astype(np.float32)
    model = chain_model(
        [
            node("Transpose", ["W"], "wt", perm=[1, 0]),
            node("Mul", ["wt", "scale"], "ws"),
            node("Add", ["ws", "bias"], "wb"),
            node("MatMul", ["x", "wb"], "y"),
        ],
        {"x": x},
        ["y"],
        {
            "W": RNG.standard_normal((N, K)).astype(np.float32),
            "scale": RNG.standard_normal((N,)).astype(np.float32),
            "bias": RNG.standard_normal((K, 1)).astype(np.float32),
        },
    )
    return model, {"x": x}


def test_transpose_mul_add_weight_chain_folds_before_matmul():
    model, feeds = weight_chain_model()
    _, before = imported(model)
    assert op_counts(before) == Counter({"Constant": 3, "Transpose": 1, "Mul": 1, "Add": 1, "MatMul": 1})
    weights, module = fold(model)
    assert op_counts(module) == Counter({"Constant": 1, "MatMul": 1})
    const, matmul = graph_ops(module)
    assert isinstance(const, ConstantOp) and matmul.operands[1] is const.output
    assert isinstance(const.value, DenseResourceAttr)  # 6144 elements: in the weight table
    assert node_name(const) == "wb_node"  # the folded Add's node name
    # The folded value is bit-exact with numpy's evaluation of the chain.
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    np.testing.assert_array_equal(attr_array(const.value, weights), init["W"].T * init["scale"] + init["bias"])
    check_numerics(model, module, weights, feeds)


def test_cast_reshape_chain_and_shared_weight():
    # A float64 weight is cast to f32 and reshaped (shape from a constant) before two
    # MatMuls; a second branch transposes the same cast weight. Both fold.
    x = RNG.standard_normal((3, K)).astype(np.float32)
    z = RNG.standard_normal((3, N)).astype(np.float32)
    model = chain_model(
        [
            node("Cast", ["W"], "wc", to=onnx.TensorProto.FLOAT),
            node("Reshape", ["wc", "shape"], "wr"),
            node("MatMul", ["x", "wr"], "y"),
            node("Transpose", ["wr"], "wrt"),
            node("Neg", ["wrt"], "wn"),
            node("MatMul", ["z", "wn"], "u"),
        ],
        {"x": x, "z": z},
        ["y", "u"],
        {"W": RNG.standard_normal((K * N,)), "shape": np.array([K, N], np.int64)},
    )
    _, before = imported(model)
    assert op_counts(before) == Counter({"Constant": 2, "Cast": 1, "Reshape": 1, "Transpose": 1, "Neg": 1, "MatMul": 2})
    weights, module = fold(model)
    assert op_counts(module) == Counter({"Constant": 2, "MatMul": 2})
    check_numerics(model, module, weights, {"x": x, "z": z})


def test_integer_chain_and_multiple_results():
    # Integer arithmetic and a Split (two results) on a 5000-element int64 constant;
    # the results feed a Gather and an Add with the input.
    data = RNG.integers(-1000, 1000, (5000,)).astype(np.int64)
    x = RNG.integers(-10, 10, (2500,)).astype(np.int64)
    idx = RNG.integers(0, 2500, (7,)).astype(np.int64)
    model = chain_model(
        [
            node("Mul", ["data", "three"], "m"),
            node("Sub", ["m", "one"], "s"),
            helper.make_node("Split", ["s", "sizes"], ["p", "q"], name="split_node", axis=0),
            node("Add", ["x", "p"], "y"),
            node("Gather", ["q", "idx"], "g", axis=0),
        ],
        {"x": x, "idx": idx},
        ["y", "g"],
        {
            "data": data,
            "three": np.array(3, np.int64),
            "one": np.array([1], np.int64),
            "sizes": np.array([2500, 2500], np.int64),
        },
    )
    weights, module = fold(model)
    assert op_counts(module) == Counter({"Constant": 2, "Add": 1, "Gather": 1})
    names = {node_name(op) for op in graph_ops(module) if isinstance(op, ConstantOp)}
    assert names == {"split_node"}
    check_numerics(model, module, weights, {"x": x, "idx": idx})


def test_max_elements_and_non_constant_operands_do_not_fold():
    model, feeds = weight_chain_model()
    # Results of 6144 elements are over a 6000-element limit: nothing folds.
    weights, module = fold(model, FoldConstantsPass(max_elements=6000))
    assert op_counts(module) == Counter({"Constant": 3, "Transpose": 1, "Mul": 1, "Add": 1, "MatMul": 1})
    # At 6144 it does; the MatMul (x is an input) never folds.
    assert fold_constants(module, weights, max_elements=6144) == 3
    assert op_counts(module) == Counter({"Constant": 1, "MatMul": 1})
    check_numerics(model, module, weights, feeds)


def test_large_expand_stays_unfolded():
    # Expand of a constant row to 200 x 96 (19200 elements): folds under the default
    # limit, not under max_elements=16384.
    x = RNG.standard_normal((200, K)).astype(np.float32)
    model = chain_model(
        [node("Expand", ["row", "shape"], "e"), node("Add", ["x", "e"], "y")],
        {"x": x},
        ["y"],
        {"row": RNG.standard_normal((K,)).astype(np.float32), "shape": np.array([200, K], np.int64)},
    )
    weights, module = fold(model, FoldConstantsPass(max_elements=16384))
    assert op_counts(module)["Expand"] == 1
    weights, module = fold(model)
    assert op_counts(module) == Counter({"Constant": 1, "Add": 1})
    check_numerics(model, module, weights, {"x": x})


def test_weights_fold_whatever_their_size():
    # A ConstantOfShape fill reshaped into a MatMul weight (as onnx's light models carry
    # theirs) folds above max_elements: it is a weight, in memory at run time anyway. The
    # same fill added to x (not a weight) stays an op. (50 x 96 is above the importer's
    # own fold limit, so the fills reach the pass as ops.)
    x = RNG.standard_normal((50, K)).astype(np.float32)
    fill = helper.make_tensor("v", onnx.TensorProto.FLOAT, [1], [0.5])
    model = chain_model(
        [
            helper.make_node("ConstantOfShape", ["wshape"], ["wflat"], name="w_fill", value=fill),
            node("Reshape", ["wflat", "kn"], "w"),
            node("MatMul", ["x", "w"], "y"),
            helper.make_node("ConstantOfShape", ["xshape"], ["big"], name="big_fill", value=fill),
            node("Add", ["x", "big"], "z"),
        ],
        {"x": x},
        ["y", "z"],
        {"wshape": np.array([K * N], np.int64), "kn": np.array([K, N], np.int64), "xshape": np.array([50, K], np.int64)},
    )
    weights, module = fold(model, FoldConstantsPass(max_elements=64))
    counts = op_counts(module)
    assert counts["ConstantOfShape"] == 1 and counts["Reshape"] == 0 and counts["MatMul"] == 1
    check_numerics(model, module, weights, {"x": x})


def test_without_weight_table_only_small_inline_folds():
    # A plain xDSL Context has no weight table: the dense_resource weights cannot be
    # read, so the weight chain stays; nothing fails.
    model, _ = weight_chain_model()
    ctx = Context()
    _, module = fold(model, ctx=ctx)
    assert op_counts(module) == Counter({"Constant": 3, "Transpose": 1, "Mul": 1, "Add": 1, "MatMul": 1})
    # Inline operands still fold when the result fits inline (<= 16 elements); a
    # 20-element result would need the table, so that Transpose stays.
    plain = Context()
    for dialect in (Builtin, Func, ONNX):
        plain.load_dialect(dialect)
    text = """
    func.func @main() -> (tensor<3xf32>, tensor<5x4xf32>) {
      %a = "onnx.Constant"() <{value = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
      %s = "onnx.Add"(%a, %a) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
      %w = "onnx.Constant"() <{value = dense<1.0> : tensor<4x5xf32>}> : () -> tensor<4x5xf32>
      %t = "onnx.Transpose"(%w) <{perm = array<i64: 1, 0>}> : (tensor<4x5xf32>) -> tensor<5x4xf32>
      func.return %s, %t : tensor<3xf32>, tensor<5x4xf32>
    }
    """
    module = Parser(plain, text).parse_module()
    FoldConstantsPass().apply(plain, module)
    assert op_counts(module) == Counter({"Constant": 2, "Transpose": 1})
    (s, w, _t) = graph_ops(module)
    np.testing.assert_array_equal(attr_array(s.value, None), np.array([2.0, 4.0, 6.0], np.float32))


def test_absent_optional_operands_and_scalars():
    # Clip with only a max (min absent: ONNX input ""), TopK's two results, a rank-0
    # ReduceMean result and Shape of a constant all fold to exactly their types.
    ctx = make_context()
    text = """
    func.func @main() -> (tensor<4xf32>, tensor<2xf32>, tensor<2xi64>, tensor<f32>, tensor<1xi64>) {
      %f = "onnx.Constant"() <{value = dense<[3.0, 1.0, 2.0, 5.0]> : tensor<4xf32>}> : () -> tensor<4xf32>
      %hi = "onnx.Constant"() <{value = dense<2.5> : tensor<f32>}> : () -> tensor<f32>
      %k = "onnx.Constant"() <{value = dense<[2]> : tensor<1xi64>}> : () -> tensor<1xi64>
      %clip = "onnx.Clip"(%f, %hi) <{operandSegmentSizes = array<i32: 1, 0, 1>}> : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
      %tv, %ti = "onnx.TopK"(%f, %k) <{axis = -1 : i64}> : (tensor<4xf32>, tensor<1xi64>) -> (tensor<2xf32>, tensor<2xi64>)
      %mean = "onnx.ReduceMean"(%f) <{keepdims = 0 : i64}> : (tensor<4xf32>) -> tensor<f32>
      %shape = "onnx.Shape"(%f) : (tensor<4xf32>) -> tensor<1xi64>
      func.return %clip, %tv, %ti, %mean, %shape : tensor<4xf32>, tensor<2xf32>, tensor<2xi64>, tensor<f32>, tensor<1xi64>
    }
    """
    module = Parser(ctx, text).parse_module()
    assert fold_constants(module, ctx.weights) == 4
    module.verify()
    assert op_counts(module) == Counter({"Constant": 5})
    values = [attr_array(op.value, ctx.weights) for op in graph_ops(module)]
    expected = [
        np.array([2.5, 1.0, 2.0, 2.5], np.float32),
        np.array([5.0, 3.0], np.float32),
        np.array([3, 0], np.int64),
        np.array(2.75, np.float32),
        np.array([4], np.int64),
    ]
    for got, want in zip(values, expected):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
