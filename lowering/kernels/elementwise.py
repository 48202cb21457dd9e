"""Elementwise kernels: one loop nest over the output, inputs read with broadcasting,
a scalar body per op.

`SCALAR_BODIES` is the one table of elementwise ops: each op's scalar body from the
graph op and loop-level values alone (no buffers). The single-op kernels (`LOWERINGS`)
are derived from it, one loop nest around the body, except the few in
`SPECIAL_LOWERINGS` (Clip loads its bounds once before the loop; Dropout has a second
result); fused kernels (lowering/kernels/fused_group.py) chain the same bodies in
registers. Adding an elementwise op is one SCALAR_BODIES entry.

Integer division and remainder never trap: a zero divisor is replaced by 1 (ONNX leaves
it undefined; onnxruntime crashes) and INT_MIN / -1 wraps. Float-to-int conversions of
NaN or out-of-range values follow LLVM's fptosi/fptoui (unspecified, as in C++).
"""

from __future__ import annotations

import math as pymath
from collections.abc import Callable, Sequence

from xdsl.dialects import arith, math
from xdsl.dialects.arith import FastMathFlagsAttr
from xdsl.dialects.builtin import AnyFloat, Float32Type, IntegerType, UnregisteredOp, f64, i64
from xdsl.ir import Operation, SSAValue

from dialects.onnx.base import float_attr_value, int_attr_value, str_attr_value
from lowering import scalar
from lowering.loop_builder import broadcast_indices, load, parallel_nest, signless, store
from lowering.kernel_context import KernelContext, KernelLowering

# An input of the loop nest: an operand name, or a (buffer, shape) pair.
Input = str | tuple[SSAValue, Sequence[int]]


def elementwise(kc: KernelContext, inputs: Sequence[Input], output: str, body: Callable[..., SSAValue]) -> None:
    """out[i] = body(in0[bcast(i)], in1[bcast(i)], ...) over the output's shape."""
    out_shape = kc.shape(output)
    out = kc.output(output)
    sources = [(kc.input(n), kc.shape(n)) if isinstance(n, str) else n for n in inputs]
    with parallel_nest(out_shape) as ivs:
        values = [load(buf, broadcast_indices(ivs, shape, out_shape)) for buf, shape in sources]
        store(body(*values), out, ivs)


def _math(op_class) -> Callable[[SSAValue], SSAValue]:
    return lambda x: op_class(x).result


def _c(value: float | int, like: SSAValue) -> SSAValue:
    return scalar.const(value, like.type)


_RemFOp = UnregisteredOp.with_name("arith.remf")


def _remf(a: SSAValue, b: SSAValue) -> SSAValue:
    """C fmod (`arith.remf`, which xDSL 0.74 has no class for; the translator knows it)."""
    return _RemFOp.create(operands=[a, b], result_types=[a.type]).results[0]


def _op_float(op: Operation, name: str) -> float:
    return float_attr_value(getattr(op, name))


def _is_unsigned(value: SSAValue) -> bool:
    """Whether a graph-level value (a tensor) holds unsigned integers."""
    ty = value.type.element_type
    return isinstance(ty, IntegerType) and ty.signedness.data.name == "UNSIGNED"


# ---- arithmetic ---------------------------------------------------------------------


def _safe_divisor(b: SSAValue, unsigned: bool) -> SSAValue:
    """b with 0 (and, signed, -1) replaced by 1, so integer division cannot trap."""
    one = _c(1, b)
    bad = scalar.compare("eq", b, _c(0, b))
    if not unsigned:
        bad = arith.OrIOp(bad, scalar.compare("eq", b, _c(-1, b))).result
    return scalar.select(bad, one, b)


def _int_div(a: SSAValue, b: SSAValue, unsigned: bool) -> SSAValue:
    """Truncating division (C, onnxruntime); x / 0 gives x, INT_MIN / -1 wraps."""
    q = scalar.div(a, _safe_divisor(b, unsigned), unsigned)
    if unsigned:
        return q
    return scalar.select(scalar.compare("eq", b, _c(-1, b)), scalar.neg(a), q)


def _div_body(op: Operation) -> Callable[..., SSAValue]:
    if scalar.is_float(op.a.type.element_type):
        return scalar.div
    unsigned = _is_unsigned(op.a)
    return lambda a, b: _int_div(a, b, unsigned)


def _float_floor_mod(a: SSAValue, b: SSAValue) -> SSAValue:
    """numpy's np.mod (npy_divmod) on floats: r = fmod(a, b); a nonzero r whose sign
    differs from b's becomes r + b; a zero r becomes copysign(0, b)."""
    r = _remf(a, b)
    zero = _c(0.0, r)
    signs_differ = arith.XOrIOp(scalar.compare("lt", b, zero), scalar.compare("lt", r, zero)).result
    fix = arith.AndIOp(scalar.compare("ne", r, zero), signs_differ).result  # "ne" is true for NaN
    adjusted = scalar.select(fix, scalar.add(r, b), r)
    return scalar.select(scalar.compare("eq", r, zero), math.CopySignOp(zero, b).result, adjusted)


def _mod_body(op: Operation) -> Callable[..., SSAValue]:
    """fmod=1: C fmod / remainder with the dividend's sign; fmod=0: the remainder takes
    the divisor's sign (Python %), for floats too (ONNX allows that from opset 28, and
    onnxruntime computes it as numpy's np.mod does: a zero remainder is a zero with the
    divisor's sign, x mod 0 is NaN). x mod 0 gives 0 for integers."""
    fmod = int_attr_value(op.fmod) == 1
    unsigned = _is_unsigned(op.a)

    def body(a: SSAValue, b: SSAValue) -> SSAValue:
        if scalar.is_float(a):
            return _remf(a, b) if fmod else _float_floor_mod(a, b)
        safe = _safe_divisor(b, unsigned)
        if unsigned:
            return arith.RemUIOp(a, safe).result
        r = arith.RemSIOp(a, safe).result
        if fmod:
            return r
        zero = _c(0, r)
        # r != 0 and sign(r) != sign(b): r + b
        signs_differ = scalar.compare("lt", arith.XOrIOp(r, b).result, zero)
        fix = arith.AndIOp(scalar.compare("ne", r, zero), signs_differ).result
        return scalar.select(fix, scalar.add(r, b), r)

    return body


def _pow_body(op: Operation) -> Callable[..., SSAValue]:
    """Float base: powf with the exponent converted to the base type. Integer base:
    computed in f64 and truncated to the integer type, as onnxruntime's
    static_cast<T>(std::pow(x, y))."""
    x_unsigned, y_unsigned = _is_unsigned(op.x), _is_unsigned(op.y)

    def body(x: SSAValue, y: SSAValue) -> SSAValue:
        if scalar.is_float(x):
            e = scalar.convert(y, x.type, src_unsigned=y_unsigned)
            return math.PowFOp(x, e).result
        xf = scalar.convert(x, f64, src_unsigned=x_unsigned)
        yf = scalar.convert(y, f64, src_unsigned=y_unsigned)
        return scalar.convert(math.PowFOp(xf, yf).result, x.type, dst_unsigned=x_unsigned)

    return body


def _reciprocal(x: SSAValue) -> SSAValue:
    return scalar.div(_c(1, x), x)


def _abs_body(op: Operation) -> Callable[..., SSAValue]:
    return (lambda x: x) if _is_unsigned(op.x) else scalar.abs_


def _sign_body(op: Operation) -> Callable[..., SSAValue]:
    unsigned = _is_unsigned(op.input)

    def body(x: SSAValue) -> SSAValue:
        zero = _c(0, x)
        pos = scalar.select(scalar.compare("gt", x, zero, unsigned), _c(1, x), zero)
        if unsigned:
            return pos
        return scalar.select(scalar.compare("lt", x, zero), _c(-1, x), pos)

    return body


# ---- unary activations --------------------------------------------------------------
# The float helpers without an op (sigmoid, leaky_relu, ...) are shared with the fused
# ops' epilogue bodies (lowering/kernels/activation.py).


def _relu_body(op: Operation) -> Callable[..., SSAValue]:
    unsigned = _is_unsigned(op.x)
    return lambda x: scalar.maximum(x, _c(0, x), unsigned)


def leaky_relu(x: SSAValue, alpha: float) -> SSAValue:
    """x < 0 ? alpha * x : x."""
    neg = scalar.compare("lt", x, _c(0, x))
    return scalar.select(neg, scalar.mul(x, _c(alpha, x)), x)


def _prelu(x: SSAValue, slope: SSAValue) -> SSAValue:
    neg = scalar.compare("lt", x, _c(0, x))
    return scalar.select(neg, scalar.mul(x, slope), x)


def _exp_approximate_ends(z: SSAValue) -> SSAValue:
    """math.exp with the `afn` flag: math-polynomial-approximation makes it
    exp_f32_for_swish, which is exact where 1 / (1 + e) needs it and cheaper at the ends."""
    return math.ExpOp(z, FastMathFlagsAttr(["afn"])).result


def sigmoid(x: SSAValue) -> SSAValue:
    """f32: 1 / (1 + e^-x) with the exp of Swish (exp_f32_for_swish): its inf for -x > 88
    gives exactly 0, its 1.2e-38 for -x < -87.3 exactly 1, so the plain formula needs no
    second branch; 22 vector ops an element where the two-branch form took about 36.
    Measured on Zen 4, 1 thread, Sigmoid of [1, 32, 112, 112]: 204 -> 132 us
    (onnxruntime 120).
    Other types: 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) otherwise, from one
    e = exp(-|x|): no overflow for large |x|."""
    if isinstance(x.type, Float32Type):
        return scalar.div(_c(1, x), scalar.add(_c(1, x), _exp_approximate_ends(scalar.neg(x))))
    e = math.ExpOp(scalar.neg(math.AbsFOp(x).result)).result
    r = scalar.div(_c(1, x), scalar.add(_c(1, x), e))
    return scalar.select(scalar.compare("ge", x, _c(0, x)), r, scalar.mul(e, r))


def swish(x: SSAValue, alpha: float) -> SSAValue:
    """x * sigmoid(alpha x) as x / (1 + e^(-alpha x)): one exp and one division, no
    select, so with f32's polynomial exp (math-polynomial-approximation) it vectorizes
    in a conv / GEMM epilogue. Overflow is harmless: e^(-alpha x) = inf gives x / inf
    = -0 or 0 (the limit; -inf gives NaN, as -inf * sigmoid(-inf) = -inf * 0 does).
    Not 0.5 x (1 + tanh(alpha x / 2)): that cancels for negative x (relative error
    1e-3 at x = -10 with the f32 tanh's 2.7e-7 absolute error); this stays within a few
    ulp."""
    ax = x if alpha == 1.0 else scalar.mul(x, _c(alpha, x))
    z = scalar.neg(ax)
    # f32: an exp with cheaper ends (`afn`, exp_f32_for_swish): measured on Zen 4, 1 thread,
    # EfficientNet-B0's 1x1 conv 16->96 @112 with Swish 1.115 -> 0.972 ms, its 3x3
    # depthwise 32 @112 0.394 -> 0.326 ms (tools-free script; onnxruntime 0.88-0.98 / 0.275).
    e = _exp_approximate_ends(z) if isinstance(x.type, Float32Type) else math.ExpOp(z).result
    return scalar.div(x, scalar.add(_c(1, x), e))


def _softplus(x: SSAValue) -> SSAValue:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|)."""
    e = math.ExpOp(scalar.neg(math.AbsFOp(x).result)).result
    return scalar.add(scalar.maximum(x, _c(0, x)), math.Log1pOp(e).result)


def _clamp01(v: SSAValue) -> SSAValue:
    return scalar.maximum(_c(0, v), scalar.minimum(_c(1, v), v))


def hard_sigmoid(x: SSAValue, alpha: float, beta: float) -> SSAValue:
    """max(0, min(1, alpha * x + beta))."""
    return _clamp01(scalar.add(scalar.mul(x, _c(alpha, x)), _c(beta, x)))


def hard_swish(x: SSAValue) -> SSAValue:
    """x * max(0, min(1, x / 6 + 0.5))."""
    return scalar.mul(x, _clamp01(scalar.add(scalar.mul(x, _c(1.0 / 6.0, x)), _c(0.5, x))))


def _elu_body(op: Operation) -> Callable[..., SSAValue]:
    alpha = _op_float(op, "alpha")

    def body(x: SSAValue) -> SSAValue:
        em1 = scalar.sub(math.ExpOp(x).result, _c(1, x))
        return scalar.select(scalar.compare("lt", x, _c(0, x)), scalar.mul(em1, _c(alpha, x)), x)

    return body


def _selu_body(op: Operation) -> Callable[..., SSAValue]:
    alpha, gamma = _op_float(op, "alpha"), _op_float(op, "gamma")

    def body(x: SSAValue) -> SSAValue:
        neg = scalar.sub(scalar.mul(math.ExpOp(x).result, _c(alpha, x)), _c(alpha, x))
        v = scalar.select(scalar.compare("gt", x, _c(0, x)), x, neg)
        return scalar.mul(v, _c(gamma, x))

    return body


def gelu(x: SSAValue, tanh_form: bool) -> SSAValue:
    """x/2 (1 + erf(x / sqrt 2)) (approximate="none"), or with tanh_form
    x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (approximate="tanh")."""
    if tanh_form:
        x3 = scalar.mul(scalar.mul(x, x), x)
        inner = scalar.mul(_c(pymath.sqrt(2.0 / pymath.pi), x), scalar.add(x, scalar.mul(x3, _c(0.044715, x))))
        t = math.TanhOp(inner).result
    else:
        t = math.ErfOp(scalar.mul(x, _c(1.0 / pymath.sqrt(2.0), x))).result
    return scalar.mul(scalar.mul(x, _c(0.5, x)), scalar.add(_c(1, x), t))


def _softsign(x: SSAValue) -> SSAValue:
    """x / (1 + |x|)."""
    return scalar.div(x, scalar.add(_c(1, x), math.AbsFOp(x).result))


def _thresholded_relu_body(op: Operation) -> Callable[..., SSAValue]:
    alpha = _op_float(op, "alpha")

    def body(x: SSAValue) -> SSAValue:
        return scalar.select(scalar.compare("gt", x, _c(alpha, x)), x, _c(0, x))

    return body


def _celu_body(op: Operation) -> Callable[..., SSAValue]:
    """max(0, x) + min(0, alpha * expm1(x / alpha))."""
    alpha = _op_float(op, "alpha")

    def body(x: SSAValue) -> SSAValue:
        em1 = math.ExpM1Op(scalar.div(x, _c(alpha, x))).result
        neg = scalar.minimum(_c(0, x), scalar.mul(em1, _c(alpha, x)))
        return scalar.add(scalar.maximum(_c(0, x), x), neg)

    return body


def _mish(x: SSAValue) -> SSAValue:
    """x * tanh(softplus(x))."""
    return scalar.mul(x, math.TanhOp(_softplus(x)).result)


def _shrink_body(op: Operation) -> Callable[..., SSAValue]:
    """x + bias if x < -lambd, x - bias if x > lambd, else 0. Integers are compared and
    shifted in f64 and converted back truncating toward zero (numpy's astype, as the
    ONNX reference does); results outside the integer type are unspecified."""
    bias, lambd = _op_float(op, "bias"), _op_float(op, "lambd")
    unsigned = _is_unsigned(op.input)

    def body(x: SSAValue) -> SSAValue:
        v = x if scalar.is_float(x) else scalar.convert(x, f64, src_unsigned=unsigned)
        lo = scalar.compare("lt", v, _c(-lambd, v))
        hi = scalar.compare("gt", v, _c(lambd, v))
        r = scalar.select(lo, scalar.add(v, _c(bias, v)), scalar.select(hi, scalar.sub(v, _c(bias, v)), _c(0, v)))
        if scalar.is_float(x):
            return r
        width = x.type.width.data
        if unsigned and width == 64:
            return scalar.convert(r, x.type, dst_unsigned=True)
        return scalar.convert(scalar.convert(r, i64), x.type)

    return body


# ---- float classification -----------------------------------------------------------


def _is_nan(x: SSAValue) -> SSAValue:
    return arith.CmpfOp(x, x, "uno").result


def _is_inf_body(op: Operation) -> Callable[..., SSAValue]:
    negative = int_attr_value(op.detect_negative) == 1
    positive = int_attr_value(op.detect_positive) == 1
    out_type = signless(op.y.type.element_type)

    def body(x: SSAValue) -> SSAValue:
        result = None
        for detect, inf in ((positive, pymath.inf), (negative, -pymath.inf)):
            if detect:
                hit = scalar.compare("eq", x, _c(inf, x))
                result = hit if result is None else arith.OrIOp(result, hit).result
        return result if result is not None else scalar.const(False, out_type)

    return body


# ---- logic and bitwise --------------------------------------------------------------


def _not(x: SSAValue) -> SSAValue:
    return arith.XOrIOp(x, _c(1, x)).result


def _bitwise_not(x: SSAValue) -> SSAValue:
    return arith.XOrIOp(x, _c(-1, x)).result


def _bit_shift_body(op: Operation) -> Callable[..., SSAValue]:
    """LEFT: shli; RIGHT: shrui (unsigned) or shrsi (signed, opset 28). An amount that is
    negative or >= the bit width (one unsigned compare) never reaches the shift, which
    would be poison in LLVM: it gives 0, or the sign fill for a signed right shift."""
    left = str_attr_value(op.direction) == "LEFT"
    unsigned = _is_unsigned(op.x)

    def body(x: SSAValue, y: SSAValue) -> SSAValue:
        width = x.type.width.data
        in_range = scalar.compare("lt", y, _c(width, y), unsigned=True)
        if not left and not unsigned:
            return arith.ShRSIOp(x, scalar.select(in_range, y, _c(width - 1, y))).result
        amount = scalar.select(in_range, y, _c(0, y))
        shifted = (arith.ShLIOp(x, amount) if left else arith.ShRUIOp(x, amount)).result
        return scalar.select(in_range, shifted, _c(0, x))

    return body


# ---- conversions --------------------------------------------------------------------


def _cast_body(op: Operation) -> Callable[..., SSAValue]:
    """Cast, and CastLike (whose target_type only gives the output's element type)."""
    to = signless(op.output.type.element_type)
    if not isinstance(to, (AnyFloat, IntegerType)):
        raise ValueError(f"cannot cast to {to}")
    src_unsigned, dst_unsigned = _is_unsigned(op.input), _is_unsigned(op.output)
    return lambda v: scalar.convert(v, to, src_unsigned, dst_unsigned)


# ---- the table of scalar bodies -----------------------------------------------------

# op -> fn(op, values) -> value: the scalar body of one elementwise graph op applied to
# loop-level values, one per operand it reads (`read_operands`: every operand actually
# present, in operand order; an absent optional Clip bound has no value). A body raises
# ValueError for an op it cannot compute (the kernel reports it naming the node).
ScalarBody = Callable[[Operation, Sequence[SSAValue]], SSAValue]


def read_operands(op: Operation) -> Sequence[SSAValue]:
    """The operands whose elements an elementwise op reads (CastLike only takes the
    element type of its second operand, whose shape need not broadcast)."""
    return op.operands[:1] if op.name == "onnx.CastLike" else op.operands


def _plain(fn: Callable[..., SSAValue]) -> ScalarBody:
    return lambda op, values: fn(*values)


def _made(make: Callable[[Operation], Callable[..., SSAValue]]) -> ScalarBody:
    return lambda op, values: make(op)(*values)


def _clip_scalar(op: Operation, values: Sequence[SSAValue]) -> SSAValue:
    unsigned = _is_unsigned(op.input)
    rest = iter(values[1:])
    lo = next(rest) if op.min is not None else None
    hi = next(rest) if op.max is not None else None
    return _clip(values[0], lo, hi, unsigned)


def _clip(x: SSAValue, lo: SSAValue | None, hi: SSAValue | None, unsigned: bool) -> SSAValue:
    """min(max(x, lo), hi); an absent bound is skipped."""
    if lo is not None:
        x = scalar.maximum(x, lo, unsigned)
    if hi is not None:
        x = scalar.minimum(x, hi, unsigned)
    return x


def _fold_scalar(pick: Callable[[SSAValue, SSAValue, bool], SSAValue]) -> ScalarBody:
    """Max/Min: inputs data_0... folded left to right."""

    def body(op: Operation, values: Sequence[SSAValue]) -> SSAValue:
        unsigned = _is_unsigned(op.results[0])
        acc = values[0]
        for v in values[1:]:
            acc = pick(acc, v, unsigned)
        return acc

    return body


def _sum_scalar(op: Operation, values: Sequence[SSAValue]) -> SSAValue:
    acc = values[0]
    for v in values[1:]:
        acc = scalar.add(acc, v)
    return acc


def _mean_scalar(op: Operation, values: Sequence[SSAValue]) -> SSAValue:
    acc = _sum_scalar(op, values)
    return acc if len(values) == 1 else scalar.div(acc, _c(len(values), acc))


def _compare_scalar(kind: str) -> ScalarBody:
    return lambda op, values: scalar.compare(kind, values[0], values[1], _is_unsigned(op.a))


SCALAR_BODIES: dict[str, ScalarBody] = {
    # arithmetic
    "onnx.Add": _plain(scalar.add),
    "onnx.Sub": _plain(scalar.sub),
    "onnx.Mul": _plain(scalar.mul),
    "onnx.Div": _made(_div_body),
    "onnx.Mod": _made(_mod_body),
    "onnx.Pow": _made(_pow_body),
    "onnx.Neg": _plain(scalar.neg),
    "onnx.Abs": _made(_abs_body),
    "onnx.Sign": _made(_sign_body),
    "onnx.Reciprocal": _plain(_reciprocal),
    # math
    **{
        name: _plain(_math(cls))
        for name, cls in {
            "onnx.Sqrt": math.SqrtOp, "onnx.Exp": math.ExpOp, "onnx.Log": math.LogOp,
            "onnx.Tanh": math.TanhOp, "onnx.Erf": math.ErfOp, "onnx.Sin": math.SinOp,
            "onnx.Cos": math.CosOp, "onnx.Tan": math.TanOp, "onnx.Asin": math.AsinOp,
            "onnx.Acos": math.AcosOp, "onnx.Atan": math.AtanOp, "onnx.Sinh": math.SinhOp,
            "onnx.Cosh": math.CoshOp, "onnx.Asinh": math.AsinhOp, "onnx.Acosh": math.AcoshOp,
            "onnx.Atanh": math.AtanhOp, "onnx.Floor": math.FloorOp, "onnx.Ceil": math.CeilOp,
            "onnx.Round": math.RoundEvenOp,
        }.items()
    },
    # activations
    "onnx.Relu": _made(_relu_body),
    "onnx.LeakyRelu": lambda op, values: leaky_relu(values[0], _op_float(op, "alpha")),
    "onnx.PRelu": _plain(_prelu),
    "onnx.Sigmoid": _plain(sigmoid),
    "onnx.Softplus": _plain(_softplus),
    "onnx.HardSigmoid": lambda op, values: hard_sigmoid(values[0], _op_float(op, "alpha"), _op_float(op, "beta")),
    "onnx.HardSwish": _plain(hard_swish),
    "onnx.Elu": _made(_elu_body),
    "onnx.Selu": _made(_selu_body),
    "onnx.Gelu": lambda op, values: gelu(values[0], tanh_form=str_attr_value(op.approximate) == "tanh"),
    "onnx.Softsign": _plain(_softsign),
    "onnx.ThresholdedRelu": _made(_thresholded_relu_body),
    "onnx.Celu": _made(_celu_body),
    "onnx.Mish": _plain(_mish),
    "onnx.Swish": lambda op, values: swish(values[0], _op_float(op, "alpha")),
    "onnx.Shrink": _made(_shrink_body),
    # float classification
    "onnx.IsNaN": _plain(_is_nan),
    "onnx.IsInf": _made(_is_inf_body),
    # clip, variadic, select
    "onnx.Clip": _clip_scalar,
    "onnx.Max": _fold_scalar(scalar.maximum),
    "onnx.Min": _fold_scalar(scalar.minimum),
    "onnx.Sum": _sum_scalar,
    "onnx.Mean": _mean_scalar,
    "onnx.Where": _plain(scalar.select),
    # comparisons and logic
    "onnx.Equal": _compare_scalar("eq"),
    "onnx.Less": _compare_scalar("lt"),
    "onnx.LessOrEqual": _compare_scalar("le"),
    "onnx.Greater": _compare_scalar("gt"),
    "onnx.GreaterOrEqual": _compare_scalar("ge"),
    "onnx.Not": _plain(_not),
    "onnx.And": _plain(lambda a, b: arith.AndIOp(a, b).result),
    "onnx.Or": _plain(lambda a, b: arith.OrIOp(a, b).result),
    "onnx.Xor": _plain(lambda a, b: arith.XOrIOp(a, b).result),
    # bitwise
    "onnx.BitwiseAnd": _plain(lambda a, b: arith.AndIOp(a, b).result),
    "onnx.BitwiseOr": _plain(lambda a, b: arith.OrIOp(a, b).result),
    "onnx.BitwiseXor": _plain(lambda a, b: arith.XOrIOp(a, b).result),
    "onnx.BitwiseNot": _plain(_bitwise_not),
    "onnx.BitShift": _made(_bit_shift_body),
    # conversions and copies
    "onnx.Cast": _made(_cast_body),
    "onnx.CastLike": _made(_cast_body),
    "onnx.Identity": _plain(lambda v: v),
}


# ---- single-op kernels --------------------------------------------------------------


def _shape(value: SSAValue) -> tuple[int, ...]:
    return tuple(value.type.get_shape())


def lower_with_scalar_body(kc: KernelContext) -> None:
    """One loop nest around the op's SCALAR_BODIES entry: out[i] = body(op, the operands
    it reads at bcast(i))."""
    op = kc.op
    body = SCALAR_BODIES[op.name]
    (result,) = op.results
    sources = [(kc.buffers[v], _shape(v)) for v in read_operands(op)]
    out_shape = _shape(result)
    try:
        with parallel_nest(out_shape) as ivs:
            values = [load(buf, broadcast_indices(ivs, shape, out_shape)) for buf, shape in sources]
            store(body(op, values), kc.buffers[result], ivs)
    except ValueError as e:
        raise kc.fail(str(e)) from None


def lower_clip(kc: KernelContext) -> None:
    """min(max(x, lo), hi); absent bounds are skipped. The bounds are loaded once,
    before the loop (they may be runtime scalars)."""
    unsigned = kc.unsigned("input")
    lo = load(kc.input("min"), [0] * len(kc.shape("min"))) if kc.op.min is not None else None
    hi = load(kc.input("max"), [0] * len(kc.shape("max"))) if kc.op.max is not None else None
    elementwise(kc, ["input"], "output", lambda x: _clip(x, lo, hi, unsigned))


def lower_dropout(kc: KernelContext) -> None:
    """Inference: output = data; the optional mask is all true."""
    if kc.op.training_mode is not None:
        mode = kc.const("training_mode")
        if mode is None or bool(mode.reshape(-1)[0]):
            raise kc.fail("only inference Dropout is supported (training_mode must be a constant false)")
    elementwise(kc, ["data"], "output", lambda v: v)
    if kc.op.mask is not None:
        elementwise(kc, [], "mask", lambda: scalar.const(True, kc.output("mask").type.element_type))


SPECIAL_LOWERINGS: dict[str, KernelLowering] = {
    "onnx.Clip": lower_clip,  # the bounds are loaded once, before the loop
    "onnx.Dropout": lower_dropout,  # a second result (the mask); not a fusable elementwise op
}

LOWERINGS: dict[str, KernelLowering] = {name: lower_with_scalar_body for name in SCALAR_BODIES} | SPECIAL_LOWERINGS
