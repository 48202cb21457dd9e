"""onnx-fuse-pad on imported ONNX models: a constant zero Pad folds into the pads of the
Conv / AveragePool(count_include_pad=1) that reads it, a -inf Pad into MaxPool's. The
rewritten graph (exported to ONNX) and Strata compiling the original model with the
pass give onnxruntime's results on the original model (exact folds: compared at 1e-5)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from xdsl.dialects import func

import compiler
import compiler.pipelines
from compiler.context import make_context
from compiler.onnx_export import export_model
from compiler.onnx_import import import_model
from compiler.passes.fuse_pad import FusePadPass
from dialects.onnx.base import ints_value, node_name
from tests.ort_check import chain_model, graph_ops, node, op_counts, run_ort

RNG = np.random.default_rng(1)


def randn(*shape) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


@pytest.fixture
def with_pass(monkeypatch):
    """compile() at -O2 with onnx-fuse-pad appended (until the lead adds it to -O2)."""
    original = compiler.pipelines.graph_passes

    def graph_passes(opt_level, disabled=(), options=None):
        passes = original(opt_level, disabled, options)
        if opt_level >= 2 and all(p.name != FusePadPass.name for p in passes):
            passes.insert(len(passes) - 3, FusePadPass())
        return passes

    monkeypatch.setattr(compiler.pipelines, "graph_passes", graph_passes)


def fuse(model):
    ctx = make_context()
    module = import_model(model, ctx.weights, None)
    (fn,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    signature = fn.function_type
    FusePadPass().apply(ctx, module)
    module.verify()
    assert fn.function_type == signature
    return ctx, module


def check_numerics(model, module, weights, feeds, tol=1e-5):
    expected = run_ort(model, feeds)
    results = {
        "ort(rewritten)": run_ort(export_model(module, weights), feeds),
        "strata(original)": compiler.compile(model, opt_level=2).run(dict(feeds)),
    }
    for who, got in results.items():
        for i, (g, e) in enumerate(zip(got, expected)):
            assert g.shape == e.shape and g.dtype == e.dtype, f"{who} output {i}"
            np.testing.assert_allclose(g, e, rtol=tol, atol=tol, err_msg=f"{who} output {i}")


def pads(*values) -> np.ndarray:
    return np.array(values, np.int64)


def test_pads_fold_into_conv_and_pools(with_pass):
    inits = {
        "w": randn(4, 3, 3, 3),
        "b": randn(4),
        "p": pads(0, 0, 1, 2, 0, 0, 2, 1),
        "p_axes": pads(1, 1, 1, 1),  # with axes [2, 3] (negative: [-2, -1])
        "axes": pads(-2, -1),
        "ninf": np.array(-np.inf, np.float32),
        "zero": np.array(0.0, np.float32),
    }
    nodes = [
        node("Pad", ["x", "p", "zero"], "xp"),
        node("Conv", ["xp", "w", "b"], "y1", pads=[1, 0, 0, 1], strides=[2, 1]),
        node("Pad", ["x", "p_axes", "", "axes"], "xq"),
        node("AveragePool", ["xq"], "y2", kernel_shape=[3, 3], count_include_pad=1),
        node("Pad", ["x", "p_axes", "ninf", "axes"], "xm"),
        node("MaxPool", ["xm"], "y3", kernel_shape=[2, 2], strides=[2, 2]),
    ]
    feeds = {"x": randn(2, 3, 7, 6)}
    model = chain_model(nodes, feeds, ["y1", "y2", "y3"], inits)
    ctx, module = fuse(model)
    assert op_counts(module, constants=False) == Counter({"Conv": 1, "AveragePool": 1, "MaxPool": 1})
    ops = {node_name(op): op for op in graph_ops(module) if op.name != "onnx.Constant"}
    assert ints_value(ops["y1_node"].pads) == [2, 2, 2, 2]  # [1, 0, 0, 1] + [1, 2, 2, 1]
    assert ints_value(ops["y2_node"].pads) == [1, 1, 1, 1]
    assert ints_value(ops["y3_node"].pads) == [1, 1, 1, 1]
    assert all(op.operands[0].name_hint == "x" for op in ops.values())
    check_numerics(model, module, ctx.weights, feeds)


def test_does_not_fire_and_logs_why(with_pass):
    inits = {
        "w": randn(2, 3, 3, 3),
        "p": pads(0, 0, 1, 1, 0, 0, 1, 1),
        "pc": pads(0, 1, 0, 0, 0, 1, 0, 0),
        "one": np.array(1.0, np.float32),
    }
    nodes = [
        node("Pad", ["x", "p"], "xr", mode="reflect"),
        node("Conv", ["xr", "w"], "y1"),
        node("Pad", ["x", "p", "one"], "x1"),
        node("Conv", ["x1", "w"], "y2"),
        node("Pad", ["x", "pc"], "xc"),
        node("AveragePool", ["xc"], "y3", kernel_shape=[2, 2]),
        node("Pad", ["x", "p"], "x0"),
        node("AveragePool", ["x0"], "y4", kernel_shape=[2, 2]),  # count_include_pad = 0
        node("MaxPool", ["x0"], "y5", kernel_shape=[2, 2]),  # zero pad, not -inf
    ]
    feeds = {"x": randn(1, 3, 5, 5)}
    model = chain_model(nodes, feeds, ["y1", "y2", "y3", "y4", "y5"], inits)
    ctx, module = fuse(model)
    assert op_counts(module, constants=False) == Counter({"Pad": 4, "Conv": 2, "AveragePool": 2, "MaxPool": 1})
    missed = ctx.pattern_log.to_dict()["missed"]
    assert missed["FusePadIntoConv"]["Pad mode is reflect"]["nodes"] == ["y1_node"]
    assert missed["FusePadIntoConv"]["pad value is not 0"]["nodes"] == ["y2_node"]
    assert missed["FusePadIntoAveragePool"]["pads on the batch or channel axis"]["nodes"] == ["y3_node"]
    assert missed["FusePadIntoAveragePool"]["count_include_pad is 0"]["nodes"] == ["y4_node"]
    assert missed["FusePadIntoMaxPool"]["pad value is not -inf"]["nodes"] == ["y5_node"]
    check_numerics(model, module, ctx.weights, feeds)
