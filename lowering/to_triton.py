"""Fused kernel groups -> Triton kernels (the GPU back end's generator).

Input: the graph-level module after the graph passes and `fuse-kernels`: one
`func.func @main` holding `strata.FusedKernel` groups, single `onnx` ops (each treated as
a group of one) and `onnx.Constant`s. Output: a `TritonProgram`, the run order of steps
over named values: one `@triton.jit` kernel (readable Python source text, the fused ONNX
node names in a comment) per group or op, plus launch metadata (argument order, grid,
block sizes, warps), and `AliasStep`s for the ops that only view their input with
another shape (Reshape, Flatten, Squeeze, Unsqueeze, inference Dropout). The generator
imports neither triton nor torch: it writes text. Every op is a generated kernel; torch
is only the launcher's allocator.

`CUDA_KERNELS` (below) is the one table of what the GPU path compiles: graph op name ->
the function that writes its kernel(s). Kernel families (lowering/triton_kernels/):

- pointwise: elementwise groups (every op with a CPU scalar body, bodies.py),
  Transpose, and the index-map kernels of data movement (Concat, Split, Slice, Expand,
  Tile, Pad, Gather*, Scatter*, DepthToSpace, SpaceToDepth, Resize, OneHot, Trilu,
  EyeLike, Range, ConstantOfShape), BatchNormalization and LRN;
- row: Softmax/LogSoftmax/Hardmax, the normalizations with statistics (Layer, RMS,
  Instance, Group, MeanVariance, Lp), every ReduceX, global pooling, ArgMax/ArgMin and
  CumSum, with their group's prologue/epilogue; whole rows in registers up to 4096
  elements, looped beyond;
- matmul: MatMul / Gemm / FusedMatMul / FusedGemm through `tl.dot` with the bias,
  activation, residual and group epilogue fused;
- conv: Conv / FusedConv as implicit GEMM over NCHW (depthwise as direct window sums),
  ConvTranspose as implicit GEMM in gather form, with the fused epilogue;
- pool: MaxPool (and Indices) / AveragePool with their group's prologue and epilogue;
- attention: strata.Attention as one flash-attention style kernel;
- select: TopK; scatter: the update pass of ScatterElements/ScatterND.

Precision (`precision=`, compile's option): every `tl.dot` (matmul, conv, attention)
runs with fp32 operands and `input_precision="ieee"` by default (results match
onnxruntime's fp32 to rounding), or "tf32" (TF32 tensor cores: 10-bit mantissa
products), or with its operand tiles rounded to "fp16" or "bf16" (tensor cores); the
accumulator is fp32 in every mode and everything outside tl.dot stays fp32. Measured
errors per mode are in the README.

Exact vs approximate: fp32 arithmetic (accumulation order differs from onnxruntime's:
results agree to about 1e-6 on the test models); the attention kernel's online softmax
rescales partial sums; `tl.erf`, `tl.exp` and the exp-based tanh are within a few ulps,
the helpers of helpers.py within a few ulps more. Offsets are int32 (tensors below 2**31
elements).
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue

from dialects.errors import StrataError
from dialects.weights import WeightTable
from dialects.onnx.base import node_name
from dialects.onnx.tensor import ConstantOp
from dialects.onnx import ELEMENTWISE_OP_NAMES, SHAPE_VIEW_OP_NAMES
from dialects.onnx.traits import is_elementwise
from dialects.op_kinds import MATRIX_PRODUCT_OP_NAMES, NCHW_CONV_OP_NAMES, NCHW_WINDOW_POOL_OP_NAMES
from dialects.strata.kernel_group import FusedKernelOp
from lowering.triton_kernels import conv as conv_k
from lowering.triton_kernels import data_movement as dm
from lowering.triton_kernels import normalization as norm_k
from lowering.triton_kernels.generator import PRECISIONS, Generator
from lowering.triton_kernels.pool import pool
from lowering.triton_kernels.program import (  # the public names of the GPU program (__all__)
    ATTENTION_TUNE,
    MATMUL_CONFIGS,
    MATMUL_TUNE,
    MAX_ROW_BLOCK,
    POINTWISE_CONFIGS,
    POINTWISE_TUNE,
    ROW_LOOP_TUNE,
    ROW_WARPS,
    UnsupportedOnCuda,
    attention_configs,
    matmul_configs,
    pointwise_configs,
    row_configs,
)
from lowering.plan_memory import Buffer, plan_buffers, round_up
from runtime.triton_program import (
    DEFAULT_NUM_STAGES,
    AliasStep,
    ArenaPlan,
    KernelConfig,
    TritonKernel,
    TritonProgram,
    ValueInfo,
    value_nbytes,
)
from lowering.triton_kernels.row import ROW_OPS, row
from lowering.triton_kernels.select import topk
from lowering.triton_kernels.text import shape_of

# Kernel families by op trait (dialects/op_kinds.py): MatMul/Gemm and their fused forms;
# Conv and strata.FusedConv; MaxPool and AveragePool.
MATMUL_OPS = MATRIX_PRODUCT_OP_NAMES
CONV_OPS = NCHW_CONV_OP_NAMES
POOL_OPS = NCHW_WINDOW_POOL_OP_NAMES
ALIAS_OPS = SHAPE_VIEW_OP_NAMES

OpKernel = Callable[[Generator, Operation], None]



def _single(kind: str) -> OpKernel:
    """A standalone op of a family that also takes groups (a group of one)."""

    def write(gen: Generator, op: Operation) -> None:
        out = [op.results[0]]
        if kind == "pointwise":
            gen.pointwise([op], out, gen.name, op)
        elif kind == "row":
            row(gen, op, [], out, gen.name, op)
        elif kind == "conv":
            conv_k.conv(gen, op, [], out, gen.name, op)
        elif kind == "pool":
            pool(gen, op, [], out, gen.name, op)
        else:
            gen.matmul(op, [], out, gen.name, op)

    return write


def _alias(gen: Generator, op: Operation) -> None:
    gen.alias(op)


# graph op -> its kernel(s): the one table of what target="cuda" compiles
CUDA_KERNELS: dict[str, OpKernel] = {
    **{name: _single("pointwise") for name in ELEMENTWISE_OP_NAMES | {"onnx.Transpose"}},
    **{name: _single("row") for name in ROW_OPS},
    **{name: _single("matmul") for name in MATMUL_OPS},
    **{name: _single("conv") for name in CONV_OPS},
    **{name: _single("pool") for name in POOL_OPS},
    **{name: _alias for name in ALIAS_OPS},
    "onnx.Dropout": dm.dropout,
    "onnx.ConvTranspose": conv_k.conv_transpose,
    "onnx.BatchNormalization": norm_k.batch_norm,
    "onnx.LRN": norm_k.lrn,
    "onnx.TopK": topk,
    "onnx.Concat": dm.concat,
    "onnx.Split": dm.split,
    "onnx.Slice": dm.slice_,
    "onnx.Expand": dm.expand,
    "onnx.Tile": dm.tile,
    "onnx.Pad": dm.pad,
    "onnx.DepthToSpace": lambda gen, op: dm.space_depth(gen, op, to_space=True),
    "onnx.SpaceToDepth": lambda gen, op: dm.space_depth(gen, op, to_space=False),
    "onnx.Gather": dm.gather,
    "onnx.GatherElements": dm.gather_elements,
    "onnx.GatherND": dm.gather_nd,
    "onnx.ScatterElements": dm.scatter_elements,
    "onnx.ScatterND": dm.scatter_nd,
    "onnx.OneHot": dm.one_hot,
    "onnx.Trilu": dm.trilu,
    "onnx.EyeLike": dm.eye_like,
    "onnx.Range": dm.range_,
    "onnx.ConstantOfShape": dm.constant_of_shape,
    "onnx.Shape": dm.shape,
    "onnx.Size": dm.size,
    "onnx.Resize": dm.resize,
    "strata.Attention": lambda gen, op: gen.attention(op),
}


def _main(module: ModuleOp) -> func.FuncOp:
    mains = [op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == "main"]
    if len(mains) != 1 or "strata.entry" in mains[0].attributes:
        raise StrataError("to_triton: expects the graph-level module (one func.func @main of onnx ops)")
    return mains[0]


def _epilogue_user(mm: Operation, returned: set[SSAValue]) -> Operation | None:
    """The elementwise group (or single elementwise op) a MatMul/Gemm's result goes to,
    when it is its only user, iterates over the same shape and is purely elementwise."""
    r = mm.results[0]
    users = {u.operation for u in r.uses}
    if r in returned or len(users) != 1:
        return None
    user = next(iter(users))
    if isinstance(user, FusedKernelOp):
        if "strata.elementwise" not in user.attributes:
            return None
        shapes = {shape_of(v) for v in user.results}
    elif is_elementwise(user):
        shapes = {shape_of(user.results[0])}
    else:
        return None
    return user if shapes == {shape_of(r)} else None


def _group(gen: Generator, op: FusedKernelOp, deferred: dict[Operation, Operation]) -> None:
    arg_map = dict(zip(op.body.block.args, op.operands))
    gen.outer.update(arg_map)

    def leaf(v: SSAValue) -> str:
        return gen.name(arg_map.get(v, v))

    inner = op.inner_ops()
    yielded = list(op.yield_op().operands)
    for inner_v, outer_v in zip(yielded, op.results):
        gen.names[inner_v] = gen.name(outer_v)
    mm = deferred.pop(op, None)
    if mm is not None:
        # The product enters the group as a block argument: the epilogue reads it as
        # the accumulator tile.
        arg = next(a for a, o in arg_map.items() if o is mm.results[0])
        gen.matmul(mm, inner, yielded, leaf, mm, acc_value=arg)
        return
    anchors = [o for o in inner if not is_elementwise(o)]
    others = [o for o in inner if o not in anchors]
    if not anchors:
        gen.pointwise(inner, yielded, leaf, inner[0])
        return
    name = anchors[0].name if len(anchors) == 1 else ""
    if name in ROW_OPS:
        row(gen, anchors[0], others, yielded, leaf, inner[0])
    elif name in MATMUL_OPS:
        gen.matmul(anchors[0], others, yielded, leaf, inner[0])
    elif name in CONV_OPS:
        conv_k.conv(gen, anchors[0], others, yielded, leaf, inner[0])
    elif name in POOL_OPS:
        pool(gen, anchors[0], others, yielded, leaf, inner[0])
    else:
        raise UnsupportedOnCuda(f"kernel group '{node_name(op)}' ({', '.join(op.op_types())}) has no Triton kernel")


def _generate_op(gen: Generator, op: Operation, returned: set[SSAValue], deferred: dict[Operation, Operation],
                 fuse_matmul_epilogues: bool) -> None:
    """The step(s) of one graph op (a group, a single op or a constant)."""
    if isinstance(op, ConstantOp):
        gen.add_constant(op)
        return
    if isinstance(op, FusedKernelOp):
        _group(gen, op, deferred)
        return
    name = op.name
    if name in MATMUL_OPS:
        user = _epilogue_user(op, returned) if fuse_matmul_epilogues else None
        if user is not None:
            deferred[user] = op
        else:
            gen.matmul(op, [], [op.results[0]], gen.name, op)
    elif op in deferred:
        mm = deferred.pop(op)
        gen.matmul(mm, [op], [op.results[0]], gen.name, mm)
    elif name in CUDA_KERNELS:
        CUDA_KERNELS[name](gen, op)
    else:
        raise UnsupportedOnCuda(f"{name.removeprefix('onnx.')} '{node_name(op)}' has no Triton kernel yet")


def generate(module: ModuleOp, weights: WeightTable | None, max_row_block: int = MAX_ROW_BLOCK,
             fuse_matmul_epilogues: bool = True, precision: str = "ieee") -> TritonProgram:
    """The Triton program of a graph-level module (after fuse-kernels), in graph order.
    `precision`: how tl.dot multiplies (one of PRECISIONS; see the module docstring)."""
    fn = _main(module)
    gen = Generator(weights, max_row_block, precision)
    inputs = [gen.name(a) for a in fn.body.block.args]
    ret = fn.body.block.last_op
    assert isinstance(ret, func.ReturnOp)
    returned = set(ret.operands)
    deferred: dict[Operation, Operation] = {}  # epilogue user -> its matmul

    unsupported: list[str] = []
    for op in fn.body.block.ops:
        if isinstance(op, func.ReturnOp):
            break
        try:
            _generate_op(gen, op, returned, deferred, fuse_matmul_epilogues)
        except UnsupportedOnCuda as e:
            unsupported.append(str(e))
    if unsupported:
        # every problem at once, like UnsupportedOpsError on the CPU path
        raise UnsupportedOnCuda("the cuda target cannot compile: " + "; ".join(unsupported))

    outputs = [gen.name(v) for v in ret.operands]
    program = TritonProgram(gen.values, gen.steps, inputs, outputs, gen.program_weights, precision)
    program.arena = plan_arena(program)
    return program


def plan_arena(prog: TritonProgram) -> ArenaPlan:
    """Offsets of the program's intermediates in one device arena, with plan-memory's
    planner over the step order: a value (or the root of its views) is live from the
    step that first touches it to its last use, outputs to the end."""
    external = set(prog.inputs) | set(prog.weights)
    root: dict[str, str] = {}
    for s in prog.steps:
        if isinstance(s, AliasStep):
            root[s.target] = root.get(s.source, s.source)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for i, s in enumerate(prog.steps):
        uses = list(s.args) if isinstance(s, TritonKernel) else [s.source, s.target]
        for v in uses:
            r = root.get(v, v)
            if r in external:
                continue
            first.setdefault(r, i)
            last[r] = i
    end = len(prog.steps)
    for v in prog.outputs:
        r = root.get(v, v)
        if r not in first and r not in external:
            first[r] = 0  # written by no step (an empty tensor)
        if r in first:
            last[r] = end  # read back after the last step
    names = list(first)
    sizes = [round_up(max(1, value_nbytes(prog.values[n]))) for n in names]
    buffers = [Buffer(sz, first[n], last[n], (n,)) for n, sz in zip(names, sizes)]
    if not buffers:
        return ArenaPlan({}, 0, 0)
    plan = plan_buffers(buffers)
    return ArenaPlan(dict(zip(names, plan.offsets)), plan.arena_bytes, sum(sizes))


__all__ = ["ATTENTION_TUNE", "CUDA_KERNELS", "DEFAULT_NUM_STAGES", "MATMUL_CONFIGS", "MATMUL_TUNE", "MAX_ROW_BLOCK",
           "POINTWISE_CONFIGS", "POINTWISE_TUNE", "PRECISIONS", "ROW_LOOP_TUNE", "ROW_WARPS", "AliasStep",
           "KernelConfig", "TritonKernel", "TritonProgram", "UnsupportedOnCuda", "ValueInfo", "attention_configs",
           "generate", "matmul_configs", "pointwise_configs", "row_configs"]
