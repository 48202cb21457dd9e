"""The pass `plan-memory`: every intermediate buffer of the entry becomes a view into one
static arena, so a compiled model allocates nothing at run time.

Runs on the loop level, after `convert-onnx-to-loops` and `dedupe-kernels`. The entry
`@main` calls its kernels in order (the schedule); each `memref.alloc` in it is a buffer
whose live range is [first op using it, last op using it] over that schedule (written by
its producer call, read by its consumers). Two buffers whose closed ranges intersect
conflict: they are both in use during some call and must not share bytes.

The plan:
- In-place reuse (opt-in: `plan-memory{in_place=true}`, `plan_module(in_place=True)`):
  an elementwise kernel (one with the unit attribute `strata.elementwise`, set by
  `convert-onnx-to-loops` for an op with the Elementwise trait or a `fuse-kernels` group
  of only such ops: output element i depends only on input element i; one intermediate
  output) writes its output into an input buffer that dies at that call and has the
  same shape and byte size; the two share one buffer. Only buffers the entry allocates
  take part (never a graph input, output or weight), so the caller's arrays are never
  aliased. Off by default: LLVM's vectorized loops check at run time that the output
  does not overlap an input, and an in-place pair always does, so every in-place
  kernel ran its scalar fallback (GPT-2's tanh Gelu 2.5 ms a layer instead of 0.19,
  the whole model 94.3 -> 87.4 ms at one thread on the Zen 4 host, with the same arena:
  the merged buffers were not at the peak).
- Concat in place (always): a batch-1 Concat whose inputs and output are intermediates
  is dropped and its inputs are written straight into their places in its output
  (`alias_concats`); Concats that share inputs at the same offsets (DenseNet's dense
  blocks) become one buffer. DenseNet-121: its 58 Concat calls and kernels are gone
  (193 -> 135 kernels).
- Placement: each buffer (or in-place group) gets a byte offset, a multiple of 64, such
  that conflicting buffers never overlap. Four greedy orders are tried, each placing a
  buffer best-fit into the smallest gap left by the already-placed buffers it conflicts
  with (else on top of them): largest first (longest-lived among equals),
  most-conflicting first, by breadth (buffers live at the busiest schedule positions
  first) and longest-lived first. The smallest arena is kept; when none reaches the
  lower bound, seeded random neighbour swaps of those orders are tried too (bounded in
  tries and time). Every plan is checked for overlaps before the IR is rewritten.
- Lower bound: the most bytes live at once over the schedule (after in-place merging);
  no plan of this schedule can use less. Sizes are rounded up to 64 bytes everywhere.

The rewrite: each `memref.alloc` becomes `memref.view %arena[%offset][]`, the deallocs
go, and the arena arrives as a new last entry argument `memref<Nxi8>` listed in
`strata.args` as "arena:N" (the runtime allocates it once per compiled model, 64-byte
aligned). The entry records `strata.arena_bytes`, `strata.naive_bytes` (sum of all
intermediates), `strata.lower_bound_bytes` and `strata.plan_strategy`; the same numbers
go to `ctx.report`. Before planning, calls that read no intermediate (ConstantOfShape
fills of weights, in the light models) are moved down next to their first consumer, so
their results are not live from the start; nothing else is reordered. An entry without
allocations is left as it is.
"""

from __future__ import annotations

import random
import time

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    FunctionType,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    StringAttr,
    UnitAttr,
    i8,
    i64,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass

from dialects.errors import StrataError
from dialects.onnx.tensor import CONCAT_AXIS

ALIGN = 64

# Kernels marked `strata.view` (ops with the ShapeView trait) copy their data input to
# their output in the same row-major order (only the shape changes): an output that is
# an intermediate can be the input's buffer seen with another shape, and the call
# dropped (alias_reshapes).
VIEW_KERNEL = "strata.view"

class MemoryPlanError(StrataError):
    """The entry cannot be planned (an unexpected use of a buffer, or a bad plan)."""


@dataclass(frozen=True)
class Buffer:
    """One arena slot: `size` bytes (a multiple of 64) in use over schedule positions
    [start, end]; `names` are the SSA names of the allocs sharing it (in-place groups)."""

    size: int
    start: int
    end: int
    names: tuple[str, ...] = ()

    def conflicts(self, other: Buffer) -> bool:
        return self.start <= other.end and other.start <= self.end


@dataclass
class MemoryPlan:
    buffers: list[Buffer]
    offsets: list[int]
    arena_bytes: int
    naive_bytes: int
    lower_bound_bytes: int
    strategy: str
    in_place: int = 0  # how many allocs were merged into an input's buffer
    tried: dict[str, int] = field(default_factory=dict)  # strategy -> arena bytes

    def report(self) -> dict[str, int]:
        return {
            "naive_bytes": self.naive_bytes,
            "arena_bytes": self.arena_bytes,
            "lower_bound_bytes": self.lower_bound_bytes,
        }


def round_up(n: int, align: int = ALIGN) -> int:
    return (n + align - 1) // align * align


def element_bytes(t: Attribute) -> int:
    """Bytes per element in memory (i1 is one byte, index is eight)."""
    if isinstance(t, IntegerType):
        return max(1, t.width.data // 8)
    if isinstance(t, IndexType):
        return 8
    width = getattr(t, "bitwidth", None)
    if width is None:
        raise MemoryPlanError(f"unsized element type {t}")
    return width // 8


def memref_bytes(t: MemRefType) -> int:
    n = 1
    for d in t.get_shape():
        n *= d
    return n * element_bytes(t.element_type)


# ---------------------------------------------------------------------------------------
# Placement: pure functions over Buffers, so tests can check plans directly.
# ---------------------------------------------------------------------------------------


def conflict_lists(buffers: Sequence[Buffer]) -> list[list[int]]:
    """For each buffer, the indices of the buffers whose live ranges intersect its own
    (zero-byte buffers conflict with nothing)."""
    conflicts: list[list[int]] = [[] for _ in buffers]
    order = sorted((i for i, b in enumerate(buffers) if b.size), key=lambda i: buffers[i].start)
    for n, i in enumerate(order):
        end = buffers[i].end
        for j in order[n + 1 :]:
            if buffers[j].start > end:
                break
            conflicts[i].append(j)
            conflicts[j].append(i)
    return conflicts


def place(buffers: Sequence[Buffer], order: Sequence[int], conflicts: list[list[int]]) -> list[int]:
    """Offsets for `buffers`, placed in `order`: each goes into the smallest gap between
    already-placed conflicting buffers that holds it, else above all of them."""
    offsets: list[int | None] = [None] * len(buffers)
    for i in order:
        size = buffers[i].size
        if size == 0:
            offsets[i] = 0
            continue
        taken = sorted((offsets[j], offsets[j] + buffers[j].size) for j in conflicts[i] if offsets[j] is not None)
        best: tuple[int, int] | None = None  # (gap, offset)
        cursor = 0
        for lo, hi in taken:
            gap = lo - cursor
            if gap >= size and (best is None or gap < best[0]):
                best = (gap, cursor)
            cursor = max(cursor, hi)
        offsets[i] = best[1] if best is not None else cursor
    return offsets  # type: ignore[return-value]


def live_bytes(buffers: Sequence[Buffer]) -> list[int]:
    """Bytes in use at each schedule position."""
    positions = max((b.end for b in buffers), default=-1) + 1
    delta = [0] * (positions + 1)
    for b in buffers:
        delta[b.start] += b.size
        delta[b.end + 1] -= b.size
    out, acc = [], 0
    for d in delta[:-1]:
        acc += d
        out.append(acc)
    return out


def lower_bound(buffers: Sequence[Buffer]) -> int:
    return max(live_bytes(buffers), default=0)


def _by_size(buffers: Sequence[Buffer], conflicts: list[list[int]]) -> list[int]:
    # Among equal sizes, the longest-lived first: they fix the layout for the others
    # (on DenseNet's equal-sized concat inputs this alone reaches the lower bound).
    return sorted(range(len(buffers)), key=lambda i: (-buffers[i].size, buffers[i].start - buffers[i].end, buffers[i].start, i))


def _by_conflicts(buffers: Sequence[Buffer], conflicts: list[list[int]]) -> list[int]:
    pressure = [sum(buffers[j].size for j in c) for c in conflicts]
    return sorted(range(len(buffers)), key=lambda i: (-len(conflicts[i]), -pressure[i], -buffers[i].size, i))


def _by_breadth(buffers: Sequence[Buffer], conflicts: list[list[int]]) -> list[int]:
    """Buffers live at the busiest position first (largest first there), then the next
    busiest position's, and so on (TFLite's "greedy by breadth")."""
    live = live_bytes(buffers)
    at: list[list[int]] = [[] for _ in live]
    for i, b in enumerate(buffers):
        for p in range(b.start, b.end + 1):
            at[p].append(i)
    seen: set[int] = set()
    order: list[int] = []
    for p in sorted(range(len(live)), key=lambda p: (-live[p], p)):
        for i in sorted(at[p], key=lambda i: (-buffers[i].size, i)):
            if i not in seen:
                seen.add(i)
                order.append(i)
    order += [i for i in range(len(buffers)) if i not in seen]
    return order


def _by_lifetime(buffers: Sequence[Buffer], conflicts: list[list[int]]) -> list[int]:
    return sorted(range(len(buffers)), key=lambda i: (buffers[i].start - buffers[i].end, -buffers[i].size, i))


STRATEGIES: dict[str, Callable[[Sequence[Buffer], list[list[int]]], list[int]]] = {
    "size": _by_size,
    "conflicts": _by_conflicts,
    "breadth": _by_breadth,
    "lifetime": _by_lifetime,
}


PERTURB_TRIALS = 256
PERTURB_SECONDS = 1.0


def _perturbed_search(
    buffers: Sequence[Buffer], conflicts: list[list[int]], orders: list[list[int]], best: int, bound: int
) -> tuple[int, list[int]] | None:
    """When no greedy order reaches the lower bound: the greedy orders with random
    neighbour swaps (a quarter of the positions per try; seeded, so a model always gets
    the same plan), at most PERTURB_TRIALS tries or PERTURB_SECONDS, stopping at the
    bound. Greedy orders are brittle on ties (DenseNet's many equal-sized buffers:
    1.056 x the bound with every greedy order, 1.000 after a few dozen swaps). Returns
    (size, offsets) of a smaller plan, or None."""
    rng = random.Random(0)
    found: tuple[int, list[int]] | None = None
    deadline = time.perf_counter() + PERTURB_SECONDS
    n = len(buffers)
    if n < 2:
        return None
    for trial in range(PERTURB_TRIALS):
        order = list(orders[trial % len(orders)])
        for _ in range(max(1, n // 4)):
            k = rng.randrange(n - 1)
            order[k], order[k + 1] = order[k + 1], order[k]
        offsets = place(buffers, order, conflicts)
        size = arena_size(buffers, offsets)
        if size < best:
            best, found = size, (size, offsets)
            if size <= bound:
                break
        if time.perf_counter() > deadline:
            break
    return found


def arena_size(buffers: Sequence[Buffer], offsets: Sequence[int]) -> int:
    return max((o + b.size for b, o in zip(buffers, offsets)), default=0)


def check_plan(buffers: Sequence[Buffer], offsets: Sequence[int]) -> None:
    """Raises MemoryPlanError if two buffers live at the same time share a byte, or an
    offset is misaligned."""
    for b, o in zip(buffers, offsets):
        if o % ALIGN or o < 0:
            raise MemoryPlanError(f"buffer {b.names} at misaligned offset {o}")
    positions = max((b.end for b in buffers), default=-1) + 1
    starts: list[list[int]] = [[] for _ in range(positions)]
    for i, b in enumerate(buffers):
        if b.size:
            starts[b.start].append(i)
    live: list[int] = []
    for p in range(positions):
        live = [i for i in live if buffers[i].end >= p]
        for i in starts[p]:
            lo, hi = offsets[i], offsets[i] + buffers[i].size
            for j in live:
                if lo < offsets[j] + buffers[j].size and offsets[j] < hi:
                    raise MemoryPlanError(
                        f"buffers {buffers[i].names} and {buffers[j].names} are live together and overlap"
                    )
            live.append(i)


def plan_buffers(buffers: Sequence[Buffer], naive_bytes: int | None = None, in_place: int = 0) -> MemoryPlan:
    """Tries every strategy, keeps the smallest (checked) plan."""
    conflicts = conflict_lists(buffers)
    best: tuple[int, str, list[int]] | None = None
    tried: dict[str, int] = {}
    orders: dict[str, list[int]] = {}
    for name, order_fn in STRATEGIES.items():
        orders[name] = order_fn(buffers, conflicts)
        offsets = place(buffers, orders[name], conflicts)
        size = arena_size(buffers, offsets)
        tried[name] = size
        if best is None or size < best[0]:
            best = (size, name, offsets)
    assert best is not None
    bound = lower_bound(buffers)
    if best[0] > bound:
        found = _perturbed_search(buffers, conflicts, list(orders.values()), best[0], bound)
        if found is not None:
            tried["perturbed"] = found[0]
            best = (found[0], "perturbed", found[1])
    size, name, offsets = best
    check_plan(buffers, offsets)
    return MemoryPlan(
        buffers=list(buffers),
        offsets=offsets,
        arena_bytes=size,
        naive_bytes=sum(b.size for b in buffers) if naive_bytes is None else naive_bytes,
        lower_bound_bytes=lower_bound(buffers),
        strategy=name,
        in_place=in_place,
        tried=tried,
    )


# ---------------------------------------------------------------------------------------
# The entry function: schedule, live ranges, in-place groups, rewrite.
# ---------------------------------------------------------------------------------------


def _reassociation(groups: list[list[int]]) -> ArrayAttr:
    return ArrayAttr([ArrayAttr([IntegerAttr(d, i64) for d in g]) for g in groups])


def _reshaped_view(data: SSAValue, shape: Sequence[int]) -> list[Operation]:
    """`data` (a contiguous memref) seen with `shape`: collapsed to one dim, then
    expanded (the same pointer: the translator passes both through)."""
    t = data.type
    assert isinstance(t, MemRefType)
    n = 1
    for d in t.get_shape():
        n *= d
    flat = memref.CollapseShapeOp(
        operands=[data], result_types=[MemRefType(t.element_type, [n])],
        properties={"reassociation": _reassociation([list(range(len(t.get_shape())))])},
    )
    view = memref.ExpandShapeOp(
        operands=[flat.result, []], result_types=[MemRefType(t.element_type, list(shape))],
        properties={"reassociation": _reassociation([list(range(len(shape)))]),
                    "static_output_shape": DenseArrayBase.from_list(i64, list(shape))},
    )
    return [flat, view]


def _calls_with(block, kernels: dict[str, func.FuncOp], attribute: str) -> list[tuple[func.CallOp, func.FuncOp]]:
    """The entry's calls (in order, listed before any is erased) of kernels that carry
    `attribute`, each with its kernel."""
    out = []
    for op in block.ops:
        if isinstance(op, func.CallOp):
            kernel = kernels.get(op.callee.root_reference.data)
            if kernel is not None and attribute in kernel.attributes:
                out.append((op, kernel))
    return out


def alias_reshapes(module: ModuleOp, entry: func.FuncOp) -> int:
    """Drops each call of a `strata.view` kernel whose data input and output are both
    buffers the entry allocates (never a graph input, output or weight) and that checks
    nothing at run time (no status argument): its output becomes a view of the input's
    buffer with the output's shape, so the two share bytes and nothing is copied (on
    GPT-2, 45 Reshape copies took 3.2 ms of 61 at two threads). The buffer then lives
    until the view's last use (_analyze follows views). Kernels no call uses any more are
    removed. Returns how many calls were dropped."""
    block = entry.body.block
    kinds = [a.data for a in entry.attributes["strata.args"].data] if "strata.args" in entry.attributes else []
    status = {arg for arg, kind in zip(block.args, kinds) if kind.startswith("status:")}
    status |= {op.result for op in block.ops if isinstance(op, memref.ViewOp) and op.source in status}
    kernels = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
    # Positions in the original order (ops inserted or erased below keep the others'
    # relative order, which is all the writer check compares).
    position = {op: i for i, op in enumerate(block.ops)}
    dropped = 0
    for op, kernel in _calls_with(block, kernels, VIEW_KERNEL):
        args = list(op.arguments)
        data, out = args[0], args[-1]
        if any(a in status for a in args) or not all(isinstance(v.owner, memref.AllocOp) for v in (data, out)):
            continue
        dt, ot = data.type, out.type
        if dt.element_type != ot.element_type or memref_bytes(dt) != memref_bytes(ot) or not memref_bytes(dt):
            continue
        writers = [u.operation for u in out.uses if not isinstance(u.operation, memref.DeallocOp)]
        if min((position.get(w, -1) for w in writers), default=-1) != position[op]:
            continue
        new_ops = _reshaped_view(data, ot.get_shape())
        block.insert_ops_before(new_ops, op)
        for use in list(out.uses):
            if isinstance(use.operation, memref.DeallocOp):
                block.erase_op(use.operation)
        block.erase_op(op)
        out.replace_all_uses_with(new_ops[-1].results[0])
        block.erase_op(out.owner)
        dropped += 1
    if dropped:
        called = {c.callee.root_reference.data for c in block.ops if isinstance(c, func.CallOp)}
        for name, fn in kernels.items():
            if VIEW_KERNEL in fn.attributes and name not in called:
                module.body.block.erase_op(fn)
    return dropped


# The most buffers one group of in-place Concats may hold (DenseNet-121's largest dense
# block: 49, 24 outputs and 25 features); a Concat that would grow a group past it keeps
# its copy, so that checking a group's overlaps stays cheap (it is quadratic in the
# group, and ran 4.9 s on a chain of 120 Concats without this bound).
MAX_CONCAT_GROUP = 128


@dataclass
class ConcatPlacement:
    """Concat inputs written in place into their Concat's output (alias_concats): each
    alloc in `root` lies `shift[alloc]` bytes into the alloc `root[alloc]` (the one
    whose bytes hold them all; a root maps to itself, shift 0)."""

    root: dict[SSAValue, SSAValue] = field(default_factory=dict)
    shift: dict[SSAValue, int] = field(default_factory=dict)
    dropped: int = 0

    def find(self, v: SSAValue) -> tuple[SSAValue, int]:
        """(v's root, v's byte offset in it); each buffer on the way then points at the
        root directly (DenseNet's chains grow one level a Concat)."""
        path, shift, at = [], 0, v
        while at in self.root and self.root[at] is not at:
            path.append(at)
            shift += self.shift[at]
            at = self.root[at]
        rest = shift
        for p in path:
            self.root[p], rest_p = at, rest
            rest -= self.shift[p]
            self.shift[p] = rest_p
        return at, shift


def _concat_parts(call: func.CallOp, kernel: func.FuncOp) -> list[tuple[SSAValue, int]] | None:
    """(input, byte offset in the output) of a Concat call whose inputs are contiguous
    runs of its output (every dim before the axis is 1), else None."""
    axis_attr = kernel.attributes.get(CONCAT_AXIS)
    if not isinstance(axis_attr, IntegerAttr) or len(kernel.function_type.inputs.data) != len(call.arguments):
        return None
    *inputs, out = call.arguments
    shape = out.type.get_shape()
    axis = axis_attr.value.data
    if any(d != 1 for d in shape[:axis]):
        return None
    parts, offset = [], 0
    for v in inputs:
        if offset % ALIGN:
            return None  # every buffer, and so every part, starts 64-byte aligned
        parts.append((v, offset))
        offset += memref_bytes(v.type)
    return parts if offset == memref_bytes(out.type) else None


def alias_concats(module: ModuleOp, entry: func.FuncOp) -> ConcatPlacement:
    """Drops each Concat call (a kernel with `strata.concat_axis`) whose inputs can be
    written in place into its output: the inputs and the output are buffers the entry
    allocates, distinct, each part a contiguous run of the output (the dims before the
    axis are 1: a batch-1 channel Concat, NCHW or NCHWc), and no call checks anything.
    Each input then lies in its Concat's output (its producer writes it there), and so
    do chained Concats sharing inputs at the same offsets: DenseNet's dense block
    concatenates all earlier features in every layer, so one buffer holds the block's
    features and every layer's Concat is a prefix of it, copying nothing. A Concat whose
    placement would contradict one taken before (an input at another offset), or make two
    buffers share bytes that are not the same parts, keeps its copy. Kernels no call uses
    any more are removed."""
    block = entry.body.block
    kinds = [a.data for a in entry.attributes["strata.args"].data] if "strata.args" in entry.attributes else []
    status = {arg for arg, kind in zip(block.args, kinds) if kind.startswith("status:")}
    kernels = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
    placement = ConcatPlacement()
    contains: dict[SSAValue, set[SSAValue]] = {}  # output -> its parts, transitively
    groups: dict[SSAValue, set[SSAValue]] = {}  # a root -> every buffer placed in it

    def span_of(v: SSAValue, root_shift: int) -> tuple[int, int]:
        return root_shift, root_shift + memref_bytes(v.type)

    for op, kernel in _calls_with(block, kernels, CONCAT_AXIS):
        parts = _concat_parts(op, kernel)
        out = op.arguments[-1]
        values = [v for v, _ in parts or []] + [out]
        if (parts is None or any(v in status or not isinstance(v.owner, memref.AllocOp) for v in values)
                or len(set(values)) != len(values)):
            continue
        # The placement this Concat asks for, in terms of out's root.
        out_root, out_shift = placement.find(out)
        proposal: dict[SSAValue, int] = {}  # root of a part's group -> its shift in out_root
        ok = True
        for v, offset in parts:
            root, shift = placement.find(v)
            want = out_shift + offset - shift  # where v's root must lie in out_root
            if root is out_root:
                ok = want == 0
            elif root in proposal:
                ok = proposal[root] == want
            elif want < 0:
                ok = False  # the part's group would start before out's root: not placed so
            else:
                proposal[root] = want
            if not ok:
                break
        if not ok:
            continue
        # The group this Concat would make: out's group, the groups of its parts, and the
        # parts and out themselves; where each would lie in out_root.
        where: dict[SSAValue, int] = {}
        for root in (out_root, *proposal):
            base = proposal.get(root, 0)
            for m in groups.get(root, (root,)):
                where[m] = base + placement.find(m)[1]
        for v, offset in parts:
            where.setdefault(v, out_shift + offset)
        where.setdefault(out, out_shift)
        if len(where) > MAX_CONCAT_GROUP:
            continue  # the overlap check below is quadratic in the group: keep this copy
        out_parts = {v for v, _ in parts}.union(*(contains.get(v, ()) for v, _ in parts))

        def holds(m: SSAValue) -> set[SSAValue]:
            return ({m} | out_parts) if m is out else ({m} | contains.get(m, set()))

        # Members of one group may share bytes only where they hold the same parts.
        members = list(where)
        spans = {m: span_of(m, where[m]) for m in members}
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                lo, hi = max(spans[a][0], spans[b][0]), min(spans[a][1], spans[b][1])
                if lo >= hi:
                    continue
                covered = sorted(spans[p] for p in holds(a) & holds(b))
                at = lo
                for p_lo, p_hi in covered:
                    if p_lo <= at < p_hi:
                        at = p_hi
                if at < hi:
                    ok = False
                    break
            if not ok:
                break
        if not ok:
            continue
        placement.root.setdefault(out_root, out_root)
        placement.shift.setdefault(out_root, 0)
        merged = set(groups.pop(out_root, (out_root,)))
        for root, shift in proposal.items():  # every part is in out_root's group or one of these
            placement.root[root], placement.shift[root] = out_root, shift
            merged |= groups.pop(root, {root})
        groups[out_root] = merged
        contains[out] = out_parts
        block.erase_op(op)  # the Concat was the output's only writer
        placement.dropped += 1
    if placement.dropped:
        called = {c.callee.root_reference.data for c in block.ops if isinstance(c, func.CallOp)}
        for name, fn in kernels.items():
            if CONCAT_AXIS in fn.attributes and name not in called:
                module.body.block.erase_op(fn)
    return placement


def _users(v: SSAValue) -> list[Operation]:
    """The ops that read or write `v`'s buffer: its users, and through the reshaped
    views alias_reshapes makes, their users (deallocs excluded)."""
    out = []
    for use in v.uses:
        user = use.operation
        if isinstance(user, memref.DeallocOp):
            continue
        out.append(user)
        if isinstance(user, (memref.CollapseShapeOp, memref.ExpandShapeOp)):
            out += _users(user.results[0])
    return out


def entry_function(module: ModuleOp) -> func.FuncOp | None:
    for op in module.ops:
        if isinstance(op, func.FuncOp) and "strata.entry" in op.attributes:
            return op
    return None


@dataclass
class _Alloc:
    op: memref.AllocOp
    nbytes: int
    first: int
    last: int
    group: int  # index of the group (arena slot) it belongs to
    shift: int = 0  # bytes into its group's slot (a Concat input inside its output)


def _analyze(module: ModuleOp, entry: func.FuncOp, in_place: bool = False,
             concats: ConcatPlacement | None = None) -> tuple[list[_Alloc], list[Buffer], int]:
    """Allocs with their live ranges, grouped with the Concat output they lie in
    (`concats`, alias_concats) and merged into in-place groups when `in_place`;
    returns the allocs, one Buffer per group, and how many allocs were merged in place."""
    block = entry.body.block
    schedule: dict[Operation, int] = {}
    allocs: list[_Alloc] = []
    for op in block.ops:
        if isinstance(op, memref.AllocOp):
            if op.operands:
                raise MemoryPlanError("dynamically sized memref.alloc in the entry")
            allocs.append(_Alloc(op, memref_bytes(op.memref.type), -1, -1, len(allocs)))
        elif not isinstance(op, (memref.DeallocOp, func.ReturnOp, arith.ConstantOp)):
            schedule[op] = len(schedule)
    by_value: dict[SSAValue, _Alloc] = {}
    for a in allocs:
        by_value[a.op.memref] = a
        positions = []
        for user in _users(a.op.memref):
            if user not in schedule:
                raise MemoryPlanError(f"buffer %{a.op.memref.name_hint} is used by {user.name} outside the schedule")
            positions.append(schedule[user])
        if not positions:
            # Never written nor read: it still gets (unshared) bytes for one position.
            positions = [0]
        a.first, a.last = min(positions), max(positions)

    kernels = {op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)}
    group_of = list(range(len(allocs)))  # group index per alloc (the first member's index)
    placed: set[int] = set()
    for a in allocs:
        if concats is not None and a.op.memref in concats.root:
            root, a.shift = concats.find(a.op.memref)
            group_of[a.group] = by_value[root].group
            placed.add(a.group)
    group_start = [a.first for a in allocs]
    group_end = [a.last for a in allocs]
    merged = 0
    for op, k in schedule.items():
        if not in_place or not isinstance(op, func.CallOp):
            continue
        kernel = kernels.get(op.callee.root_reference.data)
        if kernel is None or not isinstance(kernel.attributes.get("strata.elementwise"), UnitAttr):
            continue
        args = [by_value[v] for v in op.arguments if v in by_value and by_value[v].group not in placed]
        outs = [a for a in args if a.first == k]
        if len(outs) != 1:
            continue
        out = outs[0]
        for a in args:
            g = group_of[a.group]
            if (
                a is not out
                and group_end[g] == k
                and group_start[g] < k
                and a.nbytes == out.nbytes
                and a.op.memref.type.get_shape() == out.op.memref.type.get_shape()
            ):
                group_end[g] = max(group_end[g], group_end[group_of[out.group]])
                group_of[out.group] = g
                merged += 1
                break
    for a in allocs:
        a.group = group_of[a.group]
    groups = sorted({a.group for a in allocs})
    index = {g: n for n, g in enumerate(groups)}
    members: dict[int, list[_Alloc]] = {g: [] for g in groups}
    for a in allocs:
        members[a.group].append(a)
        a.group = index[a.group]
    buffers = [
        Buffer(
            size=round_up(max(m.shift + m.nbytes for m in members[g])),
            start=min(m.first for m in members[g]),
            end=max(m.last for m in members[g]),
            names=tuple(m.op.memref.name_hint or "?" for m in members[g]),
        )
        for g in groups
    ]
    return allocs, buffers, merged


def sink_source_calls(entry: func.FuncOp) -> int:
    """Moves each call that reads no intermediate (only graph inputs and weights, such as
    a ConstantOfShape fill) to just before the first op that uses what it writes, so its
    output is not live from the start; returns how many calls moved.

    Safe because every intermediate is written once, by its producer: a moved call still
    comes after everything it reads and before everything that reads its results. It can
    only shorten live ranges (it extends none: it reads no intermediate). No such call
    is the first user of another one's results (it would read an intermediate), so all
    targets are found in the original order and the moves do not interact."""
    block = entry.body.block
    kinds = [a.data for a in entry.attributes["strata.args"].data] if "strata.args" in entry.attributes else []
    outputs = {arg for arg, kind in zip(block.args, kinds) if kind.startswith("output:")}
    read_only = {arg for arg, kind in zip(block.args, kinds) if kind.startswith(("input:", "weight:"))}
    # A run-time check's status words (views of the "status:" argument) are no
    # intermediate: every call may write them, in any order.
    status = {arg for arg, kind in zip(block.args, kinds) if kind.startswith("status:")}
    read_only |= {op.result for op in block.ops if isinstance(op, memref.ViewOp) and op.source in status}
    position = {op: i for i, op in enumerate(block.ops)}

    def users(v: SSAValue) -> list[Operation]:
        return [u.operation for u in v.uses if not isinstance(u.operation, memref.DeallocOp)]

    first_users: dict[SSAValue, Operation] = {}  # once per buffer: a feature map read by
    # every later layer (DenseNet) would otherwise be scanned again at each of its readers

    def first_user(v: SSAValue) -> Operation:
        if v not in first_users:
            first_users[v] = min(users(v), key=position.get)
        return first_users[v]

    moves: list[tuple[Operation, Operation]] = []
    for op in block.ops:
        if not isinstance(op, func.CallOp):
            continue
        written = [
            v for v in op.arguments
            if v in outputs
            or (isinstance(v.owner, memref.AllocOp) and first_user(v) is op)
        ]
        if not written or any(v not in read_only and v not in written for v in op.arguments):
            continue
        later = [u for v in written for u in users(v) if u is not op]
        if not later or any(u not in position for u in later):
            continue
        target = min(later, key=position.__getitem__)
        if position[target] > position[op] + 1:
            moves.append((op, target))
    for op, target in moves:
        op.detach()
        block.insert_op_before(op, target)
    return len(moves)


def plan_module(module: ModuleOp, reorder: bool = True, in_place: bool = False) -> MemoryPlan | None:
    """Plans and rewrites the entry of `module`; returns the plan (None if the module has
    no entry, the entry allocates nothing or is planned already). With `reorder`, source
    calls are first moved next to their consumers (sink_source_calls); with `in_place`,
    elementwise kernels write over a dying input (see the module docstring)."""
    entry = entry_function(module)
    if entry is None or "strata.arena_bytes" in entry.attributes:
        return None
    if reorder:
        sink_source_calls(entry)
    alias_reshapes(module, entry)
    concats = alias_concats(module, entry)
    allocs, buffers, merged = _analyze(module, entry, in_place, concats)
    if not allocs:
        return None
    naive = sum(round_up(a.nbytes) for a in allocs)
    plan = plan_buffers(buffers, naive, merged)
    _rewrite(entry, allocs, plan)
    return plan


def _rewrite(entry: func.FuncOp, allocs: list[_Alloc], plan: MemoryPlan) -> None:
    block = entry.body.block
    arena_bytes = max(plan.arena_bytes, ALIGN)
    arena_type = MemRefType(i8, [arena_bytes])
    arena = block.insert_arg(arena_type, len(block.args))
    arena.name_hint = "arena"
    inputs = list(entry.function_type.inputs.data) + [arena_type]
    entry.function_type = FunctionType.from_lists(inputs, list(entry.function_type.outputs.data))
    kinds = list(entry.attributes["strata.args"].data) if "strata.args" in entry.attributes else []
    entry.attributes["strata.args"] = ArrayAttr([*kinds, StringAttr(f"arena:{arena_bytes}")])

    planned = {a.op for a in allocs}
    for op in list(block.ops):
        if isinstance(op, memref.DeallocOp) and op.memref.owner in planned:
            block.erase_op(op)
    constants: dict[int, SSAValue] = {}
    first = block.first_op
    for offset in sorted({plan.offsets[a.group] + a.shift for a in allocs}):
        c = arith.ConstantOp(IntegerAttr(offset, IndexType()))
        c.result.name_hint = f"off{offset}"
        block.insert_op_before(c, first)
        constants[offset] = c.result
    for a in allocs:
        view = memref.ViewOp(arena, constants[plan.offsets[a.group] + a.shift], [], a.op.memref.type)
        view.result.name_hint = a.op.memref.name_hint
        block.insert_op_before(view, a.op)
        a.op.memref.replace_all_uses_with(view.result)
        block.erase_op(a.op)

    for key, value in (
        ("strata.arena_bytes", plan.arena_bytes),
        ("strata.naive_bytes", plan.naive_bytes),
        ("strata.lower_bound_bytes", plan.lower_bound_bytes),
    ):
        entry.attributes[key] = IntegerAttr(value, i64)
    entry.attributes["strata.plan_strategy"] = StringAttr(plan.strategy)


@dataclass(frozen=True)
class PlanMemoryPass(ModulePass):
    """Replaces the entry's allocations by views into one statically planned arena."""

    name = "plan-memory"

    in_place: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        plan_module(op, in_place=self.in_place)
        report = getattr(ctx, "report", None)
        if isinstance(report, dict):
            report.update(planned_bytes(op))


def planned_bytes(module: ModuleOp) -> dict[str, int]:
    """naive_bytes, arena_bytes, lower_bound_bytes as recorded on the planned entry
    (zeros when nothing was planned)."""
    entry = entry_function(module)
    keys = ("naive_bytes", "arena_bytes", "lower_bound_bytes")
    if entry is None:
        return dict.fromkeys(keys, 0)
    out = {}
    for key in keys:
        attr = entry.attributes.get(f"strata.{key}")
        out[key] = attr.value.data if isinstance(attr, IntegerAttr) else 0
    return out
