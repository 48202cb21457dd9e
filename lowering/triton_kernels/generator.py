"""The Triton generator's state and its core families.

`Generator` names graph values (`v0`, `v1`, ...), keeps the program's weights and
steps, and writes kernels: `new_param` binds a pointer parameter to a value,
`emit_elementwise` writes a chain of elementwise bodies over coordinates (operands not
computed in the kernel are loaded through `load_leaf`, broadcast by index arithmetic),
`finish` wraps the text into a `TritonKernel` with its launch configurations.

Families written here:
- pointwise: elementwise groups and Transpose on a 1-D flat tile of BLOCK elements over
  the group's output shape with a mask for the tail; an input of another shape
  (broadcast) or a transposed input is read at an offset computed from the element's
  coordinates (`//` and `%` by the static dims) times its strides.
- matmul: MatMul (batched, broadcast batch dims, 1-D operands) and Gemm (transA/transB,
  alpha, beta, C) on BM x BN x BK tiles with fp32 accumulation and the epilogue (bias,
  activation, residual, the group's elementwise ops) applied to the accumulator tile.
  `tl.dot` runs at the program's precision (`dot`): "ieee" (the default: fp32 products,
  results match onnxruntime to rounding), "tf32", or operands rounded to "fp16"/"bf16"
  (tensor cores; fp32 accumulation). Integer matmuls multiply and sum the tiles
  (tl.dot has no int32/int64 form).
- attention: strata.Attention as one flash-attention style kernel (a block of queries
  per program, key blocks with an online softmax; the scores never reach memory).
- copy: a strided copy over a shape (Slice, Concat inputs, Split outputs, Expand).

The other families live beside this module (row.py, conv.py, pool.py,
data_movement.py, normalization.py, select.py) as functions of a Generator.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from xdsl.ir import Operation, SSAValue

from dialects.dtypes import numpy_dtype
from dialects.onnx.constants import constant_value
from dialects.weights import WeightTable
from dialects.onnx.base import int_attr_value, ints_value, node_name
from dialects.onnx.tensor import ConstantOp
from lowering.triton_kernels.bodies import activation, body, dtype_of, present_operands, prop_f
from lowering.triton_kernels.helpers import helper_sources
from lowering.triton_kernels.program import (
    UnsupportedOnCuda,
    attention_configs,
    matmul_configs,
    pointwise_configs,
)
from runtime.triton_program import (
    AliasStep,
    KernelConfig,
    Step,
    TritonKernel,
    ValueInfo,
)
from lowering.triton_kernels.text import (
    TRITON_TYPES,
    Coords,
    KernelText,
    broadcast_strides,
    compute_dtype,
    contiguous_strides,
    float_lit,
    ident,
    numel,
    shape_of,
    tl_dtype,
)

PRECISIONS = ("ieee", "tf32", "fp16", "bf16")

Leaf = Callable[[SSAValue], str]


def batch_offset(bcoords: Coords, batch, shape) -> str:
    """The element offset of the matrix at batch coordinates `bcoords` (over the
    broadcast batch dims `batch`) in a tensor of `shape` [..., rows, cols] whose batch
    dims broadcast to `batch`."""
    if not batch:
        return "0"
    strides = [s * shape[-2] * shape[-1] for s in broadcast_strides(shape[:-2], batch)]
    return bcoords.offset(strides)


def split_prologue(value: SSAValue, others: list[Operation]) -> tuple[list[Operation], list[Operation]]:
    """The ops of `others` that `value` depends on (an anchor's prologue, recomputed at
    each load of its input) and the rest (its epilogue), each in `others`' order."""
    needed: set[Operation] = set()
    todo = [value]
    while todo:
        v = todo.pop()
        if v.owner in others and v.owner not in needed:
            needed.add(v.owner)  # type: ignore[arg-type]
            todo.extend(v.owner.operands)  # type: ignore[union-attr]
    return [o for o in others if o in needed], [o for o in others if o not in needed]


class Generator:
    def __init__(self, weights: WeightTable | None, max_row_block: int, precision: str = "ieee"):
        if precision not in PRECISIONS:
            raise UnsupportedOnCuda(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.weights = weights
        self.max_row_block = max_row_block
        self.precision = precision
        self.values: dict[str, ValueInfo] = {}
        self.names: dict[SSAValue, str] = {}
        self.scalars: dict[str, float] = {}  # one-element float32 constants, inlined
        self.program_weights: dict[str, np.ndarray] = {}
        self.steps: list[Step] = []
        self.outer: dict[SSAValue, SSAValue] = {}  # a group's block argument -> the value it stands for

    # values -----------------------------------------------------------------------
    def name(self, v: SSAValue) -> str:
        if v not in self.names:
            n = f"v{len(self.names)}"
            self.names[v] = n
            self.values[n] = ValueInfo(n, shape_of(v), numpy_dtype(v.type.element_type), v.name_hint or n)
        return self.names[v]

    def add_constant(self, op: ConstantOp) -> None:
        v = op.results[0]
        array = constant_value(v, self.weights)
        if array is None:
            raise UnsupportedOnCuda(f"constant '{node_name(op)}' has no readable value")
        self.add_weight(self.name(v), array)

    def add_weight(self, name: str, array: np.ndarray) -> None:
        self.program_weights[name] = np.array(array, order="C", copy=True)  # keeps rank 0
        if array.size == 1 and array.dtype == np.float32:
            self.scalars[name] = float(array.reshape(-1)[0])

    def const(self, v: SSAValue | None) -> np.ndarray | None:
        """The compile-time value of `v` (None: not a constant, or absent)."""
        return None if v is None else constant_value(self.outer.get(v, v), self.weights)

    # kernels ----------------------------------------------------------------------
    def new_param(self, kt: KernelText, value: str, prefix: str) -> str:
        if value in kt.args:
            return kt.params[kt.args.index(value)]
        info = self.values[value]
        if info.dtype not in TRITON_TYPES:
            raise UnsupportedOnCuda(f"value '{info.hint}' has element type {info.dtype}, not supported by the Triton path")
        p = f"{prefix}{sum(1 for q in kt.params if q.startswith(prefix))}"
        kt.params.append(p)
        kt.types.append("*" + TRITON_TYPES[info.dtype])
        kt.args.append(value)
        return p

    def kernel_name(self, family: str, first: Operation) -> str:
        return f"k{len(self.kernels())}_{family}_{ident(node_name(first))}"

    def kernels(self) -> list[TritonKernel]:
        return [s for s in self.steps if isinstance(s, TritonKernel)]

    def emit_elementwise(self, kt: KernelText, ops: list[Operation], env: dict[SSAValue, str], coords: Coords,
                         mask: str | None, indent: str, leaf: Leaf) -> None:
        """Lines computing `ops` in order; operands not in `env` are loaded through
        `leaf(value)` -> program value name."""
        for op in ops:
            args: list[str | None] = []
            for v in present_operands(op):
                if v is None:
                    args.append(None)
                    continue
                if v not in env:
                    env[v] = self.load_leaf(kt, v, coords, mask, indent, leaf)
                args.append(env[v])
            var = f"t{sum(1 for _ in env)}"
            kt.lines.append(f"{indent}{var} = {body(op, args, kt)}  # {node_name(op)} ({op.name.removeprefix('onnx.')})")
            env[op.results[0]] = var

    def load(self, kt: KernelText, value: str, off: str, mask: str | None, indent: str, other: str | None = None) -> str:
        """A variable holding `value` loaded at `off` (float16 widened to float32)."""
        p = self.new_param(kt, value, "in")
        var = f"x{len([ln for ln in kt.lines if ' = tl.load(' in ln])}"
        m = f", mask={mask}" if mask and off != "0" else ""
        o = f", other={other}" if other is not None and m else ""
        widen = ".to(tl.float32)" if self.values[value].dtype == np.float16 else ""
        kt.lines.append(f"{indent}{var} = tl.load({p}{'' if off == '0' else ' + ' + off}{m}{o}){widen}")
        return var

    def load_leaf(self, kt: KernelText, v: SSAValue | str, coords: Coords, mask: str | None, indent: str,
                  leaf: Leaf | None = None, strides: list[int] | None = None) -> str:
        """`v` (a graph value through `leaf`, or a program value name) at `coords`,
        broadcast numpy-style unless `strides` are given."""
        value = v if isinstance(v, str) else (leaf(v) if leaf is not None else self.name(v))
        if value in self.scalars:
            return float_lit(self.scalars[value])
        if strides is None:
            strides = broadcast_strides(self.values[value].shape, coords.shape)
        return self.load(kt, value, coords.offset(strides), mask, indent)

    def finish(self, kt: KernelText, name: str, family: str, nodes: list[str], header: list[str],
               configs: list[KernelConfig]) -> TritonKernel:
        """Appends the kernel; `configs[0]` (the heuristic choice) is how it launches
        unless the autotuner picks another of `configs`."""
        first = configs[0]
        constexprs, grid, num_warps = dict(first.constexprs), first.grid, first.num_warps
        cparams = [f"{k}: tl.constexpr" for k in constexprs]
        comment = [f"    # fused ONNX nodes: {', '.join(nodes)}"] + [f"    # {h}" for h in header]
        comment.append(f"    # launch (heuristic): {first.describe()}, grid {list(grid)}"
                       + (f"; {len(configs)} configurations to autotune among" if len(configs) > 1 else ""))
        src = "\n".join(["@triton.jit", f"def {name}({', '.join(kt.params + cparams)}):"] + comment + kt.lines)
        kernel = TritonKernel(name, family, src, list(kt.params), list(kt.types), list(kt.args), constexprs, grid,
                              num_warps, nodes, first.num_stages, list(configs), helper_sources(kt.helpers))
        self.steps.append(kernel)
        return kernel

    def dot(self, a: str, b: str, dtype: np.dtype) -> str:
        """`tl.dot(a, b)` at the program's precision for operands of `dtype`."""
        dtype = np.dtype(dtype)
        if dtype != np.float32:
            return f"tl.dot({a}, {b})"
        if self.precision in ("ieee", "tf32"):
            return f'tl.dot({a}, {b}, input_precision="{self.precision}")'
        t = "tl.float16" if self.precision == "fp16" else "tl.bfloat16"
        return f"tl.dot({a}.to({t}), {b}.to({t}))"

    def alias(self, op: Operation) -> None:
        self.steps.append(AliasStep(self.name(op.operands[0]), self.name(op.results[0]), [node_name(op)]))

    # families ---------------------------------------------------------------------
    def pointwise(self, ops: list[Operation], outputs: list[SSAValue], leaf: Leaf, first: Operation) -> None:
        shape = shape_of(outputs[0])
        n = numel(shape)
        kt = KernelText()
        kt.lines += [
            "    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)",
            f"    mask = offs < {n}",
        ]
        coords = Coords(kt.lines, "    ", shape, flat="offs")
        env: dict[SSAValue, str] = {}
        if len(ops) == 1 and ops[0].name == "onnx.Transpose":
            op = ops[0]
            src = leaf(op.operands[0])
            p = self.new_param(kt, src, "in")
            in_shape = self.values[src].shape
            perm = ints_value(op.properties.get("perm")) or list(reversed(range(len(in_shape))))
            in_strides = contiguous_strides(in_shape)
            off = coords.offset([in_strides[perm[d]] for d in range(len(shape))])
            kt.lines.append(f"    t0 = tl.load({p} + {off}, mask=mask)  # {node_name(op)} (Transpose)")
            env[op.results[0]] = "t0"
        else:
            self.emit_elementwise(kt, ops, env, coords, "mask", "    ", leaf)
        for r in outputs:
            p = self.new_param(kt, self.name(r), "out")
            kt.lines.append(f"    tl.store({p} + offs, {env[r]}, mask=mask)")
        nodes = [node_name(op) for op in ops]
        self.finish(kt, self.kernel_name("pointwise", first), "pointwise", nodes,
                    [f"pointwise over {list(shape)} ({n} elements), 1-D tiles of BLOCK"],
                    pointwise_configs(n))

    def fill(self, op: Operation, out: str, value: str, what: str) -> None:
        """out[...] = value (a literal or an expression of `offs`)."""
        shape = self.values[out].shape
        n = numel(shape)
        kt = KernelText()
        kt.lines += ["    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)", f"    mask = offs < {n}"]
        p = self.new_param(kt, out, "out")
        kt.lines.append(f"    tl.store({p} + offs, tl.full([BLOCK], {value}, {tl_dtype(self.values[out].dtype)}), mask=mask)")
        self.finish(kt, self.kernel_name("pointwise", op), "pointwise", [node_name(op)], [f"{what} over {list(shape)}"],
                    pointwise_configs(n))

    def copy(self, op: Operation, src: str, dst: str, shape, src_strides, src_base: int, dst_strides, dst_base: int,
             what: str) -> None:
        """A pointwise copy over `shape`: element at coordinates c goes from
        src[src_base + c . src_strides] to dst[dst_base + c . dst_strides]."""
        n = numel(shape)
        kt = KernelText()
        ps = self.new_param(kt, src, "in")
        kt.lines += ["    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)", f"    mask = offs < {n}"]
        coords = Coords(kt.lines, "    ", shape, flat="offs")
        so, do = coords.offset(list(src_strides)), coords.offset(list(dst_strides))
        so = so if src_base == 0 else f"{src_base} + {so}"
        do = do if dst_base == 0 else f"{dst_base} + {do}"
        kt.lines.append(f"    t = tl.load({ps} + {so}, mask=mask)")
        pd = self.new_param(kt, dst, "out")
        kt.lines.append(f"    tl.store({pd} + {do}, t, mask=mask)")
        self.finish(kt, self.kernel_name("pointwise", op), "pointwise", [node_name(op)], [f"{what} over {list(shape)}"],
                    pointwise_configs(n))

    def matmul(self, mm: Operation, epilogue: list[Operation], outputs: list[SSAValue], leaf: Leaf, first: Operation,
               acc_value: SSAValue | None = None) -> None:
        """`acc_value`: the value that stands for the product in the epilogue (the group's
        block argument when the matmul was fused into the group that uses it)."""
        gemm = mm.name in ("onnx.Gemm", "strata.FusedGemm")
        a_v, b_v = mm.operands[0], mm.operands[1]
        sa, sb, so = shape_of(a_v), shape_of(b_v), shape_of(mm.results[0])
        a_vec, b_vec = len(sa) == 1, len(sb) == 1
        # 1-D operands are a [1, K] row / a [K, 1] column; the dropped unit dim leaves
        # the output's row-major offsets unchanged.
        sa2 = (1, *sa) if a_vec else sa
        sb2 = (*sb, 1) if b_vec else sb
        ta = gemm and bool(int_attr_value(mm.properties.get("transA")))
        tb = gemm and bool(int_attr_value(mm.properties.get("transB")))
        M = sa2[-1] if ta else sa2[-2]
        N = sb2[-2] if tb else sb2[-1]
        K = sa2[-2] if ta else sa2[-1]
        batch = tuple(np.broadcast_shapes(sa2[:-2], sb2[:-2])) if not gemm else ()
        nb = numel(batch)
        dt = compute_dtype(dtype_of(a_v))
        kt = KernelText()
        pa = self.new_param(kt, leaf(a_v), "in")
        pb = self.new_param(kt, leaf(b_v), "in")
        L = kt.lines
        L += ["    pid_m = tl.program_id(0)", "    pid_n = tl.program_id(1)", "    pid_b = tl.program_id(2)",
              "    rm = pid_m * BM + tl.arange(0, BM)", "    rn = pid_n * BN + tl.arange(0, BN)"]
        bcoords = Coords(L, "    ", batch, flat="pid_b", prefix="b")

        oa, ob = batch_offset(bcoords, batch, sa2), batch_offset(bcoords, batch, sb2)
        sam, sak = (1, M) if ta else (K, 1)
        sbk, sbn = (1, K) if tb else (N, 1)
        L.append(f"    acc = tl.zeros((BM, BN), dtype={'tl.float32' if dt.kind == 'f' and dt != np.float64 else tl_dtype(dt)})")
        L.append(f"    for k0 in range(0, {K}, BK):")
        L.append("        rk = k0 + tl.arange(0, BK)")
        a_off = f"rm[:, None] * {sam} + rk[None, :] * {sak}"
        b_off = f"rk[:, None] * {sbk} + rn[None, :] * {sbn}"
        oa_s = "" if oa == "0" else f" + {oa}"
        ob_s = "" if ob == "0" else f" + {ob}"
        L.append(f"        a = tl.load({pa}{oa_s} + {a_off}, mask=(rm[:, None] < {M}) & (rk[None, :] < {K}), other=0)")
        L.append(f"        b = tl.load({pb}{ob_s} + {b_off}, mask=(rk[:, None] < {K}) & (rn[None, :] < {N}), other=0)")
        if dt.kind == "f":
            L.append(f"        acc += {self.dot('a', 'b', dtype_of(a_v))}")
        else:  # integers: tl.dot has no int32/int64 form
            L.append("        acc += tl.sum(a[:, :, None] * b[None, :, :], axis=1)")
        L.append(f"    omask = (rm[:, None] < {M}) & (rn[None, :] < {N})")
        given: dict[int, object] = {}
        nd = len(so)
        if a_vec and b_vec:
            pass
        elif a_vec:
            given[nd - 1] = "rn[None, :]"
        elif b_vec:
            given[nd - 1] = "rm[:, None]"
        else:
            given[nd - 2], given[nd - 1] = "rm[:, None]", "rn[None, :]"
        nbatch = nd - (0 if a_vec and b_vec else 1 if (a_vec or b_vec) else 2)
        for d in range(nbatch):
            given[d] = (lambda d=d: bcoords.coord(d + len(batch) - nbatch)) if so[d] > 1 else "0"
        coords = Coords(L, "    ", so, given=given, prefix="o")
        if gemm:
            alpha, beta = prop_f(mm, "alpha", 1.0), prop_f(mm, "beta", 1.0)
            if alpha != 1.0:
                L.append(f"    acc = acc * {alpha!r}")
            c_v = mm.operands[2] if len(mm.operands) > 2 else None
            if c_v is not None and beta != 0.0:
                c = self.load_leaf(kt, c_v, coords, "omask", "    ", leaf)
                L.append(f"    acc = acc + {c}" if beta == 1.0 else f"    acc = acc + {beta!r} * {c}")
        if mm.name == "strata.FusedMatMul":
            alpha = prop_f(mm, "alpha", 1.0)
            if alpha != 1.0:
                L.append(f"    acc = acc * {alpha!r}")
            if len(mm.operands) > 2:
                c = self.load_leaf(kt, mm.operands[2], coords, "omask", "    ", leaf)
                L.append(f"    acc = acc + {c}")
        act = activation(mm, "acc", kt) if mm.name.startswith("strata.") else None
        if act is not None:
            L.append(f"    acc = {act}")
        env: dict[SSAValue, str] = {mm.results[0]: "acc"}
        if acc_value is not None:
            env[acc_value] = "acc"
        self.emit_elementwise(kt, epilogue, env, coords, "omask", "    ", leaf)
        L.append(f"    o = pid_b * {M * N} + rm[:, None] * {N} + rn[None, :]")
        for r in outputs:
            p = self.new_param(kt, self.name(r), "out")
            L.append(f"    tl.store({p} + o, {env[r]}, mask=omask)")
        nodes = [node_name(op) for op in [mm] + epilogue]
        epi = f", epilogue: {', '.join(op.name.removeprefix('onnx.') for op in epilogue)}" if epilogue else ""
        configs = matmul_configs(M, N, nb)
        if dt.kind != "f":  # the multiply-and-sum form holds BM x BK x BN products: small tiles
            configs = [c for c in configs if dict(c.constexprs)["BM"] * dict(c.constexprs)["BN"] <= 1024] or configs[:1]
        self.finish(kt, self.kernel_name("matmul", first), "matmul", nodes,
                    [f"{'Gemm' if gemm else 'MatMul'} {list(batch)} x [{M}x{K}] @ [{K}x{N}]{epi}"], configs)

    def attention(self, op: Operation) -> None:
        """strata.Attention: softmax(q @ k_t * scale + mask) @ v as one flash-attention
        style kernel: a BM block of queries per program, keys in BN blocks with an
        online softmax (running max and sum), the scores never stored."""
        q_v, k_v, v_v = op.operands[0], op.operands[1], op.operands[2]
        mask_v = op.mask  # type: ignore[attr-defined]
        sq, sk, sv, so = shape_of(q_v), shape_of(k_v), shape_of(v_v), shape_of(op.results[0])
        Sq, D, Sk, Dv = sq[-2], sq[-1], sk[-1], sv[-1]
        batch = so[:-2]
        nb = numel(batch)
        dt = dtype_of(q_v)
        kt = KernelText()
        pq, pk, pv = (self.new_param(kt, self.name(v), "in") for v in (q_v, k_v, v_v))
        L = kt.lines
        L += ["    pid_m = tl.program_id(0)", "    pid_b = tl.program_id(1)",
              "    rm = pid_m * BM + tl.arange(0, BM)", "    rd = tl.arange(0, BD)", "    rdv = tl.arange(0, BDV)"]
        bcoords = Coords(L, "    ", batch, flat="pid_b", prefix="b")

        oq, ok, ov = batch_offset(bcoords, batch, sq), batch_offset(bcoords, batch, sk), batch_offset(bcoords, batch, sv)
        scale = prop_f(op, "scale", 1.0)
        L.append(f"    q = tl.load({pq} + {oq} + rm[:, None] * {D} + rd[None, :], mask=(rm[:, None] < {Sq}) & (rd[None, :] < {D}), other=0.0)")
        at = "tl.float64" if dt == np.float64 else "tl.float32"  # the running statistics' type
        L += [f'    m_i = tl.full([BM], float("-inf"), {at})', f"    l_i = tl.zeros([BM], {at})",
              f"    acc = tl.zeros((BM, BDV), dtype={at})", f"    for n0 in range(0, {Sk}, BN):",
              "        rn = n0 + tl.arange(0, BN)",
              f"        k = tl.load({pk} + {ok} + rd[:, None] * {Sk} + rn[None, :], mask=(rd[:, None] < {D}) & (rn[None, :] < {Sk}), other=0.0)",
              f"        s = {self.dot('q', 'k', dt)} * {scale!r}"]
        if mask_v is not None:
            sm = shape_of(mask_v)
            scores = (*batch, Sq, Sk)
            given: dict[int, object] = {len(scores) - 2: "rm[:, None]", len(scores) - 1: "rn[None, :]"}
            for d in range(len(batch)):
                given[d] = (lambda d=d: bcoords.coord(d)) if batch[d] > 1 else "0"
            coords = Coords(L, "        ", scores, given=given, prefix="s")
            off = coords.offset(broadcast_strides(sm, scores))
            pm = self.new_param(kt, self.name(mask_v), "in")
            if off == "0":  # one mask value for every score
                L.append(f"        s = s + tl.load({pm})")
            else:
                L.append(f"        s = s + tl.load({pm} + {off}, mask=(rm[:, None] < {Sq}) & (rn[None, :] < {Sk}), other=0.0)")
        L += [f'        s = tl.where(rn[None, :] < {Sk}, s, float("-inf"))',
              "        m_new = tl.maximum(m_i, tl.max(s, axis=1))",
              "        p = tl.exp(s - m_new[:, None])",
              "        alpha = tl.exp(m_i - m_new)",
              "        l_i = l_i * alpha + tl.sum(p, axis=1)",
              f"        v = tl.load({pv} + {ov} + rn[:, None] * {Dv} + rdv[None, :], mask=(rn[:, None] < {Sk}) & (rdv[None, :] < {Dv}), other=0.0)",
              f"        acc = acc * alpha[:, None] + {self.dot('p' if dt == np.float32 else f'p.to({tl_dtype(dt)})', 'v', dt)}",
              "        m_i = m_new",
              "    acc = acc / l_i[:, None]"]
        po = self.new_param(kt, self.name(op.results[0]), "out")
        L.append(f"    tl.store({po} + pid_b * {Sq * Dv} + rm[:, None] * {Dv} + rdv[None, :], acc, "
                 f"mask=(rm[:, None] < {Sq}) & (rdv[None, :] < {Dv}))")
        self.finish(kt, self.kernel_name("attention", op), "attention", [node_name(op)],
                    [f"attention {list(batch)} x [{Sq}x{D}] keys {Sk} -> [{Sq}x{Dv}], online softmax over BN key blocks"],
                    attention_configs(Sq, Sk, D, Dv, nb))
