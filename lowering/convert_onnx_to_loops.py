"""The pass `convert-onnx-to-loops`: graph-level `onnx` ops become loop nests over memrefs.

Each onnx op becomes one kernel `func.func` whose arguments are its operands' buffers
followed by its results' buffers (outputs are written in place, nothing is returned).
The graph function becomes the entry `func.func @main` with the unit attribute
`strata.entry`: its arguments are the graph inputs, then the graph outputs, then every
constant (weights reach machine code as pointers), as listed by its `strata.args`
attribute ("input:NAME", "output:NAME", "weight:HANDLE"), then, when a kernel checks
values at run time (indices), the status buffer ("status:BYTES", see
`lowering/runtime_checks.py`). Intermediates are `memref.alloc`ed in the entry and freed
at its end; the memory planner replaces that. Each kernel records what it runs:
`strata.onnx_node` (node names), `strata.onnx_op` (the op type, a display name such as
"Fused(Add,Relu)" for a group) and the unit attribute `strata.elementwise` when it is
one loop nest of elementwise ops (an op with the Elementwise trait, or a group that
`fuse-kernels` marked so), and `strata.view` when the op has the ShapeView trait (a
copy in the same element order): `plan-memory` reads both.

How one op becomes loops is decided by a table from op name to a lowering function
(`lowering/kernels/`), so a later lowering (a tiled GEMM, a fused group) replaces one
entry without touching the others. A second table says which constant operands a
kernel reads rearranged (the GEMM's B as panels, lowering/operand_packing.py): those are
packed here once per constant, passed as weights of their own ("weight:HANDLE.panels")
and the original weight leaves the entry's arguments when no kernel reads it any more.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import StringIO

import numpy as np
from xdsl.builder import ImplicitBuilder
from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseResourceAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    UnitAttr,
)
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.irdl import IRDLOperation
from xdsl.passes import ModulePass
from xdsl.printer import Printer

from dialects.weights import WeightTable, attr_array, weights_of
from dialects.onnx.base import node_name
from dialects.onnx.tensor import CONCAT_AXIS, ConstantOp
from dialects.onnx.traits import ShapeView, is_elementwise
from lowering.loop_builder import memref_type
from lowering.operand_packing import OperandPackings
from lowering.runtime_checks import SITES_ATTR, KernelChecks, StatusBuffer
from lowering.target import CpuTarget, host_target, target_for


from lowering.kernel_cache import KernelCache, value_digest
from lowering.kernel_context import KernelContext, KernelLowering, LoweringError, copy_kernel_body, describe
from lowering.kernels import KERNEL_LOWERINGS, KERNEL_PACKINGS


def _operand_values(op: IRDLOperation) -> list[SSAValue]:
    """Distinct operands in order (a value used twice is passed once)."""
    seen: list[SSAValue] = []
    for v in op.operands:
        if v not in seen:
            seen.append(v)
    return seen


_CALL_SITE_ATTRS = ("strata.onnx_node", "strata.onnx_op")  # as lowering/dedupe_kernels.py
_SSA_NAME = re.compile(r"%[A-Za-z0-9_.$-]+")


@dataclass
class _Kernel:
    func: func.FuncOp
    checks: KernelChecks
    first_call: func.CallOp
    calls: int = 0  # calls beyond the first


@dataclass
class DeferredKernels:
    """Concat kernels lower_graph declared without a body (plan-memory drops most of them:
    lowering/plan_memory.py, alias_concats): `build_deferred` lowers the ones still
    called. The graph function stays (detached) until then: their lowerings read its ops."""

    kernels: list[tuple[func.FuncOp, list[SSAValue], object]] = field(default_factory=list)
    graph: func.FuncOp | None = None


def _kernel_body(kblock: Block, keys: list[SSAValue], build) -> KernelChecks:
    """Lowers a kernel into `kblock` (its arguments stand for `keys`, graph values, in
    order): `build` gets that map and the kernel's KernelChecks; returns those."""
    checks = KernelChecks(kblock)
    kbuf = dict(zip(keys, kblock.args))
    for key, arg in kbuf.items():
        arg.name_hint = key.name_hint
    with ImplicitBuilder(kblock):
        build(kbuf, checks)
    kblock.add_op(func.ReturnOp())
    return checks


def build_deferred(deferred: DeferredKernels, kernel_cache: KernelCache | None = None) -> int:
    """Lowers the body of every deferred kernel that is still in its module; returns how
    many it lowered."""
    built = 0
    for kfunc, keys, build in deferred.kernels:
        if kfunc.parent is None:
            continue  # dropped by plan-memory
        if kernel_cache is not None:
            kernel_cache.lowering()
        kblock = Block(arg_types=list(kfunc.function_type.inputs.data))
        checks = _kernel_body(kblock, keys, build)
        if checks.sites:
            raise LoweringError(f"deferred kernel @{kfunc.sym_name.data} added run-time checks")
        kfunc.body.add_block(kblock)
        built += 1
    if deferred.graph is not None:
        deferred.graph.erase()
        deferred.graph = None
    deferred.kernels.clear()
    return built


class _ReadRecorder:
    """The weight table as a lowering sees it, noting which constants' values it reads
    (a kernel whose code depends on a constant's value is shared only with ops whose
    constant has the same value)."""

    def __init__(self, table: WeightTable):
        self._table = table
        self.read: list[str] = []

    def get(self, handle: str) -> np.ndarray:
        self.read.append(handle)
        return self._table.get(handle)

    def __contains__(self, handle: str) -> bool:
        return handle in self._table


class _SharedKernels:
    """Kernel sharing before lowering: an op whose printed form (SSA names renumbered),
    constant operands and the constant values its lowering read match an op lowered
    before calls that op's kernel instead of lowering (and translating, and compiling)
    the same code again (what `dedupe-kernels` did after lowering, without printing every
    kernel body; that pass is still there for opt-tool pipelines)."""

    def __init__(self, weights: WeightTable | None):
        self.weights = weights
        self.kernels: dict[str, list[tuple[_Kernel, dict[int, np.ndarray]]]] = {}

    def recorder(self):
        return _ReadRecorder(self.weights) if self.weights is not None else None

    @staticmethod
    def _constant(v: SSAValue):
        return v.owner if isinstance(v.owner, ConstantOp) else None

    def key(self, op: Operation) -> str:
        out = StringIO()
        Printer(stream=out).print_op(op)
        names: dict[str, str] = {}
        text = _SSA_NAME.sub(lambda m: names.setdefault(m.group(0), f"%{len(names)}"), out.getvalue())
        flags = []
        for v in op.operands:
            c = self._constant(v)
            if c is None:
                flags.append("v")
            elif isinstance(c.value, DenseResourceAttr):
                flags.append("r")  # its value matters only if read (checked in find)
            else:
                flags.append(f"c{c.value}")  # small inline constants: by value
        return text + "|" + ",".join(flags)

    def read_operands(self, op: Operation, reads: _ReadRecorder | None) -> tuple[tuple[int, str], ...] | None:
        """(operand index, value digest) of each constant operand the lowering read, in
        order; None when it read a constant that is not an operand (never cached)."""
        if reads is None:
            return None
        handles = self.constant_handles(op)
        out: dict[int, str] = {}
        for handle in reads.read:
            if handle not in handles:
                return None
            if handles[handle] not in out:
                out[handles[handle]] = value_digest(self.weights.get(handle))
        return tuple(sorted(out.items()))

    def operand_digest(self, op: Operation, index: int) -> str | None:
        """The value digest of operand `index` when it is a constant in the table."""
        if index >= len(op.operands):
            return None
        c = self._constant(op.operands[index])
        if c is None or not isinstance(c.value, DenseResourceAttr):
            return None
        return value_digest(self.weights.get(c.value.resource_handle.data))

    def constant_handles(self, op: Operation) -> dict[str, int]:
        out = {}
        for i, v in enumerate(op.operands):
            c = self._constant(v)
            if c is not None and isinstance(c.value, DenseResourceAttr):
                out.setdefault(c.value.resource_handle.data, i)
        return out

    def find(self, key: str, op: Operation) -> _Kernel | None:
        if self.weights is None:
            return None
        for kernel, values in self.kernels.get(key, ()):
            ok = True
            for i, value in values.items():
                c = self._constant(op.operands[i])
                other = self.weights.get(c.value.resource_handle.data)
                if other.dtype != value.dtype or other.shape != value.shape or not np.array_equal(other, value):
                    ok = False
                    break
            if ok:
                return kernel
        return None

    def add(self, key: str, op: Operation, kernel: _Kernel, reads: _ReadRecorder | None) -> None:
        if reads is None:
            return
        handles = self.constant_handles(op)
        values = {}
        for handle in reads.read:
            if handle not in handles:
                return  # it read a constant that is not an operand: never shared
            values[handles[handle]] = self.weights.get(handle)
        self.kernels.setdefault(key, []).append((kernel, values))


def _graph_function(module: ModuleOp) -> func.FuncOp:
    funcs = [op for op in module.ops if isinstance(op, func.FuncOp)]
    mains = [f for f in funcs if f.sym_name.data == "main"]
    if len(mains) != 1:
        raise LoweringError("expected exactly one graph function @main in the module")
    return mains[0]


def _kernel_symbol(index: int, op: Operation) -> str:
    base = op.name.removeprefix("onnx.").removeprefix("strata.")
    label = "".join(c if c.isalnum() or c == "_" else "_" for c in node_name(op))[:40]
    return f"k{index}_{base}" + (f"_{label}" if label and label != "_unnamed_" else "")


def lower_graph(
    module: ModuleOp, weights: WeightTable | None, table: dict[str, KernelLowering], target: CpuTarget | None = None,
    packings: dict[str, OperandPackings] | None = None, kernel_cache: KernelCache | None = None,
    deferred: DeferredKernels | None = None,
) -> None:
    """Rewrites `module` in place from the graph level to the loop/buffer level, with
    kernels for `target` (the host CPU by default); constant operands named by
    `packings` (op name -> OperandPackings) are packed for their kernels. With
    `kernel_cache` (lowering/kernel_cache.py), a kernel compiled before is declared
    instead of lowered (its object code is linked later), and the kernels lowered
    here are noted in it to be stored once compiled. With `deferred`, Concat kernels
    (not found in the cache) are only declared and noted there: build_deferred lowers
    those still called after plan-memory."""
    target = target or host_target()
    graph = _graph_function(module)
    body = graph.body.block
    ret = body.last_op
    assert isinstance(ret, func.ReturnOp)
    input_names = [a.data for a in graph.attributes["strata.input_names"].data] if "strata.input_names" in graph.attributes else [f"input{i}" for i in range(len(body.args))]
    output_names = [a.data for a in graph.attributes["strata.output_names"].data] if "strata.output_names" in graph.attributes else [f"output{i}" for i in range(len(ret.operands))]

    missing: dict[str, list[str]] = {}
    for op in body.ops:
        if isinstance(op, (ConstantOp, func.ReturnOp)):
            continue
        if op.name not in table:
            missing.setdefault(op.name, []).append(node_name(op))
    if missing:
        detail = "; ".join(f"{k} ({', '.join(v[:5])})" for k, v in sorted(missing.items()))
        raise LoweringError(f"no loop lowering for: {detail}")

    # Constants used by kernels or returned become entry arguments.
    constants = [op for op in body.ops if isinstance(op, ConstantOp) and op.output.uses]
    handles: list[str] = []
    for c in constants:
        attr = c.value
        if isinstance(attr, DenseResourceAttr):
            handles.append(attr.resource_handle.data)
        else:
            if weights is None:
                raise LoweringError("inline constants need a weight table to be lowered")
            handles.append(weights.add(f"const_{node_name(c)}", attr_array(attr, None)))
            # Lowerings read it from the table from now on, as every other constant, so
            # kernel sharing (_SharedKernels) sees when a kernel's code depends on it.
            c.properties["value"] = DenseResourceAttr.from_params(handles[-1], c.output.type)

    arg_types = (
        [memref_type(a.type) for a in body.args]
        + [memref_type(v.type) for v in ret.operands]
        + [memref_type(c.output.type) for c in constants]
    )
    entry = Block(arg_types=arg_types)
    n_in, n_out = len(body.args), len(ret.operands)
    buffer: dict[SSAValue, SSAValue] = {}
    for a, arg in zip(body.args, entry.args[:n_in]):
        buffer[a] = arg
        arg.name_hint = a.name_hint
    for c, arg in zip(constants, entry.args[n_in + n_out :]):
        buffer[c.output] = arg
        arg.name_hint = c.output.name_hint
    out_args = list(entry.args[n_in : n_in + n_out])
    for i, arg in enumerate(out_args):
        arg.name_hint = f"out{i}"

    # A graph output produced by an op is written straight into the caller's buffer.
    pending_copies: list[tuple[SSAValue, SSAValue]] = []
    for value, arg in zip(ret.operands, out_args):
        if value in buffer or isinstance(value.owner, (ConstantOp, Block)):
            pending_copies.append((value, arg))
        else:
            buffer[value] = arg

    kernels: list[func.FuncOp] = []
    allocs: list[SSAValue] = []
    status = StatusBuffer(entry)
    index = 0

    def emit_kernel(name: str, keys: list[SSAValue], args: list[SSAValue], build, attrs: dict, cached=None,
                    defer: bool = False):
        """One kernel func.func over the entry buffers `args`; `build` gets a map from
        `keys` (graph values) to the kernel's block arguments, and the kernel's
        KernelChecks (which may add status arguments after those). `cached` (a
        CachedKernel): only a declaration, with the status arguments of its sites."""
        kblock = Block(arg_types=[a.type for a in args])
        lowered = cached is None and not defer
        if lowered:
            checks = _kernel_body(kblock, keys, build)
        else:  # a declaration: cached, or deferred (build_deferred lowers it if still called)
            checks = KernelChecks(kblock)
            if cached is not None:
                checks.add_sites(cached.sites)
        types = [a.type for a in kblock.args]
        kfunc = func.FuncOp(name, (types, []), Region(kblock if lowered else []), visibility="private")
        if defer:
            assert deferred is not None
            deferred.kernels.append((kfunc, keys, build))
        kfunc.attributes.update(attrs)
        kernels.append(kfunc)
        with ImplicitBuilder(entry):
            node = attrs["strata.onnx_node"].data if "strata.onnx_node" in attrs else ""
            extra = status.views(checks, attrs["strata.onnx_op"].data, node)
            call = func.CallOp(name, [*args, *extra], [])
        return kfunc, checks, call

    # Ops that would lower to the same kernel share one (see _SharedKernels).
    shared = _SharedKernels(weights)

    packed_args: dict[tuple[str, str], SSAValue] = {}  # (constant's handle, packing) -> entry argument
    replaced: set[SSAValue] = set()  # entry arguments of constants some kernel reads packed

    def packed_operands(op: IRDLOperation, how_packed: list[str]) -> dict[SSAValue, SSAValue]:
        """Graph value -> the entry argument of its packed form, for this op's kernel;
        appends to `how_packed` each packing's operand index, suffix and shape."""
        hook = (packings or {}).get(op.name)
        if hook is None or weights is None:
            return {}
        out = {}
        for value, how in hook(op, lambda v: isinstance(v.owner, ConstantOp), target).items():
            c = value.owner
            assert isinstance(c, ConstantOp) and isinstance(c.value, DenseResourceAttr)
            handle = c.value.resource_handle.data
            if (handle, how.suffix) not in packed_args:
                array = how.pack(weights.get(handle))
                assert array.shape == how.shape, (array.shape, how.shape)
                new = weights.add(f"{handle}.{how.suffix}", array)
                arg = entry.insert_arg(MemRefType(c.output.type.element_type, how.shape), len(entry.args))
                arg.name_hint = f"{c.output.name_hint or 'w'}_{how.suffix}"
                arg_types.append(arg.type)
                handles.append(new)
                packed_args[(handle, how.suffix)] = arg
            out[value] = packed_args[(handle, how.suffix)]
            replaced.add(buffer[value])
            how_packed.append(f"{list(op.operands).index(value)}:{how.suffix}:{how.shape}")
        return out

    def call_shared(kernel: _Kernel, args: list[SSAValue], attrs: dict) -> None:
        node = attrs.get("strata.onnx_node")
        if not kernel.calls:  # the first call names its node once the kernel serves several
            for key in _CALL_SITE_ATTRS:
                if key in kernel.func.attributes:
                    kernel.first_call.attributes[key] = kernel.func.attributes[key]
        kernel.calls += 1
        with ImplicitBuilder(entry):
            extra = status.views(kernel.checks, attrs["strata.onnx_op"].data, node.data if node else "")
            call = func.CallOp(kernel.func.sym_name.data, [*args, *extra], [])
        for key in _CALL_SITE_ATTRS:
            if key in attrs:
                call.attributes[key] = attrs[key]
        nodes = kernel.func.attributes.get("strata.onnx_node")
        if nodes is not None and node is not None:
            kernel.func.attributes["strata.onnx_node"] = StringAttr(f"{nodes.data},{node.data}")

    for op in list(body.ops):
        if isinstance(op, (ConstantOp, func.ReturnOp)):
            continue
        assert isinstance(op, IRDLOperation)
        for r in op.results:
            if r not in buffer:
                with ImplicitBuilder(entry):
                    alloc = memref.AllocOp.get(memref_type(r.type).element_type, 64, r.type.get_shape())
                alloc.memref.name_hint = r.name_hint
                buffer[r] = alloc.memref
                allocs.append(alloc.memref)
        operands = _operand_values(op)
        lowering = table[op.name]

        reads = shared.recorder()

        def build(kbuf, checks, op=op, lowering=lowering, reads=reads):
            lowering(KernelContext(op, kbuf, reads, checks, target, table))

        attrs = {"strata.onnx_node": StringAttr(node_name(op)), "strata.onnx_op": StringAttr(op.name.removeprefix("onnx."))}
        if is_elementwise(op):
            attrs["strata.elementwise"] = UnitAttr()
        if op.has_trait(ShapeView):
            attrs["strata.view"] = UnitAttr()
        # Ops that stand for several graph ops (kernel groups) name them themselves.
        attrs.update(getattr(op, "kernel_attributes", dict)())
        keys = operands + list(op.results)
        try:
            how_packed: list[str] = []
            packed = packed_operands(op, how_packed)
            args = [packed.get(k, buffer[k]) for k in keys]
            key = shared.key(op)
            kernel = shared.find(key, op)
            if kernel is not None:
                call_shared(kernel, args, attrs)
                continue  # no new kernel: the index stays
            name = _kernel_symbol(index, op)
            cache_key = cached = None
            if kernel_cache is not None and weights is not None:
                cache_key = kernel_cache.key(key, [str(a.type) for a in args], how_packed)
                cached = kernel_cache.lookup(cache_key, lambda i, op=op: shared.operand_digest(op, i))
            defer = deferred is not None and cached is None and CONCAT_AXIS in attrs
            if kernel_cache is not None and cached is None and "strata.view" not in attrs and not defer:
                kernel_cache.lowering()  # (a view's copy is mostly planned away, never compiled)
            kfunc, checks, call = emit_kernel(name, keys, args, build, attrs, cached, defer)
            if cached is not None:
                kernel_cache.hit(name, cached)
                # As if lowered: the kernel read the values the cached one read.
                by_index = {i: h for h, i in shared.constant_handles(op).items()}
                reads = shared.recorder()
                reads.read = [by_index[i] for i, _ in cached.reads]
            elif cache_key is not None:
                read = shared.read_operands(op, reads)
                if read is not None:
                    kernel_cache.miss(name, cache_key, read, [message for _, message in checks.sites])
            shared.add(key, op, _Kernel(kfunc, checks, call), reads)
        except LoweringError:
            raise
        except Exception as e:
            raise LoweringError(f"{describe(op)}: {type(e).__name__}: {e}") from e
        index += 1

    for value, arg in pending_copies:
        def build(kbuf, checks, value=value, arg=arg):
            copy_kernel_body(kbuf[value], kbuf[arg])

        emit_kernel(f"k{index}_copy_output", [value, arg], [buffer[value], arg], build, {"strata.onnx_op": StringAttr("Identity"), "strata.elementwise": UnitAttr()})
        index += 1

    with ImplicitBuilder(entry):
        for a in allocs:
            memref.DeallocOp.get(a)
        func.ReturnOp()

    # Constants every kernel reads packed are no longer arguments (nor in an artifact).
    first_weight = n_in + n_out
    for arg in sorted(replaced, key=lambda a: a.index, reverse=True):
        if not arg.uses:
            del arg_types[arg.index], handles[arg.index - first_weight]
            entry.erase_arg(arg)

    kinds = (
        [StringAttr(f"input:{n}") for n in input_names]
        + [StringAttr(f"output:{n}") for n in output_names]
        + [StringAttr(f"weight:{h}") for h in handles]
    )
    status_arg = status.finish()
    if status_arg is not None:
        arg_types.append(status_arg[0])
        kinds.append(StringAttr(status_arg[1]))
    main = func.FuncOp("main", (arg_types, []), Region(entry))
    main.attributes["strata.entry"] = UnitAttr()
    main.attributes["strata.args"] = ArrayAttr(kinds)
    if status_arg is not None:
        main.attributes[SITES_ATTR] = status_arg[2]
    if deferred is not None and deferred.kernels:
        module.body.block.detach_op(graph)
        deferred.graph = graph
    else:
        module.body.block.erase_op(graph)
    module.body.block.add_ops([*kernels, main])


@dataclass(frozen=True)
class ConvertOnnxToLoopsPass(ModulePass):
    """Lowers the graph function to one kernel func.func per onnx op plus an entry.
    `cpu` names the CPU the kernels are for (an LLVM CPU name, lowering/target.py);
    empty: the host."""

    name = "convert-onnx-to-loops"

    cpu: str = ""
    # Pack constant operands for their kernels (the GEMM's B panels); false keeps every
    # kernel reading the constants as they are (A/B measurements, lit tests).
    pack_weights: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        lower_graph(op, weights_of(ctx), KERNEL_LOWERINGS, target_for(self.cpu or None),
                    KERNEL_PACKINGS if self.pack_weights else None)
