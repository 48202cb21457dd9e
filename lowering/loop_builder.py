"""Helpers to write loop nests over memrefs with xDSL's upstream scf/arith/memref ops.

Kernel lowerings run inside `ImplicitBuilder(kernel_block)`, so every op created here
is inserted at the current point. A loop nest looks like:

    with loop_nest(shape) as ivs:
        v = load(x, ivs)
        store(relu(v), y, ivs)

Loops stay loops (LLVM's code generation time explodes on large straight-line blocks).

Index arithmetic (`ix_add`, `ix_mul`, ...) takes compile-time ints or `index` values and
folds the ints, so kernels with static shapes emit no arith op for constant offsets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from xdsl.builder import ImplicitBuilder
from xdsl.dialects import arith, memref, scf, vector
from xdsl.dialects.builtin import DYNAMIC_INDEX, ArrayAttr, DenseArrayBase, IndexType, IntegerAttr, IntegerType, MemRefType, StridedLayoutAttr, TensorType, VectorType, i32, i64
from xdsl.ir import Attribute, Block, Region, SSAValue

from dialects.shapes import contiguous_strides


def signless(ty: Attribute) -> Attribute:
    """The loop-level element type: arith works on signless integers only."""
    if isinstance(ty, IntegerType):
        return IntegerType(ty.width.data)
    return ty


def memref_type(ty: TensorType) -> MemRefType:
    """The buffer type of a statically shaped tensor (identity layout)."""
    return MemRefType(signless(ty.element_type), ty.get_shape())


# The unrolled register tiles of the conv and GEMM kernels are thousands of constants,
# loads, stores, index adds and FMAs per kernel (ResNet-50: 23k ops). xDSL's typed
# constructors run IRDL's argument processing, about 60 us an op on this machine;
# `Operation.create` with the operands, result types and properties they would produce
# takes about 20 us. The hot ops below are made that way (the same ops: the lit tests
# and the verifier see no difference).
_INDEX = IndexType()
_NO_OVERFLOW = arith.IntegerOverflowAttr("none")


def idx(value: int) -> SSAValue:
    """An `index` constant."""
    return arith.ConstantOp.create(properties={"value": IntegerAttr(value, _INDEX)}, result_types=[_INDEX]).results[0]


def as_index(value: int | SSAValue) -> SSAValue:
    return idx(value) if isinstance(value, int) else value


Index = int | SSAValue  # a compile-time int or an `index` value


# ---- index arithmetic (folds compile-time ints) -------------------------------------


def ix_add(a: Index, b: Index) -> Index:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    if isinstance(b, int) and b == 0:
        return a
    if isinstance(a, int) and a == 0:
        return b
    return arith.AddiOp.create(operands=[as_index(a), as_index(b)], result_types=[_INDEX],
                               properties={"overflowFlags": _NO_OVERFLOW}).results[0]


def ix_mul(a: Index, b: int) -> Index:
    if isinstance(a, int):
        return a * b
    if b == 1:
        return a
    return arith.MuliOp.create(operands=[a, as_index(b)], result_types=[_INDEX],
                               properties={"overflowFlags": _NO_OVERFLOW}).results[0]


def ix_sub(a: Index, b: Index) -> Index:
    if isinstance(a, int) and isinstance(b, int):
        return a - b
    if isinstance(b, int) and b == 0:
        return a
    return arith.SubiOp(as_index(a), as_index(b)).result


def ix_max(a: Index, b: Index) -> Index:
    if isinstance(a, int) and isinstance(b, int):
        return max(a, b)
    return arith.MaxSIOp(as_index(a), as_index(b)).result


def ix_min(a: Index, b: Index) -> Index:
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    return arith.MinSIOp(as_index(a), as_index(b)).result


def ix_ceildiv(a: Index, b: int) -> Index:
    """ceil(a / b) for b > 0 (a may be negative)."""
    if isinstance(a, int):
        return -(-a // b)
    if b == 1:
        return a
    return arith.FloorDivSIOp(ix_add(a, b - 1), as_index(b)).result  # type: ignore[arg-type]


def ix_affine(iv: Index, scale: int, offset: int) -> Index:
    """iv * scale + offset."""
    return ix_add(ix_mul(iv, scale), offset)


def load(mem: SSAValue, indices: Sequence[int | SSAValue]) -> SSAValue:
    ty = mem.type
    if not isinstance(ty, MemRefType) or len(indices) != ty.get_num_dims():
        raise ValueError(f"load of {len(indices)} indices from {ty}")  # what LoadOp.get would refuse
    return memref.LoadOp.create(operands=[mem, *[as_index(i) for i in indices]], result_types=[ty.element_type]).results[0]


def store(value: SSAValue, mem: SSAValue, indices: Sequence[int | SSAValue]) -> None:
    memref.StoreOp.create(operands=[value, mem, *[as_index(i) for i in indices]])


# The register tiles' vector ops (the conv tile: 3-4k FMAs, loads and broadcasts on
# ResNet-50), made with `Operation.create` as above: the same ops as vector.LoadOp(...),
# vector.StoreOp(...), vector.BroadcastOp(...) and vector.FMAOp(...) build.


def vload(mem: SSAValue, indices: Sequence[int | SSAValue], vt: VectorType) -> SSAValue:
    """vector.load of `vt` (contiguous lanes) at `indices`."""
    return vector.LoadOp.create(operands=[mem, *[as_index(i) for i in indices]], result_types=[vt]).results[0]


def vstore(value: SSAValue, mem: SSAValue, indices: Sequence[int | SSAValue]) -> None:
    vector.StoreOp.create(operands=[value, mem, *[as_index(i) for i in indices]])


def vbroadcast(value: SSAValue, vt: VectorType) -> SSAValue:
    return vector.BroadcastOp.create(operands=[value], result_types=[vt]).results[0]


def vshuffle(a: SSAValue, b: SSAValue, mask: Sequence[int]) -> SSAValue:
    """vector.shuffle: lane i of the result is lane mask[i] of a ++ b."""
    vt = VectorType(a.type.element_type, [len(mask)])  # type: ignore[attr-defined]
    return vector.ShuffleOp(a, b, DenseArrayBase.from_list(i64, list(mask)), result_type=vt).result


def transpose_8x8(rows: Sequence[SSAValue]) -> list[SSAValue]:
    """The 8 columns of the 8 x 8 block whose rows are 8 vector<8 x T> values: 24
    two-input shuffles in the pattern AVX code uses (interleave pairs of rows, then
    pairs of pairs, then the 128-bit halves), which LLVM selects as unpck/shufps/vperm2f128."""
    assert len(rows) == 8
    lo, hi = [0, 8, 1, 9, 4, 12, 5, 13], [2, 10, 3, 11, 6, 14, 7, 15]
    t = [vshuffle(rows[2 * i], rows[2 * i + 1], m) for i in range(4) for m in (lo, hi)]
    lo2, hi2 = [0, 1, 8, 9, 4, 5, 12, 13], [2, 3, 10, 11, 6, 7, 14, 15]
    # u[0..3]: columns (0, 4), (1, 5), (2, 6), (3, 7) of rows 0-3; u[4..7] of rows 4-7
    u = [vshuffle(t[4 * h + p], t[4 * h + p + 2], m) for h in range(2) for p in range(2) for m in (lo2, hi2)]
    low, high = [0, 1, 2, 3, 8, 9, 10, 11], [4, 5, 6, 7, 12, 13, 14, 15]
    columns: list[SSAValue] = [None] * 8  # type: ignore[list-item]
    for c in range(4):
        columns[c] = vshuffle(u[c], u[c + 4], low)
        columns[c + 4] = vshuffle(u[c], u[c + 4], high)
    return columns


def vfma(a: SSAValue, b: SSAValue, acc: SSAValue) -> SSAValue:
    """a * b + acc, lane by lane."""
    return vector.FMAOp.create(operands=[a, b, acc], result_types=[acc.type]).results[0]


@dataclass
class Loop:
    """The body of one `scf.for`: its induction variable, carried values, and results."""

    op: scf.ForOp
    iv: SSAValue
    carried: tuple[SSAValue, ...]
    yielded: list[SSAValue] = field(default_factory=list)

    def yield_(self, *values: SSAValue) -> None:
        self.yielded = list(values)

    @property
    def results(self) -> tuple[SSAValue, ...]:
        return tuple(self.op.results)


@contextmanager
def loop(
    upper: int | SSAValue,
    lower: int | SSAValue = 0,
    step: int | SSAValue = 1,
    carried: Sequence[SSAValue] = (),
) -> Iterator[Loop]:
    """`for iv in range(lower, upper, step)`; values in `carried` become iter_args and
    the body must call `yield_` with their next values. Read `results` after the block."""
    lb, ub, st = as_index(lower), as_index(upper), as_index(step)
    body = Block(arg_types=[IndexType(), *[c.type for c in carried]])
    op = scf.ForOp(lb, ub, st, list(carried), body)
    lp = Loop(op, body.args[0], tuple(body.args[1:]))
    with ImplicitBuilder(body):
        yield lp
        if len(lp.yielded) != len(carried):
            raise ValueError(f"loop carries {len(carried)} values but yielded {len(lp.yielded)}")
        scf.YieldOp(*lp.yielded)


def carried_loops(
    ranges: Sequence[tuple[int | SSAValue, int | SSAValue]],
    inits: Sequence[SSAValue],
    body: Callable[[list[SSAValue], list[SSAValue]], Sequence[SSAValue]],
) -> list[SSAValue]:
    """Nested loops over `ranges` ((lower, upper) each, step 1) carrying `inits` through
    all of them: body(ivs, carried) returns the next carried values; the results of the
    outermost loop are returned (`inits` when there are no ranges, after one body)."""
    if not ranges:
        return list(body([], list(inits)))
    lo, hi = ranges[0]
    with loop(hi, lo, carried=inits) as lp:
        outer = lp.iv
        lp.yield_(*carried_loops(ranges[1:], list(lp.carried), lambda ivs, values: body([outer, *ivs], values)))
    return list(lp.results)


@contextmanager
def loop_nest(bounds: Sequence[int | SSAValue]) -> Iterator[list[SSAValue]]:
    """Perfectly nested loops over `bounds`, yielding the induction variables
    (outermost first). Rank 0 gives no loop and an empty list."""
    if not bounds:
        yield []
        return
    with loop(bounds[0]) as outer:
        with loop_nest(bounds[1:]) as inner:
            yield [outer.iv, *inner]


def collapse(mem: SSAValue, groups: Sequence[Sequence[int]]) -> SSAValue:
    """The contiguous memref `mem` with each group of consecutive dims merged into one
    (memref.collapse_shape: the same buffer, no copy)."""
    t = mem.type
    assert isinstance(t, MemRefType)
    shape = t.get_shape()
    sizes = []
    for group in groups:
        size = 1
        for d in group:
            size *= shape[d]
        sizes.append(size)
    reassociation = ArrayAttr([ArrayAttr([IntegerAttr(d, i64) for d in g]) for g in groups])
    return memref.CollapseShapeOp(operands=[mem], result_types=[MemRefType(t.element_type, sizes)],
                                  properties={"reassociation": reassociation}).result


def span(mem: SSAValue, offsets: Sequence[Index], sizes: Sequence[int]) -> SSAValue:
    """The box of `sizes` at `offsets` (ints or index values) of the contiguous memref
    `mem`, unit steps (memref.subview: the same buffer, no copy)."""
    t = mem.type
    assert isinstance(t, MemRefType)
    strides = contiguous_strides(t.get_shape())
    dynamic = [o for o in offsets if isinstance(o, SSAValue)]
    static = [DYNAMIC_INDEX if isinstance(o, SSAValue) else o for o in offsets]
    offset = None if dynamic else sum(o * st for o, st in zip(static, strides))
    result = MemRefType(t.element_type, list(sizes), StridedLayoutAttr(strides, offset))
    # `create` with what memref.SubviewOp(...) would make (as the hot ops above): a
    # DenseNet has 2k of these, and the typed constructor was half its Concats' lowering.
    properties = {
        "static_offsets": DenseArrayBase.from_list(i64, static),
        "static_sizes": DenseArrayBase.from_list(i64, list(sizes)),
        "static_strides": DenseArrayBase.from_list(i64, [1] * len(sizes)),
        "operandSegmentSizes": DenseArrayBase.from_list(i32, [1, len(dynamic), 0, 0]),
    }
    return memref.SubviewOp.create(operands=[mem, *dynamic], result_types=[result], properties=properties).results[0]


def copy(src: SSAValue, dst: SSAValue) -> None:
    """dst = src for two contiguous memrefs of the same shape (memref.copy: one memcpy)."""
    memref.CopyOp(src, dst)


@contextmanager
def parallel(
    bounds: Sequence[int | SSAValue],
    lower: Sequence[int | SSAValue] = (),
    steps: Sequence[int | SSAValue] = (),
) -> Iterator[list[SSAValue]]:
    """An `scf.parallel` over `bounds` (from `lower`, by `steps`; 0 and 1 by default),
    yielding its induction variables: a loop nest whose iterations are independent.
    The body may only write what its own iteration owns (output elements indexed by
    the induction variables) and scratch buffers allocated for it; with more than one
    thread the translator runs contiguous ranges of iterations on the model's thread
    pool when the loop does enough work (lowering/parallel_cost.py), and otherwise as
    this loop nest. No bounds: no loop."""
    if not bounds:
        yield []
        return
    n = len(bounds)
    lbs = [as_index(v) for v in (lower or [0] * n)]
    ubs = [as_index(v) for v in bounds]
    sts = [as_index(v) for v in (steps or [1] * n)]
    body = Block(arg_types=[IndexType()] * n)
    scf.ParallelOp(lbs, ubs, sts, Region(body))
    with ImplicitBuilder(body):
        yield list(body.args)
        scf.ReduceOp()


# Elements per iteration of a parallel 1-D elementwise loop: a few L1-sized tiles, so a
# share is never smaller than a cache line and the serial inner loop still vectorizes.
PARALLEL_CHUNK = 4096


@contextmanager
def parallel_nest(shape: Sequence[int]) -> Iterator[list[SSAValue]]:
    """Loops over a static `shape` like `loop_nest`, with every dim but the innermost
    in one `parallel` loop (the innermost stays the serial loop LLVM vectorizes); a 1-D
    shape longer than PARALLEL_CHUNK runs in parallel chunks of that many elements."""
    if len(shape) == 1 and shape[0] > PARALLEL_CHUNK:
        chunks = -(-shape[0] // PARALLEL_CHUNK)
        with parallel([chunks]) as (c,):
            start = arith.MuliOp(c, idx(PARALLEL_CHUNK)).result
            end = arith.MinSIOp(arith.AddiOp(start, idx(PARALLEL_CHUNK)).result, idx(shape[0])).result
            with loop(end, start) as inner:
                yield [inner.iv]
        return
    if len(shape) <= 1:
        with loop_nest(shape) as ivs:
            yield ivs
        return
    with parallel(shape[:-1]) as outer:
        with loop(shape[-1]) as inner:
            yield [*outer, inner.iv]


def broadcast_indices(
    ivs: Sequence[SSAValue], in_shape: Sequence[int], out_shape: Sequence[int]
) -> list[int | SSAValue]:
    """Indices into a numpy-broadcast input of `in_shape` for the output position `ivs`."""
    offset = len(out_shape) - len(in_shape)
    result: list[int | SSAValue] = []
    for d, size in enumerate(in_shape):
        if size == 1 and out_shape[offset + d] != 1:
            result.append(0)
        else:
            result.append(ivs[offset + d])
    return result
