"""ONNX function ops Strata has no kernel for are expanded into their schema bodies at
import (compiler/function_expansion.py); the expanded model must compute what
onnxruntime / onnx.reference compute for the original op, and ops Strata compiles
itself are left alone."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import compiler
from compiler.graph_io import supported_op_types
from compiler.function_expansion import expand_functions

RNG = np.random.default_rng(0)


def _model(nodes, inputs, outputs, inits=(), opset=23):
    graph = helper.make_graph(nodes, "fn", inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    return model


def _check(model, feeds, rtol=1e-4, atol=1e-5):
    want = ReferenceEvaluator(model).run(None, feeds)
    for level in (0, 3):
        got = compiler.compile(model, opt_level=level, num_threads=1).run(feeds)
        for g, w in zip(got, want):
            assert g.shape == np.asarray(w).shape
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"-O{level}")


def _vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


@pytest.mark.parametrize("causal", [0, 1])
def test_attention_4d(causal):
    shape = [2, 3, 5, 8]
    model = _model(
        [helper.make_node("Attention", ["q", "k", "v"], ["y"], is_causal=causal)],
        [_vi(n, shape) for n in "qkv"],
        [_vi("y", None)],
    )
    feeds = {n: RNG.standard_normal(shape).astype(np.float32) for n in "qkv"}
    _check(model, feeds)


def test_attention_3d_heads_and_mask():
    model = _model(
        [helper.make_node("Attention", ["q", "k", "v", "mask"], ["y"], q_num_heads=2, kv_num_heads=2)],
        [_vi("q", [1, 4, 16]), _vi("k", [1, 6, 16]), _vi("v", [1, 6, 16]), _vi("mask", [4, 6])],
        [_vi("y", None)],
    )
    feeds = {n: RNG.standard_normal(s).astype(np.float32) for n, s in
             (("q", [1, 4, 16]), ("k", [1, 6, 16]), ("v", [1, 6, 16]), ("mask", [4, 6]))}
    _check(model, feeds)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_negative_log_likelihood_loss(reduction):
    model = _model(
        [helper.make_node("NegativeLogLikelihoodLoss", ["x", "t", "w"], ["y"], reduction=reduction)],
        [_vi("x", [3, 5, 2]), _vi("t", [3, 2], TensorProto.INT64)],
        [_vi("y", None)],
        [numpy_helper.from_array(RNG.random(5).astype(np.float32), "w")],
        opset=22,
    )
    feeds = {"x": RNG.standard_normal((3, 5, 2)).astype(np.float32), "t": RNG.integers(0, 5, (3, 2))}
    _check(model, feeds)


def test_softmax_cross_entropy_expands_twice():
    """SoftmaxCrossEntropyLoss's body holds a NegativeLogLikelihoodLoss: expanded again."""
    model = _model(
        [helper.make_node("SoftmaxCrossEntropyLoss", ["x", "t"], ["y"])],
        [_vi("x", [4, 6]), _vi("t", [4], TensorProto.INT64)],
        [_vi("y", None)],
        opset=13,
    )
    expanded = expand_functions(model, supported_op_types())
    ops = {n.op_type for n in expanded.graph.node}
    assert "SoftmaxCrossEntropyLoss" not in ops and "NegativeLogLikelihoodLoss" not in ops
    feeds = {"x": RNG.standard_normal((4, 6)).astype(np.float32), "t": RNG.integers(0, 6, 4)}
    _check(model, feeds)


def test_hann_window_fixed_body():
    model = _model(
        [helper.make_node("HannWindow", ["n"], ["y"])],
        [],
        [_vi("y", None)],
        [numpy_helper.from_array(np.array(10, np.int64), "n")],
        opset=17,
    )
    _check(model, {})


def test_supported_function_ops_are_kept():
    """LayerNormalization and Gelu have function bodies too, but Strata's kernels run them."""
    model = _model(
        [
            helper.make_node("LayerNormalization", ["x", "s"], ["h"], axis=-1),
            helper.make_node("Gelu", ["h"], ["y"]),
        ],
        [_vi("x", [2, 8])],
        [_vi("y", None)],
        [numpy_helper.from_array(np.ones(8, np.float32), "s")],
    )
    assert expand_functions(model, supported_op_types()) is model


def test_unexpandable_op_is_still_refused():
    from dialects.errors import UnsupportedOpsError

    model = _model(
        [helper.make_node("NonMaxSuppression", ["b", "s"], ["y"])],
        [_vi("b", [1, 4, 4]), _vi("s", [1, 1, 4])],
        [_vi("y", None, TensorProto.INT64)],
    )
    with pytest.raises(UnsupportedOpsError, match="NonMaxSuppression"):
        compiler.compile(model)
