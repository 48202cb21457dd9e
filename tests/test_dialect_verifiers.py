"""Verifiers, signatures and round-tripping of the `onnx` dialect.

For a representative op of each family a valid instance verifies and broken ones
(wrong rank, element type, attribute value, permutation, channel count, ...) raise a
VerifyException that names the op. Every op's operands, results and properties are
also checked against the ONNX opset-21 schema, since the importer builds ops
positionally from NodeProtos.
"""

from __future__ import annotations

import re

import onnx.defs
import pytest
from xdsl.context import Context
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    Builtin,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    Signedness,
    StringAttr,
    TensorType,
    f16,
    f32,
    f64,
    i1,
    i8,
    i32,
    i64,
)
from xdsl.dialects.func import Func, FuncOp, ReturnOp
from xdsl.dialects.test import TestOp as ValueSource
from xdsl.ir import Attribute, Block, Region, SSAValue
from xdsl.irdl import IRDLOperation, OptionalDef, VariadicDef
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from dialects.onnx import ONNX, ONNX_OPS
from dialects.onnx.base import element_kinds_of, make_ints, onnx_attributes
from dialects.onnx.elementwise import (
    AddOp,
    CastOp,
    ClipOp,
    EqualOp,
    GeluOp,
    LessOp,
    MaxOp,
    ModOp,
    NotOp,
    PowOp,
    ReluOp,
    SqrtOp,
    WhereOp,
    XorOp,
)
from dialects.onnx.linalg import GemmOp, MatMulOp
from dialects.onnx.nn import (
    AveragePoolOp,
    BatchNormalizationOp,
    ConvOp,
    ConvTransposeOp,
    DropoutOp,
    GlobalAveragePoolOp,
    LayerNormalizationOp,
    MaxPoolOp,
    PReluOp,
    SoftmaxOp,
)
from dialects.onnx.reduction import ArgMaxOp, ReduceMeanOp, ReduceSumOp
from dialects.onnx.tensor import (
    ConcatOp,
    ConstantOfShapeOp,
    ConstantOp,
    FlattenOp,
    GatherOp,
    PadOp,
    ReshapeOp,
    ResizeOp,
    ShapeOp,
    SliceOp,
    SplitOp,
    TransposeOp,
)

CORE_OPS = """
Add Sub Mul Div Pow Sqrt Exp Log Neg Abs Relu LeakyRelu Sigmoid Tanh Erf Clip Max Min Where
Equal Less Greater Not Cast MatMul Gemm Conv ConvTranspose MaxPool AveragePool
GlobalAveragePool BatchNormalization Softmax LogSoftmax LayerNormalization ReduceMean
ReduceSum ReduceMax Reshape Flatten Transpose Concat Split Slice Squeeze Unsqueeze Gather
Expand Shape ConstantOfShape Range Identity Dropout Constant Pad Resize Tile
Sum Mean Floor Ceil Reciprocal Sin Cos Softplus HardSigmoid HardSwish Elu Selu Gelu Sign
Round And Or Xor LessOrEqual GreaterOrEqual Mod PRelu ReduceMin ReduceProd ReduceL2 ArgMax
ArgMin GlobalMaxPool InstanceNormalization Size
""".split()

Q = DYNAMIC_INDEX


# ---- helpers ------------------------------------------------------------------------


def T(*shape: int, elt: Attribute = f32) -> TensorType:
    return TensorType(elt, list(shape))


def vals(*types: Attribute) -> list[SSAValue]:
    return list(ValueSource(result_types=list(types)).results)


def I(v: int) -> IntegerAttr:
    return IntegerAttr(v, i64)


def F(v: float) -> FloatAttr:
    return FloatAttr(v, f32)


def S(v: str) -> StringAttr:
    return StringAttr(v)


def build(cls: type[IRDLOperation], operands, results, **props) -> IRDLOperation:
    return cls.build(operands=operands, result_types=results, properties=props)


def ok(cls, operands, results, **props) -> IRDLOperation:
    op = build(cls, operands, results, **props)
    op.verify()
    return op


def bad(cls, operands, results, match: str = "", **props) -> None:
    op = build(cls, operands, results, **props)
    with pytest.raises(VerifyException) as info:
        op.verify()
    msg = str(info.value)
    assert cls.name in msg, msg
    assert re.search(match, msg), msg


# ---- op list and ONNX signatures ----------------------------------------------------


def test_every_core_op_is_registered():
    missing = [name for name in CORE_OPS if name not in ONNX_OPS]
    assert not missing
    for name, cls in ONNX_OPS.items():
        assert cls.__name__ == name + "Op"
        assert cls.name == "onnx." + name


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _kind(def_) -> str:
    if isinstance(def_, VariadicDef):
        return "optional" if isinstance(def_, OptionalDef) else "variadic"
    return "single"


_OPTION = {
    onnx.defs.OpSchema.FormalParameterOption.Single: "single",
    onnx.defs.OpSchema.FormalParameterOption.Optional: "optional",
    onnx.defs.OpSchema.FormalParameterOption.Variadic: "variadic",
}

_SEGMENTS = {"operandSegmentSizes", "resultSegmentSizes"}
# Constant's value_* attribute forms are folded into `value` by the importer.
_UNMODELLED_ATTRS = {"Constant": {"value_float", "value_floats", "value_int", "value_ints", "value_string", "value_strings", "sparse_value"}}


def _category(type_str: str) -> str | None:
    t = type_str.removeprefix("tensor(").removesuffix(")")
    if t == "bool":
        return "bool"
    if "int" in t:
        return "int"
    if "float" in t or t == "double":
        return "float"
    return None  # string, complex


@pytest.mark.parametrize("name", sorted(CORE_OPS))
def test_signature_matches_onnx_schema(name: str):
    schema = onnx.defs.get_schema(name, 21)
    op_def = ONNX_OPS[name].get_irdl_definition()

    want_in = [(_snake(p.name), _OPTION[p.option]) for p in schema.inputs]
    assert [(n, _kind(d)) for n, d in op_def.operands] == want_in
    want_out = [(_snake(p.name), _OPTION[p.option]) for p in schema.outputs]
    assert [(n, _kind(d)) for n, d in op_def.results] == want_out

    props = {k: v for k, v in op_def.properties.items() if k not in _SEGMENTS}
    attrs = {k: v for k, v in schema.attributes.items() if k not in _UNMODELLED_ATTRS.get(name, ())}
    assert set(props) == set(attrs)
    for attr_name, attr in attrs.items():
        prop = props[attr_name]
        if (name, attr_name) != ("Constant", "value"):  # required here: the one form kept
            assert isinstance(prop, OptionalDef) != attr.required, attr_name
        onnx_default = onnx.helper.get_attribute_value(attr.default_value) if attr.default_value.type else None
        ours = prop.default_value
        if onnx_default is None:
            assert ours is None, attr_name
        elif isinstance(onnx_default, bytes):
            assert ours == StringAttr(onnx_default.decode()), attr_name
        elif isinstance(onnx_default, float):
            assert ours.value.data == pytest.approx(onnx_default, rel=1e-6), attr_name
        else:
            assert ours.value.data == onnx_default, attr_name

    # The IRDL element-type constraint of the main operand admits exactly (and all of)
    # the categories of its ONNX type variable.
    param = {"Where": 1, "ConstantOfShape": -1, "Constant": -1}.get(name, 0)
    param = schema.outputs[0] if param < 0 else schema.inputs[param]
    constraint = next(c for c in schema.type_constraints if c.type_param_str == param.type_str)
    categories = {_category(t) for t in constraint.allowed_type_strs} - {None}
    assert element_kinds_of(ONNX_OPS[name], _snake(param.name)) == categories


# ---- elementwise --------------------------------------------------------------------


def test_binary_broadcast():
    a, b, c = vals(T(2, 3), T(3), T(Q, 3))
    ok(AddOp, [a, b], [T(2, 3)])
    ok(AddOp, [c, b], [T(Q, 3)])
    ok(AddOp, [c, a], [T(2, 3)])
    (ai,) = vals(T(2, 3, elt=i64))
    ok(AddOp, [ai, ai], [T(2, 3, elt=i64)])
    bad(AddOp, [a, ai], [T(2, 3)], "element type")
    (d,) = vals(T(4))
    bad(AddOp, [a, d], [T(2, 4)], "broadcast")
    bad(AddOp, [a, b], [T(3, 3)], "broadcast shape")
    (bb,) = vals(T(2, 3, elt=i1))
    bad(AddOp, [bb, bb], [T(2, 3, elt=i1)], "numeric")


def test_pow_allows_mixed_exponent_type():
    x, e = vals(T(2, 3), T(elt=i32))
    ok(PowOp, [x, e], [T(2, 3)])
    bad(PowOp, [x, e], [T(2, 3, elt=i32)], "X and Z")


def test_mod_fmod_flag():
    a, ai = vals(T(4), T(4, elt=i32))
    ok(ModOp, [ai, ai], [T(4, elt=i32)])
    ok(ModOp, [a, a], [T(4)], fmod=I(1))
    ok(ModOp, [a, a], [T(4)])
    bad(ModOp, [a, a], [T(4)], "fmod", fmod=I(2))


def test_unary():
    x, xi, xb = vals(T(2, 3), T(2, 3, elt=i8), T(2, 3, elt=i1))
    ok(SqrtOp, [x], [T(2, 3)])
    ok(ReluOp, [xi], [T(2, 3, elt=i8)])
    ok(NotOp, [xb], [T(2, 3, elt=i1)])
    bad(SqrtOp, [xi], [T(2, 3, elt=i8)], "floating-point")
    bad(SqrtOp, [x], [T(3, 2)], "same type")
    bad(NotOp, [x], [T(2, 3)], "i1")
    ok(GeluOp, [x], [T(2, 3)], approximate=S("tanh"))
    bad(GeluOp, [x], [T(2, 3)], "approximate", approximate=S("fast"))


def test_comparison_and_logic():
    a, b, ab = vals(T(2, 3), T(1, 3), T(2, 3, elt=i1))
    ok(LessOp, [a, b], [T(2, 3, elt=i1)])
    ok(EqualOp, [ab, ab], [T(2, 3, elt=i1)])
    bad(LessOp, [a, b], [T(2, 3)], "i1")
    bad(LessOp, [ab, ab], [T(2, 3, elt=i1)], "numeric")
    ok(XorOp, [ab, ab], [T(2, 3, elt=i1)])
    bad(XorOp, [a, a], [T(2, 3, elt=i1)], "i1")


def test_where_cast_clip():
    cond, x, y, cf = vals(T(2, 1, elt=i1), T(1, 3), T(2, 3), T(2, 1))
    ok(WhereOp, [cond, x, y], [T(2, 3)])
    bad(WhereOp, [cf, x, y], [T(2, 3)], "condition")

    ok(CastOp, [y], [T(2, 3, elt=i64)], to=I(7))
    ok(CastOp, [y], [T(2, 3, elt=IntegerType(8, Signedness.UNSIGNED))], to=I(2))  # uint8 is ui8, as imported
    ok(CastOp, [y], [T(2, 3, elt=i8)], to=I(2))  # and a signless i8 of its width is accepted too
    bad(CastOp, [y], [T(2, 3)], "to = 2 means element type ui8", to=I(2))
    ok(CastOp, [y], [T(2, 3, elt=f16)], to=I(10))
    bad(CastOp, [y], [T(2, 3)], "to = 7", to=I(7))
    bad(CastOp, [y], [T(2, 3)], "not an ONNX data type", to=I(0))

    lo, hi, vec = vals(T(), T(1), T(3))
    ok(ClipOp, [y, lo, hi], [T(2, 3)])
    ok(ClipOp, [y, None, hi], [T(2, 3)])
    ok(ClipOp, [y, None, None], [T(2, 3)])
    bad(ClipOp, [y, vec, None], [T(2, 3)], "scalar")


def test_variadic():
    a, b = vals(T(2, 3), T(3))
    ok(MaxOp, [[a, b]], [T(2, 3)])
    ok(MaxOp, [[a]], [T(2, 3)])
    bad(MaxOp, [[]], [T(2, 3)], "at least one")


# ---- linalg -------------------------------------------------------------------------


def test_matmul_and_gemm():
    a, b, v = vals(T(5, 2, 3), T(3, 4), T(3))
    ok(MatMulOp, [a, b], [T(5, 2, 4)])
    ok(MatMulOp, [a, v], [T(5, 2)])
    bad(MatMulOp, [b, a], [T(5, 3, 3)], "inner dimensions")
    bad(MatMulOp, [a, b], [T(2, 4)], "Y has shape")

    a2, bt, c = vals(T(2, 3), T(4, 3), T(4))
    ok(GemmOp, [a2, bt, c], [T(2, 4)], transB=I(1))
    ok(GemmOp, [a2, bt, None], [T(2, 4)], transB=I(1), alpha=F(0.5))
    bad(GemmOp, [a2, bt, c], [T(2, 4)], "inner dimensions")
    bad(GemmOp, [a2, bt, c], [T(2, 4)], "transA", transA=I(2), transB=I(1))
    bad(GemmOp, [a, bt, None], [T(2, 4)], "rank 2", transB=I(1))


# ---- nn -----------------------------------------------------------------------------


def test_conv():
    x, w, b = vals(T(1, 3, 8, 8), T(16, 3, 3, 3), T(16))
    conv = ok(ConvOp, [x, w, b], [T(1, 16, 8, 8)], pads=make_ints([1, 1, 1, 1]))
    assert conv.effective_strides() == [1, 1]
    assert conv.effective_dilations() == [1, 1]
    assert conv.effective_pads() == [1, 1, 1, 1]
    assert conv.effective_kernel_shape() == [3, 3]
    ok(ConvOp, [x, w, None], [T(1, 16, 3, 3)], strides=make_ints([2, 2]))
    same = ok(ConvOp, [x, w, None], [T(Q, 16, 4, 4)], strides=make_ints([2, 2]), auto_pad=S("SAME_UPPER"))
    assert same.effective_pads() == [0, 0, 1, 1]
    same_lower = build(ConvOp, [x, w, None], [T(1, 16, 4, 4)], strides=make_ints([2, 2]), auto_pad=S("SAME_LOWER"))
    assert same_lower.effective_pads() == [1, 1, 0, 0]

    (xd,) = vals(T(Q, 3, Q, Q))
    ok(ConvOp, [xd, w, b], [T(Q, 16, Q, Q)])

    (wg,) = vals(T(16, 1, 3, 3))
    (xg,) = vals(T(1, 4, 8, 8))
    ok(ConvOp, [xg, wg, None], [T(1, 16, 6, 6)], group=I(4))
    bad(ConvOp, [x, wg, None], [T(1, 16, 6, 6)], "channels", group=I(4))
    bad(ConvOp, [x, w, b], [T(1, 16, 6, 6)], "channels", group=I(2))
    bad(ConvOp, [x, w, b], [T(1, 16, 6, 6)], "group", group=I(0))
    (w3,) = vals(T(16, 3, 3))
    bad(ConvOp, [x, w3, None], [T(1, 16, 6, 6)], "W must have rank 4")
    bad(ConvOp, [x, w, b], [T(1, 16, 6, 6)], "auto_pad", auto_pad=S("SAME"))
    bad(ConvOp, [x, w, b], [T(1, 16, 6, 6)], "strides", strides=make_ints([1, 1, 1]))
    bad(ConvOp, [x, w, b], [T(1, 16, 7, 7)], "spatial dim 0 is 7, expected 6")
    bad(ConvOp, [x, w, b], [T(1, 8, 6, 6)], "Y")
    (bw,) = vals(T(8))
    bad(ConvOp, [x, w, bw], [T(1, 16, 6, 6)], "B has shape")
    (xi,) = vals(T(1, 3, 8, 8, elt=i32))
    bad(ConvOp, [xi, w, b], [T(1, 16, 6, 6)], "floating-point")
    (x1,) = vals(T(3, 8))
    bad(ConvOp, [x1, w, b], [T(16, 6)], "rank >= 3")


def test_conv_transpose():
    x, w = vals(T(1, 4, 5, 5), T(4, 2, 3, 3))
    op = ok(ConvTransposeOp, [x, w, None], [T(1, 2, 11, 11)], strides=make_ints([2, 2]))
    assert op.effective_pads() == [0, 0, 0, 0]
    op = ok(ConvTransposeOp, [x, w, None], [T(1, 2, 10, 10)], strides=make_ints([2, 2]), output_shape=make_ints([10, 10]))
    assert op.effective_pads() == [1, 1, 0, 0]
    op = ok(ConvTransposeOp, [x, w, None], [T(1, 4, 9, 9)], pads=make_ints([1, 1, 1, 1]), strides=make_ints([2, 2]), group=I(2))
    assert op.effective_pads() == [1, 1, 1, 1]
    bad(ConvTransposeOp, [x, w, None], [T(1, 6, 9, 9)], "divisible", pads=make_ints([1, 1, 1, 1]), strides=make_ints([2, 2]), group=I(3))
    bad(ConvTransposeOp, [x, w, None], [T(1, 2, 10, 10)], "spatial dim", strides=make_ints([2, 2]))
    (x3,) = vals(T(1, 3, 5, 5))
    bad(ConvTransposeOp, [x3, w, None], [T(1, 2, 11, 11)], "channels", strides=make_ints([2, 2]))


def test_pools():
    (x,) = vals(T(1, 3, 8, 8))
    k2 = make_ints([2, 2])
    pool = ok(MaxPoolOp, [x], [T(1, 3, 4, 4), None], kernel_shape=k2, strides=k2)
    assert pool.effective_pads() == [0, 0, 0, 0]
    ok(MaxPoolOp, [x], [T(1, 3, 4, 4), T(1, 3, 4, 4, elt=i64)], kernel_shape=k2, strides=k2)
    ok(AveragePoolOp, [x], [T(1, 3, 3, 3)], kernel_shape=make_ints([3, 3]), strides=k2, ceil_mode=I(1))
    ok(AveragePoolOp, [x], [T(1, 3, 3, 3)], kernel_shape=make_ints([3, 3]), strides=k2)
    bad(AveragePoolOp, [x], [T(1, 3, 4, 4)], "spatial dim", kernel_shape=make_ints([3, 3]), strides=k2)
    bad(MaxPoolOp, [x], [T(1, 3, 4, 4), None], "kernel_shape has 1", kernel_shape=make_ints([2]))
    bad(MaxPoolOp, [x], [T(1, 3, 4, 4), None], "kernel_shape", kernel_shape=make_ints([0, 2]))
    bad(MaxPoolOp, [x], [T(1, 3, 4, 4), None], "kernel_shape")  # required
    bad(MaxPoolOp, [x], [T(1, 3, 4, 4), None], "ceil_mode", kernel_shape=k2, strides=k2, ceil_mode=I(3))
    (xi,) = vals(T(1, 3, 8, 8, elt=i8))
    ok(MaxPoolOp, [xi], [T(1, 3, 4, 4, elt=i8), None], kernel_shape=k2, strides=k2)
    bad(AveragePoolOp, [xi], [T(1, 3, 4, 4, elt=i8)], "floating-point", kernel_shape=k2, strides=k2)

    ok(GlobalAveragePoolOp, [x], [T(1, 3, 1, 1)])
    bad(GlobalAveragePoolOp, [x], [T(1, 3)], "Y has shape")


def test_batch_norm():
    x, c, c5 = vals(T(2, 4, 8, 8), T(4), T(5))
    ok(BatchNormalizationOp, [x, c, c, c, c], [T(2, 4, 8, 8), None, None], epsilon=F(1e-3))
    ok(BatchNormalizationOp, [x, c, c, c, c], [T(2, 4, 8, 8), T(4), T(4)], training_mode=I(1))
    bad(BatchNormalizationOp, [x, c5, c, c, c], [T(2, 4, 8, 8), None, None], "scale has shape")
    bad(BatchNormalizationOp, [x, c, c, c, c], [T(2, 5, 8, 8), None, None], "X and Y")


def test_layer_norm_softmax():
    x, s, b = vals(T(2, 5, 8), T(8), T(5, 8))
    ok(LayerNormalizationOp, [x, s, s], [T(2, 5, 8), None, None])
    ok(LayerNormalizationOp, [x, b, None], [T(2, 5, 8), T(2, 1, 1), T(2, 1, 1)], axis=I(1))
    bad(LayerNormalizationOp, [x, b, None], [T(2, 5, 8), None, None], "Scale")
    bad(LayerNormalizationOp, [x, s, None], [T(2, 5, 8), None, None], "axis 3", axis=I(3))
    bad(LayerNormalizationOp, [x, s, None], [T(2, 5, 8), T(2, 5), None], "Mean")

    ok(SoftmaxOp, [x], [T(2, 5, 8)], axis=I(-3))
    bad(SoftmaxOp, [x], [T(2, 5, 8)], "axis -4", axis=I(-4))
    (xi,) = vals(T(2, 5, elt=i32))
    bad(SoftmaxOp, [xi], [T(2, 5, elt=i32)], "floating-point")


def test_dropout_prelu():
    x, r, t = vals(T(2, 3), T(), T(elt=i1))
    ok(DropoutOp, [x, None, None], [T(2, 3), None])
    ok(DropoutOp, [x, r, t], [T(2, 3), T(2, 3, elt=i1)])
    bad(DropoutOp, [x, r, r], [T(2, 3), None], "training_mode")

    x4, slope, bad_slope = vals(T(1, 3, 4, 4), T(3, 1, 1), T(4, 1, 1))
    ok(PReluOp, [x4, slope], [T(1, 3, 4, 4)])
    bad(PReluOp, [x4, bad_slope], [T(1, 3, 4, 4)], "slope")


# ---- reductions ---------------------------------------------------------------------


def test_reductions():
    x, axes, axes_f, axes_d = vals(T(2, 3, 4), T(1, elt=i64), T(1), T(Q, elt=i64))
    ok(ReduceSumOp, [x, axes], [T(2, 1, 4)])
    ok(ReduceSumOp, [x, axes], [T(2, 4)], keepdims=I(0))
    ok(ReduceSumOp, [x, axes_d], [T(2, 4)], keepdims=I(0))
    ok(ReduceMeanOp, [x, None], [T()], keepdims=I(0))
    ok(ReduceMeanOp, [x, None], [T(2, 3, 4)], noop_with_empty_axes=I(1))
    bad(ReduceSumOp, [x, axes], [T(2, 4)], "rank 3")
    bad(ReduceSumOp, [x, axes_f], [T(2, 1, 4)], "i32 or i64")
    bad(ReduceSumOp, [x, axes], [T(2, 1, 4)], "keepdims", keepdims=I(2))
    bad(ReduceMeanOp, [x, None], [T(2, 3)], "rank 0", keepdims=I(0))

    ok(ArgMaxOp, [x], [T(2, 1, 4, elt=i64)], axis=I(1))
    ok(ArgMaxOp, [x], [T(2, 3, elt=i64)], axis=I(-1), keepdims=I(0))
    bad(ArgMaxOp, [x], [T(2, 1, 4)], "i64", axis=I(1))
    bad(ArgMaxOp, [x], [T(2, 1, 4, elt=i64)], "axis 3", axis=I(3))


# ---- tensor -------------------------------------------------------------------------


def test_transpose():
    (x,) = vals(T(2, 3, 4))
    op = ok(TransposeOp, [x], [T(4, 3, 2)])
    assert op.effective_perm() == [2, 1, 0]
    ok(TransposeOp, [x], [T(3, 2, 4)], perm=make_ints([1, 0, 2]))
    bad(TransposeOp, [x], [T(3, 2, 4)], "permutation", perm=make_ints([1, 1, 2]))
    bad(TransposeOp, [x], [T(3, 2)], "permutation", perm=make_ints([1, 0]))
    bad(TransposeOp, [x], [T(2, 3, 4)], "transposed has shape", perm=make_ints([1, 0, 2]))


def test_concat_split():
    a, b, d = vals(T(2, 3), T(2, 5), T(Q, 3))
    ok(ConcatOp, [[a, b]], [T(2, 8)], axis=I(1))
    ok(ConcatOp, [[a, b]], [T(2, 8)], axis=I(-1))
    ok(ConcatOp, [[a, d]], [T(Q, 3)], axis=I(0))
    bad(ConcatOp, [[a, b]], [T(2, 8)], "axis 2", axis=I(2))
    bad(ConcatOp, [[a, b]], [T(4, 3)], "dim 1", axis=I(0))
    bad(ConcatOp, [[a, b]], [T(2, 9)], "sum to 8", axis=I(1))

    (x,) = vals(T(6, 4))
    (split,) = vals(T(2, elt=i64))
    ok(SplitOp, [x, split], [[T(2, 4), T(4, 4)]])
    ok(SplitOp, [x, None], [[T(6, 2), T(6, 2)]], axis=I(1), num_outputs=I(2))
    bad(SplitOp, [x, split], [[T(2, 4), T(2, 4)]], "sum to 4")
    bad(SplitOp, [x, None], [[T(3, 4), T(3, 4)]], "num_outputs", num_outputs=I(3))


def test_reshape_flatten_gather_slice():
    x, shape, shape_f = vals(T(2, 3, 4), T(2, elt=i64), T(2))
    ok(ReshapeOp, [x, shape], [T(6, 4)])
    bad(ReshapeOp, [x, shape], [T(6, 5)], "elements")
    bad(ReshapeOp, [x, shape], [T(24)], "rank 2")
    bad(ReshapeOp, [x, shape_f], [T(6, 4)], "i32 or i64")

    ok(FlattenOp, [x], [T(2, 12)])
    ok(FlattenOp, [x], [T(24, 1)], axis=I(3))
    bad(FlattenOp, [x], [T(6, 4)], "output has shape")
    bad(FlattenOp, [x], [T(24, 1)], "axis 4", axis=I(4))

    (idx,) = vals(T(5, 7, elt=i32))
    ok(GatherOp, [x, idx], [T(2, 5, 7, 4)], axis=I(1))
    bad(GatherOp, [x, shape_f], [T(2, 2, 4)], "indices", axis=I(1))
    bad(GatherOp, [x, idx], [T(2, 5, 7, 4)], "output has shape")

    s3, s2 = vals(T(3, elt=i64), T(2, elt=i64))
    ok(SliceOp, [x, s3, s3, s3, None], [T(1, 2, 3)])
    ok(SliceOp, [x, s2, s2, None, None], [T(1, 2, 4)])
    bad(SliceOp, [x, s3, s2, None, None], [T(1, 2, 3)], "differ in length")
    bad(SliceOp, [x, s3, s3, None, None], [T(1, 2)], "rank 3")


def test_pad_resize():
    x, pads, pads_bad, cv = vals(T(1, 3, 4, 4), T(8, elt=i64), T(6, elt=i64), T())
    ok(PadOp, [x, pads, cv, None], [T(1, 3, 6, 6)])
    ok(PadOp, [x, pads, None, None], [T(1, 3, 6, 6)], mode=S("reflect"))
    bad(PadOp, [x, pads, None, None], [T(1, 3, 6, 6)], "mode", mode=S("symmetric"))
    bad(PadOp, [x, pads_bad, None, None], [T(1, 3, 6, 6)], "pads has 6")
    (axes,) = vals(T(3, elt=i64))
    ok(PadOp, [x, pads_bad, None, axes], [T(1, 5, 6, 6)])

    scales, sizes, empty = vals(T(4), T(4, elt=i64), T(0))
    op = ok(ResizeOp, [x, None, scales, None], [T(1, 3, 8, 8)], mode=S("linear"))
    assert op.effective_axes() == [0, 1, 2, 3]
    ok(ResizeOp, [x, None, empty, sizes], [T(1, 3, 8, 8)])
    bad(ResizeOp, [x, None, scales, None], [T(1, 3, 8, 8)], "mode", mode=S("bilinear"))
    bad(ResizeOp, [x, None, scales, sizes], [T(1, 3, 8, 8)], "only one")
    bad(ResizeOp, [x, None, None, None], [T(1, 3, 8, 8)], "one of scales and sizes")
    bad(ResizeOp, [x, None, scales, None], [T(1, 3, 8, 8)], "expected 2", axes=make_ints([2, 3]))
    bad(ResizeOp, [x, None, scales, None], [T(1, 3, 8, 8)], "coordinate_transformation_mode",
        coordinate_transformation_mode=S("corners"))


def test_shape_constant_of_shape_constant():
    (x,) = vals(T(2, 3, 4, 5))
    ok(ShapeOp, [x], [T(4, elt=i64)])
    op = ok(ShapeOp, [x], [T(2, elt=i64)], start=I(1), end=I(-1))
    assert op.dim_range() == (1, 3)
    bad(ShapeOp, [x], [T(4, elt=i64)], "shape has shape", start=I(2))
    bad(ShapeOp, [x], [T(4, elt=i32)], "i64")

    (shape,) = vals(T(2, elt=i64))
    ok(ConstantOfShapeOp, [shape], [T(Q, Q)])
    ok(ConstantOfShapeOp, [shape], [T(2, 3, elt=i64)], value=DenseIntOrFPElementsAttr.from_list(T(1, elt=i64), [7]))
    bad(ConstantOfShapeOp, [shape], [T(2, 3, elt=i64)], "f32")
    bad(ConstantOfShapeOp, [shape], [T(2, 3)], "element type", value=DenseIntOrFPElementsAttr.from_list(T(1, elt=f64), [7.0]))
    bad(ConstantOfShapeOp, [shape], [T(2)], "rank 2")

    ok(ConstantOp, [], [T(2)], value=DenseIntOrFPElementsAttr.from_list(T(2), [1.0, 2.0]))
    bad(ConstantOp, [], [T(3)], "differs", value=DenseIntOrFPElementsAttr.from_list(T(2), [1.0, 2.0]))


# ---- printing and parsing -----------------------------------------------------------


def test_print_parse_round_trip():
    x_t, w_t, y_t = T(1, 3, 8, 8), T(4, 3, 3, 3), T(1, 4, 8, 8)
    block = Block(arg_types=[x_t, w_t])
    x, w = block.args
    cst = build(ConstantOp, [], [T(4)], value=DenseIntOrFPElementsAttr.from_list(T(4), [0.5, 1.0, 2.0, 3.0]))
    conv = build(ConvOp, [x, w, cst.results[0]], [y_t], pads=make_ints([1, 1, 1, 1]), auto_pad=S("NOTSET"))
    c = cst.results[0]
    bn = build(BatchNormalizationOp, [conv.results[0], c, c, c, c], [y_t, None, None], epsilon=F(1e-3))
    lo = build(ConstantOp, [], [T()], value=DenseIntOrFPElementsAttr.from_list(T(), [0.0]))
    clip = build(ClipOp, [bn.results[0], lo.results[0], None], [y_t])
    pool = build(GlobalAveragePoolOp, [clip.results[0]], [T(1, 4, 1, 1)])
    shape = build(ConstantOp, [], [T(2, elt=i64)], value=DenseIntOrFPElementsAttr.from_list(T(2, elt=i64), [1, 4]))
    flat = build(ReshapeOp, [pool.results[0], shape.results[0]], [T(1, 4)])
    sm = build(SoftmaxOp, [flat.results[0]], [T(1, 4)], axis=I(1))
    block.add_ops([cst, conv, bn, lo, clip, pool, shape, flat, sm, ReturnOp(sm.results[0])])
    module = ModuleOp([FuncOp("main", ([x_t, w_t], [T(1, 4)]), Region(block))])
    module.verify()

    text = str(module)
    ctx = Context()
    for dialect in (Builtin, Func, ONNX):
        ctx.load_dialect(dialect)
    parsed = Parser(ctx, text).parse_module()
    parsed.verify()
    assert str(parsed) == text
    assert parsed.is_structurally_equivalent(module)
    assert '"onnx.Clip"' in text and "operandSegmentSizes" in text and "resultSegmentSizes" in text


# ---- more elementwise ops: trigonometry, activations, classification, bitwise, CastLike ---

EXTRA_ELEMENTWISE_OPS = """
CastLike Acos Acosh Asin Asinh Atan Atanh Tan Sinh Cosh Softsign ThresholdedRelu Celu Mish
Shrink Swish IsNaN IsInf BitShift BitwiseAnd BitwiseOr BitwiseXor BitwiseNot
""".split()


@pytest.mark.parametrize("name", EXTRA_ELEMENTWISE_OPS)
def test_extra_elementwise_signature_matches_onnx_schema(name: str, monkeypatch):
    """As test_signature_matches_onnx_schema; Swish exists from opset 24 on."""
    assert name in ONNX_OPS
    if name == "Swish":
        get_schema = onnx.defs.get_schema
        monkeypatch.setattr(onnx.defs, "get_schema", lambda n, _v: get_schema(n, 24))
    test_signature_matches_onnx_schema(name)


def test_extra_unary_float_ops():
    from dialects.onnx.elementwise import (
        AcosOp,
        CeluOp,
        MishOp,
        ShrinkOp,
        SoftsignOp,
        SwishOp,
        TanOp,
        ThresholdedReluOp,
    )

    x, xh, xi, xb = vals(T(2, 3), T(2, 3, elt=f16), T(2, 3, elt=i32), T(2, 3, elt=i1))
    ok(AcosOp, [x], [T(2, 3)])
    ok(TanOp, [xh], [T(2, 3, elt=f16)])
    bad(AcosOp, [xi], [T(2, 3, elt=i32)], "floating-point")
    bad(TanOp, [x], [T(3, 2)], "same type")
    ok(SoftsignOp, [x], [T(2, 3)])
    ok(MishOp, [x], [T(2, 3)])
    op = ok(ThresholdedReluOp, [x], [T(2, 3)])
    assert op.alpha.value.data == 1.0
    op = ok(SwishOp, [x], [T(2, 3)], alpha=F(0.5))
    assert op.alpha.value.data == 0.5
    ok(CeluOp, [x], [T(2, 3)], alpha=F(2.0))
    bad(CeluOp, [x], [T(2, 3)], "alpha", alpha=F(0.0))
    bad(MishOp, [xi], [T(2, 3, elt=i32)], "floating-point")
    op = ok(ShrinkOp, [xi], [T(2, 3, elt=i32)])
    assert (op.bias.value.data, op.lambd.value.data) == (0.0, 0.5)
    ok(ShrinkOp, [x], [T(2, 3)], bias=F(1.0), lambd=F(2.0))
    bad(ShrinkOp, [xb], [T(2, 3, elt=i1)], "numeric")


def test_isnan_isinf():
    from dialects.onnx.elementwise import IsInfOp, IsNaNOp

    x, xd, xi = vals(T(2, 3), T(4, elt=f64), T(2, 3, elt=i32))
    ok(IsNaNOp, [x], [T(2, 3, elt=i1)])
    ok(IsNaNOp, [xd], [T(4, elt=i1)])
    bad(IsNaNOp, [x], [T(2, 3)], "i1")
    bad(IsNaNOp, [xi], [T(2, 3, elt=i1)], "floating-point")
    bad(IsNaNOp, [x], [T(3, 2, elt=i1)], "differ")
    op = ok(IsInfOp, [x], [T(2, 3, elt=i1)], detect_negative=I(0))
    assert (op.detect_negative.value.data, op.detect_positive.value.data) == (0, 1)
    bad(IsInfOp, [x], [T(2, 3, elt=i1)], "detect_positive", detect_positive=I(2))


def test_bitwise_and_bitshift():
    from xdsl.dialects.builtin import IntegerType, Signedness

    from dialects.onnx.elementwise import BitShiftOp, BitwiseAndOp, BitwiseNotOp, BitwiseXorOp

    u8 = IntegerType(8, Signedness.UNSIGNED)
    a, b, af, ab, au = vals(T(2, 3, elt=i32), T(3, elt=i32), T(2, 3), T(2, 3, elt=i1), T(2, 3, elt=u8))
    ok(BitwiseAndOp, [a, b], [T(2, 3, elt=i32)])
    ok(BitwiseXorOp, [au, au], [T(2, 3, elt=u8)])
    bad(BitwiseAndOp, [af, af], [T(2, 3)], "integer")
    bad(BitwiseAndOp, [a, au], [T(2, 3, elt=i32)], "element type")
    bad(BitwiseXorOp, [a, b], [T(3, 3, elt=i32)], "broadcast shape")
    ok(BitwiseNotOp, [au], [T(2, 3, elt=u8)])
    bad(BitwiseNotOp, [ab], [T(2, 3, elt=i1)], "integer")

    (y,) = vals(T(3, elt=u8))
    op = ok(BitShiftOp, [au, y], [T(2, 3, elt=u8)], direction=S("LEFT"))
    assert op.direction.data == "LEFT"
    ok(BitShiftOp, [a, b], [T(2, 3, elt=i32)], direction=S("RIGHT"))  # signed: opset 28
    bad(BitShiftOp, [au, y], [T(2, 3, elt=u8)], "direction", direction=S("UP"))
    bad(BitShiftOp, [af, af], [T(2, 3)], "integer", direction=S("LEFT"))
    bad(BitShiftOp, [au, b], [T(2, 3, elt=u8)], "element type", direction=S("LEFT"))
    with pytest.raises(VerifyException, match="direction"):
        build(BitShiftOp, [au, y], [T(2, 3, elt=u8)]).verify()


def test_castlike():
    from dialects.onnx.elementwise import CastLikeOp

    x, like_i, like_h, xb = vals(T(2, 3), T(5, elt=i64), T(elt=f16), T(2, 3, elt=i1))
    op = ok(CastLikeOp, [x, like_i], [T(2, 3, elt=i64)])
    assert op.saturate.value.data == 1
    ok(CastLikeOp, [xb, like_h], [T(2, 3, elt=f16)], saturate=I(0))
    ok(CastLikeOp, [x, x], [T(2, 3)])
    bad(CastLikeOp, [x, like_i], [T(2, 3, elt=i32)], "target_type")
    bad(CastLikeOp, [x, like_i], [T(3, 2, elt=i64)], "shape")
    bad(CastLikeOp, [x, like_i], [T(2, 3, elt=i64)], "saturate", saturate=I(3))


# ---- reduction / normalization / tensor ops beyond the core set ------------------------

EXTRA_OPS = """
ReduceL1 ReduceLogSum ReduceLogSumExp ReduceSumSquare CumSum Hardmax TopK LRN RMSNormalization
GroupNormalization LpNormalization MeanVarianceNormalization GatherElements ScatterElements
GatherND ScatterND OneHot Trilu EyeLike DepthToSpace SpaceToDepth
""".split()


@pytest.mark.parametrize("name", EXTRA_OPS)
def test_extra_op_signature_matches_latest_onnx_schema(name: str):
    """Against the newest schema: RMSNormalization is opset 23, SpaceToDepth's mode 28."""
    schema = onnx.defs.get_schema(name)
    op_def = ONNX_OPS[name].get_irdl_definition()
    want_in = [(_snake(p.name), _OPTION[p.option]) for p in schema.inputs]
    assert [(n, _kind(d)) for n, d in op_def.operands] == want_in
    want_out = [(_snake(p.name), _OPTION[p.option]) for p in schema.outputs]
    assert [(n, _kind(d)) for n, d in op_def.results] == want_out
    props = {k: v for k, v in op_def.properties.items() if k not in _SEGMENTS}
    assert set(props) == set(schema.attributes)
    for attr_name, attr in schema.attributes.items():
        prop = props[attr_name]
        assert isinstance(prop, OptionalDef) != attr.required, attr_name
        onnx_default = onnx.helper.get_attribute_value(attr.default_value) if attr.default_value.type else None
        if isinstance(onnx_default, list):  # MeanVarianceNormalization axes: a computed default
            assert prop.default_value is None, attr_name
        elif onnx_default is None:
            assert prop.default_value is None, attr_name
        elif isinstance(onnx_default, bytes):
            assert prop.default_value == StringAttr(onnx_default.decode()), attr_name
        elif isinstance(onnx_default, float):
            assert prop.default_value.value.data == pytest.approx(onnx_default, rel=1e-6), attr_name
        else:
            assert prop.default_value.value.data == onnx_default, attr_name
    param = schema.inputs[0]
    constraint = next(c for c in schema.type_constraints if c.type_param_str == param.type_str)
    categories = {_category(t) for t in constraint.allowed_type_strs} - {None}
    assert element_kinds_of(ONNX_OPS[name], _snake(param.name)) == categories


def test_extra_reductions():
    from dialects.onnx.reduction import CumSumOp, HardmaxOp, ReduceLogSumExpOp, ReduceL1Op, TopKOp

    x, axes, xi = vals(T(2, 3, 4), T(1, elt=i64), T(2, 3, elt=i64))
    ok(ReduceL1Op, [xi, axes], [T(2, 1, elt=i64)])
    ok(ReduceLogSumExpOp, [x, axes], [T(2, 4)], keepdims=I(0))
    bad(ReduceLogSumExpOp, [xi, axes], [T(2, 1, elt=i64)], "floating-point")

    ax, ax1, ax2, axf = vals(T(elt=i64), T(1, elt=i32), T(2, elt=i64), T())
    ok(CumSumOp, [x, ax], [T(2, 3, 4)], exclusive=I(1), reverse=I(1))
    ok(CumSumOp, [xi, ax1], [T(2, 3, elt=i64)])
    bad(CumSumOp, [x, ax2], [T(2, 3, 4)], "scalar")
    bad(CumSumOp, [x, axf], [T(2, 3, 4)], "i32 or i64")
    bad(CumSumOp, [x, ax], [T(2, 3, 4)], "reverse", reverse=I(2))
    bad(CumSumOp, [x, ax], [T(2, 3, 5)], "same type")

    ok(HardmaxOp, [x], [T(2, 3, 4)], axis=I(-3))
    bad(HardmaxOp, [x], [T(2, 3, 4)], "axis 3", axis=I(3))
    bad(HardmaxOp, [xi], [T(2, 3, elt=i64)], "floating-point")

    (k,) = vals(T(1, elt=i64))
    ok(TopKOp, [x, k], [T(2, 3, 2), T(2, 3, 2, elt=i64)])
    ok(TopKOp, [x, k], [T(2, 1, 4), T(2, 1, 4, elt=i64)], axis=I(1), largest=I(0))
    bad(TopKOp, [x, k], [T(2, 3, 2), T(2, 3, 2, elt=i32)], "Indices must have element type i64")
    bad(TopKOp, [x, k], [T(2, 3, 2), T(2, 3, 3, elt=i64)], "Indices has shape")
    bad(TopKOp, [x, k], [T(2, 2, 2), T(2, 2, 2, elt=i64)], "Values has shape")
    bad(TopKOp, [x, k], [T(2, 3, 5), T(2, 3, 5, elt=i64)], "exceeds")
    bad(TopKOp, [x, ax2], [T(2, 3, 2), T(2, 3, 2, elt=i64)], "one element")
    bad(TopKOp, [x, k], [T(2, 3, 2), T(2, 3, 2, elt=i64)], "sorted", sorted=I(5))


def test_extra_normalizations():
    from dialects.onnx.nn import (
        GroupNormalizationOp,
        LpNormalizationOp,
        LRNOp,
        MeanVarianceNormalizationOp,
        RMSNormalizationOp,
    )

    x, c6, c3 = vals(T(2, 6, 4, 4), T(6), T(3))
    ok(GroupNormalizationOp, [x, c6, c6], [T(2, 6, 4, 4)], num_groups=I(3))
    bad(GroupNormalizationOp, [x, c6, c6], [T(2, 6, 4, 4)], "divisible", num_groups=I(4))
    bad(GroupNormalizationOp, [x, c3, c3], [T(2, 6, 4, 4)], "scale has shape", num_groups=I(3))
    bad(GroupNormalizationOp, [x, c6, c6], [T(2, 6, 4, 4)], "stash_type", num_groups=I(3), stash_type=I(7))

    s45, s_bad, s_h = vals(T(4, 4), T(3, 4), T(4, elt=f16))
    ok(RMSNormalizationOp, [x, s45], [T(2, 6, 4, 4)], axis=I(2))
    ok(RMSNormalizationOp, [x, s_h], [T(2, 6, 4, 4, elt=f16)])
    bad(RMSNormalizationOp, [x, s_h], [T(2, 6, 4, 4)], "scale and Y")
    bad(RMSNormalizationOp, [x, s_bad], [T(2, 6, 4, 4)], "broadcast")
    bad(RMSNormalizationOp, [x, s45], [T(2, 6, 4, 4)], "axis 4", axis=I(4))

    ok(LpNormalizationOp, [x], [T(2, 6, 4, 4)], p=I(1), axis=I(1))
    bad(LpNormalizationOp, [x], [T(2, 6, 4, 4)], "p must be 1 or 2", p=I(3))

    op = ok(MeanVarianceNormalizationOp, [x], [T(2, 6, 4, 4)])
    assert op.effective_axes() == [0, 2, 3]
    op = ok(MeanVarianceNormalizationOp, [x], [T(2, 6, 4, 4)], axes=make_ints([-1, 1]))
    assert op.effective_axes() == [1, 3]
    bad(MeanVarianceNormalizationOp, [x], [T(2, 6, 4, 4)], "duplicates", axes=make_ints([1, -3]))
    bad(MeanVarianceNormalizationOp, [x], [T(2, 6, 4, 4)], "out of range", axes=make_ints([4]))

    ok(LRNOp, [x], [T(2, 6, 4, 4)], size=I(3))
    bad(LRNOp, [x], [T(2, 6, 4, 4)], "size", size=I(0))


def test_extra_gather_scatter():
    from dialects.onnx.tensor import GatherElementsOp, GatherNDOp, ScatterElementsOp, ScatterNDOp

    data, idx, idx_bad, upd = vals(T(3, 4), T(2, 4, elt=i64), T(2, elt=i64), T(2, 4))
    ok(GatherElementsOp, [data, idx], [T(2, 4)])
    bad(GatherElementsOp, [data, idx_bad], [T(2)], "rank 2")
    bad(GatherElementsOp, [data, idx], [T(2, 5)], "output has shape")
    bad(GatherElementsOp, [data, idx], [T(2, 4)], "axis -3", axis=I(-3))

    ok(ScatterElementsOp, [data, idx, upd], [T(3, 4)], axis=I(1), reduction=S("max"))
    bad(ScatterElementsOp, [data, idx, upd], [T(3, 4)], "reduction", reduction=S("sub"))
    bad(ScatterElementsOp, [data, idx, data], [T(3, 4)], "updates has shape")
    bad(ScatterElementsOp, [data, idx, upd], [T(4, 3)], "same type")

    d3, i_nd, i_b, i_long = vals(T(2, 3, 4), T(5, 2, elt=i64), T(2, 1, elt=i32), T(5, 4, elt=i64))
    ok(GatherNDOp, [d3, i_nd], [T(5, 4)])
    ok(GatherNDOp, [d3, i_b], [T(2, 4)], batch_dims=I(1))
    bad(GatherNDOp, [d3, i_nd], [T(5, 3, 4)], "output has shape")
    bad(GatherNDOp, [d3, i_long], [T(5)], "indexable")
    bad(GatherNDOp, [d3, i_b], [T(2, 4)], "batch_dims", batch_dims=I(2))

    (u_nd,) = vals(T(5, 4))
    ok(ScatterNDOp, [d3, i_nd, u_nd], [T(2, 3, 4)], reduction=S("mul"))
    bad(ScatterNDOp, [d3, i_nd, d3], [T(2, 3, 4)], "updates has shape")
    bad(ScatterNDOp, [d3, i_nd, u_nd], [T(2, 3, 4)], "reduction", reduction=S("div"))


def test_extra_tensor_ops():
    from dialects.onnx.tensor import DepthToSpaceOp, EyeLikeOp, OneHotOp, SpaceToDepthOp, TriluOp

    ind, depth, values, values_i = vals(T(2, 3, elt=i64), T(elt=i64), T(2), T(2, elt=i32))
    ok(OneHotOp, [ind, depth, values], [T(2, 3, 5)])
    ok(OneHotOp, [ind, depth, values_i], [T(5, 2, 3, elt=i32)], axis=I(0))
    bad(OneHotOp, [ind, depth, values], [T(2, 5, 3)], "output has shape")
    bad(OneHotOp, [ind, depth, values], [T(2, 3, 5, elt=i32)], "values and output")
    bad(OneHotOp, [ind, values, values], [T(2, 3, 5)], "scalar")
    bad(OneHotOp, [ind, depth, values], [T(2, 3, 5)], "axis 3", axis=I(3))

    x, k, kv = vals(T(3, 4), T(elt=i64), T(2, elt=i64))
    ok(TriluOp, [x, k], [T(3, 4)], upper=I(0))
    ok(TriluOp, [x, None], [T(3, 4)])
    bad(TriluOp, [x, kv], [T(3, 4)], "scalar")
    bad(TriluOp, [x, None], [T(3, 4)], "upper", upper=I(2))
    (v,) = vals(T(4))
    bad(TriluOp, [v, None], [T(4)], "rank >= 2")

    ok(EyeLikeOp, [x], [T(3, 4)], k=I(-1))
    ok(EyeLikeOp, [x], [T(3, 4, elt=i64)], dtype=I(7))
    ok(EyeLikeOp, [x], [T(3, 4, elt=i1)], dtype=I(9))
    ok(EyeLikeOp, [x], [T(3, 4, elt=IntegerType(8, Signedness.UNSIGNED))], dtype=I(2))  # unsigned, as imported
    bad(EyeLikeOp, [x], [T(3, 4, elt=i8)], "differs from ui8", dtype=I(2))
    bad(EyeLikeOp, [x], [T(3, 4)], "not a supported data type", dtype=I(8))
    bad(EyeLikeOp, [x], [T(3, 4)], "differs", dtype=I(7))
    bad(EyeLikeOp, [v], [T(4)], "rank 2")
    bad(EyeLikeOp, [x], [T(4, 3)], "output has shape")

    (deep,) = vals(T(1, 8, 2, 3))
    ok(DepthToSpaceOp, [deep], [T(1, 2, 4, 6)], blocksize=I(2))
    ok(DepthToSpaceOp, [deep], [T(1, 2, 4, 6)], blocksize=I(2), mode=S("CRD"))
    bad(DepthToSpaceOp, [deep], [T(1, 2, 4, 6)], "mode", blocksize=I(2), mode=S("RCD"))
    bad(DepthToSpaceOp, [deep], [T(1, 8, 2, 3)], "output has shape", blocksize=I(2))
    bad(DepthToSpaceOp, [deep], [T(1, 1, 6, 9)], "divisible", blocksize=I(3))
    (wide,) = vals(T(1, 2, 4, 6))
    ok(SpaceToDepthOp, [wide], [T(1, 8, 2, 3)], blocksize=I(2))
    bad(SpaceToDepthOp, [wide], [T(1, 8, 2, 3)], "divisible", blocksize=I(4))
    bad(SpaceToDepthOp, [x], [T(3, 4)], "rank 4", blocksize=I(1))


# ---- IRDL type constraints: messages ---------------------------------------------------


def test_irdl_type_errors_name_the_op_and_the_onnx_operand():
    """A failed IRDL element-type constraint reads like the hand-written checks: the op
    name, the operand as ONNX spells it, what was wanted and what was given."""
    x, xi, xb, xh = vals(T(2, 3), T(2, 3, elt=i32), T(2, 3, elt=i1), T(2, 3, elt=f16))
    cases = [
        (SqrtOp, [xi], [T(2, 3, elt=i32)], "onnx.Sqrt: X must have a floating-point element type, got i32"),
        (AddOp, [x, xh], [T(2, 3)], "onnx.Add: A, B and C must share one element type, got ['f16', 'f32']"),
        (AddOp, [x, x], [T(2, 3, elt=f16)], "onnx.Add: A, B and C must share one element type, got ['f16', 'f32']"),
        (LessOp, [x, x], [T(2, 3)], "onnx.Less: C must have element type i1 (bool), got f32"),
        (WhereOp, [x, x, x], [T(2, 3)], "onnx.Where: condition must have element type i1 (bool), got f32"),
        (GatherOp, [x, x], [T(2, 3)], "onnx.Gather: indices must have element type i32 or i64, got f32"),
        (ClipOp, [x, None, vals(T(elt=f64))[0]], [T(2, 3)], "onnx.Clip: input, min, max and output must share one element type, got ['f32', 'f64']"),
        (NotOp, [x], [T(2, 3)], "onnx.Not: X must have element type i1 (bool), got f32"),
        (ReluOp, [xb], [T(2, 3, elt=i1)], "onnx.Relu: X must have a numeric (integer or floating-point) element type, got i1"),
    ]
    for cls, operands, results, message in cases:
        op = build(cls, operands, results)
        with pytest.raises(VerifyException) as info:
            op.verify()
        assert info.value.args[0] == message
    from xdsl.dialects.builtin import MemRefType

    (m,) = vals(MemRefType(f32, [2, 3]))
    with pytest.raises(VerifyException, match=r"^onnx\.Relu: X must be a ranked tensor, got memref<2x3xf32>"):
        build(ReluOp, [m], [T(2, 3)]).verify()


def test_irdl_errors_in_a_module_name_the_inner_op():
    """Verifying the enclosing module rewrites the inner op's message the same way."""
    block = Block(arg_types=[T(4, elt=i32)])
    sqrt = SqrtOp.build(operands=[block.args[0]], result_types=[T(4, elt=i32)])
    block.add_ops([sqrt, ReturnOp(sqrt.y)])
    func = FuncOp("f", ([T(4, elt=i32)], [T(4, elt=i32)]), Region(block))
    with pytest.raises(VerifyException) as info:
        ModuleOp([func]).verify()
    message = "onnx.Sqrt: X must have a floating-point element type, got i32"
    assert info.value.args[0] == message
    # the IR printed with the error carries the same words
    assert f"Operation does not verify: {message}" in "".join(getattr(info.value, "__notes__", []))


def test_strata_irdl_type_errors_read_like_the_onnx_ones():
    """`strata` ops declare element types with the same IRDL sets, and a failed one is
    reported in the same words, with the operand names the op's own messages use."""
    from dialects.strata.composite import AttentionOp, RMSNormalizationOp
    from dialects.strata.fused import FusedConvOp, FusedGemmOp, FusedMatMulOp
    from dialects.strata.layout import ChannelShuffleNCHWcOp, GlobalAveragePoolNCHWcOp

    a, ai, ah = vals(T(2, 3), T(2, 3, elt=i32), T(2, 3, elt=f16))
    b, s = vals(T(3, 4), T(3))
    q, kt, v = vals(T(1, 2, 4), T(1, 4, 5), T(1, 5, 4, elt=f16))
    xc, wc = vals(T(1, 3, 6, 6, elt=i32), T(8, 3, 3, 3, elt=i32))
    xb = vals(T(1, 2, 4, 4, 8, elt=i8))[0]
    cases = [
        (FusedGemmOp, [ai, ai, None], [T(2, 3, elt=i32)], "strata.FusedGemm: A must have a floating-point element type, got i32"),
        (FusedGemmOp, [a, b, None], [T(2, 4, elt=f16)], "strata.FusedGemm: A, B, C and Y must share one element type, got ['f16', 'f32']"),
        (FusedMatMulOp, [a, b, vals(T(4, elt=f16))[0]], [T(2, 4)], "strata.FusedMatMul: A, B, bias and Y must share one element type, got ['f16', 'f32']"),
        (FusedConvOp, [xc, wc, None, None], [T(1, 8, 4, 4, elt=i32)], "strata.FusedConv: X must have a floating-point element type, got i32"),
        (RMSNormalizationOp, [ah, s], [T(2, 3, elt=f16)], "strata.RMSNormalization: x, scale and y must share one element type, got ['f16', 'f32']"),
        (AttentionOp, [q, kt, v, None], [T(1, 2, 4)], "strata.Attention: q, k_t, v, mask and y must share one element type, got ['f16', 'f32']"),
        (GlobalAveragePoolNCHWcOp, [xb], [T(1, 2, 1, 1, 8, elt=i8)], "strata.GlobalAveragePoolNCHWc: X must have a floating-point element type, got i8"),
        (ChannelShuffleNCHWcOp, [xb], [T(1, 2, 4, 4, 8)], "strata.ChannelShuffleNCHWc: X and Y must share one element type, got ['f32', 'i8']"),
    ]
    for cls, operands, results, message in cases:
        op = build(cls, operands, results, **({"channels": I(16), "group": I(2)} if cls is ChannelShuffleNCHWcOp else {}))
        with pytest.raises(VerifyException) as info:
            op.verify()
        assert info.value.args[0] == message


# ---- typed constructors ---------------------------------------------------------------


def test_typed_constructors_compute_result_types_and_leave_defaults_out():
    from dialects.onnx.elementwise import HardSwishOp, MulOp, SwishOp
    from dialects.onnx.reduction import HardmaxOp

    x, y, w, b, c4 = vals(T(2, 3), T(3), T(8, 3, 3, 3), T(8), T(4))
    shape = vals(T(2, elt=i64))[0]

    def checked(op):
        op.verify()
        return op

    assert checked(SqrtOp(x)).y.type == T(2, 3)
    assert checked(HardSwishOp(x)).properties == {}
    swish = checked(SwishOp(x, alpha=2.0))
    assert swish.alpha == F(2.0)
    gelu = checked(GeluOp(x))
    assert "approximate" not in gelu.properties and gelu.approximate == S("none")
    assert checked(GeluOp(x, approximate="tanh")).approximate == S("tanh")
    assert checked(AddOp(x, y)).c.type == T(2, 3)
    assert checked(MulOp(vals(T(Q, 1))[0], y)).c.type == T(Q, 3)

    value = DenseIntOrFPElementsAttr.from_list(T(2, elt=i64), [3, 2])
    assert checked(ConstantOp(value)).output.type == T(2, elt=i64)
    assert checked(ReshapeOp(x, shape, T(3, 2))).reshaped.type == T(3, 2)
    t = checked(TransposeOp(vals(T(2, 3, 4))[0], perm=[2, 0, 1]))
    assert t.transposed.type == T(4, 2, 3) and t.perm == make_ints([2, 0, 1])
    assert checked(TransposeOp(x)).transposed.type == T(3, 2) and "perm" not in TransposeOp(x).properties
    cat = checked(ConcatOp([x, vals(T(2, 5))[0]], axis=1))
    assert cat.concat_result.type == T(2, 8) and cat.axis == I(1)
    assert checked(ConcatOp([x, vals(T(2, Q))[0]], axis=-1)).concat_result.type == T(2, Q)

    sm = checked(SoftmaxOp(x, axis=0))
    assert sm.output.type == T(2, 3) and sm.axis == I(0)
    assert checked(HardmaxOp(x)).properties == {}
    ln = checked(LayerNormalizationOp(x, y, y, axis=-1, epsilon=1e-6))
    assert ln.y.type == T(2, 3) and ln.mean is None and ln.epsilon == F(1e-6)
    assert checked(LayerNormalizationOp(x, y)).b is None

    (xc,) = vals(T(1, 3, 6, 6))
    conv = checked(ConvOp(xc, w, b, result_type=T(1, 8, 4, 4), strides=[1, 1]))
    assert conv.strides == make_ints([1, 1]) and "pads" not in conv.properties
    again = checked(ConvOp(conv.x, conv.w, None, result_type=conv.y.type, **onnx_attributes(conv)))
    assert again.properties == conv.properties and again.b is None
    bn = checked(BatchNormalizationOp(vals(T(2, 4, 3))[0], c4, c4, c4, c4, epsilon=1e-3))
    assert bn.y.type == T(2, 4, 3) and bn.running_mean is None and bn.epsilon == F(1e-3)
    assert set(onnx_attributes(bn)) == {"epsilon"}

    a, bt = vals(T(4, 2), T(5, 4))
    gemm = checked(GemmOp(a, bt, None, transA=1, transB=1, alpha=0.5))
    assert gemm.y.type == T(2, 5) and gemm.transA == I(1) and "beta" not in gemm.properties
    assert checked(GemmOp(x, vals(T(3, 7))[0], vals(T(7))[0])).y.type == T(2, 7)


def test_strata_typed_constructors():
    """The strata ops passes build: result types follow from the operands where they
    can, ONNX attributes are keywords (None: absent), activations are table entries."""
    from dialects.strata.activation import Activation
    from dialects.strata.composite import AttentionOp, RMSNormalizationOp, ScaledMaskedSoftmaxOp
    from dialects.strata.fused import FusedConvOp, FusedGemmOp, FusedMatMulOp
    from dialects.strata.layout import (
        ChannelShuffleNCHWcOp,
        ConvNCHWcOp,
        GlobalAveragePoolNCHWcOp,
        MaxPoolNCHWcOp,
        ReorderFromBlockedOp,
        ReorderToBlockedOp,
    )

    def checked(op):
        op.verify()
        return op

    x, s = vals(T(2, 3), T(3))
    rms = checked(RMSNormalizationOp(x, s, epsilon=1e-6))
    assert rms.y.type == T(2, 3) and "axis" not in rms.properties and rms.epsilon == F(1e-6)
    assert checked(ScaledMaskedSoftmaxOp(x, None, scale=0.5)).y.type == T(2, 3)
    q, kt, v = vals(T(1, 2, 4), T(1, 4, 5), T(1, 5, 4))
    assert checked(AttentionOp(q, kt, v, result_type=T(1, 2, 4), scale=0.5)).scale == F(0.5)

    a, b = vals(T(4, 2), T(5, 4))
    gemm = checked(FusedGemmOp(a, b, transA=1, transB=1, activation=Activation.LEAKY_RELU, activation_params=[0.1]))
    assert gemm.y.type == T(2, 5) and gemm.activation == S("LeakyRelu") and "beta" not in gemm.properties
    again = checked(FusedGemmOp(gemm.a, gemm.b, **onnx_attributes(gemm)))
    assert again.properties == gemm.properties
    mm = checked(FusedMatMulOp(x, vals(T(3, 7))[0], result_type=T(2, 7), alpha=2.0, activation=Activation.RELU))
    assert mm.alpha == F(2.0) and "activation_params" not in mm.properties and mm.bias is None

    xc, w = vals(T(1, 3, 6, 6), T(8, 3, 3, 3))
    conv = checked(FusedConvOp(xc, w, None, None, result_type=T(1, 8, 4, 4), strides=[1, 1], activation=Activation.NONE))
    assert conv.strides == make_ints([1, 1]) and "activation" not in conv.properties and conv.z is None

    blocked = checked(ReorderToBlockedOp(vals(T(1, 12, 4, 4))[0], 8))
    assert blocked.y.type == T(1, 2, 4, 4, 8)
    assert checked(ReorderFromBlockedOp(blocked.y, T(1, 12, 4, 4))).y.type == T(1, 12, 4, 4)
    assert checked(GlobalAveragePoolNCHWcOp(blocked.y)).y.type == T(1, 2, 1, 1, 8)
    pool = checked(MaxPoolNCHWcOp(blocked.y, result_type=T(1, 2, 2, 2, 8), kernel_shape=[2, 2], strides=[2, 2],
                                  pads=[0, 0, 0, 0], dilations=[1, 1]))
    assert "ceil_mode" not in pool.properties
    shuffle = checked(ChannelShuffleNCHWcOp(vals(T(1, 2, 4, 4, 8))[0], channels=16, group=2))
    assert shuffle.group == I(2) and shuffle.y.type == T(1, 2, 4, 4, 8)
    wb = vals(T(2, 2, 3, 3, 8, 8))[0]
    cb = checked(ConvNCHWcOp(blocked.y, wb, result_type=T(1, 2, 2, 2, 8), kernel_shape=[3, 3], strides=[1, 1],
                             pads=[0, 0, 0, 0], dilations=[1, 1], activation=Activation.CLIP, activation_params=[0.0, 6.0]))
    assert cb.activation == S("Clip") and cb.group_channels is None and cb.b is None
    # Block 16 (AVX-512): the block is the last dim, and ops check that theirs agree.
    b16 = checked(ReorderToBlockedOp(vals(T(1, 20, 4, 4))[0], 16))
    assert b16.y.type == T(1, 2, 4, 4, 16)
    assert checked(ReorderFromBlockedOp(b16.y, T(1, 20, 4, 4))).y.type == T(1, 20, 4, 4)
    assert checked(GlobalAveragePoolNCHWcOp(b16.y)).y.type == T(1, 2, 1, 1, 16)
    with pytest.raises(VerifyException, match="W must be"):
        ConvNCHWcOp(b16.y, wb, result_type=T(1, 2, 2, 2, 16), kernel_shape=[3, 3], strides=[1, 1],
                    pads=[0, 0, 0, 0], dilations=[1, 1]).verify()
    with pytest.raises(VerifyException, match="one of 8, 16"):
        ReorderFromBlockedOp(vals(T(1, 2, 4, 4, 12))[0], T(1, 20, 4, 4)).verify()
