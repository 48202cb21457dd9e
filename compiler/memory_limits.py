"""Compile-time memory limits: a model whose tensors, or whose planned arena, would not
fit in memory is refused before anything that large is allocated and before LLVM runs.

`compile(..., max_memory_bytes=N)` sets the limit; the default is this machine's
physical memory. Two checks:
- while importing, every tensor of the graph (graph inputs and every node result): a
  1e13-element tensor or a huge ConstantOfShape is refused in milliseconds, before it
  is evaluated and before a graph pass could fold it into a weight;
- after memory planning, the arena (all intermediates live at once at its peak).
Both errors give the bytes needed, the limit, and the node (or input) responsible.
The first runs in the importer (`check_tensor` on every graph input and node result as
it is typed), the second after `plan-memory` (`check_arena`).
"""

from __future__ import annotations

import os

from xdsl.dialects import func, memref
from xdsl.dialects.builtin import IntegerAttr, MemRefType, ModuleOp, ShapedType, StringAttr, TensorType
from xdsl.ir import Attribute

from dialects.dtypes import numpy_dtype
from dialects.errors import MemoryLimitError, StrataError


def physical_memory_bytes() -> int:
    """Bytes of physical memory of this machine (the default limit)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system: no default limit
        return 1 << 62


def _human(n: int) -> str:
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def describe_bytes(n: int) -> str:
    """`40,000,000,000 bytes (37.3 GiB)`."""
    return f"{n:,} bytes ({_human(n)})"


def resolve_limit(max_memory_bytes: int | None) -> tuple[int, str]:
    """The limit in bytes and how to name it in an error."""
    if max_memory_bytes is None:
        limit = physical_memory_bytes()
        return limit, f"{describe_bytes(limit)}, this machine's physical memory; compile(..., max_memory_bytes=N) sets another limit"
    if isinstance(max_memory_bytes, bool) or not isinstance(max_memory_bytes, int) or max_memory_bytes <= 0:
        raise StrataError(f"max_memory_bytes must be a positive int (bytes), got {max_memory_bytes!r}")
    return max_memory_bytes, f"max_memory_bytes = {describe_bytes(max_memory_bytes)}"


def tensor_bytes(ty: Attribute) -> int:
    """Bytes a statically shaped tensor/memref takes (bools one byte each)."""
    if not isinstance(ty, ShapedType):
        return 0
    n = 1
    for d in ty.get_shape():
        n *= max(int(d), 0)
    element = ty.get_element_type()
    try:
        return n * numpy_dtype(element).itemsize
    except Exception:
        width = getattr(element, "bitwidth", None) or getattr(getattr(element, "width", None), "data", 8)
        return n * max(1, int(width) // 8)


def _describe_type(ty: Attribute) -> str:
    if isinstance(ty, (TensorType, MemRefType)):
        try:
            name = numpy_dtype(ty.get_element_type()).name
        except Exception:
            name = str(ty.get_element_type())
        return f"{name}{list(ty.get_shape())}"
    return str(ty)


def check_tensor(ty: Attribute, what: str, limit: tuple[int, str]) -> None:
    """Refuses (MemoryLimitError) a tensor type larger than `limit` (from resolve_limit);
    `what` names it ("ConstantOfShape node 'fill' produces", "graph input 'x' is")."""
    need = tensor_bytes(ty)
    if need > limit[0]:
        raise MemoryLimitError(
            f"{what} {_describe_type(ty)}: it needs {describe_bytes(need)}, more than the limit of {limit[1]}"
        )


def _largest_intermediate(module: ModuleOp, entry: func.FuncOp) -> tuple[int, str] | None:
    """(bytes, 'Op node 'name' (type)') of the largest arena view, named by the kernel
    that writes it first."""
    kernels = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
    best: tuple[int, str] | None = None
    for op in entry.body.block.ops:
        if not isinstance(op, memref.ViewOp):
            continue
        need = tensor_bytes(op.result.type)
        if best is not None and need <= best[0]:
            continue
        writer = next((u.operation for u in op.result.uses if isinstance(u.operation, func.CallOp)), None)
        what = _describe_type(op.result.type)
        if writer is not None:
            kernel = kernels.get(writer.callee.root_reference.data)
            attrs = kernel.attributes if kernel is not None else {}
            node = attrs.get("strata.onnx_node")
            kind = attrs.get("strata.onnx_op")
            if isinstance(node, StringAttr) and isinstance(kind, StringAttr):
                what = f"{kind.data} node '{node.data.split(',')[0]}' ({what})"
        best = (need, what)
    return best


def check_arena(module: ModuleOp, max_memory_bytes: int | None = None) -> None:
    """Refuses (MemoryLimitError) a planned loop-level module whose arena is larger than
    the limit."""
    entry = next((op for op in module.ops if isinstance(op, func.FuncOp) and "strata.entry" in op.attributes), None)
    if entry is None:
        return
    arena = entry.attributes.get("strata.arena_bytes")
    if not isinstance(arena, IntegerAttr):
        return
    need = arena.value.data
    limit, limit_text = resolve_limit(max_memory_bytes)
    if need <= limit:
        return
    largest = _largest_intermediate(module, entry)
    detail = f"; its largest buffer is the output of {largest[1]}, {describe_bytes(largest[0])}" if largest else ""
    raise MemoryLimitError(
        f"the planned arena (the intermediates live at once) needs {describe_bytes(need)}, more than the limit of "
        f"{limit_text}{detail}"
    )

