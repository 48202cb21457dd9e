"""`onnx-layout-nchwc`: moves convolution-heavy regions to the blocked NCHWc layout
(ops in `dialects/strata/layout.py`). The block is one vector of f32 on the target:
the pass option `block` (8 or 16; `onnx-layout-nchwc{block=16}`), by default the
host's (CpuTarget.nchwc_block: 16 with AVX-512, else 8); compile(cpu=...) passes the
named CPU's. Below, 8 stands for the block.

Patterns, applied greedily to a fixed point:

    BlockConv          onnx.Conv / strata.FusedConv (2-D, f32, any group, constant W and B,
                       >= 8 output channels) -> ReorderFromBlocked(ConvNCHWc(x', W', B')).
                       W is reordered once, here, to a blocked constant [Mb, ICB, KH, KW,
                       ICL, 8] (zero rows for padded channels), B padded to Mb*8. x' is
                       ReorderToBlocked(x), or x itself (ICL = 1) when x has fewer than 8
                       channels (the first conv of a CNN: blocking 3 channels to 8 would
                       multiply its work by 8/3). A FusedConv residual z is reordered too.
                       A depthwise conv (group = C = M, multiplier 1) becomes
                       DepthwiseConvNCHWc with W [Cb, KH, KW, 8] (x always blocked;
                       padded channels have zero weights and bias). Other grouped convs:
                       see below.
    CancelReorders     ReorderToBlocked(ReorderFromBlocked(b)) -> b, and the reverse.
    BlockPool          MaxPool (no Indices) / AveragePool / GlobalAveragePool of a
                       ReorderFromBlocked value -> the blocked pool, then ReorderFromBlocked;
                       a ReduceMean over axes {2, 3} with keepdims=1 (torch's x.mean((2, 3),
                       keepdim=True) in squeeze-excite blocks) -> GlobalAveragePoolNCHWc.
    BlockBatchNorm     inference BatchNormalization of a blocked value -> Mul and Add by
                       blocked per-channel constants (approximate: a few ulps).
    BlockChannelShuffle Reshape -> Transpose [0, 2, 1, 3, 4] -> Reshape (ShuffleNet's
                       channel shuffle, C a multiple of 8) of a ReorderFromBlocked value ->
                       ChannelShuffleNCHWc on the blocked tensor (exact).
    BlockConcat        Concat along channels (4-D, every input's channels a multiple of 8,
                       one input from a blocked region) -> Concat of the blocked tensors
                       along the block axis.
    BlockElementwise   Relu, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Swish of a
                       ReorderFromBlocked value: folded into the (Depthwise)ConvNCHWc's activation
                       when that conv has no activation and no other use, else the same op
                       on the blocked tensor. Add / Mul with one ReorderFromBlocked operand
                       and as the other a value of the same blocked type (through its own
                       ReorderFromBlocked, or reordered), a per-channel [N, C, 1, 1] value
                       (blocked to [N, Cb, 1, 1, 8]; it broadcasts lane for lane: the
                       squeeze-excite scale x * gate), or a per-channel constant
                       (reordered to [Cb, 1, 1, 8], zero in padded lanes). An Add of a
                       lone-use ConvNCHWc without epilogue becomes its residual z.

A squeeze-excite block (mean, 1x1 reduce conv + activation, 1x1 expand conv + Sigmoid /
HardSigmoid, channel scale) thus stays blocked: its reducing conv may have fewer than 8
output channels (EfficientNet-B0's first ones have 4), which are padded to one block when
its input is already blocked and it makes one pixel per channel (zero weights and bias
in the padded lanes; the expanding conv's weights for them are zero too).

So the region grows from every blocked conv through the ops that have a blocked form;
a ReorderFromBlocked stays only before other consumers (and graph outputs), and
From -> To pairs between two regions cancel.

Exactness: reorders, pooling and elementwise ops are exact. ConvNCHWc uses FMA and sums
over (input block, kh, kw, lane) in a different order than the NCHW kernel: results
differ by a few ulps of the accumulated sums (tests use 1e-4).

Grouped convs (not depthwise) become a ConvNCHWc with block-diagonal dense W and
group_channels = [Cg, Mg]: the kernel sums only the input blocks overlapping each
output block pair's groups (exact but for inf/NaN inputs of another group in a shared
block: 0 * inf).

Does not fire (logged with `missed`) on: grouped convs where that would do more than
MAX_GROUPED_WORK times the grouped multiply-adds (few channels per group, e.g. a
depthwise conv with multiplier 2), convs with fewer than 8 output channels (but for the
one-pixel convs on a blocked input above), non-f32,
non 2-D, a non-constant W or B (or no weight table), FusedConv activations without a
blocked kernel, MaxPool with an Indices output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import Float32Type, ModuleOp, NameLoc, NoneAttr, StringAttr, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from dialects.errors import StrataError
from dialects.weights import weights_of
from compiler.passes.constants import PatternWithWeights, can_create_constants, known_constant, new_constant
from compiler.pattern_log import LoggedPattern, apply_patterns
from dialects.weights import WeightTable
from dialects.onnx.base import float_attr_value, int_attr_value, keep_attribute_order, node_name, onnx_attributes
from dialects.onnx.elementwise import (
    AddOp,
    MulOp,
)
from dialects.onnx.nn import AveragePoolOp, BatchNormalizationOp, ConvOp, GlobalAveragePoolOp, MaxPoolOp
from dialects.onnx.reduction import ReduceMeanOp
from dialects.onnx.tensor import ConcatOp, ReshapeOp, TransposeOp
from dialects.strata.activation import (
    ACTIVATIONS,
    Activation,
    activation_for,
    activation_of,
    attribute_param,
    is_blocked,
)
from dialects.strata.fused import FusedConvOp
from dialects.strata.layout import (
    BLOCKS,
    AveragePoolNCHWcOp,
    ChannelShuffleNCHWcOp,
    ConvNCHWcOp,
    DepthwiseConvNCHWcOp,
    GlobalAveragePoolNCHWcOp,
    MaxPoolNCHWcOp,
    ReorderFromBlockedOp,
    ReorderToBlockedOp,
    block_of,
    blocked_type,
    blocks,
)
from lowering.kernels.conv_nchwc import group_input_blocks
from lowering.target import host_target
from runtime.compiled_model import aligned_copy

# Convs with fewer output channels stay NCHW (padding them to a block of 16 would at
# most double their work).
MIN_OUT_CHANNELS = 8


def _is_f32(value: SSAValue) -> bool:
    return isinstance(value.type, TensorType) and isinstance(value.type.element_type, Float32Type)


def _from_blocked(value: SSAValue) -> ReorderFromBlockedOp | None:
    owner = value.owner
    return owner if isinstance(owner, ReorderFromBlockedOp) else None


def _suffixed(op: Operation | None, hint: str | None, suffix: str) -> NameLoc:
    """A distinct ONNX node name for a reorder next to `op` (exported models need
    unique node names)."""
    base = node_name(op) if op is not None else (hint or "input")
    return NameLoc(StringAttr(f"{base}/{suffix}"), NoneAttr())


def _blocked_operand(value: SSAValue, new_ops: list[Operation], at: Operation, block: int) -> SSAValue | None:
    """The form of an NCHW value blocked by `block` for a new op placed before `at`: its
    ReorderFromBlocked's source, an existing ReorderToBlocked of it before `at`, else a
    new ReorderToBlocked (appended to new_ops); None when the value comes from a region
    of another block."""
    src = _from_blocked(value)
    if src is not None:
        return src.x if block_of(src.x) == block else None
    for use in value.uses:
        user = use.operation
        if (isinstance(user, ReorderToBlockedOp) and block_of(user.y) == block and user.parent is at.parent
                and user.is_before_in_block(at)):
            return user.y
    to = ReorderToBlockedOp(value, block)
    to.location = _suffixed(value.owner if isinstance(value.owner, Operation) else None, value.name_hint, "to_nchwc")
    to.y.name_hint = f"{value.name_hint or 'x'}_nchwc"
    new_ops.append(to)
    return to.y


def _replace_blocked(rewriter: PatternRewriter, op: Operation, new_ops: list[Operation], blocked: SSAValue) -> None:
    """Replaces op's single result by ReorderFromBlocked(blocked)."""
    (result,) = op.results
    back = ReorderFromBlockedOp(blocked, result.type)
    back.location = _suffixed(op, None, "from_nchwc")
    back.y.name_hint = result.name_hint
    rewriter.replace(op, [*new_ops, back], [back.y])


# ---- convolution --------------------------------------------------------------------------


def block_weights(w: np.ndarray, blocked_input: bool, block: int) -> np.ndarray:
    """W [M, C, KH, KW] -> [Mb, ICB, KH, KW, ICL, block] with zeros for padded channels."""
    m, c, kh, kw = w.shape
    mp = blocks(m, block) * block
    icl = block if blocked_input else 1
    cp = blocks(c, block) * block if blocked_input else c
    padded = w  # channels that fill their blocks need no padded copy (one copy less a compile)
    if (mp, cp) != (m, c):
        padded = np.zeros((mp, cp, kh, kw), w.dtype)
        padded[:m, :c] = w
    # [Mb, 8o, ICB, ICL, KH, KW] -> [Mb, ICB, KH, KW, ICL, 8o], 64-byte aligned: the
    # kernels load it in whole vectors (a 16-lane load of malloc's 16-byte-aligned
    # arrays split cache lines).
    return aligned_copy(padded.reshape(mp // block, block, cp // icl, icl, kh, kw).transpose(0, 2, 4, 5, 3, 1))


def block_depthwise_weights(w: np.ndarray, block: int) -> np.ndarray:
    """Depthwise W [C, 1, KH, KW] -> [Cb, KH, KW, block] with zeros for padded channels."""
    c, _, kh, kw = w.shape
    cp = blocks(c, block) * block
    padded = np.zeros((cp, kh, kw), w.dtype)
    padded[:c] = w[:, 0]
    return aligned_copy(padded.reshape(cp // block, block, kh, kw).transpose(0, 2, 3, 1))


# A grouped conv is blocked as a dense ConvNCHWc with zero weights between groups whose
# kernel sums only the input blocks overlapping each output block pair's groups; it
# fires while that does at most this many times the grouped conv's multiply-adds.
MAX_GROUPED_WORK = 4.0


def block_diagonal(w: np.ndarray, group: int) -> np.ndarray:
    """Grouped W [M, C/G, KH, KW] -> the dense W [M, C, KH, KW] (zero between groups)."""
    m, cg = w.shape[:2]
    mg = m // group
    dense = np.zeros((m, cg * group, *w.shape[2:]), w.dtype)
    for g in range(group):  # one slice copy per group
        dense[g * mg:(g + 1) * mg, g * cg:(g + 1) * cg] = w[g * mg:(g + 1) * mg]
    return dense


def grouped_block_work(c: int, m: int, group: int, block: int) -> float:
    """Multiply-adds of the blocked kernel on a grouped conv (input blocks overlapping
    the groups of each pair of output blocks, as the kernel's group_input_blocks) over
    those of the grouped conv itself."""
    cg, mg = c // group, m // group
    mb, icb = blocks(m, block), blocks(c, block)
    oc_tile = 2 if mb % 2 == 0 else 1
    work = 0
    for mb0 in range(0, mb, oc_tile):
        lo, hi = group_input_blocks(mb0, oc_tile, [cg, mg], block, icb, block)
        work += (hi - lo) * block * block * oc_tile  # type: ignore[operator]
    return work / (m * cg)


def _small_conv_in_region(op: ConvOp | FusedConvOp) -> bool:
    """A conv with fewer than 8 output channels is still blocked (its channels padded
    to one block) when its input is already blocked and it makes one pixel per channel:
    the squeeze-excite block's reducing 1x1 conv (EfficientNet's 96 -> 4 channels), where
    the padding costs nothing measurable and leaving the region would cost a reorder out
    and back around every SE block."""
    return _from_blocked(op.x) is not None and list(op.y.type.get_shape()[2:]) == [1, 1]


class BlockConv(PatternWithWeights):
    """onnx.Conv / strata.FusedConv -> ReorderFromBlocked(ConvNCHWc(...)), blocked by `block`."""

    def __init__(self, weights: WeightTable | None, block: int) -> None:
        super().__init__(weights)
        self.block = block

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, (ConvOp, FusedConvOp)):
            return
        if not (_is_f32(op.x) and _is_f32(op.y)) or len(op.x.type.get_shape()) != 4:
            self.missed(op, "only 2-D f32 convolutions are blocked")
            return
        m = op.w.type.get_shape()[0]
        c = op.x.type.get_shape()[1]
        group = op.effective_group()
        depthwise = group != 1 and group == c == m
        grouped = group != 1 and not depthwise
        block = self.block
        src = _from_blocked(op.x)
        z_src = _from_blocked(op.z) if isinstance(op, FusedConvOp) and op.z is not None else None
        if any(s is not None and block_of(s.x) != block for s in (src, z_src)):
            return  # a region of another block (IR built with another block option)
        if grouped and grouped_block_work(c, m, group, block) > MAX_GROUPED_WORK:
            self.missed(op, "grouped conv with too few channels per group for the blocked kernel")
            return
        if m < MIN_OUT_CHANNELS and not _small_conv_in_region(op):
            self.missed(op, f"fewer than {MIN_OUT_CHANNELS} output channels")
            return
        act, params = activation_of(op) if isinstance(op, FusedConvOp) else (Activation.NONE, [])
        if not is_blocked(act):
            self.missed(op, f"activation {act.value} has no blocked kernel")
            return
        w = known_constant(op.w, self.weights)
        b = known_constant(op.b, self.weights) if op.b is not None else None
        if w is None or (op.b is not None and b is None):
            self.missed(op, "W or B is not a constant")
            return
        try:
            pads = op.effective_pads()
        except ValueError:
            self.missed(op, "auto_pad with unknown input sizes")
            return
        blocked_input = depthwise or c >= block or src is not None
        if grouped:
            w = block_diagonal(w, group)
        w_blk = block_depthwise_weights(w, block) if depthwise else block_weights(w, blocked_input, block)
        mp = w_blk.shape[0] * block
        b_blk = None
        if b is not None:
            b_blk = np.zeros((mp,), b.dtype)
            b_blk[:m] = b.reshape(-1)
        if not can_create_constants([w_blk.size, mp], self.weights):
            self.missed(op, "no weight table for the blocked weights")
            return
        name = node_name(op)
        new_ops: list[Operation] = []
        x = _blocked_operand(op.x, new_ops, op, block) if blocked_input else op.x
        w_const = new_constant(w_blk, self.weights, f"{name}.w_nchwc", op, hint=f"{op.w.name_hint or 'w'}_nchwc")
        new_ops.append(w_const)
        b_value = z_value = None
        if b_blk is not None:
            b_const = new_constant(b_blk, self.weights, f"{name}.b_nchwc", op, hint=f"{op.b.name_hint or 'b'}_nchwc")
            new_ops.append(b_const)
            b_value = b_const.output
        if isinstance(op, FusedConvOp) and op.z is not None:
            z_value = _blocked_operand(op.z, new_ops, op, block)
        window = {
            "result_type": blocked_type(op.y.type, block),
            "kernel_shape": w.shape[2:],
            "strides": op.effective_strides(),
            "pads": pads,
            "dilations": op.effective_dilations(),
            "activation": act,
            "activation_params": params,
        }
        if depthwise:
            conv = DepthwiseConvNCHWcOp(x, w_const.output, b_value, z_value, **window)
        else:
            group_channels = [c // group, m // group] if grouped else None
            conv = ConvNCHWcOp(x, w_const.output, b_value, z_value, group_channels=group_channels, **window)
        conv.location = op.location
        conv.y.name_hint = (op.y.name_hint or "y") + "_nchwc"
        new_ops.append(conv)
        _replace_blocked(rewriter, op, new_ops, conv.y)


class CancelReorders(LoggedPattern):
    """ReorderToBlocked(ReorderFromBlocked(b)) -> b; ReorderFromBlocked(ReorderToBlocked(x)) -> x."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, ReorderToBlockedOp):
            src = op.x.owner
            if isinstance(src, ReorderFromBlockedOp) and src.x.type == op.y.type:
                rewriter.replace(op, [], [src.x])
        elif isinstance(op, ReorderFromBlockedOp):
            src = op.x.owner
            if isinstance(src, ReorderToBlockedOp) and src.x.type == op.y.type:
                rewriter.replace(op, [], [src.x])


# ---- pooling ------------------------------------------------------------------------------


def _is_spatial_mean(op: ReduceMeanOp, weights: WeightTable | None) -> bool:
    """ReduceMean over axes {2, 3} of a 4-D tensor with keepdims=1: GlobalAveragePool
    (how torch exports the squeeze-excite blocks' x.mean((2, 3), keepdim=True))."""
    if not op.keeps_dims() or op.axes is None or len(op.data.type.get_shape()) != 4:
        return False
    axes = known_constant(op.axes, weights)
    return axes is not None and sorted(int(a) % 4 for a in axes.reshape(-1)) == [2, 3]


class BlockPool(PatternWithWeights):
    """Pooling of a ReorderFromBlocked value -> blocked pooling; a ReduceMean over H
    and W with keepdims=1 is a GlobalAveragePool."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, ReduceMeanOp):
            src = _from_blocked(op.data)
            if src is None or not _is_f32(op.reduced) or not _is_spatial_mean(op, self.weights):
                return
            pool = GlobalAveragePoolNCHWcOp(src.x)
            pool.location = op.location
            pool.y.name_hint = (op.reduced.name_hint or "y") + "_nchwc"
            _replace_blocked(rewriter, op, [pool], pool.y)
            return
        if not isinstance(op, (MaxPoolOp, AveragePoolOp, GlobalAveragePoolOp)):
            return
        src = _from_blocked(op.x)
        if src is None or not _is_f32(op.y) or len(op.x.type.get_shape()) != 4:
            return
        result_type = blocked_type(op.y.type, block_of(src.x))
        if isinstance(op, GlobalAveragePoolOp):
            pool = GlobalAveragePoolNCHWcOp(src.x)
        else:
            if isinstance(op, MaxPoolOp) and op.indices is not None:
                self.missed(op, "MaxPool with Indices is not blocked")
                return
            try:
                pads = op.effective_pads()
            except ValueError:
                return
            window = {
                "result_type": result_type,
                "kernel_shape": op.effective_kernel_shape(),
                "strides": op.effective_strides(),
                "pads": pads,
                "dilations": op.effective_dilations(),
                "ceil_mode": op.ceil_mode,
            }
            if isinstance(op, AveragePoolOp):
                pool = AveragePoolNCHWcOp(src.x, **window, count_include_pad=op.count_include_pad)
            else:
                pool = MaxPoolNCHWcOp(src.x, **window)
        pool.location = op.location
        pool.y.name_hint = (op.y.name_hint or "y") + "_nchwc"
        _replace_blocked(rewriter, op, [pool], pool.y)


# ---- concatenation ------------------------------------------------------------------------


class BlockConcat(LoggedPattern):
    """Concat along channels of 4-D tensors, at least one from a blocked region, every
    input's channel count a multiple of 8 -> Concat along the block axis of the blocked
    tensors (exact: whole blocks in the same order are the same channels in the same
    order). Inception / SqueezeNet / DenseNet join their branches this way, so the
    region no longer ends at every Concat."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, ConcatOp) or not _is_f32(op.concat_result):
            return
        inputs = list(op.inputs)
        if len(op.concat_result.type.get_shape()) != 4 or op.normalized_axis() != 1:
            return
        sources = [src for v in inputs if (src := _from_blocked(v)) is not None]
        if not sources:
            return
        block = block_of(sources[0].x)
        if any(v.type.get_shape()[1] % block for v in inputs):
            self.missed(op, f"an input's channel count is not a multiple of the block {block}")
            return
        new_ops: list[Operation] = []
        blocked = [_blocked_operand(v, new_ops, op, block) for v in inputs]
        if any(b is None for b in blocked):
            return
        cat = ConcatOp(blocked, axis=1)  # the block axis (op.axis may count from the end)
        cat.location = op.location
        cat.concat_result.name_hint = (op.concat_result.name_hint or "concat") + "_nchwc"
        new_ops.append(cat)
        _replace_blocked(rewriter, op, new_ops, cat.concat_result)


# ---- channel shuffle -----------------------------------------------------------------------


class BlockChannelShuffle(LoggedPattern):
    """Reshape [N, C, H, W] -> [N, G, C/G, H, W], Transpose [0, 2, 1, 3, 4], Reshape back
    to [N, C, H, W] (ShuffleNet's channel shuffle) of a ReorderFromBlocked value ->
    ChannelShuffleNCHWc on the blocked tensor (exact: a permutation of channels), so the
    shuffle does not end the region (in NCHW it costs two reorders and three copies)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, ReshapeOp) or not _is_f32(op.reshaped):
            return
        tr = op.data.owner
        if not isinstance(tr, TransposeOp) or tr.effective_perm() != [0, 2, 1, 3, 4]:
            return
        first = tr.data.owner
        if not isinstance(first, ReshapeOp):
            return
        src = _from_blocked(first.data)
        out_shape = list(op.reshaped.type.get_shape())
        in_shape = list(first.data.type.get_shape())
        mid = list(first.reshaped.type.get_shape())
        if src is None or len(in_shape) != 4 or out_shape != in_shape or len(mid) != 5:
            return
        n, c, h, w = in_shape
        group = mid[1]
        if mid != [n, group, c // group, h, w] or group * mid[2] != c:
            return
        if c % block_of(src.x):
            self.missed(op, f"channel shuffle of a channel count that is not a multiple of the block {block_of(src.x)}")
            return
        shuffle = ChannelShuffleNCHWcOp(src.x, channels=c, group=group)
        shuffle.location = op.location
        shuffle.y.name_hint = (op.reshaped.name_hint or "shuffle") + "_nchwc"
        _replace_blocked(rewriter, op, [shuffle], shuffle.y)
        if not tr.transposed.uses:
            rewriter.erase(tr)
            if not first.reshaped.uses:
                rewriter.erase(first)


# ---- elementwise --------------------------------------------------------------------------

def _blocked_activation(op: Operation) -> tuple[Activation, list[float]] | None:
    """The activation an onnx op computes when the blocked conv kernels implement it and
    the op's attributes hold all its parameters (a unary op, so it also runs on a
    blocked value as it is); None otherwise."""
    act = activation_for(op)
    if act is None or not is_blocked(act) or any(p.operand for p in ACTIVATIONS[act].params):
        return None
    return act, [attribute_param(op, p) for p in ACTIVATIONS[act].params]


def _fusable_conv(src: ReorderFromBlockedOp) -> ConvNCHWcOp | DepthwiseConvNCHWcOp | None:
    """The (depthwise) ConvNCHWc behind `src` when its epilogue is free and `src` is its
    only use and has one use itself."""
    conv = src.x.owner
    if not isinstance(conv, (ConvNCHWcOp, DepthwiseConvNCHWcOp)) or not conv.y.has_one_use() or not src.y.has_one_use():
        return None
    if activation_of(conv)[0] is not Activation.NONE:
        return None
    return conv


def _rebuild_conv(
    conv: ConvNCHWcOp | DepthwiseConvNCHWcOp, z: SSAValue | None = None,
    act: Activation = Activation.NONE, params: Sequence[float] = (),
) -> ConvNCHWcOp | DepthwiseConvNCHWcOp:
    props: dict = dict(onnx_attributes(conv))
    if act is not Activation.NONE:
        props.pop("activation_params", None)
        props["activation"], props["activation_params"] = act, params
    new = type(conv)(conv.x, conv.w, conv.b, z if z is not None else conv.z, result_type=conv.y.type, **props)
    keep_attribute_order(new, conv)
    new.location = conv.location
    new.y.name_hint = conv.y.name_hint
    return new


def _blocked_channel_constant(value: np.ndarray, like: SSAValue, block: int) -> np.ndarray | None:
    """A constant that broadcasts against `like` (N, C, H, W) only along C, as a blocked
    [Cb, 1, 1, block] array (zeros in padded lanes); None otherwise."""
    shape = like.type.get_shape()
    channels = shape[1]
    if value.ndim > 4:
        return None
    full = (1,) * (4 - value.ndim) + value.shape
    if any(d != 1 for i, d in enumerate(full) if i != 1) or full[1] not in (1, channels):
        return None
    if not np.all(np.isfinite(value)):
        return None
    vec = np.zeros((blocks(channels, block) * block,), np.float32)
    vec[:channels] = np.broadcast_to(value.reshape(full[1]), (channels,))
    return vec.reshape(blocks(channels, block), 1, 1, block)


def _per_channel(value: SSAValue, like: SSAValue) -> bool:
    """`value` is [N, C, 1, 1] against `like`'s [N, C, H, W] (same element type): its
    blocked form [N, Cb, 1, 1, 8] broadcasts against the blocked `like` along H and W
    only, lane for lane, so the op stays blocked (the squeeze-excite block's channel
    scale x * gate)."""
    vs, ls = value.type.get_shape(), like.type.get_shape()
    return (
        _is_f32(value) and len(vs) == 4 and len(ls) == 4 and list(vs) == [ls[0], ls[1], 1, 1]
    )


class BlockElementwise(PatternWithWeights):
    """Unary activations and Add/Mul on blocked values (see the module docstring)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if (blocked := _blocked_activation(op)) is not None:
            self._unary(op, blocked, rewriter)
        elif isinstance(op, (AddOp, MulOp)):
            self._binary(op, rewriter)

    def _unary(self, op: Operation, activation: tuple[Activation, list[float]], rewriter: PatternRewriter) -> None:
        (x,), (y,) = op.operands, op.results
        src = _from_blocked(x)
        if src is None or not _is_f32(y) or y.type != x.type:
            return
        conv = _fusable_conv(src)
        if conv is not None:
            new = _rebuild_conv(conv, act=activation[0], params=activation[1])
            _replace_blocked(rewriter, op, [new], new.y)
            rewriter.erase(src)
            rewriter.erase(conv)
            return
        blocked = type(op)(src.x, **onnx_attributes(op))
        blocked.location = op.location
        _replace_blocked(rewriter, op, [blocked], blocked.results[0])

    def _binary(self, op: AddOp | MulOp, rewriter: PatternRewriter) -> None:
        if not _is_f32(op.c) or len(op.c.type.get_shape()) != 4:
            return
        for mine, other in ((op.a, op.b), (op.b, op.a)):
            src = _from_blocked(mine)
            if src is None or mine.type != op.c.type:
                continue
            const = known_constant(other, self.weights)
            if const is not None:
                blk = _blocked_channel_constant(const, mine, block_of(src.x))
                if blk is None:
                    self.missed(op, "constant operand is not per-channel")
                    return
                c = new_constant(blk, self.weights, f"{node_name(op)}.nchwc", op, hint=f"{other.name_hint or 'c'}_nchwc")
                new = type(op)(src.x, c.output)
                new.location = op.location
                _replace_blocked(rewriter, op, [c, new], new.c)
                return
            if other.type != op.c.type and not _per_channel(other, mine):
                continue  # other broadcasting against a non-constant: leave it in NCHW
            new_ops: list[Operation] = []
            other_blk = _blocked_operand(other, new_ops, op, block_of(src.x))
            if other_blk is None:
                continue
            if isinstance(op, AddOp) and other.type == op.c.type:
                conv = _fusable_conv(src)
                if conv is not None and conv.z is None:
                    new = _rebuild_conv(conv, z=other_blk)
                    _replace_blocked(rewriter, op, [*new_ops, new], new.y)
                    rewriter.erase(src)
                    rewriter.erase(conv)
                    return
            new = type(op)(src.x, other_blk)
            new.location = op.location
            _replace_blocked(rewriter, op, [*new_ops, new], new.c)
            return


class BlockBatchNorm(PatternWithWeights):
    """Inference BatchNormalization of a blocked value -> Mul and Add by blocked
    per-channel constants (f = scale / sqrt(var + eps), shift = bias - mean * f), so a
    BN between two blocked convs (DenseNet's BN -> Relu -> Conv) does not end the region.
    Approximate: x * f + shift rounds differently from (x - mean) / sqrt(var + eps) *
    scale + bias (a few ulps)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, BatchNormalizationOp) or not _is_f32(op.y):
            return
        src = _from_blocked(op.x)
        if src is None or len(op.x.type.get_shape()) != 4:
            return
        if op.running_mean is not None or op.running_var is not None or int_attr_value(op.training_mode) != 0:
            self.missed(op, "BatchNormalization in training form is not blocked")
            return
        channels = op.x.type.get_shape()[1]
        params = [known_constant(v, self.weights) for v in (op.scale, op.b, op.input_mean, op.input_var)]
        if any(p is None or p.size != channels for p in params):
            self.missed(op, "BatchNormalization parameters are not per-channel constants")
            return
        scale, bias, mean, var = (p.reshape(-1).astype(np.float64) for p in params)  # type: ignore[union-attr]
        eps = float(np.float32(float_attr_value(op.epsilon)))
        with np.errstate(divide="ignore", invalid="ignore"):
            f = scale / np.sqrt(var + eps)
        shift = bias - mean * f
        block = block_of(src.x)
        f_blk = _blocked_channel_constant(f.astype(np.float32).reshape(-1, 1, 1), op.x, block)
        shift_blk = _blocked_channel_constant(shift.astype(np.float32).reshape(-1, 1, 1), op.x, block)
        if f_blk is None or shift_blk is None or not can_create_constants([f_blk.size, shift_blk.size], self.weights):
            self.missed(op, "BatchNormalization factors are not finite")
            return
        name = node_name(op)
        c_f = new_constant(f_blk, self.weights, f"{name}.nchwc_scale", op, hint="bn_scale_nchwc")
        c_s = new_constant(shift_blk, self.weights, f"{name}.nchwc_shift", op, hint="bn_shift_nchwc")
        mul = MulOp(src.x, c_f.output)
        mul.location = _suffixed(op, None, "scale")
        add = AddOp(mul.c, c_s.output)
        add.location = op.location
        _replace_blocked(rewriter, op, [c_f, c_s, mul, add], add.c)


# ---- the pass -----------------------------------------------------------------------------


def layout_nchwc_patterns(weights: WeightTable | None, block: int) -> list[RewritePattern]:
    return [
        CancelReorders(),
        BlockConv(weights, block),
        BlockPool(weights),
        BlockConcat(),
        BlockChannelShuffle(),
        BlockElementwise(weights),
        BlockBatchNorm(weights),
    ]


@dataclass(frozen=True)
class LayoutNchwcPass(ModulePass):
    """Moves conv regions to the blocked NCHWc layout (see the module docstring);
    `block` 0 means the host's (CpuTarget.nchwc_block)."""

    name = "onnx-layout-nchwc"

    block: int = 0

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        block = self.block or host_target().nchwc_block
        if block not in BLOCKS:
            raise StrataError(f"onnx-layout-nchwc: block must be one of {', '.join(map(str, BLOCKS))}, got {block}")
        apply_patterns(ctx, op, layout_nchwc_patterns(weights_of(ctx), block))
