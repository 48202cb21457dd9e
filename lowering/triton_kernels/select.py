"""TopK as a Triton kernel: one program per row (the elements along `axis`); each
element's rank is the number of elements of the row that come before it (larger, for
largest=1, or equal at a lower index), counted against the row in BLOCK_J chunks, and
an element with rank < K is stored at position rank of both outputs. So the output is
sorted, and equal values come out lower index first, as on the CPU path and in
onnxruntime. Work per row is quadratic in its length (a selection, not a sort): meant
for the rows TopK sees in models (vocabulary logits, detection scores), with K taken
from the static result shape.
"""

from __future__ import annotations

from xdsl.ir import Operation

from dialects.onnx.base import node_name
from lowering.triton_kernels.bodies import prop_i
from lowering.triton_kernels.generator import Generator
from lowering.triton_kernels.program import next_pow2
from runtime.triton_program import DEFAULT_NUM_STAGES, make_config
from lowering.triton_kernels.text import KernelText, numel, shape_of


def topk(gen: Generator, op: Operation) -> None:
    x = op.operands[0]
    xs, vs = shape_of(x), shape_of(op.results[0])
    rank = len(xs)
    axis = prop_i(op, "axis", -1) % rank
    largest = bool(prop_i(op, "largest", 1))
    red, K = xs[axis], vs[axis]
    inner = numel(xs[axis + 1:])
    rows = numel(xs) // max(red, 1)
    if K == 0 or numel(xs) == 0:
        return
    kt = KernelText()
    px = gen.new_param(kt, gen.name(x), "in")
    L = kt.lines
    step = "" if inner == 1 else f" * {inner}"
    cmp = ">" if largest else "<"
    L += ["    row = tl.program_id(0)",
          f"    base = (row // {inner}) * {red * inner} + row % {inner}" if inner != 1 else f"    base = row * {red}",
          f"    obase = (row // {inner}) * {K * inner} + row % {inner}" if inner != 1 else f"    obase = row * {K}",
          f"    for i0 in range(0, {red}, BLOCK_R):",
          "        ci = i0 + tl.arange(0, BLOCK_R)",
          f"        imask = ci < {red}",
          f"        vi = tl.load({px} + base + ci{step}, mask=imask)",
          "        rank = tl.zeros([BLOCK_R], dtype=tl.int32)",
          f"        for j0 in range(0, {red}, BLOCK_J):",
          "            cj = j0 + tl.arange(0, BLOCK_J)",
          f"            jmask = cj < {red}",
          f"            vj = tl.load({px} + base + cj{step}, mask=jmask)",
          f"            before = (vj[None, :] {cmp} vi[:, None]) | ((vj[None, :] == vi[:, None]) & (cj[None, :] < ci[:, None]))",
          "            rank += tl.sum(tl.where(before & jmask[None, :], 1, 0), axis=1)",
          f"        sel = imask & (rank < {K})"]
    pv = gen.new_param(kt, gen.name(op.results[0]), "out")
    L.append(f"        tl.store({pv} + obase + rank{step}, vi, mask=sel)")
    pi = gen.new_param(kt, gen.name(op.results[1]), "out")
    L.append(f"        tl.store({pi} + obase + rank{step}, ci.to(tl.int64), mask=sel)")
    br, bj = min(next_pow2(red), 128), min(next_pow2(red), 32)
    cfg = make_config({"BLOCK_R": br, "BLOCK_J": bj}, 4 if br * bj >= 2048 else 1, DEFAULT_NUM_STAGES, (rows,))
    gen.finish(kt, gen.kernel_name("select", op), "select", [node_name(op)],
               [f"TopK k={K} over {rows} rows of {red} ({'largest' if largest else 'smallest'}), rank counting"], [cfg])
