"""math-polynomial-approximation: the f32 exp/tanh/erf it emits, swept over their whole
range against float64 references, at the special values, vectorized, and through
models against onnxruntime."""

from __future__ import annotations

import math as pymath
import re

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects import arith, builtin, func, math, memref, scf
from xdsl.parser import Parser

import compiler
from lowering.loops_to_llvm import to_llvm_ir
from lowering.math_approximation import MathPolynomialApproximationPass
from runtime.jit import JitModule
from tests.ort_check import assert_matches_ort, chain_model, node

N = 1 << 18

KERNEL = """
func.func @f(%x: memref<NNxf32>, %y: memref<NNxf32>) attributes {strata.entry} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant NN : index
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<NNxf32>
    %e = math.OP %v : f32
    memref.store %e, %y[%i] : memref<NNxf32>
  }
  func.return
}
"""


def _compile(op: str) -> JitModule:
    ctx = Context()
    for d in (builtin.Builtin, func.Func, arith.Arith, math.Math, memref.MemRef, scf.Scf):
        ctx.load_dialect(d)
    module = Parser(ctx, KERNEL.replace("NN", str(N)).replace("OP", op)).parse_module()
    MathPolynomialApproximationPass().apply(ctx, module)
    assert f"math.{op}" not in str(module)
    return JitModule(to_llvm_ir(module), 3)


def _run(jit: JitModule, x: np.ndarray) -> np.ndarray:
    padded = np.zeros(N, np.float32)
    padded[: x.size] = x
    y = np.zeros(N, np.float32)
    jit.call_entry([padded, y])
    return y[: x.size]


# op -> (float64 reference, sweep range, max error in ulp of the f32 result, max abs error)
CASES = {
    "exp": (np.exp, (-87.3, 88.7), 2.0, None),
    "tanh": (np.tanh, (-12.0, 12.0), 6.0, 3e-7),
    "erf": (np.vectorize(pymath.erf), (-6.0, 6.0), 8.0, 4.5e-7),
}


@pytest.mark.parametrize("op", sorted(CASES))
def test_sweep_against_float64(op: str) -> None:
    ref, (lo, hi), max_ulp, max_abs = CASES[op]
    jit = _compile(op)
    x = np.linspace(lo, hi, N).astype(np.float32)
    got = _run(jit, x).astype(np.float64)
    want = ref(x.astype(np.float64))
    normal = np.abs(want) > np.finfo(np.float32).tiny
    ulp = np.spacing(np.abs(want[normal]).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got[normal] - want[normal]) / ulp) <= max_ulp
    if max_abs is not None:
        assert np.max(np.abs(got - want)) <= max_abs


def test_special_values() -> None:
    inf, nan = np.inf, np.nan
    x = np.array([0.0, -0.0, inf, -inf, nan, 88.8, 89.0, -87.4, -100.0, 1e-30, -3e-4, 9.5, -9.5], np.float32)
    e = _run(_compile("exp"), x)
    np.testing.assert_array_equal(e[[0, 1, 2, 3, 6, 8]], [1.0, 1.0, inf, 0.0, inf, 0.0])
    assert np.isnan(e[4]) and e[5] == inf and e[7] == 0.0
    assert e[9] == 1.0
    t = _run(_compile("tanh"), x)
    np.testing.assert_array_equal(t[[0, 2, 3, 11, 12]], [0.0, 1.0, -1.0, 1.0, -1.0])
    assert np.isnan(t[4]) and np.signbit(t[1]) and t[9] == np.float32(1e-30) and t[10] == np.float32(-3e-4)
    r = _run(_compile("erf"), x)
    np.testing.assert_array_equal(r[[0, 2, 3]], [0.0, 1.0, -1.0])
    assert np.isnan(r[4])


@pytest.mark.parametrize("op", sorted(CASES))
def test_loop_vectorizes_without_libm_calls(op: str) -> None:
    ir = _compile(op).optimized_ir()
    assert re.search(r"<(8|16) x float>", ir)
    assert not re.search(r"call .*@\"?(llvm\.)?(exp|tanh|erf)", ir)


@pytest.mark.parametrize(
    "ops",
    [["Exp"], ["Tanh"], ["Erf"], ["Sigmoid"], ["Softplus"], ["Elu"], ["Mish"], ["Softmax"], ["LogSoftmax"], ["Gelu"]],
)
def test_models_match_onnxruntime(ops: list[str]) -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((4, 333)) * 6).astype(np.float32)
    model = chain_model([node(ops[0], ["x"], "y")], {"x": x}, ["y"])
    assert_matches_ort(model, {"x": x}, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("alpha", [1.0, 1.702])
def test_swish_exp_sweep_and_ends(alpha: float) -> None:
    """Swish (x * Sigmoid(alpha x), recomposed into one op) uses exp_f32_for_swish: its
    ends differ from exp_f32's (inf from 88, 1.2e-38 instead of 0 below -87.3), which
    must not show in x / (1 + e^(-alpha x)): a few ulp over the range against float64,
    NaN at -inf as in onnx.reference, and about 0 far below."""
    x = np.concatenate([np.linspace(-60 / alpha, 60 / alpha, 4000),
                        [-np.inf, np.inf, np.nan, -100, -88.5, -87.5, -52, 0.0, -0.0, 88.5, 100, 1e-30]])
    x = x.astype(np.float32).reshape(1, -1)
    nodes = [node("Mul", ["x", "a"], "ax"), node("Sigmoid", ["ax"], "s"), node("Mul", ["x", "s"], "y")]
    model = chain_model(nodes, {"x": x}, ["y"], {"a": np.float32(alpha)})
    compiled = compiler.compile(model)
    # one kernel, no fused group: the three nodes became one Swish op
    assert compiled.stats["kernels"] == 1 and compiled.stats["fused_ops"] == 0
    (y,) = compiled.run({"x": x})
    # the reference from alpha x rounded to f32, as the kernel has it (that rounding alone
    # moves e^(-alpha x) by up to |alpha x| ulp)
    ax = (np.float32(alpha) * x[0, :4000]).astype(np.float64)
    want = x[0, :4000].astype(np.float64) / (1.0 + np.exp(-ax))
    ulp = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(y[0, :4000] - want) / ulp) <= 4.0
    tail = y[0, 4000:]
    assert np.isnan(tail[0]) and tail[1] == np.inf and np.isnan(tail[2])
    assert np.all(np.abs(tail[3:6]) < 1e-30) and np.all(np.signbit(tail[3:6]))
    assert tail[7] == 0.0 and tail[9:11].tolist() == [88.5, 100.0] and tail[11] == np.float32(1e-30) / 2


def test_sigmoid_sweep_and_ends() -> None:
    """f32 Sigmoid is 1 / (1 + e^-x) with the Swish exp: a few ulp of float64 over
    [-80, 30] (relative, so the tiny values of negative x count too), exactly 0 and 1 at
    the infinities and far out, NaN stays NaN."""
    x = np.concatenate([np.linspace(-80, 30, 4000), [-np.inf, np.inf, np.nan, -100.0, 100.0, 0.0]])
    x = x.astype(np.float32).reshape(1, -1)
    model = chain_model([node("Sigmoid", ["x"], "y")], {"x": x}, ["y"])
    (y,) = compiler.compile(model).run({"x": x})
    want = 1.0 / (1.0 + np.exp(-x[0, :4000].astype(np.float64)))
    ulp = np.spacing(want.astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(y[0, :4000] - want) / ulp) <= 4.0
    tail = y[0, 4000:]
    assert tail[0] == 0.0 and tail[1] == 1.0 and np.isnan(tail[2])
    assert tail[3] < 1e-38 and tail[4] == 1.0 and tail[5] == 0.5
