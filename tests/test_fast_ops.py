"""lowering/scalar.py and lowering/loop_builder.py build their hot ops with
`Operation.create`: each must be the op xDSL's typed constructor makes (same name,
operands, result types, properties), so the printed IR, the verifier and the translator
see no difference."""

from __future__ import annotations

import pytest
from xdsl.dialects import arith, math, memref
from xdsl.dialects.builtin import FloatAttr, IndexType, IntegerAttr, IntegerType, MemRefType, StridedLayoutAttr, f32, f64, i32
from xdsl.ir import Block

from lowering import scalar
from lowering.loop_builder import idx, span


def _same(ours, theirs) -> None:
    a, b = ours.owner, theirs.owner
    assert a.name == b.name
    assert list(a.operands) == list(b.operands)
    assert [r.type for r in a.results] == [r.type for r in b.results]
    assert dict(a.properties) == dict(b.properties) and dict(a.attributes) == dict(b.attributes)
    a.verify()


@pytest.mark.parametrize("ty", [f32, f64])
def test_float_ops_match_typed_constructors(ty):
    x, y, z = Block(arg_types=[ty, ty, ty]).args
    _same(scalar.add(x, y), arith.AddfOp(x, y).result)
    _same(scalar.sub(x, y), arith.SubfOp(x, y).result)
    _same(scalar.mul(x, y), arith.MulfOp(x, y).result)
    _same(scalar.div(x, y), arith.DivfOp(x, y).result)
    _same(scalar.neg(x), arith.NegfOp(x).result)
    _same(scalar.fma(x, y, z), math.FmaOp(x, y, z).result)
    _same(scalar.const(1.5, ty), arith.ConstantOp(FloatAttr(1.5, ty)).result)
    for kind, pred in (("eq", "oeq"), ("ne", "une"), ("lt", "olt"), ("le", "ole"), ("gt", "ogt"), ("ge", "oge")):
        _same(scalar.compare(kind, x, y), arith.CmpfOp(x, y, pred).result)
    c = arith.CmpfOp(x, y, "olt").result
    _same(scalar.select(c, x, y), arith.SelectOp(c, x, y).result)


@pytest.mark.parametrize("ty", [i32, IntegerType(8), IndexType()])
def test_int_ops_match_typed_constructors(ty):
    x, y = Block(arg_types=[ty, ty]).args
    _same(scalar.add(x, y), arith.AddiOp(x, y).result)
    _same(scalar.sub(x, y), arith.SubiOp(x, y).result)
    _same(scalar.mul(x, y), arith.MuliOp(x, y).result)
    _same(scalar.const(7, ty), arith.ConstantOp(IntegerAttr(7, ty)).result)
    for kind, pred in (("eq", "eq"), ("ne", "ne"), ("lt", "slt"), ("le", "sle"), ("gt", "sgt"), ("ge", "sge")):
        _same(scalar.compare(kind, x, y), arith.CmpiOp(x, y, pred).result)
    for kind, pred in (("lt", "ult"), ("le", "ule"), ("gt", "ugt"), ("ge", "uge")):
        _same(scalar.compare(kind, x, y, unsigned=True), arith.CmpiOp(x, y, pred).result)


def test_bool_and_wrapped_constants():
    i1, i8 = IntegerType(1), IntegerType(8)
    _same(scalar.const(True, i1), arith.ConstantOp(IntegerAttr(1, i1)).result)
    _same(scalar.const(200, i8), arith.ConstantOp(IntegerAttr(-56, i8)).result)  # unsigned bits, printed signed
    with pytest.raises(TypeError):
        scalar.const(1, arith.FastMathFlagsAttr("none"))


def test_span_matches_the_typed_subview():
    (m,) = Block(arg_types=[MemRefType(f32, [4, 100])]).args
    i = idx(2)
    ours = span(m, [i, 30], [1, 50])
    theirs = memref.SubviewOp(m, [i], [], [], [memref.DYNAMIC_INDEX, 30], [1, 50], [1, 1],
                              MemRefType(f32, [1, 50], StridedLayoutAttr([100, 1], None))).result
    _same(ours, theirs)
    static = span(m, [1, 30], [2, 50])  # no index operand: a static offset in the type
    _same(static, memref.SubviewOp(m, [], [], [], [1, 30], [2, 50], [1, 1],
                                   MemRefType(f32, [2, 50], StridedLayoutAttr([100, 1], 130))).result)
