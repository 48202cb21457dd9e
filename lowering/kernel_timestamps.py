"""The pass `insert-kernel-timestamps`: the entry reads a clock between kernel calls.

This is the profiled variant of a planned entry (`CompiledModel.profile()` builds it on
its first call; a normal compile never runs this pass). The kernels are untouched: the
entry calls the same kernel functions in the same order, and before the first call and
after every call it calls libc's `clock_gettime(CLOCK_MONOTONIC, ...)`, which writes a
`struct timespec` (two i64: seconds, nanoseconds) into slot i of a timestamps buffer.
The buffer arrives as a new last entry argument `memref<16*(N+1) x i8>`, listed in
`strata.args` as "timestamps:N+1" for N kernel calls; kernel call i ran between slots i
and i + 1. The clock is the one Python's `time.monotonic_ns()` reads, so times from
machine code and from Python share a time base.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    ArrayAttr,
    FunctionType,
    IndexType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    i8,
    i32,
    i64,
)
from xdsl.dialects import memref
from xdsl.passes import ModulePass

from lowering.plan_memory import entry_function

CLOCK_FUNCTION = "clock_gettime"
TIMESPEC_BYTES = 16  # struct timespec on LP64: i64 tv_sec, i64 tv_nsec
TIMESTAMPS_KIND = "timestamps"


def insert_kernel_timestamps(module: ModuleOp) -> list[func.CallOp]:
    """Rewrites the entry of `module` as described above; returns its kernel calls in
    call order (call i is timed by timestamp slots i and i + 1)."""
    entry = entry_function(module)
    if entry is None:
        raise ValueError("the module has no entry function (strata.entry)")
    kinds = [a.data for a in entry.attributes["strata.args"].data] if "strata.args" in entry.attributes else []
    if any(k.startswith(TIMESTAMPS_KIND + ":") for k in kinds):
        raise ValueError("the entry reads timestamps already")
    block = entry.body.block
    calls = [op for op in block.ops if isinstance(op, func.CallOp)]
    slots = len(calls) + 1

    stamp_type = MemRefType(i64, [2])
    if not any(isinstance(op, func.FuncOp) and op.sym_name.data == CLOCK_FUNCTION for op in module.ops):
        module.body.block.add_op(func.FuncOp.external(CLOCK_FUNCTION, [i32, stamp_type], [i32]))

    buffer_type = MemRefType(i8, [TIMESPEC_BYTES * slots])
    buffer = block.insert_arg(buffer_type, len(block.args))
    buffer.name_hint = "timestamps"
    entry.function_type = FunctionType.from_lists(
        [*entry.function_type.inputs.data, buffer_type], list(entry.function_type.outputs.data)
    )
    entry.attributes["strata.args"] = ArrayAttr([StringAttr(k) for k in kinds] + [StringAttr(f"{TIMESTAMPS_KIND}:{slots}")])

    first = block.first_op
    assert first is not None  # an entry ends in func.return at least
    clock_id = arith.ConstantOp(IntegerAttr(time.CLOCK_MONOTONIC, i32))
    clock_id.result.name_hint = "clock_monotonic"
    block.insert_op_before(clock_id, first)

    def stamp(slot: int) -> list:
        offset = arith.ConstantOp(IntegerAttr(TIMESPEC_BYTES * slot, IndexType()))
        view = memref.ViewOp(buffer, offset.result, [], stamp_type)
        view.result.name_hint = f"t{slot}"
        return [offset, view, func.CallOp(CLOCK_FUNCTION, [clock_id.result, view.result], [i32])]

    block.insert_ops_before(stamp(0), calls[0] if calls else block.last_op)
    for slot, call in enumerate(calls, start=1):
        block.insert_ops_after(stamp(slot), call)
    return calls


@dataclass(frozen=True)
class InsertKernelTimestampsPass(ModulePass):
    """Makes the entry record a clock reading before the first and after every kernel call."""

    name = "insert-kernel-timestamps"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        insert_kernel_timestamps(op)
