"""Elementwise kernels (lowering/kernels/elementwise.py) against onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper, numpy_helper

from dialects.onnx import ONNX_OPS
from tests.ort_check import assert_matches_ort, single_node_model

RNG = np.random.default_rng(0)

# (A shape, B shape): numpy broadcasting both ways, a scalar, and equal shapes.
BCAST = [((2, 3, 4), (3, 1)), ((2, 3, 4), ()), ((3, 1), (2, 1, 4)), ((5,), (5,))]


def check(op_type: str, inputs: dict[str, np.ndarray], outputs=("y",), **kw):
    if op_type not in ONNX_OPS:
        pytest.skip(f"onnx.{op_type} is not in the onnx dialect yet")
    rtol = kw.pop("rtol", 1e-4)
    atol = kw.pop("atol", 1e-4)
    initializers = kw.pop("initializers", None)
    input_order = kw.pop("input_order", None)
    model = single_node_model(op_type, inputs, outputs, initializers=initializers, input_order=input_order, **kw)
    return assert_matches_ort(model, inputs, rtol=rtol, atol=atol)


def check_via(op_type: str, inputs: dict[str, np.ndarray], ref_dtype, outputs=("y",), **kw):
    """For a dtype onnxruntime has no kernel for: Strata runs the model in the inputs'
    dtype, onnxruntime the same model with the inputs cast to `ref_dtype` (exact for
    the values used: bool as uint8, int64 as int32; f64 checked at f32 precision)."""
    import compiler
    from tests.ort_check import run_ort

    if op_type not in ONNX_OPS:
        pytest.skip(f"onnx.{op_type} is not in the onnx dialect yet")
    rtol = kw.pop("rtol", 1e-4)
    atol = kw.pop("atol", 1e-4)
    ref_inputs = {k: v.astype(ref_dtype) for k, v in inputs.items()}
    expected = run_ort(single_node_model(op_type, ref_inputs, outputs, **kw), ref_inputs)
    got = compiler.compile(single_node_model(op_type, inputs, outputs, **kw)).run(dict(inputs))
    for g, e in zip(got, expected):
        dtype = next(iter(inputs.values())).dtype if e.dtype == np.dtype(ref_dtype) else e.dtype
        assert g.dtype == dtype and g.shape == e.shape, (g.dtype, g.shape, dtype, e.shape)
        if dtype.kind == "f":
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(g, e.astype(dtype))


def randf(shape, lo=-3.0, hi=3.0, dtype=np.float32) -> np.ndarray:
    return np.asarray(RNG.uniform(lo, hi, size=shape), dtype=dtype)


def randi(shape, lo=-20, hi=20, dtype=np.int64) -> np.ndarray:
    return np.asarray(RNG.integers(lo, hi, size=shape), dtype=dtype)


def nonzero_int(shape, lo=-7, hi=8, dtype=np.int64) -> np.ndarray:
    v = randi(shape, lo, hi, dtype)
    v[v == 0] = 3
    return v


# ---- binary arithmetic --------------------------------------------------------------


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div"])
@pytest.mark.parametrize("shapes", BCAST, ids=str)
def test_arith_float(op, shapes):
    sa, sb = shapes
    a = randf(sa)
    b = randf(sb)
    if op == "Div":
        # Divisors near 0 (both signs) but not 0.
        b = np.where(np.abs(b) < 0.01, np.float32(0.01), b).astype(np.float32)
        if b.ndim:
            b.flat[0] = np.float32(-1e-3)
    check(op, {"a": a, "b": b}, outputs=["c"])


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float64])
def test_arith_other_dtypes(op, dtype):
    if dtype == np.float64:
        a, b = randf((2, 3, 4), dtype=dtype), randf((3, 1), 0.5, 2.0, dtype=dtype)
    else:
        a, b = randi((2, 3, 4), -50, 50, dtype), nonzero_int((3, 1), dtype=dtype)
    check(op, {"a": a, "b": b}, outputs=["c"])


def test_int_div_truncates_toward_zero():
    a = np.array([-7, 7, -7, 7, -1, 5, 0, -9, 9], np.int64)
    b = np.array([2, 2, -2, -2, 3, -3, 4, 1, -1], np.int64)
    got = check("Div", {"a": a, "b": b}, outputs=["c"])[0]
    np.testing.assert_array_equal(got, [-3, 3, 3, -3, 0, -1, 0, -9, -9])


@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_div_small_ints(dtype):
    if dtype == np.uint8:
        a, b = randi((3, 4), 0, 256, dtype), randi((4,), 1, 256, dtype)
    else:
        a, b = randi((3, 4), -128, 128, dtype), nonzero_int((4,), dtype=dtype)
    check("Div", {"a": a, "b": b}, outputs=["c"])


@pytest.mark.parametrize("fmod", [0, 1])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8])
def test_mod_int(fmod, dtype):
    if dtype == np.uint8:
        a, b = randi((2, 3, 4), 0, 256, dtype), randi((3, 1), 1, 256, dtype)
    else:
        a, b = randi((2, 3, 4), -50, 50, dtype), nonzero_int((3, 1), dtype=dtype)
    check("Mod", {"a": a, "b": b}, outputs=["c"], fmod=fmod)


def test_mod_int_signs():
    a = np.array([-7, 7, -7, 7, -1, 5, 0, 6, -6], np.int64)
    b = np.array([2, 2, -2, -2, 3, -3, 4, 3, -3], np.int64)
    got = check("Mod", {"a": a, "b": b}, outputs=["c"])[0]
    np.testing.assert_array_equal(got, [1, 1, -1, -1, 2, -1, 0, 0, 0])
    got = check("Mod", {"a": a, "b": b}, outputs=["c"], fmod=1)[0]
    np.testing.assert_array_equal(got, [-1, 1, -1, 1, -1, 2, 0, 0, 0])


@pytest.mark.parametrize("shapes", BCAST[:2], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_mod_float_fmod(shapes, dtype):
    sa, sb = shapes
    a = randf(sa, -10, 10, dtype)
    b = np.asarray(randf(sb, 0.5, 3.0, dtype) * np.where(RNG.random(sb) < 0.5, -1, 1), dtype=dtype)
    check("Mod", {"a": a, "b": b}, outputs=["c"], fmod=1)


# ---- Pow ----------------------------------------------------------------------------


@pytest.mark.parametrize("shapes", BCAST[:3], ids=str)
def test_pow_float_float(shapes):
    sa, sb = shapes
    check("Pow", {"x": randf(sa, 0.1, 3.0), "y": randf(sb, -2.0, 2.0)}, outputs=["z"])


@pytest.mark.parametrize("edtype", [np.int64, np.int32, np.float64])
def test_pow_float_base_other_exponent(edtype):
    x = randf((2, 3, 4), -3.0, 3.0)
    if edtype == np.float64:
        x = np.abs(x) + np.float32(0.1)
        y = randf((3, 1), -2, 2, edtype)
    else:
        y = randi((3, 1), -3, 4, edtype)  # negative base, integer exponents
    check("Pow", {"x": x, "y": y}, outputs=["z"])


def test_pow_float_scalar_exponent():
    check("Pow", {"x": randf((4, 5)), "y": np.array(2.0, np.float32)}, outputs=["z"])
    check("Pow", {"x": randf((4, 5)), "y": np.array(3, np.int64)}, outputs=["z"])


@pytest.mark.parametrize("dtype", [np.int64, np.int32])
def test_pow_int(dtype):
    x = randi((2, 3, 4), -6, 7, dtype)
    y = randi((3, 1), 0, 6, dtype)
    check("Pow", {"x": x, "y": y}, outputs=["z"])


def test_pow_int_base_float_exponent():
    x = np.array([2, -3, 5, 0, 7, 1], np.int64)
    y = np.array([0.5, 2.0, 1.5, 3.0, -1.0, 2.5], np.float32)
    check("Pow", {"x": x, "y": y}, outputs=["z"])
    x = np.array([2, 3, 5, 4], np.int64)
    y = np.array([-1, 2, 0, -2], np.int64)
    check("Pow", {"x": x, "y": y}, outputs=["z"])


# ---- unary float math ---------------------------------------------------------------

NEAR0 = np.array([0.0, 1e-7, 1e-4, 0.01, 0.5, 1.0, 2.0, 100.0, 1e4], np.float32)
SIGNED = np.array([-100.0, -20.0, -3.5, -1.0, -1e-3, 0.0, 1e-3, 0.7, 1.0, 3.5, 20.0, 100.0], np.float32)
HALVES = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.49, 0.51, 3.7, -3.7, 0.0, 7.0], np.float32)


def _domain(op):
    if op in ("Sqrt",):
        return np.concatenate([NEAR0, randf((3, 4), 0.0, 5.0).ravel()])
    if op == "Log":
        return np.concatenate([NEAR0[1:], randf((3, 4), 1e-3, 5.0).ravel()])
    if op == "Reciprocal":
        return np.concatenate([SIGNED[SIGNED != 0], randf((3, 4)).ravel()])
    if op in ("Round", "Floor", "Ceil"):
        return np.concatenate([HALVES, randf((3, 4), -5, 5).ravel()])
    if op == "Exp":
        return np.concatenate([np.array([-100.0, -20.0, 0.0, 1e-3, 20.0, 80.0], np.float32), randf((3, 4)).ravel()])
    return np.concatenate([SIGNED, randf((3, 4)).ravel()])


# onnxruntime (CPU) has no float64 kernel for these.
NO_ORT_F64 = {"Erf", "Softplus", "HardSwish", "Elu", "Selu", "LeakyRelu", "HardSigmoid", "Gelu", "Mean"}

UNARY_FLOAT = [
    "Sqrt", "Exp", "Log", "Neg", "Abs", "Relu", "Sigmoid", "Tanh", "Erf", "Floor", "Ceil",
    "Round", "Reciprocal", "Sin", "Cos", "Softplus", "HardSwish", "Sign",
    "Elu", "Selu", "LeakyRelu", "HardSigmoid", "Gelu",
]


@pytest.mark.parametrize("op", UNARY_FLOAT)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unary_float(op, dtype):
    x = _domain(op).astype(dtype)
    if dtype == np.float64 and op in NO_ORT_F64:
        check_via(op, {"x": x}, np.float32)
    else:
        check(op, {"x": x})


def test_unary_float_shaped():
    x = randf((2, 3, 4))
    for op in ("Sigmoid", "Tanh", "Sqrt", "Exp"):
        check(op, {"x": np.abs(x) if op == "Sqrt" else x})
    check("Relu", {"x": np.array(-1.5, np.float32)})  # rank 0


def test_sigmoid_large_magnitude():
    x = np.array([-1000.0, -100.0, -88.0, -30.0, 0.0, 30.0, 88.0, 100.0, 1000.0], np.float32)
    got = check("Sigmoid", {"x": x})[0]
    assert np.all(np.isfinite(got))
    got = check("Softplus", {"x": x})[0]
    assert np.all(np.isfinite(got))


@pytest.mark.parametrize("op", ["Neg", "Abs", "Relu", "Sign"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8])
def test_unary_int(op, dtype):
    x = randi((3, 5), -100, 100, dtype)
    x.flat[0] = 0
    if op == "Relu" and dtype == np.int64:  # no int64 Relu in onnxruntime
        check_via(op, {"x": x}, np.int32)
    else:
        check(op, {"x": x})


@pytest.mark.parametrize("op", ["Abs", "Sign"])
def test_unary_uint(op):
    x = np.array([0, 1, 127, 128, 200, 255], np.uint8)
    check(op, {"x": x})


@pytest.mark.parametrize("alpha", [None, 0.2, -1.5])
def test_leaky_relu(alpha):
    kw = {} if alpha is None else {"alpha": alpha}
    check("LeakyRelu", {"x": randf((2, 3, 4))}, **kw)


@pytest.mark.parametrize("alpha_beta", [None, (0.5, 0.1), (-0.3, 0.8)])
def test_hard_sigmoid(alpha_beta):
    kw = {} if alpha_beta is None else {"alpha": alpha_beta[0], "beta": alpha_beta[1]}
    check("HardSigmoid", {"x": randf((2, 3, 4), -6, 6)}, **kw)


@pytest.mark.parametrize("alpha", [None, 0.5, 2.0])
def test_elu(alpha):
    kw = {} if alpha is None else {"alpha": alpha}
    check("Elu", {"x": randf((2, 3, 4))}, **kw)


@pytest.mark.parametrize("alpha_gamma", [None, (2.0, 1.5), (0.5, 3.0)])
def test_selu(alpha_gamma):
    kw = {} if alpha_gamma is None else {"alpha": alpha_gamma[0], "gamma": alpha_gamma[1]}
    check("Selu", {"x": randf((2, 3, 4))}, **kw)


@pytest.mark.parametrize("approximate", [None, "none", "tanh"])
def test_gelu(approximate):
    kw = {} if approximate is None else {"approximate": approximate}
    check("Gelu", {"x": randf((2, 3, 4), -6, 6)}, **kw)


@pytest.mark.parametrize("slope_shape", [(3, 1), (4,), (), (2, 3, 4), (1, 3, 4)], ids=str)
def test_prelu(slope_shape):
    check("PRelu", {"x": randf((2, 3, 4)), "slope": randf(slope_shape, -1, 1)})


# ---- Clip ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bounds",
    [(None, None), (-1.0, None), (None, 0.5), (-1.0, 1.0), (2.0, 1.0), (-0.0, 0.0)],
    ids=str,
)
@pytest.mark.parametrize("as_const", [False, True])
def test_clip_float(bounds, as_const):
    lo, hi = bounds
    x = randf((2, 3, 4))
    inputs, inits, order = {"x": x}, {}, ["x", "", ""]
    for i, (name, v) in enumerate((("lo", lo), ("hi", hi))):
        if v is None:
            continue
        arr = np.array(v, np.float32)
        (inits if as_const else inputs)[name] = arr
        order[1 + i] = name
    while order and order[-1] == "":
        order.pop()
    check("Clip", inputs, initializers=inits, input_order=order)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.float64])
def test_clip_other_dtypes(dtype):
    if dtype == np.uint8:
        x, lo, hi = randi((3, 4), 0, 256, dtype), np.array(50, dtype), np.array(200, dtype)
    elif dtype == np.float64:
        x, lo, hi = randf((3, 4), dtype=dtype), np.array(-0.5, dtype), np.array(1.25, dtype)
    else:
        x, lo, hi = randi((3, 4), -20, 20, dtype), np.array(-5, dtype), np.array(7, dtype)
    check("Clip", {"x": x, "lo": lo, "hi": hi})
    check("Clip", {"x": x, "hi": hi}, input_order=["x", "", "hi"])


# ---- variadic -----------------------------------------------------------------------

VARIADIC_SHAPES = [[(2, 3, 4)], [(2, 3, 4), (3, 1)], [(3, 1), (), (2, 1, 4)], [(4,), (4,), (4,), (4,)]]


@pytest.mark.parametrize("op", ["Max", "Min", "Sum", "Mean"])
@pytest.mark.parametrize("shapes", VARIADIC_SHAPES, ids=str)
def test_variadic_float(op, shapes):
    inputs = {f"d{i}": randf(s) for i, s in enumerate(shapes)}
    check(op, inputs, outputs=["out"])


@pytest.mark.parametrize("op", ["Max", "Min"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.float64])
def test_variadic_other_dtypes(op, dtype):
    lo, hi = (0, 256) if dtype == np.uint8 else (-100, 100)
    if dtype == np.float64:
        inputs = {"d0": randf((2, 3), dtype=dtype), "d1": randf((3,), dtype=dtype)}
    else:
        inputs = {"d0": randi((2, 3), lo, hi, dtype), "d1": randi((3,), lo, hi, dtype)}
    check(op, inputs, outputs=["out"])


def test_sum_mean_f64():
    inputs = {"d0": randf((2, 3), dtype=np.float64), "d1": randf((3,), dtype=np.float64)}
    check("Sum", inputs, outputs=["out"])
    check_via("Mean", inputs, np.float32, outputs=["out"])


def test_variadic_same_input_twice():
    x = randf((3, 4))
    check("Sum", {"x": x}, outputs=["out"], input_order=["x", "x", "x"])


# ---- Where --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shapes", [((2, 3, 4), (2, 3, 4), (2, 3, 4)), ((3, 1), (2, 3, 4), ()), ((4,), (3, 1), (2, 1, 1))], ids=str
)
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_where(shapes, dtype):
    sc, sx, sy = shapes
    cond = RNG.random(sc) < 0.5
    if dtype == np.float32:
        x, y = randf(sx), randf(sy)
    elif dtype == np.int64:
        x, y = randi(sx), randi(sy)
    else:
        x, y = RNG.random(sx) < 0.5, RNG.random(sy) < 0.5
    inputs = {"cond": np.asarray(cond), "x": np.asarray(x), "y": np.asarray(y)}
    if dtype == np.bool_:  # no bool Where in onnxruntime: reference with uint8 data
        from tests.ort_check import run_ort
        import compiler

        ref = {**inputs, "x": inputs["x"].astype(np.uint8), "y": inputs["y"].astype(np.uint8)}
        (expected,) = run_ort(single_node_model("Where", ref, ["out"]), ref)
        (got,) = compiler.compile(single_node_model("Where", inputs, ["out"])).run(inputs)
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got, expected.astype(np.bool_))
    else:
        check("Where", inputs, outputs=["out"])


# ---- comparisons and logic ----------------------------------------------------------

COMPARISONS = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]


@pytest.mark.parametrize("op", COMPARISONS)
@pytest.mark.parametrize("shapes", BCAST[:3], ids=str)
def test_compare_float(op, shapes):
    sa, sb = shapes
    a = np.asarray(np.round(randf(sa), 0))  # small integers in float: equal values occur
    b = np.asarray(np.round(randf(sb), 0))
    check(op, {"a": a, "b": b}, outputs=["c"])


@pytest.mark.parametrize("op", COMPARISONS)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.int8, np.float64])
def test_compare_other_dtypes(op, dtype):
    if dtype == np.uint8:  # values above 127: unsigned compare differs from signed
        a, b = randi((3, 4), 0, 256, dtype), randi((4,), 100, 156, dtype)
    elif dtype == np.float64:
        a, b = np.asarray(np.round(randf((3, 4), dtype=dtype))), np.asarray(np.round(randf((4,), dtype=dtype)))
    else:
        a, b = randi((3, 4), -4, 4, dtype), randi((4,), -4, 4, dtype)
    check(op, {"a": a, "b": b}, outputs=["c"])


def test_equal_bool():
    check("Equal", {"a": RNG.random((2, 3, 4)) < 0.5, "b": RNG.random((3, 1)) < 0.5}, outputs=["c"])


@pytest.mark.parametrize("op", ["And", "Or", "Xor"])
@pytest.mark.parametrize("shapes", BCAST, ids=str)
def test_logic(op, shapes):
    sa, sb = shapes
    check(op, {"a": np.asarray(RNG.random(sa) < 0.5), "b": np.asarray(RNG.random(sb) < 0.5)}, outputs=["c"])


def test_not():
    check("Not", {"x": RNG.random((2, 3, 4)) < 0.5})
    check("Not", {"x": np.array(True)})


# ---- Cast ---------------------------------------------------------------------------

CAST_TYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int8, np.uint8, np.bool_]


def _cast_source(src) -> np.ndarray:
    """Values every destination type represents after ONNX's conversion (no NaN, no
    overflow): small magnitudes, fractions for float sources (truncated toward zero)."""
    if src == np.bool_:
        return RNG.random((3, 5)) < 0.5
    if src == np.uint8:
        return randi((3, 5), 0, 120, np.uint8)
    if np.dtype(src).kind == "f":
        v = randf((3, 5), -100, 100).astype(src)
        v.flat[:6] = [0.0, -0.0, 0.5, -0.5, -2.75, 3.999]
        return v
    return randi((3, 5), -100, 100, src)


@pytest.mark.parametrize("src", CAST_TYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("dst", CAST_TYPES, ids=lambda t: np.dtype(t).name)
def test_cast(src, dst):
    from onnx import helper

    x = _cast_source(src)
    if np.dtype(dst) == np.uint8 and np.dtype(src).kind in "fi":
        x = np.abs(x)  # negative -> unsigned is out of range for float sources
    to = helper.np_dtype_to_tensor_dtype(np.dtype(dst))
    # f16 outputs: compare at f16 precision.
    tol = 1e-3 if dst == np.float16 else 1e-4
    check("Cast", {"x": x}, to=to, rtol=tol, atol=tol)


# ---- Identity, Dropout --------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.bool_])
def test_identity(dtype):
    x = _cast_source(dtype).reshape(3, 5)
    check("Identity", {"x": x})


@pytest.mark.parametrize("with_mask", [False, True])
def test_dropout(with_mask):
    x = randf((2, 3, 4))
    outputs = ["y", "mask"] if with_mask else ["y"]
    check("Dropout", {"x": x}, outputs=outputs)
    # ratio given, training_mode constant false
    check(
        "Dropout",
        {"x": x},
        outputs=outputs,
        initializers={"ratio": np.array(0.3, np.float32), "train": np.array(False)},
    )


def test_dropout_training_mode_rejected():
    from dialects.errors import StrataError

    import compiler

    model = single_node_model(
        "Dropout", {"x": randf((2, 3))}, initializers={"train": np.array(True)}, input_order=["x", "", "train"]
    )
    with pytest.raises(StrataError, match="inference"):
        compiler.compile(model)


_MOD_A = [5.3, -5.3, 5.3, -5.3, 4.0, -4.0, 4.0, -4.0, 0.0, -0.0, 1.0, -1.0, np.inf, 1.0, 3.0, 1e-30, 7.0, -2.5, 2.5]
_MOD_B = [2.0, 2.0, -2.0, -2.0, 2.0, 2.0, -2.0, -2.0, 3.0, -3.0, np.inf, np.inf, 2.0, 0.0, np.nan, -5.0, -np.inf, 0.75, -0.75]


@pytest.mark.parametrize("opt_level", [0, 3])
@pytest.mark.parametrize("fmod", [0, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
def test_mod_float_mixed_signs(dtype, fmod, opt_level):
    """Float Mod with mixed signs, zeros, infinities and NaN, exactly as onnxruntime
    (bit for bit, the sign of zero too): fmod=1 is C fmod (the dividend's sign), fmod=0
    the floor remainder (the divisor's sign, np.mod; floats allow it from opset 28).
    At -O3 the Mod is fused with the Mul after it."""
    import compiler
    from tests.ort_check import run_ort

    a = np.array(_MOD_A * 2, dtype=dtype)
    b = np.array(_MOD_B + [-v for v in _MOD_B], dtype=dtype)
    node_mod = helper.make_node("Mod", ["a", "b"], ["m"], name="mod", fmod=fmod)
    node_mul = helper.make_node("Mul", ["m", "one"], ["c"], name="times_one")
    graph = helper.make_graph(
        [node_mod, node_mul], "mod_signs",
        [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), [a.size]) for n in "ab"],
        [helper.make_tensor_value_info("c", helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), [a.size])],
        [numpy_helper.from_array(np.array(1.0, dtype), "one")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 28)])
    model.ir_version = 11
    feeds = {"a": a, "b": b}
    with np.errstate(invalid="ignore"):
        (want,) = run_ort(model, feeds)
    (got,) = compiler.compile(model, opt_level=opt_level).run(feeds)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_int_div_mod_by_zero_does_not_trap():
    """ONNX leaves x / 0 undefined (onnxruntime crashes); Strata's kernels must not trap:
    x / 0 == x, x % 0 == 0, INT_MIN / -1 wraps to INT_MIN."""
    import compiler

    lo = np.iinfo(np.int64).min
    a = np.array([7, -7, lo, lo, 5], np.int64)
    b = np.array([0, 0, -1, 1, -1], np.int64)
    (q,) = compiler.compile(single_node_model("Div", {"a": a, "b": b}, ["c"])).run({"a": a, "b": b})
    np.testing.assert_array_equal(q, [7, -7, lo, lo, -5])
    for fmod in (0, 1):
        model = single_node_model("Mod", {"a": a, "b": b}, ["c"], fmod=fmod)
        (r,) = compiler.compile(model).run({"a": a, "b": b})
        np.testing.assert_array_equal(r, [0, 0, 0, 0, 0])
