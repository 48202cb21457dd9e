"""Elementwise ONNX ops: unary math and activations (X -> Y of one type), binary
arithmetic with numpy-style multidirectional broadcasting (Add, Sub, Mul, Div, Pow, Mod),
comparisons and logic producing i1 (Equal, Less, ..., And, Or, Xor, Not), float
classification (IsNaN, IsInf), bitwise integer ops (BitwiseAnd/Or/Xor/Not, BitShift),
Where, Cast, CastLike, Clip and the variadic Max/Min/Sum/Mean. Families share a base class that holds the
verifier; each op class only names its operands/results (ONNX input/output names, in
ONNX order), its attributes (as properties with the ONNX defaults) and the element
types of its ONNX type variables as IRDL constraints (`T: ClassVar = VarConstraint("T",
FLOAT_TYPES)`, see dialects/onnx/base.py); an op whose T differs from its family's
declares its own T and the operands and results it types."""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    VarConstraint,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)

from dialects.onnx.base import (
    OnnxOp,
    ANY_TYPES,
    BOOL_TYPES,
    FLOAT_TYPES,
    INT_TYPES,
    NUMERIC_TYPES,
    ONNX_DATA_TYPES,
    element_kind,
    expect_broadcast_result,
    expect_choice,
    expect_flag,
    broadcast_type,
    element_type_of,
    expect_same_type,
    expect_scalar,
    fail,
    float_prop,
    int_prop,
    onnx_element_type,
    onnx_properties,
    required_int_prop,
    shape_of,
    shapes_compatible,
    str_prop,
    tensor_of,
    tensor_type,
    fmt_shape,
)
from dialects.onnx.traits import Elementwise, OnnxCanonicalization

# ---- unary --------------------------------------------------------------------------


class ElementwiseUnaryBase(OnnxOp):
    """Verifier of every one-input elementwise op: the result has the input's shape
    (its element type is the input's by the shared type variable T)."""

    traits = traits_def(Elementwise())

    def __init__(self, x: SSAValue, *, result_type: Attribute | None = None, **attributes: object) -> None:
        """The op on `x` with ONNX attributes as keywords (None: absent; an Attribute is
        kept, so `type(op)(x, **onnx_attributes(op))` copies any unary op); the result
        has x's type, or `result_type` (a replaced op's, which may know more dims). Ops
        with attributes name them in their own constructors."""
        props = onnx_properties(type(self), **attributes)
        super().__init__(operands=[x], result_types=[result_type or x.type], properties=props)

    def verify_(self) -> None:
        (x,), (y,) = self.operands, self.results
        expect_same_type(self, x, y, "input and result")


class UnaryElementwiseOp(ElementwiseUnaryBase):
    """X -> Y of the same type (ops whose ONNX signature names them X and Y); T is a
    float unless the op says otherwise."""

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))


class UnaryInputOutputOp(ElementwiseUnaryBase):
    """input -> output of the same type (ops whose ONNX signature names them so)."""

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    input = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))


@irdl_op_definition
class ReluOp(UnaryElementwiseOp):
    name = "onnx.Relu"
    traits = traits_def(OnnxCanonicalization())
    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))


@irdl_op_definition
class SqrtOp(UnaryElementwiseOp):
    name = "onnx.Sqrt"


@irdl_op_definition
class NegOp(UnaryElementwiseOp):
    name = "onnx.Neg"
    traits = traits_def(OnnxCanonicalization())
    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))


@irdl_op_definition
class AbsOp(UnaryElementwiseOp):
    name = "onnx.Abs"
    traits = traits_def(OnnxCanonicalization())
    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))


@irdl_op_definition
class SigmoidOp(UnaryElementwiseOp):
    name = "onnx.Sigmoid"


@irdl_op_definition
class FloorOp(UnaryElementwiseOp):
    name = "onnx.Floor"


@irdl_op_definition
class CeilOp(UnaryElementwiseOp):
    name = "onnx.Ceil"


@irdl_op_definition
class RoundOp(UnaryElementwiseOp):
    """Round half to even."""

    name = "onnx.Round"


@irdl_op_definition
class ReciprocalOp(UnaryElementwiseOp):
    name = "onnx.Reciprocal"


@irdl_op_definition
class SoftplusOp(UnaryElementwiseOp):
    name = "onnx.Softplus"


@irdl_op_definition
class HardSwishOp(UnaryElementwiseOp):
    name = "onnx.HardSwish"


@irdl_op_definition
class LeakyReluOp(UnaryElementwiseOp):
    name = "onnx.LeakyRelu"
    alpha = float_prop(0.01)


@irdl_op_definition
class HardSigmoidOp(UnaryElementwiseOp):
    """max(0, min(1, alpha * x + beta))."""

    name = "onnx.HardSigmoid"
    alpha = float_prop(0.2)
    beta = float_prop(0.5)


@irdl_op_definition
class EluOp(UnaryElementwiseOp):
    name = "onnx.Elu"
    alpha = float_prop(1.0)


@irdl_op_definition
class SeluOp(UnaryElementwiseOp):
    name = "onnx.Selu"
    alpha = float_prop(1.67326319217681884765625)
    gamma = float_prop(1.05070102214813232421875)


@irdl_op_definition
class GeluOp(UnaryElementwiseOp):
    name = "onnx.Gelu"
    approximate = str_prop("none")

    def __init__(self, x: SSAValue, *, approximate: str | None = None) -> None:
        super().__init__(x, approximate=approximate)

    def verify_(self) -> None:
        super().verify_()
        expect_choice(self, self.approximate, "approximate", ("none", "tanh"))


@irdl_op_definition
class NotOp(UnaryElementwiseOp):
    name = "onnx.Not"
    T: ClassVar = VarConstraint("T", BOOL_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))


@irdl_op_definition
class ExpOp(UnaryInputOutputOp):
    name = "onnx.Exp"


@irdl_op_definition
class LogOp(UnaryInputOutputOp):
    name = "onnx.Log"


@irdl_op_definition
class TanhOp(UnaryInputOutputOp):
    name = "onnx.Tanh"


@irdl_op_definition
class ErfOp(UnaryInputOutputOp):
    name = "onnx.Erf"


@irdl_op_definition
class SinOp(UnaryInputOutputOp):
    name = "onnx.Sin"


@irdl_op_definition
class CosOp(UnaryInputOutputOp):
    name = "onnx.Cos"


@irdl_op_definition
class SignOp(UnaryInputOutputOp):
    name = "onnx.Sign"
    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    input = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))


# Inverse and hyperbolic trigonometry (input -> output, floats).


@irdl_op_definition
class AcosOp(UnaryInputOutputOp):
    name = "onnx.Acos"


@irdl_op_definition
class AcoshOp(UnaryInputOutputOp):
    name = "onnx.Acosh"


@irdl_op_definition
class AsinOp(UnaryInputOutputOp):
    name = "onnx.Asin"


@irdl_op_definition
class AsinhOp(UnaryInputOutputOp):
    name = "onnx.Asinh"


@irdl_op_definition
class AtanOp(UnaryInputOutputOp):
    name = "onnx.Atan"


@irdl_op_definition
class AtanhOp(UnaryInputOutputOp):
    name = "onnx.Atanh"


@irdl_op_definition
class TanOp(UnaryInputOutputOp):
    name = "onnx.Tan"


@irdl_op_definition
class SinhOp(UnaryInputOutputOp):
    name = "onnx.Sinh"


@irdl_op_definition
class CoshOp(UnaryInputOutputOp):
    name = "onnx.Cosh"


# More activations.


@irdl_op_definition
class SoftsignOp(UnaryInputOutputOp):
    """x / (1 + |x|)."""

    name = "onnx.Softsign"


@irdl_op_definition
class ThresholdedReluOp(UnaryElementwiseOp):
    """x if x > alpha else 0."""

    name = "onnx.ThresholdedRelu"
    alpha = float_prop(1.0)


@irdl_op_definition
class CeluOp(UnaryElementwiseOp):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    name = "onnx.Celu"
    alpha = float_prop(1.0)

    def verify_(self) -> None:
        super().verify_()
        if self.alpha.value.data == 0.0:
            raise fail(self, "alpha must not be 0")


@irdl_op_definition
class MishOp(UnaryElementwiseOp):
    """x * tanh(softplus(x))."""

    name = "onnx.Mish"


@irdl_op_definition
class SwishOp(UnaryElementwiseOp):
    """x * sigmoid(alpha * x) (opset 24)."""

    name = "onnx.Swish"
    alpha = float_prop(1.0)

    def __init__(self, x: SSAValue, *, alpha: float | None = None) -> None:
        super().__init__(x, alpha=alpha)


@irdl_op_definition
class ShrinkOp(UnaryInputOutputOp):
    """x + bias if x < -lambd, x - bias if x > lambd, else 0; integers too."""

    name = "onnx.Shrink"
    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    input = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))
    bias = float_prop(0.0)
    lambd = float_prop(0.5)


# Float classification: X (float) -> Y (i1) of the same shape.


class FloatClassOp(OnnxOp):
    traits = traits_def(Elementwise())

    x = operand_def(tensor_of(FLOAT_TYPES))
    y = result_def(tensor_of(BOOL_TYPES))

    def verify_(self) -> None:
        sx, sy = shape_of(self, self.x, "X"), shape_of(self, self.y, "Y")
        if not shapes_compatible(sx, sy):
            raise fail(self, f"X shape {fmt_shape(sx)} and Y shape {fmt_shape(sy)} differ")


@irdl_op_definition
class IsNaNOp(FloatClassOp):
    name = "onnx.IsNaN"


@irdl_op_definition
class IsInfOp(FloatClassOp):
    """True for +inf (detect_positive) and -inf (detect_negative)."""

    name = "onnx.IsInf"
    detect_negative = int_prop(1)
    detect_positive = int_prop(1)

    def verify_(self) -> None:
        super().verify_()
        expect_flag(self, self.detect_negative, "detect_negative")
        expect_flag(self, self.detect_positive, "detect_positive")


# ---- binary arithmetic ------------------------------------------------------------


class BinaryElementwiseOp(OnnxOp):
    """A, B -> C with numpy-style broadcasting and one element type."""

    traits = traits_def(Elementwise())

    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    a = operand_def(tensor_of(T))
    b = operand_def(tensor_of(T))
    c = result_def(tensor_of(T))

    def __init__(self, a: SSAValue, b: SSAValue, *, result_type: Attribute | None = None) -> None:
        """A op B; the result has A's element type and the broadcast shape, or is
        `result_type` (a replaced op's, which may know dims the broadcast leaves dynamic)."""
        result_type = result_type or broadcast_type(self, [a, b], element_type_of(a))
        super().__init__(operands=[a, b], result_types=[result_type])

    def verify_(self) -> None:
        expect_broadcast_result(self, [self.a, self.b], self.c, "result")


@irdl_op_definition
class AddOp(BinaryElementwiseOp):
    name = "onnx.Add"
    traits = traits_def(OnnxCanonicalization())


@irdl_op_definition
class SubOp(BinaryElementwiseOp):
    name = "onnx.Sub"
    traits = traits_def(OnnxCanonicalization())


@irdl_op_definition
class MulOp(BinaryElementwiseOp):
    name = "onnx.Mul"
    traits = traits_def(OnnxCanonicalization())


@irdl_op_definition
class DivOp(BinaryElementwiseOp):
    name = "onnx.Div"
    traits = traits_def(OnnxCanonicalization())


@irdl_op_definition
class ModOp(BinaryElementwiseOp):
    """fmod=0: modulo with the divisor's sign (Python %); fmod=1: C fmod (the sign of
    the dividend). Both are valid for floats (ONNX conformance runs float fmod=0)."""

    name = "onnx.Mod"
    fmod = int_prop(0)

    def verify_(self) -> None:
        super().verify_()
        expect_flag(self, self.fmod, "fmod")


@irdl_op_definition
class PowOp(OnnxOp):
    """Z = X ** Y; the exponent may have a different element type than the base."""

    traits = traits_def(Elementwise(), OnnxCanonicalization())

    name = "onnx.Pow"

    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    T1: ClassVar = VarConstraint("T1", NUMERIC_TYPES)
    x = operand_def(tensor_of(T))
    y = operand_def(tensor_of(T1))
    z = result_def(tensor_of(T))

    def verify_(self) -> None:
        expect_broadcast_result(self, [self.x, self.y], self.z, "result")


# ---- comparisons and logic ----------------------------------------------------------


class ComparisonOp(OnnxOp):
    """A, B -> C: broadcasting, one input element type, i1 result."""

    traits = traits_def(Elementwise())

    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    a = operand_def(tensor_of(T))
    b = operand_def(tensor_of(T))
    c = result_def(tensor_of(BOOL_TYPES))

    def verify_(self) -> None:
        expect_broadcast_result(self, [self.a, self.b], self.c, "result")


class LogicalBinaryOp(ComparisonOp):
    """And/Or/Xor: i1, i1 -> i1 with broadcasting."""

    T: ClassVar = VarConstraint("T", BOOL_TYPES)
    a = operand_def(tensor_of(T))
    b = operand_def(tensor_of(T))
    c = result_def(tensor_of(BOOL_TYPES))


@irdl_op_definition
class EqualOp(ComparisonOp):
    name = "onnx.Equal"
    traits = traits_def(OnnxCanonicalization())
    T: ClassVar = VarConstraint("T", ANY_TYPES)
    a = operand_def(tensor_of(T))
    b = operand_def(tensor_of(T))
    c = result_def(tensor_of(BOOL_TYPES))


@irdl_op_definition
class LessOp(ComparisonOp):
    name = "onnx.Less"


@irdl_op_definition
class LessOrEqualOp(ComparisonOp):
    name = "onnx.LessOrEqual"


@irdl_op_definition
class GreaterOp(ComparisonOp):
    name = "onnx.Greater"


@irdl_op_definition
class GreaterOrEqualOp(ComparisonOp):
    name = "onnx.GreaterOrEqual"


@irdl_op_definition
class AndOp(LogicalBinaryOp):
    name = "onnx.And"
    traits = traits_def(OnnxCanonicalization())


@irdl_op_definition
class OrOp(LogicalBinaryOp):
    name = "onnx.Or"
    traits = traits_def(OnnxCanonicalization())


@irdl_op_definition
class XorOp(LogicalBinaryOp):
    name = "onnx.Xor"
    traits = traits_def(OnnxCanonicalization())


# ---- bitwise (integers) -------------------------------------------------------------


@irdl_op_definition
class BitwiseAndOp(BinaryElementwiseOp):
    name = "onnx.BitwiseAnd"
    T: ClassVar = VarConstraint("T", INT_TYPES)
    a = operand_def(tensor_of(T))
    b = operand_def(tensor_of(T))
    c = result_def(tensor_of(T))


@irdl_op_definition
class BitwiseOrOp(BinaryElementwiseOp):
    name = "onnx.BitwiseOr"
    T: ClassVar = VarConstraint("T", INT_TYPES)
    a = operand_def(tensor_of(T))
    b = operand_def(tensor_of(T))
    c = result_def(tensor_of(T))


@irdl_op_definition
class BitwiseXorOp(BinaryElementwiseOp):
    name = "onnx.BitwiseXor"
    T: ClassVar = VarConstraint("T", INT_TYPES)
    a = operand_def(tensor_of(T))
    b = operand_def(tensor_of(T))
    c = result_def(tensor_of(T))


@irdl_op_definition
class BitwiseNotOp(UnaryElementwiseOp):
    name = "onnx.BitwiseNot"
    T: ClassVar = VarConstraint("T", INT_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))


@irdl_op_definition
class BitShiftOp(OnnxOp):
    """Z = X << Y or X >> Y with broadcasting. Opset 11 admits unsigned integers only;
    signed ones (arithmetic right shift) are accepted as in opset 28. A shift amount
    that is negative or >= the bit width gives 0 (-1 for RIGHT of a negative X)."""

    traits = traits_def(Elementwise())

    name = "onnx.BitShift"

    T: ClassVar = VarConstraint("T", INT_TYPES)
    x = operand_def(tensor_of(T))
    y = operand_def(tensor_of(T))
    z = result_def(tensor_of(T))
    direction = prop_def(StringAttr)

    def verify_(self) -> None:
        expect_choice(self, self.direction, "direction", ("LEFT", "RIGHT"))
        expect_broadcast_result(self, [self.x, self.y], self.z, "result")


# ---- select, cast, clip -------------------------------------------------------------


@irdl_op_definition
class WhereOp(OnnxOp):
    """output = condition ? X : Y, all three broadcast together."""

    traits = traits_def(Elementwise())

    name = "onnx.Where"

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    condition = operand_def(tensor_of(BOOL_TYPES))
    x = operand_def(tensor_of(T))
    y = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))

    def verify_(self) -> None:
        expect_broadcast_result(self, [self.condition, self.x, self.y], self.output, "result")


@irdl_op_definition
class CastOp(OnnxOp):
    """Converts to the ONNX data type `to` (a TensorProto.DataType value)."""

    traits = traits_def(Elementwise())

    name = "onnx.Cast"

    input = operand_def(tensor_of(ANY_TYPES))
    output = result_def(tensor_of(ANY_TYPES))
    saturate = int_prop(1)
    to = required_int_prop()

    def verify_(self) -> None:
        expect_flag(self, self.saturate, "saturate")
        to = self.to.value.data
        if to not in ONNX_DATA_TYPES:
            raise fail(self, f"to = {to} is not an ONNX data type")
        got = tensor_type(self, self.output, "output").element_type
        want = onnx_element_type(to)
        if want is not None and want != got:
            same_int_width = (
                element_kind(want) == element_kind(got) == "int"
                and getattr(want, "width", None) == getattr(got, "width", None)
            )
            if not same_int_width:
                raise fail(self, f"to = {to} means element type {want}, but the result has {got}")
        sx = shape_of(self, self.input, "input")
        sy = shape_of(self, self.output, "output")
        if not shapes_compatible(sx, sy):
            raise fail(self, f"input shape {fmt_shape(sx)} and result shape {fmt_shape(sy)} differ")


@irdl_op_definition
class CastLikeOp(OnnxOp):
    """Converts `input` to the element type of `target_type` (whose values are unused)."""

    traits = traits_def(Elementwise())

    name = "onnx.CastLike"

    T2: ClassVar = VarConstraint("T2", ANY_TYPES)
    input = operand_def(tensor_of(ANY_TYPES))
    target_type = operand_def(tensor_of(T2))
    output = result_def(tensor_of(T2))
    saturate = int_prop(1)

    def verify_(self) -> None:
        expect_flag(self, self.saturate, "saturate")
        sx = shape_of(self, self.input, "input")
        sy = shape_of(self, self.output, "output")
        if not shapes_compatible(sx, sy):
            raise fail(self, f"input shape {fmt_shape(sx)} and result shape {fmt_shape(sy)} differ")


@irdl_op_definition
class ClipOp(OnnxOp):
    """Clamps to [min, max]; absent bounds mean the type's lowest/highest value."""

    traits = traits_def(Elementwise())

    name = "onnx.Clip"
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    input = operand_def(tensor_of(T))
    min = opt_operand_def(tensor_of(T))
    max = opt_operand_def(tensor_of(T))
    output = result_def(tensor_of(T))

    def verify_(self) -> None:
        expect_same_type(self, self.input, self.output, "input and output")
        for bound, what in ((self.min, "min"), (self.max, "max")):
            if bound is not None:
                expect_scalar(self, bound, what, allow_one_element=True)


# ---- variadic -----------------------------------------------------------------------


class VariadicElementwiseOp(OnnxOp):
    """data_0, data_1, ... -> one result: at least one input, one element type T,
    multidirectional broadcasting. Subclasses declare T and name the result as ONNX
    does."""

    traits = traits_def(Elementwise())

    def verify_(self) -> None:
        inputs = list(self.operands)
        if not inputs:
            raise fail(self, "needs at least one input")
        (result,) = self.results
        expect_broadcast_result(self, inputs, result, "result")


@irdl_op_definition
class MaxOp(VariadicElementwiseOp):
    name = "onnx.Max"
    traits = traits_def(OnnxCanonicalization())
    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    data_0 = var_operand_def(tensor_of(T))
    max = result_def(tensor_of(T))


@irdl_op_definition
class MinOp(VariadicElementwiseOp):
    name = "onnx.Min"
    traits = traits_def(OnnxCanonicalization())
    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    data_0 = var_operand_def(tensor_of(T))
    min = result_def(tensor_of(T))


@irdl_op_definition
class SumOp(VariadicElementwiseOp):
    name = "onnx.Sum"
    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    data_0 = var_operand_def(tensor_of(T))
    sum = result_def(tensor_of(T))


@irdl_op_definition
class MeanOp(VariadicElementwiseOp):
    name = "onnx.Mean"
    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    data_0 = var_operand_def(tensor_of(T))
    mean = result_def(tensor_of(T))
