"""plan-memory: every intermediate becomes a view into one arena; plans never overlap
buffers that are live together, results equal onnxruntime's, nothing is allocated at
run time."""

from __future__ import annotations

import re
import threading

import numpy as np
import onnx
import pytest
from xdsl.dialects import arith, func, memref

import compiler
from compiler.context import make_context
from compiler.onnx_import import import_model
from lowering.dedupe_kernels import DedupeKernelsPass
from lowering.fuse_kernels import FuseKernelsPass
from lowering.loops_to_llvm import to_llvm_ir
from lowering.convert_onnx_to_loops import ConvertOnnxToLoopsPass
from lowering.plan_memory import (
    ALIGN,
    Buffer,
    MemoryPlanError,
    PlanMemoryPass,
    check_plan,
    entry_function,
    lower_bound,
    memref_bytes,
    plan_buffers,
    plan_module,
)
from tests.ort_check import chain_model, node, run_ort
from tests.test_threads import MODELS
from tools.example_models import EXAMPLES, example_inputs, mlp


def _loops(model: onnx.ModelProto):
    ctx = make_context()
    module = import_model(model, ctx.weights)
    ConvertOnnxToLoopsPass().apply(ctx, module)
    DedupeKernelsPass().apply(ctx, module)
    return ctx, module


# ---- the placement itself, on hand-made live ranges -----------------------------------


def test_chain_needs_two_slots():
    bufs = [Buffer(64, 0, 1), Buffer(64, 1, 2), Buffer(64, 2, 3), Buffer(64, 3, 4)]
    plan = plan_buffers(bufs)
    assert plan.arena_bytes == plan.lower_bound_bytes == 128
    assert plan.naive_bytes == 256
    assert plan.offsets[0] == plan.offsets[2] and plan.offsets[1] == plan.offsets[3]


def test_best_fit_fills_the_gap_of_a_dead_buffer():
    # A big buffer dies at 1; two small ones born later fit into its bytes side by side
    # while a long-lived one sits elsewhere.
    bufs = [Buffer(256, 0, 1), Buffer(64, 0, 5), Buffer(128, 2, 4), Buffer(128, 3, 5)]
    plan = plan_buffers(bufs)
    assert plan.lower_bound_bytes == 320
    assert plan.arena_bytes == 320


def test_check_plan_rejects_overlap_and_misalignment():
    bufs = [Buffer(128, 0, 2), Buffer(64, 2, 3)]
    check_plan(bufs, [0, 128])
    with pytest.raises(MemoryPlanError):
        check_plan(bufs, [0, 64])
    with pytest.raises(MemoryPlanError):
        check_plan(bufs, [0, 130])
    # Not live together: sharing is fine.
    check_plan([Buffer(128, 0, 1), Buffer(128, 2, 3)], [0, 0])


def test_random_live_ranges_never_overlap():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 40))
        bufs = []
        for _ in range(n):
            start = int(rng.integers(0, 30))
            bufs.append(Buffer(ALIGN * int(rng.integers(0, 20)), start, start + int(rng.integers(0, 8))))
        plan = plan_buffers(bufs)
        check_plan(bufs, plan.offsets)
        assert plan.lower_bound_bytes == lower_bound(bufs) <= plan.arena_bytes <= plan.naive_bytes
        assert all(t >= plan.arena_bytes for t in plan.tried.values())


def test_perturbed_search_improves_on_a_poor_order():
    """The neighbour-swap search (used when no greedy order reaches the lower bound)
    only ever returns smaller, valid plans; started from a poor order (by start
    position) on random live ranges it finds smaller plans, some at the bound."""
    from lowering.plan_memory import _perturbed_search, arena_size, conflict_lists, place

    rng = np.random.default_rng(1)
    improved = at_bound = 0
    for _ in range(40):
        bufs = []
        for _ in range(int(rng.integers(8, 30))):
            start = int(rng.integers(0, 20))
            bufs.append(Buffer(ALIGN * int(rng.integers(1, 20)), start, start + int(rng.integers(0, 6))))
        conflicts = conflict_lists(bufs)
        order = sorted(range(len(bufs)), key=lambda i: (bufs[i].start, i))
        start_size = arena_size(bufs, place(bufs, order, conflicts))
        found = _perturbed_search(bufs, conflicts, [order], start_size, lower_bound(bufs))
        if found is None:
            continue
        size, offsets = found
        check_plan(bufs, offsets)
        assert lower_bound(bufs) <= size == arena_size(bufs, offsets) < start_size
        improved += 1
        at_bound += size == lower_bound(bufs)
    assert improved >= 10 and at_bound >= 1, (improved, at_bound)


# ---- random graphs: plans checked on the IR, results against onnxruntime ---------------


def random_graph(seed: int) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """A random DAG of elementwise / MatMul / reduction / Concat / Softmax ops over
    tensors [M, width] (M fixed per graph); every unused tensor is a graph output."""
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 5))
    pool: list[tuple[str, int]] = []
    feeds: dict[str, np.ndarray] = {}
    for i in range(int(rng.integers(1, 3))):
        w = int(rng.integers(1, 12))
        feeds[f"in{i}"] = rng.standard_normal((m, w)).astype(np.float32)
        pool.append((f"in{i}", w))
    nodes, inits, used = [], {}, set()
    for i in range(int(rng.integers(3, 14))):
        out = f"t{i}"
        kind = rng.choice(["unary", "unary", "binary", "binary", "matmul", "reduce", "concat", "softmax"])
        a, wa = pool[int(rng.integers(len(pool)))]
        if kind == "binary":
            partners = [(n, w) for n, w in pool if w in (wa, 1)]
            b, _ = partners[int(rng.integers(len(partners)))]
            nodes.append(node(str(rng.choice(["Add", "Mul", "Sub", "Max"])), [a, b], out))
            used |= {a, b}
            width = wa
        elif kind == "matmul":
            width = int(rng.integers(1, 12))
            inits[f"w{i}"] = (rng.standard_normal((wa, width)) / np.sqrt(wa)).astype(np.float32)
            nodes.append(node("MatMul", [a, f"w{i}"], out))
            used.add(a)
        elif kind == "reduce":
            inits[f"axes{i}"] = np.array([1], np.int64)
            nodes.append(node(str(rng.choice(["ReduceSum", "ReduceMax"])), [a, f"axes{i}"], out, keepdims=1))
            used.add(a)
            width = 1
        elif kind == "concat":
            b, wb = pool[int(rng.integers(len(pool)))]
            nodes.append(node("Concat", [a, b], out, axis=1))
            used |= {a, b}
            width = wa + wb
        elif kind == "softmax":
            nodes.append(node("Softmax", [a], out, axis=-1))
            used.add(a)
            width = wa
        else:
            nodes.append(node(str(rng.choice(["Relu", "Neg", "Sigmoid", "Tanh", "Abs"])), [a], out))
            used.add(a)
            width = wa
        pool.append((out, width))
    produced = [n for n, _ in pool if n.startswith("t")]
    outputs = [n for n in produced if n not in used]
    if rng.random() < 0.5:
        outputs.append(produced[int(rng.integers(len(produced)))])
    outputs = list(dict.fromkeys(outputs))
    return chain_model(nodes, feeds, outputs, inits, name=f"random{seed}"), feeds


def _view_table(module) -> list[tuple[int, int, int, int, str]]:
    """(offset, bytes, first, last, name) of every view in the planned entry, computed
    from the IR alone (independent of the planner's own data)."""
    entry = entry_function(module)
    block = entry.body.block
    position = {}
    for op in block.ops:
        if isinstance(op, func.CallOp):
            position[op] = len(position)
    views = []
    for op in block.ops:
        assert not isinstance(op, (memref.AllocOp, memref.DeallocOp))
        if isinstance(op, memref.ViewOp):
            offset_op = op.byte_shift.owner
            assert isinstance(offset_op, arith.ConstantOp)
            uses = [position[u.operation] for u in op.result.uses]
            views.append((offset_op.value.value.data, memref_bytes(op.result.type), min(uses), max(uses), op.result.name_hint))
    return views


def _check_views(module) -> None:
    """No two views live at the same call share a byte, except an in-place pair: one dies
    at an elementwise call that the other is born at, same offset and size."""
    views = _view_table(module)
    kernels = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
    calls = [op for op in entry_function(module).body.block.ops if isinstance(op, func.CallOp)]
    for i, (o1, s1, f1, l1, n1) in enumerate(views):
        assert o1 % ALIGN == 0
        for o2, s2, f2, l2, n2 in views[i + 1 :]:
            if not (f1 <= l2 and f2 <= l1) or not (o1 < o2 + s2 and o2 < o1 + s1) or not s1 or not s2:
                continue
            touch = l1 if l1 == f2 else l2 if l2 == f1 else None
            assert touch is not None and (o1, s1) == (o2, s2), f"{n1} and {n2} overlap while both live"
            kernel = kernels[calls[touch].callee.root_reference.data]
            op_kind = kernel.attributes["strata.onnx_op"].data
            assert "strata.elementwise" in kernel.attributes, f"{n1}/{n2} share bytes at a {op_kind} call"


def test_random_graphs_plans_are_sound():
    for seed in range(50):
        model, _ = random_graph(seed)
        ctx, module = _loops(model)
        plan = plan_module(module, in_place=seed % 2 == 0)
        module.verify()
        if plan is not None:
            check_plan(plan.buffers, plan.offsets)
            assert plan.lower_bound_bytes <= plan.arena_bytes <= plan.naive_bytes
            _check_views(module)
        # compile()'s own lowering (kernel fusion first: in-place into fused groups)
        ctx = make_context()
        module = import_model(model, ctx.weights)
        from compiler.driver import lower_to_loops

        lower_to_loops(module, ctx)
        module.verify()
        _check_views(module)


@pytest.mark.parametrize("seed", range(0, 50, 4))
def test_random_graphs_match_onnxruntime(seed):
    model, feeds = random_graph(seed)
    expected = run_ort(model, feeds)
    compiled = compiler.compile(model, opt_level=3 if seed % 8 else 0)
    for _ in range(2):  # the arena is reused: a second call must give the same answer
        got = compiled.run(feeds)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


# ---- in-place reuse, end to end --------------------------------------------------------


def test_in_place_chain_matches_onnxruntime():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5)).astype(np.float32)
    bias = rng.standard_normal((5,)).astype(np.float32)
    model = chain_model(
        [node("Softmax", ["x"], "s"), node("Softmax", ["x"], "s2"), node("Add", ["s", "bias"], "a"),
         node("Sigmoid", ["a"], "b"), node("Mul", ["b", "s2"], "c"), node("Relu", ["c"], "y")],
        {"x": x}, ["y"], {"bias": bias},
    )
    ctx, module = _loops(model)
    assert plan_module(module).in_place == 0  # opt-in (see lowering/plan_memory.py)
    ctx, module = _loops(model)
    plan = plan_module(module, in_place=True)
    assert plan is not None and plan.in_place == 3  # a over s, b over a, c over b
    _check_views(module)
    got = compiler.compile(model, opt_level=0).run({"x": x})
    np.testing.assert_allclose(got[0], run_ort(model, {"x": x})[0], rtol=1e-5, atol=1e-6)


def test_mixed_element_types_match_onnxruntime():
    # bool (1-byte elements, 16 bytes rounded to 64), f16 and f32 intermediates; the
    # Transposes keep kernel fusion from swallowing them.
    x = np.random.default_rng(4).standard_normal((4, 4)).astype(np.float32)
    perm = {"perm": [1, 0]}
    model = chain_model(
        [node("Greater", ["x", "zero"], "g"), node("Transpose", ["g"], "gt", **perm), node("Not", ["gt"], "n"),
         node("Transpose", ["n"], "nt", **perm), node("Neg", ["x"], "nx"), node("Where", ["nt", "x", "nx"], "w"),
         node("Cast", ["w"], "h", to=onnx.TensorProto.FLOAT16), node("Transpose", ["h"], "ht", **perm),
         node("Abs", ["ht"], "ah"), node("Cast", ["ah"], "y", to=onnx.TensorProto.FLOAT)],
        {"x": x}, ["y", "n"], {"zero": np.zeros((1,), np.float32)},
    )
    compiled = compiler.compile(model, opt_level=0)
    assert compiled.stats["arena_bytes"] >= compiled.stats["lower_bound_bytes"] > 0
    for got, want in zip(compiled.run({"x": x}), run_ort(model, {"x": x})):
        np.testing.assert_array_equal(got, want)


# ---- the API: stats, no allocation, reuse across calls and threads ---------------------


def test_stats_report_the_plan():
    build, shapes = EXAMPLES["small_cnn"]
    model = compiler.compile(build(), input_shapes=shapes)
    stats = model.stats
    for key in ("kernels", "fused_ops", "naive_bytes", "arena_bytes", "lower_bound_bytes"):
        assert isinstance(stats[key], int), key
    assert 0 < stats["lower_bound_bytes"] <= stats["arena_bytes"] <= stats["naive_bytes"]
    assert stats["arena_bytes"] <= 1.05 * stats["lower_bound_bytes"]


def test_repeated_and_threaded_calls_are_identical():
    build, shapes = EXAMPLES["transformer_block"]
    proto = build()
    feeds = example_inputs("transformer_block")
    model = compiler.compile(proto, input_shapes=shapes)
    arena = model._arena.ctypes.data
    assert arena % 64 == 0
    first = model.run(feeds)
    np.testing.assert_allclose(first[0], run_ort(proto, feeds)[0], rtol=1e-4, atol=1e-4)
    other = {k: v + 1 for k, v in feeds.items()}
    other_out = model.run(other)[0]
    for _ in range(3):
        np.testing.assert_array_equal(model.run(feeds)[0], first[0])
    assert model._arena.ctypes.data == arena  # allocated once, reused

    results: list = []

    def worker(f, expect):
        for _ in range(5):
            results.append(np.array_equal(model.run(f)[0], expect))

    threads = [threading.Thread(target=worker, args=(f, e)) for f, e in [(feeds, first[0]), (other, other_out)] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results and all(results)


# Every kernel family: the examples, blocked and depthwise convs with pooling and a
# Gemm (conv_net), attention / LayerNorm / GELU matmuls (transformer_large), and a Gemm
# with K = 3072 (its packed panel of B is the largest scratch buffer a kernel has).
ALLOCATION_MODELS = {
    **{name: (build(), shapes) for name, (build, shapes) in EXAMPLES.items()},
    **{name: MODELS[name][:2] for name in ("conv_net", "transformer_large", "small_cnn_large")},
    "mlp_k3072": (mlp(batch=64, features=3072, hidden=256), {"x": [64, 3072]}),
}


@pytest.mark.parametrize("parallel", [False, True], ids=["1-thread", "threads"])
@pytest.mark.parametrize("name", sorted(ALLOCATION_MODELS))
def test_planned_entry_allocates_nothing(name, parallel):
    """No kernel and no parallel loop body allocates: scratch is on the stack (one per
    thread), intermediates are in the arena."""
    model, shapes = ALLOCATION_MODELS[name]
    ctx = make_context()
    module = import_model(model, ctx.weights, shapes)
    from compiler.driver import lower_to_loops

    lower_to_loops(module, ctx)
    entry = entry_function(module)
    assert "arena:" in entry.attributes["strata.args"].data[-1].data
    assert not any(isinstance(op, (memref.AllocOp, memref.DeallocOp)) for op in module.walk())
    llvm_ir = to_llvm_ir(module, parallel=parallel)
    assert not re.search(r"call .*@\"?(malloc|aligned_alloc|calloc|free)\b", llvm_ir)


def test_second_run_changes_nothing():
    build, shapes = EXAMPLES["small_cnn"]
    ctx = make_context()
    module = import_model(build(), ctx.weights, shapes)
    from compiler.driver import lower_to_loops

    lower_to_loops(module, ctx)
    before, report = str(module), dict(ctx.report)
    PlanMemoryPass().apply(ctx, module)
    assert str(module) == before and ctx.report == report


def _elementwise_marks(fuse: bool) -> dict[str, bool]:
    """Kernel op type -> whether the kernel carries `strata.elementwise` (what the
    in-place reuse reads), for Add -> Relu -> Softmax -> Mul plus a two-output Dropout;
    Relu's value is also a graph output, so the groups are (Add,Relu) and (Softmax,Mul)."""
    x = np.ones((2, 3), np.float32)
    nodes = [
        node("Add", ["x", "x"], "a"),
        node("Relu", ["a"], "r"),
        node("Softmax", ["r"], "s"),
        node("Mul", ["s", "x"], "y"),
        onnx.helper.make_node("Dropout", ["x"], ["d", "mask"], name="drop"),
    ]
    ctx = make_context()
    module = import_model(chain_model(nodes, {"x": x}, ["r", "y", "d", "mask"]), ctx.weights)
    if fuse:
        FuseKernelsPass().apply(ctx, module)
    ConvertOnnxToLoopsPass().apply(ctx, module)
    return {
        f.attributes["strata.onnx_op"].data: "strata.elementwise" in f.attributes
        for f in module.ops
        if isinstance(f, func.FuncOp) and "strata.onnx_op" in f.attributes and "copy_output" not in f.sym_name.data
    }


def test_elementwise_kernel_kinds():
    assert _elementwise_marks(fuse=False) == {"Add": True, "Relu": True, "Softmax": False, "Mul": True, "Dropout": False}
    # Dropout: two outputs, written in two loops.
    assert _elementwise_marks(fuse=True) == {"Fused(Add,Relu)": True, "Fused(Softmax,Mul)": False, "Dropout": False}


def test_pass_is_a_no_op_without_allocations():
    x = np.ones((2, 3), np.float32)
    model = chain_model([node("Relu", ["x"], "y")], {"x": x}, ["y"])
    ctx, module = _loops(model)
    PlanMemoryPass().apply(ctx, module)
    assert ctx.report == {"naive_bytes": 0, "arena_bytes": 0, "lower_bound_bytes": 0}
    assert "arena" not in str(module)
    assert compiler.compile(model).stats["arena_bytes"] == 0


@pytest.mark.parametrize("threads", [1, 2])
def test_reshapes_between_intermediates_are_views(threads):
    """Reshape / Flatten / Unsqueeze / Squeeze between intermediates run no kernel
    (alias_reshapes: the output is the input's buffer seen with another shape), and the
    results still match onnxruntime, on one thread and on two; a Reshape of a graph
    input still copies (the caller's array is never aliased)."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    model = chain_model(
        [node("Reshape", ["x", "s0"], "x2"), node("Relu", ["x2"], "a"), node("Reshape", ["a", "s1"], "b"),
         node("Sigmoid", ["b"], "c"), node("Flatten", ["c"], "d", axis=1), node("Neg", ["d"], "e"),
         node("Unsqueeze", ["e", "ax"], "f"), node("Exp", ["f"], "g"), node("Squeeze", ["g", "ax"], "h"),
         node("Add", ["h", "d"], "y")],
        {"x": x}, ["y"],
        {"s0": np.array([6, 20], np.int64), "s1": np.array([2, 60], np.int64), "ax": np.array([0], np.int64)},
    )
    ctx, module = _loops(model)
    plan_module(module)
    entry = entry_function(module)
    called = [c.callee.root_reference.data for c in entry.body.block.ops if isinstance(c, func.CallOp)]
    assert sum("Reshape" in c for c in called) == 1  # only the copy out of the graph input
    assert not any(k in c for c in called for k in ("Flatten", "Squeeze", "Unsqueeze"))
    got = compiler.compile(model, num_threads=threads).run({"x": x})
    np.testing.assert_allclose(got[0], run_ort(model, {"x": x})[0], rtol=1e-5, atol=1e-6)


# ---- Concat inputs written in place (alias_concats) -----------------------------------


def _dense_block(layers: int, batch: int = 1, growth: int = 16):
    """A DenseNet-style block: every layer concatenates all earlier features (the block
    input and each layer's output) and a 1x1 conv + Relu makes the next features."""
    rng = np.random.default_rng(7)
    nodes = [node("Relu", ["x"], "f0")]
    inits = {}
    features, channels = ["f0"], 16
    for k in range(1, layers + 1):
        nodes.append(node("Concat", list(features), f"cat{k}", axis=1))
        inits[f"w{k}"] = (rng.standard_normal((growth, channels, 1, 1)) * 0.2).astype(np.float32)
        nodes.append(node("Conv", [f"cat{k}", f"w{k}"], f"conv{k}"))
        nodes.append(node("Relu", [f"conv{k}"], f"f{k}"))
        features.append(f"f{k}")
        channels += growth
    nodes.append(node("Concat", list(features), "out", axis=1))
    x = rng.standard_normal((batch, 16, 5, 5)).astype(np.float32)
    return chain_model(nodes, {"x": x}, ["out"], inits), {"x": x}


def _concat_calls(module) -> int:
    kernels = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
    return sum(1 for op in entry_function(module).body.block.ops
               if isinstance(op, func.CallOp) and "strata.concat_axis" in kernels[op.callee.root_reference.data].attributes)


@pytest.mark.parametrize("opt_level", [0, 3])
def test_dense_block_concats_copy_nothing(opt_level):
    """Every Concat of the block (each a prefix of the last) is dropped: the features are
    written once, in place, into one buffer; the results are onnxruntime's."""
    model, feeds = _dense_block(4)
    ctx, module = _loops(model)
    assert _concat_calls(module) == 5
    plan_module(module)
    module.verify()
    assert _concat_calls(module) == 1  # the last one writes the graph output: it copies
    compiled = compiler.compile(model, opt_level=opt_level)
    expected = run_ort(model, feeds)
    for _ in range(2):
        np.testing.assert_allclose(compiled.run(feeds)[0], expected[0], rtol=1e-5, atol=1e-5)


def test_concats_that_cannot_share_keep_their_copies():
    """b and c would sit at the same offset of one buffer while both live, a and b are
    joined in both orders, and batch 2 makes the parts strided: those Concats copy, and
    every result is onnxruntime's."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 16, 3, 3)).astype(np.float32)
    nodes = [node("Relu", ["x"], "a"), node("Neg", ["x"], "b"), node("Sigmoid", ["x"], "c"),
             node("Concat", ["a", "b"], "ab", axis=1), node("Concat", ["a", "c"], "ac", axis=1),
             node("Concat", ["b", "a"], "ba", axis=1),
             node("Add", ["ab", "ac"], "s"), node("Add", ["s", "ba"], "y")]
    model = chain_model(nodes, {"x": x}, ["y"])
    ctx, module = _loops(model)
    plan_module(module)
    module.verify()
    assert _concat_calls(module) == 2  # only a, b into ab is placed in place
    np.testing.assert_allclose(compiler.compile(model, opt_level=0).run({"x": x})[0], run_ort(model, {"x": x})[0], rtol=1e-6)
    batched, feeds = _dense_block(2, batch=2)
    ctx, module = _loops(batched)
    plan_module(module)
    assert _concat_calls(module) == 3
    np.testing.assert_allclose(compiler.compile(batched).run(feeds)[0], run_ort(batched, feeds)[0], rtol=1e-5, atol=1e-5)


def test_dropped_concats_are_never_lowered():
    """compile() declares Concat kernels without a body (DeferredKernels) and lowers only
    the ones plan-memory leaves a call: here the last, which writes the graph output."""
    from lowering.convert_onnx_to_loops import DeferredKernels, build_deferred, lower_graph
    from lowering.kernels import KERNEL_LOWERINGS

    model, _ = _dense_block(3)
    ctx = make_context()
    module = import_model(model, ctx.weights)
    deferred = DeferredKernels()
    lower_graph(module, ctx.weights, KERNEL_LOWERINGS, deferred=deferred)
    concats = [f for f in module.ops if isinstance(f, func.FuncOp) and "strata.concat_axis" in f.attributes]
    assert len(concats) == 4 and all(not f.body.blocks for f in concats) and len(deferred.kernels) == 4
    plan_module(module)
    assert build_deferred(deferred) == 1
    left = [f for f in module.ops if isinstance(f, func.FuncOp) and "strata.concat_axis" in f.attributes]
    assert len(left) == 1 and left[0].body.blocks
    module.verify()


def test_long_concat_chains_stop_growing_their_group():
    """A chain of 80 Concats of all earlier features: in-place groups stop at
    MAX_CONCAT_GROUP buffers (later Concats copy), and the results are onnxruntime's."""
    from lowering.plan_memory import MAX_CONCAT_GROUP

    nodes, feats = [node("Relu", ["x"], "f0")], ["f0"]
    for k in range(1, 80):
        nodes += [node("Concat", list(feats), f"c{k}", axis=1), node("ReduceMax", [f"c{k}"], f"m{k}", keepdims=1),
                  node("Mul", [feats[-1], f"m{k}"], f"f{k}")]
        feats.append(f"f{k}")
    nodes.append(node("ReduceSum", ["c79"], "y", keepdims=1))
    x = np.random.default_rng(0).standard_normal((1, 16)).astype(np.float32)
    model = chain_model(nodes, {"x": x}, ["y"])
    ctx, module = _loops(model)
    plan_module(module)
    module.verify()
    kept = _concat_calls(module)
    assert 0 < kept < 79 and 79 - kept <= MAX_CONCAT_GROUP
    np.testing.assert_allclose(compiler.compile(model, opt_level=0).run({"x": x})[0], run_ort(model, {"x": x})[0], rtol=1e-5)
