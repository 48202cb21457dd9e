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
from compiler.passes.layout_nchwc import (
    MAX_GROUPED_WORK,
    LayoutNchwcPass,
    block_depthwise_weights,
    block_diagonal,
    block_weights,
    grouped_block_work,
)
from compiler.pipelines import graph_pipeline
from lowering.target import host_target
from tests.ort_check import chain_model, node, op_counts, run_ort
from tools.example_models import small_cnn
from tools.layout_benchmark import compile_model, conv_stack

RNG = np.random.default_rng(0)
TOL = 1e-4

# Both blocks of the layout: 8 (AVX2) and 16 (AVX-512). Tests whose graph changes with the
# block take it as a parameter; the others pin 8, the block they were written for.
BOTH_BLOCKS = pytest.mark.parametrize("block", [8, 16])


def cpu_for_block(block: int) -> str | None | bool:
    """The compile(cpu=...) whose kernels use `block`: the host when its block is that,
    else the AVX2 CPU znver3 (block 8, runs on any AVX2 host); False when no CPU this
    host runs has that block (block 16 on an AVX2 host)."""
    if host_target().nchwc_block == block:
        return None
    return "znver3" if block == 8 else False


def rand(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def layout(model: onnx.ModelProto, input_shapes=None, opt_level: int = 0, block: int = 8):
    """Imports `model`, runs the -O`opt_level` graph passes, then the layout pass with
    `block`; checks the graph signature is unchanged. Returns (ctx, module)."""
    ctx = make_context()
    module = import_model(model, ctx.weights, input_shapes)
    (fn,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    signature = fn.function_type
    if opt_level:
        graph_pipeline(opt_level).apply(ctx, module)
    LayoutNchwcPass(block=block).apply(ctx, module)
    module.verify()
    assert fn.function_type == signature
    return ctx, module


def counts(module) -> Counter:
    return op_counts(module, constants=False)


def check_numerics(model, ctx, module, feeds, input_shapes=None, tol=TOL, block: int = 8):
    """The rewritten graph (blocked by `block`) exported to ONNX and run by onnxruntime,
    and `model` compiled by Strata for a CPU whose NCHWc block is `block` (when this
    host runs one), both against onnxruntime on `model`."""
    expected = run_ort(model, feeds)
    rewritten = export_model(module, ctx.weights)
    results = {"ort(rewritten)": run_ort(rewritten, feeds)}
    cpu = cpu_for_block(block)
    if cpu is not False:
        results["strata(original, layout)"] = compile_model(model, True, input_shapes, cpu=cpu).run(dict(feeds))
    for who, got in results.items():
        assert len(got) == len(expected), who
        for i, (g, e) in enumerate(zip(got, expected)):
            g, e = np.asarray(g), np.asarray(e)
            assert g.shape == e.shape and g.dtype == e.dtype, f"{who} output {i}"
            # The blocked kernels reassociate sums: the error scales with the size of the
            # values summed, not of a result that cancels out, hence atol relative to the
            # output's scale (some outputs here reach hundreds).
            scale = max(1.0, float(np.max(np.abs(e)))) if e.size else 1.0
            np.testing.assert_allclose(g, e, rtol=tol, atol=tol * scale, err_msg=f"{who} output {i}")


def missed(ctx) -> dict:
    return ctx.pattern_log.to_dict()["missed"]


# ---- weights ------------------------------------------------------------------------------


def test_block_weights_layout():
    w = rand(10, 12, 3, 2)
    blk = block_weights(w, blocked_input=True, block=8)
    assert blk.shape == (2, 2, 3, 2, 8, 8)
    for m, c, kh, kw in [(0, 0, 0, 0), (9, 11, 2, 1), (3, 8, 1, 0)]:
        assert blk[m // 8, c // 8, kh, kw, c % 8, m % 8] == w[m, c, kh, kw]
    assert not blk[1, :, :, :, :, 2:].any()  # output channels 10..15 are padding
    assert not blk[:, 1, :, :, 4:, :].any()  # input channels 12..15 are padding
    plain = block_weights(w, blocked_input=False, block=8)
    assert plain.shape == (2, 12, 3, 2, 1, 8)
    assert plain[1, 5, 2, 1, 0, 1] == w[9, 5, 2, 1]
    b16 = block_weights(w, blocked_input=True, block=16)
    assert b16.shape == (1, 1, 3, 2, 16, 16)
    assert b16[0, 0, 2, 1, 11, 9] == w[9, 11, 2, 1]
    assert not b16[..., 10:].any() and not b16[..., 12:, :].any()
    # 64-byte aligned (the kernels load whole vectors of it), whatever numpy would give.
    assert all(a.ctypes.data % 64 == 0 for a in (blk, plain, b16, block_depthwise_weights(w[:, :1], 16)))


# ---- convolutions -------------------------------------------------------------------------


@BOTH_BLOCKS
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
def test_conv_stack_geometry(attrs, size, block):
    """Conv(16->16) -> Relu -> Conv(16->24): one blocked region, reorders at its ends."""
    x = rand(2, 16, size, size)
    model = chain_model(
        [node("Conv", ["x", "w1", "b1"], "c1", **attrs), node("Relu", ["c1"], "r1"),
         node("Conv", ["r1", "w2", "b2"], "y", kernel_shape=[3, 3], pads=[1, 1, 1, 1])],
        {"x": x}, ["y"],
        {"w1": rand(16, 16, 3, 3, scale=0.2), "b1": rand(16), "w2": rand(24, 16, 3, 3, scale=0.2), "b2": rand(24)},
    )
    ctx, module = layout(model, block=block)
    assert counts(module) == Counter({"strata.ConvNCHWc": 2, "strata.ReorderToBlocked": 1, "strata.ReorderFromBlocked": 1})
    check_numerics(model, ctx, module, {"x": x}, block=block)


@BOTH_BLOCKS
def test_channels_not_multiple_of_8(block):
    """12 -> 20 -> 10 channels: padded lanes are zero weights, sliced off at the end."""
    x = rand(1, 12, 7, 6)
    model = chain_model(
        [node("Conv", ["x", "w1"], "c1", pads=[1, 1, 1, 1]), node("Relu", ["c1"], "r1"),
         node("Conv", ["r1", "w2", "b2"], "y", pads=[0, 1, 0, 1])],
        {"x": x}, ["y"], {"w1": rand(20, 12, 3, 3, scale=0.3), "w2": rand(10, 20, 1, 3, scale=0.3), "b2": rand(10)},
    )
    ctx, module = layout(model, block=block)
    assert counts(module)["strata.ConvNCHWc"] == 2
    check_numerics(model, ctx, module, {"x": x}, block=block)


@BOTH_BLOCKS
@pytest.mark.parametrize("attrs, size", [({"pads": [1, 1, 1, 1], "strides": [2, 2]}, 10), ({"pads": [1, 1, 1, 1]}, 16),
                                         ({"pads": [0, 2, 0, 2], "dilations": [1, 2], "strides": [1, 2]}, 31)])
def test_first_conv_reads_nchw_input(attrs, size, block):
    """C_in = 3 is not blocked: the conv reads the NCHW input (ICL = 1), no reorder in;
    16 and 31 columns make full 6-pixel tiles (kw unrolled) plus border columns."""
    x = rand(1, 3, 7, size)
    model = chain_model([node("Conv", ["x", "w", "b"], "y", **attrs)], {"x": x}, ["y"],
                        {"w": rand(16, 3, 3, 3), "b": rand(16)})
    ctx, module = layout(model, block=block)
    assert counts(module) == Counter({"strata.ConvNCHWc": 1, "strata.ReorderFromBlocked": 1})
    check_numerics(model, ctx, module, {"x": x}, block=block)


@BOTH_BLOCKS
@pytest.mark.parametrize("size", [7, 28, 9])
def test_pointwise_convs_run_over_pixel_rows(size, block):
    """1x1 stride-1 convs tile their H x W pixels as rows of pixel_rows(): 7 x 7 as one
    row of 49, 28 x 28 as 4 rows of 196, 9 x 9 as one row of 81. Covered: an NCHW
    input (3 channels), 4 output blocks per tile (32 -> 32 channels), a residual z and
    a channel count that is no multiple of 8 (20)."""
    from lowering.kernels.conv_nchwc import pixel_rows

    assert pixel_rows(49) == (1, 49) and pixel_rows(784) == (4, 196) and pixel_rows(3136) == (14, 224)
    x = rand(1, 3, size, size)
    model = chain_model(
        [node("Conv", ["x", "w1", "b1"], "a"), node("Relu", ["a"], "ra"),
         node("Conv", ["ra", "w2", "b2"], "b"), node("Add", ["b", "ra"], "s"), node("Relu", ["s"], "rs"),
         node("Conv", ["rs", "w3"], "y")],
        {"x": x}, ["y"],
        {"w1": rand(32, 3, 1, 1), "b1": rand(32), "w2": rand(32, 32, 1, 1, scale=0.2), "b2": rand(32),
         "w3": rand(20, 32, 1, 1, scale=0.2)},
    )
    ctx, module = layout(model, block=block)
    assert counts(module)["strata.ConvNCHWc"] == 3
    check_numerics(model, ctx, module, {"x": x}, block=block)


@BOTH_BLOCKS
@pytest.mark.parametrize("c, m, size", [(72, 48, (7, 9)), (144, 32, (14, 14)), (320, 64, (6, 6))])
def test_input_block_chunks(c, m, size, block, monkeypatch):
    """Convs with more input blocks than one chunk of L1-sized weights (icb_chunk) reduce
    chunk by chunk through a buffer of output rows (row_group): 72 channels in blocks of
    8 make a ragged last chunk, 7 x 9 and 6 x 6 maps group their rows; a residual Add
    and Relu run after the last chunk. Bit for bit the sums of the unchunked kernel, so
    compared with onnxruntime at the usual tolerance."""
    from lowering.kernels.conv_nchwc import icb_chunk, register_tile
    from lowering.target import target_for

    x = rand(1, c, *size)
    model = chain_model(
        [node("Conv", ["x", "w3", "b3"], "a", pads=[1, 1, 1, 1]), node("Conv", ["x", "w1"], "b"),
         node("Add", ["a", "b"], "s"), node("Relu", ["s"], "y")],
        {"x": x}, ["y"], {"w3": rand(m, c, 3, 3, scale=0.1), "b3": rand(m), "w1": rand(m, c, 1, 1, scale=0.1)},
    )
    ctx, module = layout(model, block=block)
    assert counts(module)["strata.ConvNCHWc"] == 2
    cpu = cpu_for_block(block)
    target = target_for(cpu or None)
    icb = -(-c // block)
    oc_tile, _ = register_tile(target, -(-m // block))
    assert icb_chunk(oc_tile, 3, 3, block, block) < icb  # the 3 x 3 conv runs in chunks
    check_numerics(model, ctx, module, {"x": x}, block=block)
    if cpu is False:
        return
    import lowering.kernels.conv_nchwc as conv_nchwc

    chunked = compile_model(model, True, cpu=cpu).run({"x": x})[0]
    monkeypatch.setenv("STRATA_KERNEL_CACHE", "0")
    monkeypatch.setattr(conv_nchwc, "WEIGHT_CHUNK_BYTES", 1 << 40)  # one chunk: the plain reduction
    np.testing.assert_array_equal(chunked, compile_model(model, True, cpu=cpu).run({"x": x})[0])


@pytest.mark.parametrize("tail", ["swish", "sin"])
def test_pointwise_conv_as_fused_group_anchor(tail):
    """A 1x1 conv whose elementwise consumers fuse into its kernel (Fused(ConvNCHWc,
    ...)): the group rewrites the conv's stores into its epilogue, so the conv keeps
    its image rows there (the pixel-row view would hide the stores; EfficientNet's
    squeeze-excite convs failed to compile with it)."""
    from compiler import compile as strata_compile

    x = rand(1, 16, 7, 7)
    ops = [node("Conv", ["x", "w", "b"], "c")]
    ops += ([node("Sigmoid", ["c"], "s"), node("Mul", ["c", "s"], "y")] if tail == "swish" else [node("Sin", ["c"], "y")])
    model = chain_model(ops, {"x": x}, ["y"], {"w": rand(32, 16, 1, 1, scale=0.2), "b": rand(32)})
    compiled = strata_compile(model, num_threads=1)
    np.testing.assert_allclose(compiled.run({"x": x})[0], run_ort(model, {"x": x})[0], rtol=1e-4, atol=1e-5)


@BOTH_BLOCKS
def test_residual_add_and_relu_fold_into_conv(block):
    """Conv -> Add(other blocked value) -> Relu becomes one ConvNCHWc with z and Relu."""
    x = rand(1, 8, 6, 6)
    model = chain_model(
        [node("Conv", ["x", "w1"], "a", pads=[1, 1, 1, 1]), node("Relu", ["a"], "ra"),
         node("Conv", ["ra", "w2"], "b", pads=[1, 1, 1, 1]), node("Add", ["b", "ra"], "s"), node("Relu", ["s"], "y")],
        {"x": x}, ["y"], {"w1": rand(16, 8, 3, 3, scale=0.3), "w2": rand(16, 16, 3, 3, scale=0.3)},
    )
    ctx, module = layout(model, block=block)
    reorders_in = int(x.shape[1] >= block)  # fewer channels than a block: the conv reads NCHW x
    assert counts(module) == Counter({"strata.ConvNCHWc": 2, "strata.ReorderToBlocked": reorders_in, "strata.ReorderFromBlocked": 1})
    convs = [op for op in module.walk() if op.name == "strata.ConvNCHWc"]
    assert [c.activation.data for c in convs] == ["Relu", "Relu"]
    assert convs[1].z is not None and convs[1].z == convs[0].y
    check_numerics(model, ctx, module, {"x": x}, block=block)


@BOTH_BLOCKS
def test_elementwise_and_channel_constants_stay_blocked(block):
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
    ctx, module = layout(model, block=block)
    reorders_in = int(x.shape[1] >= block)  # fewer channels than a block: the conv reads NCHW x
    c = counts(module)
    assert c["strata.ReorderToBlocked"] == reorders_in and c["strata.ReorderFromBlocked"] == 1
    assert c["Sigmoid"] == 1 and c["Mul"] == 2 and c["Add"] == 3
    check_numerics(model, ctx, module, {"x": x}, block=block)


@BOTH_BLOCKS
def test_pooling_blocked(block):
    x = rand(2, 8, 9, 9)
    model = chain_model(
        [node("Conv", ["x", "w"], "c", pads=[1, 1, 1, 1]),
         node("MaxPool", ["c"], "mp", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1),
         node("AveragePool", ["mp"], "ap", kernel_shape=[2, 2], pads=[1, 0, 1, 0], count_include_pad=1),
         node("AveragePool", ["ap"], "ap2", kernel_shape=[2, 2], pads=[0, 1, 0, 1]),
         node("GlobalAveragePool", ["ap2"], "g"), node("Flatten", ["g"], "y")],
        {"x": x}, ["y"], {"w": rand(16, 8, 3, 3)},
    )
    ctx, module = layout(model, block=block)
    c = counts(module)
    assert c["strata.MaxPoolNCHWc"] == 1 and c["strata.AveragePoolNCHWc"] == 2 and c["strata.GlobalAveragePoolNCHWc"] == 1
    assert c["strata.ReorderFromBlocked"] == 1  # only before Flatten
    check_numerics(model, ctx, module, {"x": x}, block=block)


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


@BOTH_BLOCKS
def test_batchnorm_between_convs_stays_blocked(block):
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
    ctx, module = layout(model, block=block)
    reorders_in = int(x.shape[1] >= block)  # fewer channels than a block: the conv reads NCHW x
    c = counts(module)
    assert c["strata.ConvNCHWc"] == 2 and c["BatchNormalization"] == 0 and c["Mul"] == 1 and c["Add"] == 1
    assert c["strata.ReorderToBlocked"] == reorders_in and c["strata.ReorderFromBlocked"] == 1
    check_numerics(model, ctx, module, {"x": x}, block=block)


@BOTH_BLOCKS
def test_region_border_between_two_regions_cancels(block):
    """Conv -> Relu -> Conv: the From/To pair between them cancels; a second consumer
    of the middle value (a graph output) keeps its own ReorderFromBlocked."""
    x = rand(1, 8, 6, 6)
    model = chain_model(
        [node("Conv", ["x", "w1"], "a", pads=[1, 1, 1, 1]), node("Relu", ["a"], "mid"),
         node("Conv", ["mid", "w2"], "y", pads=[1, 1, 1, 1])],
        {"x": x}, ["y", "mid"], {"w1": rand(8, 8, 3, 3), "w2": rand(8, 8, 3, 3)},
    )
    ctx, module = layout(model, block=block)
    reorders_in = int(x.shape[1] >= block)  # fewer channels than a block: the conv reads NCHW x
    assert counts(module) == Counter({"strata.ConvNCHWc": 2, "strata.ReorderToBlocked": reorders_in, "strata.ReorderFromBlocked": 2})
    check_numerics(model, ctx, module, {"x": x}, block=block)


# ---- where it does not fire ---------------------------------------------------------------


def test_not_fired_small_groups_few_channels_non_constant():
    """Groups of 2 channels (a dense blocked kernel would do 8x the work), a depthwise
    conv with multiplier 2 (a grouped conv with 1 input channel per group), 4 output
    channels, a non-constant W."""
    x = rand(1, 16, 6, 6)
    wdyn = rand(8, 16, 1, 1)
    model = chain_model(
        [node("Conv", ["x", "wg"], "d", group=8, pads=[1, 1, 1, 1]), node("Conv", ["d", "w4"], "e"),
         node("Conv", ["x", "wm"], "m", group=16), node("Conv", ["x", "wdyn"], "f"), node("Add", ["e", "e"], "y")],
        {"x": x, "wdyn": wdyn}, ["y", "f", "m"], {"wg": rand(16, 2, 3, 3), "w4": rand(4, 16, 1, 1), "wm": rand(32, 1, 1, 1)},
    )
    ctx, module = layout(model)
    assert counts(module) == Counter({"Conv": 4, "Add": 1})
    reasons = missed(ctx)["BlockConv"]
    assert set(reasons) == {"grouped conv with too few channels per group for the blocked kernel",
                            "fewer than 8 output channels", "W or B is not a constant"}
    check_numerics(model, ctx, module, {"x": x, "wdyn": wdyn})


# ---- depthwise and grouped convolutions ---------------------------------------------------


def test_block_depthwise_and_grouped_weights():
    w = rand(12, 1, 3, 2)
    blk = block_depthwise_weights(w, 8)
    assert blk.shape == (2, 3, 2, 8)
    for c, kh, kw in [(0, 0, 0), (11, 2, 1), (9, 1, 0)]:
        assert blk[c // 8, kh, kw, c % 8] == w[c, 0, kh, kw]
    assert not blk[1, :, :, 4:].any()  # channels 12..15 are padding
    g = rand(6, 2, 1, 1)  # 3 groups: 6 -> 6 channels, 2 per group
    dense = block_diagonal(g, 3)
    assert dense.shape == (6, 6, 1, 1)
    assert dense[5, 5, 0, 0] == g[5, 1, 0, 0] and dense[2, 3, 0, 0] == g[2, 1, 0, 0] and dense[2, 1, 0, 0] == 0
    assert grouped_block_work(136, 136, 4, 8) < 1.5 and grouped_block_work(16, 16, 8, 8) == 8.0
    assert grouped_block_work(32, 32, 16, 8) == 8.0 and grouped_block_work(32, 32, 16, 16) == 16.0
    b16 = block_depthwise_weights(w, 16)
    assert b16.shape == (1, 3, 2, 16) and b16[0, 2, 1, 11] == w[11, 0, 2, 1] and not b16[..., 12:].any()


@BOTH_BLOCKS
@pytest.mark.parametrize(
    "channels, attrs, size",
    [
        (8, {"pads": [1, 1, 1, 1]}, 9),
        (16, {"pads": [1, 1, 1, 1], "strides": [2, 2]}, 11),
        (24, {"pads": [1, 1, 1, 1]}, 21),  # two full 8-pixel tiles plus borders
        (16, {"pads": [1, 1, 1, 1], "strides": [2, 2]}, 40),
        (12, {"pads": [1, 1, 1, 1], "strides": [2, 2]}, 13),  # padded to 16 lanes
        (8, {"pads": [2, 0, 2, 1], "dilations": [2, 2], "strides": [1, 2]}, 19),
        (16, {}, 3),  # window as large as the input
    ],
)
def test_depthwise_conv_blocked(channels, attrs, size, block):
    """Depthwise Conv -> Relu: one DepthwiseConvNCHWc with the Relu folded in."""
    x = rand(2, channels, size, size)
    model = chain_model(
        [node("Conv", ["x", "w", "b"], "d", group=channels, kernel_shape=[3, 3], **attrs), node("Relu", ["d"], "y")],
        {"x": x}, ["y"], {"w": rand(channels, 1, 3, 3), "b": rand(channels)},
    )
    ctx, module = layout(model, block=block)
    assert counts(module) == Counter(
        {"strata.DepthwiseConvNCHWc": 1, "strata.ReorderToBlocked": 1, "strata.ReorderFromBlocked": 1})
    (dw,) = [op for op in module.walk() if op.name == "strata.DepthwiseConvNCHWc"]
    assert dw.activation.data == "Relu"
    check_numerics(model, ctx, module, {"x": x}, block=block)


@BOTH_BLOCKS
def test_depthwise_between_convs_with_residual(block):
    """Conv -> depthwise (stride 1, no bias) -> Add(conv output): the region stays blocked
    and the Add becomes the depthwise conv's residual."""
    x = rand(1, 8, 10, 10)
    model = chain_model(
        [node("Conv", ["x", "w1"], "a", pads=[1, 1, 1, 1]), node("Relu", ["a"], "ra"),
         node("Conv", ["ra", "wd"], "d", group=16, pads=[1, 1, 1, 1]), node("Add", ["d", "ra"], "s"),
         node("Conv", ["s", "w2"], "y")],
        {"x": x}, ["y"], {"w1": rand(16, 8, 3, 3, scale=0.3), "wd": rand(16, 1, 3, 3), "w2": rand(8, 16, 1, 1)},
    )
    ctx, module = layout(model, block=block)
    reorders_in = int(x.shape[1] >= block)  # fewer channels than a block: the conv reads NCHW x
    assert counts(module) == Counter({"strata.ConvNCHWc": 2, "strata.DepthwiseConvNCHWc": 1,
                                      "strata.ReorderToBlocked": reorders_in, "strata.ReorderFromBlocked": 1})
    (dw,) = [op for op in module.walk() if op.name == "strata.DepthwiseConvNCHWc"]
    assert dw.z is not None
    check_numerics(model, ctx, module, {"x": x}, block=block)


@BOTH_BLOCKS
@pytest.mark.parametrize(
    "c, m, group, kernel, attrs, size",
    [
        (16, 32, 2, 3, {"pads": [1, 1, 1, 1]}, 9),  # 8 -> 16 channels per group
        (24, 112, 4, 1, {}, 7),  # ShuffleNet's first grouped conv: 6 -> 28, blocks straddle groups
        (136, 136, 4, 1, {"strides": [2, 2]}, 9),  # 34 -> 34 per group
        (48, 24, 3, 3, {"pads": [0, 1, 2, 1]}, 8),  # 16 -> 8: one output block per group
        (4, 16, 2, 3, {"pads": [1, 1, 1, 1]}, 9),  # NCHW x (ICL = 1): 2 -> 8 per group
    ],
)
def test_grouped_conv_blocked(c, m, group, kernel, attrs, size, block):
    x = rand(2, c, size, size)
    model = chain_model(
        [node("Conv", ["x", "w", "b"], "d", group=group, kernel_shape=[kernel, kernel], **attrs), node("Relu", ["d"], "y")],
        {"x": x}, ["y"], {"w": rand(m, c // group, kernel, kernel, scale=0.3), "b": rand(m)},
    )
    ctx, module = layout(model, block=block)
    if grouped_block_work(c, m, group, block) > MAX_GROUPED_WORK:  # 2 -> 8 per group in blocks of 16
        assert counts(module)["strata.ConvNCHWc"] == 0
        check_numerics(model, ctx, module, {"x": x}, block=block)
        return
    reorders_in = 1 if c >= block else 0
    assert counts(module) == Counter(
        {"strata.ConvNCHWc": 1, "strata.ReorderToBlocked": reorders_in, "strata.ReorderFromBlocked": 1}) - Counter()
    (conv,) = [op for op in module.walk() if op.name == "strata.ConvNCHWc"]
    assert list(conv.group_channels.get_values()) == [c // group, m // group]
    check_numerics(model, ctx, module, {"x": x}, block=block)


# ---- models -------------------------------------------------------------------------------


@BOTH_BLOCKS
def test_small_cnn_after_o2(block):
    """After -O2 (Conv+BN folded) the whole CNN but the classifier is blocked."""
    model = small_cnn()
    shapes = {"image": [2, 3, 16, 16]}
    ctx, module = layout(model, shapes, opt_level=2, block=block)
    c = counts(module)
    assert c["strata.ConvNCHWc"] == 3 and c["strata.MaxPoolNCHWc"] == 2 and c["strata.GlobalAveragePoolNCHWc"] == 1
    assert c["strata.ReorderFromBlocked"] == 1 and c["strata.ReorderToBlocked"] == 0 and c["Relu"] == 0
    check_numerics(model, ctx, module, {"image": rand(2, 3, 16, 16)}, shapes, block=block)


@pytest.mark.parametrize("channels, group", [(16, 2), (24, 4), (48, 3)])
def test_channel_shuffle_stays_blocked(channels, group):
    """Grouped 1x1 conv -> Relu -> channel shuffle (Reshape, Transpose, Reshape) ->
    depthwise conv: one region, the shuffle a ChannelShuffleNCHWc. A shuffle of 12
    channels (not whole blocks) stays in NCHW and says why."""
    x = rand(1, channels, 5, 6)
    k = channels // group
    model = chain_model(
        [node("Conv", ["x", "wg"], "a", group=group), node("Relu", ["a"], "r"),
         node("Reshape", ["r", "s1"], "h"), node("Transpose", ["h"], "t", perm=[0, 2, 1, 3, 4]),
         node("Reshape", ["t", "s2"], "q"), node("Conv", ["q", "wd"], "y", group=channels, pads=[1, 1, 1, 1])],
        {"x": x}, ["y"],
        {"wg": rand(channels, k, 1, 1, scale=0.3), "wd": rand(channels, 1, 3, 3),
         "s1": np.array([1, group, k, 5, 6], np.int64), "s2": np.array([1, channels, 5, 6], np.int64)},
    )
    ctx, module = layout(model)
    assert counts(module) == Counter({"strata.ConvNCHWc": 1, "strata.ChannelShuffleNCHWc": 1, "strata.DepthwiseConvNCHWc": 1,
                                      "strata.ReorderToBlocked": 1, "strata.ReorderFromBlocked": 1})
    check_numerics(model, ctx, module, {"x": x})


def test_channel_shuffle_not_whole_blocks():
    x = rand(1, 12, 4, 4)
    model = chain_model(
        [node("Conv", ["x", "w"], "a"), node("Reshape", ["a", "s1"], "h"), node("Transpose", ["h"], "t", perm=[0, 2, 1, 3, 4]),
         node("Reshape", ["t", "s2"], "y")],
        {"x": x}, ["y"],
        {"w": rand(12, 12, 1, 1), "s1": np.array([1, 3, 4, 4, 4], np.int64), "s2": np.array([1, 12, 4, 4], np.int64)},
    )
    ctx, module = layout(model)
    assert counts(module)["strata.ChannelShuffleNCHWc"] == 0
    assert set(missed(ctx)["BlockChannelShuffle"]) == {"channel shuffle of a channel count that is not a multiple of the block 8"}
    check_numerics(model, ctx, module, {"x": x})


def test_shufflenet_light_o3_matches_ort():
    """onnx's light ShuffleNet (v1: 4-group 1x1 convs, depthwise 3x3, channel shuffles) at
    -O3: every conv and shuffle is blocked, and the compiled model matches onnxruntime."""
    import os

    import compiler

    path = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light", "light_shufflenet.onnx")
    if not os.path.exists(path):
        pytest.skip("onnx's light models are not installed")
    model = onnx.load(path)
    # Block 8: at 16, the shuffles of channel counts that 16 does not divide leave the region.
    compiled = compiler.compile(model, opt_level=3, cpu="znver3")
    (name,) = [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    feeds = {name: rand(1, 3, 224, 224)}
    expected = run_ort(model, feeds)
    got = compiled.run(dict(feeds))
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-4, atol=1e-5)
    log = compiled.stats["graph_passes"]["patterns"]
    assert not log["missed"].get("BlockConv") and not log["missed"].get("BlockChannelShuffle"), log["missed"]
    assert log["fired"].get("BlockChannelShuffle", 0) >= 16, log["fired"]


@BOTH_BLOCKS
def test_conv_stack_model(block):
    model = conv_stack((3, 16), size=10)
    ctx, module = layout(model, opt_level=2, block=block)
    c = counts(module)
    assert c["strata.ConvNCHWc"] == 3 and c["strata.ReorderToBlocked"] == 0 and c["strata.ReorderFromBlocked"] == 1
    check_numerics(model, ctx, module, {"x": rand(1, 3, 10, 10)}, block=block)


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
    LayoutNchwcPass(block=8).apply(ctx, module)
    module.verify()
    c = counts(module)
    assert c["strata.FusedConv"] == 0 and c["Conv"] == 0 and c["strata.ConvNCHWc"] == 2, (fused, c)
    check_numerics(model, ctx, module, {"x": x})
