"""The pass `fuse-kernels`: graph ops are grouped into `strata.FusedKernel` ops, each of
which becomes one kernel (one loop nest) whose intermediates never reach memory.

Legal groups:
- chains and trees of elementwise ops (the ops with the `Elementwise` trait of
  dialects/onnx/traits.py, each with a scalar body in `lowering/kernels/elementwise.py`:
  unary, binary, Where, Clip, Cast, comparisons, ...)
  whose outputs all have the same shape, the group's iteration shape; inputs may be
  smaller and are read with broadcast indices;
- one reduction-like anchor (Softmax, LogSoftmax, LayerNormalization, ReduceX) or pooling
  anchor (MaxPool without Indices, AveragePool, GlobalAveragePool, GlobalMaxPool): the
  ops with the trait `FusionAnchor(prologue=True)` of dialects/onnx/traits.py; with
  elementwise consumers of its first result whose outputs have that result's shape
  (an epilogue, run at the anchor's store), and elementwise producers of its data input
  with that input's shape (a prologue, recomputed at each load of the anchor: once per
  window covering an element for a pooling op; only when none of their values is needed
  outside the group, since they are never stored);
- one compute anchor (Conv, MatMul, Gemm, strata.FusedConv / FusedMatMul / FusedGemm,
  strata.ConvNCHWc: `FusionAnchor(prologue=False)`) with an epilogue only: elementwise
  consumers of its result with its shape and element type (the epilogue's values are
  stored where the anchor stores, and a Gemm may accumulate in that buffer), other
  operands read broadcast at the output position (constants, graph inputs, values
  computed outside: a residual add). Its inputs are read many times, so producers
  never join it.

Candidates are producer -> consumer edges, scored by the bytes of memory traffic fusing
them saves (the intermediate's write and read when every use is the consumer, its read
otherwise) and merged best first. A merge is refused, and the reason recorded, when the
op kind is not fusible, the shapes differ, the group would exceed `max-ops` ops, it
would hold two anchors, a prologue value is needed elsewhere, a compute anchor would
take a producer or an epilogue that changes the element type, or it would not be convex
(a path leaves the group and comes back: the group could not run as one kernel). A value
used outside its group becomes an extra group output, computed once.

`window-anchors=false` leaves out the sliding-window anchors (the `SlidingWindow` trait:
Conv, strata.FusedConv, strata.ConvNCHWc, MaxPool, AveragePool) and keeps MatMul/Gemm and reduction groups. No
target needs it now (the Triton generator has kernels for conv and pooling groups too);
it stays as an option for comparing schedules.

`ctx.report` gets `fusion_log` (why each rejected candidate was rejected, naming the
ONNX nodes), `kernels_before_fusion` and `kernels_after_fusion` (graph ops to lower,
a group counted once; not `kernels`, which `compile()` reports after kernel dedupe) and
`fused_ops` (ops that went into groups of two or more). Exact: the
grouped ops are the same ops; only where their intermediates live changes.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from math import prod

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, NameLoc, NoneAttr, StringAttr, TensorType, UnitAttr
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass

from dialects.onnx.base import node_name
from dialects.onnx.tensor import ConstantOp
from dialects.onnx.traits import FusionAnchor, is_elementwise
from dialects.op_kinds import FUSION_ANCHOR_OP_NAMES, WINDOW_ANCHOR_OP_NAMES
from dialects.shapes import tensor_shape as _shape
from dialects.strata.kernel_group import FusedKernelOp, KernelYieldOp
from lowering.plan_memory import element_bytes

# The anchors are the ops with the FusionAnchor trait (dialects/onnx/traits.py): the
# reduction-likes and pools take prologues, the compute anchors (convolutions, matrix
# products) an epilogue only. The sliding-window ones among them are left out with
# window_anchors=False.
ANCHORS = FUSION_ANCHOR_OP_NAMES
WINDOW_ANCHORS = WINDOW_ANCHOR_OP_NAMES

DEFAULT_MAX_OPS = 24


def fusion_kind(op: Operation, anchors: frozenset[str] = ANCHORS) -> str | None:
    """"elementwise", "anchor" or None (never grouped)."""
    if is_elementwise(op):
        return "elementwise"
    if op.name in anchors:
        if op.name == "onnx.MaxPool" and any(r.uses for r in op.results[1:]):
            return None  # the Indices output: a second stored result
        return "anchor"
    return None


def takes_prologue(anchor: Operation) -> bool:
    """The anchor's kernel loads its data input where it needs each element, so
    elementwise producers can be recomputed there (FusionAnchor's `prologue`)."""
    return anchor.has_trait(FusionAnchor(prologue=True))


def _nbytes(v: SSAValue) -> int:
    ty = v.type
    assert isinstance(ty, TensorType)
    return prod(ty.get_shape()) * element_bytes(ty.element_type)


def _op_type(op: Operation) -> str:
    return op.name.removeprefix("onnx.").removeprefix("strata.")


def _describe(op: Operation) -> str:
    return f"{_op_type(op)} '{node_name(op)}'"


def _two_anchors(a: Operation, b: Operation) -> str:
    return f"two anchors in one kernel ({_op_type(a)} and {_op_type(b)})"


@dataclass(eq=False)
class _Group:
    ops: list[Operation]
    anchor: Operation | None
    shape: tuple[int, ...]  # the iteration shape (an anchor's: its first result's)
    first: int  # smallest and largest position of a member in the graph
    last: int
    members: set[Operation] = field(default_factory=set)
    # Elementwise producers of the anchor's data input, recomputed at each of its loads.
    prologue: set[Operation] = field(default_factory=set)


class _Grouping:
    """Union of groups over the graph's ops (positions are a topological order)."""

    def __init__(self, ops: list[Operation], returned: set[SSAValue], anchors: frozenset[str] = ANCHORS):
        self.pos = {op: i for i, op in enumerate(ops)}
        self.returned = returned
        self.anchors = anchors
        self.group: dict[Operation, _Group] = {}
        for i, op in enumerate(ops):
            kind = fusion_kind(op, anchors)
            shape = _shape(op.results[0]) if op.results else ()
            g = _Group([op], op if kind == "anchor" else None, shape, i, i, {op})
            self.group[op] = g

    def kind(self, op: Operation) -> str | None:
        return fusion_kind(op, self.anchors)

    def successors(self, g: _Group) -> set[_Group]:
        out: set[_Group] = set()
        for op in g.ops:
            for r in op.results:
                for use in r.uses:
                    user = use.operation
                    h = self.group.get(user)
                    if h is not None and h is not g:
                        out.add(h)
        return out

    def reaches_through_other(self, src: _Group, dst: _Group) -> bool:
        """Whether a path src -> X -> ... -> dst exists with X another group (merging
        src and dst would then make a cycle)."""
        stack = [h for h in self.successors(src) if h is not dst]
        seen = set(stack)
        while stack:
            g = stack.pop()
            if g.first > dst.last:
                continue  # positions are topological: nothing after dst reaches it
            for h in self.successors(g):
                if h is dst:
                    return True
                if h not in seen:
                    seen.add(h)
                    stack.append(h)
        return False

    def merge(self, a: _Group, b: _Group, prologue: set[Operation]) -> None:
        ops = sorted(a.ops + b.ops, key=self.pos.__getitem__)
        # Legal merges have equal iteration shapes, or one side is a prologue.
        shape = b.shape if b.anchor is not None else a.shape
        g = _Group(ops, a.anchor or b.anchor, shape, min(a.first, b.first), max(a.last, b.last), a.members | b.members)
        g.prologue = a.prologue | b.prologue | prologue
        for op in ops:
            self.group[op] = g


def _prologue_rejection(grouping: _Grouping, gp: _Group, gc: _Group, consumer: Operation) -> str | None:
    """Why gp cannot become (part of) the prologue of gc's anchor, which `consumer`
    (the anchor or a prologue op) reads. Prologue values are recomputed at every load
    and never stored, so none may be needed outside the group."""
    anchor = gc.anchor
    assert anchor is not None
    name = _op_type(anchor)
    if gp.anchor is not None:
        return _two_anchors(gp.anchor, anchor)
    if consumer is anchor:
        data = anchor.operands[0]
        if data.owner not in gp.members:
            return f"only the data input of {name} can take a producer chain"
        target = _shape(data)
    else:
        target = _shape(consumer.results[0])
    if gp.shape != target:
        return f"shape mismatch ({list(gp.shape)} vs {list(target)})"
    for op in gp.ops:
        for r in op.results:
            if r in grouping.returned:
                return f"producer of {name} is also a graph output (prologue values are not stored)"
            for use in r.uses:
                user = use.operation
                if user in gp.members or user in gc.prologue:
                    continue
                if user is anchor and use.index == 0:
                    continue
                return f"producer of {name} is also used elsewhere (prologue values are not stored)"
    return None


def _rejection(grouping: _Grouping, producer: Operation, consumer: Operation, value: SSAValue, max_ops: int) -> tuple[str | None, bool]:
    """Why the edge producer -> consumer cannot be fused (None: it can), and whether
    the producer's group becomes prologue of the consumer's anchor."""
    pk, ck = grouping.kind(producer), grouping.kind(consumer)
    if pk is None or ck is None:
        bad = producer if pk is None else consumer
        return f"not a fusible op kind ({_op_type(bad)})", False
    gp, gc = grouping.group[producer], grouping.group[consumer]
    if ck == "anchor" and not takes_prologue(consumer):
        return f"{_op_type(consumer)} takes no producers (it reads each input element many times)", False
    into_prologue = ck == "anchor" or consumer in gc.prologue
    if into_prologue:
        reason = _prologue_rejection(grouping, gp, gc, consumer)
        if reason is not None:
            return reason, True
    else:
        if gp.anchor is not None and gc.anchor is not None:
            return _two_anchors(gp.anchor, gc.anchor), False
        if pk == "anchor" and value is not producer.results[0]:
            return "consumes a secondary output of the reduction", False
        if gp.shape != gc.shape:
            return f"shape mismatch ({list(gp.shape)} vs {list(gc.shape)})", False
        anchor = gp.anchor or gc.anchor
        if anchor is not None:
            with_anchor, other = (gp, gc) if gp.anchor is not None else (gc, gp)
            for op in [anchor, *with_anchor.prologue]:
                for v in op.operands:
                    if v.owner in other.members:
                        return f"{_describe(v.owner)} feeds the {_op_type(anchor)} and its epilogue", False
            for op in other.ops:
                for v in op.operands:
                    if v.owner is anchor and v is not anchor.results[0]:
                        return "consumes a secondary output of the reduction", False
            if not takes_prologue(anchor):
                # The anchor stores (and a Gemm accumulates) into the buffer of one of
                # the group's outputs: every epilogue value must have its type.
                elem = anchor.results[0].type.element_type
                for op in other.ops:
                    if op.results[0].type.element_type != elem:
                        return f"{_describe(op)} changes the element type of the {_op_type(anchor)} epilogue", False
    if len(gp.ops) + len(gc.ops) > max_ops:
        return f"size cap ({len(gp.ops)} + {len(gc.ops)} ops > {max_ops})", into_prologue
    if grouping.reaches_through_other(gp, gc):
        return "cycle (a path leaves the group and comes back)", into_prologue
    return None, into_prologue


def find_groups(
    ops: list[Operation], returned: set[SSAValue], max_ops: int = DEFAULT_MAX_OPS, anchors: frozenset[str] = ANCHORS
) -> tuple[list[list[Operation]], list[str]]:
    """Groups of two or more ops (members in graph order) and the rejection log."""
    grouping = _Grouping(ops, returned, anchors)
    members = set(ops)
    candidates: list[tuple[int, int, int, Operation, Operation, SSAValue]] = []
    for op in ops:
        for r in op.results:
            users = [u.operation for u in r.uses]
            distinct = list(dict.fromkeys(u for u in users if u in members and u is not op))
            saved_write = len(distinct) == 1 and len(set(users)) == 1 and r not in returned
            for user in distinct:
                score = _nbytes(r) * (2 if saved_write else 1)
                candidates.append((-score, grouping.pos[op], grouping.pos[user], op, user, r))
    candidates.sort(key=lambda c: c[:3])
    log: list[str] = []
    for _, _, _, producer, consumer, value in candidates:
        if grouping.group[producer] is grouping.group[consumer]:
            continue
        reason, into_prologue = _rejection(grouping, producer, consumer, value, max_ops)
        if reason is not None:
            # Edges between two ops that are never grouped say nothing useful.
            if grouping.kind(producer) is not None or grouping.kind(consumer) is not None:
                log.append(f"{_describe(producer)} -> {_describe(consumer)}: not fused: {reason}")
            continue
        gp, gc = grouping.group[producer], grouping.group[consumer]
        grouping.merge(gp, gc, set(gp.ops) if into_prologue else set())
    groups = list({id(g): g for g in grouping.group.values() if len(g.ops) > 1}.values())
    groups.sort(key=lambda g: g.first)
    return [g.ops for g in groups], log


def build_group(block: Block, ops: list[Operation]) -> FusedKernelOp:
    """Moves `ops` (in graph order) into a new strata.FusedKernel inserted before the
    first of them; uses outside the group are redirected to its results."""
    members = set(ops)
    inputs: list[SSAValue] = []
    for op in ops:
        for v in op.operands:
            if v.owner not in members and v not in inputs:
                inputs.append(v)
    outputs = [
        r
        for op in ops
        for r in op.results
        if not r.uses or any(u.operation not in members for u in r.uses)
    ]
    body = Block(arg_types=[v.type for v in inputs])
    for arg, v in zip(body.args, inputs):
        arg.name_hint = v.name_hint
    group = FusedKernelOp(inputs, [r.type for r in outputs], Region(body))
    names = [node_name(op) for op in ops if node_name(op) != "<unnamed>"]
    if names:
        group.location = NameLoc(StringAttr(",".join(names)), NoneAttr())
    if all(is_elementwise(op) for op in ops):
        group.attributes["strata.elementwise"] = UnitAttr()
    block.insert_op_before(group, ops[0])
    for r, new in zip(outputs, group.results):
        new.name_hint = r.name_hint
        for use in list(r.uses):
            if use.operation not in members:
                use.operation.operands[use.index] = new
    arg_of = dict(zip(inputs, body.args))
    for op in ops:
        op.detach()
        body.add_op(op)
        for i, v in enumerate(op.operands):
            if v in arg_of:
                op.operands[i] = arg_of[v]
    body.add_op(KernelYieldOp(outputs))
    return group


def _reorder(block: Block) -> None:
    """Puts the block's ops back in a topological order, each op as early as its
    original position allows (a group sits where its first member was, which may be
    before the producer of another member's input)."""
    ops = list(block.ops)
    ret = ops[-1]
    ops = ops[:-1]
    pos = {op: i for i, op in enumerate(ops)}
    deps: dict[Operation, int] = {}
    users: dict[Operation, list[Operation]] = {op: [] for op in ops}
    for op in ops:
        producers = set()
        for inner in op.walk():
            for v in inner.operands:
                owner = v.owner
                if isinstance(owner, Operation) and owner in pos and owner is not op:
                    producers.add(owner)
        deps[op] = len(producers)
        for p in producers:
            users[p].append(op)
    ready = [(pos[op], op) for op in ops if deps[op] == 0]
    heapq.heapify(ready)
    order: list[Operation] = []
    while ready:
        _, op = heapq.heappop(ready)
        order.append(op)
        for u in users[op]:
            deps[u] -= 1
            if deps[u] == 0:
                heapq.heappush(ready, (pos[u], u))
    assert len(order) == len(ops), "fuse-kernels made a cycle"
    if order == ops:
        return
    for op in ops:
        op.detach()
    block.insert_ops_before(order, ret)


def fuse_kernels(module: ModuleOp, max_ops: int = DEFAULT_MAX_OPS, window_anchors: bool = True) -> dict:
    """Groups the ops of every graph function (a func.func that is not the loop-level
    entry) in place; returns the report entries."""
    report: dict = {"fusion_log": [], "kernels_before_fusion": 0, "kernels_after_fusion": 0, "fused_ops": 0}
    for fn in module.ops:
        if not isinstance(fn, func.FuncOp) or "strata.entry" in fn.attributes or not fn.body.blocks:
            continue
        block = fn.body.block
        ret = block.last_op
        if not isinstance(ret, func.ReturnOp):
            continue
        ops = [op for op in block.ops if not isinstance(op, (ConstantOp, func.ReturnOp, FusedKernelOp))]
        before = len(ops) + sum(1 for op in block.ops if isinstance(op, FusedKernelOp))
        anchors = ANCHORS if window_anchors else ANCHORS - WINDOW_ANCHORS
        groups, log = find_groups(ops, set(ret.operands), max_ops, anchors)
        for members in groups:
            build_group(block, members)
        if groups:
            _reorder(block)
        fused = sum(len(g) for g in groups)
        report["fusion_log"].extend(log)
        report["kernels_before_fusion"] += before
        report["kernels_after_fusion"] += before - fused + len(groups)
        report["fused_ops"] += fused
    return report


@dataclass(frozen=True)
class FuseKernelsPass(ModulePass):
    """Groups elementwise chains/trees, reduction and pooling prologues/epilogues and
    Conv/MatMul/Gemm epilogues into strata.FusedKernel ops, one kernel each (see the
    module docstring). `window_anchors=False` forms no Conv or windowed-pooling
    groups."""

    name = "fuse-kernels"

    max_ops: int = DEFAULT_MAX_OPS
    window_anchors: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        result = fuse_kernels(op, self.max_ops, self.window_anchors)
        report = getattr(ctx, "report", None)
        if isinstance(report, dict):
            report.update(result)
