"""Shared building blocks of the `onnx` dialect: property constructors that carry
ONNX defaults, and verifier helpers whose messages name the op.

Every ONNX attribute becomes a property with the ONNX attribute name. The importer maps
attribute kinds to xDSL attributes one way for all ops (see `compiler/onnx_import.py`):

    INT     -> IntegerAttr (i64)          FLOAT  -> FloatAttr (f32)
    STRING  -> StringAttr                 INTS   -> DenseArrayBase (i64)
    FLOATS  -> DenseArrayBase (f32)       TENSOR -> DenseIntOrFPElementsAttr | DenseResourceAttr

so op definitions only have to use the matching constraint.
"""

from __future__ import annotations

from collections.abc import Sequence

from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    BFloat16Type,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    DenseResourceAttr,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    f16,
    f32,
    f64,
    i1,
    i8,
    i16,
    i32,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.irdl import IRDLOperation, opt_prop_def, prop_def, traits_def
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from dialects.onnx.traits import OnnxCanonicalization

TensorConstraint = TensorType


class OnnxOp(IRDLOperation):
    """Base of every `onnx` op. ONNX ops are side-effect free at inference (Dropout is
    the identity, there is no training state), so all are Pure: cse and dce may merge
    and remove them."""

    traits = traits_def(Pure(), OnnxCanonicalization())

TensorDataAttr = DenseIntOrFPElementsAttr | DenseResourceAttr


def int_prop(default: int | None = None):
    """An ONNX INT attribute; absent means `default` (None: no default)."""
    if default is None:
        return opt_prop_def(IntegerAttr)
    return opt_prop_def(IntegerAttr, default_value=IntegerAttr(default, i64))


def float_prop(default: float | None = None):
    """An ONNX FLOAT attribute; absent means `default`."""
    if default is None:
        return opt_prop_def(FloatAttr)
    return opt_prop_def(FloatAttr, default_value=FloatAttr(default, f32))


def str_prop(default: str | None = None):
    """An ONNX STRING attribute; absent means `default`."""
    if default is None:
        return opt_prop_def(StringAttr)
    return opt_prop_def(StringAttr, default_value=StringAttr(default))


def ints_prop():
    """An ONNX INTS attribute (DenseArrayBase of i64); defaults are computed by the op."""
    return opt_prop_def(DenseArrayBase)


def floats_prop():
    """An ONNX FLOATS attribute (DenseArrayBase of f32)."""
    return opt_prop_def(DenseArrayBase)


def required_int_prop():
    """An ONNX INT attribute that ONNX marks required (Concat axis, Cast to)."""
    return prop_def(IntegerAttr)


def required_ints_prop():
    """An ONNX INTS attribute that ONNX marks required (pooling kernel_shape)."""
    return prop_def(DenseArrayBase)


def int_attr_value(attr: IntegerAttr | None) -> int | None:
    """The Python int of an INT property, or None when it is absent (and has no default)."""
    return None if attr is None else int(attr.value.data)


def float_attr_value(attr: FloatAttr | None) -> float | None:
    return None if attr is None else float(attr.value.data)


def str_attr_value(attr: StringAttr | None) -> str | None:
    return None if attr is None else attr.data


def ints_value(attr: DenseArrayBase | None) -> list[int] | None:
    """The Python ints of an INTS property, or None when it is absent."""
    if attr is None:
        return None
    return [int(v) for v in attr.get_values()]


def floats_value(attr: DenseArrayBase | None) -> list[float] | None:
    if attr is None:
        return None
    return [float(v) for v in attr.get_values()]


def make_ints(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


def make_floats(values: Sequence[float]) -> DenseArrayBase:
    return DenseArrayBase.from_list(f32, list(values))


def node_name(op: Operation) -> str:
    """The ONNX node name an op was imported from (kept as its NameLoc location)."""
    from xdsl.dialects.builtin import NameLoc

    loc = op.location
    if isinstance(loc, NameLoc):
        return loc.desc.data
    return "<unnamed>"


# ---- verifier helpers -------------------------------------------------------------


def fail(op: Operation, message: str) -> VerifyException:
    """An exception whose message starts with the op name, e.g. `onnx.Conv: ...`."""
    return VerifyException(f"{op.name}: {message}")


def tensor_type(op: Operation, value: SSAValue, what: str) -> TensorType:
    ty = value.type
    if not isinstance(ty, TensorType):
        raise fail(op, f"{what} must be a ranked tensor, got {ty}")
    return ty


def rank_of(op: Operation, value: SSAValue, what: str) -> int:
    return tensor_type(op, value, what).get_num_dims()


def expect_rank(op: Operation, value: SSAValue, what: str, *ranks: int) -> None:
    r = rank_of(op, value, what)
    if r not in ranks:
        want = " or ".join(str(x) for x in ranks)
        raise fail(op, f"{what} must have rank {want}, got rank {r} ({value.type})")


def expect_min_rank(op: Operation, value: SSAValue, what: str, rank: int) -> None:
    r = rank_of(op, value, what)
    if r < rank:
        raise fail(op, f"{what} must have rank >= {rank}, got rank {r} ({value.type})")


# ---- element-type categories ------------------------------------------------------
#
# Each op class declares, as ELEMENT_KINDS, which categories of element type its main
# ONNX type variable ("T") admits: floats (f16/bf16/f32/f64/...), integers (signless
# i8..i64; unsigned ONNX integers are represented as signless) and bools (i1).

Kinds = frozenset[str]
FLOAT: Kinds = frozenset({"float"})
INT: Kinds = frozenset({"int"})
BOOL: Kinds = frozenset({"bool"})
NUMERIC: Kinds = frozenset({"float", "int"})
ANY: Kinds = frozenset({"float", "int", "bool"})

_KIND_WORDS = {
    FLOAT: "a floating-point",
    INT: "an integer",
    BOOL: "an i1 (bool)",
    NUMERIC: "a numeric (integer or floating-point)",
    ANY: "a numeric or bool",
}


def element_kind(ty: Attribute) -> str | None:
    """"float", "int", "bool" or None for an element type."""
    if is_float(ty):
        return "float"
    if is_bool(ty):
        return "bool"
    if is_integer(ty):
        return "int"
    return None


def expect_kinds(op: Operation, value: SSAValue, what: str, kinds: Kinds) -> None:
    """Fails unless the element type of `value` is in one of the categories `kinds`."""
    ty = tensor_type(op, value, what).element_type
    if element_kind(ty) not in kinds:
        words = _KIND_WORDS.get(kinds, "/".join(sorted(kinds)))
        raise fail(op, f"{what} must have {words} element type, got {ty}")


def is_float(ty: Attribute) -> bool:
    from xdsl.dialects.builtin import AnyFloat

    return isinstance(ty, AnyFloat)


def is_integer(ty: Attribute) -> bool:
    return isinstance(ty, IntegerType) and ty.width.data > 1


def is_bool(ty: Attribute) -> bool:
    return isinstance(ty, IntegerType) and ty.width.data == 1


def expect_float(op: Operation, value: SSAValue, what: str) -> None:
    ty = tensor_type(op, value, what).element_type
    if not is_float(ty):
        raise fail(op, f"{what} must have a floating-point element type, got {ty}")


def expect_bool(op: Operation, value: SSAValue, what: str) -> None:
    ty = tensor_type(op, value, what).element_type
    if not is_bool(ty):
        raise fail(op, f"{what} must have element type i1 (bool), got {ty}")


def expect_index_type(op: Operation, value: SSAValue, what: str) -> None:
    ty = tensor_type(op, value, what).element_type
    if not (isinstance(ty, IntegerType) and ty.width.data in (32, 64)):
        raise fail(op, f"{what} must have element type i32 or i64, got {ty}")


def expect_same_element_type(op: Operation, values: Sequence[SSAValue], what: str) -> None:
    types = {tensor_type(op, v, what).element_type for v in values}
    if len(types) > 1:
        raise fail(op, f"{what} must share one element type, got {sorted(map(str, types))}")


def expect_axis(op: Operation, axis: int, rank: int, what: str = "axis") -> int:
    """Checks -rank <= axis < rank and returns the normalized axis."""
    if not -rank <= axis < rank:
        raise fail(op, f"{what} {axis} is out of range for rank {rank}")
    return axis % rank if rank else 0


# ---- shapes ------------------------------------------------------------------------
#
# Dimensions come from TensorType.get_shape(): a dynamic dimension (`?`) is negative
# (xDSL's DYNAMIC_INDEX). Shape checks treat it as "matches anything".

DYNAMIC = DYNAMIC_INDEX


def is_dynamic(dim: int) -> bool:
    return dim < 0


def shape_of(op: Operation, value: SSAValue, what: str) -> tuple[int, ...]:
    return tuple(tensor_type(op, value, what).get_shape())


def fmt_shape(shape: Sequence[int]) -> str:
    return "[" + ", ".join("?" if is_dynamic(d) else str(d) for d in shape) + "]"


def dims_compatible(a: int, b: int) -> bool:
    return is_dynamic(a) or is_dynamic(b) or a == b


def shapes_compatible(a: Sequence[int], b: Sequence[int]) -> bool:
    return len(a) == len(b) and all(dims_compatible(x, y) for x, y in zip(a, b))


def num_elements(shape: Sequence[int]) -> int | None:
    """The element count of a static shape, None when a dimension is dynamic."""
    n = 1
    for d in shape:
        if is_dynamic(d):
            return None
        n *= d
    return n


def expect_shape(op: Operation, value: SSAValue, what: str, expected: Sequence[int]) -> None:
    """Fails unless `value` has rank len(expected) and compatible dimensions
    (negative entries of `expected` mean "any")."""
    got = shape_of(op, value, what)
    if not shapes_compatible(got, expected):
        raise fail(op, f"{what} has shape {fmt_shape(got)}, expected {fmt_shape(expected)}")


def expect_same_type(op: Operation, a: SSAValue, b: SSAValue, what: str) -> None:
    """Same element type and compatible shapes (dynamic dimensions match anything)."""
    ta = tensor_type(op, a, what)
    tb = tensor_type(op, b, what)
    if ta.element_type != tb.element_type or not shapes_compatible(ta.get_shape(), tb.get_shape()):
        raise fail(op, f"{what} must have the same type, got {ta} and {tb}")


def expect_1d_index(op: Operation, value: SSAValue, what: str) -> int | None:
    """A rank-1 i32/i64 tensor (shapes, axes, pads, ...); returns its static length."""
    expect_index_type(op, value, what)
    expect_rank(op, value, what, 1)
    n = shape_of(op, value, what)[0]
    return None if is_dynamic(n) else n


def expect_scalar(op: Operation, value: SSAValue, what: str, allow_one_element: bool = False) -> None:
    """A rank-0 tensor (or, with allow_one_element, a 1-D tensor of one element)."""
    shape = shape_of(op, value, what)
    if shape == () or (allow_one_element and len(shape) == 1 and dims_compatible(shape[0], 1)):
        return
    raise fail(op, f"{what} must be a scalar, got shape {fmt_shape(shape)}")


def expect_flag(op: Operation, attr: IntegerAttr | None, what: str) -> None:
    """An INT attribute used as a boolean must be 0 or 1."""
    if attr is not None and attr.value.data not in (0, 1):
        raise fail(op, f"{what} must be 0 or 1, got {attr.value.data}")


def expect_choice(op: Operation, attr: StringAttr | None, what: str, choices: Sequence[str]) -> None:
    if attr is not None and attr.data not in choices:
        raise fail(op, f"{what} must be one of {', '.join(choices)}; got {attr.data!r}")


def broadcast_shapes(op: Operation, shapes: Sequence[Sequence[int]]) -> tuple[int, ...]:
    """Numpy-style multidirectional broadcast; raises a verifier error naming the op.
    A dynamic dimension broadcasts against 1 to dynamic and against n to n."""
    rank = max((len(s) for s in shapes), default=0)
    out = [1] * rank
    for s in shapes:
        padded = [1] * (rank - len(s)) + list(s)
        for i, d in enumerate(padded):
            if d == out[i] or d == 1:
                continue
            if is_dynamic(d):
                if out[i] == 1:
                    out[i] = DYNAMIC
                continue
            if out[i] == 1 or is_dynamic(out[i]):
                out[i] = d
            else:
                raise fail(op, f"shapes {', '.join(fmt_shape(x) for x in shapes)} do not broadcast")
    return tuple(out)


def unidirectional_broadcastable(src: Sequence[int], dst: Sequence[int]) -> bool:
    """Whether `src` broadcasts to exactly `dst` (ONNX unidirectional broadcasting)."""
    if len(src) > len(dst):
        return False
    for s, d in zip(reversed(src), reversed(dst)):
        if not (s == 1 or dims_compatible(s, d)):
            return False
    return True


def expect_broadcast_result(op: Operation, inputs: Sequence[SSAValue], result: SSAValue, what: str) -> None:
    """`result` has the multidirectional broadcast shape of `inputs`."""
    shape = broadcast_shapes(op, [shape_of(op, v, "input") for v in inputs])
    got = shape_of(op, result, what)
    if not shapes_compatible(got, shape):
        raise fail(op, f"{what} shape {fmt_shape(got)} is not the broadcast shape {fmt_shape(shape)}")


# ---- ONNX data types (TensorProto.DataType) ----------------------------------------------


def onnx_element_type(dtype: int) -> Attribute | None:
    """The element type that represents ONNX data type `dtype` (unsigned -> signless),
    None for a valid type without an xDSL counterpart (STRING, COMPLEX*)."""
    from xdsl.dialects import builtin as b

    table: dict[int, Attribute] = {
        1: f32, 2: i8, 3: i8, 4: i16, 5: i16, 6: i32, 7: i64, 9: i1, 10: f16, 11: f64,
        12: i32, 13: i64, 16: BFloat16Type(), 17: b.Float8E4M3FNType(),
        18: b.Float8E4M3FNUZType(), 19: b.Float8E5M2Type(), 20: b.Float8E5M2FNUZType(),
        21: IntegerType(4), 22: IntegerType(4), 23: b.Float4E2M1FNType(),
        24: b.Float8E8M0FNUType(), 25: IntegerType(2), 26: IntegerType(2),
        27: b.Float6E2M3FNType(), 28: b.Float6E3M2FNType(),
    }
    return table.get(dtype)


ONNX_DATA_TYPES = frozenset(range(1, 29))
"""TensorProto.DataType values other than UNDEFINED (0), as of onnx 1.18+."""


def onnx_attribute(name: str, attr: Attribute):
    """The ONNX AttributeProto of a scalar, string or INTS/FLOATS property (the inverse
    of the importer's mapping). Tensor-valued properties need the weight table: see
    compiler/onnx_export.py. Raises NotImplementedError for other kinds."""
    from onnx import AttributeProto, helper

    if isinstance(attr, IntegerAttr):
        return helper.make_attribute(name, int(attr.value.data))
    if isinstance(attr, FloatAttr):
        return helper.make_attribute(name, float(attr.value.data))
    if isinstance(attr, StringAttr):
        return helper.make_attribute(name, attr.data)
    if isinstance(attr, DenseArrayBase):
        values = attr.get_values()
        if attr.elt_type.__class__.__name__.startswith("Float"):
            return helper.make_attribute(name, [float(v) for v in values], attr_type=AttributeProto.FLOATS)
        return helper.make_attribute(name, [int(v) for v in values], attr_type=AttributeProto.INTS)
    raise NotImplementedError(f"property {name} ({attr}) has no ONNX attribute form")
