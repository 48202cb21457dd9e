"""Data-movement kernels: copies whose index maps are fixed at compile time. Reshape,
Flatten, Squeeze and Unsqueeze copy in row-major order (the output position is
linearized and split back into an input position with index div/rem; the shape/axes
operands are not read, the static result type says everything). Transpose permutes the
loop indices, Concat and Split run one loop nest per input/output at a running offset
along the axis (sizes come from the static types, so Split never reads `split`), Slice
reads `data[start + i * step]` with per-axis start/step computed from its constant
operands with ONNX's clamping rules, Expand broadcasts, Tile reads `input[i mod d]`.
Gather loads its runtime indices, wraps negative ones (ONNX) and clamps any index that
is still out of range into [0, dim - 1] (ONNX leaves that undefined, onnxruntime
raises; here it must never read out of bounds). Shape and Size store their static
values, ConstantOfShape fills with its `value` scalar (default f32 0), and Range
computes `start + i * delta` from its runtime scalars over the static output length.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.dialects import arith
from xdsl.ir import SSAValue

from compiler.weights import attr_array
from lowering import scalar
from lowering.loop_builder import broadcast_indices, idx, load, loop_nest, store
from lowering.onnx_to_loops import KernelContext, KernelLowering, copy_kernel_body


# ---- index arithmetic ---------------------------------------------------------------


def iadd(a: SSAValue | int, b: SSAValue | int) -> SSAValue | int:
    """a + b on index values, folding constants (ints stay Python ints)."""
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    if isinstance(b, int) and b == 0:
        return a
    if isinstance(a, int) and a == 0:
        return b
    return arith.AddiOp(_ix(a), _ix(b)).result


def imul(a: SSAValue | int, b: int) -> SSAValue | int:
    if isinstance(a, int):
        return a * b
    if b == 1:
        return a
    if b == 0:
        return 0
    return arith.MuliOp(a, idx(b)).result


def _ix(v: SSAValue | int) -> SSAValue:
    return idx(v) if isinstance(v, int) else v


def _strides(shape: Sequence[int]) -> list[int]:
    strides, acc = [], 1
    for d in reversed(shape):
        strides.append(acc)
        acc *= d
    return strides[::-1]


def linearize(ivs: Sequence[SSAValue | int], shape: Sequence[int]) -> SSAValue | int:
    """The row-major offset of position `ivs` in `shape`."""
    flat: SSAValue | int = 0
    for iv, st, d in zip(ivs, _strides(shape), shape):
        if d != 1:
            flat = iadd(flat, imul(iv, st))
    return flat


def delinearize(flat: SSAValue | int, shape: Sequence[int]) -> list[SSAValue | int]:
    """The position in `shape` of row-major offset `flat` (divui/remui on index)."""
    out: list[SSAValue | int] = []
    strides = _strides(shape)
    for k, (d, st) in enumerate(zip(shape, strides)):
        if d == 1:
            out.append(0)
            continue
        q = flat if st == 1 else arith.DivUIOp(_ix(flat), idx(st)).result
        # The outermost non-unit dim needs no remainder (flat < numel).
        if any(x != 1 for x in shape[:k]):
            q = arith.RemUIOp(_ix(q), idx(d)).result
        out.append(q)
    return out


def clamp_index(v: SSAValue, lo: int, hi: int) -> SSAValue:
    """min(max(v, lo), hi) on a signed index value."""
    return arith.MinSIOp(arith.MaxSIOp(v, idx(lo)).result, idx(hi)).result


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


def lower_transpose(kc: KernelContext) -> None:
    """transposed[i] = data[j] with j[perm[k]] = i[k]."""
    perm = kc.op.effective_perm()
    data, out = kc.input("data"), kc.output("transposed")
    with loop_nest(kc.shape("transposed")) as ivs:
        src: list[SSAValue | int] = [0] * len(perm)
        for k, p in enumerate(perm):
            src[p] = ivs[k]
        store(load(data, src), out, ivs)


# ---- joining and splitting ----------------------------------------------------------


def lower_concat(kc: KernelContext) -> None:
    """One loop nest per input, writing at the running offset along the axis."""
    axis = kc.op.normalized_axis()
    out = kc.output("concat_result")
    offset = 0
    for value, buf in zip(kc.op.inputs, kc.variadic("inputs")):
        shape = tuple(value.type.get_shape())
        with loop_nest(shape) as ivs:
            dst = list(ivs)
            dst[axis] = iadd(ivs[axis], offset)
            store(load(buf, ivs), out, dst)
        offset += shape[axis]


def lower_split(kc: KernelContext) -> None:
    """One loop nest per output reading at the running offset; the part sizes are the
    static output dims (equal to `split` or the num_outputs rule by verification)."""
    axis = kc.op.normalized_axis()
    src = kc.input("input")
    offset = 0
    for value, buf in zip(kc.op.outputs, kc.variadic("outputs")):
        shape = tuple(value.type.get_shape())
        with loop_nest(shape) as ivs:
            at = list(ivs)
            at[axis] = iadd(ivs[axis], offset)
            store(load(src, at), buf, ivs)
        offset += shape[axis]


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
        src = [iadd(imul(iv, st), s) for iv, s, st in zip(ivs, first, step)]
        store(load(data, src), out, ivs)


def lower_gather(kc: KernelContext) -> None:
    """output[a, j, b] = data[a, wrap(indices[j]), b]; negative indices wrap (ONNX) and
    an index still out of range is clamped into [0, dim - 1] (never read out of bounds)."""
    axis = kc.op.normalized_axis()
    sd, si = kc.shape("data"), kc.shape("indices")
    data, indices, out = kc.input("data"), kc.input("indices"), kc.output("output")
    out_shape = kc.shape("output")
    dim = sd[axis]
    elem = out.type.element_type
    with loop_nest(out_shape) as ivs:
        if dim == 0:  # nothing can be read: ONNX would fail, write zeros
            store(scalar.const(0, elem), out, ivs)
            return
        j = ivs[axis : axis + len(si)]
        i = scalar.to_index(load(indices, j))
        neg = arith.CmpiOp(i, idx(0), "slt").result
        i = arith.SelectOp(neg, arith.AddiOp(i, idx(dim)).result, i).result
        i = clamp_index(i, 0, dim - 1)
        src = [*ivs[:axis], i, *ivs[axis + len(si) :]]
        store(load(data, src), out, ivs)


def lower_expand(kc: KernelContext) -> None:
    """output = input broadcast (numpy rules) to the static output shape."""
    x, out = kc.input("input"), kc.output("output")
    in_shape, out_shape = kc.shape("input"), kc.shape("output")
    with loop_nest(out_shape) as ivs:
        store(load(x, broadcast_indices(ivs, in_shape, out_shape)), out, ivs)


def lower_tile(kc: KernelContext) -> None:
    """output[i] = input[i mod input_dim] per axis."""
    x, out = kc.input("input"), kc.output("output")
    in_shape, out_shape = kc.shape("input"), kc.shape("output")
    with loop_nest(out_shape) as ivs:
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
    with loop_nest(kc.shape("output")) as ivs:
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
    "onnx.Reshape": _reshape_like("data", "reshaped"),
    "onnx.Flatten": _reshape_like("input", "output"),
    "onnx.Squeeze": _reshape_like("data", "squeezed"),
    "onnx.Unsqueeze": _reshape_like("data", "expanded"),
    "onnx.Transpose": lower_transpose,
    "onnx.Concat": lower_concat,
    "onnx.Split": lower_split,
    "onnx.Slice": lower_slice,
    "onnx.Gather": lower_gather,
    "onnx.Expand": lower_expand,
    "onnx.Tile": lower_tile,
    "onnx.Shape": lower_shape,
    "onnx.Size": lower_size,
    "onnx.ConstantOfShape": lower_constant_of_shape,
    "onnx.Range": lower_range,
}
