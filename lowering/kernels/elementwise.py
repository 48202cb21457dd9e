"""Elementwise kernels: one loop nest over the output, inputs read with broadcasting,
a scalar body per op. `SCALAR_BODIES` gives each op's scalar body from the graph op and
loop-level values alone (no buffers), so fused kernels (lowering/kernels/fused_group.py)
chain the same bodies in registers.

Integer division and remainder never trap: a zero divisor is replaced by 1 (ONNX leaves
it undefined; onnxruntime crashes) and INT_MIN / -1 wraps. Float-to-int conversions of
NaN or out-of-range values follow LLVM's fptosi/fptoui (unspecified, as in C++).
"""

from __future__ import annotations

import math as pymath
from collections.abc import Callable, Sequence

from xdsl.dialects import arith, math
from xdsl.dialects.builtin import AnyFloat, IntegerType, UnregisteredOp, f64, i64
from xdsl.ir import Operation, SSAValue

from dialects.onnx.base import float_attr_value, int_attr_value, str_attr_value
from lowering import scalar
from lowering.loop_builder import broadcast_indices, load, parallel_nest, signless, store
from lowering.kernel_context import KernelContext, KernelLowering

# An input of the loop nest: an operand name, or a (buffer, shape) pair (variadic operands).
Input = str | tuple[SSAValue, Sequence[int]]


def elementwise(kc: KernelContext, inputs: Sequence[Input], output: str, body: Callable[..., SSAValue]) -> None:
    """out[i] = body(in0[bcast(i)], in1[bcast(i)], ...) over the output's shape."""
    out_shape = kc.shape(output)
    out = kc.output(output)
    sources = [(kc.input(n), kc.shape(n)) if isinstance(n, str) else n for n in inputs]
    with parallel_nest(out_shape) as ivs:
        values = [load(buf, broadcast_indices(ivs, shape, out_shape)) for buf, shape in sources]
        store(body(*values), out, ivs)


def binary(fn: Callable[[SSAValue, SSAValue], SSAValue]) -> KernelLowering:
    return lambda kc: elementwise(kc, ["a", "b"], "c", fn)


def unary(fn: Callable[[SSAValue], SSAValue]) -> KernelLowering:
    """Ops whose ONNX signature is X -> Y."""
    return lambda kc: elementwise(kc, ["x"], "y", fn)


def unary_io(fn: Callable[[SSAValue], SSAValue]) -> KernelLowering:
    """Ops whose ONNX signature is input -> output."""
    return lambda kc: elementwise(kc, ["input"], "output", fn)


def _math(op_class) -> Callable[[SSAValue], SSAValue]:
    return lambda x: op_class(x).result


def _c(value: float | int, like: SSAValue) -> SSAValue:
    return scalar.const(value, like.type)


_RemFOp = UnregisteredOp.with_name("arith.remf")


def _remf(a: SSAValue, b: SSAValue) -> SSAValue:
    """C fmod (`arith.remf`, which xDSL 0.74 has no class for; the translator knows it)."""
    return _RemFOp.create(operands=[a, b], result_types=[a.type]).results[0]


def _prop_float(kc: KernelContext, name: str) -> float:
    return float_attr_value(getattr(kc.op, name))


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


def lower_div(kc: KernelContext) -> None:
    elementwise(kc, ["a", "b"], "c", _div_body(kc.op))


def lower_mod(kc: KernelContext) -> None:
    """fmod=1: C fmod / remainder with the dividend's sign; fmod=0: the remainder takes
    the divisor's sign (Python %), for floats too (ONNX allows that from opset 28, and
    onnxruntime computes it as numpy's np.mod does: a zero remainder is a zero with the
    divisor's sign, x mod 0 is NaN). x mod 0 gives 0 for integers."""
    elementwise(kc, ["a", "b"], "c", _mod_body(kc.op))


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


def lower_pow(kc: KernelContext) -> None:
    """Float base: powf with the exponent converted to the base type. Integer base:
    computed in f64 and truncated to the integer type, as onnxruntime's
    static_cast<T>(std::pow(x, y))."""
    elementwise(kc, ["x", "y"], "z", _pow_body(kc.op))


def _pow_body(op: Operation) -> Callable[..., SSAValue]:
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


# ---- unary activations --------------------------------------------------------------


def _abs_body(op: Operation) -> Callable[..., SSAValue]:
    return (lambda x: x) if _is_unsigned(op.x) else scalar.abs_


def lower_abs(kc: KernelContext) -> None:
    elementwise(kc, ["x"], "y", _abs_body(kc.op))


def _relu_body(op: Operation) -> Callable[..., SSAValue]:
    unsigned = _is_unsigned(op.x)
    return lambda x: scalar.maximum(x, _c(0, x), unsigned)


def lower_relu(kc: KernelContext) -> None:
    elementwise(kc, ["x"], "y", _relu_body(kc.op))


def lower_sign(kc: KernelContext) -> None:
    elementwise(kc, ["input"], "output", _sign_body(kc.op))


def _sign_body(op: Operation) -> Callable[..., SSAValue]:
    unsigned = _is_unsigned(op.input)

    def body(x: SSAValue) -> SSAValue:
        zero = _c(0, x)
        pos = scalar.select(scalar.compare("gt", x, zero, unsigned), _c(1, x), zero)
        if unsigned:
            return pos
        return scalar.select(scalar.compare("lt", x, zero), _c(-1, x), pos)

    return body


def lower_leaky_relu(kc: KernelContext) -> None:
    elementwise(kc, ["x"], "y", _leaky_relu_body(kc.op))


def _leaky_relu_body(op: Operation) -> Callable[..., SSAValue]:
    alpha = _op_float(op, "alpha")

    def body(x: SSAValue) -> SSAValue:
        neg = scalar.compare("lt", x, _c(0, x))
        return scalar.select(neg, scalar.mul(x, _c(alpha, x)), x)

    return body


def _prelu(x: SSAValue, slope: SSAValue) -> SSAValue:
    neg = scalar.compare("lt", x, _c(0, x))
    return scalar.select(neg, scalar.mul(x, slope), x)


def lower_prelu(kc: KernelContext) -> None:
    elementwise(kc, ["x", "slope"], "y", _prelu)


def _sigmoid(x: SSAValue) -> SSAValue:
    """1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) otherwise, from one e = exp(-|x|):
    no overflow for large |x|."""
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
    return scalar.div(x, scalar.add(_c(1, x), math.ExpOp(scalar.neg(ax)).result))


def _softplus(x: SSAValue) -> SSAValue:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|)."""
    e = math.ExpOp(scalar.neg(math.AbsFOp(x).result)).result
    return scalar.add(scalar.maximum(x, _c(0, x)), math.Log1pOp(e).result)


def _clamp01(v: SSAValue) -> SSAValue:
    return scalar.maximum(_c(0, v), scalar.minimum(_c(1, v), v))


def _hard_sigmoid_body(op: Operation) -> Callable[..., SSAValue]:
    alpha, beta = _op_float(op, "alpha"), _op_float(op, "beta")
    return lambda x: _clamp01(scalar.add(scalar.mul(x, _c(alpha, x)), _c(beta, x)))


def lower_hard_sigmoid(kc: KernelContext) -> None:
    elementwise(kc, ["x"], "y", _hard_sigmoid_body(kc.op))


def _hard_swish(x: SSAValue) -> SSAValue:
    """x * max(0, min(1, x / 6 + 0.5))."""
    return scalar.mul(x, _clamp01(scalar.add(scalar.mul(x, _c(1.0 / 6.0, x)), _c(0.5, x))))


def lower_elu(kc: KernelContext) -> None:
    elementwise(kc, ["x"], "y", _elu_body(kc.op))


def _elu_body(op: Operation) -> Callable[..., SSAValue]:
    alpha = _op_float(op, "alpha")

    def body(x: SSAValue) -> SSAValue:
        em1 = scalar.sub(math.ExpOp(x).result, _c(1, x))
        return scalar.select(scalar.compare("lt", x, _c(0, x)), scalar.mul(em1, _c(alpha, x)), x)

    return body


def lower_selu(kc: KernelContext) -> None:
    elementwise(kc, ["x"], "y", _selu_body(kc.op))


def _selu_body(op: Operation) -> Callable[..., SSAValue]:
    alpha, gamma = _op_float(op, "alpha"), _op_float(op, "gamma")

    def body(x: SSAValue) -> SSAValue:
        neg = scalar.sub(scalar.mul(math.ExpOp(x).result, _c(alpha, x)), _c(alpha, x))
        v = scalar.select(scalar.compare("gt", x, _c(0, x)), x, neg)
        return scalar.mul(v, _c(gamma, x))

    return body


def lower_gelu(kc: KernelContext) -> None:
    """none: x/2 (1 + erf(x / sqrt 2)); tanh: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    elementwise(kc, ["x"], "y", _gelu_body(kc.op))


def _gelu_body(op: Operation) -> Callable[..., SSAValue]:
    approximate = str_attr_value(op.approximate)

    def body(x: SSAValue) -> SSAValue:
        if approximate == "tanh":
            x3 = scalar.mul(scalar.mul(x, x), x)
            inner = scalar.mul(_c(pymath.sqrt(2.0 / pymath.pi), x), scalar.add(x, scalar.mul(x3, _c(0.044715, x))))
            t = math.TanhOp(inner).result
        else:
            t = math.ErfOp(scalar.mul(x, _c(1.0 / pymath.sqrt(2.0), x))).result
        return scalar.mul(scalar.mul(x, _c(0.5, x)), scalar.add(_c(1, x), t))

    return body


def _softsign(x: SSAValue) -> SSAValue:
    """x / (1 + |x|)."""
    return scalar.div(x, scalar.add(_c(1, x), math.AbsFOp(x).result))


def lower_thresholded_relu(kc: KernelContext) -> None:
    elementwise(kc, ["x"], "y", _thresholded_relu_body(kc.op))


def _thresholded_relu_body(op: Operation) -> Callable[..., SSAValue]:
    alpha = _op_float(op, "alpha")

    def body(x: SSAValue) -> SSAValue:
        return scalar.select(scalar.compare("gt", x, _c(alpha, x)), x, _c(0, x))

    return body


def lower_celu(kc: KernelContext) -> None:
    """max(0, x) + min(0, alpha * expm1(x / alpha))."""
    elementwise(kc, ["x"], "y", _celu_body(kc.op))


def _celu_body(op: Operation) -> Callable[..., SSAValue]:
    alpha = _op_float(op, "alpha")

    def body(x: SSAValue) -> SSAValue:
        em1 = math.ExpM1Op(scalar.div(x, _c(alpha, x))).result
        neg = scalar.minimum(_c(0, x), scalar.mul(em1, _c(alpha, x)))
        return scalar.add(scalar.maximum(_c(0, x), x), neg)

    return body


def _mish(x: SSAValue) -> SSAValue:
    """x * tanh(softplus(x))."""
    return scalar.mul(x, math.TanhOp(_softplus(x)).result)


def lower_swish(kc: KernelContext) -> None:
    """x * sigmoid(alpha * x)."""
    elementwise(kc, ["x"], "y", _swish_body(kc.op))


def _swish_body(op: Operation) -> Callable[..., SSAValue]:
    alpha = _op_float(op, "alpha")
    return lambda x: swish(x, alpha)


def lower_shrink(kc: KernelContext) -> None:
    """x + bias if x < -lambd, x - bias if x > lambd, else 0. Integers are compared and
    shifted in f64 and converted back truncating toward zero (numpy's astype, as the
    ONNX reference does); results outside the integer type are unspecified."""
    elementwise(kc, ["input"], "output", _shrink_body(kc.op))


def _shrink_body(op: Operation) -> Callable[..., SSAValue]:
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


def lower_is_inf(kc: KernelContext) -> None:
    elementwise(kc, ["x"], "y", _is_inf_body(kc.op))


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


# ---- clip, variadic, where ----------------------------------------------------------


def _load_scalar(buf: SSAValue, shape: Sequence[int]) -> SSAValue:
    """The single element of a rank-0 (or one-element) buffer."""
    return load(buf, [0] * len(shape))


def lower_clip(kc: KernelContext) -> None:
    """min(max(x, lo), hi); absent bounds are skipped. The bounds are loaded once,
    before the loop (they may be runtime scalars)."""
    unsigned = kc.unsigned("input")
    lo = _load_scalar(kc.input("min"), kc.shape("min")) if kc.op.min is not None else None
    hi = _load_scalar(kc.input("max"), kc.shape("max")) if kc.op.max is not None else None

    def body(x: SSAValue) -> SSAValue:
        if lo is not None:
            x = scalar.maximum(x, lo, unsigned)
        if hi is not None:
            x = scalar.minimum(x, hi, unsigned)
        return x

    elementwise(kc, ["input"], "output", body)


def _variadic_sources(kc: KernelContext) -> list[Input]:
    return [(kc.buffers[v], tuple(v.type.get_shape())) for v in kc.op.data_0]


def variadic(
    result: str,
    combine: Callable[[KernelContext], Callable[[SSAValue, SSAValue], SSAValue]],
    finish: Callable[[SSAValue, int], SSAValue] | None = None,
) -> KernelLowering:
    """Max/Min/Sum/Mean: inputs data_0... folded left to right with `combine`."""

    def lower(kc: KernelContext) -> None:
        sources = _variadic_sources(kc)
        fn = combine(kc)

        def body(*values: SSAValue) -> SSAValue:
            acc = values[0]
            for v in values[1:]:
                acc = fn(acc, v)
            return finish(acc, len(values)) if finish else acc

        elementwise(kc, sources, result, body)

    return lower


def _mean_finish(acc: SSAValue, n: int) -> SSAValue:
    return acc if n == 1 else scalar.div(acc, _c(n, acc))


def lower_where(kc: KernelContext) -> None:
    elementwise(kc, ["condition", "x", "y"], "output", scalar.select)


# ---- comparisons and logic ----------------------------------------------------------


def comparison(kind: str) -> KernelLowering:
    def lower(kc: KernelContext) -> None:
        unsigned = kc.unsigned("a")
        elementwise(kc, ["a", "b"], "c", lambda a, b: scalar.compare(kind, a, b, unsigned))

    return lower


def _not(x: SSAValue) -> SSAValue:
    return arith.XOrIOp(x, _c(1, x)).result


# ---- bitwise ------------------------------------------------------------------------


def _bitwise_not(x: SSAValue) -> SSAValue:
    return arith.XOrIOp(x, _c(-1, x)).result


def lower_bit_shift(kc: KernelContext) -> None:
    """LEFT: shli; RIGHT: shrui (unsigned) or shrsi (signed, opset 28). An amount that is
    negative or >= the bit width (one unsigned compare) never reaches the shift, which
    would be poison in LLVM: it gives 0, or the sign fill for a signed right shift."""
    elementwise(kc, ["x", "y"], "z", _bit_shift_body(kc.op))


def _bit_shift_body(op: Operation) -> Callable[..., SSAValue]:
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


# ---- conversions and copies ---------------------------------------------------------


def lower_cast(kc: KernelContext) -> None:
    """Cast, and CastLike (whose target_type only gives the output's element type)."""
    to = kc.output("output").type.element_type
    if not isinstance(to, (AnyFloat, IntegerType)):
        raise kc.fail(f"cannot cast to {to}")
    elementwise(kc, ["input"], "output", _cast_body(kc.op))


def _cast_body(op: Operation) -> Callable[..., SSAValue]:
    to = signless(op.output.type.element_type)
    if not isinstance(to, (AnyFloat, IntegerType)):
        raise ValueError(f"cannot cast to {to}")
    src_unsigned, dst_unsigned = _is_unsigned(op.input), _is_unsigned(op.output)
    return lambda v: scalar.convert(v, to, src_unsigned, dst_unsigned)


def lower_identity(kc: KernelContext) -> None:
    elementwise(kc, ["input"], "output", lambda v: v)


def lower_dropout(kc: KernelContext) -> None:
    """Inference: output = data; the optional mask is all true."""
    if kc.op.training_mode is not None:
        mode = kc.const("training_mode")
        if mode is None or bool(mode.reshape(-1)[0]):
            raise kc.fail("only inference Dropout is supported (training_mode must be a constant false)")
    elementwise(kc, ["data"], "output", lambda v: v)
    if kc.op.mask is not None:
        elementwise(kc, [], "mask", lambda: scalar.const(True, kc.output("mask").type.element_type))


LOWERINGS: dict[str, KernelLowering] = {
    # arithmetic
    "onnx.Add": binary(scalar.add),
    "onnx.Sub": binary(scalar.sub),
    "onnx.Mul": binary(scalar.mul),
    "onnx.Div": lower_div,
    "onnx.Mod": lower_mod,
    "onnx.Pow": lower_pow,
    "onnx.Neg": unary(scalar.neg),
    "onnx.Abs": lower_abs,
    "onnx.Sign": lower_sign,
    "onnx.Reciprocal": unary(_reciprocal),
    # math
    "onnx.Sqrt": unary(_math(math.SqrtOp)),
    "onnx.Exp": unary_io(_math(math.ExpOp)),
    "onnx.Log": unary_io(_math(math.LogOp)),
    "onnx.Tanh": unary_io(_math(math.TanhOp)),
    "onnx.Erf": unary_io(_math(math.ErfOp)),
    "onnx.Sin": unary_io(_math(math.SinOp)),
    "onnx.Cos": unary_io(_math(math.CosOp)),
    "onnx.Tan": unary_io(_math(math.TanOp)),
    "onnx.Asin": unary_io(_math(math.AsinOp)),
    "onnx.Acos": unary_io(_math(math.AcosOp)),
    "onnx.Atan": unary_io(_math(math.AtanOp)),
    "onnx.Sinh": unary_io(_math(math.SinhOp)),
    "onnx.Cosh": unary_io(_math(math.CoshOp)),
    "onnx.Asinh": unary_io(_math(math.AsinhOp)),
    "onnx.Acosh": unary_io(_math(math.AcoshOp)),
    "onnx.Atanh": unary_io(_math(math.AtanhOp)),
    "onnx.Floor": unary(_math(math.FloorOp)),
    "onnx.Ceil": unary(_math(math.CeilOp)),
    "onnx.Round": unary(_math(math.RoundEvenOp)),
    # activations
    "onnx.Relu": lower_relu,
    "onnx.LeakyRelu": lower_leaky_relu,
    "onnx.PRelu": lower_prelu,
    "onnx.Sigmoid": unary(_sigmoid),
    "onnx.Softplus": unary(_softplus),
    "onnx.HardSigmoid": lower_hard_sigmoid,
    "onnx.HardSwish": unary(_hard_swish),
    "onnx.Elu": lower_elu,
    "onnx.Selu": lower_selu,
    "onnx.Gelu": lower_gelu,
    "onnx.Softsign": unary_io(_softsign),
    "onnx.ThresholdedRelu": lower_thresholded_relu,
    "onnx.Celu": lower_celu,
    "onnx.Mish": unary(_mish),
    "onnx.Swish": lower_swish,
    "onnx.Shrink": lower_shrink,
    # float classification
    "onnx.IsNaN": unary(_is_nan),
    "onnx.IsInf": lower_is_inf,
    # clip, variadic, select
    "onnx.Clip": lower_clip,
    "onnx.Max": variadic("max", lambda kc: lambda a, b: scalar.maximum(a, b, kc.unsigned("max"))),
    "onnx.Min": variadic("min", lambda kc: lambda a, b: scalar.minimum(a, b, kc.unsigned("min"))),
    "onnx.Sum": variadic("sum", lambda kc: scalar.add),
    "onnx.Mean": variadic("mean", lambda kc: scalar.add, _mean_finish),
    "onnx.Where": lower_where,
    # comparisons and logic
    "onnx.Equal": comparison("eq"),
    "onnx.Less": comparison("lt"),
    "onnx.LessOrEqual": comparison("le"),
    "onnx.Greater": comparison("gt"),
    "onnx.GreaterOrEqual": comparison("ge"),
    "onnx.Not": unary(_not),
    "onnx.And": binary(lambda a, b: arith.AndIOp(a, b).result),
    "onnx.Or": binary(lambda a, b: arith.OrIOp(a, b).result),
    "onnx.Xor": binary(lambda a, b: arith.XOrIOp(a, b).result),
    # bitwise
    "onnx.BitwiseAnd": binary(lambda a, b: arith.AndIOp(a, b).result),
    "onnx.BitwiseOr": binary(lambda a, b: arith.OrIOp(a, b).result),
    "onnx.BitwiseXor": binary(lambda a, b: arith.XOrIOp(a, b).result),
    "onnx.BitwiseNot": unary(_bitwise_not),
    "onnx.BitShift": lower_bit_shift,
    # conversions and copies
    "onnx.Cast": lower_cast,
    "onnx.CastLike": lower_cast,
    "onnx.Identity": lower_identity,
    "onnx.Dropout": lower_dropout,
}


# ---- scalar bodies without buffers (fused kernels) ----------------------------------

# op -> fn(op, values) -> value: the scalar body of one elementwise graph op applied to
# loop-level values, one per operand actually present, in operand order (an absent
# optional Clip bound has no value). Fused kernels chain these in registers; the
# lowerings above build the same bodies.
ScalarBody = Callable[[Operation, Sequence[SSAValue]], SSAValue]


def _plain(fn: Callable[..., SSAValue]) -> ScalarBody:
    return lambda op, values: fn(*values)


def _made(make: Callable[[Operation], Callable[..., SSAValue]]) -> ScalarBody:
    return lambda op, values: make(op)(*values)


def _clip_scalar(op: Operation, values: Sequence[SSAValue]) -> SSAValue:
    unsigned = _is_unsigned(op.input)
    rest = iter(values[1:])
    lo = next(rest) if op.min is not None else None
    hi = next(rest) if op.max is not None else None
    x = values[0]
    if lo is not None:
        x = scalar.maximum(x, lo, unsigned)
    if hi is not None:
        x = scalar.minimum(x, hi, unsigned)
    return x


def _fold_scalar(pick: Callable[[SSAValue, SSAValue, bool], SSAValue]) -> ScalarBody:
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
    return _mean_finish(_sum_scalar(op, values), len(values))


def _compare_scalar(kind: str) -> ScalarBody:
    return lambda op, values: scalar.compare(kind, values[0], values[1], _is_unsigned(op.a))


SCALAR_BODIES: dict[str, ScalarBody] = {
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
    "onnx.Relu": _made(_relu_body),
    "onnx.LeakyRelu": _made(_leaky_relu_body),
    "onnx.PRelu": _plain(_prelu),
    "onnx.Sigmoid": _plain(_sigmoid),
    "onnx.Softplus": _plain(_softplus),
    "onnx.HardSigmoid": _made(_hard_sigmoid_body),
    "onnx.HardSwish": _plain(_hard_swish),
    "onnx.Elu": _made(_elu_body),
    "onnx.Selu": _made(_selu_body),
    "onnx.Gelu": _made(_gelu_body),
    "onnx.Softsign": _plain(_softsign),
    "onnx.ThresholdedRelu": _made(_thresholded_relu_body),
    "onnx.Celu": _made(_celu_body),
    "onnx.Mish": _plain(_mish),
    "onnx.Swish": _made(_swish_body),
    "onnx.Shrink": _made(_shrink_body),
    "onnx.IsNaN": _plain(_is_nan),
    "onnx.IsInf": _made(_is_inf_body),
    "onnx.Clip": _clip_scalar,
    "onnx.Max": _fold_scalar(scalar.maximum),
    "onnx.Min": _fold_scalar(scalar.minimum),
    "onnx.Sum": _sum_scalar,
    "onnx.Mean": _mean_scalar,
    "onnx.Where": _plain(scalar.select),
    "onnx.Equal": _compare_scalar("eq"),
    "onnx.Less": _compare_scalar("lt"),
    "onnx.LessOrEqual": _compare_scalar("le"),
    "onnx.Greater": _compare_scalar("gt"),
    "onnx.GreaterOrEqual": _compare_scalar("ge"),
    "onnx.Not": _plain(_not),
    "onnx.And": _plain(lambda a, b: arith.AndIOp(a, b).result),
    "onnx.Or": _plain(lambda a, b: arith.OrIOp(a, b).result),
    "onnx.Xor": _plain(lambda a, b: arith.XOrIOp(a, b).result),
    "onnx.BitwiseAnd": _plain(lambda a, b: arith.AndIOp(a, b).result),
    "onnx.BitwiseOr": _plain(lambda a, b: arith.OrIOp(a, b).result),
    "onnx.BitwiseXor": _plain(lambda a, b: arith.XOrIOp(a, b).result),
    "onnx.BitwiseNot": _plain(_bitwise_not),
    "onnx.BitShift": _made(_bit_shift_body),
    "onnx.Cast": _made(_cast_body),
    "onnx.CastLike": lambda op, values: _cast_body(op)(values[0]),
    "onnx.Identity": _plain(lambda v: v),
}
