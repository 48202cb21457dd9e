"""Builds the profiled variant of a compiled model's entry (for `CompiledModel.profile`).

`compile()` keeps the planned loop-level module and hands `CompiledModel` a callable that
runs this on the first `profile()` call: `insert-kernel-timestamps` on the module, then
compile()'s own translation and LLVM steps, so the kernels are the same
LLVM IR compiled the same way and only the entry gains its clock reads. What each call
runs comes from the call sites (`strata.onnx_node` of the call when `dedupe-kernels`
merged its kernel, else of the kernel), FLOPs from the graph level (`compiler/op_flops.py`,
by node name), bytes from the call's buffer types.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import IndexType, MemRefType, ModuleOp
from xdsl.ir import Attribute

from lowering.kernel_timestamps import TIMESTAMPS_KIND, insert_kernel_timestamps
from lowering.loops_to_llvm import ENTRY_SYMBOL
from lowering.plan_memory import entry_function
from runtime.profiler import KernelCall, ProfiledEntry


def _element_bytes(t: Attribute) -> int:
    if isinstance(t, IndexType):
        return 8
    return max(1, int(getattr(t, "bitwidth", 32)) // 8)  # i1 is a byte in memory


def _buffer_bytes(t: Attribute) -> int:
    if not isinstance(t, MemRefType):
        return 0
    return prod(t.get_shape()) * _element_bytes(t.element_type)


def _call_attr(call: func.CallOp, kernel: func.FuncOp | None, key: str) -> str:
    attr = call.attributes.get(key) or (kernel.attributes.get(key) if kernel is not None else None)
    return getattr(attr, "data", "") if attr is not None else ""


def build_profiled_entry(
    module: ModuleOp, machine_code: Callable[[ModuleOp], Any], flops_by_node: dict[str, float]
) -> ProfiledEntry:
    """Rewrites `module` (a planned loop-level module, used for nothing else afterwards)
    into the profiled variant and compiles it with `machine_code` (compile()'s own
    translation and JIT steps: loop module -> JitModule)."""
    calls = insert_kernel_timestamps(module)
    kernels = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
    records = []
    for call in calls:
        name = call.callee.root_reference.data
        kernel = kernels.get(name)
        nodes = tuple(n for n in _call_attr(call, kernel, "strata.onnx_node").split(",") if n)
        flops = sum(flops_by_node.get(n, 0.0) for n in nodes)
        nbytes = sum(_buffer_bytes(v.type) for v in dict.fromkeys(call.operands))
        op = _call_attr(call, kernel, "strata.onnx_op") or "?"
        records.append(KernelCall(name, op, nodes, flops or None, nbytes))
    entry = entry_function(module)
    assert entry is not None
    kinds = [a.data for a in entry.attributes["strata.args"].data]
    slot = next(i for i, k in enumerate(kinds) if k.startswith(TIMESTAMPS_KIND + ":"))
    jit = machine_code(module)
    return ProfiledEntry(jit, ENTRY_SYMBOL, slot, tuple(records))
