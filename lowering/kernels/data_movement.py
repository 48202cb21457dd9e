"""Data-movement kernels: copies whose index maps are fixed at compile time. Reshape,
Flatten, Squeeze and Unsqueeze copy in row-major order (the output position is
linearized and split back into an input position with index div/rem; the shape/axes
operands are not read, the static result type says everything). Transpose permutes the
loop indices, Concat and Split run one loop nest per input/output at a running offset
along the axis (sizes come from the static types, so Split never reads `split`), Slice
reads `data[start + i * step]` with per-axis start/step computed from its constant
operands with ONNX's clamping rules, Expand broadcasts, Tile reads `input[i mod d]`.
Gather loads its runtime indices and wraps negative ones (ONNX); an index still out of
range is never used: the access is skipped and the call raises OutOfRangeError naming
the node, the index and the axis size (`checked_index` and `kc.guard`, see
lowering/runtime_checks.py), as onnxruntime refuses such indices; so do GatherElements,
GatherND, ScatterElements and ScatterND. Gather checks each index once and copies the
slice behind it in an inner loop nest. The scatters copy data to the output and
then, in row-major order of `indices`, store or combine (reduction add/mul/max/min) each
update at its indexed position, so with duplicate indices the last update wins (as in
onnxruntime). GatherND/ScatterND load and check an index tuple once per tuple and copy
the slice behind it in an inner loop nest. OneHot compares each output position along
`axis` with its wrapped index (an index outside [-depth, depth) matches nothing: all
off_value, as ONNX says); depth is the static result dim, a depth operand that is not a
constant is checked against it at run time, values are read at run time. Trilu keeps x where
j - i >= k (upper) or <= k (lower) with k read at run time, EyeLike writes 1 where
j - i == k. DepthToSpace and SpaceToDepth are one permutation loop nest over (n, c, h,
block row, w, block column) of the smaller-spatial side (`space_depth_copy`). Shape and Size store their static
values, ConstantOfShape fills with its `value` scalar (default f32 0), and Range
computes `start + i * delta` from its runtime scalars over the static output length.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from contextlib import ExitStack, nullcontext

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects.builtin import IntegerType, VectorType, f32, i64
from xdsl.ir import SSAValue

from dialects.shapes import contiguous_strides
from dialects.weights import attr_array
from dialects.onnx.base import int_attr_value, str_attr_value
from lowering import scalar
from lowering.loop_builder import PARALLEL_CHUNK, broadcast_indices, collapse, copy, idx, load, loop, loop_nest, parallel, store, transpose_8x8, vload, vstore
from lowering.kernel_context import KernelContext, KernelLowering, copy_kernel_body
from lowering.loop_builder import Index, as_index, ix_add, ix_mul, span
from lowering.runtime_checks import Check


# ---- index arithmetic ---------------------------------------------------------------


def imul(a: Index, b: int) -> Index:
    """`ix_mul` that also folds b == 0 to 0 (a stride after a zero-size dim), where
    ix_mul would emit the multiply."""
    return 0 if b == 0 else ix_mul(a, b)


def linearize(ivs: Sequence[SSAValue | int], shape: Sequence[int]) -> SSAValue | int:
    """The row-major offset of position `ivs` in `shape`."""
    flat: SSAValue | int = 0
    for iv, st, d in zip(ivs, contiguous_strides(shape), shape):
        if d != 1:
            flat = ix_add(flat, imul(iv, st))
    return flat


def delinearize(flat: SSAValue | int, shape: Sequence[int]) -> list[SSAValue | int]:
    """The position in `shape` of row-major offset `flat` (divui/remui on index)."""
    out: list[SSAValue | int] = []
    strides = contiguous_strides(shape)
    for k, (d, st) in enumerate(zip(shape, strides)):
        if d == 1:
            out.append(0)
            continue
        q = flat if st == 1 else arith.DivUIOp(as_index(flat), idx(st)).result
        # The outermost non-unit dim needs no remainder (flat < numel).
        if any(x != 1 for x in shape[:k]):
            q = arith.RemUIOp(as_index(q), idx(d)).result
        out.append(q)
    return out


def clamp_index(v: SSAValue, lo: int, hi: int) -> SSAValue:
    """min(max(v, lo), hi) on a signed index value."""
    return arith.MinSIOp(arith.MaxSIOp(v, idx(lo)).result, idx(hi)).result


def checked_index(value: SSAValue, dim: int, axis: int) -> tuple[SSAValue, Check]:
    """A runtime i32/i64 index into axis `axis` of size `dim` as an `index`, negative ones
    wrapped (ONNX), and the Check that it then lies in [0, dim): use it only under
    `kc.guard([check])`."""
    raw = scalar.to_index(value)
    neg = arith.CmpiOp(raw, idx(0), "slt").result
    i = arith.SelectOp(neg, arith.AddiOp(raw, idx(dim)).result, raw).result
    ok = arith.CmpiOp(i, idx(dim), "ult").result  # a negative i is a huge unsigned one
    valid = f"from {-dim} to {dim - 1}" if dim else "none: the axis is empty"
    return i, Check(ok, value, f"index {{value}} is out of range for axis {axis} of size {dim} (valid: {valid})")


# ---- reshaping ----------------------------------------------------------------------


def row_major_copy(src: SSAValue, src_shape: Sequence[int], dst: SSAValue, dst_shape: Sequence[int]) -> None:
    """dst = src reinterpreted in row-major order (same element count)."""
    if tuple(src_shape) == tuple(dst_shape):
        copy_kernel_body(src, dst)
        return
    squeezed_src = [d for d in src_shape if d != 1]
    squeezed_dst = [d for d in dst_shape if d != 1]
    with loop_nest(dst_shape) as ivs:
        if squeezed_src == squeezed_dst:
            # Only unit dims differ: the non-unit indices carry over one to one.
            it = iter(iv for iv, d in zip(ivs, dst_shape) if d != 1)
            src_idx: list[SSAValue | int] = [0 if d == 1 else next(it) for d in src_shape]
        else:
            src_idx = delinearize(linearize(ivs, dst_shape), src_shape)
        store(load(src, src_idx), dst, ivs)


def _reshape_like(in_name: str, out_name: str) -> KernelLowering:
    def lower(kc: KernelContext) -> None:
        row_major_copy(kc.input(in_name), kc.shape(in_name), kc.output(out_name), kc.shape(out_name))

    return lower


def _entry(kc: KernelContext, name: str, j: int) -> SSAValue:
    return scalar.convert(load(kc.input(name), [j]), i64, src_unsigned=kc.unsigned(name))


def _entries_guard(kc: KernelContext, name: str, allowed: Sequence[Sequence[int] | None], what: str):
    """A guard (kc.guard) that entry j of the 1-D operand `name`, read at run time, is
    one of allowed[j] (None: anything); `what` names the compiled shape in the message."""
    checks = []
    for j, values in enumerate(allowed):
        if values is None:
            continue
        v = _entry(kc, name, j)
        ok = None
        for a in values:
            eq = arith.CmpiOp(v, scalar.const(int(a), i64), "eq").result
            ok = eq if ok is None else arith.OrIOp(ok, eq).result
        if ok is None:
            ok = scalar.const(0, IntegerType(1))
        choices = " or ".join(str(a) for a in values) or "nothing"
        checks.append(Check(ok, v, f"{name}[{j}] is {{value}}, where {what} needs {choices}"))
    return kc.guard(checks) if checks else nullcontext()


def _axes_guard(kc: KernelContext, rank: int, valid: list[tuple[int, ...]], what: str):
    """A guard that the run-time `axes` operand (values in [-rank, rank), any order, no
    repeats) names one of the `valid` axis sets: the set is read as a bit mask (a
    repeated axis or one out of range gives a mask that matches none)."""
    n = kc.shape("axes")[0] if kc.shape("axes") else 1
    mask = scalar.const(0, i64)
    bad = scalar.const(0, i64)
    for j in range(n):
        a = _entry(kc, "axes", j) if kc.shape("axes") else scalar.convert(load(kc.input("axes"), []), i64)
        neg = arith.CmpiOp(a, scalar.const(0, i64), "slt").result
        a = arith.SelectOp(neg, arith.AddiOp(a, scalar.const(rank, i64)).result, a).result
        out_of_range = arith.OrIOp(arith.CmpiOp(a, scalar.const(0, i64), "slt").result,
                                   arith.CmpiOp(a, scalar.const(rank, i64), "sge").result).result
        safe = arith.SelectOp(out_of_range, scalar.const(63, i64), a).result
        bit = arith.ShLIOp(scalar.const(1, i64), safe).result
        repeated = arith.CmpiOp(arith.AndIOp(mask, bit).result, scalar.const(0, i64), "ne").result
        bad = arith.OrIOp(bad, arith.ExtUIOp(arith.OrIOp(out_of_range, repeated).result, i64).result).result
        mask = arith.OrIOp(mask, bit).result
    ok = arith.CmpiOp(bad, scalar.const(0, i64), "eq").result
    any_valid = None
    for axes in valid:
        want = sum(1 << a for a in axes)
        eq = arith.CmpiOp(mask, scalar.const(want, i64), "eq").result
        any_valid = eq if any_valid is None else arith.OrIOp(any_valid, eq).result
    ok = arith.AndIOp(ok, any_valid if any_valid is not None else scalar.const(0, IntegerType(1))).result
    sets = " or ".join(str(list(v)) for v in valid[:4]) or "none"
    return kc.guard([Check(ok, mask, f"axes (as the bit mask {{value}}) differ from the axes {sets} {what}")])


def _ones_removed(longer: Sequence[int], shorter: Sequence[int]) -> list[tuple[int, ...]]:
    """Every set of positions of 1-dims in `longer` whose removal leaves `shorter`."""
    k = len(longer) - len(shorter)
    ones = [i for i, d in enumerate(longer) if d == 1]
    return [
        c for c in itertools.combinations(ones, k)
        if [d for i, d in enumerate(longer) if i not in c] == list(shorter)
    ] if 0 <= k <= len(ones) else []


def _lower_squeeze_like(in_name: str, out_name: str, squeeze: bool) -> KernelLowering:
    """A row-major copy; an `axes` operand read at run time must name one of the axis
    sets that give the compiled result shape (else nothing is copied and the call
    raises OutOfRangeError)."""
    def lower(kc: KernelContext) -> None:
        in_shape, out_shape = kc.shape(in_name), kc.shape(out_name)
        with ExitStack() as stack:
            if kc.op.axes is not None and kc.const("axes") is None:
                longer, shorter = (in_shape, out_shape) if squeeze else (out_shape, in_shape)
                what = f"{'squeezing' if squeeze else 'unsqueezing'} {list(in_shape)} to the compiled {list(out_shape)}"
                stack.enter_context(_axes_guard(kc, len(longer), _ones_removed(longer, shorter), f"of {what}"))
            row_major_copy(kc.input(in_name), in_shape, kc.output(out_name), out_shape)

    return lower


def lower_reshape(kc: KernelContext) -> None:
    """A row-major copy. A shape operand that is not a constant (compile() took the
    result type from the model's declared output) is checked at run time: entry j must
    be the result's dim j, -1 (at most one), or 0 where that copies an equal input dim;
    otherwise nothing is copied and the call raises OutOfRangeError."""
    in_shape, out_shape = kc.shape("data"), kc.shape("reshaped")
    with ExitStack() as stack:
        if kc.const("shape") is None:
            shape = kc.input("shape")
            allowzero = int_attr_value(kc.op.allowzero) or 0
            checks = []
            minus_ones = scalar.const(0, i64)
            for j, d in enumerate(out_shape):
                v = scalar.convert(load(shape, [j]), i64)
                is_minus_one = arith.CmpiOp(v, scalar.const(-1, i64), "eq").result
                ok = arith.OrIOp(arith.CmpiOp(v, scalar.const(d, i64), "eq").result, is_minus_one).result
                if not allowzero and j < len(in_shape) and in_shape[j] == d:
                    ok = arith.OrIOp(ok, arith.CmpiOp(v, scalar.const(0, i64), "eq").result).result
                minus_ones = arith.AddiOp(minus_ones, arith.ExtUIOp(is_minus_one, i64).result).result
                checks.append(Check(ok, v, f"shape entry {j} is {{value}}, which does not give dim {d} of the "
                                           f"compiled result shape {list(out_shape)}"))
            at_most_one = arith.CmpiOp(minus_ones, scalar.const(1, i64), "sle").result
            checks.append(Check(at_most_one, minus_ones, "the shape holds {value} entries of -1 (at most one is allowed)"))
            stack.enter_context(kc.guard(checks))
        row_major_copy(kc.input("data"), in_shape, kc.output("reshaped"), out_shape)


def transpose_groups(perm: Sequence[int]) -> list[list[int]]:
    """Runs of consecutive input dims that stay consecutive, in order, in the output
    (perm (0, 2, 3, 1) keeps dims 2, 3 together): each run moves as one dim."""
    groups: list[list[int]] = []
    for k, d in enumerate(perm):
        if k and d == perm[k - 1] + 1:
            groups[-1].append(d)
        else:
            groups.append([d])
    return sorted(groups)


def copy_rows(rows: Sequence[int], length: int, src: SSAValue, src_at: Callable[[list[SSAValue], Index], list[Index]],
              dst: SSAValue, dst_at: Callable[[list[SSAValue], Index], list[Index]], lanes: int) -> None:
    """dst[dst_at(r, j)] = src[src_at(r, j)] for every row r of the nest `rows` (a
    parallel loop) and j in [0, length), where j runs along the last, contiguous dim of
    both buffers. f32 rows move as explicit vectors of `lanes` (then the length %
    lanes last elements one by one): a copy loop left to LLVM's vectorizer checks src
    and dst for overlap on every row, and rows of 64 floats (the attention heads'
    transposes) ran at half speed that way."""
    vt = VectorType(src.type.element_type, [lanes])
    full = length - length % lanes if src.type.element_type == f32 else 0
    with parallel(rows) as r:
        if full:
            with loop(full, 0, lanes) as j:
                vstore(vload(src, src_at(r, j.iv), vt), dst, dst_at(r, j.iv))
        if full < length:
            with loop(length, full) as j:
                store(load(src, src_at(r, j.iv)), dst, dst_at(r, j.iv))


TRANSPOSE_TILE = 16  # one cache line of f32 along the source's contiguous dim


def lower_transpose(kc: KernelContext) -> None:
    """transposed[i] = data[j] with j[perm[k]] = i[k], on data and transposed with the
    dims that move together collapsed (transpose_groups: a [1, 96, 56, 56] NCHW -> NHWC
    is a [1, 96, 3136] -> [1, 3136, 96] one). The output's rows (all dims but the last)
    are a parallel loop; a row is a contiguous copy (copy_rows) when the last dim stays
    last; otherwise it is done in blocks (below).
    Measured on Zen 4 (a Transpose + Relu model, best of 200):
    on 2 threads [1, 96, 56, 56] (0, 2, 3, 1) 148 -> 91 us, [1, 56, 56, 96] (0, 3, 1, 2)
    216 -> 120 us (the loop nest was serial); rows copied as vectors, 1 thread: [1, 6,
    197, 64] (0, 2, 1, 3) 35 -> 25 us, [1, 197, 3, 6, 64] (2, 0, 3, 1, 4) 89 -> 59 us; in
    8 x 8 register blocks (f32), 1 thread: [1, 96, 56, 56] (0, 2, 3, 1) 150 -> 79 us
    (onnxruntime 78), [1, 56, 56, 96] (0, 3, 1, 2) 221 -> 80 us (onnxruntime 95-118),
    [1, 6, 197, 64] (0, 1, 3, 2) 57 -> 29 us. Other element types, or f32 with a dim of
    fewer than 8, go in scalar tiles of TRANSPOSE_TILE (an element loop alone was 1.4x
    slower there: each step touched another source line)."""
    perm = kc.op.effective_perm()
    data, out = kc.input("data"), kc.output("transposed")
    groups = transpose_groups(perm)
    if len(groups) < len(perm):
        order = sorted(range(len(groups)), key=lambda g: perm.index(groups[g][0]))  # output order of the groups
        out_groups, k = [], 0
        for g in order:
            out_groups.append(list(range(k, k + len(groups[g]))))
            k += len(groups[g])
        data, out, perm = collapse(data, groups), collapse(out, out_groups), order
    out_shape = list(out.type.get_shape())

    def source(ivs: list[Index]) -> list[Index]:
        src: list[Index] = [0] * len(perm)
        for k, p in enumerate(perm):
            src[p] = ivs[k]
        return src

    if perm[-1] == len(perm) - 1:
        copy_rows(out_shape[:-1], out_shape[-1], data, lambda r, j: source([*r, j]), out, lambda r, j: [*r, j],
                  kc.target.f32_lanes)
        return
    # The last dim moves. `a` is the output dim that is the source's last (contiguous)
    # one; both paths below work in tiles along it.
    a = perm.index(len(perm) - 1)
    rank = len(perm)
    others = [k for k in range(rank - 1) if k != a]

    def at(outer: Sequence[Index], ia: Index, il: Index) -> list[Index]:
        ivs: list[Index] = [0] * rank
        for k, iv in zip(others, outer):
            ivs[k] = iv
        ivs[a], ivs[-1] = ia, il
        return ivs

    def scalar_tile(outer: Sequence[Index], a0: Index, width: int, j_lo: int = 0) -> None:
        with loop(out_shape[-1], j_lo) as last:
            for u in range(width):
                ivs = at(outer, ix_add(a0, u), last.iv)
                store(load(data, source(ivs)), out, ivs)

    a8, l8 = out_shape[a] - out_shape[a] % 8, out_shape[-1] - out_shape[-1] % 8
    if data.type.element_type == f32 and a8 and l8:
        # 8 x 8 blocks through registers: 8 vector loads along the source's contiguous
        # dim, transpose_8x8, 8 vector stores along the output's (onnxruntime's MLAS
        # transposes in blocks the same way); the edges that are not whole blocks go
        # element by element.
        vt = VectorType(f32, [8])
        with parallel([out_shape[k] for k in others] + [a8], steps=[1] * len(others) + [8]) as ivs:
            outer, a0 = ivs[:-1], ivs[-1]
            with loop(l8, 0, 8) as j:
                rows = [vload(data, source(at(outer, a0, ix_add(j.iv, v))), vt) for v in range(8)]
                for u, column in enumerate(transpose_8x8(rows)):
                    vstore(column, out, at(outer, ix_add(a0, u), j.iv))
            if l8 < out_shape[-1]:
                scalar_tile(outer, a0, 8, l8)
        if a8 < out_shape[a]:
            with parallel([out_shape[k] for k in others]) as outer:
                scalar_tile(outer, a8, out_shape[a] - a8)
        return
    # Scalar tiles of TRANSPOSE_TILE along `a`: each step of the output's last dim reads
    # TRANSPOSE_TILE neighbours of one source row and writes that many output rows, each
    # of which then fills its cache lines in order.
    tiles, rest = divmod(out_shape[a], TRANSPOSE_TILE)
    if tiles:
        with parallel([out_shape[k] for k in others] + [tiles * TRANSPOSE_TILE],
                      steps=[1] * len(others) + [TRANSPOSE_TILE]) as ivs:
            scalar_tile(ivs[:-1], ivs[-1], TRANSPOSE_TILE)
    if rest:
        with parallel([out_shape[k] for k in others]) as outer:
            scalar_tile(outer, tiles * TRANSPOSE_TILE, rest)


# ---- joining and splitting ----------------------------------------------------------


def copy_span_rows(rows: int | None, length: int, src: SSAValue, src_start: int, dst: SSAValue, dst_start: int) -> None:
    """dst[r, dst_start + j] = src[r, src_start + j] for j in [0, length) and every row r
    of `rows` (None: src and dst are 1-D), each row one memcpy (memref.copy of spans), the
    rows a parallel loop and a row longer than PARALLEL_CHUNK elements split into
    parallel chunks of that many."""
    def piece(r: list[SSAValue], start: Index, n: int) -> None:
        at = [r[0]] if rows is not None else []
        one = [1] if rows is not None else []
        copy(span(src, [*at, ix_add(start, src_start)], [*one, n]), span(dst, [*at, ix_add(start, dst_start)], [*one, n]))

    bounds = [rows] if rows is not None else []
    chunks, tail = divmod(length, PARALLEL_CHUNK) if length > PARALLEL_CHUNK else (0, length)
    if chunks:
        with parallel([*bounds, chunks]) as ivs:
            piece(ivs[:-1], ix_mul(ivs[-1], PARALLEL_CHUNK), PARALLEL_CHUNK)
    if tail:
        with parallel(bounds) as r:
            piece(r, chunks * PARALLEL_CHUNK, tail)


def _copy_parts(axis: int, whole: SSAValue, parts, into_whole: bool) -> None:
    """One span copy (copy_span_rows) per (value, buffer) part, into `whole` (or out of
    it) at the running offset along `axis`: Concat's and Split's one loop. Both sides
    are seen as [dims before the axis, the rest] (collapse): a part's rows are
    contiguous runs of the whole's rows, each one memcpy. (A DenseNet block's 25-input
    Concat of [1, 4, 56, 56, 8] blocks was 25 nests of 8-element row loops: 2 s of LLVM
    at -O3 for that one kernel; as copies it is a few milliseconds.)"""
    rank = len(whole.type.get_shape())
    if not rank:
        for _, buf in parts:
            store(load(buf, []), whole, [])
        return
    groups = ([list(range(axis))] if axis else []) + [list(range(axis, rank))]
    flat_whole = collapse(whole, groups)
    offset = 0
    for value, buf in parts:
        shape = tuple(value.type.get_shape())
        rows = int(np.prod(shape[:axis], dtype=np.int64)) if axis else None
        length = int(np.prod(shape[axis:], dtype=np.int64))
        start = offset * int(np.prod(shape[axis + 1:], dtype=np.int64))
        if length and rows != 0:
            flat = collapse(buf, groups)
            if into_whole:
                copy_span_rows(rows, length, flat, 0, flat_whole, start)
            else:
                copy_span_rows(rows, length, flat_whole, start, flat, 0)
        offset += shape[axis]


def lower_concat(kc: KernelContext) -> None:
    """One loop nest per input, writing at the running offset along the axis."""
    parts = zip(kc.op.inputs, kc.variadic("inputs"))
    _copy_parts(kc.op.normalized_axis(), kc.output("concat_result"), parts, True)


def lower_split(kc: KernelContext) -> None:
    """One loop nest per output reading at the running offset; the part sizes are the
    static output dims (equal to `split` or the num_outputs rule by verification)."""
    parts = zip(kc.op.outputs, kc.variadic("outputs"))
    _copy_parts(kc.op.normalized_axis(), kc.input("input"), parts, False)


# ---- indexing -----------------------------------------------------------------------


def slice_params(
    shape: Sequence[int],
    starts: Sequence[int],
    ends: Sequence[int],
    axes: Sequence[int] | None,
    steps: Sequence[int] | None,
) -> tuple[list[int], list[int], list[int]]:
    """Per-axis (start, step, length) of an ONNX Slice, clamped as the spec says."""
    rank = len(shape)
    axes = list(range(len(starts))) if axes is None else [a + rank if a < 0 else a for a in axes]
    steps = [1] * len(starts) if steps is None else list(steps)
    first, step_of, length = [0] * rank, [1] * rank, list(shape)
    for a, s, e, st in zip(axes, starts, ends, steps):
        d = shape[a]
        if st == 0:
            raise ValueError("slice step must not be 0")
        s = s + d if s < 0 else s
        e = e + d if e < 0 else e
        if st > 0:
            s, e = min(max(s, 0), d), min(max(e, 0), d)
            n = max(0, (e - s + st - 1) // st)
        else:
            s, e = min(max(s, 0), d - 1), min(max(e, -1), d - 1)
            n = max(0, (s - e + (-st) - 1) // (-st))
        first[a], step_of[a], length[a] = s, st, n
    return first, step_of, length


def _ints(array: np.ndarray | None) -> list[int] | None:
    return None if array is None else [int(v) for v in np.asarray(array).reshape(-1)]


def lower_slice(kc: KernelContext) -> None:
    """output[i] = data[start + i * step] per axis (constants folded at compile time)."""
    shape = kc.shape("data")
    starts, ends = _ints(kc.require_const("starts")), _ints(kc.require_const("ends"))
    axes = _ints(kc.require_const("axes")) if kc.op.axes is not None else None
    steps = _ints(kc.require_const("steps")) if kc.op.steps is not None else None
    try:
        first, step, length = slice_params(shape, starts, ends, axes, steps)
    except ValueError as e:
        raise kc.fail(str(e)) from None
    out_shape = kc.shape("output")
    if tuple(length) != out_shape:
        raise kc.fail(f"slice gives shape {length}, but the result type has {list(out_shape)}")
    data, out = kc.input("data"), kc.output("output")
    with loop_nest(out_shape) as ivs:
        src = [ix_add(imul(iv, st), s) for iv, s, st in zip(ivs, first, step)]
        store(load(data, src), out, ivs)


def lower_gather(kc: KernelContext) -> None:
    """output[a, j, b] = data[a, indices[j], b]: each index is wrapped and checked once,
    then the slice b behind it is copied (an index out of range copies nothing and
    makes the call raise)."""
    axis = kc.op.normalized_axis()
    sd, si = kc.shape("data"), kc.shape("indices")
    data, indices, out = kc.input("data"), kc.input("indices"), kc.output("output")
    with loop_nest([*sd[:axis], *si]) as outer:
        i, check = checked_index(load(indices, outer[axis:]), sd[axis], axis)
        with kc.guard([check]):
            with loop_nest(sd[axis + 1 :]) as inner:
                store(load(data, [*outer[:axis], i, *inner]), out, [*outer, *inner])


def _check_index_shape(kc: KernelContext, axis: int) -> None:
    """GatherElements/ScatterElements: indices dims other than `axis` must fit in data's."""
    sd, si = kc.shape("data"), kc.shape("indices")
    if any(i > d for k, (i, d) in enumerate(zip(si, sd)) if k != axis):
        raise kc.fail(f"indices shape {list(si)} exceeds data shape {list(sd)} outside axis {axis}")


def lower_gather_elements(kc: KernelContext) -> None:
    """output[i] = data[i with i[axis] = indices[i]] (wrapped, checked)."""
    axis = kc.op.normalized_axis()
    _check_index_shape(kc, axis)
    data, indices, out = kc.input("data"), kc.input("indices"), kc.output("output")
    dim = kc.shape("data")[axis]
    with loop_nest(kc.shape("indices")) as ivs:
        i, check = checked_index(load(indices, ivs), dim, axis)
        with kc.guard([check]):
            src = list(ivs)
            src[axis] = i
            store(load(data, src), out, ivs)


def scatter_combine(kc: KernelContext) -> Callable[[SSAValue, SSAValue], SSAValue] | None:
    """How an update meets the current value for `reduction` (None: it replaces it)."""
    reduction = str_attr_value(kc.op.reduction) or "none"
    elem = kc.input("data").type.element_type
    unsigned = kc.unsigned("data") or (isinstance(elem, IntegerType) and elem.width.data == 1)
    return {
        "none": None,
        "add": scalar.add,
        "mul": scalar.mul,
        "max": lambda a, b: scalar.maximum(a, b, unsigned),
        "min": lambda a, b: scalar.minimum(a, b, unsigned),
    }[reduction]


def _scatter_store(combine, update: SSAValue, out: SSAValue, at: Sequence[SSAValue | int]) -> None:
    store(update if combine is None else combine(load(out, at), update), out, at)


def lower_scatter_elements(kc: KernelContext) -> None:
    """output = data; output[i with i[axis] = indices[i]] (op)= updates[i] (wrapped,
    checked)."""
    axis = kc.op.normalized_axis()
    _check_index_shape(kc, axis)
    data, indices, updates, out = kc.input("data"), kc.input("indices"), kc.input("updates"), kc.output("output")
    copy_kernel_body(data, out)
    dim = kc.shape("data")[axis]
    combine = scatter_combine(kc)
    with loop_nest(kc.shape("indices")) as ivs:
        i, check = checked_index(load(indices, ivs), dim, axis)
        with kc.guard([check]):
            dst = list(ivs)
            dst[axis] = i
            _scatter_store(combine, load(updates, ivs), out, dst)


def _index_tuple(indices: SSAValue, at: Sequence[SSAValue], dims: Sequence[int], first_axis: int) -> tuple[list[SSAValue], list[Check]]:
    """The wrapped index tuple indices[at, :] into data axes first_axis.. of sizes
    `dims`, and one Check per component."""
    coords, checks = [], []
    for j, d in enumerate(dims):
        i, check = checked_index(load(indices, [*at, j]), d, first_axis + j)
        coords.append(i)
        checks.append(check)
    return coords, checks


def lower_gather_nd(kc: KernelContext) -> None:
    """output[batch, j, r] = data[batch, indices[batch, j, :], r]."""
    b = int_attr_value(kc.op.batch_dims)
    sd, si = kc.shape("data"), kc.shape("indices")
    q = si[-1]
    data, indices, out = kc.input("data"), kc.input("indices"), kc.output("output")
    with loop_nest(si[:-1]) as jv:
        coords, checks = _index_tuple(indices, jv, sd[b : b + q], b)
        with kc.guard(checks) if checks else nullcontext():
            with loop_nest(sd[b + q :]) as rv:
                store(load(data, [*jv[:b], *coords, *rv]), out, [*jv, *rv])


def lower_scatter_nd(kc: KernelContext) -> None:
    """output = data; output[indices[j, :], r] (op)= updates[j, r]."""
    sd, si = kc.shape("data"), kc.shape("indices")
    q = si[-1]
    data, indices, updates, out = kc.input("data"), kc.input("indices"), kc.input("updates"), kc.output("output")
    copy_kernel_body(data, out)
    combine = scatter_combine(kc)
    with loop_nest(si[:-1]) as jv:
        coords, checks = _index_tuple(indices, jv, sd[:q], 0)
        with kc.guard(checks) if checks else nullcontext():
            with loop_nest(sd[q:]) as rv:
                _scatter_store(combine, load(updates, [*jv, *rv]), out, [*coords, *rv])


def lower_one_hot(kc: KernelContext) -> None:
    """output[.., d, ..] = values[1] if d == wrap(indices[..]) else values[0]."""
    axis = kc.op.normalized_axis()
    depth = kc.shape("output")[axis]
    given = kc.const("depth")
    if given is not None and int(np.asarray(given).reshape(-1)[0]) != depth:
        raise kc.fail(f"depth {np.asarray(given).reshape(-1)[0]} differs from the result dim {depth}")
    indices, values, out = kc.input("indices"), kc.input("values"), kc.output("output")
    with ExitStack() as stack:
        if given is None:  # a depth read at run time must be the one the shapes were built for
            fed = scalar.convert(_load_scalar(kc, "depth"), i64, src_unsigned=kc.unsigned("depth"))
            same = arith.CmpiOp(fed, scalar.const(depth, i64), "eq").result
            stack.enter_context(kc.guard([Check(same, fed, f"depth {{value}} differs from the depth {depth} the model was compiled for")]))
        off, on = load(values, [0]), load(values, [1])
        with loop_nest(kc.shape("indices")) as ivs:
            i = scalar.to_index(scalar.convert(load(indices, ivs), i64, src_unsigned=kc.unsigned("indices")))
            neg = arith.CmpiOp(i, idx(0), "slt").result
            i = arith.SelectOp(neg, arith.AddiOp(i, idx(depth)).result, i).result
            with loop_nest([depth]) as (d,):
                hit = arith.CmpiOp(d, i, "eq").result
                store(scalar.select(hit, on, off), out, [*ivs[:axis], d, *ivs[axis:]])


def lower_trilu(kc: KernelContext) -> None:
    """output = input where j - i >= k (upper) / j - i <= k (lower), else 0."""
    x, out = kc.input("input"), kc.output("output")
    if kc.op.k is None:
        k = idx(0)
    else:
        k = scalar.to_index(load(kc.input("k"), [0] * len(kc.shape("k"))))
    keep_if = "sge" if int_attr_value(kc.op.upper) else "sle"
    zero = scalar.const(0, out.type.element_type)
    with loop_nest(kc.shape("input")) as ivs:
        diff = arith.SubiOp(ivs[-1], ivs[-2]).result
        keep = arith.CmpiOp(diff, k, keep_if).result
        store(scalar.select(keep, load(x, ivs), zero), out, ivs)


def lower_eye_like(kc: KernelContext) -> None:
    """output[i, j] = 1 if j == i + k else 0, in the output element type."""
    out = kc.output("output")
    k = int_attr_value(kc.op.k)
    elem = out.type.element_type
    one, zero = scalar.const(1, elem), scalar.const(0, elem)
    with loop_nest(kc.shape("output")) as (i, j):
        hit = arith.CmpiOp(j, ix_add(i, k), "eq").result
        store(scalar.select(hit, one, zero), out, [i, j])


def space_depth_copy(kc: KernelContext, to_space: bool) -> None:
    """DepthToSpace (to_space) or SpaceToDepth for blocksize b: over (n, c, h, bi, w, bj)
    of the deep side's (C / b^2 or C, H, W), the deep position (n, ch, h, w) and the wide
    position (n, c, h * b + bi, w * b + bj) hold the same element, with
    ch = (bi * b + bj) * C' + c (DCR) or (c * b + bi) * b + bj (CRD)."""
    b = int_attr_value(kc.op.blocksize)
    crd = kc.op.effective_mode() == "CRD"
    x, out = kc.input("input"), kc.output("output")
    deep_shape, wide_shape = (kc.shape("input"), kc.shape("output"))[:: 1 if to_space else -1]
    n, channels = wide_shape[:2]
    dh, dw = deep_shape[2:]
    with loop_nest([n, channels, dh, b, dw, b]) as (ni, c, hi, bi, wi, bj):
        if crd:
            ch = ix_add(imul(ix_add(imul(c, b), bi), b), bj)
        else:
            ch = ix_add(imul(ix_add(imul(bi, b), bj), channels), c)
        deep = [ni, ch, hi, wi]
        wide = [ni, c, ix_add(imul(hi, b), bi), ix_add(imul(wi, b), bj)]
        if to_space:
            store(load(x, deep), out, wide)
        else:
            store(load(x, wide), out, deep)


def lower_depth_to_space(kc: KernelContext) -> None:
    space_depth_copy(kc, to_space=True)


def lower_space_to_depth(kc: KernelContext) -> None:
    space_depth_copy(kc, to_space=False)


def lower_expand(kc: KernelContext) -> None:
    """output = input broadcast (numpy rules) to the static output shape; a shape
    operand read at run time must broadcast the input to that shape."""
    x, out = kc.input("input"), kc.output("output")
    in_shape, out_shape = kc.shape("input"), kc.shape("output")
    with ExitStack() as stack:
        if kc.const("shape") is None:
            n = kc.shape("shape")[0]
            allowed = []
            for j in range(n):
                o = out_shape[len(out_shape) - n + j]
                k = len(in_shape) - n + j
                i = in_shape[k] if k >= 0 else 1
                allowed.append(sorted({1, o}) if i == o else [o])
            stack.enter_context(_entries_guard(kc, "shape", allowed, f"expanding {list(in_shape)} to the compiled {list(out_shape)}"))
        with loop_nest(out_shape) as ivs:
            store(load(x, broadcast_indices(ivs, in_shape, out_shape)), out, ivs)


def lower_tile(kc: KernelContext) -> None:
    """output[i] = input[i mod input_dim] per axis."""
    x, out = kc.input("input"), kc.output("output")
    in_shape, out_shape = kc.shape("input"), kc.shape("output")
    guard = nullcontext()
    if kc.const("repeats") is None:  # repeats read at run time must give the compiled shape
        allowed = [None if d == 0 else [n // d] for d, n in zip(in_shape, out_shape)]
        guard = _entries_guard(kc, "repeats", allowed, f"tiling {list(in_shape)} to the compiled {list(out_shape)}")
    with guard, loop_nest(out_shape) as ivs:
        src: list[SSAValue | int] = []
        for iv, d, n in zip(ivs, in_shape, out_shape):
            if d == 1:
                src.append(0)
            elif d == n:
                src.append(iv)
            else:
                src.append(arith.RemUIOp(iv, idx(d)).result)
        store(load(x, src), out, ivs)


# ---- constants and shape queries ----------------------------------------------------


def lower_shape(kc: KernelContext) -> None:
    """The static dims [start, end) of data as i64 constants."""
    start, end = kc.op.dim_range()
    dims = kc.shape("data")[start:end]
    out = kc.output("shape")
    elem = out.type.element_type
    for k, d in enumerate(dims):
        store(scalar.const(d, elem), out, [k])


def lower_size(kc: KernelContext) -> None:
    n = int(np.prod(kc.shape("data"), dtype=np.int64))
    out = kc.output("size")
    store(scalar.const(n, out.type.element_type), out, [])


def lower_constant_of_shape(kc: KernelContext) -> None:
    """Fills the static output shape with the one element of `value` (default f32 0)."""
    out = kc.output("output")
    elem = out.type.element_type
    value: float | int | bool = 0
    if kc.op.value is not None:
        v = attr_array(kc.op.value, kc.weights).reshape(-1)[0]
        value = float(v) if np.asarray(v).dtype.kind == "f" else int(v)
    c = scalar.const(value, elem)
    guard = nullcontext()
    if kc.const("input") is None:  # a shape read at run time must be the compiled one
        guard = _entries_guard(kc, "input", [[d] for d in kc.shape("output")], f"the compiled shape {list(kc.shape('output'))}")
    with guard, loop_nest(kc.shape("output")) as ivs:
        store(c, out, ivs)


def _load_scalar(kc: KernelContext, name: str) -> SSAValue:
    """The one element of a rank-0 (or 1-element 1-D) operand."""
    return load(kc.input(name), [0] * len(kc.shape(name)))


def lower_range(kc: KernelContext) -> None:
    """output[i] = start + i * delta over the static output length (limit is only
    needed for the length, which the result type holds)."""
    out = kc.output("output")
    elem = out.type.element_type
    start, delta = _load_scalar(kc, "start"), _load_scalar(kc, "delta")
    (n,) = kc.shape("output")
    with loop_nest([n]) as (i,):
        fi = scalar.from_index(i, elem)
        store(scalar.add(start, scalar.mul(fi, delta)), out, [i])


LOWERINGS: dict[str, KernelLowering] = {
    "onnx.Reshape": lower_reshape,
    "onnx.Flatten": _reshape_like("input", "output"),
    "onnx.Squeeze": _lower_squeeze_like("data", "squeezed", squeeze=True),
    "onnx.Unsqueeze": _lower_squeeze_like("data", "expanded", squeeze=False),
    "onnx.Transpose": lower_transpose,
    "onnx.Concat": lower_concat,
    "onnx.Split": lower_split,
    "onnx.Slice": lower_slice,
    "onnx.Gather": lower_gather,
    "onnx.GatherElements": lower_gather_elements,
    "onnx.ScatterElements": lower_scatter_elements,
    "onnx.GatherND": lower_gather_nd,
    "onnx.ScatterND": lower_scatter_nd,
    "onnx.OneHot": lower_one_hot,
    "onnx.Trilu": lower_trilu,
    "onnx.EyeLike": lower_eye_like,
    "onnx.DepthToSpace": lower_depth_to_space,
    "onnx.SpaceToDepth": lower_space_to_depth,
    "onnx.Expand": lower_expand,
    "onnx.Tile": lower_tile,
    "onnx.Shape": lower_shape,
    "onnx.Size": lower_size,
    "onnx.ConstantOfShape": lower_constant_of_shape,
    "onnx.Range": lower_range,
}
