"""onnx-recompose-attention on imported ONNX models: Softmax of a scaled and/or masked
input becomes strata.ScaledMaskedSoftmax, MatMul(Softmax(MatMul(Q, K_t) ...), V) becomes
strata.Attention (a Transpose making K_t stays); extra uses and other axes leave the
chain alone. The rewritten graph, exported back to ONNX (strata ops as local functions),
gives onnxruntime's results on the original model, under onnxruntime and compiled by
Strata with the pass in the -O2 pipeline (so the new kernels run); compared at 1e-4
(Div by a constant becomes a multiplication by its reciprocal, sums run in another
order)."""

from __future__ import annotations

import numpy as np
import pytest

from compiler.passes.recompose_attention import RecomposeAttentionPass
from tests.ort_check import chain_model, node
from tests.test_pass_recompose_norms import check_pass, f32, rand

PASS = [RecomposeAttentionPass()]


def causal(n: int) -> np.ndarray:
    return np.triu(np.full((n, n), -1e9, np.float32), k=1)


def attention_nodes(scale: str | None = "div", mask: bool = True, transpose: bool = True):
    nodes = [node("Transpose", ["k"], "kt", perm=[0, 1, 3, 2])] if transpose else []
    nodes.append(node("MatMul", ["q", "kt" if transpose else "k"], "s"))
    last = "s"
    if scale == "div":
        nodes.append(node("Div", [last, "c"], "sc"))
        last = "sc"
    elif scale == "mul":
        nodes.append(node("Mul", ["c", last], "sc"))
        last = "sc"
    if mask:
        nodes.append(node("Add", [last, "mask"], "sm"))
        last = "sm"
    return nodes + [node("Softmax", [last], "p", axis=-1), node("MatMul", ["p", "v"], "y")]


@pytest.mark.parametrize(
    "scale,mask,transpose",
    [("div", True, True), ("mul", False, False), (None, True, True), (None, False, True)],
    ids=["div-mask", "mul-kt", "mask-only", "plain"],
)
def test_attention_fires(scale, mask, transpose):
    b, h, sq, sk, d = 2, 2, 5, 7, 8
    q, v = rand(b, h, sq, d), rand(b, h, sk, 6)
    k = rand(b, h, sk, d) if transpose else rand(b, h, d, sk)
    feeds = {"q": q, "k": k, "v": v}
    inits = {"c": f32(np.sqrt(d)) if scale == "div" else f32(0.3)}
    if mask:
        feeds["mask"] = rand(sq, sk)  # broadcast over batch and heads
    nodes = attention_nodes(scale, mask, transpose)
    inits = {n: a for n, a in inits.items() if any(n in x.input for x in nodes)}
    module = check_pass(
        chain_model(nodes, feeds, ["y"], inits), feeds, PASS,
        {"strata.Attention": 1, "Softmax": 0, "MatMul": 0, "Transpose": 1 if transpose else 0},
    )
    (att,) = [op for op in module.walk() if op.name == "strata.Attention"]
    want = 1 / np.sqrt(d) if scale == "div" else (0.3 if scale == "mul" else 1.0)
    assert att.scale.value.data == pytest.approx(want, rel=1e-6)
    assert (att.mask is not None) == mask


def test_attention_causal_mask_2d():
    # 2-D (single head, no batch), a causal mask: the fully masked scores give exp 0.
    q, k, v = rand(6, 4), rand(6, 4), rand(6, 3)
    nodes = [node("Transpose", ["k"], "kt")] + attention_nodes("div", True, False)[0:]
    nodes[1] = node("MatMul", ["q", "kt"], "s")
    feeds = {"q": q, "k": k, "v": v}
    check_pass(chain_model(nodes, feeds, ["y"], {"c": f32(2.0), "mask": causal(6)}), feeds, PASS, {"strata.Attention": 1})


def test_scaled_masked_softmax_alone():
    x, mask = rand(2, 3, 9), rand(3, 1)
    nodes = [node("Mul", ["x", "c"], "sc"), node("Add", ["mask", "sc"], "sm"), node("Softmax", ["sm"], "y", axis=2)]
    feeds = {"x": x, "mask": mask}
    check_pass(chain_model(nodes, feeds, ["y"], {"c": f32(0.7)}), feeds, PASS, {"strata.ScaledMaskedSoftmax": 1, "Softmax": 0})


def test_softmax_not_last_axis_does_not_fire():
    x = rand(2, 5, 4)
    nodes = [node("Div", ["x", "c"], "sc"), node("Softmax", ["sc"], "y", axis=1)]
    check_pass(chain_model(nodes, {"x": x}, ["y"], {"c": f32(2.0)}), {"x": x}, PASS, {"strata.ScaledMaskedSoftmax": 0, "Softmax": 1})


def test_probabilities_used_elsewhere_keep_the_matmul():
    # The probabilities are a graph output: the Softmax chain still becomes one
    # ScaledMaskedSoftmax, but not an Attention.
    q, k, v = rand(1, 2, 4, 8), rand(1, 2, 4, 8), rand(1, 2, 4, 8)
    nodes = attention_nodes("div", False, True)
    feeds = {"q": q, "k": k, "v": v}
    check_pass(
        chain_model(nodes, feeds, ["y", "p"], {"c": f32(2.0)}), feeds, PASS,
        {"strata.Attention": 0, "strata.ScaledMaskedSoftmax": 1, "MatMul": 2},
    )


def test_attention_batch_broadcast_and_full_mask():
    # Q has one batch and one head for all; the mask is given per batch, head and row.
    q, k, v = rand(1, 1, 4, 8), rand(2, 3, 5, 8), rand(2, 3, 5, 4)
    mask = rand(2, 3, 4, 5)
    nodes = attention_nodes("div", True, True)
    feeds = {"q": q, "k": k, "v": v, "mask": mask}
    check_pass(chain_model(nodes, feeds, ["y"], {"c": f32(3.0)}), feeds, PASS, {"strata.Attention": 1})


def test_misses_are_logged():
    from compiler.context import make_context
    from compiler.onnx_import import import_model

    q, k, v = rand(1, 2, 4, 8), rand(1, 2, 4, 8), rand(1, 2, 4, 8)
    nodes = attention_nodes("div", False, True)
    model = chain_model(nodes, {"q": q, "k": k, "v": v}, ["y", "sc"], {"c": f32(2.0)})
    ctx = make_context()
    module = import_model(model, ctx.weights, None)
    PASS[0].apply(ctx, module)
    missed = ctx.pattern_log.to_dict()["missed"]
    assert "another use" in " ".join(missed["RecomposeScaledMaskedSoftmax"]), missed


def test_attention_verifier_names_the_op():
    from xdsl.dialects.builtin import FloatAttr, TensorType, f32 as xf32
    from xdsl.utils.exceptions import VerifyException
    from xdsl.ir import Block

    from dialects.strata.composite import AttentionOp

    types = [TensorType(xf32, s) for s in ((2, 3, 4), (2, 5, 6), (2, 6, 7))]
    block = Block(arg_types=types)
    op = AttentionOp.build(operands=[*block.args, []], result_types=[TensorType(xf32, (2, 3, 7))],
                           properties={"scale": FloatAttr(1.0, xf32)})
    with pytest.raises(VerifyException, match="strata.Attention: .*head dim"):
        op.verify()


# Shapes that reach every part of the f32 attention kernel (lowering/kernels/composite.py):
# query counts that are not a multiple of the 4-row tile, key counts below, at and off
# the 16-key panel, key counts whose query block is smaller than the query count (the
# last block is partial), a head dim that is not a multiple of the 4 k-steps, a value
# width below one panel.
@pytest.mark.parametrize(
    "sq,sk,d,dv",
    [(1, 1, 1, 1), (3, 5, 7, 3), (4, 16, 8, 16), (13, 33, 64, 20), (197, 197, 64, 64), (40, 600, 16, 33)],
)
def test_attention_kernel_shapes(sq, sk, d, dv):
    from tests.ort_check import assert_matches_ort

    q, k, v = rand(2, 2, sq, d), rand(2, 2, sk, d), rand(2, 2, sk, dv)
    mask = rand(1, 1, sq, sk)
    nodes = attention_nodes("div", True, True)
    feeds = {"q": q, "k": k, "v": v}
    model = chain_model(nodes, feeds, ["y"], {"c": f32(np.sqrt(d)), "mask": mask})
    got = assert_matches_ort(model, feeds, rtol=1e-4, atol=1e-5)
    import compiler

    one = compiler.compile(model, num_threads=1)
    assert "strata.Attention" in one.stats["graph_passes"]["ops_after"]
    assert np.array_equal(one.run(feeds)[0], got[0])
