"""`onnx-eliminate-redundant-nodes`: removes graph nodes that do nothing and collapses
chains of data-movement nodes.

Every rewrite is exact (bit-identical results) and keeps every value's type: a node is
only replaced by a value of exactly its result type, so returned values keep their
types. Patterns, one class each:

- Identity -> its input;
- Dropout in inference form (no training_mode, or a constant false) whose mask is
  absent or unused -> its input (ratio and seed are irrelevant at inference);
- Cast to the input's own element type -> its input;
- Reshape / Flatten / Squeeze / Unsqueeze whose result type equals the input type -> input;
- a chain of Reshape / Flatten / Squeeze / Unsqueeze -> one Reshape of the chain's first
  input to the final static shape (a new i64 shape constant), or the first input itself
  when its type is the final type;
- Transpose of a Transpose -> one Transpose with the composed perm, or the inner input
  when the composition is the identity; a Transpose with the identity perm -> input;
- Expand whose result type equals its input type -> input;
- Concat of a single input, Split into a single output -> the input;
- Slice whose result type equals its input type and whose constant starts/steps are 0/1
  on every sliced axis -> input;
- Pad whose constant pads are all zero -> input (any mode);
- Tile whose constant repeats are all 1 -> input;
- Reshape(Softmax(Flatten(x))) back to x's shape (how onnx.version_converter writes an
  opset-11 Softmax over a 4-D [N, C, 1, 1] tensor) -> Softmax(x) over the one flattened
  dim that is not 1 (also LogSoftmax, Hardmax, any reshape-like ops in place of Flatten
  and Reshape): normalizing over a group of dims that are all 1 but one is normalizing
  over that one;
- identical constants -> one: `onnx.Constant` ops of the same type and the same bytes
  (including weights in the weight table, compared by content) are merged, so `cse`
  can then merge the identical nodes that consume them.

Patterns read constant operands (`onnx.Constant`, inline or from the weight table); a
non-constant operand, or a `dense_resource` without a weight table, means "unknown" and
the pattern does not fire. Producers left without uses are removed (all onnx ops are
Pure).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, NameLoc, NoneAttr, StringAttr, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    RewritePattern,
    op_type_rewrite_pattern,
)

from dialects.shapes import static_shape
from dialects.weights import weights_of
from compiler.pattern_log import apply_patterns
from compiler.passes.constants import known_constant
from dialects.weights import INLINE_LIMIT, WeightTable, tensor_attr
from dialects.onnx.base import node_name
from dialects.onnx.elementwise import CastOp
from dialects.onnx.nn import DropoutOp, LogSoftmaxOp, SoftmaxOp
from dialects.onnx.reduction import HardmaxOp
from dialects.onnx.tensor import (
    ConcatOp,
    ConstantOp,
    ExpandOp,
    FlattenOp,
    IdentityOp,
    PadOp,
    ReshapeOp,
    SliceOp,
    SplitOp,
    SqueezeOp,
    TileOp,
    TransposeOp,
    UnsqueezeOp,
)

ReshapeLike = ReshapeOp | FlattenOp | SqueezeOp | UnsqueezeOp
RESHAPE_LIKE = (ReshapeOp, FlattenOp, SqueezeOp, UnsqueezeOp)


# ---- helpers ------------------------------------------------------------------------


def _forward(rewriter: PatternRewriter, op: Operation, value: SSAValue) -> bool:
    """Replaces `op` (whose first result is the one that matters; any other result must
    be unused) by `value` when the types agree exactly. Returns whether it fired."""
    result = op.results[0]
    if value.type != result.type:
        return False
    if any(r.first_use is not None for r in op.results[1:]):
        return False
    rewriter.replace(op, [], [value] + [None] * (len(op.results) - 1))
    return True


def _const_ints(value: SSAValue | None, weights: WeightTable | None) -> list[int] | None:
    """The Python ints of a constant index operand, None when not a known constant."""
    array = known_constant(value, weights)
    if array is None:
        return None
    return [int(v) for v in np.asarray(array).reshape(-1)]


def _shape_read_at_run_time(op) -> bool:
    """A Reshape, Expand, Squeeze or Unsqueeze whose shape (axes) operand is not a
    constant: its kernel checks that operand at run time against the result type
    (lowering/kernels/data_movement.py), so the node must stay even where its type
    says it is a no-op."""
    if isinstance(op, (ReshapeOp, ExpandOp)):
        return not isinstance(op.shape.owner, ConstantOp)
    if isinstance(op, (SqueezeOp, UnsqueezeOp)):
        return op.axes is not None and not isinstance(op.axes.owner, ConstantOp)
    return False


def _reshape_input(op: ReshapeLike) -> SSAValue:
    return op.data if isinstance(op, (ReshapeOp, SqueezeOp, UnsqueezeOp)) else op.input


# ---- patterns -----------------------------------------------------------------------


class EliminateIdentity(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: IdentityOp, rewriter: PatternRewriter, /):
        _forward(rewriter, op, op.input)


@dataclass
class EliminateInferenceDropout(RewritePattern):
    """Dropout is the identity unless training_mode is true; the mask must be unused
    (it would have to become a constant all-true tensor)."""

    weights: WeightTable | None

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DropoutOp, rewriter: PatternRewriter, /):
        if op.training_mode is not None:
            mode = _const_ints(op.training_mode, self.weights)
            if mode is None or any(mode):
                return
        _forward(rewriter, op, op.data)


class EliminateSameTypeCast(RewritePattern):
    """Cast to the type the input already has (unsigned types are distinct element
    types at the graph level, so a ui8 <-> i8 Cast never matches)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: CastOp, rewriter: PatternRewriter, /):
        _forward(rewriter, op, op.input)


class EliminateNoopReshape(RewritePattern):
    """Reshape / Flatten / Squeeze / Unsqueeze that leaves the type unchanged."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ReshapeLike, rewriter: PatternRewriter, /):
        if _shape_read_at_run_time(op):
            return
        _forward(rewriter, op, _reshape_input(op))


@dataclass
class CollapseReshapeChain(RewritePattern):
    """outer(inner(x)) with both in {Reshape, Flatten, Squeeze, Unsqueeze} ->
    Reshape(x, <outer's static shape>); applied greedily this collapses whole chains.
    Does not fire on a dynamic or zero-size final shape (a 0 in Reshape's shape would
    mean "copy the input dim"), nor when the shape constant would exceed the inline
    limit and there is no weight table to hold it."""

    weights: WeightTable | None

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ReshapeLike, rewriter: PatternRewriter, /):
        inner = _reshape_input(op).owner
        if not isinstance(inner, RESHAPE_LIKE) or _shape_read_at_run_time(op) or _shape_read_at_run_time(inner):
            return
        source = _reshape_input(inner)
        result = op.results[0]
        if _forward(rewriter, op, source):
            return
        shape = static_shape(result)
        if shape is None or 0 in shape:
            return
        if self.weights is None and len(shape) > INLINE_LIMIT:
            return
        src_ty, res_ty = source.type, result.type
        if not (isinstance(src_ty, TensorType) and isinstance(res_ty, TensorType)):
            return
        if src_ty.element_type != res_ty.element_type:
            return
        name = node_name(op)
        array = np.asarray(shape, dtype=np.int64)
        # Without a weight table only inline (<= INLINE_LIMIT elements) shapes get here,
        # so the throwaway table is never written.
        attr = tensor_attr(array, self.weights if self.weights is not None else WeightTable(), f"{name}_shape")
        const = ConstantOp(attr)
        const.location = NameLoc(StringAttr(f"{name}_shape"), NoneAttr())
        if result.name_hint:
            const.output.name_hint = f"{result.name_hint}_shape"
        reshape = ReshapeOp(source, const.output, res_ty)
        reshape.location = op.location
        rewriter.replace(op, [const, reshape], [reshape.reshaped])


class FoldTransposes(RewritePattern):
    """Transpose(Transpose(x, p), q) -> Transpose(x, p∘q) (out dim i = x dim p[q[i]]),
    or x itself when p∘q is the identity."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: TransposeOp, rewriter: PatternRewriter, /):
        inner = op.data.owner
        if not isinstance(inner, TransposeOp):
            return
        p, q = inner.effective_perm(), op.effective_perm()
        composed = [p[i] for i in q]
        source = inner.data
        if composed == list(range(len(composed))):
            _forward(rewriter, op, source)
            return
        src_ty, res_ty = source.type, op.transposed.type
        if not (isinstance(src_ty, TensorType) and isinstance(res_ty, TensorType)):
            return
        if src_ty.element_type != res_ty.element_type:
            return
        new = TransposeOp(source, perm=composed)
        new.location = op.location
        rewriter.replace(op, [new], [new.transposed])


class EliminateIdentityTranspose(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: TransposeOp, rewriter: PatternRewriter, /):
        perm = op.effective_perm()
        if perm == list(range(len(perm))):
            _forward(rewriter, op, op.data)


class EliminateNoopExpand(RewritePattern):
    """Expand whose output type is its input type (broadcasting to its own shape)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ExpandOp, rewriter: PatternRewriter, /):
        if _shape_read_at_run_time(op):
            return
        _forward(rewriter, op, op.input)


class EliminateSingleConcat(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ConcatOp, rewriter: PatternRewriter, /):
        if len(op.inputs) == 1:
            _forward(rewriter, op, op.inputs[0])


class EliminateSingleSplit(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: SplitOp, rewriter: PatternRewriter, /):
        if len(op.outputs) == 1:
            _forward(rewriter, op, op.input)


@dataclass
class EliminateFullSlice(RewritePattern):
    """Slice whose result type is its input type and whose constant steps are all 1 and
    constant starts all 0 (a negative start counts as 0 when it clamps to 0, which needs
    known axes)."""

    weights: WeightTable | None

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: SliceOp, rewriter: PatternRewriter, /):
        if op.output.type != op.data.type:
            return
        starts = _const_ints(op.starts, self.weights)
        if starts is None:
            return
        steps = [1] * len(starts) if op.steps is None else _const_ints(op.steps, self.weights)
        if steps is None or any(s != 1 for s in steps):
            return
        axes: Sequence[int] | None = range(len(starts)) if op.axes is None else _const_ints(op.axes, self.weights)
        shape = static_shape(op.data)
        for i, start in enumerate(starts):
            if start == 0:
                continue
            if start < 0 and axes is not None and shape is not None and i < len(axes):
                rank = len(shape)
                if start + shape[axes[i] % rank] <= 0:
                    continue
            return
        _forward(rewriter, op, op.data)


@dataclass
class EliminateZeroPad(RewritePattern):
    """Pad whose constant pads are all zero (the mode and constant_value are then moot)."""

    weights: WeightTable | None

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: PadOp, rewriter: PatternRewriter, /):
        pads = _const_ints(op.pads, self.weights)
        if pads is not None and not any(pads):
            _forward(rewriter, op, op.data)


@dataclass
class EliminateUnitTile(RewritePattern):
    weights: WeightTable | None

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: TileOp, rewriter: PatternRewriter, /):
        repeats = _const_ints(op.repeats, self.weights)
        if repeats is not None and all(r == 1 for r in repeats):
            _forward(rewriter, op, op.input)


NORMALIZERS = (SoftmaxOp, LogSoftmaxOp, HardmaxOp)


class SoftmaxThroughFlatten(RewritePattern):
    """reshape(softmax(flatten(x), axis=1)) with the result of x's type -> softmax(x) on
    the single non-1 dim among those flattened into the softmax axis."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: ReshapeLike, rewriter: PatternRewriter, /):
        norm = _reshape_input(op).owner
        if not isinstance(norm, NORMALIZERS) or not norm.output.has_one_use() or _shape_read_at_run_time(op):
            return
        flat = norm.input.owner
        if not isinstance(flat, RESHAPE_LIKE) or not norm.input.has_one_use() or _shape_read_at_run_time(flat):
            return
        x = _reshape_input(flat)
        x_shape, mid = static_shape(x), static_shape(norm.input)
        if x_shape is None or mid is None or op.results[0].type != x.type or len(mid) != 2:
            return
        if norm.normalized_axis() != 1:
            return
        # the split point a with prod(x[:a]) == rows; the columns are x[a:]
        split = [a for a in range(len(x_shape) + 1) if int(np.prod(x_shape[:a])) == mid[0]]
        if not split or int(np.prod(x_shape[split[0] :])) != mid[1]:
            return
        a = split[0]
        big = [k for k in range(a, len(x_shape)) if x_shape[k] != 1]
        if len(big) > 1:
            return
        axis = big[0] if big else min(a, len(x_shape) - 1)
        new = type(norm)(x, axis=axis)
        new.location = op.location
        new.output.name_hint = op.results[0].name_hint
        rewriter.replace(op, [new], [new.output])


def redundant_node_patterns(weights: WeightTable | None) -> list[RewritePattern]:
    return [
        EliminateIdentity(),
        EliminateInferenceDropout(weights),
        EliminateSameTypeCast(),
        EliminateNoopReshape(),
        CollapseReshapeChain(weights),
        EliminateIdentityTranspose(),
        FoldTransposes(),
        EliminateNoopExpand(),
        EliminateSingleConcat(),
        EliminateSingleSplit(),
        EliminateFullSlice(weights),
        EliminateZeroPad(weights),
        EliminateUnitTile(weights),
        SoftmaxThroughFlatten(),
    ]


@dataclass(frozen=True)
class EliminateRedundantNodesPass(ModulePass):
    """Removes no-op nodes and collapses Reshape-like and Transpose chains (exact)."""

    name = "onnx-eliminate-redundant-nodes"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        merge_identical_constants(op, weights_of(ctx))
        apply_patterns(ctx, op, redundant_node_patterns(weights_of(ctx)))


def merge_identical_constants(module: ModuleOp, weights: WeightTable | None) -> int:
    """Replaces every `onnx.Constant` whose type and data equal an earlier one's by that
    one (xDSL's cse already merges equal inline attributes; this also compares weights
    held in the table). Data is only read for constants whose type is shared, and then
    only a sample of it (its first and last elements), unless the samples are equal too:
    the conv weights of a ResNet share a few shapes, and hashing all of them each time
    the pass runs cost 0.15 s on ResNet-50. Equal means the same bytes. Returns how many
    merged."""
    by_type: dict[Any, list[ConstantOp]] = {}
    for op in module.walk():
        if isinstance(op, ConstantOp):
            by_type.setdefault(op.output.type, []).append(op)
    merged = 0
    for group in by_type.values():
        if len(group) < 2:
            continue
        by_sample: dict[bytes, list[tuple[ConstantOp, np.ndarray]]] = {}
        for const in group:
            value = known_constant(const.output, weights)
            if value is None:
                continue
            flat = np.ascontiguousarray(value).reshape(-1)
            sample = flat[:_SAMPLE].tobytes() + flat[-_SAMPLE:].tobytes()
            earlier = by_sample.setdefault(sample, [])
            keep = next((k for k, data in earlier if _same_bytes(data, flat)), None)
            if keep is None:
                earlier.append((const, flat))
            elif keep.parent_block() is const.parent_block():
                const.output.replace_all_uses_with(keep.output)
                const.detach()
                const.erase()
                merged += 1
    return merged


_SAMPLE = 16  # elements read from each end of a constant before the whole of it


def _same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """Bitwise equality of two contiguous 1-D arrays of one dtype (NaNs and -0.0 count
    as their bits, as a hash of the bytes would)."""
    return a.shape == b.shape and bool(np.array_equal(a.view(np.uint8), b.view(np.uint8)))
