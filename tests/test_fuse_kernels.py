"""fuse-kernels and the fused-group lowering change no result: each model is checked
against onnxruntime twice, once as the fused graph exported back to ONNX (the groups
become model-local functions) and once compiled by Strata (which runs fuse-kernels
before lowering). Which ops were grouped, and why others were not, is checked from
the pass's report."""

from __future__ import annotations

import numpy as np
import pytest

import compiler
from compiler.context import make_context
from compiler.onnx_export import export_model
from compiler.onnx_import import import_model
from dialects.strata.kernel_group import FusedKernelOp
from lowering.fuse_kernels import FuseKernelsPass
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


def fuse(model, max_ops: int = 24):
    ctx = make_context()
    module = import_model(model, ctx.weights)
    FuseKernelsPass(max_ops=max_ops).apply(ctx, module)
    module.verify()
    return module, ctx


def groups(module) -> list[list[str]]:
    """Op types of each group, in graph order."""
    return [g.op_types() for g in graph_ops(module) if isinstance(g, FusedKernelOp)]


def check(model, feeds, max_ops: int = 24, rtol=1e-5, atol=1e-5):
    """Fuses, then compares the exported fused graph and the compiled model with
    onnxruntime on the original model. Returns the fused module, its context and the
    compiled model's stats."""
    expected = run_ort(model, feeds)
    module, ctx = fuse(model, max_ops)
    _compare(run_ort(export_model(module, ctx.weights), feeds), expected, rtol, atol)
    compiled = compiler.compile(model, opt_level=1)  # -O0 does not fuse kernels
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
    x, w = _rand(2, 3), _rand(3, 4)
    model = chain_model([node("MatMul", ["x", "w"], "m"), node("Relu", ["m"], "y")], {"x": x, "w": w}, ["y"])
    module, ctx, _ = check(model, {"x": x, "w": w})
    assert groups(module) == []
    assert ctx.report["fusion_log"] == ["MatMul 'm_node' -> Relu 'y_node': not fused: not a fusible op kind (MatMul)"]


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
