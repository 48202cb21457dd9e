"""The kernel of a `strata.FusedKernel` group: one loop nest for the whole group.

Elementwise groups: one loop nest over the iteration shape (the shape of every group
output); each external input is loaded once per element, with broadcast indices when it
is smaller; each op's scalar body (`SCALAR_BODIES` of elementwise.py, the same bodies the
one-op kernels use) is applied to the values in registers; each group output is stored
once. No buffer is allocated for an intermediate.

Groups with a reduction-like anchor (Softmax, LayerNormalization, ReduceX, ...): the
anchor's own lowering writes its loops. Every load of its data input, when that input
is computed by elementwise producers in the group (the prologue), is replaced by the
producer chain recomputed at that position (a Softmax reads its input three times, so
a cheap chain is recomputed three times instead of written and read back once). Every
store of its first result is rewritten in place: the elementwise epilogue runs on the stored value (other inputs
loaded at the same position, broadcast) and the group outputs are stored there. The
anchor's result is still stored when it is used outside the group; otherwise it goes
nowhere. This relies on the anchor storing each element of that result exactly once
and never reading it back (true of the anchors `fuse-kernels` accepts; checked here as
far as the IR shows it: every use of the buffer must be a store).

Pooling anchors (MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool) take the same
route: their kernels load the data input at each window tap and store each output
element once, so the prologue is recomputed at each tap (an element read by two
overlapping windows recomputes the chain twice) and the epilogue runs at the store. So
does the blocked strata.ConvNCHWc, with an epilogue only: it stores each element of y
once, from its lane loop after the register tile.

Compute anchors (Conv, MatMul, Gemm, strata.FusedConv / FusedMatMul / FusedGemm) go
through their kernel's epilogue callback instead (`lower_conv(kc, epilogue)`, ...), so
whatever the kernel does before its final store (a Gemm accumulating in its output
buffer, register tiles) stays its own business: the callback gets the final value and
its output indices, loads the other inputs there (broadcast), runs the elementwise chain
in registers, stores every group output but one, and returns that one, which the kernel
stores into the buffer it was given as its result: the anchor's own buffer when its
result is a group output, else that group output's buffer (same shape and element type:
`fuse-kernels` only accepts epilogues that keep the anchor's type). A fused op's own
epilogue (residual, bias, activation) runs first, as in lowering/kernels/fused_ops.py.

Results are exact: the same scalar bodies on the same values, in the same element type.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from xdsl.builder import Builder, ImplicitBuilder
from xdsl.dialects import memref
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import InsertPoint

from dialects.onnx.constants import constant_value
from dialects.shapes import tensor_shape as _shape
from dialects.strata.kernel_group import FusedKernelOp
from lowering.kernels.conv import Epilogue, Index, lower_conv
from lowering.kernels.elementwise import SCALAR_BODIES, read_operands
from lowering.kernels import fused_ops, matmul
from lowering.kernels.fused_ops import lower_fused_conv, lower_fused_gemm, lower_fused_matmul
from lowering.kernels.matmul import lower_gemm, lower_matmul
from lowering.loop_builder import broadcast_indices, load, memref_type, parallel_nest, store
from lowering.kernel_context import KernelContext, KernelLowering, LoweringError, describe
from lowering.operand_packing import OperandPacking, OperandPackings
from lowering.target import CpuTarget


@dataclass
class _InnerContext(KernelContext):
    """The KernelContext of an op inside a group: its operands are block arguments,
    so compile-time constants are looked up through the group's operands."""

    outer: dict[SSAValue, SSAValue] = field(default_factory=dict)
    stores_rewritten = True

    def const(self, name: str) -> np.ndarray | None:
        v = self._value(name)
        return None if v is None else constant_value(self.outer.get(v, v), self.weights)


def _apply(ops: Sequence[Operation], values: dict[SSAValue, SSAValue]) -> None:
    """Runs each op's scalar body on `values` (graph value -> loop-level value)."""
    for op in ops:
        values[op.results[0]] = SCALAR_BODIES[op.name](op, [values[v] for v in read_operands(op)])


def _load_inputs(
    args: Sequence[SSAValue],
    buffers: dict[SSAValue, SSAValue],
    ivs: Sequence[SSAValue],
    shape: Sequence[int],
    values: dict[SSAValue, SSAValue],
) -> None:
    for arg in args:
        if arg not in values:
            values[arg] = load(buffers[arg], broadcast_indices(ivs, _shape(arg), shape))


def _used_args(ops: Sequence[Operation], args: Sequence[SSAValue]) -> list[SSAValue]:
    used = {v for op in ops for v in read_operands(op)}
    return [a for a in args if a in used]


def lower_fused_kernel(kc: KernelContext) -> None:
    group = kc.op
    assert isinstance(group, FusedKernelOp)
    block = group.body.block
    ops = group.inner_ops()
    buffers = {arg: kc.buffers[v] for arg, v in zip(block.args, group.operands)}
    yielded = list(group.yield_op().operands)
    for v, r in zip(yielded, group.results):
        buffers[v] = kc.buffers[r]
    anchors = [op for op in ops if op.name not in SCALAR_BODIES]
    if not anchors:
        shape = _shape(yielded[0])
        with parallel_nest(shape) as ivs:
            values: dict[SSAValue, SSAValue] = {}
            _load_inputs(_used_args(ops, block.args), buffers, ivs, shape, values)
            _apply(ops, values)
            for v in yielded:
                store(values[v], buffers[v], ivs)
        return
    if len(anchors) != 1:
        raise LoweringError(f"{describe(group)}: a kernel group has at most one non-elementwise op")
    if anchors[0].name in CALLBACK_LOWERINGS:
        _lower_with_callback(kc, group, anchors[0], ops, buffers, yielded)
    else:
        _lower_with_epilogue(kc, group, anchors[0], ops, buffers, yielded)


# ---- compute anchors: the kernel's epilogue callback ----------------------------------


# Kernels that take an epilogue callback (value, output indices) -> value to store.
CALLBACK_LOWERINGS: dict[str, Callable[[KernelContext, Epilogue], None]] = {
    "onnx.Conv": lower_conv,
    "onnx.MatMul": lower_matmul,
    "onnx.Gemm": lower_gemm,
    "strata.FusedConv": lower_fused_conv,
    "strata.FusedGemm": lower_fused_gemm,
    "strata.FusedMatMul": lower_fused_matmul,
}


def _lower_with_callback(
    kc: KernelContext,
    group: FusedKernelOp,
    anchor: Operation,
    ops: list[Operation],
    buffers: dict[SSAValue, SSAValue],
    yielded: list[SSAValue],
) -> None:
    block = group.body.block
    if _ancestors_in_group(anchor, ops):
        raise LoweringError(f"{describe(group)}: {anchor.name} takes no producers in its group")
    epilogue_ops = [op for op in ops if op is not anchor]
    result = anchor.results[0]
    shape = _shape(result)
    if result in yielded:
        primary = result
    else:
        primary = next((v for v in yielded if v.type == result.type), None)
        if primary is None:
            raise LoweringError(f"{describe(group)}: no group output has the type of the {anchor.name} result")
        # The kernel stores (a Gemm also accumulates) into the primary output's buffer.
        buffers[result] = buffers[primary]
    args = _used_args(epilogue_ops, block.args)
    others = [v for v in yielded if v is not primary]

    def epilogue(value: SSAValue, out_idx: Sequence[Index]) -> SSAValue:
        values: dict[SSAValue, SSAValue] = {result: value}
        _load_inputs(args, buffers, out_idx, shape, values)  # type: ignore[arg-type]
        _apply(epilogue_ops, values)
        for v in others:
            store(values[v], buffers[v], out_idx)
        return values[primary]

    akc = _InnerContext(anchor, buffers, kc.weights, kc.checks, kc.target, outer=dict(zip(block.args, group.operands)))  # type: ignore[arg-type]
    CALLBACK_LOWERINGS[anchor.name](akc, epilogue)


def _lower_with_epilogue(
    kc: KernelContext,
    group: FusedKernelOp,
    anchor: Operation,
    ops: list[Operation],
    buffers: dict[SSAValue, SSAValue],
    yielded: list[SSAValue],
) -> None:
    block = group.body.block
    prologue = _ancestors_in_group(anchor, ops)
    epilogue = [op for op in ops if op is not anchor and op not in prologue]
    result = anchor.results[0]
    shape = _shape(result)
    placeholder = None
    if result not in buffers:
        # The anchor's lowering needs a buffer to store into; every store to it is
        # rewritten below, and the placeholder is then removed.
        placeholder = memref.AllocaOp.get(memref_type(result.type).element_type, None, shape)
        buffers[result] = placeholder.memref
    for r in anchor.results[1:]:
        if r not in buffers:
            raise LoweringError(f"{describe(group)}: {anchor.name} result {r.name_hint} is neither used in the group nor an output")
    data = anchor.operands[0]
    data_placeholder = None
    if prologue:
        # The anchor reads its data input from a placeholder; each load is replaced by
        # the producer chain recomputed at that position.
        if data.owner not in prologue:
            raise LoweringError(f"{describe(group)}: only the data input of {anchor.name} may be computed in the group")
        data_placeholder = memref.AllocaOp.get(memref_type(data.type).element_type, None, _shape(data))
        buffers[data] = data_placeholder.memref
    akc = _InnerContext(anchor, buffers, kc.weights, kc.checks, kc.target, kc.lowerings,
                        outer=dict(zip(block.args, group.operands)))
    lowering = kc.lowerings.get(anchor.name)
    if lowering is None:
        raise LoweringError(f"{describe(group)}: no loop lowering for its anchor {anchor.name}")
    lowering(akc)
    if data_placeholder is not None:
        _recompute_at_loads(data_placeholder, data, [op for op in ops if op in prologue], block.args, buffers)
    target = buffers[result]
    stores = [use.operation for use in list(target.uses)]
    if not stores or any(not isinstance(s, memref.StoreOp) or s.memref is not target for s in stores):
        raise LoweringError(f"{describe(group)}: the lowering of {anchor.name} reads its result back; it cannot take an epilogue")
    args = _used_args(epilogue, block.args)
    outputs = [v for v in yielded if v is not result]
    for st in stores:
        assert isinstance(st, memref.StoreOp)
        with ImplicitBuilder(Builder(InsertPoint.before(st))):
            ivs = list(st.indices)
            values: dict[SSAValue, SSAValue] = {result: st.value}
            _load_inputs(args, buffers, ivs, shape, values)
            _apply(epilogue, values)
            for v in outputs:
                store(values[v], buffers[v], ivs)
        if placeholder is not None:
            st.detach()
            st.erase()
    if placeholder is not None:
        placeholder.detach()
        placeholder.erase()


def _ancestors_in_group(anchor: Operation, ops: list[Operation]) -> set[Operation]:
    members = set(ops)
    found: set[Operation] = set()
    stack = [anchor]
    while stack:
        op = stack.pop()
        for v in op.operands:
            owner = v.owner
            if owner in members and owner not in found:
                found.add(owner)
                stack.append(owner)
    return found


def _recompute_at_loads(
    placeholder: memref.AllocaOp,
    data: SSAValue,
    prologue: list[Operation],
    args: Sequence[SSAValue],
    buffers: dict[SSAValue, SSAValue],
) -> None:
    shape = _shape(data)
    used = _used_args(prologue, args)
    for use in list(placeholder.memref.uses):
        ld = use.operation
        if not isinstance(ld, memref.LoadOp):
            raise LoweringError(f"{ld.name} on the recomputed input of a fused reduction")
        with ImplicitBuilder(Builder(InsertPoint.before(ld))):
            values: dict[SSAValue, SSAValue] = {}
            _load_inputs(used, buffers, list(ld.indices), shape, values)
            _apply(prologue, values)
        ld.res.replace_all_uses_with(values[data])
        ld.detach()
        ld.erase()
    placeholder.detach()
    placeholder.erase()


def group_packings(group: Operation, is_constant, target: CpuTarget) -> dict[SSAValue, OperandPacking]:
    """A group's compute anchor packs what it packs alone (its B as GEMM panels): the
    group operand behind the anchor's operand, when the anchor is its only reader."""
    assert isinstance(group, FusedKernelOp)
    block = group.body.block
    anchors = [op for op in group.inner_ops() if op.name not in SCALAR_BODIES]
    packings = ANCHOR_PACKINGS.get(anchors[0].name) if len(anchors) == 1 else None
    if packings is None:
        return {}
    anchor = anchors[0]
    outer = dict(zip(block.args, group.operands))
    found = packings(anchor, lambda v: v in outer and is_constant(outer[v]), target)
    out: dict[SSAValue, OperandPacking] = {}
    for arg, packing in found.items():
        value = outer[arg]
        readers = [use.operation for a, v in outer.items() if v is value for use in a.uses]
        if all(r is anchor for r in readers) and list(anchor.operands).count(arg) == 1:
            out[value] = packing
    return out


ANCHOR_PACKINGS: dict[str, OperandPackings] = {**matmul.PACKINGS, **fused_ops.PACKINGS}
LOWERINGS: dict[str, KernelLowering] = {"strata.FusedKernel": lower_fused_kernel}
PACKINGS: dict[str, OperandPackings] = {"strata.FusedKernel": group_packings}
