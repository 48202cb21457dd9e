"""`onnx-fuse-pad`: folds an explicit Pad into the `pads` of the Conv / pooling op that
reads it, so the padded tensor is never materialized (the window kernels skip padding
taps instead of reading zeros).

Patterns (P = Pad(data, pads, value?, axes?) in mode "constant", pads constant,
non-negative, and zero on the batch and channel axes; the consumer has auto_pad NOTSET;
its new pads are its old pads plus P's spatial pads):

    FusePadIntoConv         P with value 0 (or absent) -> Conv | strata.FusedConv
                            => Conv(data, pads + P)                      exact
    FusePadIntoAveragePool  P with value 0 -> AveragePool(count_include_pad = 1,
                            ceil_mode = 0) => AveragePool(data, pads + P) exact: the
                            padded zeros are counted either way
    FusePadIntoMaxPool      P with value -inf -> MaxPool(ceil_mode = 0, no Indices
                            output) => MaxPool(data, pads + P)          exact: padding
                            taps are skipped, as -inf never wins a max

The rewritten consumer keeps its location (ONNX node name), result and result type
(the output size is computed from the same padded extent). The Pad itself stays when
something else still reads it.

Does not fire (logged with `missed`) when:
    - the Pad mode is reflect / edge / wrap, or pads / axes / the pad value are not
      constants, or a pad is negative (a crop), or the batch / channel axes are padded,
    - the pad value is not 0 (Conv, AveragePool) or not -inf (MaxPool: a 0 pad would
      win the max of an all-negative window, so it is not the same as pool padding),
    - the consumer's auto_pad is not NOTSET,
    - AveragePool has count_include_pad = 0 (the padded zeros would stop being counted),
    - a pool has ceil_mode = 1 (a last window that starts in the padded zeros is kept,
      but one that starts in pool padding is dropped: the output shape could change),
    - MaxPool has an Indices output (indices would refer to the unpadded tensor),
    - a pool's total pads would reach its kernel size (onnxruntime rejects pads >= kernel).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from dialects.weights import weights_of
from compiler.passes.constants import PatternWithWeights, known_constant
from compiler.pattern_log import apply_patterns
from dialects.weights import WeightTable
from dialects.onnx.base import int_attr_value, ints_value, make_ints, str_attr_value
from dialects.onnx.nn import AveragePoolOp, ConvOp, MaxPoolOp, WindowOp
from dialects.onnx.tensor import PadOp
from dialects.strata.fused import FusedConvOp


def _pad_amounts(pad: PadOp, weights: WeightTable | None) -> tuple[list[int], list[int]] | str:
    """Per axis of the data, (begins, ends) of a constant Pad, or why it is not one."""
    mode = str_attr_value(pad.mode) or "constant"
    if mode != "constant":
        return f"Pad mode is {mode}"
    pads = known_constant(pad.pads, weights)
    if pads is None:
        return "Pad pads not constant"
    ty = pad.data.type
    assert isinstance(ty, TensorType)
    rank = ty.get_num_dims()
    if pad.axes is None:
        axes = list(range(rank))
    else:
        axes_value = known_constant(pad.axes, weights)
        if axes_value is None:
            return "Pad axes not constant"
        axes = [int(a) % rank for a in axes_value.reshape(-1)]
    flat = [int(p) for p in pads.reshape(-1)]
    if len(flat) != 2 * len(axes):
        return "Pad pads do not match its axes"
    begins, ends = [0] * rank, [0] * rank
    for i, axis in enumerate(axes):
        begins[axis] += flat[i]
        ends[axis] += flat[i + len(axes)]
    if any(p < 0 for p in begins + ends):
        return "negative pads (a crop)"
    if begins[0] or ends[0] or (rank > 1 and (begins[1] or ends[1])):
        return "pads on the batch or channel axis"
    return begins, ends


def _pad_value(pad: PadOp, weights: WeightTable | None) -> float | None:
    """The constant pad value (0 when absent); None when it is not a constant."""
    if pad.constant_value is None:
        return 0.0
    value = known_constant(pad.constant_value, weights)
    if value is None or value.size != 1:
        return None
    return float(value.reshape(()))


class _FusePadInto(PatternWithWeights):
    """Base: a window op (CONSUMERS) whose X is a Pad."""

    CONSUMERS: tuple[type[WindowOp], ...] = ()

    def value_problem(self, value: float | None) -> str | None:
        if value is None:
            return "pad value not constant"
        return None if value == 0.0 else "pad value is not 0"

    def consumer_problem(self, op: WindowOp) -> str | None:
        return None

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, self.CONSUMERS):
            return
        pad = op.operands[0].owner
        if not isinstance(pad, PadOp):
            return
        problem = self.value_problem(_pad_value(pad, self.weights))
        amounts = _pad_amounts(pad, self.weights)
        if problem is None and isinstance(amounts, str):
            problem = amounts
        if problem is None and op.effective_auto_pad() != "NOTSET":
            problem = f"auto_pad is {op.effective_auto_pad()}"
        if problem is None:
            problem = self.consumer_problem(op)
        if problem is not None:
            self.missed(op, problem)
            return
        assert not isinstance(amounts, str)
        begins, ends = amounts
        n = op.spatial_rank()
        old = ints_value(op.pads) or [0] * (2 * n)
        new = [old[d] + begins[2 + d] for d in range(n)] + [old[n + d] + ends[2 + d] for d in range(n)]
        if isinstance(op, (AveragePoolOp, MaxPoolOp)):
            kernel = op.effective_kernel_shape()
            if any(new[d] >= kernel[d] or new[n + d] >= kernel[d] for d in range(n)):
                self.missed(op, "pads would reach the kernel size")
                return
        fused = op.clone()
        fused.properties["pads"] = make_ints(new)
        fused.operands = [pad.data, *op.operands[1:]]
        fused.results[0].name_hint = op.results[0].name_hint
        rewriter.replace(op, [fused], list(fused.results))


class FusePadIntoConv(_FusePadInto):
    """Pad(0) -> Conv | FusedConv => Conv with the pads added."""

    CONSUMERS = (ConvOp, FusedConvOp)


class FusePadIntoAveragePool(_FusePadInto):
    """Pad(0) -> AveragePool(count_include_pad = 1) => AveragePool with the pads added."""

    CONSUMERS = (AveragePoolOp,)

    def consumer_problem(self, op: WindowOp) -> str | None:
        assert isinstance(op, AveragePoolOp)
        if not int_attr_value(op.count_include_pad):
            return "count_include_pad is 0"
        if int_attr_value(op.ceil_mode):
            return "ceil_mode is 1"
        return None


class FusePadIntoMaxPool(_FusePadInto):
    """Pad(-inf) -> MaxPool => MaxPool with the pads added."""

    CONSUMERS = (MaxPoolOp,)

    def value_problem(self, value: float | None) -> str | None:
        if value is None:
            return "pad value not constant"
        return None if value == -np.inf else "pad value is not -inf"

    def consumer_problem(self, op: WindowOp) -> str | None:
        assert isinstance(op, MaxPoolOp)
        if op.indices is not None:
            return "MaxPool has an Indices output"
        if int_attr_value(op.ceil_mode):
            return "ceil_mode is 1"
        return None


def fuse_pad_patterns(weights: WeightTable | None) -> list[RewritePattern]:
    return [FusePadIntoConv(weights), FusePadIntoAveragePool(weights), FusePadIntoMaxPool(weights)]


@dataclass(frozen=True)
class FusePadPass(ModulePass):
    """Folds constant zero (or, for MaxPool, -inf) Pads into the pads of the Conv /
    pooling op that reads them (see the module docstring)."""

    name = "onnx-fuse-pad"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(ctx, op, fuse_pad_patterns(weights_of(ctx)))
