"""The pass `math-polynomial-approximation`: f32 `math.exp`, `math.tanh` and `math.erf`
become arith/math ops that LLVM vectorizes (MLIR's polynomial approximations do the
same at this level).

Why: LLVM has no vector exp/tanh/erf without a vector math library, so a loop calling
`llvm.exp.f32` keeps one libm call per element; in a vectorized loop it is split into
one call per lane. Measured on the Zen 3 host: Tanh * x took 16 ns an element, and a
Softmax row or an attention kernel spent most of its time in expf. Built from FMAs,
rounding and integer ops instead, the same loop runs 8 or 16 lanes at a time.

The approximations, on f32 (f64 and f16 keep the libm calls):

- exp: Cephes' expf (as in Eigen): x = n ln 2 + r with n = round(x log2 e) and ln 2
  split in two parts, exp(r) ~ 1 + r + r^2 P(r) with a degree-5 P, times 2^n built
  in the exponent bits (as two factors, so 2^128 needs no special case). At most 2 ulp from libm on [-87, 88.7] (tests/test_math_approximation.py
  sweeps it); +inf above 88.72, 0 below -87.33 (where the result would be subnormal),
  NaN stays NaN. A `math.exp` with the `afn` fast-math flag (the Swish and Sigmoid
  kernels set it) becomes `exp_f32_for_swish` instead: the same values on
  [-87.33, 88], cheaper at the ends (inf from 88, 1.2e-38 below -87.33), which is all
  1 / (1 + e) needs.
- tanh: Eigen's rational approximation x P(x^2) / Q(x^2) of degrees 13 and 6 on
  [-7.9, 7.9], x itself below 4e-4, +-1 beyond 9: at most 5 ulp (2.7e-7 absolute).
- erf: the rational approximation x P(x^2) / Q(x^2) of Eigen and XLA on [-4, 4]
  (+-1 beyond): 4.2e-7 absolute error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.builder import Builder, ImplicitBuilder
from xdsl.context import Context
from xdsl.dialects import arith, math
from xdsl.dialects.builtin import Float32Type, ModuleOp, i32
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint

from lowering import scalar

__all__ = ["MathPolynomialApproximationPass", "exp_f32", "exp_f32_for_swish", "tanh_f32", "erf_f32"]


def _c(v: float) -> SSAValue:
    return scalar.const(v, Float32Type())


def _clamp(x: SSAValue, lo: float, hi: float) -> SSAValue:
    """min(max(x, lo), hi) as compares and selects (one vmaxps / vminps each on x86;
    the NaN-propagating arith.maximumf costs a blend more). NaN passes through."""
    x = scalar.select(scalar.compare("lt", x, _c(lo)), _c(lo), x)
    return scalar.select(scalar.compare("gt", x, _c(hi)), _c(hi), x)


def _horner(x: SSAValue, coefs: tuple[float, ...]) -> SSAValue:
    """coefs[0] + coefs[1] x + ... by Horner's rule with FMAs."""
    acc = _c(coefs[-1])
    for coef in reversed(coefs[:-1]):
        acc = scalar.fma(acc, x, _c(coef))
    return acc


_EXP_HI = 88.72283935546875  # above: exp overflows f32
_EXP_LO = -87.33654022216797  # below: the result is subnormal; 0 is returned
_EXP_HI_ONE_FACTOR = 88.0  # up to here 2^n is one normal float (n <= 127)
_EXP_P = (5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.9875691500e-4)


def exp_f32(x: SSAValue) -> SSAValue:
    # Clamped so the exponent stays in range; the selects below restore the ends.
    xc = _clamp(x, _EXP_LO, _EXP_HI)
    n = math.RoundEvenOp(scalar.mul(xc, _c(1.4426950408889634))).result
    r = scalar.fma(n, _c(-0.693359375), xc)
    r = scalar.fma(n, _c(2.12194440e-4), r)
    r2 = scalar.mul(r, r)
    y = scalar.fma(_horner(r, _EXP_P), r2, scalar.add(r, _c(1.0)))
    # 2^n as 2^(n >> 1) * 2^(n - (n >> 1)): both factors are normal floats for every n
    # in [-126, 128], where one 2^n would leave the exponent field at 128.
    ni = arith.FPToSIOp(n, i32).result
    half = arith.ShRSIOp(ni, _int(1)).result
    for part in (half, arith.SubiOp(ni, half).result):
        bits = arith.ShLIOp(arith.AddiOp(part, _int(127)).result, _int(23)).result
        y = scalar.mul(y, arith.BitcastOp(bits, Float32Type()).result)
    y = scalar.select(scalar.compare("gt", x, _c(_EXP_HI)), _c(float("inf")), y)
    y = scalar.select(scalar.compare("lt", x, _c(_EXP_LO)), _c(0.0), y)
    return scalar.select(arith.CmpfOp(x, x, "uno").result, x, y)


_ROUND_MAGIC = 12582912.0  # 1.5 * 2^23: t + magic rounds t to an integer, held in t's low bits
_ROUND_MAGIC_BITS = 0x4B400000


def exp_f32_for_swish(x: SSAValue) -> SSAValue:
    """exp(x) for Swish's x / (1 + exp(-x)): +inf above 88 (not 88.72: then n <= 127 and
    2^n is one factor, not two), exp(_EXP_LO) = 1.2e-38 below _EXP_LO instead of 0 (1 +
    either is 1). n = round(x log2 e) comes from one FMA with a magic constant, whose
    bits also hold n as an integer: no round or float-to-int conversion, and a NaN stays
    NaN without a select (the integer path has no poison to guard). 19 vector ops per
    element where exp_f32 has 29; within 2 ulp on [_EXP_LO, 88], as exp_f32."""
    xc = _clamp(x, _EXP_LO, _EXP_HI_ONE_FACTOR)
    t = scalar.fma(xc, _c(1.4426950408889634), _c(_ROUND_MAGIC))
    n = scalar.sub(t, _c(_ROUND_MAGIC))
    r = scalar.fma(n, _c(-0.693359375), xc)
    r = scalar.fma(n, _c(2.12194440e-4), r)
    r2 = scalar.mul(r, r)
    y = scalar.fma(_horner(r, _EXP_P), r2, scalar.add(r, _c(1.0)))
    biased = arith.AddiOp(arith.BitcastOp(t, i32).result, _int(127 - _ROUND_MAGIC_BITS)).result
    y = scalar.mul(y, arith.BitcastOp(arith.ShLIOp(biased, _int(23)).result, Float32Type()).result)
    return scalar.select(scalar.compare("gt", x, _c(_EXP_HI_ONE_FACTOR)), _c(float("inf")), y)


def _int(v: int) -> SSAValue:
    return scalar.const(v, i32)


_TANH_CLAMP = 7.90531110763549805
_TANH_P = (4.89352455891786e-03, 6.37261928875436e-04, 1.48572235717979e-05, 5.12229709037114e-08,
           -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16)
_TANH_Q = (4.89352518554385e-03, 2.26843463243900e-03, 1.18534705686654e-04, 1.19825839466702e-06)


def tanh_f32(x: SSAValue) -> SSAValue:
    xc = _clamp(x, -_TANH_CLAMP, _TANH_CLAMP)
    x2 = scalar.mul(xc, xc)
    y = scalar.div(scalar.mul(xc, _horner(x2, _TANH_P)), _horner(x2, _TANH_Q))
    tiny = scalar.compare("lt", math.AbsFOp(x).result, _c(0.0004))
    y = scalar.select(tiny, x, y)
    # f32's tanh is +-1 beyond 9.01; the rational approximation ends 4 ulp short of it.
    y = scalar.select(scalar.compare("gt", x, _c(9.0)), _c(1.0), y)
    return scalar.select(scalar.compare("lt", x, _c(-9.0)), _c(-1.0), y)


# Odd/even polynomial coefficients of erf(x) ~ x P(x^2) / Q(x^2) on [-4, 4] (Eigen's
# and XLA's f32 erf): max abs error 4.2e-7 against math.erf on [-6, 6], measured.
_ERF_P = (-1.60960333262415e-02, -2.95459980854025e-03, -7.34990630326855e-04,
          -5.69250639462346e-05, -2.10102402082508e-06, 2.77068142495902e-08, -2.72614225801306e-10)
_ERF_Q = (-1.42647390514189e-02, -7.37332916720468e-03, -1.68282697438203e-03,
          -2.13374055278905e-04, -1.45660718464996e-05)


def erf_f32(x: SSAValue) -> SSAValue:
    xc = _clamp(x, -4.0, 4.0)
    x2 = scalar.mul(xc, xc)
    return scalar.div(scalar.mul(xc, _horner(x2, _ERF_P)), _horner(x2, _ERF_Q))


def approximate_ends(op: math.ExpOp) -> bool:
    """Whether an exp may take exp_f32_for_swish: its `afn` fast-math flag (approximate
    functions allowed), which the Swish and Sigmoid kernels set."""
    flags = op.fastmath
    return flags is not None and "afn" in flags.data


APPROXIMATIONS: dict[type[Operation], Callable[[SSAValue], SSAValue]] = {
    math.ExpOp: exp_f32,
    math.TanhOp: tanh_f32,
    math.ErfOp: erf_f32,
}


@dataclass(frozen=True)
class MathPolynomialApproximationPass(ModulePass):
    name = "math-polynomial-approximation"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        targets = [o for o in op.walk() if type(o) in APPROXIMATIONS and isinstance(o.operands[0].type, Float32Type)]
        for target in targets:
            approximation = APPROXIMATIONS[type(target)]
            if isinstance(target, math.ExpOp) and approximate_ends(target):
                approximation = exp_f32_for_swish
            with ImplicitBuilder(Builder(InsertPoint.before(target))):
                value = approximation(target.operands[0])
            target.results[0].replace_all_uses_with(value)
            target.detach()
            target.erase()
