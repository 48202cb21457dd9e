"""`@triton.jit` helper functions that generated kernels call, by name, as source text.

They are written with Triton's core language only (tl.exp, tl.log, tl.sqrt, ...), never
with libdevice: Triton's interpreter has no extern functions, and the kernels must run
the same code in the interpreter (tests, machines without a GPU) as on a GPU. A kernel
lists the helpers it calls (`KernelText.need`); the program's module source holds each
once, before the kernels.

Accuracy: atan uses Cephes' atanf range reduction and polynomial (about 2 ulp in fp32);
asin/acos/atanh/asinh/acosh are built on it and on a log1p with Goldberg's correction
(log(u) * x / (u - 1), u = 1 + x), expm1 on Kahan's (u - 1) * x / log(u), tanh on expm1 (-expm1(-2|x|) / (expm1(-2|x|) + 2), exact
near 0 and saturating at both ends); sinh uses its
Taylor series below |x| = 0.5 (no cancellation); pow is exp2(y * log2|x|) with the sign
of odd integer powers of negative bases and the IEEE special cases x^0 = 1, 1^y = 1;
round is round-half-to-even (ONNX Round).
"""

from __future__ import annotations

HELPERS: dict[str, str] = {
    "strata_log1p": '''@triton.jit
def strata_log1p(x):
    u = 1.0 + x
    d = u - 1.0
    return tl.where(d == 0.0, x, tl.log(u) * (x / tl.where(d == 0.0, 1.0, d)))''',
    "strata_expm1": '''@triton.jit
def strata_expm1(x):
    u = tl.exp(x)
    d = u - 1.0
    lu = tl.log(u)
    r = tl.where((lu == 0.0) | (d == 0.0), x, d * (x / tl.where(lu == 0.0, 1.0, lu)))
    r = tl.where(d == -1.0, -1.0, r)
    return tl.where(u == float("inf"), u, r)''',
    "strata_tanh": '''@triton.jit
def strata_tanh(x):
    e = strata_expm1(-2.0 * tl.abs(x))
    r = -e / (e + 2.0)
    return tl.where(x < 0.0, -r, r)''',
    "strata_atan": '''@triton.jit
def strata_atan(x):
    ax = tl.abs(x)
    big = ax > 2.414213562373095
    mid = ax > 0.4142135623730950
    y0 = tl.where(big, 1.5707963267948966, tl.where(mid, 0.7853981633974483, 0.0))
    xr = tl.where(big, -1.0 / tl.where(big, ax, 1.0), tl.where(mid, (ax - 1.0) / (ax + 1.0), ax))
    z = xr * xr
    p = (((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * xr + xr
    r = y0 + p
    return tl.where(x < 0.0, -r, r)''',
    "strata_asin": '''@triton.jit
def strata_asin(x):
    c = tl.sqrt((1.0 - x) * (1.0 + x))
    r = strata_atan(x / tl.where(c == 0.0, 1.0, c))
    return tl.where(c == 0.0, tl.where(x > 0.0, 1.5707963267948966, -1.5707963267948966), r)''',
    "strata_acos": '''@triton.jit
def strata_acos(x):
    t = tl.sqrt((1.0 - x) / (1.0 + x))
    return 2.0 * strata_atan(t)''',
    "strata_sinh": '''@triton.jit
def strata_sinh(x):
    e = tl.exp(tl.abs(x))
    big = 0.5 * (e - 1.0 / e)
    x2 = x * x
    small = tl.abs(x) * (1.0 + x2 * (1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (1.0 / 5040.0 + x2 / 362880.0))))
    r = tl.where(tl.abs(x) < 0.5, small, big)
    return tl.where(x < 0.0, -r, r)''',
    "strata_cosh": '''@triton.jit
def strata_cosh(x):
    e = tl.exp(tl.abs(x))
    return 0.5 * (e + 1.0 / e)''',
    "strata_asinh": '''@triton.jit
def strata_asinh(x):
    ax = tl.abs(x)
    r = strata_log1p(ax + ax * ax / (1.0 + tl.sqrt(1.0 + ax * ax)))
    r = tl.where(ax > 1e18, tl.log(ax) + 0.6931471805599453, r)
    return tl.where(x < 0.0, -r, r)''',
    "strata_acosh": '''@triton.jit
def strata_acosh(x):
    return tl.log(x + tl.sqrt((x - 1.0) * (x + 1.0)))''',
    "strata_atanh": '''@triton.jit
def strata_atanh(x):
    return 0.5 * strata_log1p(2.0 * x / (1.0 - x))''',
    "strata_pow": '''@triton.jit
def strata_pow(x, y):
    x, y = tl.broadcast(x, y)
    ax = tl.abs(x)
    r = tl.exp2(y * tl.log2(ax))
    yi = tl.floor(y)
    whole = yi == y
    odd = whole & ((yi - 2.0 * tl.floor(yi * 0.5)) == 1.0)
    r = tl.where((x < 0.0) & odd, -r, r)
    r = tl.where((x < 0.0) & (~whole), float("nan"), r)
    r = tl.where(y == 0.0, 1.0, r)
    return tl.where(x == 1.0, 1.0, r)''',
    "strata_round": '''@triton.jit
def strata_round(x):
    f = tl.floor(x)
    d = x - f
    half_up = f + 1.0
    even = (f - 2.0 * tl.floor(f * 0.5)) == 0.0
    return tl.where(d > 0.5, half_up, tl.where(d < 0.5, f, tl.where(even, f, half_up)))''',
    "strata_mul": '''@triton.jit
def strata_mul(a, b):
    return a * b''',
}

# Helpers that call other helpers: emitted after them.
DEPENDS = {
    "strata_asin": ["strata_atan"], "strata_acos": ["strata_atan"], "strata_asinh": ["strata_log1p"],
    "strata_atanh": ["strata_log1p"], "strata_tanh": ["strata_expm1"],
}


def helper_sources(names: list[str]) -> list[str]:
    """The source of `names` and what they call, each once, callees first."""
    out: list[str] = []

    def add(n: str) -> None:
        for d in DEPENDS.get(n, []):
            add(d)
        if HELPERS[n] not in out:
            out.append(HELPERS[n])

    for n in names:
        add(n)
    return out
