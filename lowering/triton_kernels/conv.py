"""Convolutions as Triton kernels: Conv and strata.FusedConv as implicit GEMM, depthwise
convolutions as direct window kernels, ConvTranspose as implicit GEMM in gather form.

Layout: NCHW, the ONNX layout, everywhere. Implicit GEMM over NCHW needs no layout
pass, no transposes at the model's borders and no weight reorder: the GEMM's M axis is
the output pixels (n, oh, ow), whose consecutive ow read consecutive input addresses
(stride 1) and write consecutive output addresses, so the A tile's loads and the
output tile's stores coalesce along M; N is the output channels of one group, K is
(input channel, kh, kw), which is W's own row-major order ([M, C/group, kh, kw]), so the
B tile reads W in place, contiguous along K. NHWC would make the A tile contiguous
along K (better for wide-channel layers and the TMA engine) but needs an NHWC copy of
every activation and a layout pass, which the GPU path does not have; the CPU's blocked
layout pass (onnx-layout-nchwc) is CPU-only.

- Conv / FusedConv (group G, any spatial rank): grid (M tiles, N tiles, G). A program
  loads an A tile [BM pixels, BK taps] gathered from X (`ih = oh * stride - pad + kh *
  dilation`, masked where it falls into the padding, so padding is never read or
  materialized) and a B tile [BK, BN] from W, accumulates `tl.dot` in fp32 at the
  program's precision, then applies the epilogue to the accumulator: bias, FusedConv's
  residual z and activation, and the elementwise ops of its fused group (fuse-kernels'
  conv groups), before its one masked store. Grouped convs are G GEMMs side by side.
- Depthwise (one input channel per group: C/group == 1): tl.dot's 16-wide minimum
  would waste most of each tile, so a pointwise kernel over the output elements sums
  the window taps directly (`tl.static_range` over the taps), with the same epilogue.
- ConvTranspose: Y[n, m, o] = sum over (c, k) with o = i * stride - pad + k * dilation
  of X[n, c, i] * W[c, m, k]: the same implicit GEMM where each (o, k) pair selects
  its input position i = (o + pad - k * dilation) / stride, masked when that is not a
  whole number inside X.
"""

from __future__ import annotations

from xdsl.ir import Operation, SSAValue

from dialects.onnx.base import node_name
from lowering.kernels.conv import Window, window_of
from lowering.kernel_context import KernelContext, LoweringError
from lowering.triton_kernels.bodies import activation, dtype_of
from lowering.triton_kernels.generator import Generator, Leaf
from lowering.triton_kernels.program import UnsupportedOnCuda, matmul_configs, pointwise_configs
from lowering.triton_kernels.text import Coords, KernelText, contiguous_strides, numel, shape_of

STATIC_TAPS = 64  # windows up to this many taps are unrolled (tl.static_range)


def window(gen: Generator, op: Operation) -> Window:
    try:
        return window_of(KernelContext(op, {}, gen.weights))  # type: ignore[arg-type]
    except LoweringError as e:
        raise UnsupportedOnCuda(str(e)) from None


def lin(x: str, scale: int, offset: int = 0) -> str:
    """`x * scale + offset` written without unit factors and zero terms."""
    t = x if scale == 1 else f"{x} * {scale}"
    if offset == 0:
        return t
    return f"{t} + {offset}" if offset > 0 else f"{t} - {-offset}"


def _needs_mask(win: Window, d: int, out_size: int, in_size: int) -> bool:
    """Whether some window of dim d reaches outside the input (into the padding)."""
    lowest = -win.pads_begin[d]
    highest = (out_size - 1) * win.strides[d] - win.pads_begin[d] + (win.kernel[d] - 1) * win.dilations[d]
    return lowest < 0 or highest >= in_size


def conv(gen: Generator, op: Operation, epilogue: list[Operation], outputs: list[SSAValue], leaf: Leaf,
         first: Operation) -> None:
    """Conv / strata.FusedConv with `epilogue` (the group's elementwise consumers)."""
    win = window(gen, op)
    group = op.effective_group()  # type: ignore[attr-defined]
    C, M = shape_of(op.operands[0])[1], shape_of(op.results[0])[1]
    Cg, Mg = C // group, M // group
    if Cg == 1 and group > 1:
        _depthwise(gen, op, win, epilogue, outputs, leaf, first)
        return
    _implicit_gemm(gen, op, win, leaf, first, Cg, Mg, getattr(op, "z", None), epilogue, outputs, transposed=False)


def _implicit_gemm(gen: Generator, op: Operation, win: Window, leaf: Leaf, first: Operation, Cg: int, Mg: int,
                   z: SSAValue | None, epilogue: list[Operation], outputs: list[SSAValue], transposed: bool) -> None:
    """The implicit-GEMM kernel of Conv/FusedConv and (`transposed`) ConvTranspose:
    [N * output pixels x Cg * taps] @ [Cg * taps x Mg] per group, grid (M tiles, N
    tiles, G). The two differ only in which input position a (pixel, tap) pair reads
    (`o * stride - pad + k * dilation`, or the `i` with `i * stride - pad + k *
    dilation = o`) and in W's layout ([M, C/G, k...] or [C, M/G, k...])."""
    x, w = op.operands[0], op.operands[1]
    b = getattr(op, "b", None)
    xs, ws, ys = shape_of(x), shape_of(w), shape_of(op.results[0])
    group = op.effective_group()  # type: ignore[attr-defined]
    k = len(xs) - 2
    N, C, M = xs[0], xs[1], ys[1]
    s_in, s_out, kernel = xs[2:], ys[2:], ws[2:]
    KK = numel(kernel)
    Kg = Cg * KK
    P = numel(s_out)
    Mpix = N * P
    in_sp = numel(s_in)
    dt = dtype_of(x)
    kt = KernelText()
    px, pw = gen.new_param(kt, leaf(x), "in"), gen.new_param(kt, leaf(w), "in")
    L = kt.lines
    L += ["    pid_m = tl.program_id(0)", "    pid_n = tl.program_id(1)", "    g = tl.program_id(2)",
          "    rm = pid_m * BM + tl.arange(0, BM)", "    rn = pid_n * BN + tl.arange(0, BN)",
          f"    pn = rm // {P}"]
    out_st = contiguous_strides(s_out)
    for d in range(k):
        L.append(f"    o{d} = (rm // {out_st[d]}) % {s_out[d]}" if out_st[d] != 1 else f"    o{d} = rm % {s_out[d]}")
        if not transposed:
            L.append(f"    p{d} = {lin(f'o{d}', win.strides[d], -win.pads_begin[d])}")
    L += [f"    xrow = pn * {C * in_sp} + g * {Cg * in_sp}", f"    co = g * {Mg} + rn",
          "    acc = tl.zeros((BM, BN), dtype=tl.float32)",
          f"    for k0 in range(0, {Kg}, BK):", "        rk = k0 + tl.arange(0, BK)",
          f"        ci = rk // {KK}" if KK != 1 else "        ci = rk"]
    k_st = contiguous_strides(kernel)
    in_st = contiguous_strides(s_in)
    amask = [f"(rm[:, None] < {Mpix})", f"(rk[None, :] < {Kg})"]
    a_off = ["xrow[:, None]", f"ci[None, :] * {in_sp}"]
    for d in range(k):
        t = f"(rk // {k_st[d]}) % {kernel[d]}" if k_st[d] != 1 else f"rk % {kernel[d]}"
        if transposed:
            L.append(f"        q{d} = o{d}[:, None] + {win.pads_begin[d]} - ({t})[None, :] * {win.dilations[d]}")
            s = win.strides[d]
            if s == 1:
                L.append(f"        i{d} = q{d}")
                amask.append(f"(q{d} >= 0) & (q{d} < {s_in[d]})")
            else:
                # C division truncates: a negative q is rejected by q >= 0 before i counts
                L.append(f"        i{d} = q{d} // {s}")
                amask.append(f"(q{d} >= 0) & (q{d} % {s} == 0) & (i{d} < {s_in[d]})")
        else:
            if kernel[d] == 1:
                L.append(f"        i{d} = p{d}[:, None]")
            else:
                L.append(f"        i{d} = p{d}[:, None] + {lin(f'({t})[None, :]', win.dilations[d])}")
            if _needs_mask(win, d, s_out[d], s_in[d]):
                amask.append(f"(i{d} >= 0) & (i{d} < {s_in[d]})")
        a_off.append(f"i{d}" if in_st[d] == 1 else f"i{d} * {in_st[d]}")
    L.append(f"        a = tl.load({px} + {' + '.join(a_off)}, mask={' & '.join(amask)}, other=0.0)")
    if transposed:
        w_off = f"(g * {Cg} + ci[:, None]) * {Mg * KK} + rn[None, :] * {KK} + (rk % {KK})[:, None]"
    else:
        w_off = f"co[None, :] * {Kg} + rk[:, None]"
    L.append(f"        b = tl.load({pw} + {w_off}, mask=(rk[:, None] < {Kg}) & (rn[None, :] < {Mg}), other=0.0)")
    L.append(f"        acc += {gen.dot('a', 'b', dt)}")
    L.append(f"    omask = (rm[:, None] < {Mpix}) & (rn[None, :] < {Mg})")
    given: dict[int, object] = {0: "pn[:, None]", 1: "co[None, :]"}
    for d in range(k):
        given[2 + d] = f"o{d}[:, None]"
    coords = Coords(L, "    ", ys, given=given, prefix="e")
    L.append(f"    o = pn[:, None] * {M * P} + co[None, :] * {P} + (rm % {P})[:, None]")
    _epilogue(gen, kt, op, b, z, epilogue, outputs, leaf, coords, "omask", "co[None, :]", "o")
    nodes = [node_name(o) for o in [op] + epilogue]
    epi = f", epilogue: {', '.join(o.name.removeprefix('onnx.') for o in epilogue)}" if epilogue else ""
    what = "ConvTranspose" if transposed else "Conv"
    form = " (gather form)" if transposed else ""
    gen.finish(kt, gen.kernel_name("conv", first), "conv", nodes,
               [f"{what} {list(xs)} * W {list(ws)} group {group} -> {list(ys)}: implicit GEMM{form} "
                f"[{Mpix} pixels x {Kg}] @ [{Kg} x {Mg}] per group{epi}"],
               matmul_configs(Mpix, Mg, group))


def _epilogue(gen: Generator, kt: KernelText, op: Operation, b, z, epilogue: list[Operation], outputs, leaf: Leaf,
              coords: Coords, mask: str, channel: str, off: str, indent: str = "    ") -> None:
    """Bias, FusedConv's residual and activation, the group's elementwise epilogue, and
    the stores at `off`."""
    L = kt.lines
    if b is not None:
        pb = gen.new_param(kt, leaf(b), "in")
        L.append(f"{indent}acc = acc + tl.load({pb} + {channel}, mask={mask}, other=0.0)")
    if z is not None:
        zv = gen.load(kt, leaf(z), off, mask, indent)
        L.append(f"{indent}acc = acc + {zv}  # residual")
    act = activation(op, "acc", kt) if op.name == "strata.FusedConv" else None
    if act is not None:
        L.append(f"{indent}acc = {act}  # activation")
    env: dict[SSAValue, str] = {op.results[0]: "acc"}
    gen.emit_elementwise(kt, epilogue, env, coords, mask, indent, leaf)
    for r in outputs:
        p = gen.new_param(kt, gen.name(r), "out")
        L.append(f"{indent}tl.store({p} + {off}, {env[r]}, mask={mask})")


def _taps_loop(L: list[str], kernel, indent: str = "    ") -> list[str]:
    """Opens a loop over the window's taps (unrolled when small); returns the per-dim
    tap expressions."""
    KK = numel(kernel)
    L.append(f"{indent}for t in {'tl.static_range' if KK <= STATIC_TAPS else 'range'}({KK}):")
    k_st = contiguous_strides(kernel)
    return [f"((t // {k_st[d]}) % {kernel[d]})" if k_st[d] != 1 else f"(t % {kernel[d]})" for d in range(len(kernel))]


def _depthwise(gen: Generator, op: Operation, win: Window, epilogue: list[Operation], outputs, leaf: Leaf,
               first: Operation) -> None:
    x, w = op.operands[0], op.operands[1]
    b, z = getattr(op, "b", None), getattr(op, "z", None)
    xs, ws, ys = shape_of(x), shape_of(w), shape_of(op.results[0])
    k = len(xs) - 2
    C, M = xs[1], ys[1]
    Mg = M // op.effective_group()  # type: ignore[attr-defined]
    s_in, s_out, kernel = xs[2:], ys[2:], ws[2:]
    KK = numel(kernel)
    n = numel(ys)
    kt = KernelText()
    px, pw = gen.new_param(kt, leaf(x), "in"), gen.new_param(kt, leaf(w), "in")
    L = kt.lines
    L += ["    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)", f"    mask = offs < {n}"]
    coords = Coords(L, "    ", ys, flat="offs", prefix="o")
    pn, co = coords.coord(0), coords.coord(1)
    outs = [coords.block_coord(2 + d) for d in range(k)]
    in_sp = numel(s_in)
    in_st = contiguous_strides(s_in)
    L.append(f"    xrow = {pn} * {C * in_sp} + ({co} // {Mg}) * {in_sp}" if Mg != 1 else f"    xrow = {pn} * {C * in_sp} + {co} * {in_sp}")
    L.append("    acc = tl.zeros([BLOCK], dtype=tl.float32)")
    taps = _taps_loop(L, kernel)
    valid = ["mask"]
    off = ["xrow"]
    for d in range(k):
        L.append(f"        h{d} = {lin(outs[d], win.strides[d], -win.pads_begin[d])} + {lin(taps[d], win.dilations[d])}")
        if _needs_mask(win, d, s_out[d], s_in[d]):
            valid.append(f"(h{d} >= 0) & (h{d} < {s_in[d]})")
        off.append(f"h{d}" if in_st[d] == 1 else f"h{d} * {in_st[d]}")
    L.append(f"        xv = tl.load({px} + {' + '.join(off)}, mask={' & '.join(valid)}, other=0.0)")
    L.append(f"        wv = tl.load({pw} + {co} * {KK} + t, mask=mask, other=0.0)")
    L.append("        acc += xv * wv")
    _epilogue(gen, kt, op, b, z, epilogue, outputs, leaf, coords, "mask", co, "offs")
    nodes = [node_name(o) for o in [op] + epilogue]
    gen.finish(kt, gen.kernel_name("conv", first), "conv", nodes,
               [f"depthwise Conv {list(xs)} * W {list(ws)} -> {list(ys)}: {KK} taps per output element"],
               pointwise_configs(n))


def conv_transpose(gen: Generator, op: Operation) -> None:
    win = window(gen, op)
    xs, ws, ys = shape_of(op.operands[0]), shape_of(op.operands[1]), shape_of(op.results[0])
    group = op.effective_group()  # type: ignore[attr-defined]
    C, M = xs[1], ys[1]
    Cg, Mg = C // group, ws[1]
    if ws[0] != C or Mg * group != M:
        raise UnsupportedOnCuda(f"ConvTranspose '{node_name(op)}': X {list(xs)}, W {list(ws)} and Y {list(ys)} "
                                f"do not fit group={group}")
    _implicit_gemm(gen, op, win, gen.name, op, Cg, Mg, None, [], [op.results[0]], transposed=True)
