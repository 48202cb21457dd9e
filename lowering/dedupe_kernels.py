"""The pass `dedupe-kernels`: kernels with identical bodies are compiled once.

Real models repeat themselves (ResNet's blocks, a transformer's layers): after
`convert-onnx-to-loops` many kernel functions differ only in their name. This pass keeps
the first of each group of identical kernels and points every call at it, so LLVM
compiles each distinct kernel once (LLVM time is most of the compile time).

A merged kernel serves several ONNX nodes, so which nodes one call runs belongs to the
call site: every call of a kernel that takes part in a merge carries the
`strata.onnx_node` / `strata.onnx_op` of the kernel it called before the merge (the
per-kernel profiler reports them per call).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import StringIO

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr, SymbolRefAttr
from xdsl.passes import ModulePass
from xdsl.printer import Printer


_CALL_SITE_ATTRS = ("strata.onnx_node", "strata.onnx_op")
_SSA_NAME = re.compile(r"%[A-Za-z0-9_.$-]+")


def _body_key(kernel: func.FuncOp) -> str:
    """The kernel's signature and body as text, without its name and attributes, and
    with SSA names (which carry ONNX value names) renumbered in order of appearance."""
    out = StringIO()
    printer = Printer(stream=out)
    printer.print_attribute(kernel.function_type)
    printer.print_region(kernel.body)
    names: dict[str, str] = {}
    return _SSA_NAME.sub(lambda m: names.setdefault(m.group(0), f"%{len(names)}"), out.getvalue())


def dedupe_kernels(module: ModuleOp) -> int:
    """Merges identical private kernels; returns how many were removed."""
    kernels = [op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_visibility == StringAttr("private")]
    first: dict[str, func.FuncOp] = {}
    replace: dict[str, func.FuncOp] = {}
    for kernel in kernels:
        keep = first.setdefault(_body_key(kernel), kernel)
        if keep is not kernel:
            replace[kernel.sym_name.data] = keep
    if not replace:
        return 0
    merged = set(replace) | {keep.sym_name.data for keep in replace.values()}
    by_name = {kernel.sym_name.data: kernel for kernel in kernels}
    for op in module.walk():
        if isinstance(op, func.CallOp) and op.callee.root_reference.data in merged:
            callee = by_name[op.callee.root_reference.data]
            for key in _CALL_SITE_ATTRS:
                if key in callee.attributes and key not in op.attributes:
                    op.attributes[key] = callee.attributes[key]
            if callee.sym_name.data in replace:
                op.callee = SymbolRefAttr(replace[callee.sym_name.data].sym_name)
    for kernel in kernels:
        if kernel.sym_name.data in replace:
            keep = replace[kernel.sym_name.data]
            # The kept kernel names every ONNX node it now serves.
            nodes = keep.attributes.get("strata.onnx_node")
            extra = kernel.attributes.get("strata.onnx_node")
            if nodes is not None and extra is not None:
                keep.attributes["strata.onnx_node"] = StringAttr(f"{nodes.data},{extra.data}")
            module.body.block.erase_op(kernel)
    return len(replace)


@dataclass(frozen=True)
class DedupeKernelsPass(ModulePass):
    """Keeps one copy of each group of identical kernel functions."""

    name = "dedupe-kernels"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        dedupe_kernels(op)
