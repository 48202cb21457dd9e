"""`onnx-fuse-gemm`: forms `onnx.Gemm` from 2-D MatMul and the ops around it.

One RewritePattern per root op, applied greedily to a fixpoint with the walk removing
ops left without uses (an old MatMul, a Transpose nothing else reads), so a chain
MatMul(Transpose(X), W) -> Add(b) -> Mul(s) becomes one Gemm(X, W, b, transA=1,
alpha=s, beta=s).

Patterns (A, B, Y 2-D float tensors, Y = [M, N]):

    MatMul(A, B) -> Add(bias) (either operand order), bias broadcasting
        unidirectionally to [M, N] ([N], [1, N], [M, 1], [M, N], scalars):
        Gemm(A, B, bias) (alpha = beta = 1).
        Also a Gemm without C -> Add(bias): Gemm(A, B, bias, beta = 1), alpha and
        transA/transB kept (so the order in which the patterns fire does not matter).
    MatMul(A, B) / Gemm(A, B, C?) with A and/or B an `onnx.Transpose` with perm [1, 0]
        (or no perm, the reverse of 2 dims): Gemm reading the Transpose's input with
        transA / transB toggled (MatMul becomes a Gemm without C). The Transpose is not
        required to have one use: it stays when something else reads it.
    MatMul / Gemm result -> Mul(s) (either order) or Div(s) (result / s only), s a
        float constant of shape [] or [1]: Gemm with alpha * s (alpha / s), and, when C
        is present, beta * s (beta / s).

The new Gemm takes the location (ONNX node name) and result name of the op whose value
it replaces (the Add, the Mul/Div, or the MatMul/Gemm itself for the Transpose fold).

Exactness:
    - the Transpose fold is exact in math (the same products and sums; it only changes
      which kernel reads the operand);
    - MatMul + Add -> Gemm is exact in math but the runtime may add the bias at a
      different point of the accumulation, so it is compared at 1e-5;
    - the scale fold is NOT bit-exact: the new alpha/beta are computed in float64 and
      rounded to f32 (an attribute), Div becomes a multiplication by alpha / s, and with
      C present (alpha * A@B + beta * C) * s is distributed; tested at 1e-5 relative.

Does not fire when:
    - the MatMul is batched (an operand of rank other than 2) or 1-D,
    - the element type is not a float (Gemm is used for floats only here),
    - the MatMul / Gemm result has another use (the Add / Mul / Div patterns; a
      returned value counts as a use), or the Gemm already has C (the Add pattern),
    - the bias does not broadcast unidirectionally to [M, N], or the Add / Mul / Div
      result type differs from the MatMul result type (e.g. a [1, M, N] bias),
    - the scale is not an `onnx.Constant` (or its data is not available), is not a
      single float element, is zero, or gives a zero or non-finite alpha / beta (so a
      Gemm with beta = 0 is left alone); the constant is the divisor (s / Y),
    - the Transpose's perm is not [1, 0].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import FloatAttr, ModuleOp, TensorType
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
from compiler.passes.constants import PatternWithWeights, finite_float_scalar, scale_candidates
from dialects.weights import WeightTable
from dialects.onnx.base import element_kind, float_attr_value, int_attr_value, unidirectional_broadcastable
from dialects.onnx.elementwise import AddOp, MulOp
from dialects.onnx.linalg import GemmOp, MatMulOp
from dialects.onnx.tensor import TransposeOp

# ---- helpers ----------------------------------------------------------------------------


def _is_float_2d(value: SSAValue) -> bool:
    ty = value.type
    shape = static_shape(value)
    if not isinstance(ty, TensorType) or shape is None or len(shape) != 2:
        return False
    return element_kind(ty.element_type) == "float"


def _is_2d_matmul(op: Operation | None) -> bool:
    """A float MatMul with 2-D operands (so it is a Gemm without C)."""
    return isinstance(op, MatMulOp) and _is_float_2d(op.a) and _is_float_2d(op.b) and _is_float_2d(op.y)


def _is_2d_gemm(op: Operation | None) -> bool:
    return isinstance(op, GemmOp) and _is_float_2d(op.a) and _is_float_2d(op.b) and _is_float_2d(op.y)


@dataclass
class _GemmParts:
    """A MatMul or Gemm seen as Gemm(a, b, c?, alpha, beta, transA, transB)."""

    op: MatMulOp | GemmOp
    a: SSAValue
    b: SSAValue
    c: SSAValue | None
    alpha: float
    beta: float
    trans_a: int
    trans_b: int


def _float_or(attr: FloatAttr | None, default: float) -> float:
    value = float_attr_value(attr)
    return default if value is None else value


def _gemm_parts(op: Operation | None) -> _GemmParts | None:
    if _is_2d_matmul(op):
        assert isinstance(op, MatMulOp)
        return _GemmParts(op, op.a, op.b, None, 1.0, 1.0, 0, 0)
    if _is_2d_gemm(op):
        assert isinstance(op, GemmOp)
        return _GemmParts(
            op,
            op.a,
            op.b,
            op.c,
            _float_or(op.alpha, 1.0),
            _float_or(op.beta, 1.0),
            int_attr_value(op.transA) or 0,
            int_attr_value(op.transB) or 0,
        )
    return None


def _build_gemm(parts: _GemmParts, replaced: Operation) -> GemmOp:
    """The Gemm for `parts` at `replaced`'s location, named like its result. Properties
    equal to the ONNX default are left out."""
    gemm = GemmOp(
        parts.a,
        parts.b,
        parts.c,
        alpha=parts.alpha if parts.alpha != 1.0 else None,
        beta=parts.beta if parts.beta != 1.0 and parts.c is not None else None,
        transA=1 if parts.trans_a else None,
        transB=1 if parts.trans_b else None,
    )
    gemm.location = replaced.location
    gemm.y.name_hint = replaced.results[0].name_hint
    return gemm


def _transposed_2d(value: SSAValue) -> SSAValue | None:
    """X when `value` is Transpose(X) with perm [1, 0]."""
    op = value.owner
    if not isinstance(op, TransposeOp):
        return None
    shape = static_shape(op.data)
    if shape is None or len(shape) != 2 or op.effective_perm() != [1, 0]:
        return None
    return op.data


def _as_f32(value: float) -> float | None:
    """`value` rounded to an f32 attribute value; None when not finite or zero."""
    with np.errstate(over="ignore", invalid="ignore"):
        rounded = float(np.float32(value))
    return rounded if np.isfinite(rounded) and rounded != 0.0 else None


# ---- patterns ----------------------------------------------------------------------------


class FuseMatMulAdd(RewritePattern):
    """MatMul(A, B) + bias -> Gemm(A, B, bias); Gemm(A, B) (no C) + bias ->
    Gemm(A, B, bias, beta = 1)."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: AddOp, rewriter: PatternRewriter) -> None:
        for y, bias in ((op.a, op.b), (op.b, op.a)):
            parts = _gemm_parts(y.owner)
            if parts is None or parts.c is not None or not y.has_one_use() or op.c.type != y.type:
                continue
            bias_shape = static_shape(bias)
            bias_ty = bias.type
            y_ty = y.type
            assert isinstance(y_ty, TensorType)
            if bias_shape is None or not isinstance(bias_ty, TensorType) or bias_ty.element_type != y_ty.element_type:
                continue
            if not unidirectional_broadcastable(bias_shape, tuple(y_ty.get_shape())):
                continue
            parts.c, parts.beta = bias, 1.0
            gemm = _build_gemm(parts, op)
            rewriter.replace(op, [gemm], [gemm.y])
            rewriter.erase(parts.op)
            return


class FoldTransposeIntoGemm(RewritePattern):
    """MatMul / Gemm reading Transpose(X, perm [1, 0]) -> Gemm reading X with transA /
    transB toggled."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, (MatMulOp, GemmOp)):
            return
        parts = _gemm_parts(op)
        if parts is None:
            return
        xa, xb = _transposed_2d(parts.a), _transposed_2d(parts.b)
        if xa is None and xb is None:
            return
        if xa is not None:
            parts.a, parts.trans_a = xa, 1 - parts.trans_a
        if xb is not None:
            parts.b, parts.trans_b = xb, 1 - parts.trans_b
        gemm = _build_gemm(parts, op)
        rewriter.replace(op, [gemm], [gemm.y])


class FoldScaleIntoGemm(PatternWithWeights):
    """MatMul / Gemm result * s (or / s), s a scalar float constant -> Gemm with
    alpha * s (and beta * s when C is present)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        candidates = scale_candidates(op)
        for y, s_value in candidates:
            parts = _gemm_parts(y.owner)
            if parts is None or not y.has_one_use() or op.c.type != y.type:
                continue
            s = finite_float_scalar(s_value, self.weights)
            if s is None:
                continue
            factor = s if isinstance(op, MulOp) else 1.0 / s
            alpha = _as_f32(parts.alpha * factor)
            beta = _as_f32(parts.beta * factor) if parts.c is not None else parts.beta
            if alpha is None or beta is None:
                continue
            parts.alpha, parts.beta = alpha, beta
            gemm = _build_gemm(parts, op)
            rewriter.replace(op, [gemm], [gemm.y])
            rewriter.erase(parts.op)
            return


# ---- the pass ----------------------------------------------------------------------------


def fuse_gemm_patterns(weights: WeightTable | None) -> list[RewritePattern]:
    return [FoldTransposeIntoGemm(), FuseMatMulAdd(), FoldScaleIntoGemm(weights)]


@dataclass(frozen=True)
class FuseGemmPass(ModulePass):
    """Forms Gemm from 2-D MatMul + bias Add, folds [1, 0] Transposes into transA /
    transB and scalar Mul / Div into alpha / beta (see the module docstring)."""

    name = "onnx-fuse-gemm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(ctx, op, fuse_gemm_patterns(weights_of(ctx)))
