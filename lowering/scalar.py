"""Scalar arithmetic on loop-level values, picking the arith/math op by element type.

Kernel lowerings call `add(a, b)` and get `arith.addf` or `arith.addi`; unsigned
behaviour (division, comparison, conversion) is asked for explicitly, because loop-level
integers are signless.
"""

from __future__ import annotations

from xdsl.dialects import arith, math
from xdsl.dialects.builtin import AnyFloat, FloatAttr, IndexType, IntegerAttr, IntegerType
from xdsl.ir import Attribute, SSAValue


def is_float(value_or_type: SSAValue | Attribute) -> bool:
    ty = value_or_type.type if isinstance(value_or_type, SSAValue) else value_or_type
    return isinstance(ty, AnyFloat)


def const(value: float | int | bool, ty: Attribute) -> SSAValue:
    """A scalar constant of loop-level type `ty` (float, signless int, i1 or index)."""
    if isinstance(ty, AnyFloat):
        return arith.ConstantOp(FloatAttr(float(value), ty)).result
    if isinstance(ty, IntegerType) and ty.width.data == 1:
        return arith.ConstantOp(IntegerAttr(1 if value else 0, ty)).result
    if isinstance(ty, IntegerType):
        width = ty.width.data
        v = int(value)
        # Signless constants are printed signed; wrap unsigned bit patterns.
        if v >= 1 << (width - 1):
            v -= 1 << width
        return arith.ConstantOp(IntegerAttr(v, ty)).result
    if isinstance(ty, IndexType):
        return arith.ConstantOp(IntegerAttr(int(value), ty)).result
    raise TypeError(f"no scalar constant of type {ty}")


_NO_FASTMATH = arith.FastMathFlagsAttr("none")


def fma(a: SSAValue, b: SSAValue, c: SSAValue) -> SSAValue:
    """a * b + c, fused (`math.fma`). Made with `create`, as loop_builder's hot ops are:
    the register tiles hold thousands of them."""
    return math.FmaOp.create(operands=[a, b, c], result_types=[c.type], properties={"fastmath": _NO_FASTMATH}).results[0]


def add(a: SSAValue, b: SSAValue) -> SSAValue:
    return (arith.AddfOp(a, b) if is_float(a) else arith.AddiOp(a, b)).result


def sub(a: SSAValue, b: SSAValue) -> SSAValue:
    return (arith.SubfOp(a, b) if is_float(a) else arith.SubiOp(a, b)).result


def mul(a: SSAValue, b: SSAValue) -> SSAValue:
    return (arith.MulfOp(a, b) if is_float(a) else arith.MuliOp(a, b)).result


def div(a: SSAValue, b: SSAValue, unsigned: bool = False) -> SSAValue:
    """Float division, or integer division truncating toward zero (C and ONNX semantics)."""
    if is_float(a):
        return arith.DivfOp(a, b).result
    return (arith.DivUIOp(a, b) if unsigned else arith.DivSIOp(a, b)).result


def neg(a: SSAValue) -> SSAValue:
    if is_float(a):
        return arith.NegfOp(a).result
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


def compare(kind: str, a: SSAValue, b: SSAValue, unsigned: bool = False) -> SSAValue:
    """An i1 comparison; `kind` is one of eq, ne, lt, le, gt, ge."""
    if is_float(a):
        return arith.CmpfOp(a, b, _FLOAT_PRED[kind]).result
    table = _UINT_PRED if unsigned else _INT_PRED
    return arith.CmpiOp(a, b, table[kind]).result


def select(cond: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
    return arith.SelectOp(cond, a, b).result


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
