"""`onnx-fuse-conv-bn`: folds per-channel affine ops that follow a Conv into its
weights and bias.

One RewritePattern per consumer, each matching on the op after the Conv, applied
greedily to a fixpoint (so a chain Conv -> BatchNormalization -> Mul -> Add folds
down to one Conv). Constants are read with `dialects.onnx.constants.constant_value`; the
new W and B are made with `tensor_attr`, so large ones live in the weight table and
stay out of the IR text. The walk removes every op left without uses (the old
Conv, the folded constants when nothing else uses them).

Patterns (M is the number of output channels, f a per-channel factor):

    Conv(X, W, B?) -> BatchNormalization(scale, bias, mean, var, epsilon), inference
        form (training_mode = 0, Y only):
        Conv(X, W * f, (B - mean) * f + bias) with f = scale / sqrt(var + epsilon)
        (B = 0 when absent).
    Conv(X, W, B?) -> Add(c) with c a per-channel constant:
        Conv(X, W, B + c) (B = 0 when absent).
    Conv(X, W, B?) -> Mul(s) with s a per-channel constant:
        Conv(X, W * s, B * s) (no B stays no B).

Exactness: NOT bit-exact. Each rewrite reassociates float math (conv(x, W)*f vs
conv(x, W*f), and the bias is added once instead of twice), so results differ from
the unfused graph by a few ulps of the accumulated sums (tested at 1e-4 for the BN
folds and models, 1e-5 for Add/Mul). The new W and B are computed in float64 with
numpy and rounded once to the weight's dtype.

A constant is per-channel when, right-aligned against the Conv result (N, M, d1..),
every dim other than the channel axis (1) is 1 and the channel dim is 1 or M:
[M,1,1], [1,M,1,1], [1], scalars for a 2-D conv; [M] is not (it lies along the last
spatial axis). Either operand order of Add/Mul is accepted.

Does not fire when:
    - the Conv result has any other use (it, or the graph, still needs the unfused
      value; a returned Conv result counts as a use),
    - W, the Conv's B or any BatchNormalization parameter is not an `onnx.Constant`
      (or its data is not available: a dense_resource without a weight table),
    - the Add/Mul constant broadcasts along a non-channel axis, or the Add/Mul result
      type differs from the Conv result type,
    - the element type is not a float, or a folded value is not finite,
    - BatchNormalization is in training mode or has running_mean/running_var results,
    - there is no weight table and a new W or B has more than 16 elements.

The new Conv keeps the Conv's properties (group, pads, strides, ...) and takes the
location (ONNX node name) and result type of the op it replaces last (the
BatchNormalization, Add or Mul), since that op produced the value users see; its
new constants get that location too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)

from dialects.dtypes import is_float_tensor
from dialects.weights import weights_of
from compiler.pattern_log import apply_patterns
from compiler.passes.constants import PatternWithWeights, can_create_constants, known_constant, new_constant
from dialects.weights import WeightTable
from dialects.onnx.base import float_attr_value, int_attr_value, node_name, onnx_attributes
from dialects.onnx.elementwise import AddOp, MulOp
from dialects.onnx.nn import BatchNormalizationOp, ConvOp

# ---- helpers ----------------------------------------------------------------------------


@dataclass
class _ConvParts:
    """A fusable Conv: its W and B (zeros when absent) as numpy arrays."""

    conv: ConvOp
    w: np.ndarray
    b: np.ndarray
    has_b: bool

    @property
    def channels(self) -> int:
        return self.w.shape[0]


def _fusable_conv(value: SSAValue, weights: WeightTable | None) -> _ConvParts | str | None:
    """The Conv producing `value` when it can be folded into its single user: float,
    constant W and (if present) constant B, and `value` has exactly one use. None when
    `value` is not a Conv result; the reason (for the pattern log) when it cannot fold."""
    conv = value.owner
    if not isinstance(conv, ConvOp):
        return None
    if not value.has_one_use():
        return "the Conv result has other uses"
    if not (is_float_tensor(conv.y) and is_float_tensor(conv.w)):
        return "not a float Conv"
    w = known_constant(conv.w, weights)
    if w is None or w.dtype.kind != "f" or w.ndim < 1:
        return "Conv weight W is not a known constant"
    if conv.b is None:
        return _ConvParts(conv, w, np.zeros((w.shape[0],), w.dtype), False)
    b = known_constant(conv.b, weights)
    if b is None or b.dtype.kind != "f" or b.size != w.shape[0]:
        return "Conv bias B is not a known constant"
    return _ConvParts(conv, w, b.reshape(-1), True)


def _per_channel(array: np.ndarray, result: SSAValue, channels: int) -> np.ndarray | None:
    """The (M,) vector of a constant that broadcasts against `result` (N, M, ...) only
    along the channel axis, else None."""
    ty = result.type
    assert isinstance(ty, TensorType)
    rank = ty.get_num_dims()
    if array.ndim > rank:
        return None
    shape = (1,) * (rank - array.ndim) + array.shape
    if any(d != 1 for i, d in enumerate(shape) if i != 1) or shape[1] not in (1, channels):
        return None
    return np.broadcast_to(array.reshape(shape[1]), (channels,))


def _per_output_channel(w: np.ndarray, f: np.ndarray) -> np.ndarray:
    """W (M, C/group, k...) scaled by f (M,) along the output-channel axis, in float64."""
    return w.astype(np.float64) * f.reshape((-1,) + (1,) * (w.ndim - 1))


def _fused_hint(hint: str | None, default: str) -> str:
    """`w` -> `w_fused` (once: a chain of folds keeps `w_fused`)."""
    base = (hint or default).removesuffix("_fused")
    return f"{base}_fused"


def _replace_with_conv(
    rewriter: PatternRewriter,
    last: Operation,
    parts: _ConvParts,
    weights: WeightTable | None,
    w64: np.ndarray | None,
    b64: np.ndarray | None,
) -> None:
    """Replaces `last` (whose operand is parts.conv's result) by a Conv with the new
    W (None: keep the old W operand) and B (None: no bias). Values are float64 and are
    rounded to W's dtype; does nothing if one is not finite or cannot be created."""
    conv, dtype = parts.conv, parts.w.dtype
    with np.errstate(over="ignore", invalid="ignore"):
        new_w = None if w64 is None else w64.astype(dtype)
        new_b = None if b64 is None else b64.astype(dtype)
    arrays = [a for a in (new_w, new_b) if a is not None]
    if not all(np.all(np.isfinite(a)) for a in arrays) or not can_create_constants([a.size for a in arrays], weights):
        return
    name = node_name(last)
    new_ops: list[Operation] = []
    w_value = conv.w
    if new_w is not None:
        w_const = new_constant(new_w, weights, f"{name}.fused_w", last)
        w_const.output.name_hint = _fused_hint(conv.w.name_hint, "w")
        new_ops.append(w_const)
        w_value = w_const.output
    b_operand: SSAValue | None = None
    if new_b is not None:
        b_const = new_constant(new_b, weights, f"{name}.fused_b", last)
        hint = conv.b.name_hint if conv.b is not None else None
        b_const.output.name_hint = _fused_hint(hint, "b")
        new_ops.append(b_const)
        b_operand = b_const.output
    (result,) = last.results
    fused = ConvOp(conv.x, w_value, b_operand, result_type=result.type, **onnx_attributes(conv))
    fused.location = last.location
    fused.y.name_hint = result.name_hint
    new_ops.append(fused)
    rewriter.replace(last, new_ops, [fused.y])
    rewriter.erase(conv)


# ---- patterns ----------------------------------------------------------------------------


class FuseConvBatchNorm(PatternWithWeights):
    """Conv -> BatchNormalization (inference) -> Conv(W * f, (B - mean) * f + bias),
    f = scale / sqrt(var + epsilon)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: BatchNormalizationOp, rewriter: PatternRewriter) -> None:
        if not isinstance(op.x.owner, ConvOp):
            return
        if op.running_mean is not None or op.running_var is not None:
            self.missed(op, "BatchNormalization has running_mean/running_var results")
            return
        if int_attr_value(op.training_mode) != 0 or op.y.type != op.x.type:
            self.missed(op, "BatchNormalization is in training mode")
            return
        parts = _fusable_conv(op.x, self.weights)
        if isinstance(parts, str):
            self.missed(op, parts)
        if not isinstance(parts, _ConvParts):
            return
        factors = _bn_factor(op, self.weights, parts.channels)
        if factors is None:
            self.missed(op, "BatchNormalization parameters are not finite per-channel constants")
            return
        f, _, bias, mean = factors
        w64 = _per_output_channel(parts.w, f)
        b64 = (parts.b.astype(np.float64) - mean) * f + bias
        _replace_with_conv(rewriter, op, parts, self.weights, w64, b64)


def _bn_factor(
    op: BatchNormalizationOp, weights: WeightTable | None, channels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(f, scale, bias, mean) in float64, f = scale / sqrt(var + epsilon), when every
    parameter is a finite constant of `channels` elements."""
    params = [known_constant(v, weights) for v in (op.scale, op.b, op.input_mean, op.input_var)]
    if any(p is None or p.dtype.kind != "f" or p.size != channels for p in params):
        return None
    scale, bias, mean, var = (p.reshape(-1).astype(np.float64) for p in params)  # type: ignore[union-attr]
    # onnxruntime adds epsilon in the element type (f32 attribute value).
    eps = float(np.float32(float_attr_value(op.epsilon)))
    with np.errstate(divide="ignore", invalid="ignore"):
        f = scale / np.sqrt(var + eps)
    if not np.all(np.isfinite(f)):
        return None
    return f, scale, bias, mean


def _conv_and_constant(
    op: AddOp | MulOp, weights: WeightTable | None
) -> tuple[_ConvParts, np.ndarray] | None:
    """For Add/Mul(conv, c) or Add/Mul(c, conv): the Conv and c's (M,) float64 vector
    when c is a finite per-channel constant and the result has the Conv's type."""
    for x, c in ((op.a, op.b), (op.b, op.a)):
        if not isinstance(x.owner, ConvOp) or op.c.type != x.type:
            continue
        parts = _fusable_conv(x, weights)
        value = known_constant(c, weights)
        if not isinstance(parts, _ConvParts) or value is None or value.dtype.kind != "f":
            continue
        vector = _per_channel(value, x, parts.channels)
        if vector is None or not np.all(np.isfinite(vector)):
            continue
        return parts, vector.astype(np.float64)
    return None


class FuseConvAdd(PatternWithWeights):
    """Conv -> Add(per-channel c) -> Conv(W, B + c)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AddOp, rewriter: PatternRewriter) -> None:
        match = _conv_and_constant(op, self.weights)
        if match is None:
            return
        parts, c = match
        _replace_with_conv(rewriter, op, parts, self.weights, None, parts.b.astype(np.float64) + c)


class FuseConvMul(PatternWithWeights):
    """Conv -> Mul(per-channel s) -> Conv(W * s, B * s)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MulOp, rewriter: PatternRewriter) -> None:
        match = _conv_and_constant(op, self.weights)
        if match is None:
            return
        parts, s = match
        b64 = parts.b.astype(np.float64) * s if parts.has_b else None
        _replace_with_conv(rewriter, op, parts, self.weights, _per_output_channel(parts.w, s), b64)


def _bn_and_constant(
    op: AddOp | MulOp, weights: WeightTable | None
) -> tuple[BatchNormalizationOp, np.ndarray] | None:
    """For Add/Mul(bn, c) or Add/Mul(c, bn): the inference-form BatchNormalization and
    c's per-channel float64 vector, when bn's result has only this use."""
    for x, c in ((op.a, op.b), (op.b, op.a)):
        bn = x.owner
        if not isinstance(bn, BatchNormalizationOp) or op.c.type != x.type or not x.has_one_use():
            continue
        if bn.running_mean is not None or bn.running_var is not None or int_attr_value(bn.training_mode) != 0:
            continue
        value = known_constant(c, weights)
        channels = x.type.get_shape()[1] if x.type.get_num_dims() >= 2 else -1
        if value is None or value.dtype.kind != "f" or channels < 1:
            continue
        vector = _per_channel(value, x, channels)
        if vector is None or not np.all(np.isfinite(vector)):
            continue
        return bn, vector.astype(np.float64)
    return None


def _replace_bn_params(
    rewriter: PatternRewriter, last: Operation, bn: BatchNormalizationOp, weights: WeightTable | None, scale64, bias64
) -> None:
    """Replaces `last` by `bn` with new scale and bias (mean, var, epsilon kept)."""
    dtype = known_constant(bn.scale, weights).dtype  # type: ignore[union-attr]
    with np.errstate(over="ignore", invalid="ignore"):
        new_scale, new_bias = scale64.astype(dtype), bias64.astype(dtype)
    if not (np.all(np.isfinite(new_scale)) and np.all(np.isfinite(new_bias))):
        return
    if not can_create_constants([new_scale.size, new_bias.size], weights):
        return
    name = node_name(last)
    sc = new_constant(new_scale, weights, f"{name}.fused_scale", last, _fused_hint(bn.scale.name_hint, "scale"))
    bc = new_constant(new_bias, weights, f"{name}.fused_bias", last, _fused_hint(bn.b.name_hint, "bias"))
    (result,) = last.results
    fused = BatchNormalizationOp(bn.x, sc.output, bc.output, bn.input_mean, bn.input_var, **onnx_attributes(bn))
    fused.location = last.location
    fused.y.name_hint = result.name_hint
    rewriter.replace(last, [sc, bc, fused], [fused.y])
    rewriter.erase(bn)


class FuseBatchNormMul(PatternWithWeights):
    """BatchNormalization -> Mul(per-channel s) -> BatchNormalization(scale * s, bias * s)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: MulOp, rewriter: PatternRewriter) -> None:
        match = _bn_and_constant(op, self.weights)
        if match is None:
            return
        bn, s = match
        scale, bias = (known_constant(v, self.weights) for v in (bn.scale, bn.b))
        if scale is None or bias is None or scale.dtype.kind != "f" or scale.size != s.size or bias.size != s.size:
            self.missed(op, "BatchNormalization scale/bias are not per-channel constants")
            return
        _replace_bn_params(rewriter, op, bn, self.weights, scale.reshape(-1) * s, bias.reshape(-1) * s)


class FuseBatchNormAdd(PatternWithWeights):
    """BatchNormalization -> Add(per-channel t) -> BatchNormalization(scale, bias + t)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AddOp, rewriter: PatternRewriter) -> None:
        match = _bn_and_constant(op, self.weights)
        if match is None:
            return
        bn, t = match
        scale, bias = (known_constant(v, self.weights) for v in (bn.scale, bn.b))
        if scale is None or bias is None or scale.dtype.kind != "f" or scale.size != t.size or bias.size != t.size:
            self.missed(op, "BatchNormalization scale/bias are not per-channel constants")
            return
        _replace_bn_params(rewriter, op, bn, self.weights, scale.reshape(-1).astype(np.float64), bias.reshape(-1) + t)


# ---- the pass ----------------------------------------------------------------------------


def fuse_conv_bn_patterns(weights: WeightTable | None) -> list[RewritePattern]:
    return [
        FuseConvBatchNorm(weights),
        FuseConvAdd(weights),
        FuseConvMul(weights),
        FuseBatchNormMul(weights),
        FuseBatchNormAdd(weights),
    ]


@dataclass(frozen=True)
class FuseConvBnPass(ModulePass):
    """Folds BatchNormalization, per-channel Add and per-channel Mul that follow a Conv
    into its W and B (approximate: reassociates float math; see the module docstring)."""

    name = "onnx-fuse-conv-bn"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(ctx, op, fuse_conv_bn_patterns(weights_of(ctx)))
