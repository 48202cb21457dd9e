"""MatMul and Gemm kernels against onnxruntime (and numpy for integer Gemm, which
onnxruntime does not implement)."""

from __future__ import annotations

import numpy as np
import pytest

import compiler
from tests.ort_check import assert_matches_ort, run_ort, single_node_model

RNG = np.random.default_rng(7)


def rand(shape, dtype=np.float32) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return RNG.standard_normal(shape).astype(dtype)
    if dtype.kind == "u":
        return RNG.integers(0, 6, shape).astype(dtype)
    return RNG.integers(-5, 6, shape).astype(dtype)


# ---- MatMul -------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),  # 2-D
    ((1, 1), (1, 1)),
    ((2, 3, 4), (2, 4, 5)),  # batched
    ((2, 3, 4), (4, 5)),  # batch broadcast of a 2-D B
    ((3, 4), (2, 4, 5)),  # batch broadcast of a 2-D A
    ((2, 1, 3, 4), (1, 3, 4, 2)),  # both broadcast
    ((4,), (4, 5)),  # 1-D x 2-D
    ((3, 4), (4,)),  # 2-D x 1-D
    ((4,), (4,)),  # 1-D x 1-D: a scalar
    ((4,), (2, 4, 3)),  # 1-D x batched
    ((2, 3, 4), (4,)),  # batched x 1-D
]


@pytest.mark.parametrize("a_shape,b_shape", MATMUL_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_matmul_f32(a_shape, b_shape):
    a, b = rand(a_shape), rand(b_shape)
    assert_matches_ort(single_node_model("MatMul", {"a": a, "b": b}), {"a": a, "b": b})


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.int64, np.uint32, np.uint64])
def test_matmul_dtypes(dtype):
    a, b = rand((2, 3, 4), dtype), rand((4, 5), dtype)
    assert_matches_ort(single_node_model("MatMul", {"a": a, "b": b}), {"a": a, "b": b})


def test_matmul_constant_weight():
    a, w = rand((3, 6)), rand((6, 4))
    model = single_node_model("MatMul", {"a": a}, initializers={"w": w})
    assert_matches_ort(model, {"a": a})


# ---- Gemm ---------------------------------------------------------------------------


def gemm_inputs(m, k, n, trans_a, trans_b, c_shape, dtype=np.float32):
    a = rand((k, m) if trans_a else (m, k), dtype)
    b = rand((n, k) if trans_b else (k, n), dtype)
    feeds = {"a": a, "b": b}
    if c_shape is not None:
        feeds["c"] = rand(c_shape, dtype)
    return feeds


@pytest.mark.parametrize("trans_a", [0, 1])
@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_transpose(trans_a, trans_b):
    feeds = gemm_inputs(3, 5, 4, trans_a, trans_b, (3, 4))
    model = single_node_model("Gemm", feeds, transA=trans_a, transB=trans_b)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize(
    "c_shape",
    [None, (), (1,), (4,), (1, 4), (3, 1), (3, 4), (1, 1)],
    ids=lambda s: "absent" if s is None else "c" + "x".join(map(str, s)),
)
@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_c_broadcast(c_shape, trans_b):
    feeds = gemm_inputs(3, 5, 4, 0, trans_b, c_shape)
    model = single_node_model("Gemm", feeds, transB=trans_b, alpha=0.5, beta=2.0)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (0.25, 0.0), (-1.5, 3.0), (0.0, 1.0), (2.0, -0.5)])
def test_gemm_alpha_beta(alpha, beta):
    feeds = gemm_inputs(4, 3, 2, 1, 0, (2,))
    model = single_node_model("Gemm", feeds, transA=1, alpha=alpha, beta=beta)
    assert_matches_ort(model, feeds)


def test_gemm_absent_c_in_middle_of_inputs():
    """C given as an empty name (the 3-input form with C left out)."""
    feeds = gemm_inputs(3, 4, 5, 0, 1, None)
    model = single_node_model("Gemm", feeds, input_order=["a", "b", ""], transB=1, alpha=1.5)
    assert_matches_ort(model, feeds)


def test_gemm_constant_weights():
    """The usual Linear layer: Y = X @ W^T + bias with W and bias as initializers."""
    x, w, bias = rand((2, 6)), rand((4, 6)), rand((4,))
    model = single_node_model("Gemm", {"x": x}, initializers={"w": w, "bias": bias}, transB=1)
    assert_matches_ort(model, {"x": x})


def test_gemm_f64():
    feeds = gemm_inputs(3, 4, 5, 1, 1, (5,), np.float64)
    model = single_node_model("Gemm", feeds, transA=1, transB=1, alpha=0.5, beta=-2.0)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_int_vs_numpy(dtype, trans_b):
    """onnxruntime has no integer Gemm kernel: compare with numpy (integral alpha/beta)."""
    feeds = gemm_inputs(3, 4, 5, 1, trans_b, (3, 1), dtype)
    model = single_node_model("Gemm", feeds, transA=1, transB=trans_b, alpha=2.0, beta=3.0)
    (got,) = compiler.compile(model).run(feeds)
    b = feeds["b"].T if trans_b else feeds["b"]
    expected = (2 * (feeds["a"].T @ b) + 3 * feeds["c"]).astype(dtype)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_matmul_f16():
    a, b = rand((2, 3, 8), np.float16), rand((8, 4), np.float16)
    # f16 accumulation over k=8 (onnxruntime accumulates in f32): a few f16 ulps apart.
    assert_matches_ort(single_node_model("MatMul", {"a": a, "b": b}), {"a": a, "b": b}, rtol=1e-2, atol=1e-2)


# ---- register-tiled f32 kernel (N >= 8): tails, batches, transposes, epilogues ----------
# The tiled kernel works in 4 x 16 tiles with 4 k steps per body: M % 4, N % 16 and
# K % 4 (and K < 4) each take a remainder path; the lists below hit each one.

TILED_MNK = [
    (1, 1, 8),  # one row, K = 1, the narrowest tiled N
    (3, 7, 17),  # rows < 4, K % 4 = 3, one full column panel + a 1-wide tail
    (7, 33, 65),
    (17, 65, 33),
    (33, 3, 16),  # K < 4: the whole K in the final body
    (4, 4, 16),  # exactly one tile, one k body
    (65, 17, 7),  # N < 8: the simple loops
    (5, 1100, 20),  # K * 16 floats > 64 KiB: the packed panel goes to the heap
]


@pytest.mark.parametrize("m,k,n", TILED_MNK, ids=lambda v: str(v))
def test_matmul_tiled_tails(m, k, n):
    a, b = rand((m, k)), rand((k, n))
    assert_matches_ort(single_node_model("MatMul", {"a": a, "b": b}), {"a": a, "b": b})


@pytest.mark.parametrize(
    "a_shape,b_shape",
    [
        ((2, 3, 7, 17), (17, 33)),  # 2-D B: batches folded into the rows (42 rows)
        ((1, 5, 9), (9, 20)),
        ((2, 5, 9), (2, 9, 24)),  # batched B: one GEMM per batch
        ((3, 1, 5, 9), (1, 2, 9, 20)),  # both broadcast
        ((5, 9), (3, 9, 24)),  # 2-D A against a batched B
        ((2, 16, 64), (64, 64)),  # the transformer's projections
        ((33,), (33, 40)),  # 1-D A: one row
        ((9,), (2, 9, 24)),  # 1-D A against a batched B
    ],
    ids=lambda s: "x".join(map(str, s)),
)
def test_matmul_tiled_batches(a_shape, b_shape):
    a, b = rand(a_shape), rand(b_shape)
    assert_matches_ort(single_node_model("MatMul", {"a": a, "b": b}), {"a": a, "b": b})


def test_matmul_tiled_constant_weight():
    a, w = rand((2, 6, 33)), rand((33, 40))
    assert_matches_ort(single_node_model("MatMul", {"a": a}, initializers={"w": w}), {"a": a})


@pytest.mark.parametrize("trans_a", [0, 1])
@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("c_shape", [None, (17,), (7, 1), (7, 17)], ids=lambda s: "absent" if s is None else "c" + "x".join(map(str, s)))
def test_gemm_tiled(trans_a, trans_b, c_shape):
    feeds = gemm_inputs(7, 33, 17, trans_a, trans_b, c_shape)
    model = single_node_model("Gemm", feeds, transA=trans_a, transB=trans_b, alpha=0.75, beta=-1.5)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize("alpha,beta", [(1.0, 1.0), (0.0, 2.0), (-2.0, 0.0)])
def test_gemm_tiled_alpha_beta(alpha, beta):
    feeds = gemm_inputs(9, 65, 40, 0, 1, (40,))
    model = single_node_model("Gemm", feeds, transB=1, alpha=alpha, beta=beta)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.int64])
def test_matmul_tiled_sizes_other_dtypes(dtype):
    """Only f32 takes the tiled kernel; the simple loops stay correct at its sizes."""
    a, b = rand((2, 5, 9), dtype), rand((9, 20), dtype)
    assert_matches_ort(single_node_model("MatMul", {"a": a, "b": b}), {"a": a, "b": b})


def test_gemm_tiled_sizes_f64():
    feeds = gemm_inputs(7, 9, 20, 1, 1, (20,), np.float64)
    model = single_node_model("Gemm", feeds, transA=1, transB=1, alpha=0.5, beta=2.0)
    assert_matches_ort(model, feeds)


def _fused(op_type: str, model, feeds) -> None:
    """-O2 turns the graph into one strata fused op, whose kernel applies the epilogue
    in the tiled kernel's final store; compared with onnxruntime on the original."""
    from tests.ort_check import checked_optimize

    optimized = checked_optimize(model, level="extended", feeds=feeds)
    assert [(n.domain, n.op_type) for n in optimized.graph.node] == [("strata", op_type)]
    assert_matches_ort(model, feeds, opt_level=2)


@pytest.mark.parametrize("a_shape", [(2, 16, 64), (3, 5, 9)], ids=lambda s: "x".join(map(str, s)))
def test_fused_matmul_bias_gelu(a_shape):
    from tests.ort_check import chain_model, node

    k = a_shape[-1]
    x, w, bias = rand(a_shape), rand((k, 40)), rand((40,))
    model = chain_model(
        [node("MatMul", ["x", "w"], "h"), node("Add", ["h", "bias"], "hb"), node("Gelu", ["hb"], "y")],
        {"x": x}, ["y"], {"w": w, "bias": bias},
    )
    _fused("FusedMatMul", model, {"x": x})


def test_fused_matmul_scale_bias_relu_batched_b():
    """A batched B (no row folding) with alpha from a scalar Mul and a [M, N] bias."""
    from tests.ort_check import chain_model, node

    x, w, bias = rand((2, 7, 9)), rand((2, 9, 24)), rand((7, 24))
    model = chain_model(
        [node("MatMul", ["x", "w"], "h"), node("Mul", ["h", "s"], "hs"), node("Add", ["hs", "bias"], "hb"),
         node("Relu", ["hb"], "y")],
        {"x": x, "w": w}, ["y"], {"s": np.array(0.5, np.float32), "bias": bias},
    )
    feeds = {"x": x, "w": w}
    expected = run_ort(model, feeds)
    np.testing.assert_allclose(compiler.compile(model, opt_level=2).run(feeds)[0], expected[0], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("act", ["Relu", "Gelu"])
@pytest.mark.parametrize("trans_b", [0, 1])
def test_fused_gemm_activation(trans_b, act):
    from tests.ort_check import chain_model, node

    x = rand((9, 33))
    w = rand((40, 33) if trans_b else (33, 40))
    c = rand((40,))
    model = chain_model(
        [node("Gemm", ["x", "w", "c"], "g", transB=trans_b, alpha=0.5), node(act, ["g"], "y")],
        {"x": x}, ["y"], {"w": w, "c": c},
    )
    _fused("FusedGemm", model, {"x": x})


def test_fused_matmul_gelu_wide_range():
    """The epilogue's Gelu erf becomes a rational function clamped to [-4, 4]
    (math-polynomial-approximation: arith ops only, so the final body vectorizes):
    pre-activations over about [-40, 40] cross the clamp."""
    from tests.ort_check import chain_model, node

    x, w, bias = rand((2, 4, 16)), rand((16, 24)) * 3.0, np.linspace(-6, 6, 24, dtype=np.float32)
    model = chain_model(
        [node("MatMul", ["x", "w"], "h"), node("Add", ["h", "bias"], "hb"), node("Gelu", ["hb"], "y")],
        {"x": x}, ["y"], {"w": w.astype(np.float32), "bias": bias},
    )
    _fused("FusedMatMul", model, {"x": x})


# ---- few rows (M <= ROWS_MAX_M / DOTS_MAX_M, 3 now): the unpacked small-M kernels --------
# Row-major B' (MatMul, Gemm transB=0): blocks of 8192 // M columns (M = 1: 8192, M = 3:
# 2720), KU = 4 k steps per pass. Transposed B' (Gemm transB=1): blocks of 4 columns,
# 16 partial sums along k, K % 16 tail (N < 8 stays on the plain loops). The lists hit
# the column-block, K and N tails of both, and rows past the limits (8, 16, 17: correct
# whichever kernel the limits pick, they were measured up to 16 / 8).

SMALL_M_MKN = [
    (1, 1, 17), (1, 7, 33), (1, 17, 1000), (1, 33, 7), (1, 1000, 1), (1, 3, 8200),
    (2, 1, 1000), (2, 7, 17), (2, 17, 33), (2, 1000, 7), (2, 33, 1),
    (3, 1, 33), (3, 7, 1000), (3, 17, 7), (3, 33, 17), (3, 5, 2730), (3, 1000, 33),
    (8, 17, 33), (16, 33, 1000), (17, 7, 33),  # the thresholds: 17 rows are tiled again
]


@pytest.mark.parametrize("m,k,n", SMALL_M_MKN, ids=lambda v: str(v))
def test_matmul_small_m(m, k, n):
    a, b = rand((m, k)), rand((k, n))
    assert_matches_ort(single_node_model("MatMul", {"a": a, "b": b}), {"a": a, "b": b})


@pytest.mark.parametrize("m,k,n", [(1, 1, 17), (1, 33, 7), (1, 1000, 1), (2, 17, 33), (2, 1000, 7),
                                   (3, 7, 1000), (3, 33, 17), (8, 17, 33), (9, 17, 33)], ids=lambda v: str(v))
def test_gemm_small_m_trans_b(m, k, n):
    feeds = gemm_inputs(m, k, n, 0, 1, (n,))
    model = single_node_model("Gemm", feeds, transB=1, alpha=0.75, beta=-1.5)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize("trans_a", [0, 1])
@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("m", [1, 3])
@pytest.mark.parametrize("c_shape", [None, (), "n", "mx1", "mxn"])
def test_gemm_small_m(trans_a, trans_b, m, c_shape):
    n = 33
    c = {"n": (n,), "mx1": (m, 1), "mxn": (m, n)}.get(c_shape, c_shape)
    feeds = gemm_inputs(m, 37, n, trans_a, trans_b, c)
    model = single_node_model("Gemm", feeds, transA=trans_a, transB=trans_b, alpha=-0.5, beta=2.0)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize("alpha,beta", [(0.0, 1.0), (2.0, 0.0)])
@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_small_m_alpha_beta(alpha, beta, trans_b):
    feeds = gemm_inputs(2, 19, 20, 0, trans_b, (2, 20))
    model = single_node_model("Gemm", feeds, transB=trans_b, alpha=alpha, beta=beta)
    assert_matches_ort(model, feeds)


@pytest.mark.parametrize(
    "a_shape,b_shape",
    [
        ((1, 2, 33), (33, 40)),  # 2-D B: batches folded into 2 rows
        ((2, 3, 17), (2, 17, 33)),  # batched B: 3 rows per batch
        ((3, 1, 2, 9), (1, 2, 9, 20)),  # both broadcast
        ((33,), (2, 33, 40)),  # 1-D A: one row per batch
    ],
    ids=lambda s: "x".join(map(str, s)),
)
def test_matmul_small_m_batches(a_shape, b_shape):
    a, b = rand(a_shape), rand(b_shape)
    assert_matches_ort(single_node_model("MatMul", {"a": a, "b": b}), {"a": a, "b": b})


@pytest.mark.parametrize("trans_a", [0, 1])
@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_tiled_many_rows(trans_a, trans_b):
    """Enough rows for the register-tiled kernel with either layout of B."""
    feeds = gemm_inputs(21, 33, 17, trans_a, trans_b, (17,))
    model = single_node_model("Gemm", feeds, transA=trans_a, transB=trans_b, alpha=0.75, beta=-1.5)
    assert_matches_ort(model, feeds)


def test_matmul_tiled_heap_panel():
    """K * 16 floats > 64 KiB with enough rows for the tiled kernel: the panel on the heap."""
    a, b = rand((17, 1100)), rand((1100, 20))
    assert_matches_ort(single_node_model("MatMul", {"a": a, "b": b}), {"a": a, "b": b})


@pytest.mark.parametrize("act", ["Relu", "Gelu"])
@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("m", [1, 3])
def test_fused_gemm_small_m(m, trans_b, act):
    from tests.ort_check import chain_model, node

    x = rand((m, 37))
    w = rand((21, 37) if trans_b else (37, 21))
    c = rand((21,))
    model = chain_model(
        [node("Gemm", ["x", "w", "c"], "g", transB=trans_b, alpha=0.5), node(act, ["g"], "y")],
        {"x": x}, ["y"], {"w": w, "c": c},
    )
    _fused("FusedGemm", model, {"x": x})


@pytest.mark.parametrize("a_shape", [(1, 37), (2, 1, 9), (3, 17)], ids=lambda s: "x".join(map(str, s)))
def test_fused_matmul_bias_small_m(a_shape):
    """A 2-D MatMul + bias becomes a FusedGemm at -O2, a batched one a FusedMatMul."""
    from tests.ort_check import chain_model, node

    k = a_shape[-1]
    x, w, bias = rand(a_shape), rand((k, 40)), rand((40,))
    model = chain_model(
        [node("MatMul", ["x", "w"], "h"), node("Add", ["h", "bias"], "hb"), node("Relu", ["hb"], "y")],
        {"x": x}, ["y"], {"w": w, "bias": bias},
    )
    _fused("FusedGemm" if len(a_shape) == 2 else "FusedMatMul", model, {"x": x})


# ---- the AVX2 explicit-vector tile ------------------------------------------------------
# Built for znver3 (runs on any AVX2 host, and CI's AVX-512 one): 6-row tiles carrying 12
# vector<8xf32> accumulators (matmul.tiled_vector_lanes). The same FMAs in the same k order
# as the lane-loop tile, so the results equal, bit for bit, those of the same model built
# for x86-64 (128-bit vectors: lane loops, the same 2 k steps per body).
AVX2_TILE_MNK = [
    (6, 8, 16),  # one tile, K - 2 k steps in the vector loop
    (6, 2, 16),  # K = 2: the whole K in the final body, no vector loop
    (6, 3, 32),  # K = 3: one vector step, then two (K % 2 + 2)
    (13, 37, 48),  # two 6-row tiles (a loop) + 1 row left
    (23, 64, 40),  # three tiles + a 4-row tile + 1 row; a 8-wide column tail (lane loops)
    (40, 129, 16),  # 6 tiles, + 4 rows; odd K
]


@pytest.mark.parametrize("m,k,n", AVX2_TILE_MNK, ids=lambda v: str(v))
def test_matmul_avx2_vector_tile(m, k, n):
    from lowering.target import host_target

    if host_target().vector_bits < 256:
        pytest.skip("the host has no AVX2")
    a, b = rand((m, k)), rand((k, n))
    model = single_node_model("MatMul", {"a": a, "b": b})
    got = compiler.compile(model, num_threads=1, cpu="znver3").run({"a": a, "b": b})[0]
    lanes = compiler.compile(model, num_threads=1, cpu="x86-64").run({"a": a, "b": b})[0]
    np.testing.assert_array_equal(got, lanes)
    np.testing.assert_allclose(got, run_ort(model, {"a": a, "b": b})[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_avx2_vector_tile_epilogue(trans_b):
    # alpha, beta * C and a fused Relu are applied in the final lane loop after the vector
    # k loop (FusedGemm from the -O3 pipeline).
    from lowering.target import host_target

    if host_target().vector_bits < 256:
        pytest.skip("the host has no AVX2")
    from onnx import TensorProto, helper, numpy_helper

    m, k, n = 19, 70, 48
    a, w, c = rand((m, k)), rand((n, k) if trans_b else (k, n)), rand((n,))
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["a", "w", "c"], ["g"], transB=trans_b, alpha=0.5, beta=2.0),
         helper.make_node("Relu", ["g"], ["y"])],
        "g", [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(c, "c")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    avx2 = compiler.compile(model, num_threads=1, cpu="znver3")
    assert avx2.stats["graph_passes"]["ops_after"] == {"Constant": 2, "strata.FusedGemm": 1}
    got = avx2.run({"a": a})[0]
    np.testing.assert_array_equal(got, compiler.compile(model, num_threads=1, cpu="x86-64").run({"a": a})[0])
    np.testing.assert_allclose(got, run_ort(model, {"a": a})[0], rtol=1e-5, atol=1e-5)



# ---- the AVX-512 explicit-vector tile ---------------------------------------------------
# Built for znver4 (any AVX-512 host runs it): 12-row tiles of 32 columns carrying 24
# vector<16xf32> accumulators, reading two adjacent 16-column panels of B per k step; the
# N % 32 >= 16 columns left take one 16-column panel (12 x 16 vector tile), the N % 16 left
# the lane-loop tile; M % 12 rows one tile of their own count. The vector loop runs all of
# K; a lane loop over the tile's columns then finishes and stores Y. The same FMAs in the
# same k order as the lane-loop tile: the results equal those built for x86-64 bit for bit.
AVX512_TILE_MNK = [
    (12, 8, 32),  # one tile: all of K in the vector loop, then a lane loop that stores Y
    (12, 1, 32),  # K = 1
    (12, 5, 32),  # K = 5 (the lane-loop tile's final body would take all of it)
    (13, 37, 48),  # 12 rows + 1 left; a 32-column tile + a 16-column one
    (26, 130, 56),  # two 12-row tiles (a loop) + 2 rows; 32 + 16 + 8 columns
    (40, 67, 100),  # 3 tiles + 4 rows; 3 x 32 + a 4-wide lane-loop tail
    (23, 300, 40),  # 12 + 11 rows; 32 + 8 columns; K % 4 = 0 with a long vector loop
]


def _skip_without_avx512():
    from lowering.target import host_target

    if host_target().vector_bits < 512:
        pytest.skip("the host has no AVX-512")


@pytest.mark.parametrize("constant_b", [False, True])
@pytest.mark.parametrize("m,k,n", AVX512_TILE_MNK, ids=lambda v: str(v))
def test_matmul_avx512_vector_tile(m, k, n, constant_b):
    _skip_without_avx512()
    a, b = rand((m, k)), rand((k, n))
    model = (single_node_model("MatMul", {"a": a}, initializers={"b": b}) if constant_b
             else single_node_model("MatMul", {"a": a, "b": b}))
    feeds = {"a": a} if constant_b else {"a": a, "b": b}
    got = compiler.compile(model, num_threads=1, cpu="znver4").run(feeds)[0]
    lanes = compiler.compile(model, num_threads=1, cpu="x86-64").run(feeds)[0]
    np.testing.assert_array_equal(got, lanes)
    np.testing.assert_allclose(got, run_ort(model, feeds)[0], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("constant_b", [False, True])
@pytest.mark.parametrize("trans_b", [0, 1])
def test_gemm_avx512_vector_tile_epilogue(trans_b, constant_b):
    # alpha, beta * C and a fused Relu are applied in the final lane loop over the tile's
    # columns after the vector k loop; 48 columns: a 32-column tile and a 16-column one;
    # 29 rows: two 12-row tiles and 5 rows.
    _skip_without_avx512()
    from onnx import TensorProto, helper, numpy_helper

    m, k, n = 29, 70, 48
    a, w, c = rand((m, k)), rand((n, k) if trans_b else (k, n)), rand((n,))
    inputs = [helper.make_tensor_value_info("a", TensorProto.FLOAT, [m, k])]
    if not constant_b:
        inputs.append(helper.make_tensor_value_info("w", TensorProto.FLOAT, list(w.shape)))
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["a", "w", "c"], ["g"], transB=trans_b, alpha=0.5, beta=2.0),
         helper.make_node("Relu", ["g"], ["y"])],
        "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        ([numpy_helper.from_array(w, "w")] if constant_b else []) + [numpy_helper.from_array(c, "c")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    feeds = {"a": a} if constant_b else {"a": a, "w": w}
    avx512 = compiler.compile(model, num_threads=1, cpu="znver4")
    assert avx512.stats["graph_passes"]["ops_after"]["strata.FusedGemm"] == 1
    got = avx512.run(feeds)[0]
    np.testing.assert_array_equal(got, compiler.compile(model, num_threads=1, cpu="x86-64").run(feeds)[0])
    np.testing.assert_allclose(got, run_ort(model, feeds)[0], rtol=1e-4, atol=1e-4)
