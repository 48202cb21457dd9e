"""compiler.pattern_log.erase_dead_ops, the clean-up after every pattern walk of the graph
passes: it removes what xDSL's region_dce removes on acyclic graphs (checked on the same
IR), users before their operands, and keeps ops with effects and everything used."""

from __future__ import annotations

from xdsl.context import Context
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import Builtin
from xdsl.parser import Parser
from xdsl.transforms.dead_code_elimination import region_dce

from compiler.pattern_log import erase_dead_ops

IR = """
func.func @main(%a: i32, %m: memref<4xi32>) -> i32 {
  %c1 = arith.constant 1 : i32
  %dead1 = arith.addi %a, %c1 : i32
  %dead2 = arith.muli %dead1, %dead1 : i32
  %dead3 = arith.subi %dead2, %a : i32
  %i = arith.constant 0 : index
  memref.store %a, %m[%i] : memref<4xi32>
  %live = arith.addi %a, %a : i32
  func.return %live : i32
}
"""


def _parse():
    ctx = Context()
    for d in (Builtin, func.Func, arith.Arith, memref.MemRef):
        ctx.load_dialect(d)
    return Parser(ctx, IR).parse_module()


def _ops(module):
    return [op.name for op in module.walk()]


def test_erase_dead_ops_matches_region_dce():
    ours, theirs = _parse(), _parse()
    assert erase_dead_ops(ours.body)
    region_dce(theirs.body)
    assert str(ours) == str(theirs)
    names = _ops(ours)
    # the dead chain went in one walk; the store (an effect) and what it uses stayed
    assert "arith.muli" not in names and "arith.subi" not in names and names.count("arith.addi") == 1
    assert "memref.store" in names and "arith.constant" in names
    assert not erase_dead_ops(ours.body)  # nothing left to erase: False
