"""The GPU path end to end through Triton's interpreter (TRITON_INTERPRET=1): generated
kernels run on the CPU with torch CPU tensors and are checked against onnxruntime
(1e-4), per kernel family (pointwise, row reductions in registers and looped,
matmul/Gemm with epilogues, implicit-GEMM conv, pooling, data movement, TopK, scatters:
tests/triton_op_models.py), for the example models and for a GPT-style decoder, a
BERT-style encoder and a small U-Net exported from torch (tools/torch_models.py).

Skips, saying why, where torch or triton is missing (`pip install '.[gpu]'`).
"""

from __future__ import annotations

import os
import sys

import pytest

if "triton" in sys.modules and os.environ.get("TRITON_INTERPRET") != "1":
    pytest.skip("triton was imported before TRITON_INTERPRET=1 could be set; run this file in its own process",
                allow_module_level=True)
os.environ["TRITON_INTERPRET"] = "1"  # before triton is imported anywhere in this process

import numpy as np  # noqa: E402

torch = pytest.importorskip("torch", reason="torch is not installed (pip install '.[gpu]'): the Triton interpreter needs it")
triton = pytest.importorskip("triton", reason="triton is not installed (pip install '.[gpu]')")

from compiler.compile_cuda import compile_cuda, compile_model_cuda, fused_graph  # noqa: E402
from lowering.to_triton import generate  # noqa: E402
from runtime.triton_launcher import TritonModel  # noqa: E402
from tests.ort_check import chain_model, node, run_ort  # noqa: E402
from tools.torch_models import ZOO  # noqa: E402
from tests.triton_op_models import op_models  # noqa: E402
from tools.example_models import EXAMPLES, example_inputs  # noqa: E402

TOL = dict(rtol=1e-4, atol=1e-4)
rng = np.random.default_rng(0)


def rand(*shape) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def check(model, feeds, max_row_block: int | None = None, families: dict | None = None, input_shapes=None):
    """Runs the model through the interpreter and onnxruntime; returns the TritonModel."""
    if max_row_block is None:
        compiled = compile_model_cuda(model, input_shapes=input_shapes, interpret=True)
    else:
        module, ctx, ins, outs = fused_graph(model, input_shapes=input_shapes)
        program = generate(module, ctx.weights, max_row_block=max_row_block)
        compiled = TritonModel(program, ins, outs, interpret=True)
    with np.errstate(all="ignore"):  # masked lanes may compute on garbage (never stored)
        got = compiled.run(feeds)
    want = run_ort(model, feeds)
    names = [o.name for o in (model.graph.output if hasattr(model, "graph") else [])] or [None] * len(want)
    for g, w, n in zip(got, want, names):
        assert g.shape == np.asarray(w).shape and g.dtype == np.asarray(w).dtype, n
        np.testing.assert_allclose(g, w, **TOL, err_msg=f"output {n}")
    if families is not None:
        counted: dict[str, int] = {}
        for k in compiled.program.kernels():
            counted[k.family] = counted.get(k.family, 0) + 1
        assert counted == families
    return compiled


# --- pointwise ---------------------------------------------------------------------------


def test_pointwise_chain_with_broadcast_and_tail():
    x, b, c = rand(3, 37, 5), rand(37, 1), rand(5)
    nodes = [
        node("Add", ["x", "b"], "s"),
        node("Mul", ["s", "c"], "m"),
        node("Sigmoid", ["m"], "g"),
        node("Tanh", ["s"], "t"),
        node("Sub", ["g", "t"], "d"),
        node("Erf", ["d"], "e"),
        node("Relu", ["e"], "y"),
    ]
    compiled = check(chain_model(nodes, {"x": x, "b": b, "c": c}, ["y"]), {"x": x, "b": b, "c": c}, families={"pointwise": 1})
    assert compiled.program.kernels()[0].nodes == ["s_node", "m_node", "g_node", "t_node", "d_node", "e_node", "y_node"]


def test_pointwise_several_tiles_and_two_outputs():
    x = rand(2, 700)
    nodes = [node("LeakyRelu", ["x"], "a", alpha=0.1), node("Exp", ["a"], "y1"), node("Neg", ["a"], "y2")]
    check(chain_model(nodes, {"x": x}, ["y1", "y2"]), {"x": x}, families={"pointwise": 1})


def test_transpose():
    x = rand(2, 3, 4, 5)
    model = chain_model([node("Transpose", ["x"], "y", perm=[2, 0, 3, 1])], {"x": x}, ["y"])
    check(model, {"x": x}, families={"pointwise": 1})


# --- row reductions (whole row in registers and looped) ---------------------------------


@pytest.mark.parametrize("max_row_block", [4096, 8])
def test_softmax_logsoftmax(max_row_block):
    x = rand(3, 4, 19)
    nodes = [node("Softmax", ["x"], "y1", axis=-1), node("LogSoftmax", ["x"], "y2", axis=1)]
    check(chain_model(nodes, {"x": x}, ["y1", "y2"]), {"x": x}, max_row_block, families={"row": 2})


@pytest.mark.parametrize("max_row_block", [4096, 8])
def test_layernorm_with_prologue_and_epilogue(max_row_block):
    x, r, g, b = rand(2, 3, 20), rand(2, 3, 20), rand(20), rand(20)
    nodes = [
        node("Add", ["x", "r"], "h"),
        node("LayerNormalization", ["h", "g", "b"], "n", axis=-1, epsilon=1e-5),
        node("Relu", ["n"], "y"),
    ]
    model = chain_model(nodes, {"x": x, "r": r}, ["y"], {"g": g, "b": b})
    compiled = check(model, {"x": x, "r": r}, max_row_block, families={"row": 1})
    assert compiled.program.kernels()[0].nodes == ["h_node", "n_node", "y_node"]


@pytest.mark.parametrize("max_row_block", [4096, 8])
def test_reductions(max_row_block):
    x = rand(2, 3, 5, 7)
    nodes = [
        node("ReduceMean", ["x", "last"], "mean", keepdims=1),
        node("ReduceSum", ["x", "mid"], "sum", keepdims=0),
        node("ReduceMax", ["x", "last"], "max", keepdims=0),
        node("GlobalAveragePool", ["x"], "gap"),
    ]
    inits = {"last": np.array([-1], np.int64), "mid": np.array([1, 2], np.int64)}
    check(chain_model(nodes, {"x": x}, ["mean", "sum", "max", "gap"], inits), {"x": x}, max_row_block, families={"row": 4})


# --- matmul / Gemm with epilogues -------------------------------------------------------


def test_matmul_batched_with_bias_relu_residual_epilogue():
    a, w, bias, res = rand(2, 3, 5, 20), rand(20, 7), rand(7), rand(2, 3, 5, 7)
    nodes = [
        node("MatMul", ["a", "w"], "p"),
        node("Add", ["p", "bias"], "q"),
        node("Relu", ["q"], "r"),
        node("Add", ["r", "res"], "y"),
    ]
    model = chain_model(nodes, {"a": a, "res": res}, ["y"], {"w": w, "bias": bias})
    compiled = check(model, {"a": a, "res": res}, families={"matmul": 1})
    assert compiled.program.kernels()[0].nodes[-1] == "y_node"  # the residual add is in the epilogue


def test_matmul_broadcast_batch_both_sides():
    a, b = rand(2, 1, 17, 9), rand(3, 9, 33)
    check(chain_model([node("MatMul", ["a", "b"], "y")], {"a": a, "b": b}, ["y"]), {"a": a, "b": b}, families={"matmul": 1})


@pytest.mark.parametrize("trans_a,trans_b", [(0, 0), (1, 1)])
def test_gemm_transposes_alpha_beta(trans_a, trans_b):
    a = rand(24, 5) if trans_a else rand(5, 24)
    b = rand(40, 24) if trans_b else rand(24, 40)
    c = rand(40)
    model = chain_model(
        [node("Gemm", ["a", "b", "c"], "y", transA=trans_a, transB=trans_b, alpha=0.5, beta=2.0)],
        {"a": a}, ["y"], {"b": b, "c": c},
    )
    check(model, {"a": a}, families={"matmul": 1})


# --- recomposed and fused strata ops (formed by the -O2 passes) -------------------------


def test_attention_with_mask_and_tails():
    q, kt, v, mask = rand(2, 3, 5, 8), rand(2, 3, 8, 19), rand(2, 3, 19, 12), rand(5, 19)
    nodes = [
        node("MatMul", ["q", "kt"], "scores"),
        node("Mul", ["scores", "scale"], "scaled"),
        node("Add", ["scaled", "mask"], "masked"),
        node("Softmax", ["masked"], "probs", axis=-1),
        node("MatMul", ["probs", "v"], "y"),
    ]
    feeds = {"q": q, "kt": kt, "v": v}
    model = chain_model(nodes, feeds, ["y"], {"scale": np.array(0.35, np.float32), "mask": mask})
    compiled = check(model, feeds, families={"attention": 1})
    assert "for n0 in range(0, 19, BN)" in compiled.program.kernels()[0].source


@pytest.mark.parametrize("max_row_block", [4096, 8])
def test_scaled_masked_softmax_and_rms_norm(max_row_block):
    x, mask, g = rand(2, 4, 13), rand(4, 13), rand(13)
    nodes = [
        node("Mul", ["x", "scale"], "xs"),
        node("Add", ["xs", "mask"], "xm"),
        node("Softmax", ["xm"], "p", axis=-1),
        # RMS normalization as torch exports it
        node("Mul", ["x", "x"], "sq"),
        node("ReduceMean", ["sq", "axes"], "ms", keepdims=1),
        node("Add", ["ms", "eps"], "mse"),
        node("Sqrt", ["mse"], "rms"),
        node("Div", ["x", "rms"], "n"),
        node("Mul", ["n", "g"], "r"),
    ]
    inits = {"scale": np.array(0.5, np.float32), "mask": mask, "axes": np.array([-1], np.int64),
             "eps": np.array(1e-6, np.float32), "g": g}
    compiled = check(chain_model(nodes, {"x": x}, ["p", "r"], inits), {"x": x}, max_row_block, families={"row": 2})
    kinds = {k.source.splitlines()[3].split()[1] for k in compiled.program.kernels()}
    assert kinds == {"ScaledMaskedSoftmax", "RMSNormalization"}


def test_fused_gemm_matmul_conv_activation_epilogues():
    """strata.FusedGemm/FusedMatMul/FusedConv (onnx-fuse-activation) keep their
    activation in the kernel's epilogue."""
    from compiler.passes.fuse_activation import FuseActivationPass
    from lowering.fuse_kernels import FuseKernelsPass

    x, w, b, a, wg, bg = rand(2, 3, 8, 8), rand(4, 3, 3, 3), rand(4), rand(6, 10), rand(10, 7), rand(7)
    mm_w, mm_b = rand(3, 7, 5), rand(5)
    nodes = [
        node("Conv", ["x", "w", "b"], "c", pads=[1, 1, 1, 1]),
        node("LeakyRelu", ["c"], "cy", alpha=0.2),
        node("Gemm", ["a", "wg", "bg"], "g", alpha=0.5),
        node("Sigmoid", ["g"], "gy"),
        node("MatMul", ["h", "mm_w"], "m"),
        node("Add", ["m", "mm_b"], "mb"),
        node("HardSwish", ["mb"], "my"),
    ]
    h = rand(3, 4, 7)
    feeds = {"x": x, "a": a, "h": h}
    model = chain_model(nodes, feeds, ["cy", "gy", "my"], {"w": w, "b": b, "wg": wg, "bg": bg, "mm_w": mm_w, "mm_b": mm_b})
    module, ctx, ins, outs = fused_graph(model, fuse=False)
    FuseActivationPass().apply(ctx, module)
    FuseKernelsPass().apply(ctx, module)
    assert {op.name for op in module.walk()} >= {"strata.FusedConv", "strata.FusedGemm", "strata.FusedMatMul"}
    compiled = TritonModel(generate(module, ctx.weights), ins, outs, interpret=True)
    for got, want in zip(compiled.run(feeds), run_ort(model, feeds)):
        np.testing.assert_allclose(got, want, **TOL)
    families = sorted(k.family for k in compiled.program.kernels())
    assert families == ["conv", "matmul", "matmul"]


# --- convolution and pooling ------------------------------------------------------------


def test_conv_relu_maxpool():
    x, w, b = rand(2, 3, 9, 9), rand(4, 3, 3, 3), rand(4)
    nodes = [
        node("Conv", ["x", "w", "b"], "c", pads=[1, 0, 1, 2], strides=[2, 1]),
        node("Relu", ["c"], "r"),
        node("MaxPool", ["r"], "y", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2]),
    ]
    check(chain_model(nodes, {"x": x}, ["y"], {"w": w, "b": b}), {"x": x}, families={"conv": 1, "pool": 1})


@pytest.mark.parametrize("name", list(op_models()))
def test_op_family_model(name):
    """Every kernel family beyond the example models (tests/triton_op_models.py)."""
    model, feeds = op_models()[name]
    check(model, feeds)


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_model(name):
    """GPT-style decoder (embeddings, Split), BERT-style encoder (attention mask), small
    U-Net (ConvTranspose, Resize, unfolded BatchNormalization): every op a Triton
    kernel or a view, outputs within 1e-4 of onnxruntime."""
    model, feeds = ZOO[name]()
    compiled = check(model, feeds)
    assert compiled.stats["kernels"] == len(compiled.program.kernels()) > 0
    ops = {n.op_type for n in model.graph.node}
    expected = {"gpt_decoder": {"Gather", "Split", "LayerNormalization", "Where"},
                "bert_encoder": {"Gather", "Erf", "Tanh", "Gemm", "Cast"},
                "unet": {"ConvTranspose", "Resize", "BatchNormalization", "MaxPool", "AveragePool", "Concat"}}[name]
    assert expected <= ops
    families = {k.family for k in compiled.program.kernels()}
    if name == "unet":
        assert {"conv", "pool"} <= families


# --- whole models -----------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_model(name):
    build, shapes = EXAMPLES[name]
    model = build()
    feeds = example_inputs(name)
    compiled = check(model, feeds, input_shapes=shapes)
    stats = compiled.stats
    assert stats["kernels"] == len(compiled.program.kernels()) > 0
    assert 0 < stats["arena_bytes"] <= stats["naive_bytes"]
    # inputs may also be torch tensors; outputs can stay on the device
    (y,) = compiled.run({k: torch.from_numpy(v) for k, v in feeds.items()}, as_numpy=False)
    assert isinstance(y, torch.Tensor)
    np.testing.assert_allclose(y.numpy(), run_ort(model, feeds)[0], **TOL)


def test_wrong_input_is_refused():
    build, shapes = EXAMPLES["mlp"]
    compiled = compile_model_cuda(build(), input_shapes=shapes, interpret=True)
    with pytest.raises(ValueError, match=r"input 'x' must be float32\[4, 64\]"):
        compiled.run({"x": np.zeros((4, 63), np.float32)})


def test_compile_cuda_runs_fusion_when_not_fused():
    build, shapes = EXAMPLES["transformer_block"]
    module, ctx, ins, outs = fused_graph(build(), input_shapes=shapes, fuse=False)
    compiled = compile_cuda(module, ctx, ins, outs, {"seconds": {}}, interpret=True)
    assert "fuse kernels" in compiled.stats["seconds"] and compiled.stats["fused_ops"] > 0


def test_concat_slice_expand():
    x, y = rand(2, 3, 4), rand(2, 5, 4)
    nodes = [
        node("Concat", ["x", "y"], "c", axis=1),
        node("Slice", ["c", "starts", "ends", "axes", "steps"], "s"),
        node("Expand", ["x", "shape"], "e"),
    ]
    inits = {"starts": np.array([7, 1], np.int64), "ends": np.array([0, 4], np.int64), "axes": np.array([1, 2], np.int64),
             "steps": np.array([-2, 2], np.int64), "shape": np.array([3, 2, 1, 4], np.int64)}
    check(chain_model(nodes, {"x": x, "y": y}, ["c", "s", "e"], inits), {"x": x, "y": y}, families={"pointwise": 4})


def test_elementwise_table():
    """Each unary/binary body of the generator against onnxruntime (one kernel per op)."""
    x, y = rand(3, 50) * 3, rand(50) * 3
    ops = [
        ("Elu", ["x"], {"alpha": 0.7}), ("HardSigmoid", ["x"], {"alpha": 0.3, "beta": 0.4}), ("HardSwish", ["x"], {}),
        ("Softplus", ["x"], {}), ("Softsign", ["x"], {}), ("Mish", ["x"], {}), ("Sign", ["x"], {}),
        ("Clip", ["x", "lo", "hi"], {}), ("Max", ["x", "y"], {}), ("Min", ["x", "y", "x"], {}), ("Abs", ["x"], {}),
        ("Reciprocal", ["y"], {}), ("Floor", ["x"], {}), ("Ceil", ["x"], {}), ("Sin", ["x"], {}), ("Cos", ["x"], {}),
        ("Gelu", ["x"], {"approximate": "tanh"}), ("Gelu", ["x"], {}), ("Tanh", ["x"], {}), ("Neg", ["x"], {}),
        ("Exp", ["x"], {}), ("PRelu", ["x", "y"], {}), ("Sum", ["x", "y", "y"], {}),
    ]
    nodes = [node(op, ins, f"o{i}", **attrs) for i, (op, ins, attrs) in enumerate(ops)]
    nodes += [node("Greater", ["x", "y"], "gt"), node("Where", ["gt", "x", "y"], "w"),
              node("Abs", ["x"], "ax"), node("Log", ["ax"], "lg"), node("Sqrt", ["ax"], "sq")]
    outs = [f"o{i}" for i in range(len(ops))] + ["w", "lg", "sq"]
    inits = {"lo": np.array(-1.0, np.float32), "hi": np.array(1.5, np.float32)}
    check(chain_model(nodes, {"x": x, "y": y}, outs, inits), {"x": x, "y": y})
