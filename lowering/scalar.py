"""Scalar arithmetic on loop-level values, picking the arith/math op by element type.

Kernel lowerings call `add(a, b)` and get `arith.addf` or `arith.addi`; unsigned
behaviour (division, comparison, conversion) is asked for explicitly, because loop-level
integers are signless.
"""

from __future__ import annotations

from xdsl.dialects import arith, math
from xdsl.dialects.builtin import AnyFloat, FloatAttr, IndexType, IntegerAttr, IntegerType
from xdsl.ir import Attribute, Operation, SSAValue


def is_float(value_or_type: SSAValue | Attribute) -> bool:
    ty = value_or_type.type if isinstance(value_or_type, SSAValue) else value_or_type
    return isinstance(ty, AnyFloat)


def const(value: float | int | bool, ty: Attribute) -> SSAValue:
    """A scalar constant of loop-level type `ty` (float, signless int, i1 or index)."""
    if isinstance(ty, AnyFloat):
        attr: Attribute = FloatAttr(float(value), ty)
    elif isinstance(ty, IntegerType) and ty.width.data == 1:
        attr = IntegerAttr(1 if value else 0, ty)
    elif isinstance(ty, IntegerType):
        width = ty.width.data
        v = int(value)
        # Signless constants are printed signed; wrap unsigned bit patterns.
        if v >= 1 << (width - 1):
            v -= 1 << width
        attr = IntegerAttr(v, ty)
    elif isinstance(ty, IndexType):
        attr = IntegerAttr(int(value), ty)
    else:
        raise TypeError(f"no scalar constant of type {ty}")
    return arith.ConstantOp.create(properties={"value": attr}, result_types=[ty]).results[0]


_NO_FASTMATH = arith.FastMathFlagsAttr("none")


def fma(a: SSAValue, b: SSAValue, c: SSAValue) -> SSAValue:
    """a * b + c, fused (`math.fma`). Made with `create`, as loop_builder's hot ops are:
    the register tiles hold thousands of them."""
    return math.FmaOp.create(operands=[a, b, c], result_types=[c.type], properties={"fastmath": _NO_FASTMATH}).results[0]


# The ops below are made with `create` and the properties and result types their typed
# constructors give (the same ops; tests/test_fast_ops.py compares them): the
# unrolled tiles, epilogues and exp/tanh expansions make tens of thousands of them a
# model, and IRDL's argument processing was about a third of the loop lowering's time.
_NO_OVERFLOW = arith.IntegerOverflowAttr("none")


def _float_op(cls: type[Operation], *operands: SSAValue) -> SSAValue:
    return cls.create(operands=list(operands), result_types=[operands[0].type],
                      properties={"fastmath": _NO_FASTMATH}).results[0]


def _int_op(cls: type[Operation], a: SSAValue, b: SSAValue) -> SSAValue:
    return cls.create(operands=[a, b], result_types=[a.type], properties={"overflowFlags": _NO_OVERFLOW}).results[0]


def add(a: SSAValue, b: SSAValue) -> SSAValue:
    return _float_op(arith.AddfOp, a, b) if is_float(a) else _int_op(arith.AddiOp, a, b)


def sub(a: SSAValue, b: SSAValue) -> SSAValue:
    return _float_op(arith.SubfOp, a, b) if is_float(a) else _int_op(arith.SubiOp, a, b)


def mul(a: SSAValue, b: SSAValue) -> SSAValue:
    return _float_op(arith.MulfOp, a, b) if is_float(a) else _int_op(arith.MuliOp, a, b)


def div(a: SSAValue, b: SSAValue, unsigned: bool = False) -> SSAValue:
    """Float division, or integer division truncating toward zero (C and ONNX semantics)."""
    if is_float(a):
        return _float_op(arith.DivfOp, a, b)
    return (arith.DivUIOp(a, b) if unsigned else arith.DivSIOp(a, b)).result


def neg(a: SSAValue) -> SSAValue:
    if is_float(a):
        return _float_op(arith.NegfOp, a)
    return arith.SubiOp(const(0, a.type), a).result


def maximum(a: SSAValue, b: SSAValue, unsigned: bool = False) -> SSAValue:
    """max(a, b); NaN-propagating for floats, as numpy.maximum and onnxruntime."""
    if is_float(a):
        return arith.MaximumfOp(a, b).result
    return (arith.MaxUIOp(a, b) if unsigned else arith.MaxSIOp(a, b)).result


def minimum(a: SSAValue, b: SSAValue, unsigned: bool = False) -> SSAValue:
    if is_float(a):
        return arith.MinimumfOp(a, b).result
    return (arith.MinUIOp(a, b) if unsigned else arith.MinSIOp(a, b)).result


_FLOAT_PRED = {"eq": "oeq", "ne": "une", "lt": "olt", "le": "ole", "gt": "ogt", "ge": "oge"}
_INT_PRED = {"eq": "eq", "ne": "ne", "lt": "slt", "le": "sle", "gt": "sgt", "ge": "sge"}
_UINT_PRED = {"eq": "eq", "ne": "ne", "lt": "ult", "le": "ule", "gt": "ugt", "ge": "uge"}


# arith.cmpf / arith.cmpi predicate numbers (MLIR's, as xDSL's constructors map them).
_CMPF_CODE = {"oeq": 1, "ogt": 2, "oge": 3, "olt": 4, "ole": 5, "une": 13}
_CMPI_CODE = {"eq": 0, "ne": 1, "slt": 2, "sle": 3, "sgt": 4, "sge": 5, "ult": 6, "ule": 7, "ugt": 8, "uge": 9}
_I1 = IntegerType(1)


def compare(kind: str, a: SSAValue, b: SSAValue, unsigned: bool = False) -> SSAValue:
    """An i1 comparison; `kind` is one of eq, ne, lt, le, gt, ge."""
    if is_float(a):
        return arith.CmpfOp.create(operands=[a, b], result_types=[_I1], properties={
            "predicate": IntegerAttr(_CMPF_CODE[_FLOAT_PRED[kind]], 64), "fastmath": _NO_FASTMATH}).results[0]
    table = _UINT_PRED if unsigned else _INT_PRED
    return arith.CmpiOp.create(operands=[a, b], result_types=[_I1],
                               properties={"predicate": IntegerAttr(_CMPI_CODE[table[kind]], 64)}).results[0]


def select(cond: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
    return arith.SelectOp.create(operands=[cond, a, b], result_types=[a.type]).results[0]


def abs_(a: SSAValue) -> SSAValue:
    if is_float(a):
        return math.AbsFOp(a).result
    return math.AbsIOp(a).result


def to_index(v: SSAValue) -> SSAValue:
    """A signless integer value as `index` (sign-extending)."""
    if isinstance(v.type, IndexType):
        return v
    return arith.IndexCastOp(v, IndexType()).result


def from_index(v: SSAValue, ty: Attribute) -> SSAValue:
    if isinstance(ty, AnyFloat):
        return arith.SIToFPOp(arith.IndexCastOp(v, IntegerType(64)).result, ty).result
    return arith.IndexCastOp(v, ty).result


def convert(v: SSAValue, to: Attribute, src_unsigned: bool = False, dst_unsigned: bool = False) -> SSAValue:
    """ONNX Cast semantics between loop-level scalar types (float/int/i1)."""
    src = v.type
    if src == to:
        return v
    src_float, dst_float = isinstance(src, AnyFloat), isinstance(to, AnyFloat)
    if isinstance(to, IntegerType) and to.width.data == 1:
        return compare("ne", v, const(0, src))
    if src_float and dst_float:
        if to.bitwidth > src.bitwidth:  # type: ignore[attr-defined]
            return arith.ExtFOp(v, to).result
        return arith.TruncFOp(v, to).result
    if src_float:
        return (arith.FPToUIOp(v, to) if dst_unsigned else arith.FPToSIOp(v, to)).result
    assert isinstance(src, IntegerType)
    is_bool = src.width.data == 1
    if dst_float:
        return (arith.UIToFPOp(v, to) if (src_unsigned or is_bool) else arith.SIToFPOp(v, to)).result
    assert isinstance(to, IntegerType)
    if to.width.data > src.width.data:
        return (arith.ExtUIOp(v, to) if (src_unsigned or is_bool) else arith.ExtSIOp(v, to)).result
    return arith.TruncIOp(v, to).result
