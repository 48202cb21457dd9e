"""Elementwise bodies: ONNX op -> one Triton expression over its operands' expressions,
for every op with a scalar body on the CPU path (`SCALAR_BODIES` of
lowering/kernels/elementwise.py: the ops `fuse-kernels` groups), and the activation
epilogues of the strata.Fused* ops.

Values in registers: float16 is computed in float32 (loaded and widened; a Cast to
float16 rounds and widens again; stores narrow), other types in themselves. Literals
take the type of the values they meet (`text.lit`). Integer semantics follow the CPU
kernels: division truncates, a zero divisor (and -1 for signed division) never traps
(x / 0 gives x, INT_MIN / -1 wraps), Mod with fmod=0 takes the divisor's sign, Pow of
integers rounds the float power, BitShift by the type's width or more gives 0. Functions
Triton's core language lacks come from lowering/triton_kernels/helpers.py.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from xdsl.ir import Operation, SSAValue

from dialects.dtypes import numpy_dtype
from dialects.onnx.base import float_attr_value, int_attr_value, node_name, str_attr_value
from dialects.strata.activation import Activation, activation_of
from lowering.triton_kernels.program import UnsupportedOnCuda
from lowering.triton_kernels.text import KernelText, TRITON_TYPES, compute_dtype, float_lit, lit, tl_dtype


def dtype_of(v: SSAValue) -> np.dtype:
    return np.dtype(numpy_dtype(v.type.element_type))


def prop_f(op: Operation, name: str, default: float) -> float:
    v = float_attr_value(op.properties.get(name))
    return default if v is None else v


def prop_i(op: Operation, name: str, default: int) -> int:
    v = int_attr_value(op.properties.get(name))
    return default if v is None else v


def tanh(x: str, kt: KernelText) -> str:
    # tl has no tanh: helpers.strata_tanh (expm1-based, no cancellation near 0)
    return f"{kt.need('strata_tanh')}({x})"


def typed(x: str) -> str:
    """`x` as a Triton value: an inlined float literal becomes an fp32 scalar (so
    `.to()` applies to it)."""
    try:
        float(x)
        literal = True
    except ValueError:
        literal = x.startswith("float(")
    return f"tl.full([], {x}, tl.float32)" if literal else x


def fold(fn: str, args: list) -> str:
    out = args[0]
    for b in args[1:]:
        out = f"{fn}({out}, {b})"
    return out


def present_operands(op: Operation) -> list[SSAValue | None]:
    """Operands by ONNX slot (None for an absent optional): Clip's min/max; CastLike
    reads only its input (target_type gives the type)."""
    if op.name == "onnx.Clip":
        return [op.input, op.min, op.max]  # type: ignore[attr-defined]
    if op.name == "onnx.CastLike":
        return [op.operands[0]]
    return list(op.operands)


def has_body(op: Operation) -> bool:
    return op.name.removeprefix("onnx.") in _NAMES


def cast_expr(x: str, src: np.dtype, to: np.dtype) -> str:
    """`x` (a value of compute type of `src`) converted to `to`, as a value of the
    compute type of `to` (float16 rounded, then widened to float32 again)."""
    src, to = np.dtype(src), np.dtype(to)
    if to not in TRITON_TYPES:
        raise UnsupportedOnCuda(f"casting to {to} has no Triton form")
    if to == np.bool_:
        return f"({x} != 0)"
    x = typed(x)
    if to == np.float16:
        return f"{x}.to(tl.float16).to(tl.float32)"
    return f"{x}.to({tl_dtype(to)})"


def body(op: Operation, a: list[str | None], kt: KernelText) -> str:
    """The Triton expression of elementwise `op` over operand expressions `a`."""
    n = op.name.removeprefix("onnx.")
    out_dt = dtype_of(op.results[0])
    in_dt = dtype_of(op.operands[0]) if op.operands else out_dt
    ct = compute_dtype(in_dt)
    flt = ct.kind == "f"
    unsigned = in_dt.kind == "u"
    x = a[0]

    def c(v: float | int) -> str:
        return lit(v, ct)

    if n in ("Add", "Sub", "Mul"):
        return f"({a[0]} {'+' if n == 'Add' else '-' if n == 'Sub' else '*'} {a[1]})"
    if n == "Div":
        if flt:
            return f"({a[0]} / {a[1]})"
        bad = f"({a[1]} == 0)" if unsigned else f"(({a[1]} == 0) | ({a[1]} == -1))"
        q = f"({a[0]} // tl.where({bad}, 1, {a[1]}))"
        return q if unsigned else f"tl.where({a[1]} == -1, -{a[0]}, {q})"
    if n == "Mod":
        if flt:
            return f"({a[0]} % {a[1]})"  # C fmod (LLVM frem), the dividend's sign
        bad = f"({a[1]} == 0)" if unsigned else f"(({a[1]} == 0) | ({a[1]} == -1))"
        r = f"({a[0]} % tl.where({bad}, 1, {a[1]}))"
        if unsigned or prop_i(op, "fmod", 0) == 1:
            return r
        return f"tl.where(({r} != 0) & (({r} < 0) != ({a[1]} < 0)), {r} + {a[1]}, {r})"
    if n == "Pow":
        kt.need("strata_pow")
        y_dt = compute_dtype(dtype_of(op.operands[1]))
        if flt:
            y = a[1] if y_dt == ct else f"{typed(a[1])}.to({tl_dtype(ct)})"  # type: ignore[arg-type]
            return f"strata_pow({typed(x)}, {typed(y)})"  # type: ignore[arg-type]
        p = f"strata_pow({x}.to(tl.float64), {a[1]}.to(tl.float64))"
        return f"tl.where({p} >= 0.0, tl.floor({p} + 0.5), tl.ceil({p} - 0.5)).to({tl_dtype(out_dt)})"
    if n in ("Max", "Min"):
        return fold("tl.maximum" if n == "Max" else "tl.minimum", a)
    if n in ("Sum", "Mean"):
        s = "(" + " + ".join(a) + ")"  # type: ignore[arg-type]
        return s if n == "Sum" or len(a) == 1 else f"({s} / {c(len(a))})"
    if n == "Clip":
        out = x
        if len(a) > 1 and a[1] is not None:
            out = f"tl.maximum({out}, {a[1]})"
        if len(a) > 2 and a[2] is not None:
            out = f"tl.minimum({out}, {a[2]})"
        return out
    if n in ("Cast", "CastLike"):
        return cast_expr(x, in_dt, out_dt)  # type: ignore[arg-type]
    if n in _COMPARE:
        return f"({a[0]} {_COMPARE[n]} {a[1]})"
    if n in ("And", "Or", "Xor", "BitwiseAnd", "BitwiseOr", "BitwiseXor"):
        sym = {"And": "&", "Or": "|", "Xor": "^"}[n.removeprefix("Bitwise")]
        return f"({a[0]} {sym} {a[1]})"
    if n == "Not":
        return f"({x} == 0)"
    if n == "BitwiseNot":
        return f"(~{x})"
    if n == "BitShift":
        width = in_dt.itemsize * 8
        ok = f"({a[1]} < {width})"
        amount = f"tl.where({ok}, {a[1]}, 0)"
        if (str_attr_value(op.properties.get("direction")) or "LEFT") == "LEFT":
            return f"tl.where({ok}, {x} << {amount}, 0)"
        if not unsigned:  # arithmetic shift: the sign fills in past the width
            return f"({x} >> tl.where({ok}, {a[1]}, {width - 1}))"
        return f"tl.where({ok}, {x} >> {amount}, 0)"
    if n == "Where":
        return f"tl.where({a[0]}, {a[1]}, {a[2]})"
    if n == "PRelu":
        return f"tl.where({a[0]} < {c(0)}, {a[0]} * {a[1]}, {a[0]})"
    if n == "Abs":
        return x if unsigned else f"tl.abs({x})"  # type: ignore[return-value]
    if n == "Relu":
        return f"tl.maximum({x}, {c(0)})"
    if n == "Neg":
        return f"(-{x})"
    if n == "Sign":
        one, zero = c(1), c(0)
        pos = f"tl.where({x} > {zero}, {one}, {zero})"
        return pos if unsigned else f"tl.where({x} < {zero}, {c(-1)}, {pos})"
    if n == "Reciprocal":
        return f"({c(1)} / {x})"
    if n == "Identity":
        return x  # type: ignore[return-value]
    if n == "Shrink":
        bias, lambd = prop_f(op, "bias", 0.0), prop_f(op, "lambd", 0.5)
        v = x if flt else f"{x}.to(tl.float64)"
        r = (f"tl.where({v} < {float_lit(-lambd)}, {v} + {float_lit(bias)}, "
             f"tl.where({v} > {float_lit(lambd)}, {v} - {float_lit(bias)}, 0.0))")
        return r if flt else f"{r}.to({tl_dtype(out_dt)})"
    if not flt:
        raise UnsupportedOnCuda(f"{n} '{node_name(op)}' on {in_dt} has no Triton kernel")
    simple: dict[str, Callable[[], str]] = {
        "Exp": lambda: f"tl.exp({x})",
        "Log": lambda: f"tl.log({x})",
        "Sqrt": lambda: f"tl.sqrt({x})",
        "Sigmoid": lambda: f"tl.sigmoid({x})",
        "Tanh": lambda: tanh(x, kt),  # type: ignore[arg-type]
        "Erf": lambda: f"tl.erf({x})",
        "Floor": lambda: f"tl.floor({x})",
        "Ceil": lambda: f"tl.ceil({x})",
        "Sin": lambda: f"tl.sin({x})",
        "Cos": lambda: f"tl.cos({x})",
        "Tan": lambda: f"(tl.sin({x}) / tl.cos({x}))",
        "IsNaN": lambda: f"({x} != {x})",
        "Softsign": lambda: f"({x} / (1.0 + tl.abs({x})))",
        "Softplus": lambda: _softplus(x, kt),  # type: ignore[arg-type]
        "Mish": lambda: f"({x} * {tanh(_softplus(x, kt), kt)})",  # type: ignore[arg-type]
        "LeakyRelu": lambda: f"tl.where({x} < 0.0, {x} * {float_lit(prop_f(op, 'alpha', 0.01))}, {x})",
        "Elu": lambda: f"tl.where({x} < 0.0, (tl.exp({x}) - 1.0) * {float_lit(prop_f(op, 'alpha', 1.0))}, {x})",
        "Selu": lambda: (f"(tl.where({x} > 0.0, {x}, tl.exp({x}) * {float_lit(prop_f(op, 'alpha', 1.67326319217681884765625))}"
                         f" - {float_lit(prop_f(op, 'alpha', 1.67326319217681884765625))}) * "
                         f"{float_lit(prop_f(op, 'gamma', 1.05070102214813232421875))})"),
        "Celu": lambda: (f"(tl.maximum({x}, 0.0) + tl.minimum(0.0, {kt.need('strata_expm1')}({x} / "
                         f"{float_lit(prop_f(op, 'alpha', 1.0))}) * {float_lit(prop_f(op, 'alpha', 1.0))}))"),
        "ThresholdedRelu": lambda: f"tl.where({x} > {float_lit(prop_f(op, 'alpha', 1.0))}, {x}, 0.0)",
        "HardSigmoid": lambda: (f"tl.minimum(tl.maximum({x} * {float_lit(prop_f(op, 'alpha', 0.2))} + "
                                f"{float_lit(prop_f(op, 'beta', 0.5))}, 0.0), 1.0)"),
        "HardSwish": lambda: f"({x} * tl.minimum(tl.maximum({x} / 6.0 + 0.5, 0.0), 1.0))",
        "Swish": lambda: f"({x} * tl.sigmoid({float_lit(prop_f(op, 'alpha', 1.0))} * {x}))",
        "Round": lambda: f"{kt.need('strata_round')}({x})",
        "Asin": lambda: f"{kt.need('strata_asin')}({x})",
        "Acos": lambda: f"{kt.need('strata_acos')}({x})",
        "Atan": lambda: f"{kt.need('strata_atan')}({x})",
        "Sinh": lambda: f"{kt.need('strata_sinh')}({x})",
        "Cosh": lambda: f"{kt.need('strata_cosh')}({x})",
        "Asinh": lambda: f"{kt.need('strata_asinh')}({x})",
        "Acosh": lambda: f"{kt.need('strata_acosh')}({x})",
        "Atanh": lambda: f"{kt.need('strata_atanh')}({x})",
    }
    if n in simple:
        return simple[n]()
    if n == "IsInf":
        terms = []
        if prop_i(op, "detect_positive", 1):
            terms.append(f"({x} == float(\"inf\"))")
        if prop_i(op, "detect_negative", 1):
            terms.append(f"({x} == float(\"-inf\"))")
        return "(" + " | ".join(terms) + ")" if terms else f"({x} != {x}) & ({x} == {x})"
    if n == "Gelu":
        if (str_attr_value(op.properties.get("approximate")) or "none") == "tanh":
            inner = f"0.7978845608028654 * ({x} + 0.044715 * {x} * {x} * {x})"
            return f"(0.5 * {x} * (1.0 + {tanh(inner, kt)}))"
        return f"(0.5 * {x} * (1.0 + tl.erf({x} * 0.7071067811865476)))"
    raise UnsupportedOnCuda(f"{n} '{node_name(op)}' has no Triton kernel yet")


def _softplus(x: str, kt: KernelText) -> str:
    """log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow, exact for large x."""
    return f"(tl.maximum({x}, 0.0) + {kt.need('strata_log1p')}(tl.exp(-tl.abs({x}))))"


_COMPARE = {"Equal": "==", "Greater": ">", "GreaterOrEqual": ">=", "Less": "<", "LessOrEqual": "<="}
_NAMES = frozenset(
    {"Add", "Sub", "Mul", "Div", "Mod", "Pow", "Max", "Min", "Sum", "Mean", "Clip", "Cast", "CastLike", "And", "Or",
     "Xor", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "Not", "BitwiseNot", "BitShift", "Where", "PRelu", "Abs", "Relu",
     "Neg", "Sign", "Reciprocal", "Identity", "Shrink", "Exp", "Log", "Sqrt", "Sigmoid", "Tanh", "Erf", "Floor", "Ceil",
     "Sin", "Cos", "Tan", "IsNaN", "Softsign", "Softplus", "Mish", "LeakyRelu", "Elu", "Selu", "Celu",
     "ThresholdedRelu", "HardSigmoid", "HardSwish", "Swish", "Round", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh",
     "Acosh", "Atanh", "IsInf", "Gelu"} | set(_COMPARE)
)


def _gelu_tanh(x: str, kt: KernelText) -> str:
    inner = f"0.7978845608028654 * ({x} + 0.044715 * {x} * {x} * {x})"
    return f"(0.5 * {x} * (1.0 + {tanh(inner, kt)}))"


# activation -> fn(x, params, kt): its Triton expression over the expression x (the
# matmul / conv accumulator tile). Keyed by the enum of dialects/strata/activation.py;
# tests/test_activation_table.py checks it covers every member but TRITON_UNSUPPORTED.
TRITON_ACTIVATIONS: dict[Activation, Callable[[str, list[float], KernelText], str]] = {
    Activation.RELU: lambda x, p, kt: f"tl.maximum({x}, 0.0)",
    Activation.CLIP: lambda x, p, kt: f"tl.minimum(tl.maximum({x}, {float_lit(p[0])}), {float_lit(p[1])})",
    Activation.LEAKY_RELU: lambda x, p, kt: f"tl.where({x} >= 0.0, {x}, {x} * {p[0]!r})",
    Activation.SIGMOID: lambda x, p, kt: f"tl.sigmoid({x})",
    Activation.HARD_SIGMOID: lambda x, p, kt: f"tl.minimum(tl.maximum({p[0]!r} * {x} + {p[1]!r}, 0.0), 1.0)",
    Activation.HARD_SWISH: lambda x, p, kt: f"({x} * tl.minimum(tl.maximum({x} / 6.0 + 0.5, 0.0), 1.0))",
    Activation.TANH: lambda x, p, kt: tanh(x, kt),
    Activation.SWISH: lambda x, p, kt: f"({x} * tl.sigmoid({float_lit(p[0])} * {x}))",
    Activation.GELU: lambda x, p, kt: f"(0.5 * {x} * (1.0 + tl.erf({x} * 0.7071067811865476)))",
    Activation.GELU_TANH: lambda x, p, kt: _gelu_tanh(x, kt),
}
TRITON_UNSUPPORTED: frozenset[Activation] = frozenset()  # activations without a Triton form


def activation(op: Operation, x: str, kt: KernelText) -> str | None:
    """The activation epilogue of a strata.Fused* op applied to `x` (None: none)."""
    act, params = activation_of(op)
    if act is Activation.NONE:
        return None
    if act not in TRITON_ACTIVATIONS:
        raise UnsupportedOnCuda(f"activation {act.value!r} of '{node_name(op)}' has no Triton form")
    return TRITON_ACTIVATIONS[act](x, params, kt)
