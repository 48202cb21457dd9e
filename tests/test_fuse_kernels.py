"""fuse-kernels and the fused-group lowering change no result: each model is checked
against onnxruntime twice, once as the fused graph exported back to ONNX (the groups
become model-local functions) and once compiled by Strata (which runs fuse-kernels
before lowering). Which ops were grouped, and why others were not, is checked from
the pass's report."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

import compiler
from compiler.context import make_context
from compiler.onnx_export import export_model
from compiler.onnx_import import import_model
from compiler.pipelines import graph_pipeline
from dialects.onnx import ONNX_OP_CLASSES
from dialects.onnx import ELEMENTWISE_OP_NAMES
from dialects.onnx.traits import Elementwise
from dialects.strata import STRATA_OP_CLASSES
from dialects.strata.kernel_group import FusedKernelOp
from lowering.kernels.elementwise import SCALAR_BODIES
from lowering.fuse_kernels import FuseKernelsPass
from lowering.target import host_target
from tests.ort_check import chain_model, graph_ops, node, run_ort
from tools.example_models import EXAMPLES, example_inputs

RNG = np.random.default_rng(7)


def _rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def _compare(got, expected, rtol=1e-5, atol=1e-5):
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        e = np.asarray(e)
        assert g.shape == e.shape and g.dtype == e.dtype, f"output {i}: {g.dtype}{g.shape} vs {e.dtype}{e.shape}"
        if e.dtype.kind == "f":
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(g, e, err_msg=f"output {i}")


def fuse(model, max_ops: int = 24, opt_level: int = 0, **options):
    """Imports, runs the -O`opt_level` graph pipeline, then fuse-kernels."""
    ctx = make_context()
    module = import_model(model, ctx.weights)
    if opt_level:
        graph_pipeline(opt_level).apply(ctx, module)
    FuseKernelsPass(max_ops=max_ops, **options).apply(ctx, module)
    module.verify()
    return module, ctx


def groups(module) -> list[list[str]]:
    """Op types of each group, in graph order."""
    return [g.op_types() for g in graph_ops(module) if isinstance(g, FusedKernelOp)]


def check(model, feeds, max_ops: int = 24, rtol=1e-5, atol=1e-5, opt_level: int = 0):
    """Fuses (after the -O`opt_level` graph passes), then compares the exported fused
    graph and the compiled model (at -O1, or `opt_level` if higher) with onnxruntime on
    the original model. Returns the fused module, its context and the compiled model's
    stats."""
    expected = run_ort(model, feeds)
    module, ctx = fuse(model, max_ops, opt_level)
    _compare(run_ort(export_model(module, ctx.weights), feeds), expected, rtol, atol)
    compiled = compiler.compile(model, opt_level=max(1, opt_level))  # -O0 does not fuse kernels
    _compare(compiled.run(dict(feeds)), expected, rtol, atol)
    return module, ctx, compiled.stats


def test_chain_with_broadcast():
    x, b = _rand(4, 5, 3), _rand(3)
    model = chain_model(
        [node("Add", ["x", "b"], "s"), node("Relu", ["s"], "r"), node("Mul", ["r", "x"], "m"), node("Sigmoid", ["m"], "y")],
        {"x": x, "b": b},
        ["y"],
    )
    module, ctx, stats = check(model, {"x": x, "b": b})
    assert groups(module) == [["Add", "Relu", "Mul", "Sigmoid"]]
    assert ctx.report["fused_ops"] == 4
    assert ctx.report["kernels_before_fusion"] == 4 and ctx.report["kernels_after_fusion"] == 1
    assert stats["kernels"] == 1


def test_tree_multi_output():
    """c is returned and d is read by a Transpose outside the group: both become
    group outputs; y broadcasts along the first dim."""
    x, y = _rand(4, 3), _rand(1, 3)
    model = chain_model(
        [
            node("Exp", ["x"], "a"),
            node("Tanh", ["y"], "t"),
            node("Add", ["a", "t"], "c"),
            node("Mul", ["c", "a"], "d"),
            node("Sub", ["d", "c"], "e"),
            node("Transpose", ["d"], "dt"),
        ],
        {"x": x, "y": y},
        ["e", "c", "dt"],
    )
    module, ctx, _ = check(model, {"x": x, "y": y})
    # Tanh's output [1, 3] is smaller than the group's [4, 3]: not fused.
    assert groups(module) == [["Exp", "Add", "Mul", "Sub"]]
    (group,) = [op for op in graph_ops(module) if isinstance(op, FusedKernelOp)]
    assert [r.name_hint for r in group.results] == ["c", "d", "e"]
    assert any("Tanh 't_node' -> Add 'c_node': not fused: shape mismatch" in line for line in ctx.report["fusion_log"])


def test_mixed_types_where_cast_clip():
    x, z = _rand(2, 3, 4), _rand(4)
    feeds = {"x": x, "z": z}
    model = chain_model(
        [
            node("Greater", ["x", "z"], "cond"),
            node("Neg", ["x"], "nx"),
            node("Where", ["cond", "x", "nx"], "w"),
            node("Mul", ["w", "ten"], "w10"),
            node("Cast", ["w10"], "i", to=6),  # int32
            node("Add", ["i", "one"], "j"),
            node("Cast", ["j"], "k", to=1),
            node("Clip", ["k", "lo", "hi"], "y"),
            node("Not", ["cond"], "nc"),
        ],
        feeds,
        ["y", "nc"],
        initializers={
            "ten": np.float32(10),
            "one": np.array([1, 2, 3, 4], np.int32),
            "lo": np.float32(2),
            "hi": np.float32(9),
        },
    )
    module, _, _ = check(model, feeds)
    assert len(groups(module)) == 1 and len(groups(module)[0]) == 9


def test_integer_division_group():
    a = RNG.integers(-50, 50, (3, 4)).astype(np.int32)
    b = RNG.integers(1, 7, (4,)).astype(np.int32)
    model = chain_model(
        [node("Div", ["a", "b"], "q"), node("Mod", ["q", "b"], "r"), node("Abs", ["r"], "y")],
        {"a": a, "b": b},
        ["y"],
    )
    module, _, _ = check(model, {"a": a, "b": b})
    assert groups(module) == [["Div", "Mod", "Abs"]]


def test_softmax_prologue_and_epilogue():
    """The Add producing the Softmax input is recomputed at each Softmax load; the
    Softmax result is also returned (stored) and the Mul/Add epilogue runs at its store."""
    x, w = _rand(3, 7), _rand(7)
    model = chain_model(
        [
            node("Add", ["x", "w"], "a"),
            node("Softmax", ["a"], "p"),
            node("Mul", ["p", "w"], "m"),
            node("Add", ["m", "x"], "y"),
        ],
        {"x": x, "w": w},
        ["y", "p"],
    )
    module, _, _ = check(model, {"x": x, "w": w})
    assert groups(module) == [["Add", "Softmax", "Mul", "Add"]]


def test_prologue_needed_elsewhere_is_refused():
    """A producer of a reduction whose value is also returned, or also read by the
    epilogue, is not recomputed inside the reduction (it has to be stored anyway)."""
    x, g = _rand(2, 8), _rand(8)
    model = chain_model(
        [
            node("Exp", ["x"], "e"),
            node("Softmax", ["e"], "p"),
            node("Add", ["x", "g"], "r"),
            node("LayerNormalization", ["r", "g"], "n"),
            node("Add", ["n", "r"], "y"),
        ],
        {"x": x, "g": g},
        ["p", "e", "y"],
    )
    module, ctx, _ = check(model, {"x": x, "g": g}, rtol=1e-4)
    assert groups(module) == [["LayerNormalization", "Add"]]
    log = ctx.report["fusion_log"]
    assert any("Exp 'e_node' -> Softmax 'p_node': not fused: producer of Softmax is also a graph output" in line for line in log)
    assert any("Add 'r_node' -> LayerNormalization 'n_node': not fused: producer of LayerNormalization is also used elsewhere" in line for line in log)
    assert any("Add 'r_node' -> Add 'y_node': not fused: Add 'r_node' feeds the LayerNormalization and its epilogue" in line for line in log)


def test_reduce_prologue_broadcast():
    """A ReduceSum over Mul(x, w) (w broadcast) with keepdims=0, then Sqrt: one kernel
    whose loop reads x and w directly."""
    x, w = _rand(3, 4, 5), _rand(4, 1)
    model = chain_model(
        [node("Mul", ["x", "w"], "m"), node("Abs", ["m"], "a"), node("ReduceSum", ["a", "ax"], "s", keepdims=0), node("Sqrt", ["s"], "y")],
        {"x": x, "w": w},
        ["y"],
        initializers={"ax": np.array([0, 2], np.int64)},
    )
    module, _, stats = check(model, {"x": x, "w": w})
    assert groups(module) == [["Mul", "Abs", "ReduceSum", "Sqrt"]]
    assert stats["kernels"] == 1


def test_layer_norm_epilogue():
    x, g, b = _rand(2, 5, 8), _rand(8), _rand(8)
    model = chain_model(
        [
            node("LayerNormalization", ["x", "g", "b"], "n"),
            node("Relu", ["n"], "r"),
            node("Mul", ["r", "g"], "y"),
        ],
        {"x": x, "g": g, "b": b},
        ["y"],
    )
    module, _, _ = check(model, {"x": x, "g": g, "b": b}, rtol=1e-4, atol=1e-5)
    assert groups(module) == [["LayerNormalization", "Relu", "Mul"]]


def test_reduction_epilogues():
    """keepdims=1 and keepdims=0 reductions with epilogues over their result shape;
    LogSoftmax -> Exp. ReduceMax -> Sub (iterating the input shape) does not fuse."""
    x = np.abs(_rand(3, 4, 5)) + 0.1
    model = chain_model(
        [
            node("ReduceSumSquare", ["x", "ax1"], "s", keepdims=1),
            node("Sqrt", ["s"], "y1"),
            node("ReduceMean", ["x", "ax1"], "m", keepdims=0),
            node("Neg", ["m"], "nm"),
            node("Mul", ["nm", "m"], "y2"),
            node("ReduceMax", ["x", "ax2"], "mx", keepdims=1),
            node("Sub", ["x", "mx"], "y3"),
            node("LogSoftmax", ["x"], "ls", axis=1),
            node("Exp", ["ls"], "y4"),
        ],
        {"x": x},
        ["y1", "y2", "y3", "y4"],
        initializers={"ax1": np.array([1], np.int64), "ax2": np.array([2], np.int64)},
    )
    module, ctx, _ = check(model, {"x": x})
    assert groups(module) == [["ReduceSumSquare", "Sqrt"], ["ReduceMean", "Neg", "Mul"], ["LogSoftmax", "Exp"]]
    assert any("ReduceMax 'mx_node' -> Sub 'y3_node': not fused: shape mismatch" in line for line in ctx.report["fusion_log"])


def test_cycle_is_refused():
    """a -> Transpose -> d and a -> c -> d: grouping a with c/d would leave the group
    through the Transpose and come back."""
    x = _rand(4, 4)
    model = chain_model(
        [
            node("Sigmoid", ["x"], "a"),
            node("Exp", ["a"], "c"),
            node("Transpose", ["a"], "t"),
            node("Add", ["c", "t"], "y"),
        ],
        {"x": x},
        ["y"],
    )
    module, ctx, _ = check(model, {"x": x})
    assert groups(module) == [["Exp", "Add"]]
    assert any("Sigmoid 'a_node' -> Exp 'c_node': not fused: cycle" in line for line in ctx.report["fusion_log"])


def test_size_cap():
    x = _rand(2, 3)
    ops = ["Relu", "Neg", "Exp", "Sigmoid", "Tanh"]
    names = ["x"] + [f"v{i}" for i in range(len(ops))]
    model = chain_model([node(op, [names[i]], names[i + 1]) for i, op in enumerate(ops)], {"x": x}, [names[-1]])
    expected = run_ort(model, {"x": x})
    module, ctx = fuse(model, max_ops=2)
    _compare(run_ort(export_model(module, ctx.weights), {"x": x}), expected)
    assert [len(g) for g in groups(module)] == [2, 2]
    assert any("size cap" in line for line in ctx.report["fusion_log"])


def test_unfusible_ops_are_logged():
    x = _rand(2, 3, 4)
    model = chain_model(
        [node("Transpose", ["x"], "t", perm=[0, 2, 1]), node("Relu", ["t"], "y")], {"x": x}, ["y"]
    )
    module, ctx, _ = check(model, {"x": x})
    assert groups(module) == []
    assert ctx.report["fusion_log"] == ["Transpose 't_node' -> Relu 'y_node': not fused: not a fusible op kind (Transpose)"]


# ---- compute anchors (Conv / MatMul / Gemm and their fused forms) with an epilogue ----


def test_conv_residual_sigmoid_epilogue():
    """Conv -> Add(residual graph input) -> Sigmoid: one kernel; the conv result is
    never stored (only the Sigmoid's)."""
    x, w, b, r = _rand(1, 3, 7, 7), _rand(4, 3, 3, 3), _rand(4), _rand(1, 4, 7, 7)
    model = chain_model(
        [node("Conv", ["x", "w", "b"], "c", pads=[1, 1, 1, 1]), node("Add", ["c", "r"], "a"), node("Sigmoid", ["a"], "y")],
        {"x": x, "r": r},
        ["y"],
        initializers={"w": w, "b": b},
    )
    module, ctx, stats = check(model, {"x": x, "r": r})
    assert groups(module) == [["Conv", "Add", "Sigmoid"]]
    (group,) = [op for op in graph_ops(module) if isinstance(op, FusedKernelOp)]
    assert "strata.elementwise" not in group.attributes
    assert [r.name_hint for r in group.results] == ["y"]
    assert stats["kernels"] == 1 and stats["fused_ops"] == 3


@pytest.mark.parametrize("k,n", [(5, 4), (16, 12)])
def test_matmul_mul_tanh_with_product_also_returned(k, n):
    """MatMul (batched, broadcast B) -> Mul(per-column scale) -> Tanh; the product is
    also returned, so it is stored too, from the same store position (N = 12: the
    register-tiled f32 kernel, where it applies)."""
    a, bm, s = _rand(2, 3, k), _rand(k, n), _rand(n)
    model = chain_model(
        [node("MatMul", ["a", "bm"], "m"), node("Mul", ["m", "s"], "ms"), node("Tanh", ["ms"], "y")],
        {"a": a, "s": s},
        ["y", "m"],
        initializers={"bm": bm},
    )
    module, _, stats = check(model, {"a": a, "s": s})
    assert groups(module) == [["MatMul", "Mul", "Tanh"]]
    (group,) = [op for op in graph_ops(module) if isinstance(op, FusedKernelOp)]
    assert [r.name_hint for r in group.results] == ["m", "y"]
    assert stats["kernels"] == 1


def test_matmul_vector_operand_epilogue():
    """A 1-D B drops the last dim of the result; the epilogue iterates the result shape."""
    a, v, c = _rand(3, 6), _rand(6), _rand(3)
    model = chain_model(
        [node("MatMul", ["a", "v"], "m"), node("Sub", ["m", "c"], "d"), node("Abs", ["d"], "y")],
        {"a": a, "c": c},
        ["y"],
        initializers={"v": v},
    )
    module, _, _ = check(model, {"a": a, "c": c})
    assert groups(module) == [["MatMul", "Sub", "Abs"]]


@pytest.mark.parametrize("trans_b,n", [(0, 4), (1, 4), (0, 12), (1, 12)])
def test_gemm_relu_at_o1(trans_b, n):
    """At -O1 onnx-fuse-activation does not run: Gemm + Relu (+ a second output that
    reads the Relu) fuse here. The plain-loop Gemm (N = 4) with transB=0 accumulates in
    the output buffer it is given (the Relu's), with transB=1 it applies the epilogue to
    the sum in registers; N = 12 takes the register-tiled f32 kernel where it applies."""
    a, bw, c = _rand(3, 5), _rand(5, n), _rand(n)
    bw = bw.T.copy() if trans_b else bw
    model = chain_model(
        [
            node("Gemm", ["a", "bw", "c"], "g", alpha=0.5, beta=2.0, transB=trans_b),
            node("Relu", ["g"], "y"),
            node("Neg", ["y"], "z"),
        ],
        {"a": a},
        ["y", "z"],
        initializers={"bw": bw, "c": c},
    )
    module, _, stats = check(model, {"a": a})
    assert groups(module) == [["Gemm", "Relu", "Neg"]]
    assert stats["kernels"] == 1


def test_fused_conv_then_mul_by_graph_input():
    """At -O2 Conv + Relu become strata.FusedConv; its Mul by a graph input joins it as
    an epilogue (after the FusedConv's own activation)."""
    x, w, s = _rand(1, 2, 6, 6), _rand(3, 2, 3, 3), _rand(1, 3, 1, 4)
    model = chain_model(
        [node("Conv", ["x", "w"], "c"), node("Relu", ["c"], "r"), node("Mul", ["r", "s"], "y")],
        {"x": x, "s": s},
        ["y"],
        initializers={"w": w},
    )
    module, _, stats = check(model, {"x": x, "s": s}, opt_level=2)
    assert groups(module) == [["FusedConv", "Mul"]]
    assert stats["kernels"] == 1


def test_fused_matmul_and_gemm_epilogues():
    """strata.FusedMatMul (bias + Gelu) and strata.FusedGemm (Relu) at -O2, each with a
    residual Add reading a graph input."""
    x, w1, b1, w2, b2 = _rand(4, 6), _rand(6, 6), _rand(6), _rand(6, 5), _rand(5)
    r2 = _rand(4, 5)
    model = chain_model(
        [
            node("MatMul", ["x", "w1"], "m1"),
            node("Add", ["m1", "b1"], "h1"),
            node("Gelu", ["h1"], "g1"),
            node("Add", ["g1", "x"], "res1"),
            node("Gemm", ["res1", "w2", "b2"], "h2"),
            node("Relu", ["h2"], "r2"),
            node("Add", ["r2", "skip"], "y"),
        ],
        {"x": x, "skip": r2},
        ["y"],
        initializers={"w1": w1, "b1": b1, "w2": w2, "b2": b2},
    )
    module, _, _ = check(model, {"x": x, "skip": r2}, opt_level=2, rtol=1e-4)
    kinds = groups(module)
    assert len(kinds) == 2 and kinds[1] == ["FusedGemm", "Add"]
    assert kinds[0][0] in ("FusedMatMul", "FusedGemm") and kinds[0][1:] == ["Add"]


def test_blocked_conv_epilogue_at_o3():
    """At -O3 the convs become strata.ConvNCHWc on blocked tensors (12 channels: padding
    lanes in each block); the Mul by a per-channel constant and the Sigmoid after
    the first, the residual Add after the second, run at the blocked kernel's store.
    Exported, each group's ConvNCHWc is written as its own decomposition."""
    x, w, w2, s = _rand(1, 12, 5, 5), _rand(12, 12, 3, 3), _rand(12, 12, 3, 3), _rand(12, 1, 1)
    model = chain_model(
        [
            node("Conv", ["x", "w"], "c", pads=[1, 1, 1, 1]),
            node("Relu", ["c"], "r"),
            node("Mul", ["r", "s"], "m"),
            node("Sigmoid", ["m"], "sg"),
            node("Conv", ["sg", "w2"], "c2", pads=[1, 1, 1, 1]),
            node("Tanh", ["c2"], "th"),
            node("Add", ["th", "sg"], "y"),
        ],
        {"x": x},
        ["y"],
        initializers={"w": w, "s": s, "w2": w2},
    )
    module, _, stats = check(model, {"x": x}, opt_level=3, rtol=1e-4, atol=1e-5)
    assert groups(module) == [["ConvNCHWc", "Mul", "Sigmoid"], ["ConvNCHWc", "Add"]]
    # Reorder in (block 8; with block 16 the first conv reads the 12-channel x as it is),
    # two groups, reorder out.
    assert stats["kernels_after_fusion"] == (4 if host_target().nchwc_block <= 12 else 3)


def test_compute_anchor_refusals():
    """A producer never joins a Conv (its input is read many times); an epilogue that
    changes the element type (Cast) stays out; two anchors never share a kernel; the
    Add would close a cycle through the second Conv."""
    x, w = _rand(1, 2, 5, 5), _rand(2, 2, 3, 3)
    feeds = {"x": x}
    model = chain_model(
        [
            node("Relu", ["x"], "xr"),
            node("Conv", ["xr", "w"], "c", pads=[1, 1, 1, 1]),
            node("Cast", ["c"], "ci", to=6),
            node("Conv", ["c", "w"], "c2", pads=[1, 1, 1, 1]),
            node("ReduceSum", ["c2", "ax"], "s", keepdims=1),
            node("Add", ["s", "c"], "y"),
        ],
        feeds,
        ["ci", "y"],
        initializers={"w": w, "ax": np.array([1], np.int64)},
    )
    module, ctx, _ = check(model, feeds, rtol=1e-4, atol=1e-4)
    assert groups(module) == []
    assert sorted(ctx.report["fusion_log"]) == sorted(
        [
            "Relu 'xr_node' -> Conv 'c_node': not fused: Conv takes no producers (it reads each input element many times)",
            "Conv 'c2_node' -> ReduceSum 's_node': not fused: two anchors in one kernel (Conv and ReduceSum)",
            "Conv 'c_node' -> Cast 'ci_node': not fused: Cast 'ci_node' changes the element type of the Conv epilogue",
            "Conv 'c_node' -> Conv 'c2_node': not fused: Conv takes no producers (it reads each input element many times)",
            "Conv 'c_node' -> Add 'y_node': not fused: cycle (a path leaves the group and comes back)",
            "ReduceSum 's_node' -> Add 'y_node': not fused: shape mismatch ([1, 1, 5, 5] vs [1, 2, 5, 5])",
        ]
    )


def test_window_anchors_off_keeps_matmul_groups():
    """window_anchors=False forms no Conv or pooling group but keeps
    MatMul epilogues. With them, the Sigmoid goes to the MaxPool (a prologue: its
    value is not needed elsewhere, so fusing it saves its write and read) and the Relu,
    which is returned, to the Conv."""
    x, w, a, bm = _rand(1, 2, 5, 5), _rand(2, 2, 3, 3), _rand(2, 3), _rand(3, 4)
    model = chain_model(
        [
            node("Conv", ["x", "w"], "c"),
            node("Relu", ["c"], "y1"),
            node("Sigmoid", ["y1"], "sg"),
            node("MaxPool", ["sg"], "y3", kernel_shape=[2, 2]),
            node("MatMul", ["a", "bm"], "m"),
            node("Relu", ["m"], "y2"),
        ],
        {"x": x, "a": a},
        ["y1", "y2", "y3"],
        initializers={"w": w, "bm": bm},
    )
    module, _ = fuse(model, window_anchors=False)
    assert groups(module) == [["Relu", "Sigmoid"], ["MatMul", "Relu"]]
    module, _ = fuse(model)
    assert groups(module) == [["Conv", "Relu"], ["Sigmoid", "MaxPool"], ["MatMul", "Relu"]]


# ---- pooling anchors: elementwise producers recomputed at each window tap -------------


def test_pooling_with_relu_producer():
    """Add -> Relu -> MaxPool (overlapping 3x3 windows, padding): the producers are
    recomputed at each tap the pool loads; AveragePool and the global pools the same."""
    x, b = _rand(2, 3, 6, 6), _rand(3, 1, 1)
    feeds = {"x": x, "b": b}
    model = chain_model(
        [
            node("Add", ["x", "b"], "a"),
            node("Relu", ["a"], "r"),
            node("MaxPool", ["r"], "y1", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
            node("Exp", ["x"], "e"),
            node("AveragePool", ["e"], "y2", kernel_shape=[2, 2], strides=[2, 2]),
            node("Sigmoid", ["x"], "s"),
            node("GlobalAveragePool", ["s"], "y3"),
            node("Neg", ["x"], "n"),
            node("GlobalMaxPool", ["n"], "gm"),
            node("Sqrt", ["gm"], "y4"),
        ],
        feeds,
        ["y1", "y2", "y3", "y4"],
    )
    module, _, stats = check(model, feeds)
    assert groups(module) == [
        ["Add", "Relu", "MaxPool"],
        ["Exp", "AveragePool"],
        ["Sigmoid", "GlobalAveragePool"],
        ["Neg", "GlobalMaxPool", "Sqrt"],
    ]
    assert stats["kernels"] == 4


def test_pooling_producer_needed_elsewhere_and_indices():
    """A Relu that is also returned is not recomputed inside the pool; a MaxPool with an
    Indices output is never an anchor."""
    x = _rand(1, 2, 4, 4)
    model = chain_model(
        [
            node("Relu", ["x"], "r"),
            node("MaxPool", ["r"], "y1", kernel_shape=[2, 2]),
        ],
        {"x": x},
        ["y1", "r"],
    )
    module, ctx, _ = check(model, {"x": x})
    assert groups(module) == []
    assert any("producer of MaxPool is also a graph output" in line for line in ctx.report["fusion_log"])
    mp = helper.make_node("MaxPool", ["r"], ["y", "idx"], name="mp", kernel_shape=[2, 2])
    model = chain_model([node("Relu", ["x"], "r"), mp], {"x": x}, ["y", "idx"])
    module, ctx, _ = check(model, {"x": x})
    assert groups(module) == []


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_models(name):
    """Whole models compiled with fusion (the default pipeline) match onnxruntime."""
    build, shapes = EXAMPLES[name]
    model, feeds = build(), example_inputs(name)
    expected = run_ort(model, feeds)
    compiled = compiler.compile(model, input_shapes=shapes)
    _compare(compiled.run(feeds), expected, rtol=1e-4, atol=1e-5)
    stats = compiled.stats
    assert stats["kernels_after_fusion"] <= stats["kernels_before_fusion"]
    if name == "transformer_block":
        assert stats["fused_ops"] > 0


def test_elementwise_trait_matches_scalar_bodies():
    """The Elementwise trait (what fuse-kernels, plan-memory and to-triton ask) and the
    scalar bodies (what the loop lowering of a group needs) name the same ops."""
    traited = {cls.name for cls in (*ONNX_OP_CLASSES, *STRATA_OP_CLASSES) if cls.has_trait(Elementwise)}
    assert traited == ELEMENTWISE_OP_NAMES
    assert sorted(traited - set(SCALAR_BODIES)) == [], "Elementwise ops without a scalar body"
    assert sorted(set(SCALAR_BODIES) - traited) == [], "scalar bodies of ops without the Elementwise trait"
    assert len(traited) > 60


def test_single_op_lowerings_come_from_the_scalar_bodies():
    """Every op with a scalar body lowers alone through that body (one loop nest), but
    the few listed in SPECIAL_LOWERINGS: adding an elementwise op is one table entry."""
    from lowering.kernels import KERNEL_LOWERINGS
    from lowering.kernels.elementwise import LOWERINGS, SPECIAL_LOWERINGS, lower_with_scalar_body

    assert set(LOWERINGS) == set(SCALAR_BODIES) | set(SPECIAL_LOWERINGS)
    assert sorted(SPECIAL_LOWERINGS) == ["onnx.Clip", "onnx.Dropout"]
    derived = {name for name, lower in LOWERINGS.items() if lower is lower_with_scalar_body}
    assert derived == set(SCALAR_BODIES) - set(SPECIAL_LOWERINGS)
    assert all(KERNEL_LOWERINGS[name] is LOWERINGS[name] for name in LOWERINGS)


def test_shape_view_trait_names_the_reshapes():
    """ShapeView is what plan-memory (the `strata.view` kernel mark) and to-triton (its
    aliases) read: exactly the four ops that only reshape."""
    from dialects.onnx import SHAPE_VIEW_OP_NAMES
    from lowering.to_triton import ALIAS_OPS

    assert SHAPE_VIEW_OP_NAMES == {"onnx.Reshape", "onnx.Flatten", "onnx.Squeeze", "onnx.Unsqueeze"}
    assert ALIAS_OPS == SHAPE_VIEW_OP_NAMES
