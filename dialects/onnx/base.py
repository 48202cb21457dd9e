"""Shared building blocks of the `onnx` dialect: the element-type sets of ONNX type
constraints as IRDL constraints, property constructors that carry ONNX defaults, and
verifier helpers whose messages name the op.

Element types are declared the IRDL way: an ONNX type variable is a
`VarConstraint("T", FLOAT_TYPES)` and every operand/result it types is
`operand_def(tensor_of(T))`, so "A, B and C share one element type" and "A is a
float" are part of the op definition and checked by xDSL before the op's `verify_`
(which is left with what IRDL cannot say: shapes, ranks, attribute values). When such a
constraint fails, `OnnxOp.emit_error` rewrites xDSL's generic message into one that names
the op and the operand as ONNX does (`onnx.Add: A must have a numeric ...`).

Every ONNX attribute becomes a property with the ONNX attribute name. The importer maps
attribute kinds to xDSL attributes one way for all ops (see `compiler/onnx_import.py`):

    INT     -> IntegerAttr (i64)          FLOAT  -> FloatAttr (f32)
    STRING  -> StringAttr                 INTS   -> DenseArrayBase (i64)
    FLOATS  -> DenseArrayBase (f32)       TENSOR -> DenseIntOrFPElementsAttr | DenseResourceAttr

so op definitions only have to use the matching constraint.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import ClassVar, NoReturn

from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AnyFloat,
    NameLoc,
    BFloat16Type,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    DenseResourceAttr,
    IntAttr,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    Signedness,
    StringAttr,
    TensorType,
    AnyFloatConstr,
    IntAttrConstraint,
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
from xdsl.irdl import (
    AttrConstraint,
    IRDLOperation,
    MessageConstraint,
    ParamAttrConstraint,
    VarConstraint,
    base,
    eq,
    opt_prop_def,
    prop_def,
    traits_def,
)
from xdsl.irdl.constraints import (
    AnyAttr,
    IntSetConstraint,
    NotEqualIntConstraint,
    RangeLengthConstraint,
    RangeOf,
    VerificationContext,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

# Cast's `to` and EyeLike's `dtype` are read through the one ONNX data type table.
from dialects.dtypes import ONNX_DATA_TYPES, onnx_element_type  # noqa: F401  (re-exported)


class OnnxOp(IRDLOperation):
    """Base of every `onnx` op. ONNX ops are side-effect free at inference (Dropout is
    the identity, there is no training state), so all are Pure: cse and dce may merge
    and remove them. The op classes with canonicalization patterns add the
    OnnxCanonicalization trait themselves (dialects/onnx/traits.py): canonicalize asks
    every op with the trait for its patterns, a cost per op and run."""

    traits = traits_def(Pure())

    # How type-error messages spell each operand/result (def name -> name), for ops
    # without an ONNX schema to take the formal names from (the `strata` ops); None:
    # the ONNX schema's names, or the def names.
    FORMAL_NAMES: ClassVar[Mapping[str, str] | None] = None

    def emit_error(self, message: str, underlying_error: Exception) -> NoReturn:
        # Operation.verify reports a failed verify_ of this op here. xDSL words a failed
        # operand/result constraint "operand 'a' at position 0 does not verify: ...";
        # say it as the op's own checks do, naming the op and the ONNX operand, both in
        # the exception and in the annotated IR it prints.
        if isinstance(underlying_error, VerifyException) and str(underlying_error).startswith(("operand '", "result '")):
            explained = explain_type_error(self)
            if explained is not None:
                underlying_error.args = (f"{self.name}: {explained}",)
                message = f"Operation does not verify: {underlying_error}"
        super().emit_error(message, underlying_error)

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


def onnx_properties(op_cls: type[IRDLOperation], **values: object) -> dict[str, Attribute]:
    """The properties a typed constructor of `op_cls` sets: None is left out (absent:
    the op reads the ONNX default its property definition declares, so defaults are
    written once), an Attribute is kept, and a Python int, float, str or list of ints
    becomes the attribute kind that property is declared with."""
    defs = op_cls.get_irdl_definition().properties
    props: dict[str, Attribute] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, Attribute):
            props[name] = value
            continue
        bases = defs[name].constr.get_bases() or set()
        if IntegerAttr in bases:
            props[name] = IntegerAttr(int(value), i64)  # pyright: ignore[reportArgumentType]
        elif FloatAttr in bases:
            props[name] = FloatAttr(float(value), f32)  # pyright: ignore[reportArgumentType]
        elif StringAttr in bases:
            props[name] = StringAttr(str(value))
        elif DenseArrayBase in bases:
            props[name] = make_ints(value)  # pyright: ignore[reportArgumentType]
        else:
            raise TypeError(f"{op_cls.name}: no conversion of {value!r} to property {name}")
    return props


SEGMENT_SIZES = ("operandSegmentSizes", "resultSegmentSizes")


def onnx_attributes(op: Operation) -> dict[str, Attribute]:
    """The ONNX attributes set on `op` (its properties without xDSL's segment sizes), as
    keyword arguments for a typed constructor: `ConvOp(x, w, b, result_type=t,
    **onnx_attributes(conv))` copies conv's attributes exactly."""
    return {k: v for k, v in op.properties.items() if k not in SEGMENT_SIZES}


def keep_attribute_order(new: Operation, old: Operation) -> None:
    """Orders the properties of `new`, built from `old` by a typed constructor, as
    `old` has them (then its own, then the segment sizes, which xDSL's builder adds
    last), so a rewritten op prints its attributes as the op it replaces did; a
    constructor sets them in its parameter order."""
    props = new.properties
    first = [k for k in old.properties if k in props and k not in SEGMENT_SIZES]
    rest = [k for k in props if k not in first and k not in SEGMENT_SIZES]
    new.properties = {k: props[k] for k in (*first, *rest, *(k for k in SEGMENT_SIZES if k in props))}


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


# ---- element-type sets (ONNX type constraints) as IRDL constraints ----------------
#
# ONNX types an operand by a type variable (T, T1, I, Tind, ...) whose allowed types fall
# into categories: floats (f16/bf16/f32/f64/...), integers (i8..i64, signless or
# unsigned, any width but 1) and bools (i1). Each set below is an IRDL
# constraint on an element type; its message is the phrase verifier errors use.


def element_types(constraint: AttrConstraint, words: str) -> MessageConstraint:
    """An element-type set; `words` completes "X must have ..." in error messages."""
    return MessageConstraint(constraint, words)


_INTEGER = ParamAttrConstraint(IntegerType, (IntAttrConstraint(NotEqualIntConstraint(1)), AnyAttr()))
_BOOL = ParamAttrConstraint(IntegerType, (eq(IntAttr(1)), AnyAttr()))

FLOAT_TYPES = element_types(AnyFloatConstr, "a floating-point element type")
INT_TYPES = element_types(_INTEGER, "an integer element type")
BOOL_TYPES = element_types(_BOOL, "element type i1 (bool)")
NUMERIC_TYPES = element_types(AnyFloatConstr | _INTEGER, "a numeric (integer or floating-point) element type")
ANY_TYPES = element_types(AnyFloatConstr | base(IntegerType), "a numeric or bool element type")
INDEX_TYPES = element_types(
    ParamAttrConstraint(IntegerType, (IntAttrConstraint(IntSetConstraint(frozenset({32, 64}))), AnyAttr())),
    "element type i32 or i64",
)
I64_TYPE = element_types(eq(i64), "element type i64")


def tensor_of(element_type: AttrConstraint) -> AttrConstraint:
    """A ranked tensor whose element type satisfies `element_type` (a set above, or a
    VarConstraint over one: every value typed by the same variable shares one type)."""
    return TensorType.constr(element_type=element_type)


def _element_constraint(constraint: AttrConstraint) -> AttrConstraint | None:
    """The element-type part of a `tensor_of(...)` constraint (None for others)."""
    if isinstance(constraint, ParamAttrConstraint) and constraint.base_attr is TensorType:
        return constraint.param_constrs[1]
    return None


def _defs(op_cls: type[IRDLOperation]):
    """(name, tensor constraint or None) of each operand, then each result."""
    op_def = op_cls.get_irdl_definition()
    for name, d in (*op_def.operands, *op_def.results):
        constraint = d.constr
        if isinstance(constraint, RangeLengthConstraint):  # single and optional defs
            constraint = constraint.constraint
        yield name, constraint.constr if isinstance(constraint, RangeOf) else None


def element_kinds_of(op_cls: type[IRDLOperation], def_name: str) -> frozenset[str]:
    """The categories ("float", "int", "bool") whose every member the element type of
    operand/result `def_name` admits; a category admitted only in part is reported as
    "some <category>". Used to check the declarations against the ONNX schemas."""
    constraint = next(_element_constraint(c) for n, c in _defs(op_cls) if n == def_name and c is not None)
    if isinstance(constraint, VarConstraint):
        constraint = constraint.constraint
    samples = {
        "float": (f16, BFloat16Type(), f32, f64),
        "int": (i8, i16, i32, i64, IntegerType(8, Signedness.UNSIGNED)),
        "bool": (i1,),
    }
    kinds = set()
    for kind, types in samples.items():
        accepted = [_accepts(constraint, t) for t in types]
        if all(accepted):
            kinds.add(kind)
        elif any(accepted):
            kinds.add(f"some {kind}")
    return frozenset(kinds)


def _accepts(constraint: AttrConstraint, attr: Attribute) -> bool:
    try:
        constraint.verify(attr, VerificationContext())
    except VerifyException:
        return False
    return True


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def explain_type_error(op: IRDLOperation) -> str | None:
    """Why the operand/result types of `op` break its IRDL constraints, in the words of
    the hand-written verifiers ("A must have a floating-point element type, got i32",
    "A, B and C must share one element type, got ['f32', 'i32']"), checking in xDSL's
    order (operands, then results); None when they satisfy them."""
    bound: dict[str, Attribute] = {}
    values = []
    for name, constraint in _defs(type(op)):
        value = getattr(op, name)
        group = [] if value is None else [value] if isinstance(value, SSAValue) else list(value)
        values.append((name, constraint, group))
    for name, constraint, group in values:
        what = onnx_name(op, name)
        elements = _element_constraint(constraint) if constraint is not None else None
        for value in group:
            ty = value.type
            if elements is None:
                if constraint is None or _accepts(constraint, ty):
                    continue
                if constraint == base(TensorType) and not isinstance(ty, TensorType):
                    return f"{what} must be a ranked tensor, got {ty}"
                return None  # another kind of constraint: xDSL's message says it best
            if not isinstance(ty, TensorType):
                return f"{what} must be a ranked tensor, got {ty}"
            elt = ty.element_type
            inner = elements
            if isinstance(elements, VarConstraint):
                if elements.name in bound:
                    if bound[elements.name] != elt:
                        return _explain_mismatch(op, values, elements.name)
                    continue
                bound[elements.name] = elt
                inner = elements.constraint
            if not _accepts(inner, elt):
                words = inner.message if isinstance(inner, MessageConstraint) else f"an element type satisfying {inner}"
                return f"{what} must have {words}, got {elt}"
    return None


def _explain_mismatch(op: IRDLOperation, values, var: str) -> str:
    """Names every operand/result that type variable `var` types (given or not: the
    rule is the op's), and the element types of those given."""
    names: list[str] = []
    types: set[str] = set()
    for name, constraint, group in values:
        elements = _element_constraint(constraint) if constraint is not None else None
        if not (isinstance(elements, VarConstraint) and elements.name == var):
            continue
        names.append(onnx_name(op, name))
        types |= {str(v.type.element_type) for v in group if isinstance(v.type, TensorType)}
    return f"{_join(names)} must share one element type, got {sorted(types)}"


@functools.cache
def _onnx_formal_names(op_type: str) -> dict[str, str]:
    """snake_case operand/result name -> the ONNX formal parameter name ("a" -> "A",
    "inv_std_dev" -> "InvStdDev"), from the ONNX schema of `op_type` ({} if none)."""
    try:
        import onnx.defs
    except ImportError:  # the dialect does not need onnx, only these messages do
        return {}
    try:
        schema = onnx.defs.get_schema(op_type)
    except onnx.defs.SchemaError:
        return {}
    names = [p.name for p in (*schema.inputs, *schema.outputs)]
    return {re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", n).lower(): n for n in names}


def onnx_name(op: Operation, def_name: str) -> str:
    """How ONNX spells operand/result `def_name` of `op`: the op's FORMAL_NAMES when it
    declares them, else its ONNX schema's (the def name for other ops)."""
    names = getattr(type(op), "FORMAL_NAMES", None)
    if names is not None:
        return names.get(def_name, def_name)
    if not op.name.startswith("onnx."):
        return def_name
    return _onnx_formal_names(op.name.removeprefix("onnx.")).get(def_name, def_name)


# ---- element-type categories ------------------------------------------------------
#
# The same categories as the sets above, for code that asks of a type (passes deciding
# whether a rewrite applies); op definitions use the IRDL sets.


def element_kind(ty: Attribute) -> str | None:
    """"float", "int", "bool" or None for an element type."""
    if is_float(ty):
        return "float"
    if is_bool(ty):
        return "bool"
    if is_integer(ty):
        return "int"
    return None


def is_float(ty: Attribute) -> bool:
    return isinstance(ty, AnyFloat)


def is_integer(ty: Attribute) -> bool:
    return isinstance(ty, IntegerType) and ty.width.data > 1


def is_bool(ty: Attribute) -> bool:
    return isinstance(ty, IntegerType) and ty.width.data == 1


def expect_index_type(op: Operation, value: SSAValue, what: str) -> None:
    ty = tensor_type(op, value, what).element_type
    if not (isinstance(ty, IntegerType) and ty.width.data in (32, 64)):
        raise fail(op, f"{what} must have element type i32 or i64, got {ty}")


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


def element_type_of(value: SSAValue) -> Attribute:
    """The element type of a tensor value (for typed constructors; verify names the op
    when the value is no tensor)."""
    ty = value.type
    if not isinstance(ty, TensorType):
        raise TypeError(f"expected a tensor value, got {ty}")
    return ty.element_type


def broadcast_type(op: Operation, inputs: Sequence[SSAValue], element_type: Attribute) -> TensorType:
    """The tensor type of the multidirectional broadcast of `inputs` (typed
    constructors of broadcasting ops)."""
    return TensorType(element_type, broadcast_shapes(op, [shape_of(op, v, "input") for v in inputs]))


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


def onnx_attribute(name: str, attr: Attribute):
    """The ONNX AttributeProto of a scalar, string or INTS/FLOATS property (the inverse
    of the importer's mapping). Tensor-valued properties need the weight table: see
    compiler/onnx_export.py. Raises NotImplementedError for other kinds."""
    from onnx import AttributeProto, helper  # export only: the dialect itself needs no onnx

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
