"""More elementwise kernels (lowering/kernels/elementwise.py) against onnxruntime:
inverse/hyperbolic trigonometry, Softsign, ThresholdedRelu, Celu, Mish, Swish, Shrink,
IsNaN, IsInf, the bitwise ops, BitShift and CastLike."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import helper

from dialects.onnx import ONNX_OPS
from tests.ort_check import assert_matches_ort, run_ort, single_node_model

RNG = np.random.default_rng(1)

# (A shape, B shape): numpy broadcasting both ways, a scalar, and equal shapes.
BCAST = [((2, 3, 4), (3, 1)), ((2, 3, 4), ()), ((3, 1), (2, 1, 4)), ((5,), (5,))]


def check(op_type: str, inputs: dict[str, np.ndarray], outputs=("y",), **kw):
    if op_type not in ONNX_OPS:
        pytest.skip(f"onnx.{op_type} is not in the onnx dialect yet")
    rtol = kw.pop("rtol", 1e-4)
    atol = kw.pop("atol", 1e-4)
    initializers = kw.pop("initializers", None)
    model = single_node_model(op_type, inputs, outputs, initializers=initializers, **kw)
    return assert_matches_ort(model, inputs, rtol=rtol, atol=atol)


def check_via(op_type: str, inputs: dict[str, np.ndarray], ref_dtype, outputs=("y",), **kw):
    """For a dtype onnxruntime has no kernel for: Strata runs the model in the inputs'
    dtype, onnxruntime the same model with the inputs cast to `ref_dtype` (f64 is then
    checked at f32 precision)."""
    import compiler

    if op_type not in ONNX_OPS:
        pytest.skip(f"onnx.{op_type} is not in the onnx dialect yet")
    rtol = kw.pop("rtol", 1e-4)
    atol = kw.pop("atol", 1e-4)
    ref_inputs = {k: v.astype(ref_dtype) for k, v in inputs.items()}
    expected = run_ort(single_node_model(op_type, ref_inputs, outputs, **kw), ref_inputs)
    got = compiler.compile(single_node_model(op_type, inputs, outputs, **kw)).run(dict(inputs))
    dtype = next(iter(inputs.values())).dtype
    for g, e in zip(got, expected):
        want = dtype if e.dtype == np.dtype(ref_dtype) else e.dtype
        assert g.dtype == want and g.shape == e.shape, (g.dtype, g.shape, want, e.shape)
        if want.kind == "f":
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
        else:
            np.testing.assert_array_equal(g, e.astype(want))
    return got


def randf(shape, lo=-3.0, hi=3.0, dtype=np.float32) -> np.ndarray:
    return np.asarray(RNG.uniform(lo, hi, size=shape), dtype=dtype)


def randi(shape, lo=-20, hi=20, dtype=np.int64) -> np.ndarray:
    return np.asarray(RNG.integers(lo, hi, size=shape, endpoint=False), dtype=dtype)


# f16 results are compared at f16 precision.
F16_TOL = {"rtol": 2e-3, "atol": 2e-3}


def _float_check(op: str, x: np.ndarray, outputs=("y",), **kw):
    """f32 and f16 against onnxruntime; f64 via an f32 reference (onnxruntime's CPU
    provider has no f64 kernel for most of these ops)."""
    if x.dtype == np.float64:
        return check_via(op, {"x": x}, np.float32, outputs=outputs, **kw)
    if x.dtype == np.float16:
        kw = {**F16_TOL, **kw}
    return check(op, {"x": x}, outputs=outputs, **kw)


# ---- inverse and hyperbolic trigonometry ---------------------------------------------

TRIG_DOMAIN = {
    "Acos": (-1.0, 1.0, [-1.0, -0.999, 0.0, 0.5, 0.999, 1.0]),
    "Asin": (-1.0, 1.0, [-1.0, -0.999, 0.0, 0.5, 0.999, 1.0]),
    "Atanh": (-0.99, 0.99, [-0.999, -0.5, 0.0, 1e-4, 0.5, 0.999]),
    "Acosh": (1.0, 50.0, [1.0, 1.0001, 1.5, 10.0, 1e3, 1e6]),
    "Atan": (-50.0, 50.0, [-1e6, -1.0, 0.0, 1e-4, 1.0, 1e6]),
    "Asinh": (-50.0, 50.0, [-1e6, -1.0, 0.0, 1e-4, 1.0, 1e6]),
    "Tan": (-1.5, 1.5, [-1.5, -0.5, 0.0, 1e-4, 0.5, 1.5]),
    "Sinh": (-10.0, 10.0, [-20.0, -1.0, 0.0, 1e-4, 1.0, 20.0]),
    "Cosh": (-10.0, 10.0, [-20.0, -1.0, 0.0, 1e-4, 1.0, 20.0]),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16], ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("op", sorted(TRIG_DOMAIN))
def test_trig(op, dtype):
    lo, hi, special = TRIG_DOMAIN[op]
    x = np.concatenate([np.array(special), randf((14,), lo, hi, np.float64)])
    if dtype == np.float16:
        x = np.clip(x, -6e4, 6e4)
        if op in ("Sinh", "Cosh"):
            x = np.clip(x, -10, 10)  # cosh(20) overflows f16
    x = x.astype(dtype).reshape(4, 5)
    _float_check(op, x, outputs=["y"])


def test_trig_rank0_and_shaped():
    check("Atan", {"x": np.array(0.75, np.float32)})
    check("Sinh", {"x": randf((2, 1, 3), -2, 2)})


# ---- activations ----------------------------------------------------------------------

SIGNED = np.array([-100.0, -20.0, -3.5, -1.0, -1e-3, 0.0, 1e-3, 0.7, 1.0, 3.5, 20.0, 100.0], np.float32)


def _signed(dtype=np.float32) -> np.ndarray:
    return np.concatenate([SIGNED, randf((12,), -4, 4)]).astype(dtype).reshape(4, 6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16], ids=lambda t: np.dtype(t).name)
def test_softsign(dtype):
    _float_check("Softsign", _signed(dtype))


@pytest.mark.parametrize("alpha", [None, 0.5, -1.0, 2.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda t: np.dtype(t).name)
def test_thresholded_relu(alpha, dtype):
    kw = {} if alpha is None else {"alpha": alpha}
    x = _signed(dtype)
    x.flat[:3] = [1.0, 0.5, 2.0]  # values equal to alpha stay 0 (strict x > alpha)
    _float_check("ThresholdedRelu", x, **kw)


@pytest.mark.parametrize("alpha", [None, 0.5, 2.0, 1e-3])
def test_celu(alpha):
    kw = {} if alpha is None else {"alpha": alpha}
    check("Celu", {"x": _signed()}, **kw)


def test_celu_f64_matches_formula():
    """onnxruntime's Celu is f32 only; f64 against the ONNX formula in numpy."""
    import compiler

    x = _signed(np.float64)
    model = single_node_model("Celu", {"x": x}, alpha=0.7)
    (got,) = compiler.compile(model).run({"x": x})
    alpha = float(np.float32(0.7))  # the attribute is a float32
    want = np.maximum(0, x) + np.minimum(0, alpha * (np.exp(x / alpha) - 1))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16], ids=lambda t: np.dtype(t).name)
def test_mish(dtype):
    got = _float_check("Mish", _signed(dtype))[0]
    assert np.all(np.isfinite(got))


def test_mish_large_magnitude():
    x = np.array([-1000.0, -100.0, -88.0, -30.0, 0.0, 30.0, 88.0, 100.0, 1000.0], np.float32)
    got = check("Mish", {"x": x})[0]
    assert np.all(np.isfinite(got))


def _swish_reference(x: np.ndarray, **attrs) -> np.ndarray:
    """onnxruntime when it runs Swish (opset 24), else onnx's ReferenceEvaluator."""
    model = single_node_model("Swish", {"x": x}, opset=24, **attrs)
    try:
        return run_ort(model, {"x": x})[0]
    except Exception:
        from onnx.reference import ReferenceEvaluator

        return ReferenceEvaluator(model).run(None, {"x": x})[0]


@pytest.mark.parametrize("alpha", [None, 0.5, 2.0, -1.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16], ids=lambda t: np.dtype(t).name)
def test_swish(alpha, dtype):
    import compiler

    if "Swish" not in ONNX_OPS:
        pytest.skip("onnx.Swish is not in the onnx dialect yet")
    kw = {} if alpha is None else {"alpha": alpha}
    x = _signed(dtype)
    want = _swish_reference(x, **kw)
    (got,) = compiler.compile(single_node_model("Swish", {"x": x}, opset=24, **kw)).run({"x": x})
    assert got.dtype == want.dtype == dtype and got.shape == want.shape
    tol = F16_TOL if dtype == np.float16 else {"rtol": 1e-4, "atol": 1e-4}
    np.testing.assert_allclose(got, want, **tol)
    assert np.all(np.isfinite(got))


SHRINK_ATTRS = [None, (0.5, 1.0), (1.5, 0.0), (-0.3, 2.0), (2.0, 2.0)]


def _shrink_kw(attrs):
    return {} if attrs is None else {"bias": attrs[0], "lambd": attrs[1]}


@pytest.mark.parametrize("attrs", SHRINK_ATTRS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=lambda t: np.dtype(t).name)
def test_shrink_float(attrs, dtype):
    x = _signed(dtype)
    x.flat[:4] = [-1.0, 1.0, -2.0, 2.0]  # at +-lambd: 0
    check("Shrink", {"x": x}, **_shrink_kw(attrs))


@pytest.mark.parametrize("attrs", [None, (1.0, 2.0), (3.0, 0.0), (1.5, 1.0)], ids=str)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8], ids=lambda t: np.dtype(t).name)
def test_shrink_int(attrs, dtype):
    """Integers: compared in float, x +- bias truncated to the type. Unsigned values stay
    above bias (a negative result is outside the type)."""
    if np.dtype(dtype).kind == "u":
        x = randi((4, 6), 4, 250, dtype)
        x.flat[:3] = [0, 1, 2]
    else:
        x = randi((4, 6), -100, 100, dtype)
        x.flat[:5] = [0, -1, 1, -2, 2]
    check("Shrink", {"x": x}, **_shrink_kw(attrs))


# ---- IsNaN, IsInf ---------------------------------------------------------------------

SPECIAL = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.5, -2.5, 1e30, -1e30, np.nan, 3.0, -np.inf]


def _special(dtype) -> np.ndarray:
    x = np.array(SPECIAL, np.float64)
    if dtype == np.float16:
        x[np.abs(x) == 1e30] = 6e4
    return x.astype(dtype).reshape(3, 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16], ids=lambda t: np.dtype(t).name)
def test_isnan(dtype):
    check("IsNaN", {"x": _special(dtype)})


@pytest.mark.parametrize("flags", [None, (1, 1), (1, 0), (0, 1), (0, 0)], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16], ids=lambda t: np.dtype(t).name)
def test_isinf(flags, dtype):
    kw = {} if flags is None else {"detect_negative": flags[0], "detect_positive": flags[1]}
    check("IsInf", {"x": _special(dtype)}, **kw)


# ---- bitwise --------------------------------------------------------------------------

INT_TYPES = [np.int64, np.int32, np.int16, np.int8, np.uint64, np.uint32, np.uint16, np.uint8]


def _full_range(shape, dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    v = RNG.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
    if v.size:
        v.flat[0] = info.min
        v.flat[-1] = info.max
    return np.asarray(v)


@pytest.mark.parametrize("op", ["BitwiseAnd", "BitwiseOr", "BitwiseXor"])
@pytest.mark.parametrize("dtype", INT_TYPES, ids=lambda t: np.dtype(t).name)
def test_bitwise_binary(op, dtype):
    for sa, sb in BCAST[:3]:
        check(op, {"a": _full_range(sa, dtype), "b": _full_range(sb, dtype)}, outputs=["c"])


@pytest.mark.parametrize("dtype", INT_TYPES, ids=lambda t: np.dtype(t).name)
def test_bitwise_not(dtype):
    check("BitwiseNot", {"x": _full_range((3, 4), dtype)})
    check("BitwiseNot", {"x": _full_range((), dtype)})


UNSIGNED = [np.uint8, np.uint16, np.uint32, np.uint64]


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype", UNSIGNED, ids=lambda t: np.dtype(t).name)
def test_bitshift_unsigned(direction, dtype):
    bits = np.iinfo(dtype).bits
    for sx, sy in BCAST[:3]:
        x = _full_range(sx, dtype)
        y = randi(sy, 0, bits, dtype)
        check("BitShift", {"x": x, "y": y}, outputs=["z"], direction=direction)


@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@pytest.mark.parametrize("dtype", UNSIGNED + [np.int8, np.int32, np.int64], ids=lambda t: np.dtype(t).name)
def test_bitshift_out_of_range_amounts(direction, dtype):
    """Opset 28: an amount >= the bit width (or negative, signed) gives 0, or -1 for a
    right shift of a negative value; signed right shifts are arithmetic."""
    bits = np.iinfo(dtype).bits
    amounts = [0, 1, bits - 1, bits, bits + 1, 2 * bits + 3]
    if np.dtype(dtype).kind == "i":
        amounts += [-1, -bits, np.iinfo(dtype).min]
    y = np.array(amounts, dtype)
    x = _full_range((3, 1), dtype)
    if np.dtype(dtype).kind == "i":
        x[1, 0] = -5
    check("BitShift", {"x": x, "y": y}, outputs=["z"], direction=direction, opset=28)


# ---- CastLike -------------------------------------------------------------------------

CAST_TYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int8, np.uint8, np.bool_]


def _cast_source(src) -> np.ndarray:
    """Values every destination type represents after the conversion (no NaN, no
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
def test_castlike(src, dst):
    x = _cast_source(src)
    if np.dtype(dst) == np.uint8 and np.dtype(src).kind in "fi":
        x = np.abs(x)  # negative -> unsigned is out of range for float sources
    like = np.zeros((2,), dst)
    tol = F16_TOL if dst == np.float16 else {}
    check("CastLike", {"x": x, "like": like}, outputs=["out"], **tol)


@pytest.mark.parametrize("saturate", [None, 1])
def test_castlike_target_as_constant(saturate):
    """target_type as an initializer of another shape (only its type matters)."""
    kw = {} if saturate is None else {"saturate": saturate}
    x = _cast_source(np.float32)
    check("CastLike", {"x": x}, outputs=["out"], initializers={"like": np.array([7], np.int32)}, **kw)
    check("CastLike", {"x": x}, outputs=["out"], initializers={"like": np.zeros((4, 4), np.float64)}, **kw)


def test_castlike_saturate_0():
    """saturate only matters for float8 targets, which Strata has no type for; it is
    accepted and changes nothing (onnxruntime refuses saturate=0 for other targets)."""
    import compiler

    x = _cast_source(np.float32)
    feeds = {"x": x, "like": np.zeros((1,), np.int32)}
    (want,) = run_ort(single_node_model("CastLike", feeds, ["out"]), feeds)
    (got,) = compiler.compile(single_node_model("CastLike", feeds, ["out"], saturate=0)).run(feeds)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, want)


def test_castlike_in_graph():
    """CastLike between two ops: Strata keeps the graph-level types through import."""
    import onnx

    x = randf((2, 3))
    nodes = [
        helper.make_node("Relu", ["x"], ["r"]),
        helper.make_node("CastLike", ["r", "idx"], ["ri"]),
        helper.make_node("Add", ["ri", "idx"], ["out"]),
    ]
    graph = helper.make_graph(
        nodes,
        "castlike_graph",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("idx", onnx.TensorProto.INT64, [3])],
        [helper.make_value_info("out", onnx.TypeProto())],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    got = assert_matches_ort(model, {"x": x, "idx": np.array([1, -2, 3], np.int64)})[0]
    assert got.dtype == np.int64
