"""onnx-recompose-swish on imported ONNX models: x * Sigmoid(x) becomes onnx.Swish,
x * Sigmoid(a x) onnx.Swish(alpha = a), x * HardSigmoid(x) and x * relu6(x + 3) / 6
onnx.HardSwish; wrong constants and extra uses leave the product alone. The rewritten
graph, exported back to ONNX (a standalone Swish as a model-local function: it is an
opset-24 op), gives onnxruntime's results on the original model, under onnxruntime and
compiled by Strata. Then the whole pipeline: the recomposed activations become conv /
GEMM epilogues (-O2) and blocked-conv epilogues (-O3), and an EfficientNet / MobileNetV3
block with its squeeze-excite stays in NCHWc without a reorder; all against onnxruntime
at 1e-4 (the kernels' exp is a polynomial, the blocked conv sums in another order)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import onnx
import pytest

import compiler
from compiler.passes.recompose_swish import RecomposeSwishPass
from tests.ort_check import chain_model, checked_optimize, node, run_ort
from tests.test_pass_recompose_norms import check_pass, f32, recompose

RNG = np.random.default_rng(0)
TOL = 1e-4


def randn(*shape, scale=1.0) -> np.ndarray:
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


INITS = {"three": f32(3.0), "zero": f32(0.0), "six": f32(6.0), "sixth": f32(1.0 / 6.0), "a": f32(1.702)}


def used(nodes) -> dict:
    names = {i for n in nodes for i in n.input}
    return {k: v for k, v in INITS.items() if k in names}


FORMS = {
    "silu": [node("Sigmoid", ["x"], "s"), node("Mul", ["x", "s"], "y")],
    "silu_swapped": [node("Sigmoid", ["x"], "s"), node("Mul", ["s", "x"], "y")],
    "quick_gelu": [node("Mul", ["a", "x"], "ax"), node("Sigmoid", ["ax"], "s"), node("Mul", ["x", "s"], "y")],
    "hard_sigmoid": [node("HardSigmoid", ["x"], "h", alpha=1.0 / 6.0, beta=0.5), node("Mul", ["h", "x"], "y")],
    "relu6_div": [
        node("Add", ["x", "three"], "p"),
        node("Clip", ["p", "zero", "six"], "c"),
        node("Mul", ["x", "c"], "m"),
        node("Div", ["m", "six"], "y"),
    ],
    "relu6_sixth_inner": [
        node("Add", ["three", "x"], "p"),
        node("Clip", ["p", "zero", "six"], "c"),
        node("Div", ["c", "six"], "g"),
        node("Mul", ["g", "x"], "y"),
    ],
    "relu6_mul_sixth": [
        node("Add", ["x", "three"], "p"),
        node("Clip", ["p", "zero", "six"], "c"),
        node("Mul", ["c", "x"], "m"),
        node("Mul", ["sixth", "m"], "y"),
    ],
}


@pytest.mark.parametrize("form", list(FORMS))
def test_each_form_recomposes_and_matches(form):
    x = randn(2, 3, 4, 5, scale=4.0)
    nodes = FORMS[form]
    op = "Swish" if form in ("silu", "silu_swapped", "quick_gelu") else "HardSwish"
    expect = {op: 1, "Mul": 0, "Sigmoid": 0, "Clip": 0, "HardSigmoid": 0, "Div": 0}
    module = check_pass(chain_model(nodes, {"x": x}, ["y"], used(nodes)), {"x": x}, [RecomposeSwishPass()], expect)
    (new,) = [o for o in module.walk() if o.name == f"onnx.{op}"]
    if form == "quick_gelu":
        assert new.alpha.value.data == pytest.approx(1.702, rel=1e-6)


@pytest.mark.parametrize(
    "nodes, inits, reason",
    [
        # the Sigmoid is also a graph output
        ([node("Sigmoid", ["x"], "s"), node("Mul", ["x", "s"], "y")], {}, "an intermediate has another use or is a graph output"),
        # ONNX's default HardSigmoid (alpha 0.2) is not HardSwish's gate
        ([node("HardSigmoid", ["x"], "s"), node("Mul", ["x", "s"], "y")], {}, "HardSigmoid alpha 0.2, beta 0.5 is not 1/6, 0.5"),
        # relu6(x + 3) without / 6
        ([node("Add", ["x", "three"], "p"), node("Clip", ["p", "zero", "six"], "s"), node("Mul", ["x", "s"], "y")],
         {k: INITS[k] for k in ("three", "zero", "six")}, "no division by 6"),
        # relu6(x + 2)
        ([node("Add", ["x", "two"], "p"), node("Clip", ["p", "zero", "six"], "c"), node("Mul", ["x", "c"], "m"),
          node("Div", ["m", "six"], "s"), node("Identity", ["m"], "y")],
         {"two": f32(2.0), "zero": f32(0.0), "six": f32(6.0)}, None),
    ],
)
def test_does_not_fire_and_logs_why(nodes, inits, reason):
    x = randn(3, 8)
    outputs = ["y", "s"]
    model = chain_model(nodes, {"x": x}, outputs, inits)
    ctx, module = recompose(model, [RecomposeSwishPass()])
    assert not [o for o in module.walk() if o.name in ("onnx.Swish", "onnx.HardSwish")]
    missed = ctx.pattern_log.to_dict()["missed"].get("RecomposeSwish", {})
    if reason is not None:
        assert reason in missed, missed


def test_sigmoid_of_another_tensor_is_not_swish():
    """The squeeze-excite scale x * Sigmoid(gate): no Swish, nothing logged."""
    x, z = randn(2, 8), randn(2, 8)
    model = chain_model([node("Sigmoid", ["z"], "s"), node("Mul", ["x", "s"], "y")], {"x": x, "z": z}, ["y"])
    ctx, module = recompose(model, [RecomposeSwishPass()])
    assert [o.name for o in module.walk() if o.name.startswith("onnx.") and o.name != "onnx.Constant"] == ["onnx.Sigmoid", "onnx.Mul"]
    assert "RecomposeSwish" not in ctx.pattern_log.to_dict()["missed"]


# ---- the pipeline: epilogues --------------------------------------------------------------


def conv_gemm_silu_model() -> tuple[onnx.ModelProto, dict]:
    """Conv -> SiLU, Conv -> relu6 HardSwish, Gemm -> SiLU, MatMul -> QuickGelu."""
    inits = {
        "w": randn(16, 8, 3, 3, scale=0.5), "b": randn(16), "w2": randn(16, 8, 1, 1), "gw": randn(5, 6), "mw": randn(6, 7),
        **{k: INITS[k] for k in ("three", "zero", "six", "a")},
    }
    nodes = [
        node("Conv", ["x", "w", "b"], "conv", pads=[1, 1, 1, 1]),
        node("Sigmoid", ["conv"], "cs"), node("Mul", ["conv", "cs"], "y1"),
        node("Conv", ["x", "w2"], "conv2"),
        node("Add", ["conv2", "three"], "p"), node("Clip", ["p", "zero", "six"], "c"),
        node("Mul", ["conv2", "c"], "m"), node("Div", ["m", "six"], "y2"),
        node("Gemm", ["g", "gw"], "gemm"),
        node("Sigmoid", ["gemm"], "gs"), node("Mul", ["gs", "gemm"], "y3"),
        node("MatMul", ["q", "mw"], "mm"),
        node("Mul", ["mm", "a"], "ma"), node("Sigmoid", ["ma"], "msig"), node("Mul", ["mm", "msig"], "y4"),
    ]
    # a wide input range: the epilogue's x / (1 + e^-x) meets overflow of e^-x
    feeds = {"x": randn(1, 8, 7, 9, scale=8.0), "g": randn(3, 5, scale=10.0), "q": randn(2, 3, 6, scale=10.0)}
    return chain_model(nodes, feeds, ["y1", "y2", "y3", "y4"], inits), feeds


@pytest.mark.parametrize("opt_level", [2, 3])
def test_swish_and_hardswish_become_epilogues(opt_level):
    model, feeds = conv_gemm_silu_model()
    compiled = compiler.compile(model, opt_level=opt_level)
    after = Counter({k: v for k, v in compiled.stats["graph_passes"]["ops_after"].items() if k != "Constant"})
    assert after["Sigmoid"] == after["Mul"] == after["Clip"] == after["Swish"] == after["HardSwish"] == 0, after
    if opt_level == 2:
        assert after["strata.FusedConv"] == 2 and after["strata.FusedGemm"] == 1 and after["strata.FusedMatMul"] == 1, after
    else:
        assert after["strata.ConvNCHWc"] == 2, after
    expected = run_ort(model, feeds)
    for got, want in zip(compiled.run(dict(feeds)), expected):
        np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL * max(1.0, float(np.abs(want).max())))
    checked_optimize(model, level=opt_level, feeds=feeds)  # the exported model runs in onnxruntime


# ---- the pipeline: squeeze-excite in NCHWc ----------------------------------------------


def mbconv_model(kind: str) -> tuple[onnx.ModelProto, dict]:
    """EfficientNet's MBConv (kind "silu": expand 1x1 conv + SiLU, depthwise 3x3 + SiLU,
    SE with a ReduceMean over H, W, 1x1 reduce + SiLU, 1x1 expand + Sigmoid, channel scale,
    projecting 1x1 conv, residual add) or MobileNetV3's (kind "hard": HardSwish, SE with
    Relu and HardSigmoid), as torch exports them. 12 input channels and 6 SE channels
    are not multiples of 8."""
    c, e, se = 12, 48, 6
    inits = {
        "w_exp": randn(e, c, 1, 1, scale=0.3), "b_exp": randn(e, scale=0.1),
        "w_dw": randn(e, 1, 3, 3, scale=0.3), "b_dw": randn(e, scale=0.1),
        "axes": np.array([2, 3], np.int64),
        "w_r": randn(se, e, 1, 1, scale=0.3), "b_r": randn(se, scale=0.1),
        "w_e": randn(e, se, 1, 1, scale=0.3), "b_e": randn(e, scale=0.1),
        "w_p": randn(c, e, 1, 1, scale=0.3), "b_p": randn(c, scale=0.1),
    }

    def act(x: str, out: str) -> list:
        if kind == "silu":
            return [node("Sigmoid", [x], f"{out}_s"), node("Mul", [x, f"{out}_s"], out)]
        return [node("HardSwish", [x], out)]

    nodes = [
        node("Conv", ["x", "w_exp", "b_exp"], "h0"), *act("h0", "h1"),
        node("Conv", ["h1", "w_dw", "b_dw"], "d0", group=e, pads=[1, 1, 1, 1]), *act("d0", "d1"),
        node("ReduceMean", ["d1", "axes"], "pooled", keepdims=1),
        node("Conv", ["pooled", "w_r", "b_r"], "r0"),
        *(act("r0", "r1") if kind == "silu" else [node("Relu", ["r0"], "r1")]),
        node("Conv", ["r1", "w_e", "b_e"], "g0"),
        node("Sigmoid", ["g0"], "gate") if kind == "silu" else node("HardSigmoid", ["g0"], "gate", alpha=1.0 / 6.0, beta=0.5),
        node("Mul", ["d1", "gate"], "scaled"),
        node("Conv", ["scaled", "w_p", "b_p"], "proj"),
        node("Add", ["proj", "x"], "y"),
    ]
    feeds = {"x": randn(1, c, 10, 10)}
    return chain_model(nodes, feeds, ["y"], inits), feeds


@pytest.mark.parametrize("kind", ["silu", "hard"])
def test_squeeze_excite_stays_blocked(kind):
    model, feeds = mbconv_model(kind)
    compiled = compiler.compile(model, opt_level=3)
    after = Counter({k: v for k, v in compiled.stats["graph_passes"]["ops_after"].items() if k != "Constant"})
    # one reorder in (the 12-channel input) and one out: none around the SE block
    assert after["strata.ReorderToBlocked"] == 1 and after["strata.ReorderFromBlocked"] == 1, after
    assert after["strata.GlobalAveragePoolNCHWc"] == 1 and after["ReduceMean"] == 0, after
    assert after["strata.ConvNCHWc"] == 4 and after["strata.DepthwiseConvNCHWc"] == 1 and after["Mul"] == 1, after
    assert sum(after.values()) == 9, after
    expected = run_ort(model, feeds)
    for got, want in zip(compiled.run(dict(feeds)), expected):
        np.testing.assert_allclose(got, want, rtol=TOL, atol=TOL * max(1.0, float(np.abs(want).max())))
    checked_optimize(model, level=3, feeds=feeds)


def test_swish_epilogue_of_blocked_conv_vectorizes():
    """The blocked conv's Swish epilogue (x / (1 + e^-x) with the polynomial exp) is
    vector code: every division in the kernel is on <8 x float> or <16 x float>, and no
    libm exp is called (a scalar expf per lane would keep the whole store loop scalar)."""
    model = chain_model(
        [node("Conv", ["x", "w"], "c"), node("Sigmoid", ["c"], "s"), node("Mul", ["c", "s"], "y")],
        {"x": randn(1, 32, 14, 14)}, ["y"], {"w": randn(32, 32, 1, 1)},
    )
    compiled = compiler.compile(model, opt_level=3)
    assert compiled.stats["graph_passes"]["ops_after"].get("strata.ConvNCHWc") == 1
    # the model's only other kernels are the reorders, which divide nothing
    ir = compiled._jit.optimized_ir()
    divisions = [line for line in ir.splitlines() if " fdiv " in line]
    assert divisions and all(re.search(r"<(8|16) x float>", line) for line in divisions), divisions[:3]
    assert not re.search(r"call .*@\"?(llvm\.)?exp", ir)
