"""Data movement as Triton kernels: every op whose output element is a load of its
input at an index computed from the element's coordinates (an index map), written as a
pointwise kernel over the output (1-D tiles of BLOCK elements, `Coords` splitting the
flat offset into coordinates), with the CPU kernels' index rules
(lowering/kernels/data_movement.py, pad.py, resize.py; their compile-time helpers
`slice_params`, `pad_widths` and `axis_plans` are reused):

- Concat (one copy per input at its offset along the axis), Split (one copy per
  output), Slice (constant starts/ends/axes/steps), Expand (broadcast), Tile (index mod
  the input dim), Transpose (in generator.pointwise), DepthToSpace / SpaceToDepth (DCR
  and CRD), Pad (constant with a runtime value, edge, wrap, reflect; negative pads
  crop), Resize (nearest and linear, every coordinate transformation mode the CPU path
  takes, computed per axis in float32 as onnxruntime does);
- Gather, GatherElements, GatherND: runtime indices, negative ones wrapped, any still
  out of range clamped into [0, dim - 1] (never read out of bounds);
- ScatterElements, ScatterND: a copy of data, then the updates: reduction "none" as
  one parallel store per update (duplicate indices: ONNX leaves the result undefined,
  and on a GPU any one of them may win), add/mul/max/min as one program that applies
  the updates in order (deterministic, and the same result as the CPU path);
- OneHot, Trilu, EyeLike, Range, ConstantOfShape: computed from coordinates and
  runtime scalars. Shape and Size are compile-time constants (program weights).
"""

from __future__ import annotations

import numpy as np
from xdsl.ir import Operation

from dialects.weights import attr_array
from dialects.onnx.base import float_attr_value, int_attr_value, node_name, str_attr_value
from lowering.kernels.data_movement import slice_params
from lowering.kernels.pad import pad_widths
from lowering.kernels.resize import axis_plans
from lowering.kernel_context import KernelContext, LoweringError
from lowering.triton_kernels.bodies import dtype_of
from lowering.triton_kernels.generator import Generator
from lowering.triton_kernels.program import UnsupportedOnCuda, pointwise_configs, serial_configs
from lowering.triton_kernels.text import (
    Coords,
    KernelText,
    broadcast_strides,
    contiguous_strides,
    float_lit,
    lit,
    numel,
    shape_of,
    tl_dtype,
)


def _kc(gen: Generator, op: Operation) -> KernelContext:
    return KernelContext(op, {}, gen.weights)  # type: ignore[arg-type]


def _ints(a) -> list[int] | None:
    return None if a is None else [int(v) for v in np.asarray(a).reshape(-1)]


class IndexKernel:
    """A pointwise kernel over `out`'s elements being written: `coords` of each lane,
    `load(value, offset, mask)` and finally `store(expr)`."""

    def __init__(self, gen: Generator, op: Operation, out: str):
        self.gen, self.op, self.out = gen, op, out
        self.shape = gen.values[out].shape
        self.n = numel(self.shape)
        self.kt = KernelText()
        self.L = self.kt.lines
        self.L += ["    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)", f"    mask = offs < {self.n}"]
        self.coords = Coords(self.L, "    ", self.shape, flat="offs")

    def c(self, d: int) -> str:
        return self.coords.block_coord(d)

    def load(self, value: str, off: str, mask: str | None = "mask", other: str | None = None) -> str:
        """`value` at `off` (mask None: a scalar load at a constant offset)."""
        p = self.gen.new_param(self.kt, value, "in")
        var = f"x{sum(1 for ln in self.L if ' = tl.load(' in ln)}"
        o = f", other={other}" if other is not None else ""
        m = f", mask={mask}{o}" if mask is not None else ""
        self.L.append(f"    {var} = tl.load({p} + {off}{m})" if off != "0" else f"    {var} = tl.load({p})")
        return var

    def line(self, text: str) -> None:
        self.L.append(f"    {text}")

    def store(self, expr: str, what: str) -> None:
        p = self.gen.new_param(self.kt, self.out, "out")
        self.L.append(f"    tl.store({p} + offs, {expr}, mask=mask)")
        self.gen.finish(self.kt, self.gen.kernel_name("pointwise", self.op), "pointwise", [node_name(self.op)],
                        [f"{what} over {list(self.shape)}"], pointwise_configs(self.n))


def _wrap(index: str, dim: int) -> str:
    """A runtime index into a dim of `dim` > 0: negative wraps, then clamped."""
    return f"tl.minimum(tl.maximum(tl.where({index} < 0, {index} + {dim}, {index}), 0), {dim - 1})"


# ---- joining, splitting, slicing -----------------------------------------------------


def concat(gen: Generator, op: Operation) -> None:
    out = gen.name(op.results[0])
    so = shape_of(op.results[0])
    axis = int_attr_value(op.properties.get("axis")) % len(so)  # type: ignore[operator]
    out_strides = contiguous_strides(so)
    start = 0
    for x in op.operands:
        sx = shape_of(x)
        if numel(sx):
            gen.copy(op, gen.name(x), out, sx, contiguous_strides(sx), 0, out_strides, start * out_strides[axis],
                     f"Concat input at {start} along axis {axis}")
        start += sx[axis]


def split(gen: Generator, op: Operation) -> None:
    x = op.operands[0]
    sx = shape_of(x)
    axis = int_attr_value(op.properties.get("axis")) or 0
    axis %= len(sx)
    in_strides = contiguous_strides(sx)
    start = 0
    for r in op.results:
        sr = shape_of(r)
        if numel(sr):
            gen.copy(op, gen.name(x), gen.name(r), sr, in_strides, start * in_strides[axis], contiguous_strides(sr), 0,
                     f"Split output at {start} along axis {axis}")
        start += sr[axis]


def slice_(gen: Generator, op: Operation) -> None:
    data = op.operands[0]
    sx = shape_of(data)
    vals = [gen.const(v) for v in (op.starts, op.ends, op.axes, op.steps)]  # type: ignore[attr-defined]
    if any(v is None for v, o in zip(vals, (op.starts, op.ends, op.axes, op.steps)) if o is not None):  # type: ignore[attr-defined]
        raise UnsupportedOnCuda(f"Slice '{node_name(op)}' with non-constant starts/ends/axes/steps")
    try:
        first, step, length = slice_params(sx, _ints(vals[0]), _ints(vals[1]), _ints(vals[2]), _ints(vals[3]))  # type: ignore[arg-type]
    except ValueError as e:
        raise UnsupportedOnCuda(f"Slice '{node_name(op)}': {e}") from None
    so = shape_of(op.results[0])
    if numel(so) == 0:
        return
    in_strides = contiguous_strides(sx)
    base = sum(f * s for f, s in zip(first, in_strides))
    gen.copy(op, gen.name(data), gen.name(op.results[0]), so, [st * s for st, s in zip(step, in_strides)], base,
             contiguous_strides(so), 0, "Slice")


def expand(gen: Generator, op: Operation) -> None:
    x = op.operands[0]
    so = shape_of(op.results[0])
    gen.copy(op, gen.name(x), gen.name(op.results[0]), so, broadcast_strides(shape_of(x), so), 0,
             contiguous_strides(so), 0, "Expand")


def tile(gen: Generator, op: Operation) -> None:
    x = op.operands[0]
    sx, so = shape_of(x), shape_of(op.results[0])
    k = IndexKernel(gen, op, gen.name(op.results[0]))
    st = contiguous_strides(sx)
    terms = []
    for d, (i, o) in enumerate(zip(sx, so)):
        if i == 1:
            continue
        c = k.c(d) if i == o else f"({k.c(d)} % {i})"
        terms.append(f"{c} * {st[d]}" if st[d] != 1 else c)
    k.store(k.load(gen.name(x), " + ".join(terms) or "0"), "Tile")


def space_depth(gen: Generator, op: Operation, to_space: bool) -> None:
    """DepthToSpace (to_space) / SpaceToDepth: the output coordinates give the input's
    (the deep position (n, ch, h, w) and the wide position (n, c, h*b + bi, w*b + bj)
    hold the same element, ch = (bi*b + bj)*C' + c for DCR, (c*b + bi)*b + bj for CRD)."""
    x = op.operands[0]
    sx, so = shape_of(x), shape_of(op.results[0])
    b = int_attr_value(op.properties.get("blocksize"))
    crd = op.effective_mode() == "CRD"  # type: ignore[attr-defined]
    k = IndexKernel(gen, op, gen.name(op.results[0]))
    st = contiguous_strides(sx)
    if to_space:  # out (n, c, H, W), in (n, ch, H // b, W // b)
        n, c, H, W = (k.c(d) for d in range(4))
        cw = so[1]
        k.line(f"bi = {H} % {b}")
        k.line(f"bj = {W} % {b}")
        ch = f"(({c} * {b} + bi) * {b} + bj)" if crd else f"((bi * {b} + bj) * {cw} + {c})"
        off = f"{n} * {st[0]} + {ch} * {st[1]} + ({H} // {b}) * {st[2]} + {W} // {b}"
    else:  # out (n, ch, h, w), in (n, c, h*b + bi, w*b + bj), ch = (bi*b + bj)*C + c (DCR)
        n, ch, h, w = (k.c(d) for d in range(4))
        cw = sx[1]
        if crd:
            k.line(f"c = {ch} // {b * b}")
            k.line(f"bi = ({ch} // {b}) % {b}")
            k.line(f"bj = {ch} % {b}")
        else:
            k.line(f"c = {ch} % {cw}")
            k.line(f"bi = ({ch} // {cw}) // {b}")
            k.line(f"bj = ({ch} // {cw}) % {b}")
        off = f"{n} * {st[0]} + c * {st[1]} + ({h} * {b} + bi) * {st[2]} + {w} * {b} + bj"
    k.store(k.load(gen.name(x), off), "DepthToSpace" if to_space else "SpaceToDepth")


def pad(gen: Generator, op: Operation) -> None:
    mode = str_attr_value(op.properties.get("mode")) or "constant"
    x = op.operands[0]
    sx = shape_of(x)
    try:
        widths = pad_widths(_kc(gen, op), len(sx))
    except LoweringError as e:
        raise UnsupportedOnCuda(str(e)) from None
    k = IndexKernel(gen, op, gen.name(op.results[0]))
    st = contiguous_strides(sx)
    dt = dtype_of(op.results[0])
    if mode == "constant":
        cv = op.constant_value  # type: ignore[attr-defined]
        cval = k.load(gen.name(cv), "0") if cv is not None else lit(0, dt)
        if 0 in sx:
            k.store(f"tl.full([BLOCK], {cval}, {tl_dtype(dt)})" if cv is None else cval, "Pad (empty input)")
            return
        inside, terms = [], []
        for d, (n, (b, e)) in enumerate(zip(sx, widths)):
            s = k.c(d) if b == 0 else f"({k.c(d)} - {b})"
            if b > 0:
                inside.append(f"({s} >= 0)")
            if e > 0:
                inside.append(f"({s} < {n})")
            if n != 1 or b or e:
                terms.append(f"{s} * {st[d]}" if st[d] != 1 else s)
        ok = " & ".join(["mask"] + inside)
        v = k.load(gen.name(x), " + ".join(terms) or "0", ok, other=None)
        k.store(f"tl.where({' & '.join(inside)}, {v}, {cval})" if inside else v, "Pad (constant)")
        return
    if mode not in ("reflect", "edge", "wrap"):
        raise UnsupportedOnCuda(f"Pad '{node_name(op)}': mode {mode!r} is not supported")
    terms = []
    for d, (dim, (b, e)) in enumerate(zip(sx, widths)):
        lo, n = max(0, -b), dim - max(0, -b) - max(0, -e)
        b, e = max(b, 0), max(e, 0)
        if n <= 0 and (b > 0 or e > 0):
            raise UnsupportedOnCuda(f"Pad '{node_name(op)}': mode {mode} cannot pad an axis cropped to size {n}")
        s = k.c(d) if b == 0 else f"({k.c(d)} - {b})"
        if b > 0 or e > 0:
            if n == 1:
                s = "0"
            elif mode == "edge":
                s = f"tl.minimum(tl.maximum({s}, 0), {n - 1})"
            elif mode == "wrap":
                k.line(f"w{d} = {s} % {n}")
                s = f"tl.where(w{d} < 0, w{d} + {n}, w{d})"
            else:  # reflect: period 2(n - 1), the second half mirrored
                period = 2 * (n - 1)
                k.line(f"r{d} = {s} % {period}")
                k.line(f"r{d} = tl.where(r{d} < 0, r{d} + {period}, r{d})")
                s = f"tl.where(r{d} < {n}, r{d}, {period} - r{d})"
        if lo:
            s = f"({s} + {lo})"
        if dim != 1:
            terms.append(f"({s}) * {st[d]}" if st[d] != 1 else f"({s})")
    k.store(k.load(gen.name(x), " + ".join(terms) or "0"), f"Pad ({mode})")


# ---- indexing ------------------------------------------------------------------------


def gather(gen: Generator, op: Operation) -> None:
    data, indices = op.operands[0], op.operands[1]
    sd, si = shape_of(data), shape_of(indices)
    axis = op.normalized_axis()  # type: ignore[attr-defined]
    out = gen.name(op.results[0])
    if numel(shape_of(op.results[0])) == 0:
        return
    if sd[axis] == 0:
        gen.fill(op, out, lit(0, dtype_of(op.results[0])), "Gather from an empty axis")
        return
    k = IndexKernel(gen, op, out)
    ri = len(si)
    ist = contiguous_strides(si)
    ioff = " + ".join(f"{k.c(axis + j)} * {ist[j]}" if ist[j] != 1 else k.c(axis + j) for j in range(ri) if si[j] != 1)
    idx = k.load(gen.name(indices), ioff or "0")
    k.line(f"j = {_wrap(idx, sd[axis])}")
    st = contiguous_strides(sd)
    terms = []
    for d in range(len(sd)):
        if d < axis:
            c = k.c(d)
        elif d == axis:
            c = "j"
        else:
            c = k.c(d + ri - 1)
        if sd[d] != 1:
            terms.append(f"{c} * {st[d]}" if st[d] != 1 else c)
    k.store(k.load(gen.name(data), " + ".join(terms) or "0"), f"Gather along axis {axis}")


def gather_elements(gen: Generator, op: Operation) -> None:
    data, indices = op.operands[0], op.operands[1]
    sd, si = shape_of(data), shape_of(indices)
    axis = op.normalized_axis()  # type: ignore[attr-defined]
    out = gen.name(op.results[0])
    if numel(si) == 0:
        return
    if sd[axis] == 0:
        gen.fill(op, out, lit(0, dtype_of(op.results[0])), "GatherElements from an empty axis")
        return
    k = IndexKernel(gen, op, out)
    idx = k.load(gen.name(indices), "offs")
    k.line(f"j = {_wrap(idx, sd[axis])}")
    st = contiguous_strides(sd)
    terms = []
    for d in range(len(sd)):
        c = "j" if d == axis else k.c(d)
        if sd[d] != 1 or d == axis:
            terms.append(f"{c} * {st[d]}" if st[d] != 1 else c)
    k.store(k.load(gen.name(data), " + ".join(terms)), f"GatherElements along axis {axis}")


def gather_nd(gen: Generator, op: Operation) -> None:
    data, indices = op.operands[0], op.operands[1]
    sd, si = shape_of(data), shape_of(indices)
    bd = int_attr_value(op.properties.get("batch_dims")) or 0
    q = si[-1]
    so = shape_of(op.results[0])
    out = gen.name(op.results[0])
    if numel(so) == 0:
        return
    if 0 in sd[bd:bd + q]:
        gen.fill(op, out, lit(0, dtype_of(op.results[0])), "GatherND from an empty axis")
        return
    k = IndexKernel(gen, op, out)
    nj = len(si) - 1
    jst = contiguous_strides(si[:-1])
    jflat = " + ".join(f"{k.c(d)} * {jst[d]}" if jst[d] != 1 else k.c(d) for d in range(nj) if si[d] != 1) or "0"
    st = contiguous_strides(sd)
    terms = [f"{k.c(d)} * {st[d]}" for d in range(bd) if sd[d] != 1]
    for t in range(q):
        v = k.load(gen.name(indices), f"({jflat}) * {q} + {t}")
        terms.append(f"{_wrap(v, sd[bd + t])} * {st[bd + t]}")
    for d in range(bd + q, len(sd)):
        c = k.c(nj + d - bd - q)
        if sd[d] != 1:
            terms.append(f"{c} * {st[d]}" if st[d] != 1 else c)
    k.store(k.load(gen.name(data), " + ".join(terms)), "GatherND")


def _scatter(gen: Generator, op: Operation, n_updates: int, updates_shape, offset_of) -> None:
    """The update pass of a scatter (after the copy of data into the output):
    `offset_of(coords, load) -> (output offset expression)` for the update at `coords`."""
    out = gen.name(op.results[0])
    upd = gen.name(op.operands[2])
    reduction = str_attr_value(op.properties.get("reduction")) or "none"
    kt = KernelText()
    L = kt.lines
    serial = reduction != "none"
    ind = "        " if serial else "    "
    if serial:
        L.append(f"    for e in range(0, {n_updates}):")
        coords = Coords(L, ind, updates_shape, flat="e")
        mask = None
    else:
        L += ["    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)", f"    mask = offs < {n_updates}"]
        coords = Coords(L, ind, updates_shape, flat="offs")
        mask = "mask"

    def load(value: str, off: str) -> str:
        p = gen.new_param(kt, value, "in")
        var = f"x{sum(1 for ln in L if ' = tl.load(' in ln)}"
        m = f", mask={mask}" if mask else ""
        L.append(f"{ind}{var} = tl.load({p} + {off}{m})")
        return var

    o = offset_of(coords, load)
    u = load(upd, coords.flat)  # type: ignore[arg-type]
    po = gen.new_param(kt, out, "out")
    if not serial:
        L.append(f"{ind}tl.store({po} + {o}, {u}, mask=mask)")
    else:
        L.append(f"{ind}o = {o}")
        L.append(f"{ind}cur = tl.load({po} + o)")
        comb = {"add": f"cur + {u}", "mul": f"cur * {u}", "max": f"tl.maximum(cur, {u})",
                "min": f"tl.minimum(cur, {u})"}.get(reduction)
        if comb is None:
            raise UnsupportedOnCuda(f"{op.name} '{node_name(op)}': reduction {reduction!r}")
        L.append(f"{ind}tl.store({po} + o, {comb})")
    how = "updates in order, one program" if serial else "one store per update"
    gen.finish(kt, gen.kernel_name("scatter", op), "scatter", [node_name(op)],
               [f"{op.name.removeprefix('onnx.')} (reduction {reduction}) of {n_updates} updates: {how}"],
               serial_configs() if serial else pointwise_configs(n_updates))


def scatter_elements(gen: Generator, op: Operation) -> None:
    data, indices = op.operands[0], op.operands[1]
    sd, si = shape_of(data), shape_of(indices)
    axis = op.normalized_axis()  # type: ignore[attr-defined]
    out = gen.name(op.results[0])
    if numel(sd):
        gen.copy(op, gen.name(data), out, sd, contiguous_strides(sd), 0, contiguous_strides(sd), 0, "copy of data")
    if numel(si) == 0 or sd[axis] == 0:
        return
    st = contiguous_strides(sd)

    def offset_of(coords: Coords, load) -> str:
        j = load(gen.name(indices), coords.flat)
        terms = []
        for d in range(len(sd)):
            c = f"({_wrap(j, sd[d])})" if d == axis else coords.coord(d)
            if sd[d] != 1 or d == axis:
                terms.append(f"{c} * {st[d]}" if st[d] != 1 else c)
        return " + ".join(terms)

    _scatter(gen, op, numel(si), si, offset_of)


def scatter_nd(gen: Generator, op: Operation) -> None:
    data, indices, updates = op.operands[0], op.operands[1], op.operands[2]
    sd, si, su = shape_of(data), shape_of(indices), shape_of(updates)
    q = si[-1]
    out = gen.name(op.results[0])
    if numel(sd):
        gen.copy(op, gen.name(data), out, sd, contiguous_strides(sd), 0, contiguous_strides(sd), 0, "copy of data")
    if numel(su) == 0 or 0 in sd[:q]:
        return
    st = contiguous_strides(sd)
    nj = len(si) - 1
    jst = contiguous_strides(si[:-1])

    def offset_of(coords: Coords, load) -> str:
        jflat = " + ".join(f"{coords.coord(d)} * {jst[d]}" if jst[d] != 1 else coords.coord(d)
                           for d in range(nj) if si[d] != 1) or "0"
        terms = []
        for t in range(q):
            v = load(gen.name(indices), f"({jflat}) * {q} + {t}")
            terms.append(f"({_wrap(v, sd[t])}) * {st[t]}")
        for d in range(q, len(sd)):
            if sd[d] != 1:
                c = coords.coord(nj + d - q)
                terms.append(f"{c} * {st[d]}" if st[d] != 1 else c)
        return " + ".join(terms)

    _scatter(gen, op, numel(su), su, offset_of)


# ---- computed from coordinates -------------------------------------------------------


def one_hot(gen: Generator, op: Operation) -> None:
    indices, values = op.operands[0], op.operands[2]
    so = shape_of(op.results[0])
    axis = op.normalized_axis()  # type: ignore[attr-defined]
    depth = so[axis]
    given = gen.const(op.operands[1])
    if given is not None and int(np.asarray(given).reshape(-1)[0]) != depth:
        raise UnsupportedOnCuda(f"OneHot '{node_name(op)}': depth {np.asarray(given).reshape(-1)[0]} differs from "
                                f"the result dim {depth}")
    k = IndexKernel(gen, op, gen.name(op.results[0]))
    si = shape_of(indices)
    ist = contiguous_strides(si)
    dims = [d for d in range(len(so)) if d != axis]
    ioff = " + ".join(f"{k.c(dd)} * {ist[j]}" if ist[j] != 1 else k.c(dd) for j, dd in enumerate(dims) if si[j] != 1)
    i = k.load(gen.name(indices), ioff or "0")
    k.line(f"i = {i}.to(tl.int64)")
    k.line(f"i = tl.where(i < 0, i + {depth}, i)")
    off, on = k.load(gen.name(values), "0"), k.load(gen.name(values), "1", mask=None)
    k.store(f"tl.where({k.c(axis)} == i, {on}, {off})", f"OneHot along axis {axis}")


def trilu(gen: Generator, op: Operation) -> None:
    x = op.operands[0]
    so = shape_of(op.results[0])
    k = IndexKernel(gen, op, gen.name(op.results[0]))
    kv = op.k  # type: ignore[attr-defined]
    kk = k.load(gen.name(kv), "0") if kv is not None else "0"
    upper = bool(int_attr_value(op.properties.get("upper")) if op.properties.get("upper") is not None else 1)
    r, c = k.c(len(so) - 2), k.c(len(so) - 1)
    keep = f"({c} - {r} >= {kk})" if upper else f"({c} - {r} <= {kk})"
    v = k.load(gen.name(x), "offs")
    k.store(f"tl.where({keep}, {v}, {lit(0, dtype_of(x))})", "Trilu")


def eye_like(gen: Generator, op: Operation) -> None:
    kk = int_attr_value(op.properties.get("k")) or 0
    k = IndexKernel(gen, op, gen.name(op.results[0]))
    dt = dtype_of(op.results[0])
    k.store(f"tl.where({k.c(1)} == {k.c(0)} + {kk}, {lit(1, dt)}, {lit(0, dt)})", "EyeLike")


def range_(gen: Generator, op: Operation) -> None:
    k = IndexKernel(gen, op, gen.name(op.results[0]))
    dt = dtype_of(op.results[0])
    start, delta = k.load(gen.name(op.operands[0]), "0"), k.load(gen.name(op.operands[2]), "0")
    k.store(f"{start} + offs.to({tl_dtype(dt)}) * {delta}", "Range")


def constant_of_shape(gen: Generator, op: Operation) -> None:
    out = gen.name(op.results[0])
    dt = dtype_of(op.results[0])
    value: float | int = 0
    if op.properties.get("value") is not None:
        v = attr_array(op.properties["value"], gen.weights).reshape(-1)[0]
        value = float(v) if np.asarray(v).dtype.kind == "f" else int(v)
    if numel(shape_of(op.results[0])):
        gen.fill(op, out, lit(value, dt), "ConstantOfShape")


def shape(gen: Generator, op: Operation) -> None:
    start, end = op.dim_range()  # type: ignore[attr-defined]
    dims = shape_of(op.operands[0])[start:end]
    gen.add_weight(gen.name(op.results[0]), np.array(dims, dtype=dtype_of(op.results[0])).reshape(shape_of(op.results[0])))


def size(gen: Generator, op: Operation) -> None:
    gen.add_weight(gen.name(op.results[0]),
                   np.array(numel(shape_of(op.operands[0])), dtype=dtype_of(op.results[0])).reshape(shape_of(op.results[0])))


def dropout(gen: Generator, op: Operation) -> None:
    if op.training_mode is not None:  # type: ignore[attr-defined]
        mode = gen.const(op.training_mode)  # type: ignore[attr-defined]
        if mode is None or bool(mode.reshape(-1)[0]):
            raise UnsupportedOnCuda(f"Dropout '{node_name(op)}': only inference Dropout is supported "
                                    "(training_mode must be a constant false)")
    gen.alias(op)
    mask = op.mask  # type: ignore[attr-defined]
    if mask is not None and mask.uses and numel(shape_of(mask)):
        gen.fill(op, gen.name(mask), "1", "Dropout mask (all kept)")


# ---- Resize --------------------------------------------------------------------------


def _coordinate(k: IndexKernel, plan, ctm: str, d: int) -> str:
    """The float32 source coordinate of output index c_d (onnxruntime's formulas, in
    the CPU kernel's operation order; divisions are IEEE in Triton)."""
    s = np.float32(plan.scale)
    l_in, l_out = np.float32(plan.in_dim), np.float32(plan.out_dim)
    x = f"({k.c(d)}).to(tl.float32)"
    f = lambda v: float_lit(float(np.float32(v)))  # noqa: E731
    if ctm == "asymmetric":
        return f"({x} / {f(s)})"
    if ctm in ("half_pixel", "pytorch_half_pixel"):
        if ctm == "pytorch_half_pixel" and plan.out_dim <= 1:
            return "0.0"
        return f"(({x} + 0.5) / {f(s)} - 0.5)"
    if ctm == "align_corners":
        if plan.out_dim == 1:
            return "0.0"
        return f"({x} * {f(l_in - np.float32(1))} / {f(l_out - np.float32(1))})"
    if ctm == "half_pixel_symmetric":
        output_width = np.float32(s * l_in)
        adjustment = np.float32(l_out / output_width)
        center = np.float32(l_in / np.float32(2))
        offset = np.float32(center * np.float32(np.float32(1) - adjustment))
        xd = f"({k.c(d)}).to(tl.float64)"
        return f"(({float(offset)!r} + ({xd} + 0.5) / {float(s)!r}) - 0.5).to(tl.float32)"
    if ctm == "tf_crop_and_resize":
        start, end = np.float32(plan.roi[0]), np.float32(plan.roi[1])
        if plan.out_dim <= 1:
            return f(np.float32(0.5 * (float(start) + float(end)) * (plan.in_dim - 1)))
        base = np.float32(start * (l_in - np.float32(1)))
        return f"({f(base)} + {x} * {f(np.float32(end - start))} * {f(l_in - np.float32(1))} / {f(l_out - np.float32(1))})"
    raise UnsupportedOnCuda(f"coordinate_transformation_mode {ctm!r}")


def resize(gen: Generator, op: Operation) -> None:
    mode = str_attr_value(op.properties.get("mode")) or "nearest"
    ctm = str_attr_value(op.properties.get("coordinate_transformation_mode")) or "half_pixel"
    nearest_mode = str_attr_value(op.properties.get("nearest_mode")) or "round_prefer_floor"
    if mode not in ("nearest", "linear"):
        raise UnsupportedOnCuda(f"Resize '{node_name(op)}': mode {mode!r} is not supported")
    try:
        plans = axis_plans(_kc(gen, op))
    except LoweringError as e:
        raise UnsupportedOnCuda(str(e)) from None
    if mode == "linear" and int_attr_value(op.properties.get("antialias")) and any(np.float32(p.scale) < 1 for p in plans):
        raise UnsupportedOnCuda(f"Resize '{node_name(op)}': antialias with downscaling is not supported")
    x = op.operands[0]
    dt = dtype_of(x)
    if mode == "linear" and dt.kind != "f":
        raise UnsupportedOnCuda(f"Resize '{node_name(op)}': linear mode needs a floating-point type, got {dt}")
    if 0 in (p.in_dim for p in plans):
        if 0 in (p.out_dim for p in plans):
            return
        raise UnsupportedOnCuda(f"Resize '{node_name(op)}': cannot resize an empty input to a non-empty output")
    k = IndexKernel(gen, op, gen.name(op.results[0]))
    extrapolate = ctm == "tf_crop_and_resize"
    extrapolation_value = float_attr_value(op.properties.get("extrapolation_value")) or 0.0
    st = contiguous_strides(shape_of(x))
    neighbours: list[list[tuple[str, str | None]]] = []
    outside: list[str] = []
    for d, plan in enumerate(plans):
        if plan.identity(ctm):
            neighbours.append([(k.c(d), None)])
            continue
        hi = float(plan.in_dim - 1)
        k.line(f"c{d} = tl.zeros([BLOCK], tl.float32) + {_coordinate(k, plan, ctm, d)}")  # a block even if constant
        if extrapolate:
            k.line(f"ext{d} = (c{d} < 0.0) | (c{d} > {hi!r})")
            outside.append(f"ext{d}")
        if plan.in_dim == 1:  # every coordinate clamps to the one element
            neighbours.append([("0", None)])
            continue
        k.line(f"c{d} = tl.where(c{d} > 0.0, c{d}, 0.0)")
        k.line(f"c{d} = tl.where(c{d} < {hi!r}, c{d}, {hi!r})")
        if mode == "nearest":
            if nearest_mode == "floor":
                r = f"tl.floor(c{d})"
            elif nearest_mode == "ceil":
                r = f"tl.ceil(c{d})"
            else:
                k.line(f"f{d} = tl.floor(c{d})")
                cmpop = ">" if nearest_mode == "round_prefer_floor" else ">="
                r = f"tl.where(c{d} - f{d} {cmpop} 0.5, f{d} + 1.0, f{d})"
            neighbours.append([(f"({r}).to(tl.int32)", None)])
            continue
        k.line(f"f{d} = tl.floor(c{d})")
        k.line(f"w{d}1 = c{d} - f{d}")
        k.line(f"w{d}0 = 1.0 - w{d}1")
        k.line(f"j{d}0 = f{d}.to(tl.int32)")
        k.line(f"j{d}1 = tl.minimum(j{d}0 + 1, {plan.in_dim - 1})")
        neighbours.append([(f"j{d}0", f"w{d}0"), (f"j{d}1", f"w{d}1")])
    corners: list[tuple[list[str], str | None]] = [([], None)]
    for choices in neighbours:
        corners = [(idx + [i], w if wi is None else (wi if w is None else f"{w} * {wi}"))
                   for idx, w in corners for i, wi in choices]

    def offset(idx: list[str]) -> str:
        return " + ".join(f"{i} * {st[d]}" if st[d] != 1 else i for d, i in enumerate(idx) if plans[d].in_dim != 1) or "0"

    acc = "tl.float64" if dt == np.float64 else "tl.float32"
    if mode == "nearest":
        value = k.load(gen.name(x), offset(corners[0][0]))
    else:
        terms = []
        for idx, w in corners:
            v = k.load(gen.name(x), offset(idx))
            terms.append(f"{v}.to({acc})" if w is None else f"{w} * {v}.to({acc})")
        k.line(f"y = {' + '.join(terms)}")
        value = "y"
    if outside:
        value = f"tl.where({' | '.join(outside)}, {float_lit(extrapolation_value)}, {value})"
    k.store(value, f"Resize ({mode}, {ctm})")
