"""GEMM weights packed at compile time (lowering/operand_packing.py, matmul.pack_panels):
the packed kernels give the results of the kernels that copy each panel per call, bit for
bit, and onnxruntime's; the entry takes the packed weight instead of the original."""

from __future__ import annotations

import numpy as np
import pytest

import compiler
import lowering.convert_onnx_to_loops as convert
from lowering.kernels.matmul import NR, pack_panels
from tests.ort_check import chain_model, node, run_ort, single_node_model

RNG = np.random.default_rng(11)

def _host_has_avx512() -> bool:
    from lowering.target import host_target

    return host_target().vector_bits >= 512


# The AVX-512 explicit-vector tile (12 x 32, two packed panels per tile), the AVX2 one
# and the lane-loop tile.
CPUS = [pytest.param("znver4", marks=pytest.mark.skipif(not _host_has_avx512(), reason="the host has no AVX-512")),
        "znver3", "x86-64"]


def rand(*shape) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def _both(model, feeds, cpu, monkeypatch):
    """(packed, unpacked) outputs of `model` compiled for `cpu`."""
    packed = compiler.compile(model, num_threads=1, cpu=cpu)
    assert any(k.startswith("weight:") and k.endswith(("panels", "panels_t")) for k in packed._arg_kinds)
    with monkeypatch.context() as m:
        m.setattr(convert, "KERNEL_PACKINGS", {})
        unpacked = compiler.compile(model, num_threads=1, cpu=cpu)
    return packed.run(feeds), unpacked.run(feeds)


def test_pack_panels_layout():
    k, n = 5, 2 * NR + 3
    b = np.arange(k * n, dtype=np.float32).reshape(k, n)
    p = pack_panels(b)
    assert p.shape == (3, k, NR) and p.ctypes.data % 64 == 0
    for j in range(3 * NR):
        for kk in range(k):
            assert p[j // NR, kk, j % NR] == (b[kk, j] if j < n else 0.0)


CASES = [
    ("matmul 2-D, column tail", lambda: (single_node_model("MatMul", {"a": rand(23, 37)}, initializers={"w": rand(37, 40)}),)),
    ("matmul folded batch", lambda: (single_node_model("MatMul", {"a": rand(2, 13, 24)}, initializers={"w": rand(24, 33)}),)),
    ("gemm transB=0 + C", lambda: (single_node_model("Gemm", {"a": rand(21, 19)}, initializers={"w": rand(19, 17), "c": rand(17)},
                                                      alpha=0.75, beta=-1.5),)),
    ("gemm 3 rows transB=1 (packed: tiled)", lambda: (single_node_model(
        "Gemm", {"a": rand(3, 40)}, initializers={"w": rand(24, 40), "c": rand(24)}, transB=1, alpha=0.5),)),
    ("gemm transB=1 + C", lambda: (single_node_model("Gemm", {"a": rand(21, 19)}, initializers={"w": rand(48, 19), "c": rand(48)},
                                                      transB=1),)),
    ("matmul + bias + relu (fused)", lambda: (chain_model(
        [node("MatMul", ["a", "w"], "h"), node("Add", ["h", "bias"], "hb"), node("Relu", ["hb"], "y")],
        {"a": rand(2, 20, 24)}, ["y"], {"w": rand(24, 32), "bias": rand(32)}),)),
    ("matmul + bias + tanh + residual", lambda: (chain_model(
        [node("MatMul", ["a", "w"], "h"), node("Add", ["h", "bias"], "hb"), node("Tanh", ["hb"], "g"),
         node("Add", ["g", "r"], "y")],
        {"a": rand(1, 30, 16), "r": rand(1, 30, 24)}, ["y"], {"w": rand(16, 24), "bias": rand(24)}),)),
]


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_packed_equals_unpacked_and_ort(case, cpu, monkeypatch):
    if cpu == "znver4" and "packed: tiled" in case[0]:
        pytest.skip("with 32 registers a B^T of 3 rows is packed for the rows kernel (_rows_t_packs)")
    (model,) = case[1]()
    feeds = {i.name: rand(*[d.dim_value for d in i.type.tensor_type.shape.dim]) for i in model.graph.input}
    packed, unpacked = _both(model, feeds, cpu, monkeypatch)
    for p, u, o in zip(packed, unpacked, run_ort(model, feeds)):
        if "packed: tiled" not in case[0]:  # else the unpacked one runs the dot-product kernel: another sum order
            np.testing.assert_array_equal(p, u)
        np.testing.assert_allclose(p, o, rtol=1e-4, atol=1e-4)


def _entry_weights(model_proto) -> tuple[list[str], list[str]]:
    """(weight handles of the lowered entry, all handles of the weight table)."""
    from compiler.context import make_context
    from compiler.driver import lower_to_loops
    from compiler.onnx_import import import_model, load_source
    from compiler.pipelines import graph_pipeline
    from xdsl.dialects import func

    ctx = make_context()
    module = import_model(load_source(model_proto), ctx.weights, None, None, None)
    graph_pipeline(3, ()).apply(ctx, module)
    lower_to_loops(module, ctx, 3, (), "znver3")
    entry = next(op for op in module.ops if isinstance(op, func.FuncOp) and "strata.entry" in op.attributes)
    kinds = [a.data for a in entry.attributes["strata.args"].data]
    assert len(kinds) == len(entry.body.block.args)
    return [k.removeprefix("weight:") for k in kinds if k.startswith("weight:")], [h for h, _ in ctx.weights.items()]


def test_entry_takes_the_packed_weight_only():
    model = single_node_model("MatMul", {"a": rand(20, 16)}, initializers={"w": rand(16, 24)})
    args, _ = _entry_weights(model)
    assert len(args) == 1 and args[0].endswith(".panels"), args


def test_weight_shared_by_two_products_is_packed_once():
    model = chain_model(
        [node("MatMul", ["a", "w"], "h"), node("MatMul", ["h", "w"], "y")],
        {"a": rand(20, 16)}, ["y"], {"w": rand(16, 16)},
    )
    args, _ = _entry_weights(model)
    assert len(args) == 1 and args[0].endswith(".panels"), args
    feeds = {"a": rand(20, 16)}
    np.testing.assert_allclose(compiler.compile(model).run(feeds)[0], run_ort(model, feeds)[0], rtol=1e-4, atol=1e-4)


def test_weight_read_elsewhere_stays():
    """A weight that another kernel reads as it is (here a Transpose of it) stays an argument."""
    model = chain_model(
        [node("MatMul", ["a", "w"], "y"), node("Transpose", ["w"], "wt")],
        {"a": rand(20, 16)}, ["y", "wt"], {"w": rand(16, 24)},
    )
    args, _ = _entry_weights(model)
    assert len(args) == 2 and sum(a.endswith(".panels") for a in args) == 1, args
    feeds = {"a": rand(20, 16)}
    for got, want in zip(compiler.compile(model).run(feeds), run_ort(model, feeds)):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_few_rows_and_weights_not_constant_are_not_packed():
    few = single_node_model("MatMul", {"a": rand(3, 16)}, initializers={"w": rand(16, 24)})  # small-M kernel
    assert not any(a.endswith(".panels") for a in _entry_weights(few)[0])
    one = single_node_model("Gemm", {"a": rand(1, 16)}, initializers={"w": rand(24, 16)}, transB=1)  # one row: dots
    assert not any(a.endswith(".panels_t") for a in _entry_weights(one)[0])
    inputs = single_node_model("MatMul", {"a": rand(20, 16), "w": rand(16, 24)})
    assert _entry_weights(inputs)[0] == []


@pytest.mark.parametrize("rows", [2, 3, 8])
def test_transposed_weight_of_few_rows_as_rows(rows, monkeypatch):
    """With 32 vector registers a constant B^T of 2..8 rows is packed as B' [1, K, N] for
    the rows kernel (matmul._rows_t_packs; forced here, so any host runs it): the Gemm then
    gives MatMul(a, B^T)'s rows-kernel result bit for bit, and onnxruntime's."""
    import lowering.kernels.matmul as mm

    monkeypatch.setattr(mm, "_rows_t_packs", lambda target, m, b_transposed: b_transposed and 2 <= m <= mm.DOTS_MAX_M)
    a, w = rand(rows, 40), rand(37, 40)
    gemm = single_node_model("Gemm", {"a": a}, initializers={"w": w}, transB=1)
    args, _ = _entry_weights(gemm)
    assert args == [args[0]] and args[0].endswith(".rows_t"), args
    matmul = single_node_model("MatMul", {"a": a}, initializers={"w": np.ascontiguousarray(w.T)})
    got = compiler.compile(gemm, num_threads=1).run({"a": a})[0]
    np.testing.assert_array_equal(got, compiler.compile(matmul, num_threads=1).run({"a": a})[0])
    np.testing.assert_allclose(got, run_ort(gemm, {"a": a})[0], rtol=1e-4, atol=1e-4)


def test_saved_model_runs_packed(tmp_path):
    model = single_node_model("Gemm", {"a": rand(30, 40)}, initializers={"w": rand(24, 40), "c": rand(24)}, transB=1)
    feeds = {"a": rand(30, 40)}
    compiled = compiler.compile(model, num_threads=1)
    compiled.save(tmp_path / "m.strata")
    loaded = compiler.load(tmp_path / "m.strata")
    np.testing.assert_array_equal(loaded.run(feeds)[0], compiled.run(feeds)[0])


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("constant_b", [True, False])
def test_row_blocks_give_the_one_pass_results(cpu, constant_b, monkeypatch):
    """A' larger than matmul.A_BLOCK_BYTES goes through the panels in blocks of rows
    (whole register tiles, the rows left over in the last block): forced here on a small
    product with 2 left-over rows and a column tail, it gives the one-pass results bit for
    bit, packed B or not, and onnxruntime's."""
    import lowering.kernels.matmul as mm

    monkeypatch.setenv("STRATA_KERNEL_CACHE", "0")  # the kernel cache's key does not see A_BLOCK_BYTES
    a, w = rand(50, 40), rand(40, 37)
    model = (single_node_model("MatMul", {"a": a}, initializers={"w": w}) if constant_b
             else single_node_model("MatMul", {"a": a, "w": w}))
    feeds = {"a": a} if constant_b else {"a": a, "w": w}
    first = compiler.compile(model, num_threads=1, cpu=cpu)
    monkeypatch.setattr(mm, "A_BLOCK_BYTES", 4096)
    monkeypatch.setattr(mm, "A_BLOCK_BYTES_512", 4096)  # the AVX-512 tile's
    monkeypatch.setattr(mm, "A_BLOCK_MIN_ROWS_COPIED", 30)  # its unpacked B: blocks of 36 and 14 rows
    assert mm.a_block_rows(40) == 24  # 50 rows: blocks of 24, 24 and 2
    second = compiler.compile(model, num_threads=1, cpu=cpu)
    assert second._jit.optimized_ir() != first._jit.optimized_ir()  # other code...
    one_pass, blocked = first.run(feeds)[0], second.run(feeds)[0]
    np.testing.assert_array_equal(blocked, one_pass)  # ...same results
    np.testing.assert_allclose(blocked, run_ort(model, feeds)[0], rtol=1e-4, atol=1e-4)
