"""Loop IR -> LLVM IR (llvmlite) -> MCJIT, checked against numpy."""

from __future__ import annotations

import math as pymath

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects import arith, builtin, func, math, memref, scf
from xdsl.dialects.builtin import IndexType, MemRefType, ModuleOp, UnitAttr, f32
from xdsl.ir import Block, Region
from xdsl.parser import Parser

from lowering.loops_to_llvm import LoweringError, to_llvm_ir, translate_module
from runtime.jit import JitModule

_CTX = Context(allow_unregistered=True)
for _d in (builtin.Builtin, func.Func, arith.Arith, math.Math, scf.Scf, memref.MemRef):
    _CTX.load_dialect(_d)


def parse(src: str) -> ModuleOp:
    return Parser(_CTX, src).parse_module()


def jit(src: str | ModuleOp, opt_level: int = 3) -> JitModule:
    module = parse(src) if isinstance(src, str) else src
    return JitModule(to_llvm_ir(module), opt_level=opt_level)


def run(src: str, *buffers: np.ndarray, opt_level: int = 3) -> JitModule:
    j = jit(src, opt_level)
    j.call_entry(list(buffers))
    return j


RNG = np.random.default_rng(0)


# ---------------------------------------------------------------------------


def test_elementwise_add_2d():
    src = """
    func.func @add(%a: memref<4x8xf32>, %b: memref<4x8xf32>, %o: memref<4x8xf32>) attributes {strata.entry} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %c8 = arith.constant 8 : index
      scf.for %i = %c0 to %c4 step %c1 {
        scf.for %j = %c0 to %c8 step %c1 {
          %x = memref.load %a[%i, %j] : memref<4x8xf32>
          %y = memref.load %b[%i, %j] : memref<4x8xf32>
          %s = arith.addf %x, %y : f32
          memref.store %s, %o[%i, %j] : memref<4x8xf32>
        }
      }
      func.return
    }
    """
    a = RNG.standard_normal((4, 8), dtype=np.float32)
    b = RNG.standard_normal((4, 8), dtype=np.float32)
    o = np.zeros((4, 8), np.float32)
    for level in (0, 3):
        o[:] = 0
        run(src, a, b, o, opt_level=level)
        np.testing.assert_array_equal(o, a + b)


def test_row_sums_iter_args():
    src = """
    func.func @rowsum(%a: memref<5x7xf32>, %o: memref<5xf32>) attributes {strata.entry} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c5 = arith.constant 5 : index
      %c7 = arith.constant 7 : index
      %z = arith.constant 0.0 : f32
      scf.for %i = %c0 to %c5 step %c1 {
        %s = scf.for %j = %c0 to %c7 step %c1 iter_args(%acc = %z) -> (f32) {
          %x = memref.load %a[%i, %j] : memref<5x7xf32>
          %n = arith.addf %acc, %x : f32
          scf.yield %n : f32
        }
        memref.store %s, %o[%i] : memref<5xf32>
      }
      func.return
    }
    """
    a = RNG.standard_normal((5, 7), dtype=np.float32)
    o = np.zeros(5, np.float32)
    run(src, a, o)
    np.testing.assert_allclose(o, a.sum(axis=1), rtol=1e-5, atol=1e-6)


MATMUL = """
func.func @mm(%a: memref<64x32xf32>, %b: memref<32x48xf32>, %c: memref<64x48xf32>) attributes {strata.entry} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = arith.constant 64 : index
  %n = arith.constant 48 : index
  %k = arith.constant 32 : index
  %z = arith.constant 0.0 : f32
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %s = scf.for %p = %c0 to %k step %c1 iter_args(%acc = %z) -> (f32) {
        %x = memref.load %a[%i, %p] : memref<64x32xf32>
        %y = memref.load %b[%p, %j] : memref<32x48xf32>
        %t = arith.mulf %x, %y : f32
        %u = arith.addf %acc, %t : f32
        scf.yield %u : f32
      }
      memref.store %s, %c[%i, %j] : memref<64x48xf32>
    }
  }
  func.return
}
"""


def test_naive_matmul():
    a = RNG.standard_normal((64, 32), dtype=np.float32)
    b = RNG.standard_normal((32, 48), dtype=np.float32)
    c = np.zeros((64, 48), np.float32)
    j = run(MATMUL, a, b, c)
    np.testing.assert_allclose(c, a @ b, rtol=1e-4, atol=1e-5)
    assert set(j.timings) == {"parse", "optimize", "codegen"}
    assert all(t >= 0 for t in j.timings.values())


def test_relu_select_and_if():
    src = """
    func.func @relu(%a: memref<16xf32>, %o1: memref<16xf32>, %o2: memref<16xf32>) attributes {strata.entry} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %n = arith.constant 16 : index
      %z = arith.constant 0.0 : f32
      scf.for %i = %c0 to %n step %c1 {
        %x = memref.load %a[%i] : memref<16xf32>
        %gt = arith.cmpf ogt, %x, %z : f32
        %r1 = arith.select %gt, %x, %z : f32
        memref.store %r1, %o1[%i] : memref<16xf32>
        %r2 = scf.if %gt -> (f32) {
          scf.yield %x : f32
        } else {
          scf.yield %z : f32
        }
        memref.store %r2, %o2[%i] : memref<16xf32>
        %neg = arith.cmpf olt, %x, %z : f32
        scf.if %neg {
          %m = arith.negf %x : f32
          memref.store %m, %a[%i] : memref<16xf32>
        }
      }
      func.return
    }
    """
    a = RNG.standard_normal(16).astype(np.float32)
    a0 = a.copy()
    o1 = np.full(16, 7, np.float32)
    o2 = np.full(16, 7, np.float32)
    run(src, a, o1, o2)
    np.testing.assert_array_equal(o1, np.maximum(a0, 0))
    np.testing.assert_array_equal(o2, np.maximum(a0, 0))
    np.testing.assert_array_equal(a, np.abs(a0))


def test_bool_buffers():
    # o = (x > 0) xor m ; the bool buffers are numpy bool (1 byte per element)
    src = """
    func.func @b(%x: memref<3x5xf32>, %m: memref<3x5xi1>, %o: memref<3x5xi1>, %cnt: memref<i64>) attributes {strata.entry} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c3 = arith.constant 3 : index
      %c5 = arith.constant 5 : index
      %z = arith.constant 0.0 : f32
      %zero = arith.constant 0 : i64
      %t = arith.constant true
      %total = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc0 = %zero) -> (i64) {
        %row = scf.for %j = %c0 to %c5 step %c1 iter_args(%acc = %acc0) -> (i64) {
          %v = memref.load %x[%i, %j] : memref<3x5xf32>
          %p = arith.cmpf ogt, %v, %z : f32
          %q = memref.load %m[%i, %j] : memref<3x5xi1>
          %r = arith.xori %p, %q : i1
          memref.store %r, %o[%i, %j] : memref<3x5xi1>
          %qq = arith.andi %q, %t : i1
          %w = arith.extui %qq : i1 to i64
          %n = arith.addi %acc, %w : i64
          scf.yield %n : i64
        }
        scf.yield %row : i64
      }
      memref.store %total, %cnt[] : memref<i64>
      func.return
    }
    """
    x = RNG.standard_normal((3, 5)).astype(np.float32)
    m = RNG.random((3, 5)) > 0.5
    o = np.zeros((3, 5), dtype=bool)
    cnt = np.zeros((), np.int64)
    run(src, x, m, o, cnt)
    np.testing.assert_array_equal(o, (x > 0) ^ m)
    # every stored byte is exactly 0 or 1 (numpy's bool layout)
    assert set(np.unique(o.view(np.uint8))) <= {0, 1}
    assert int(cnt) == int(m.sum())


def test_index_arithmetic_floordiv_remsi():
    src = """
    func.func @ia(%a: memref<12xi64>, %b: memref<12xi64>, %fd: memref<12xi64>, %rm: memref<12xi64>,
                  %cd: memref<12xi64>, %ix: memref<12xi64>) attributes {strata.entry} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c3 = arith.constant 3 : index
      %n = arith.constant 12 : index
      scf.for %i = %c0 to %n step %c1 {
        %x = memref.load %a[%i] : memref<12xi64>
        %y = memref.load %b[%i] : memref<12xi64>
        %q = arith.floordivsi %x, %y : i64
        memref.store %q, %fd[%i] : memref<12xi64>
        %r = arith.remsi %x, %y : i64
        memref.store %r, %rm[%i] : memref<12xi64>
        %c = arith.ceildivsi %x, %y : i64
        memref.store %c, %cd[%i] : memref<12xi64>
        %k = arith.floordivsi %i, %c3 : index
        %l = arith.remsi %i, %c3 : index
        %kk = arith.muli %k, %c3 : index
        %s = arith.addi %kk, %l : index
        %t = arith.subi %s, %i : index
        %u = arith.addi %t, %k : index
        %v = arith.index_cast %u : index to i64
        memref.store %v, %ix[%i] : memref<12xi64>
      }
      func.return
    }
    """
    a = np.array([7, -7, 7, -7, 0, 9, -9, 1, -1, 100, -100, 5], np.int64)
    b = np.array([2, 2, -2, -2, 3, 3, 3, 5, 5, 7, 7, -1], np.int64)
    outs = [np.zeros(12, np.int64) for _ in range(4)]
    run(src, a, b, *outs)
    fd, rm, cd, ix = outs
    np.testing.assert_array_equal(fd, np.floor_divide(a, b))
    np.testing.assert_array_equal(rm, np.fmod(a, b))
    np.testing.assert_array_equal(cd, -np.floor_divide(-a, b))
    np.testing.assert_array_equal(ix, np.arange(12) // 3)


def _unary_kernel(op: str, n: int, ty: str = "f32") -> str:
    return f"""
    func.func @k(%a: memref<{n}x{ty}>, %o: memref<{n}x{ty}>) attributes {{strata.entry}} {{
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %n = arith.constant {n} : index
      scf.for %i = %c0 to %n step %c1 {{
        %x = memref.load %a[%i] : memref<{n}x{ty}>
        %y = {op} %x : {ty}
        memref.store %y, %o[%i] : memref<{n}x{ty}>
      }}
      func.return
    }}
    """


_ERF = np.vectorize(pymath.erf)


@pytest.mark.parametrize(
    "op,ref",
    [("math.exp", np.exp), ("math.tanh", np.tanh), ("math.erf", _ERF)],
)
def test_math_exp_tanh_erf(op, ref):
    x = np.linspace(-4, 4, 257).astype(np.float32)
    o = np.zeros_like(x)
    run(_unary_kernel(op, x.size), x, o)
    expected = ref(x.astype(np.float64))
    np.testing.assert_allclose(o, expected, rtol=1e-6, atol=1e-6)
    # f64 goes to the double variants
    xd = x.astype(np.float64)
    od = np.zeros_like(xd)
    run(_unary_kernel(op, x.size, "f64"), xd, od)
    np.testing.assert_allclose(od, ref(xd), rtol=1e-12, atol=1e-14)


def test_more_math_functions():
    ops = {
        "math.exp2": np.exp2, "math.expm1": np.expm1, "math.log": np.log,
        "math.log2": np.log2, "math.log10": np.log10, "math.log1p": np.log1p,
        "math.sqrt": np.sqrt, "math.rsqrt": lambda v: 1 / np.sqrt(v), "math.absf": np.abs,
        "math.sin": np.sin, "math.cos": np.cos, "math.tan": np.tan, "math.atan": np.arctan,
        "math.sinh": np.sinh, "math.cosh": np.cosh, "math.asinh": np.arcsinh,
        "math.floor": np.floor, "math.ceil": np.ceil, "math.trunc": np.trunc,
        "math.roundeven": np.round, "math.cbrt": np.cbrt,
    }
    body = "\n".join(
        f"""
        %x{k} = memref.load %a[%i] : memref<64xf32>
        %y{k} = {op} %x{k} : f32
        memref.store %y{k}, %o[%c{k}, %i] : memref<{len(ops)}x64xf32>
        %c{k} = arith.constant {k} : index"""
        for k, op in enumerate(ops)
    )
    # constants must be defined before use: put them first
    consts = "\n".join(f"%c{k} = arith.constant {k} : index" for k in range(len(ops)))
    body = "\n".join(line for line in body.splitlines() if "arith.constant" not in line)
    src = f"""
    func.func @k(%a: memref<64xf32>, %b: memref<64xf32>, %o: memref<{len(ops)}x64xf32>,
                 %o2: memref<6x64xf32>) attributes {{strata.entry}} {{
      {consts}
      %lo = arith.constant 0 : index
      %one = arith.constant 1 : index
      %n = arith.constant 64 : index
      %q0 = arith.constant 0 : index
      %q1 = arith.constant 1 : index
      %q2 = arith.constant 2 : index
      %q3 = arith.constant 3 : index
      %q4 = arith.constant 4 : index
      %q5 = arith.constant 5 : index
      %three = arith.constant 3 : i32
      scf.for %i = %lo to %n step %one {{
        {body}
        %u = memref.load %a[%i] : memref<64xf32>
        %v = memref.load %b[%i] : memref<64xf32>
        %p = math.powf %u, %v : f32
        memref.store %p, %o2[%q0, %i] : memref<6x64xf32>
        %t = math.atan2 %v, %u : f32
        memref.store %t, %o2[%q1, %i] : memref<6x64xf32>
        %f = math.fma %u, %v, %u : f32
        memref.store %f, %o2[%q2, %i] : memref<6x64xf32>
        %cs = math.copysign %u, %v : f32
        memref.store %cs, %o2[%q3, %i] : memref<6x64xf32>
        %pi = math.fpowi %v, %three : f32, i32
        memref.store %pi, %o2[%q4, %i] : memref<6x64xf32>
        %mx = arith.maximumf %u, %v : f32
        memref.store %mx, %o2[%q5, %i] : memref<6x64xf32>
      }}
      func.return
    }}
    """
    a = np.linspace(0.05, 3.0, 64).astype(np.float32)
    b = np.linspace(-2.0, 2.0, 64).astype(np.float32)
    o = np.zeros((len(ops), 64), np.float32)
    o2 = np.zeros((6, 64), np.float32)
    run(src, a, b, o, o2)
    ad, bd = a.astype(np.float64), b.astype(np.float64)
    for k, (name, ref) in enumerate(ops.items()):
        np.testing.assert_allclose(o[k], ref(ad), rtol=2e-6, atol=1e-6, err_msg=name)
    np.testing.assert_allclose(o2[0], np.power(ad, bd), rtol=2e-6)
    np.testing.assert_allclose(o2[1], np.arctan2(bd, ad), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(o2[2], ad * bd + ad, rtol=2e-6, atol=1e-6)
    np.testing.assert_array_equal(o2[3], np.copysign(a, b))
    np.testing.assert_allclose(o2[4], bd**3, rtol=2e-6, atol=1e-6)
    np.testing.assert_array_equal(o2[5], np.maximum(a, b))


def test_alloc_scratch_between_kernels():
    src = """
    func.func @scale(%x: memref<6x4xf32>, %t: memref<6x4xf32>) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c6 = arith.constant 6 : index
      %c4 = arith.constant 4 : index
      %two = arith.constant 2.0 : f32
      scf.for %i = %c0 to %c6 step %c1 {
        scf.for %j = %c0 to %c4 step %c1 {
          %v = memref.load %x[%i, %j] : memref<6x4xf32>
          %w = arith.mulf %v, %two : f32
          memref.store %w, %t[%i, %j] : memref<6x4xf32>
        }
      }
      func.return
    }
    func.func @colsum(%t: memref<6x4xf32>, %y: memref<4xf32>) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c6 = arith.constant 6 : index
      %c4 = arith.constant 4 : index
      %z = arith.constant 0.0 : f32
      scf.for %j = %c0 to %c4 step %c1 {
        %s = scf.for %i = %c0 to %c6 step %c1 iter_args(%acc = %z) -> (f32) {
          %v = memref.load %t[%i, %j] : memref<6x4xf32>
          %n = arith.addf %acc, %v : f32
          scf.yield %n : f32
        }
        memref.store %s, %y[%j] : memref<4xf32>
      }
      func.return
    }
    func.func @main(%x: memref<6x4xf32>, %y: memref<4xf32>) attributes {strata.entry} {
      %t = memref.alloc() : memref<6x4xf32>
      func.call @scale(%x, %t) : (memref<6x4xf32>, memref<6x4xf32>) -> ()
      func.call @colsum(%t, %y) : (memref<6x4xf32>, memref<4xf32>) -> ()
      memref.dealloc %t : memref<6x4xf32>
      func.return
    }
    """
    ir_text = to_llvm_ir(parse(src))
    assert "@\"aligned_alloc\"" in ir_text and "@\"free\"" in ir_text
    assert 'define internal void @"scale"' in ir_text
    x = RNG.standard_normal((6, 4)).astype(np.float32)
    y = np.zeros(4, np.float32)
    run(src, x, y)
    np.testing.assert_allclose(y, (2 * x).sum(axis=0), rtol=1e-5, atol=1e-6)


def test_f64_and_i32_element_types():
    src = """
    func.func @k(%a: memref<2x3xf64>, %b: memref<2x3xi32>, %o: memref<2x3xf64>, %p: memref<2x3xi32>) attributes {strata.entry} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c3 = arith.constant 3 : index
      %k = arith.constant -3 : i32
      scf.for %i = %c0 to %c2 step %c1 {
        scf.for %j = %c0 to %c3 step %c1 {
          %x = memref.load %a[%i, %j] : memref<2x3xf64>
          %y = memref.load %b[%i, %j] : memref<2x3xi32>
          %yf = arith.sitofp %y : i32 to f64
          %s = arith.mulf %x, %yf : f64
          memref.store %s, %o[%i, %j] : memref<2x3xf64>
          %m = arith.muli %y, %k : i32
          %d = arith.divsi %m, %c2i : i32
          %mx = arith.maxsi %d, %y : i32
          %sh = arith.shli %mx, %one : i32
          %xf = arith.fptosi %x : f64 to i32
          %r = arith.addi %sh, %xf : i32
          memref.store %r, %p[%i, %j] : memref<2x3xi32>
        }
      }
      func.return
    }
    """.replace(
        "%k = arith.constant -3 : i32",
        "%k = arith.constant -3 : i32\n      %c2i = arith.constant 2 : i32\n      %one = arith.constant 1 : i32",
    )
    a = np.array([[1.5, -2.25, 3.0], [0.1, 1e10, -7.75]], np.float64)
    b = np.array([[1, -2, 3], [40000, -5, 0]], np.int32)
    o = np.zeros((2, 3), np.float64)
    p = np.zeros((2, 3), np.int32)
    a[1, 1] = 1e5
    run(src, a, b, o, p)
    np.testing.assert_array_equal(o, a * b)
    d = np.trunc((b * -3) / 2).astype(np.int32)
    expected = (np.maximum(d, b) << 1) + np.trunc(a).astype(np.int32)
    np.testing.assert_array_equal(p, expected)


def test_rank0_memref_and_scalar_helper_with_results():
    src = """
    func.func @sq_and_neg(%x: f32) -> (f32, f32) {
      %s = arith.mulf %x, %x : f32
      %n = arith.negf %x : f32
      func.return %s, %n : f32, f32
    }
    func.func @main(%a: memref<f32>, %o: memref<f32>, %o2: memref<f32>) attributes {strata.entry} {
      %x = memref.load %a[] : memref<f32>
      %s, %n = func.call @sq_and_neg(%x) : (f32) -> (f32, f32)
      memref.store %s, %o[] : memref<f32>
      memref.store %n, %o2[] : memref<f32>
      func.return
    }
    """
    a = np.array(3.5, np.float32)
    o = np.zeros((), np.float32)
    o2 = np.zeros((), np.float32)
    run(src, a, o, o2)
    assert float(o) == 12.25 and float(o2) == -3.5


def test_scalar_entry_args_and_results():
    src = """
    func.func @main(%a: memref<4xf32>, %n: index, %s: f32) -> (f32, i1) attributes {strata.entry} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %s) -> (f32) {
        %x = memref.load %a[%i] : memref<4xf32>
        %y = arith.addf %acc, %x : f32
        scf.yield %y : f32
      }
      %big = arith.cmpf ogt, %r, %s : f32
      func.return %r, %big : f32, i1
    }
    """
    a = np.array([1, 2, 3, 4], np.float32)
    n = np.array(3, np.int64)
    s = np.array(10, np.float32)
    r = np.zeros((), np.float32)
    big = np.zeros((), bool)
    run(src, a, n, s, r, big)
    assert float(r) == 16.0 and bool(big)


def test_while_alloca_subview_reinterpret():
    src = """
    func.func @main(%a: memref<4x8xf32>, %o: memref<2x3xf32>, %o2: memref<3xf32>, %cnt: memref<i64>) attributes {strata.entry} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c2 = arith.constant 2 : index
      %c3 = arith.constant 3 : index
      %sv = memref.subview %a[1, 2] [2, 3] [1, 1] : memref<4x8xf32> to memref<2x3xf32, strided<[8, 1], offset: 10>>
      scf.for %i = %c0 to %c2 step %c1 {
        %tmp = memref.alloca() : memref<3xf32>
        scf.for %j = %c0 to %c3 step %c1 {
          %x = memref.load %sv[%i, %j] : memref<2x3xf32, strided<[8, 1], offset: 10>>
          memref.store %x, %tmp[%j] : memref<3xf32>
        }
        scf.for %j = %c0 to %c3 step %c1 {
          %x = memref.load %tmp[%j] : memref<3xf32>
          memref.store %x, %o[%i, %j] : memref<2x3xf32>
        }
      }
      %rc = memref.reinterpret_cast %a to offset: [5], sizes: [3], strides: [8] : memref<4x8xf32> to memref<3xf32, strided<[8], offset: 5>>
      scf.for %j = %c0 to %c3 step %c1 {
        %x = memref.load %rc[%j] : memref<3xf32, strided<[8], offset: 5>>
        memref.store %x, %o2[%j] : memref<3xf32>
      }
      %one = arith.constant 1 : i64
      %lim = arith.constant 1000 : i64
      %r:2 = scf.while (%v = %one, %k = %one) : (i64, i64) -> (i64, i64) {
        %c = arith.cmpi slt, %v, %lim : i64
        scf.condition(%c) %v, %k : i64, i64
      } do {
      ^bb0(%x: i64, %y: i64):
        %d = arith.addi %x, %x : i64
        %k2 = arith.addi %y, %one : i64
        scf.yield %d, %k2 : i64, i64
      }
      %res = arith.addi %r#0, %r#1 : i64
      memref.store %res, %cnt[] : memref<i64>
      func.return
    }
    """
    ir_text = to_llvm_ir(parse(src))
    entry_block = ir_text.split('define internal void @"main"')[1].split("body:")[0]
    assert "alloca" in entry_block  # hoisted to the entry block
    a = np.arange(32, dtype=np.float32).reshape(4, 8)
    o = np.zeros((2, 3), np.float32)
    o2 = np.zeros(3, np.float32)
    cnt = np.zeros((), np.int64)
    run(src, a, o, o2, cnt)
    np.testing.assert_array_equal(o, a[1:3, 2:5])
    np.testing.assert_array_equal(o2, a.reshape(-1)[5::8][:3])
    assert int(cnt) == 1024 + 11


def test_cmp_predicates_and_casts():
    fpreds = ["oeq", "ogt", "oge", "olt", "ole", "one", "ord", "ueq", "ugt", "uge", "ult", "ule", "une", "uno"]
    ipreds = ["eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"]
    fbody = "\n".join(
        f"""%f{k} = arith.cmpf {p}, %x, %y : f32
        %q{k} = arith.constant {k} : index
        memref.store %f{k}, %of[%q{k}, %i] : memref<{len(fpreds)}x5xi1>"""
        for k, p in enumerate(fpreds)
    )
    ibody = "\n".join(
        f"""%g{k} = arith.cmpi {p}, %u, %v : i8
        %r{k} = arith.constant {k} : index
        memref.store %g{k}, %oi[%r{k}, %i] : memref<{len(ipreds)}x5xi1>"""
        for k, p in enumerate(ipreds)
    )
    src = f"""
    func.func @main(%a: memref<5xf32>, %b: memref<5xf32>, %c: memref<5xi8>, %d: memref<5xi8>,
                    %of: memref<{len(fpreds)}x5xi1>, %oi: memref<{len(ipreds)}x5xi1>,
                    %oc: memref<4x5xf32>) attributes {{strata.entry}} {{
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c5 = arith.constant 5 : index
      %s0 = arith.constant 0 : index
      %s1 = arith.constant 1 : index
      %s2 = arith.constant 2 : index
      %s3 = arith.constant 3 : index
      scf.for %i = %c0 to %c5 step %c1 {{
        %x = memref.load %a[%i] : memref<5xf32>
        %y = memref.load %b[%i] : memref<5xf32>
        %u = memref.load %c[%i] : memref<5xi8>
        %v = memref.load %d[%i] : memref<5xi8>
        {fbody}
        {ibody}
        %uf = arith.uitofp %u : i8 to f32
        memref.store %uf, %oc[%s0, %i] : memref<4x5xf32>
        %sf = arith.sitofp %u : i8 to f32
        memref.store %sf, %oc[%s1, %i] : memref<4x5xf32>
        %w = arith.extui %u : i8 to i32
        %wf = arith.sitofp %w : i32 to f32
        %h = arith.truncf %wf : f32 to f16
        %hf = arith.extf %h : f16 to f32
        memref.store %hf, %oc[%s2, %i] : memref<4x5xf32>
        %mn = arith.minui %u, %v : i8
        %mnf = arith.uitofp %mn : i8 to f32
        memref.store %mnf, %oc[%s3, %i] : memref<4x5xf32>
      }}
      func.return
    }}
    """
    nan = np.float32("nan")
    a = np.array([1, 2, nan, 3, nan], np.float32)
    b = np.array([1, 1, 0, 4, nan], np.float32)
    c = np.array([0, -1, 5, -128, 127], np.int8)
    d = np.array([0, 1, -5, 127, -128], np.int8)
    of = np.zeros((len(fpreds), 5), bool)
    oi = np.zeros((len(ipreds), 5), bool)
    oc = np.zeros((4, 5), np.float32)
    run(src, a, b, c, d, of, oi, oc)
    unord = np.isnan(a) | np.isnan(b)
    with np.errstate(invalid="ignore"):
        base = {"eq": a == b, "gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b, "ne": (a != b) & ~unord}
    exp_f = {
        "oeq": base["eq"], "ogt": base["gt"], "oge": base["ge"], "olt": base["lt"], "ole": base["le"],
        "one": base["ne"], "ord": ~unord, "ueq": base["eq"] | unord, "ugt": base["gt"] | unord,
        "uge": base["ge"] | unord, "ult": base["lt"] | unord, "ule": base["le"] | unord,
        "une": base["ne"] | unord, "uno": unord,
    }
    for k, p in enumerate(fpreds):
        np.testing.assert_array_equal(of[k], exp_f[p], err_msg=p)
    cu, du = c.view(np.uint8), d.view(np.uint8)
    exp_i = {
        "eq": c == d, "ne": c != d, "slt": c < d, "sle": c <= d, "sgt": c > d, "sge": c >= d,
        "ult": cu < du, "ule": cu <= du, "ugt": cu > du, "uge": cu >= du,
    }
    for k, p in enumerate(ipreds):
        np.testing.assert_array_equal(oi[k], exp_i[p], err_msg=p)
    np.testing.assert_array_equal(oc[0], cu.astype(np.float32))
    np.testing.assert_array_equal(oc[1], c.astype(np.float32))
    np.testing.assert_array_equal(oc[2], cu.astype(np.float32))
    np.testing.assert_array_equal(oc[3], np.minimum(cu, du).astype(np.float32))


def test_unregistered_ops_by_name():
    # ops xDSL 0.74 has no class for, in generic form
    src = """
    func.func @main(%a: memref<4xf32>, %b: memref<4xf32>, %o: memref<4xf32>, %n: memref<4xi1>, %ix: memref<4xi64>) attributes {strata.entry} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      scf.for %i = %c0 to %c4 step %c1 {
        %x = memref.load %a[%i] : memref<4xf32>
        %y = memref.load %b[%i] : memref<4xf32>
        %r = "arith.remf"(%x, %y) : (f32, f32) -> f32
        memref.store %r, %o[%i] : memref<4xf32>
        %q = "math.isnan"(%r) : (f32) -> i1
        memref.store %q, %n[%i] : memref<4xi1>
        %t = arith.index_cast %i : index to i32
        %m = arith.constant -1 : i32
        %s = arith.addi %t, %m : i32
        %u = "arith.index_castui"(%s) : (i32) -> index
        %v = arith.index_cast %u : index to i64
        memref.store %v, %ix[%i] : memref<4xi64>
      }
      func.return
    }
    """
    a = np.array([5.5, -5.5, 1.0, 3.0], np.float32)
    b = np.array([2.0, 2.0, 0.0, -2.0], np.float32)
    o = np.zeros(4, np.float32)
    n = np.zeros(4, bool)
    ix = np.zeros(4, np.int64)
    run(src, a, b, o, n, ix)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(o, np.fmod(a, b))
        np.testing.assert_array_equal(n, np.isnan(np.fmod(a, b)))
    np.testing.assert_array_equal(ix, [2**32 - 1, 0, 1, 2])


def test_built_with_python_api_and_long_entry():
    # 300 memref arguments: out[0] = sum of in_k[0]
    n_in = 300
    t = MemRefType(f32, [1])
    block = Block(arg_types=[t] * (n_in + 1))
    c0 = arith.ConstantOp.from_int_and_width(0, IndexType())
    ops = [c0]
    acc = None
    for k in range(n_in):
        ld = memref.LoadOp.get(block.args[k], [c0.result])
        ops.append(ld)
        if acc is None:
            acc = ld.res
        else:
            add = arith.AddfOp(acc, ld.res)
            ops.append(add)
            acc = add.result
    ops.append(memref.StoreOp.get(acc, block.args[n_in], [c0.result]))
    ops.append(func.ReturnOp())
    block.add_ops(ops)
    f = func.FuncOp("big", builtin.FunctionType.from_lists([t] * (n_in + 1), []), Region(block))
    f.attributes["strata.entry"] = UnitAttr()
    module = ModuleOp([f])
    llmod = translate_module(module)
    assert llmod.get_global("strata_entry") is not None
    ins = [np.array([float(k)], np.float32) for k in range(n_in)]
    out = np.zeros(1, np.float32)
    j = JitModule(str(llmod))
    j.call_entry([*ins, out])
    assert out[0] == sum(range(n_in))


def test_lowering_error_names_op():
    src = """
    func.func @main(%a: memref<4xi32>) attributes {strata.entry} {
      %c0 = arith.constant 0 : index
      %x = memref.load %a[%c0] : memref<4xi32>
      %lo, %hi = arith.mului_extended %x, %x : i32
      func.return
    }
    """
    with pytest.raises(LoweringError, match="arith.mului_extended") as info:
        translate_module(parse(src))
    assert info.value.op_name == "arith.mului_extended"


def test_views_copy_parallel_f16_switch_big_alloca():
    src = """
    func.func @main(%a: memref<2x3x4xf32>, %o: memref<24xf32>, %o2: memref<4x6xf32>, %h: memref<5xf16>,
                    %ho: memref<5xf16>, %sw: memref<4xi64>, %big: memref<100000xf32>) attributes {strata.entry} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      %c5 = arith.constant 5 : index
      %c6 = arith.constant 6 : index
      %cl = memref.collapse_shape %a [[0, 1, 2]] : memref<2x3x4xf32> into memref<24xf32>
      "memref.copy"(%cl, %o) : (memref<24xf32>, memref<24xf32>) -> ()
      %ex = memref.expand_shape %o [[0, 1]] output_shape [4, 6] : memref<24xf32> into memref<4x6xf32>
      "scf.parallel"(%c0, %c0, %c4, %c6, %c1, %c1) <{operandSegmentSizes = array<i32: 2, 2, 2, 0>}> ({
      ^bb0(%i: index, %j: index):
        %x = memref.load %ex[%i, %j] : memref<4x6xf32>
        %y = arith.addf %x, %x : f32
        memref.store %y, %o2[%i, %j] : memref<4x6xf32>
        "scf.reduce"() : () -> ()
      }) : (index, index, index, index, index, index) -> ()
      %half = arith.constant 0.5 : f16
      scf.for %i = %c0 to %c5 step %c1 {
        %x = memref.load %h[%i] : memref<5xf16>
        %e = math.exp %x : f16
        %r = math.erf %e : f16
        %s = arith.addf %r, %half : f16
        memref.store %s, %ho[%i] : memref<5xf16>
      }
      scf.for %i = %c0 to %c4 step %c1 {
        %v = scf.index_switch %i -> i64
        case 1 {
          %q = arith.constant 10 : i64
          scf.yield %q : i64
        }
        case 3 {
          %q = arith.constant 30 : i64
          scf.yield %q : i64
        }
        default {
          %q = arith.constant -1 : i64
          scf.yield %q : i64
        }
        memref.store %v, %sw[%i] : memref<4xi64>
      }
      %tmp = memref.alloca() : memref<100000xf32>
      %n = arith.constant 100000 : index
      scf.for %i = %c0 to %n step %c1 {
        %f = arith.index_cast %i : index to i64
        %g = arith.sitofp %f : i64 to f32
        memref.store %g, %tmp[%i] : memref<100000xf32>
      }
      "memref.copy"(%tmp, %big) : (memref<100000xf32>, memref<100000xf32>) -> ()
      func.return
    }
    """
    ir_text = to_llvm_ir(parse(src))
    # the 400 KB alloca goes to the heap, and is freed before returning
    assert '@"aligned_alloc"' in ir_text and '@"free"' in ir_text
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    o = np.zeros(24, np.float32)
    o2 = np.zeros((4, 6), np.float32)
    h = np.array([0.1, -1, 0.5, 2, -3], np.float16)
    ho = np.zeros(5, np.float16)
    sw = np.zeros(4, np.int64)
    big = np.zeros(100000, np.float32)
    run(src, a, o, o2, h, ho, sw, big)
    np.testing.assert_array_equal(o, a.ravel())
    np.testing.assert_array_equal(o2, 2 * a.reshape(4, 6))
    ref = _ERF(np.exp(h.astype(np.float32)).astype(np.float16).astype(np.float64)) + 0.5
    np.testing.assert_allclose(ho.astype(np.float64), ref, rtol=2e-3)
    np.testing.assert_array_equal(sw, [-1, 10, -1, 30])
    np.testing.assert_array_equal(big, np.arange(100000, dtype=np.float32))


def test_jit_errors():
    from runtime.jit import JitError

    with pytest.raises(JitError):
        JitModule("define void @f() { ret i32 0 }")
    j = JitModule("define void @f() {\n  ret void\n}\n", opt_level=0)
    assert j.address("f") != 0
    with pytest.raises(JitError):
        j.address("nope")


def test_lowering_error_in_nested_region():
    src = """
    func.func @main(%a: memref<4xi32>) attributes {strata.entry} {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c4 = arith.constant 4 : index
      scf.for %i = %c0 to %c4 step %c1 {
        %x = memref.load %a[%i] : memref<4xi32>
        %y = math.ipowi %x, %x : i32
        memref.store %y, %a[%i] : memref<4xi32>
      }
      func.return
    }
    """
    with pytest.raises(LoweringError, match="math.ipowi"):
        translate_module(parse(src))


def test_remaining_unary_math_and_int_ops():
    fops = {
        "math.asin": np.arcsin, "math.acos": np.arccos, "math.atanh": np.arctanh,
        "math.round": lambda v: np.sign(v) * np.floor(np.abs(v) + 0.5),
    }
    fbody = "\n".join(
        f"""%fy{k} = {op} %x : f32
        memref.store %fy{k}, %of[%q{k}, %i] : memref<{len(fops) + 3}x8xf32>"""
        for k, op in enumerate(fops)
    )
    nq = len(fops) + 3
    consts = "\n".join(f"%q{k} = arith.constant {k} : index" for k in range(max(nq, 12)))
    src = f"""
    func.func @main(%a: memref<8xf32>, %b: memref<8xi32>, %c: memref<8xi32>, %of: memref<{nq}x8xf32>,
                    %oi: memref<12x8xi32>, %ob: memref<2x8xi1>) attributes {{strata.entry}} {{
      {consts}
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %c8 = arith.constant 8 : index
      %two = arith.constant 2.0 : f32
      %i2 = arith.constant 2 : i32
      scf.for %i = %c0 to %c8 step %c1 {{
        %x = memref.load %a[%i] : memref<8xf32>
        %u = memref.load %b[%i] : memref<8xi32>
        %v = memref.load %c[%i] : memref<8xi32>
        {fbody}
        %x2 = arith.addf %x, %two : f32
        %ach = math.acosh %x2 : f32
        memref.store %ach, %of[%q4, %i] : memref<{nq}x8xf32>
        %mn = arith.minnumf %x, %two : f32
        memref.store %mn, %of[%q5, %i] : memref<{nq}x8xf32>
        %mi = arith.minimumf %x, %two : f32
        memref.store %mi, %of[%q6, %i] : memref<{nq}x8xf32>
        %r0 = math.absi %u : i32
        memref.store %r0, %oi[%q0, %i] : memref<12x8xi32>
        %r1 = math.ctlz %u : i32
        memref.store %r1, %oi[%q1, %i] : memref<12x8xi32>
        %r2 = math.cttz %u : i32
        memref.store %r2, %oi[%q2, %i] : memref<12x8xi32>
        %r3 = math.ctpop %u : i32
        memref.store %r3, %oi[%q3, %i] : memref<12x8xi32>
        %r4 = arith.divui %u, %v : i32
        memref.store %r4, %oi[%q4, %i] : memref<12x8xi32>
        %r5 = arith.remui %u, %v : i32
        memref.store %r5, %oi[%q5, %i] : memref<12x8xi32>
        %r6 = arith.ceildivui %u, %v : i32
        memref.store %r6, %oi[%q6, %i] : memref<12x8xi32>
        %r7 = arith.shrsi %u, %i2 : i32
        memref.store %r7, %oi[%q7, %i] : memref<12x8xi32>
        %r8 = arith.shrui %u, %i2 : i32
        memref.store %r8, %oi[%q8, %i] : memref<12x8xi32>
        %r9 = arith.bitcast %x : f32 to i32
        memref.store %r9, %oi[%q9, %i] : memref<12x8xi32>
        %r10 = arith.minsi %u, %v : i32
        memref.store %r10, %oi[%q10, %i] : memref<12x8xi32>
        %r11 = arith.maxui %u, %v : i32
        memref.store %r11, %oi[%q11, %i] : memref<12x8xi32>
        %inf = "math.isinf"(%x) : (f32) -> i1
        memref.store %inf, %ob[%q0, %i] : memref<2x8xi1>
        %fin = "math.isfinite"(%x) : (f32) -> i1
        memref.store %fin, %ob[%q1, %i] : memref<2x8xi1>
      }}
      func.return
    }}
    """
    a = np.array([-0.9, -0.5, -0.25, 0.0, 0.25, 0.5, 2.5, -1.5], np.float32)
    b = np.array([-7, 12, 1, -(2**31), 2**31 - 1, 1000, 96, 3], np.int32)
    c = np.array([3, 5, 1, 7, -2, 9, 10, 3], np.int32)
    of = np.zeros((len(fops) + 3, 8), np.float32)
    oi = np.zeros((12, 8), np.int32)
    ob = np.zeros((2, 8), bool)
    run(src, a, b, c, of, oi, ob)
    ad = a.astype(np.float64)
    with np.errstate(invalid="ignore"):
        for k, (name, ref) in enumerate(fops.items()):
            m = np.abs(ad) <= 1 if name != "math.round" else np.ones(8, bool)
            if name == "math.atanh":
                m &= np.abs(ad) < 1
            np.testing.assert_allclose(of[k][m], ref(ad)[m], rtol=2e-6, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(of[4], np.arccosh(ad + 2), rtol=2e-6)
    np.testing.assert_array_equal(of[5], np.fmin(a, 2))
    np.testing.assert_array_equal(of[6], np.minimum(a, 2))
    bu, cu = b.view(np.uint32), c.view(np.uint32)
    bits = [f"{int(x):032b}" for x in bu]
    np.testing.assert_array_equal(oi[0], np.abs(b))  # INT_MIN stays INT_MIN
    np.testing.assert_array_equal(oi[1], [len(s) - len(s.lstrip("0")) for s in bits])
    np.testing.assert_array_equal(oi[2], [len(s) - len(s.rstrip("0")) for s in bits])
    np.testing.assert_array_equal(oi[3], [s.count("1") for s in bits])
    np.testing.assert_array_equal(oi[4].view(np.uint32), bu // cu)
    np.testing.assert_array_equal(oi[5].view(np.uint32), bu % cu)
    np.testing.assert_array_equal(oi[6].view(np.uint32), -(-bu.astype(np.int64) // cu))
    np.testing.assert_array_equal(oi[7], b >> 2)
    np.testing.assert_array_equal(oi[8].view(np.uint32), bu >> 2)
    np.testing.assert_array_equal(oi[9], a.view(np.int32))
    np.testing.assert_array_equal(oi[10], np.minimum(b, c))
    np.testing.assert_array_equal(oi[11].view(np.uint32), np.maximum(bu, cu))
    np.testing.assert_array_equal(ob[0], np.isinf(a))
    np.testing.assert_array_equal(ob[1], np.isfinite(a))


def test_function_names_clashing_with_libm():
    # a user function called @exp (internal: renamed) and a user declaration of
    # erff that the translator reuses for math.erf
    src = """
    func.func private @erff(f32) -> f32
    func.func @exp(%x: f32) -> f32 {
      %y = math.exp %x : f32
      %z = func.call @erff(%y) : (f32) -> f32
      %w = math.erf %z : f32
      func.return %w : f32
    }
    func.func @main(%a: memref<f32>, %o: memref<f32>) attributes {strata.entry} {
      %x = memref.load %a[] : memref<f32>
      %y = func.call @exp(%x) : (f32) -> f32
      memref.store %y, %o[] : memref<f32>
      func.return
    }
    """
    a = np.array(0.3, np.float32)
    o = np.zeros((), np.float32)
    run(src, a, o)
    assert abs(float(o) - pymath.erf(pymath.erf(pymath.exp(0.3)))) < 1e-6


def test_unrolled_loads_share_their_address_arithmetic():
    """A register tile's loads at constant lanes of one row: the variable part of the
    linear index (i * 8) is computed once per block and each load adds its constant;
    results equal numpy's."""
    loads = "\n".join(
        f"          %x{k} = memref.load %a[%i, %c{k}] : memref<4x8xf32>\n"
        f"          memref.store %x{k}, %o[%i, %c{7 - k}] : memref<4x8xf32>"
        for k in range(8)
    )
    consts = "\n".join(f"      %c{k} = arith.constant {k} : index" for k in range(9) if k != 1)
    src = f"""
    func.func @reverse_rows(%a: memref<4x8xf32>, %o: memref<4x8xf32>) attributes {{strata.entry}} {{
{consts}
      %c1 = arith.constant 1 : index
      scf.for %i = %c0 to %c4 step %c1 {{
{loads}
      }}
      func.return
    }}
    """
    text = to_llvm_ir(parse(src))
    start = text.index('@"reverse_rows"(')
    body = text[start:text.index("\n}\n", start)]
    assert body.count("mul nsw i64") == 1, body  # i * 8, once for all 16 accesses
    assert body.count("getelementptr") == 16  # one per load and store (lane 0 has no add)
    a = RNG.standard_normal((4, 8)).astype(np.float32)
    o = np.zeros_like(a)
    run(src, a, o)
    np.testing.assert_array_equal(o, a[:, ::-1])
