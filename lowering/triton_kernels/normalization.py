"""The normalizations that need no row statistics, as pointwise Triton kernels:
BatchNormalization in its inference form (per-channel mean/var given:
y = (x - mean[c]) * (scale[c] / sqrt(var[c] + eps)) + B[c], as the CPU kernel orders it)
and LRN (the sum of squares over the channel window [c - floor((size-1)/2),
c + ceil((size-1)/2)], clipped to the channels, unrolled over its `size` taps;
y = x / (bias + alpha / size * sum) ** beta). The normalizations with statistics are row
kernels (row.py).
"""

from __future__ import annotations

from xdsl.ir import Operation

from dialects.onnx.base import int_attr_value, node_name
from lowering.triton_kernels.bodies import prop_f
from lowering.triton_kernels.generator import Generator
from lowering.triton_kernels.program import UnsupportedOnCuda, pointwise_configs
from lowering.triton_kernels.text import Coords, KernelText, axis_strides, contiguous_strides, numel, shape_of


def batch_norm(gen: Generator, op: Operation) -> None:
    if int_attr_value(op.properties.get("training_mode")) or any(r.uses for r in op.results[1:]):
        raise UnsupportedOnCuda(f"BatchNormalization '{node_name(op)}': only the inference form is supported "
                                "(training_mode=1 / running statistics outputs)")
    x = op.operands[0]
    xs = shape_of(x)
    n = numel(xs)
    if n == 0:
        return
    kt = KernelText()
    L = kt.lines
    L += ["    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)", f"    mask = offs < {n}"]
    coords = Coords(L, "    ", xs, flat="offs")
    xv = gen.load_leaf(kt, x, coords, "mask", "    ")
    scale, b, mean, var = (gen.load_leaf(kt, v, coords, "mask", "    ", strides=axis_strides(shape_of(v), len(xs), 1))
                           for v in op.operands[1:5])
    eps = prop_f(op, "epsilon", 1e-5)
    p = gen.new_param(kt, gen.name(op.results[0]), "out")
    L.append(f"    tl.store({p} + offs, ({xv} - {mean}) * ({scale} / tl.sqrt({var} + {eps!r})) + {b}, mask=mask)")
    gen.finish(kt, gen.kernel_name("pointwise", op), "pointwise", [node_name(op)],
               [f"BatchNormalization (inference) over {list(xs)}"], pointwise_configs(n))


def lrn(gen: Generator, op: Operation) -> None:
    x = op.operands[0]
    xs = shape_of(x)
    n = numel(xs)
    if n == 0:
        return
    size = int_attr_value(op.properties.get("size"))
    alpha, beta, bias = prop_f(op, "alpha", 1e-4), prop_f(op, "beta", 0.75), prop_f(op, "bias", 1.0)
    C = xs[1]
    cs = contiguous_strides(xs)[1]
    kt = KernelText()
    L = kt.lines
    L += ["    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)", f"    mask = offs < {n}"]
    coords = Coords(L, "    ", xs, flat="offs")
    c = coords.block_coord(1)
    px = gen.new_param(kt, gen.name(x), "in")
    L += [f"    xv = tl.load({px} + offs, mask=mask, other=0.0).to(tl.float32)", "    sq = tl.zeros([BLOCK], tl.float32)",
          f"    for t in tl.static_range({size}):",
          f"        cc = {c} - {(size - 1) // 2} + t",
          f"        v = tl.load({px} + offs + (cc - {c}) * {cs}, mask=mask & (cc >= 0) & (cc < {C}), other=0.0).to(tl.float32)",
          "        sq += v * v"]
    p = gen.new_param(kt, gen.name(op.results[0]), "out")
    L.append(f"    tl.store({p} + offs, xv / tl.exp({beta!r} * tl.log({bias!r} + {alpha / size!r} * sq)), mask=mask)")
    gen.finish(kt, gen.kernel_name("pointwise", op), "pointwise", [node_name(op)],
               [f"LRN size {size} over {list(xs)}"], pointwise_configs(n))
