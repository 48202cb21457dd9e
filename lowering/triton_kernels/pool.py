"""MaxPool (with its optional Indices output) and AveragePool as Triton kernels, with
the elementwise prologue and epilogue of their fused group (fuse-kernels' pooling
groups).

A pointwise kernel over the output elements: each lane takes its (n, c, o...)
coordinates and walks the window's taps (unrolled up to 64 taps): input position
`o * stride - pad_begin + k * dilation`, masked where it falls outside the input, so
padding is never read. The prologue (the producers of the pooled input) is recomputed
at each tap's load. MaxPool keeps the first maximum (`v > best`, as onnxruntime) and its
flat index into X (row-major, or column-major per spatial dims for storage_order=1).
AveragePool divides by the taps inside the input (count_include_pad=0) or inside the
padded input (count_include_pad=1; with ceil_mode a window may also reach past the end
padding, and those taps are not counted), as the CPU kernels do.
"""

from __future__ import annotations

from xdsl.ir import Operation, SSAValue

from dialects.onnx.base import int_attr_value, node_name
from lowering.triton_kernels.bodies import dtype_of
from lowering.triton_kernels.conv import _needs_mask, _taps_loop, lin, window
from lowering.triton_kernels.generator import Generator, Leaf, split_prologue
from lowering.triton_kernels.program import UnsupportedOnCuda, pointwise_configs
from lowering.triton_kernels.text import Coords, KernelText, contiguous_strides, extreme, numel, shape_of, tl_dtype


def pool(gen: Generator, anchor: Operation, others: list[Operation], outputs: list[SSAValue], leaf: Leaf,
         first: Operation) -> None:
    """`others`: the group's elementwise ops; the producers of the pooled input are its
    prologue, the rest its epilogue."""
    maxpool = anchor.name == "onnx.MaxPool"
    prologue, epilogue = split_prologue(anchor.operands[0], others)
    win = window(gen, anchor)
    x = anchor.operands[0]
    xs, ys = shape_of(x), shape_of(anchor.results[0])
    k = len(xs) - 2
    dt = dtype_of(x)
    if not maxpool and dt.kind != "f":
        raise UnsupportedOnCuda(f"AveragePool '{node_name(anchor)}' on {dt}")
    s_in, s_out = xs[2:], ys[2:]
    in_sp = numel(s_in)
    in_st = contiguous_strides(s_in)
    n = numel(ys)
    acc_dt = dt if maxpool and dt.kind != "f" else None
    acc_t = tl_dtype(acc_dt) if acc_dt is not None else ("tl.float64" if dt.kind == "f" and dt.itemsize == 8 else "tl.float32")
    kt = KernelText()
    L = kt.lines
    L += ["    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)", f"    mask = offs < {n}"]
    coords = Coords(L, "    ", ys, flat="offs", prefix="o")
    pn, c = coords.coord(0), coords.coord(1)
    outs = [coords.block_coord(2 + d) for d in range(k)]
    L.append(f"    xrow = ({pn} * {xs[1]} + {c}) * {in_sp}" if xs[1] != 1 else f"    xrow = {pn} * {in_sp}")
    if maxpool:
        lowest = extreme(acc_dt, largest=False) if acc_dt is not None else 'float("-inf")'
        L.append(f"    acc = tl.full([BLOCK], {lowest}, {acc_t})")
        L.append("    arg = tl.zeros([BLOCK], dtype=tl.int64) - 1")
    else:
        L.append(f"    acc = tl.zeros([BLOCK], dtype={acc_t})")
        L.append(f"    cnt = tl.zeros([BLOCK], dtype={acc_t})")
    include_pad = not maxpool and bool(int_attr_value(anchor.properties.get("count_include_pad")))
    taps = _taps_loop(L, win.kernel)
    valid = ["mask"]
    counted = ["mask"]
    off = ["xrow"]
    given: dict[int, object] = {0: pn, 1: c}
    for d in range(k):
        L.append(f"        h{d} = {lin(outs[d], win.strides[d], -win.pads_begin[d])} + {lin(taps[d], win.dilations[d])}")
        if _needs_mask(win, d, s_out[d], s_in[d]):
            valid.append(f"(h{d} >= 0) & (h{d} < {s_in[d]})")
        if include_pad:
            counted.append(f"(h{d} >= {-win.pads_begin[d]}) & (h{d} < {s_in[d] + win.pads_end[d]})")
        off.append(f"h{d}" if in_st[d] == 1 else f"h{d} * {in_st[d]}")
        given[2 + d] = f"h{d}"
    L.append(f"        ok = {' & '.join(valid)}")
    at = " + ".join(off)
    if prologue:
        env: dict[SSAValue, str] = {}
        xc = Coords(L, "        ", xs, given=given, prefix="x")
        gen.emit_elementwise(kt, prologue, env, xc, "ok", "        ", leaf)
        L.append(f"        v = {env[x]}.to({acc_t})")
    else:
        px = gen.new_param(kt, leaf(x), "in")
        L.append(f"        v = tl.load({px} + {at}, mask=ok, other=0).to({acc_t})")
    if maxpool:
        L.append("        better = ok & ((v > acc) | (arg < 0))")
        L.append("        acc = tl.where(better, v, acc)")
        if anchor.results[1:] and anchor.results[1].uses:
            if int_attr_value(anchor.properties.get("storage_order")):
                # column-major over the spatial dims
                mul = 1
                terms = []
                for d in range(k):
                    terms.append(f"h{d}" if mul == 1 else f"h{d} * {mul}")
                    mul *= s_in[d]
                flat = " + ".join(terms)
            else:
                flat = " + ".join(off[1:]) if k else "0"
            L.append(f"        arg = tl.where(better, xrow + {flat}, arg)")
        else:
            L.append("        arg = tl.where(better, t, arg)")
    else:
        L.append("        acc += tl.where(ok, v, 0.0)")
        L.append(f"        cnt += tl.where({' & '.join(counted) if include_pad else 'ok'}, 1.0, 0.0)")
    if not maxpool:
        L.append("    acc = acc / tl.maximum(cnt, 1.0)")
    env2: dict[SSAValue, str] = {anchor.results[0]: "acc"}
    gen.emit_elementwise(kt, epilogue, env2, coords, "mask", "    ", leaf)
    for r in outputs:
        p = gen.new_param(kt, gen.name(r), "out")
        L.append(f"    tl.store({p} + offs, {env2[r]}, mask=mask)")
    if maxpool and anchor.results[1:] and anchor.results[1].uses and anchor.results[1] not in outputs:
        p = gen.new_param(kt, gen.name(anchor.results[1]), "out")
        L.append(f"    tl.store({p} + offs, arg, mask=mask)")
    nodes = [node_name(o) for o in prologue + [anchor] + epilogue]
    gen.finish(kt, gen.kernel_name("pool", first), "pool", nodes,
               [f"{anchor.name.removeprefix('onnx.')} {list(xs)} -> {list(ys)}, window {list(win.kernel)} "
                f"({numel(win.kernel)} taps per output element)"],
               pointwise_configs(n))
