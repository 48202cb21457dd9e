"""onnx-layout-nchwc: conv regions move to the blocked NCHWc layout, with reorders only
at region borders. Every rewritten graph is checked three ways against onnxruntime on
the original model: exported back to ONNX (the strata ops decompose into standard
nodes) and run by onnxruntime, and compiled by Strata with the pass (blocked kernels).
The blocked conv sums in another order and with FMA: compared at 1e-4."""

from __future__ import annotations

from collections import Counter

import numpy as np
import onnx
import pytest
from xdsl.dialects import func

from compiler.context import make_context
from compiler.onnx_export import export_model
from compiler.onnx_import import import_model
from compiler.passes.layout_nchwc import LayoutNchwcPass, block_weights
from compiler.pipelines import graph_pipeline
from tests.ort_check import chain_model, node, op_counts, run_ort
from tools.example_models import small_cnn
from tools.layout_benchmark import compile_model, conv_stack

RNG = np.random.default_rng(0)
TOL = 1e-4


def rand(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def layout(model: onnx.ModelProto, input_shapes=None, opt_level: int = 0):
    """Imports `model`, runs the -O`opt_level` graph passes, then the layout pass;
    checks the graph signature is unchanged. Returns (ctx, module)."""
    ctx = make_context()
    module = import_model(model, ctx.weights, input_shapes)
    (fn,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    signature = fn.function_type
    if opt_level:
        graph_pipeline(opt_level).apply(ctx, module)
    LayoutNchwcPass().apply(ctx, module)
    module.verify()
    assert fn.function_type == signature
    return ctx, module


def counts(module) -> Counter:
    return op_counts(module, constants=False)


def check_numerics(model, ctx, module, feeds, input_shapes=None, tol=TOL):
    expected = run_ort(model, feeds)
    rewritten = export_model(module, ctx.weights)
    results = {
        "ort(rewritten)": run_ort(rewritten, feeds),
        "strata(original, layout)": compile_model(model, True, input_shapes).run(dict(feeds)),
    }
    for who, got in results.items():
        assert len(got) == len(expected), who
        for i, (g, e) in enumerate(zip(got, expected)):
            g, e = np.asarray(g), np.asarray(e)
            assert g.shape == e.shape and g.dtype == e.dtype, f"{who} output {i}"
            np.testing.assert_allclose(g, e, rtol=tol, atol=tol, err_msg=f"{who} output {i}")


def missed(ctx) -> dict:
    return ctx.pattern_log.to_dict()["missed"]


# ---- weights ------------------------------------------------------------------------------


def test_block_weights_layout():
    w = rand(10, 12, 3, 2)
    blk = block_weights(w, blocked_input=True)
    assert blk.shape == (2, 2, 3, 2, 8, 8)
    for m, c, kh, kw in [(0, 0, 0, 0), (9, 11, 2, 1), (3, 8, 1, 0)]:
        assert blk[m // 8, c // 8, kh, kw, c % 8, m % 8] == w[m, c, kh, kw]
    assert not blk[1, :, :, :, :, 2:].any()  # output channels 10..15 are padding
    assert not blk[:, 1, :, :, 4:, :].any()  # input channels 12..15 are padding
    plain = block_weights(w, blocked_input=False)
    assert plain.shape == (2, 12, 3, 2, 1, 8)
    assert plain[1, 5, 2, 1, 0, 1] == w[9, 5, 2, 1]


# ---- convolutions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attrs, size",
    [
        ({"pads": [1, 1, 1, 1]}, 9),
        ({"pads": [1, 2, 0, 1], "strides": [2, 1]}, 11),
        ({"pads": [2, 2, 2, 2], "dilations": [2, 2]}, 10),
        ({"auto_pad": "SAME_UPPER", "strides": [2, 2]}, 13),
        ({}, 3),  # window as large as the input: no interior columns
    ],
)
def test_conv_stack_geometry(attrs, size):
    """Conv(16->16) -> Relu -> Conv(16->24): one blocked region, reorders at its ends."""
    x = rand(2, 16, size, size)
    model = chain_model(
        [node("Conv", ["x", "w1", "b1"], "c1", **attrs), node("Relu", ["c1"], "r1"),
         node("Conv", ["r1", "w2", "b2"], "y", kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
        {"x": x}, ["y"],
        {"w1": rand(16, 16, 3, 3, scale=0.2), "b1": rand(16), "w2": rand(24, 16, 3, 3, scale=0.2), "b2": rand(24)},
    )
    ctx, module = layout(model)
    assert counts(module) == Counter({"strata.ConvNCHWc": 2, "strata.ReorderToBlocked": 1, "strata.ReorderFromBlocked": 1})
    check_numerics(model, ctx, module, {"x": x})


def test_channels_not_multiple_of_8():
    """12 -> 20 -> 10 channels: padded lanes are zero weights, sliced off at the end."""
    x = rand(1, 12, 7, 6)
    model = chain_model(
        [node("Conv", ["x", "w1"], "c1", pads=[1, 1, 1, 1]), node("Relu", ["c1"], "r1"),
         node("Conv", ["r1", "w2", "b2"], "y", pads=[0, 1, 0, 1])],
        {"x": x}, ["y"], {"w1": rand(20, 12, 3, 3, scale=0.3), "w2": rand(10, 20, 1, 3, scale=0.3), "b2": rand(10)},
    )
    ctx, module = layout(model)
    assert counts(module)["strata.ConvNCHWc"] == 2
    check_numerics(model, ctx, module, {"x": x})


@pytest.mark.parametrize("attrs, size", [({"pads": [1, 1, 1, 1], "strides": [2, 2]}, 10), ({"pads": [1, 1, 1, 1]}, 16),
                                         ({"pads": [0, 2, 0, 2], "dilations": [1, 2], "strides": [1, 2]}, 31)])
def test_first_conv_reads_nchw_input(attrs, size):
    """C_in = 3 is not blocked: the conv reads the NCHW input (ICL = 1), no reorder in;
    16 and 31 columns make full 6-pixel tiles (kw unrolled) plus border columns."""
    x = rand(1, 3, 7, size)
    model = chain_model([node("Conv", ["x", "w", "b"], "y", **attrs)], {"x": x}, ["y"],
                        {"w": rand(16, 3, 3, 3), "b": rand(16)})
    ctx, module = layout(model)
    assert counts(module) == Counter({"strata.ConvNCHWc": 1, "strata.ReorderFromBlocked": 1})
    check_numerics(model, ctx, module, {"x": x})


def test_residual_add_and_relu_fold_into_conv():
    """Conv -> Add(other blocked value) -> Relu becomes one ConvNCHWc with z and Relu."""
    x = rand(1, 8, 6, 6)
    model = chain_model(
        [node("Conv", ["x", "w1"], "a", pads=[1, 1, 1, 1]), node("Relu", ["a"], "ra"),
         node("Conv", ["ra", "w2"], "b", pads=[1, 1, 1, 1]), node("Add", ["b", "ra"], "s"), node("Relu", ["s"], "y")],
        {"x": x}, ["y"], {"w1": rand(16, 8, 3, 3, scale=0.3), "w2": rand(16, 16, 3, 3, scale=0.3)},
    )
    ctx, module = layout(model)
    assert counts(module) == Counter({"strata.ConvNCHWc": 2, "strata.ReorderToBlocked": 1, "strata.ReorderFromBlocked": 1})
    convs = [op for op in module.walk() if op.name == "strata.ConvNCHWc"]
    assert [c.activation.data for c in convs] == ["Relu", "Relu"]
    assert convs[1].z is not None and convs[1].z == convs[0].y
    check_numerics(model, ctx, module, {"x": x})


def test_elementwise_and_channel_constants_stay_blocked():
    """Sigmoid, a per-channel Mul, a scalar Add and an Add of two conv results all run on
    blocked tensors; the conv results have two uses, so nothing folds into the convs."""
    x = rand(1, 10, 5, 5)
    model = chain_model(
        [node("Conv", ["x", "w1"], "a", pads=[1, 1, 1, 1]), node("Conv", ["x", "w2"], "b", pads=[1, 1, 1, 1]),
         node("Sigmoid", ["a"], "sa"), node("Mul", ["sa", "scale"], "m"), node("Add", ["b", "one"], "b1"),
         node("Add", ["m", "b1"], "s"), node("Add", ["s", "a"], "s2"), node("Mul", ["s2", "b"], "y")],
        {"x": x}, ["y"],
        {"w1": rand(12, 10, 3, 3), "w2": rand(12, 10, 3, 3), "scale": rand(12, 1, 1), "one": np.array(1.5, np.float32)},
    )
    ctx, module = layout(model)
    c = counts(module)
    assert c["strata.ReorderToBlocked"] == 1 and c["strata.ReorderFromBlocked"] == 1
    assert c["Sigmoid"] == 1 and c["Mul"] == 2 and c["Add"] == 3
    check_numerics(model, ctx, module, {"x": x})


def test_pooling_blocked():
    x = rand(2, 8, 9, 9)
    model = chain_model(
        [node("Conv", ["x", "w"], "c", pads=[1, 1, 1, 1]),
         node("MaxPool", ["c"], "mp", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1),
         node("AveragePool", ["mp"], "ap", kernel_shape=[2, 2], pads=[1, 0, 1, 0], count_include_pad=1),
         node("AveragePool", ["ap"], "ap2", kernel_shape=[2, 2], pads=[0, 1, 0, 1]),
         node("GlobalAveragePool", ["ap2"], "g"), node("Flatten", ["g"], "y")],
        {"x": x}, ["y"], {"w": rand(16, 8, 3, 3)},
    )
    ctx, module = layout(model)
    c = counts(module)
    assert c["strata.MaxPoolNCHWc"] == 1 and c["strata.AveragePoolNCHWc"] == 2 and c["strata.GlobalAveragePoolNCHWc"] == 1
    assert c["strata.ReorderFromBlocked"] == 1  # only before Flatten
    check_numerics(model, ctx, module, {"x": x})


def test_concat_of_branches_stays_blocked():
    """Two conv branches joined by a channel Concat (a SqueezeNet fire module): one
    blocked Concat, the region goes on into the next conv; a Concat with a 4-channel
    input is not blocked (its blocks would interleave padding) and says why."""
    x = rand(1, 8, 7, 7)
    model = chain_model(
        [node("Conv", ["x", "w1"], "a"), node("Conv", ["x", "w3"], "b", pads=[1, 1, 1, 1]),
         node("Concat", ["a", "b"], "cat", axis=1), node("Relu", ["cat"], "r"),
         node("Conv", ["r", "w"], "y", pads=[1, 1, 1, 1]),
         node("Concat", ["y", "x4"], "odd", axis=1)],
        {"x": x, "x4": rand(1, 4, 7, 7)}, ["odd"],
        {"w1": rand(8, 8, 1, 1), "w3": rand(16, 8, 3, 3), "w": rand(8, 24, 3, 3)},
    )
    ctx, module = layout(model)
    c = counts(module)
    assert c["strata.ConvNCHWc"] == 3 and c["Concat"] == 2
    assert c["strata.ReorderToBlocked"] == 1 and c["strata.ReorderFromBlocked"] == 1  # in once, out before the odd Concat
    assert "BlockConcat" in missed(ctx)
    check_numerics(model, ctx, module, {"x": x, "x4": rand(1, 4, 7, 7)})


def test_batchnorm_between_convs_stays_blocked():
    """Conv -> BatchNormalization -> Relu -> Conv (DenseNet's pre-activation order; at
    -O0 nothing folds the BN into the conv): the BN becomes a blocked Mul and Add by
    per-channel constants, and the region does not end."""
    x = rand(1, 8, 6, 6)
    bn = {"s": rand(12) + 2.0, "bb": rand(12), "m": rand(12), "v": np.abs(rand(12)) + 0.5}
    model = chain_model(
        [node("Conv", ["x", "w1"], "a", pads=[1, 1, 1, 1]),
         node("BatchNormalization", ["a", "s", "bb", "m", "v"], "n", epsilon=1e-3), node("Relu", ["n"], "r"),
         node("Conv", ["r", "w2"], "y", pads=[1, 1, 1, 1])],
        {"x": x}, ["y"], {"w1": rand(12, 8, 3, 3), "w2": rand(8, 12, 3, 3), **bn},
    )
    ctx, module = layout(model)
    c = counts(module)
    assert c["strata.ConvNCHWc"] == 2 and c["BatchNormalization"] == 0 and c["Mul"] == 1 and c["Add"] == 1
    assert c["strata.ReorderToBlocked"] == 1 and c["strata.ReorderFromBlocked"] == 1
    check_numerics(model, ctx, module, {"x": x})


def test_region_border_between_two_regions_cancels():
    """Conv -> Relu -> Conv: the From/To pair between them cancels; a second consumer
    of the middle value (a graph output) keeps its own ReorderFromBlocked."""
    x = rand(1, 8, 6, 6)
    model = chain_model(
        [node("Conv", ["x", "w1"], "a", pads=[1, 1, 1, 1]), node("Relu", ["a"], "mid"),
         node("Conv", ["mid", "w2"], "y", pads=[1, 1, 1, 1])],
        {"x": x}, ["y", "mid"], {"w1": rand(8, 8, 3, 3), "w2": rand(8, 8, 3, 3)},
    )
    ctx, module = layout(model)
    assert counts(module) == Counter({"strata.ConvNCHWc": 2, "strata.ReorderToBlocked": 1, "strata.ReorderFromBlocked": 2})
    check_numerics(model, ctx, module, {"x": x})


# ---- where it does not fire ---------------------------------------------------------------


def test_not_fired_depthwise_few_channels_non_constant():
    x = rand(1, 8, 6, 6)
    wdyn = rand(8, 8, 1, 1)
    model = chain_model(
        [node("Conv", ["x", "wd"], "d", group=8, pads=[1, 1, 1, 1]), node("Conv", ["d", "w4"], "e"),
         node("Conv", ["x", "wdyn"], "f"), node("Add", ["e", "e"], "y")],
        {"x": x, "wdyn": wdyn}, ["y", "f"], {"wd": rand(8, 1, 3, 3), "w4": rand(4, 8, 1, 1)},
    )
    ctx, module = layout(model)
    assert counts(module) == Counter({"Conv": 3, "Add": 1})
    reasons = missed(ctx)["BlockConv"]
    assert set(reasons) == {"grouped/depthwise conv is not blocked", "fewer than 8 output channels", "W or B is not a constant"}
    check_numerics(model, ctx, module, {"x": x, "wdyn": wdyn})


# ---- models -------------------------------------------------------------------------------


def test_small_cnn_after_o2():
    """After -O2 (Conv+BN folded) the whole CNN but the classifier is blocked."""
    model = small_cnn()
    shapes = {"image": [2, 3, 16, 16]}
    ctx, module = layout(model, shapes, opt_level=2)
    c = counts(module)
    assert c["strata.ConvNCHWc"] == 3 and c["strata.MaxPoolNCHWc"] == 2 and c["strata.GlobalAveragePoolNCHWc"] == 1
    assert c["strata.ReorderFromBlocked"] == 1 and c["strata.ReorderToBlocked"] == 0 and c["Relu"] == 0
    check_numerics(model, ctx, module, {"image": rand(2, 3, 16, 16)}, shapes)


def test_conv_stack_model():
    model = conv_stack((3, 16), size=10)
    ctx, module = layout(model, opt_level=2)
    c = counts(module)
    assert c["strata.ConvNCHWc"] == 3 and c["strata.ReorderToBlocked"] == 0 and c["strata.ReorderFromBlocked"] == 1
    check_numerics(model, ctx, module, {"x": rand(1, 3, 10, 10)})


def test_fused_conv_is_blocked():
    """strata.FusedConv (from onnx-fuse-activation at -O2) is blocked like a Conv and keeps
    its activation and residual."""
    pytest.importorskip("compiler.passes.fuse_activation")
    from compiler.passes.fuse_activation import FuseActivationPass

    x = rand(1, 8, 6, 6)
    model = chain_model(
        [node("Conv", ["x", "w1"], "a", pads=[1, 1, 1, 1]), node("LeakyRelu", ["a"], "ra", alpha=0.2),
         node("Conv", ["ra", "w2"], "b", pads=[1, 1, 1, 1]), node("Add", ["b", "ra"], "s"),
         node("Clip", ["s", "lo", "hi"], "y")],
        {"x": x}, ["y"], {"w1": rand(16, 8, 3, 3, scale=0.3), "w2": rand(16, 16, 3, 3, scale=0.3),
                          "lo": np.array(-0.5, np.float32), "hi": np.array(0.5, np.float32)},
    )
    ctx = make_context()
    module = import_model(model, ctx.weights, None)
    FuseActivationPass().apply(ctx, module)
    fused = counts(module)["strata.FusedConv"]
    LayoutNchwcPass().apply(ctx, module)
    module.verify()
    c = counts(module)
    assert c["strata.FusedConv"] == 0 and c["Conv"] == 0 and c["strata.ConvNCHWc"] == 2, (fused, c)
    check_numerics(model, ctx, module, {"x": x})
