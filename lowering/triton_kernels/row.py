"""Row kernels: one program per row of the elements an op reduces or normalizes over.

Ops: Softmax, LogSoftmax, strata.ScaledMaskedSoftmax and Hardmax (one axis);
LayerNormalization, RMSNormalization (onnx and strata), InstanceNormalization (the
spatial dims of one (n, c)), GroupNormalization (one (n, group): its channels and the
spatial dims), MeanVarianceNormalization (any `axes`), LpNormalization (one axis);
ReduceSum/Mean/Max/Min/Prod/SumSquare/L1/L2/LogSum/LogSumExp (any constant axes),
GlobalAverage/MaxPool, ArgMax/ArgMin; CumSum (a scan along one constant axis).

Geometry (`RowGeometry`): the row index enumerates the kept dims in order, the column
index the reduced dims; an element's offset is `base(row) + col(cols)`. Contiguous axes
(the common case) give `base = (row // inner) * red * inner + row % inner` and `col =
cols * inner`; other axis sets split row and column into coordinates. A reduction
stores its value at `row` (the kept dims in order are the output's row-major index, with
or without keepdims); per-element outputs are stored where they were read.

The group's elementwise ops that the anchor's data input depends on are its prologue
(recomputed at each load of a row chunk), the others its epilogue (applied before the
store). The whole row is held in registers when it fits in `max_row_block` (BLOCK_R =
next power of two), else it is read in BLOCK_R chunks in a loop (two or three passes:
statistics, then the write). Arithmetic runs in float32 (float64 for float64 data;
integer sums and products in 64-bit integers, integer L2/LogSum/LogSumExp in float64,
integer max/min in their own type); masked lanes hold the reduction's neutral element.
"""

from __future__ import annotations

import numpy as np
from xdsl.ir import Operation, SSAValue

from dialects.onnx.base import int_attr_value, ints_value, node_name
from lowering.triton_kernels.bodies import dtype_of, prop_f, prop_i
from lowering.triton_kernels.generator import Generator, Leaf, split_prologue
from lowering.triton_kernels.program import UnsupportedOnCuda, row_configs
from lowering.triton_kernels.text import (
    Coords,
    KernelText,
    axis_strides,
    contiguous_strides,
    extreme,
    lit,
    numel,
    shape_of,
    tl_dtype,
)

SOFTMAX = frozenset({"Softmax", "LogSoftmax", "ScaledMaskedSoftmax"})
NORMS = frozenset({"LayerNormalization", "RMSNormalization", "InstanceNormalization", "GroupNormalization",
                   "MeanVarianceNormalization", "LpNormalization"})
REDUCES = frozenset({f"Reduce{k}" for k in ("Sum", "Mean", "Max", "Min", "Prod", "SumSquare", "L1", "L2", "LogSum",
                                              "LogSumExp")} | {"GlobalAveragePool", "GlobalMaxPool", "ArgMax", "ArgMin"})
ROW_KINDS = SOFTMAX | NORMS | REDUCES | {"Hardmax", "CumSum"}
ROW_OPS = frozenset(f"onnx.{k}" for k in ROW_KINDS - {"ScaledMaskedSoftmax"}) | {
    "strata.ScaledMaskedSoftmax", "strata.RMSNormalization"}


class RowGeometry:
    """Rows over the kept dims of `shape`, columns over `axes` (see the module docstring)."""

    def __init__(self, shape, axes: list[int]):
        self.shape = tuple(shape)
        self.axes = list(axes)
        self.kept = [d for d in range(len(shape)) if d not in axes]
        self.red = numel([shape[d] for d in axes])
        self.rows = numel([shape[d] for d in self.kept])
        self.contiguous = not axes or axes == list(range(axes[0], axes[-1] + 1))
        self.strides = contiguous_strides(shape)
        self.inner = numel(shape[axes[-1] + 1:]) if axes and self.contiguous else 1

    def base_lines(self, L: list[str]) -> None:
        if self.contiguous:
            if self.inner == 1:
                L.append(f"    base = row * {self.red}")
            else:
                L.append(f"    base = (row // {self.inner}) * {self.red * self.inner} + row % {self.inner}")
            return
        coords = Coords(L, "    ", [self.shape[d] for d in self.kept], flat="row", prefix="r")
        terms = [f"{coords.coord(k)} * {self.strides[d]}" for k, d in enumerate(self.kept) if self.shape[d] != 1]
        L.append(f"    base = {' + '.join(terms) if terms else '0'}")

    def col(self, cols: str, L: list[str], ind: str) -> str:
        """The offset expression of column index `cols` (lines emitted into L)."""
        if self.contiguous:
            return cols if self.inner == 1 else f"{cols} * {self.inner}"
        coords = Coords(L, ind, [self.shape[d] for d in self.axes], flat=cols, prefix="q")
        terms = [f"{coords.coord(k)} * {self.strides[d]}" for k, d in enumerate(self.axes) if self.shape[d] != 1]
        return "(" + " + ".join(terms) + ")" if terms else "0"


def _axes(gen: Generator, anchor: Operation, kind: str, rank: int) -> list[int]:
    if kind in SOFTMAX or kind in ("Hardmax", "LpNormalization", "ArgMax", "ArgMin"):
        axis = int_attr_value(anchor.properties.get("axis"))
        axis = ((-1 if kind != "ArgMax" and kind != "ArgMin" else 0) if axis is None else axis) % max(rank, 1)
        return [axis] if rank else []
    if kind == "CumSum":
        arr = gen.const(anchor.operands[1])
        if arr is None:
            raise UnsupportedOnCuda(f"CumSum '{node_name(anchor)}': axis must be a constant")
        return [int(arr.reshape(-1)[0]) % rank]
    if kind in ("LayerNormalization", "RMSNormalization"):
        axis = int_attr_value(anchor.properties.get("axis"))
        axis = (-1 if axis is None else axis) % rank
        return list(range(axis, rank))
    if kind.startswith("Global") or kind == "InstanceNormalization":
        return list(range(2, rank))
    if kind == "MeanVarianceNormalization":
        axes = ints_value(anchor.properties.get("axes"))
        return sorted({a % rank for a in (axes if axes is not None else [0, 2, 3])})
    if kind == "GroupNormalization":
        return [2]  # over the (N, G, C/G * spatial) view
    # ReduceX: the constant `axes` operand
    axes_v = anchor.operands[1] if len(anchor.operands) > 1 else None
    noop = bool(int_attr_value(anchor.properties.get("noop_with_empty_axes")))
    if axes_v is None:
        return [] if noop else list(range(rank))
    arr = gen.const(axes_v)
    if arr is None:
        raise UnsupportedOnCuda(f"{kind} '{node_name(anchor)}': axes must be a constant")
    axes = sorted({int(a) % rank for a in arr.reshape(-1)})
    if not axes and not noop:
        axes = list(range(rank))
    return axes


def _acc_dtype(kind: str, dtype: np.dtype) -> np.dtype:
    """The type the row's arithmetic runs in (see the module docstring)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return np.dtype(np.float64) if dtype == np.float64 else np.dtype(np.float32)
    rk = kind.removeprefix("Reduce")
    if rk in ("Sum", "Prod", "SumSquare", "L1", "Mean"):
        return np.dtype(np.uint64) if dtype.kind == "u" else np.dtype(np.int64)
    if rk in ("L2", "LogSum", "LogSumExp"):
        return np.dtype(np.float64)
    if kind in SOFTMAX or kind in NORMS or kind == "GlobalAveragePool":
        raise UnsupportedOnCuda(f"{kind} on {dtype} has no Triton kernel")
    return dtype


def row(gen: Generator, anchor: Operation, others: list[Operation], outputs: list[SSAValue], leaf: Leaf,
        first: Operation) -> None:
    """`others`: the group's elementwise ops; those the anchor's data input depends on
    are its prologue (recomputed at each load of a row chunk), the rest its epilogue."""
    kind = anchor.name.split(".", 1)[1]
    prologue, epilogue = split_prologue(anchor.operands[0], others)
    x = anchor.operands[0]
    xs = shape_of(x)
    rank = len(xs)
    if kind == "LayerNormalization" and len(xs) == 0:
        raise UnsupportedOnCuda(f"LayerNormalization '{node_name(anchor)}' of a scalar")
    axes = _axes(gen, anchor, kind, rank)
    view = xs
    if kind == "GroupNormalization":
        groups = prop_i(anchor, "num_groups", 1)
        view = (xs[0], groups, numel(xs[1:]) // groups)
    geo = RowGeometry(view, axes)
    red, rows = geo.red, geo.rows
    softmax = kind in SOFTMAX
    per_row = softmax or kind in NORMS or kind in ("Hardmax", "CumSum")
    looped = red > gen.max_row_block
    xdt = dtype_of(x)
    acc = _acc_dtype(kind, xdt)
    acc_t = tl_dtype(acc)
    rkind = {"GlobalAveragePool": "Mean", "GlobalMaxPool": "Max", "ArgMax": "Max", "ArgMin": "Min",
             "Hardmax": "Max"}.get(kind, kind.removeprefix("Reduce"))
    if softmax or rkind == "LogSumExp":
        fill = 'float("-inf")'
    elif rkind == "Max":
        fill = extreme(acc, largest=False)
    elif rkind == "Min":
        fill = extreme(acc, largest=True)
    elif rkind == "Prod":
        fill = lit(1, acc)
    else:
        fill = lit(0, acc)
    out_shape = shape_of(anchor.results[0])
    kt = KernelText()
    px = None if prologue else gen.new_param(kt, leaf(x), "in")
    L = kt.lines
    L.append("    row = tl.program_id(0)")
    geo.base_lines(L)

    def chunk(ind: str, start: str, cols_expr: str | None = None) -> dict[SSAValue, str]:
        """Loads (or computes, through the prologue) one chunk of the row into x;
        lanes past the row hold the reduction's neutral value. `cols_expr`: the
        column each lane reads (default: the chunk's own, `cols`)."""
        L.append(f"{ind}cols = {start}tl.arange(0, BLOCK_R)")
        L.append(f"{ind}cmask = cols < {red}")
        at = cols_expr or "cols"
        off = f"base + {geo.col(at, L, ind)}"
        env: dict[SSAValue, str] = {}
        if kind == "ScaledMaskedSoftmax":
            L.append(f"{ind}x = tl.load({px} + {off}, mask=cmask, other=0.0).to(tl.float32)")
            L.append(f"{ind}x = x * {prop_f(anchor, 'scale', 1.0)!r}")
            if len(anchor.operands) > 1:
                coords = Coords(L, ind, xs, flat=off, prefix="p")
                mk = gen.load_leaf(kt, anchor.operands[1], coords, "cmask", ind, leaf)
                L.append(f"{ind}x = x + {mk}")
            L.append(f'{ind}x = tl.where(cmask, x, float("-inf"))')
            return env
        if not prologue:
            L.append(f"{ind}x = tl.load({px} + {off}, mask=cmask, other={fill}).to({acc_t})")
            return env
        coords = Coords(L, ind, xs, flat=off, prefix="p")
        gen.emit_elementwise(kt, prologue, env, coords, "cmask", ind, leaf)
        L.append(f"{ind}x = tl.where(cmask, {env[x]}, {fill}).to({acc_t})")
        return env

    def store_rows(ind: str, y: str, env: dict[SSAValue, str], cols_expr: str = "cols") -> None:
        """Per-element outputs: epilogue at each element, stored where it was read."""
        L.append(f"{ind}offs = base + {geo.col(cols_expr, L, ind)}")
        coords = Coords(L, ind, out_shape, flat="offs")
        env[anchor.results[0]] = y
        gen.emit_elementwise(kt, epilogue, env, coords, "cmask", ind, leaf)
        for r in outputs:
            p = gen.new_param(kt, gen.name(r), "out")
            L.append(f"{ind}tl.store({p} + offs, {env[r]}, mask=cmask)")

    def params(ind: str) -> tuple[str | None, str | None]:
        """The norm's scale and bias at each element of the chunk."""
        scale = anchor.operands[1] if len(anchor.operands) > 1 else None
        bias = anchor.operands[2] if len(anchor.operands) > 2 else None
        if scale is None:
            return None, None
        coords = Coords(L, ind, xs, flat=f"base + {geo.col('cols', L, ind)}", prefix="c")
        channel = kind in ("InstanceNormalization", "GroupNormalization")

        def at(v):
            strides = axis_strides(shape_of(v), rank, 1) if channel else None
            return gen.load_leaf(kt, v, coords, "cmask", ind, leaf, strides)

        return at(scale), (at(bias) if bias is not None else None)

    def per_row_value(ind: str) -> None:
        """y at each element of the chunk in x."""
        if kind in ("Softmax", "ScaledMaskedSoftmax"):
            L.append(f"{ind}y = tl.exp(x - m) / s")
        elif kind == "LogSoftmax":
            L.append(f"{ind}y = x - m - tl.log(s)")
        elif kind == "Hardmax":
            L.append(f"{ind}y = tl.where(cols == bi, 1, 0)")
        elif kind == "RMSNormalization":
            g, _ = params(ind)
            L.append(f"{ind}y = x / rms * {g}")
        elif kind == "LpNormalization":
            L.append(f"{ind}y = tl.where(nrm == 0.0, 0.0, x / tl.where(nrm == 0.0, 1.0, nrm))")
        elif kind == "MeanVarianceNormalization":
            L.append(f"{ind}y = (x - mean) / (tl.sqrt(var) + 1e-9)")
        else:
            g, b = params(ind)
            L.append(f"{ind}y = (x - mean) * rstd * {g}")
            if b is not None:
                L.append(f"{ind}y = y + {b}")

    eps = prop_f(anchor, "epsilon", 1e-5)
    loop = f"    for c0 in range(0, {red}, BLOCK_R):"
    ind = "        " if looped else "    "
    start = "c0 + " if looped else ""

    def open_pass() -> None:
        if looped:
            L.append(loop)

    if kind == "CumSum":
        # reverse: lane j of chunk c0 reads column red - 1 - (c0 + j), so the scan
        # still runs in increasing lane order
        reverse, exclusive = bool(prop_i(anchor, "reverse", 0)), bool(prop_i(anchor, "exclusive", 0))
        L.append(f"    carry = tl.zeros([], {acc_t})")
        open_pass()
        env = chunk(ind, start, f"({red - 1} - cols)" if reverse else None)
        L.append(f"{ind}cs = tl.cumsum(tl.where(cmask, x, {lit(0, acc)}), axis=0) + carry")
        L.append(f"{ind}y = cs - x" if exclusive else f"{ind}y = cs")
        store_rows(ind, "y", env, f"({red - 1} - cols)" if reverse else "cols")
        L.append(f"{ind}carry = carry + tl.sum(tl.where(cmask, x, {lit(0, acc)}), axis=0)")
        _finish(gen, kt, anchor, prologue, epilogue, first, kind, rows, red, looped)
        return

    # statistics -----------------------------------------------------------------
    if not looped:
        env0 = chunk(ind, start)
    if kind in ("RMSNormalization", "LpNormalization"):
        term = "tl.abs(x)" if kind == "LpNormalization" and prop_i(anchor, "p", 2) == 1 else "x * x"
        if looped:
            L += [f"    acc = tl.zeros([BLOCK_R], {acc_t})", loop]
            chunk(ind, start)
            L.append(f"{ind}acc += {term}")
            total = "tl.sum(acc, axis=0)"
        else:
            total = f"tl.sum({term}, axis=0)"
        if kind == "RMSNormalization":
            L.append(f"    rms = tl.sqrt({total} / {red} + {eps!r})")
        else:
            L.append(f"    nrm = {total}" if term != "x * x" else f"    nrm = tl.sqrt({total})")
    elif softmax:
        if looped:
            L.append('    mv = tl.full([BLOCK_R], float("-inf"), tl.float32)')
            L.append(loop)
            chunk(ind, start)
            L.append(f"{ind}mv = tl.maximum(mv, x)")
            L += ["    m = tl.max(mv, axis=0)", "    sv = tl.zeros([BLOCK_R], tl.float32)", loop]
            chunk(ind, start)
            L.append(f"{ind}sv += tl.where(cmask, tl.exp(x - m), 0.0)")
            L.append("    s = tl.sum(sv, axis=0)")
        else:
            L += ["    m = tl.max(x, axis=0)", "    e = tl.where(cmask, tl.exp(x - m), 0.0)", "    s = tl.sum(e, axis=0)"]
    elif kind in NORMS:  # mean and variance (two passes when looped)
        if looped:
            L += [f"    acc = tl.zeros([BLOCK_R], {acc_t})", loop]
            chunk(ind, start)
            L.append(f"{ind}acc += x")
            L += [f"    mean = tl.sum(acc, axis=0) / {red}", f"    acc = tl.zeros([BLOCK_R], {acc_t})", loop]
            chunk(ind, start)
            L.append(f"{ind}d = tl.where(cmask, x - mean, 0.0)")
            L.append(f"{ind}acc += d * d")
            var = f"tl.sum(acc, axis=0) / {red}"
        else:
            L += [f"    mean = tl.sum(x, axis=0) / {red}", "    d = tl.where(cmask, x - mean, 0.0)"]
            var = f"tl.sum(d * d, axis=0) / {red}"
        if kind == "MeanVarianceNormalization":
            L.append(f"    var = {var}")
        else:
            L.append(f"    rstd = 1.0 / tl.sqrt({var} + {eps!r})")
    elif kind in ("ArgMax", "ArgMin", "Hardmax"):
        last = bool(prop_i(anchor, "select_last_index", 0)) and kind != "Hardmax"
        red_fn = "tl.min" if rkind == "Min" else "tl.max"
        cmp = ("<=" if last else "<") if rkind == "Min" else (">=" if last else ">")
        L += [f"    bv = tl.full([], {fill}, {acc_t})", "    bi = tl.zeros([], tl.int64)"]
        open_pass()
        if looped:
            chunk(ind, start)
        L.append(f"{ind}cm = {red_fn}(x, axis=0)")
        if last:
            L.append(f"{ind}ci = tl.max(tl.where((x == cm) & cmask, cols, -1), axis=0).to(tl.int64)")
        else:
            L.append(f"{ind}ci = tl.min(tl.where((x == cm) & cmask, cols, {red}), axis=0).to(tl.int64)")
        L.append(f"{ind}better = cm {cmp} bv")
        L.append(f"{ind}bi = tl.where(better, ci, bi)")
        L.append(f"{ind}bv = tl.where(better, cm, bv)")
    # per-element outputs ----------------------------------------------------------
    if per_row:
        if kind == "LayerNormalization":
            for r, value in zip(anchor.results[1:], ("mean", "rstd")):
                if r.uses:
                    p = gen.new_param(kt, gen.name(r), "out")
                    L.append(f"    tl.store({p} + row, {value})")
        if looped:
            L.append(loop)
            env1 = chunk(ind, start)
        else:
            env1 = env0
        per_row_value(ind)
        store_rows(ind, "y", env1)
        _finish(gen, kt, anchor, prologue, epilogue, first, kind, rows, red, looped)
        return
    # one value per row ------------------------------------------------------------
    if kind in ("ArgMax", "ArgMin"):
        r = "bi"
    else:
        term = {"SumSquare": "x * x", "L2": "x * x", "L1": "tl.abs(x)"}.get(rkind, "x")
        red_op = {"Max": "tl.max", "Min": "tl.min"}.get(rkind, "tl.sum")
        if rkind == "Prod":
            kt.need("strata_mul")
        if rkind == "LogSumExp":
            if looped:
                L += [f'    mv = tl.full([BLOCK_R], float("-inf"), {acc_t})', loop]
                chunk(ind, start)
                L += [f"{ind}mv = tl.maximum(mv, x)", "    m = tl.max(mv, axis=0)"]
            else:
                L.append("    m = tl.max(x, axis=0)")
            L.append('    m = tl.where((m == float("inf")) | (m == float("-inf")), 0.0, m)')
            term = "tl.exp(x - m)"
        if not looped:
            L.append(f"    r = tl.reduce({term}, 0, strata_mul)" if rkind == "Prod" else f"    r = {red_op}({term}, axis=0)")
        else:
            init = fill if rkind != "LogSumExp" else lit(0, acc)
            L.append(f"    acc = tl.full([BLOCK_R], {init}, {acc_t})")
            L.append(loop)
            chunk(ind, start)
            comb = {"tl.max": f"tl.maximum(acc, {term})", "tl.min": f"tl.minimum(acc, {term})"}.get(red_op, f"acc + {term}")
            if rkind == "Prod":
                comb = "acc * x"
            L.append(f"{ind}acc = {comb}")
            L.append("    r = tl.reduce(acc, 0, strata_mul)" if rkind == "Prod" else f"    r = {red_op}(acc, axis=0)")
        if rkind == "Mean":
            L.append(f"    r = r / {red}" if acc.kind == "f" else f"    r = r // {red}")
        elif rkind == "L2":
            L.append("    r = tl.sqrt(r)")
        elif rkind == "LogSum":
            L.append("    r = tl.log(r)")
        elif rkind == "LogSumExp":
            L.append("    r = tl.log(r) + m")
        r = "r"
    coords = Coords(L, "    ", out_shape, flat="row")
    if any(v.owner in prologue for o in epilogue for v in o.operands):
        raise UnsupportedOnCuda(f"{kind} '{node_name(anchor)}': an epilogue op reads a prologue value")
    env = {anchor.results[0]: r}
    gen.emit_elementwise(kt, epilogue, env, coords, None, "    ", leaf)
    for res in outputs:
        p = gen.new_param(kt, gen.name(res), "out")
        L.append(f"    tl.store({p} + row, {env[res]})")
    _finish(gen, kt, anchor, prologue, epilogue, first, kind, rows, red, looped)


def _finish(gen: Generator, kt: KernelText, anchor: Operation, prologue, epilogue, first, kind: str, rows: int,
            red: int, looped: bool) -> None:
    nodes = [node_name(op) for op in prologue + [anchor] + epilogue]
    how = "looped over BLOCK_R chunks" if looped else "whole row in registers"
    gen.finish(kt, gen.kernel_name("row", first), "row", nodes, [f"{kind} over {rows} rows of {red} ({how})"],
               row_configs(red, rows, gen.max_row_block))
