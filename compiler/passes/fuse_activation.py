"""`onnx-fuse-activation`: folds what follows a Conv / Gemm / MatMul (residual add,
bias add, scalar scale, activation) into one strata.FusedConv / FusedGemm /
FusedMatMul, whose kernel applies it in registers as it stores the result.

Activations (ONNX op -> `activation`, `activation_params`, read from the table of
dialects/strata/activation.py): Relu, Clip (constant bounds -> min, max; an absent bound
is the f32 lowest/highest value, as ONNX defines it), LeakyRelu (alpha), Sigmoid, HardSigmoid (alpha, beta), HardSwish, Tanh,
Gelu (approximate="none" -> Gelu, "tanh" -> GeluTanh), Swish (alpha; what
onnx-recompose-swish makes of x * Sigmoid(x)).

Patterns (each replaces the chain by one fused op at the location (ONNX node name) and
with the result of the LAST op it replaces; result types are kept exactly):

    FuseConvActivation    Conv | FusedConv(no activation) -> act
                          => FusedConv(activation = act)
    FuseConvResidual      Conv | FusedConv(no z, no activation) -> Add(r) or Sum(conv, r),
                          r a non-constant tensor of exactly the Conv result's type
                          => FusedConv(z = r)            (ResNet's residual add)
    FuseGemmActivation    Gemm | FusedGemm(no activation) -> act => FusedGemm
    FuseMatMulScale       MatMul | FusedMatMul(no bias, no activation) -> Mul(s) / Div(s),
                          s a scalar float constant => FusedMatMul(alpha * s or alpha / s)
    FuseMatMulBias        MatMul | FusedMatMul(no bias, no activation) -> Add(constant
                          bias broadcasting to the MatMul result without changing its
                          shape) => FusedMatMul(bias)
    FuseMatMulActivation  MatMul | FusedMatMul(no activation) -> act => FusedMatMul

Exactness: the activation and residual folds are exact (the same float operations in
the same order, applied before the store). Bias and Mul scale are exact in math; a
Div by s becomes a multiplication by the f32-rounded 1/s (within an ulp or so), and two
scales in a row are combined in float64 and rounded once. The Clip of an absent bound
uses ONNX's lowest/highest f32 value, as onnxruntime does.

Does not fire (and logs why with `missed`, visible in `opt-tool --stats`) when:
    - the producer's result has another use, or is a graph output (the unfused value is
      still needed),
    - the element type is not a float,
    - the producer already has an activation (or a bias / residual, where the pattern
      would have to add one before it),
    - a Clip bound is not a constant scalar, or does not fit f32 exactly,
    - the bias is not a constant or would change the result's shape (a [1, M, N] bias
      on an [M, N] MatMul), or the residual is a constant or has another shape/type,
    - the scale is not a scalar float constant, is zero, or the new alpha is not finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from dialects.dtypes import is_float_tensor
from dialects.dtypes import numpy_dtype
from dialects.weights import weights_of
from compiler.passes.constants import PatternWithWeights, finite_float_scalar, known_constant, scale_candidates
from compiler.pattern_log import LoggedPattern, apply_patterns
from dialects.weights import WeightTable
from dialects.onnx.base import (
    float_attr_value,
    keep_attribute_order,
    onnx_attributes,
    unidirectional_broadcastable,
)
from dialects.onnx.elementwise import (
    AddOp,
    MulOp,
    SumOp,
)
from dialects.onnx.linalg import GemmOp, MatMulOp
from dialects.onnx.nn import ConvOp
from dialects.onnx.tensor import ConstantOp
from dialects.strata.activation import (
    ACTIVATIONS,
    Activation,
    ActivationInfo,
    Param,
    activation_for,
    activation_of,
    attribute_param,
)
from dialects.strata.fused import FusedConvOp, FusedGemmOp, FusedMatMulOp

# ---- helpers ----------------------------------------------------------------------------


def _use_problem(value: SSAValue) -> str | None:
    """Why the producer of `value` cannot be folded into its single consumer."""
    if value.has_one_use():
        return None
    if any(isinstance(use.operation, func.ReturnOp) for use in value.uses):
        return "producer result is a graph output"
    return "producer has other uses"


def _f32_exact(value: float) -> bool:
    with np.errstate(over="ignore"):  # a float64 bound past f32's range is the answer "no"
        return bool(np.isfinite(value)) and float(np.float32(value)) == value


@dataclass
class _Activation:
    act: Activation
    params: list[float]
    input: SSAValue


def _operand_param(op: Operation, info: ActivationInfo, param: Param, weights: WeightTable | None) -> float | str:
    """A parameter held by an input of the ONNX op (Clip's bounds) as a float, or the
    reason it cannot be an activation parameter. An absent input means ONNX's default
    (the element type's lowest / highest value, as onnxruntime does)."""
    bound = getattr(op, param.name)
    if bound is None:
        ty = op.operands[0].type
        assert isinstance(ty, TensorType)
        info_f = np.finfo(numpy_dtype(ty.element_type))
        value = float(info_f.min if param.default == "lowest" else info_f.max)
    else:
        array = known_constant(bound, weights)
        if array is None or array.size != 1:
            return f"{info.onnx_op} bounds not constant"
        value = float(array.reshape(()))
    if not _f32_exact(value):
        return f"{info.onnx_op} bound does not fit f32 exactly"
    return value


def _activation(op: Operation, weights: WeightTable | None) -> _Activation | str | None:
    """The fusable activation `op` computes (from the table of
    dialects/strata/activation.py); a reason string when it is an activation that cannot
    be expressed; None when it is not an activation."""
    act = activation_for(op)
    if act is None:
        return None
    info = ACTIVATIONS[act]
    x = op.operands[0]
    if any(p.operand for p in info.params) and not is_float_tensor(x):
        return None  # an integer Clip: its limits are no f32 parameters
    params: list[float] = []
    for param in info.params:
        value = _operand_param(op, info, param, weights) if param.operand else attribute_param(op, param)
        if isinstance(value, str):
            return value
        params.append(value)
    return _Activation(act, params, x)


def _epilogue_props(op: Operation, act: _Activation | None) -> dict[str, Attribute | Activation | list[float]]:
    """`op`'s ONNX attributes (its epilogue too, for a fused op), with `act` as the
    activation when given: keyword arguments for the fused op's typed constructor."""
    props: dict[str, Attribute | Activation | list[float]] = dict(onnx_attributes(op))
    if act is not None:
        props.pop("activation_params", None)
        props["activation"], props["activation_params"] = act.act, act.params
    return props


def _finish(rewriter: PatternRewriter, root: Operation, producer: Operation, fused: Operation) -> None:
    """Replaces `root` (the last op of the chain) by `fused` and removes `producer`."""
    keep_attribute_order(fused, producer)
    fused.location = root.location
    fused.results[0].name_hint = root.results[0].name_hint
    rewriter.replace(root, [fused], [fused.results[0]])
    rewriter.erase(producer)


def _has_activation(op: Operation) -> bool:
    return isinstance(op, (FusedConvOp, FusedGemmOp, FusedMatMulOp)) and activation_of(op)[0] is not Activation.NONE


# ---- activation patterns -----------------------------------------------------------------


class _FuseActivation(PatternWithWeights):
    """Base: act(producer) where the producer is one of ANCHORS."""

    ANCHORS: tuple[type[Operation], ...] = ()

    def build(self, producer: Operation, act: _Activation, result_type: Attribute) -> Operation:
        raise NotImplementedError

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        act = _activation(op, self.weights)
        if act is None:
            return
        value = op.operands[0]
        producer = value.owner
        if not isinstance(producer, self.ANCHORS):
            return
        if isinstance(act, str):
            self.missed(op, act)
            return
        if not is_float_tensor(value):
            self.missed(op, "non-float type")
            return
        if _has_activation(producer):
            self.missed(op, "activation already present")
            return
        problem = _use_problem(value)
        if problem is not None:
            self.missed(op, problem)
            return
        if op.results[0].type != value.type:
            return
        _finish(rewriter, op, producer, self.build(producer, act, op.results[0].type))


def _fused_conv(conv: ConvOp | FusedConvOp, act: _Activation | None, result_type: Attribute, z: SSAValue | None = None) -> FusedConvOp:
    """`conv` as a FusedConv with its attributes and epilogue, `act` and the residual `z`
    (a FusedConv's own z when None)."""
    if z is None and isinstance(conv, FusedConvOp):
        z = conv.z
    return FusedConvOp(conv.x, conv.w, conv.b, z, result_type=result_type, **_epilogue_props(conv, act))  # pyright: ignore[reportArgumentType]


class FuseConvActivation(_FuseActivation):
    """Conv | FusedConv -> act => FusedConv(activation)."""

    ANCHORS = (ConvOp, FusedConvOp)

    def build(self, producer: Operation, act: _Activation, result_type: Attribute) -> Operation:
        assert isinstance(producer, (ConvOp, FusedConvOp))
        return _fused_conv(producer, act, result_type)


class FuseGemmActivation(_FuseActivation):
    """Gemm | FusedGemm -> act => FusedGemm(activation)."""

    ANCHORS = (GemmOp, FusedGemmOp)

    def build(self, producer: Operation, act: _Activation, result_type: Attribute) -> Operation:
        assert isinstance(producer, (GemmOp, FusedGemmOp))
        props = _epilogue_props(producer, act)
        return FusedGemmOp(producer.a, producer.b, producer.c, result_type=result_type, **props)  # pyright: ignore[reportArgumentType]


def _matmul_op(producer: MatMulOp | FusedMatMulOp, props: dict, bias: SSAValue | None, result_type: Attribute) -> FusedMatMulOp:
    if bias is None and isinstance(producer, FusedMatMulOp):
        bias = producer.bias
    return FusedMatMulOp(producer.a, producer.b, bias, result_type=result_type, **props)


class FuseMatMulActivation(_FuseActivation):
    """MatMul | FusedMatMul -> act => FusedMatMul(activation)."""

    ANCHORS = (MatMulOp, FusedMatMulOp)

    def build(self, producer: Operation, act: _Activation, result_type: Attribute) -> Operation:
        assert isinstance(producer, (MatMulOp, FusedMatMulOp))
        return _matmul_op(producer, _epilogue_props(producer, act), None, result_type)


# ---- residual, bias and scale patterns ---------------------------------------------------


class FuseConvResidual(LoggedPattern):
    """Conv | FusedConv(no z, no activation) -> Add(r) / Sum(conv, r) => FusedConv(z = r)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, AddOp):
            pair = (op.a, op.b)
        elif isinstance(op, SumOp) and len(op.data_0) == 2:
            pair = tuple(op.data_0)
        else:
            return
        result = op.results[0]
        reasons: list[str] = []
        for y, r in (pair, pair[::-1]):
            conv = y.owner
            if not isinstance(conv, (ConvOp, FusedConvOp)):
                continue
            if not is_float_tensor(y):
                reasons.append("non-float type")
            elif isinstance(conv, FusedConvOp) and (conv.z is not None or _has_activation(conv)):
                reasons.append("residual or activation already present")
            elif isinstance(r.owner, ConstantOp):
                reasons.append("residual is a constant (a bias, not a residual)")
            elif r.type != y.type or result.type != y.type:
                reasons.append("residual does not have the Conv result's exact type")
            elif r is y:
                reasons.append("producer has other uses")
            elif (problem := _use_problem(y)) is not None:
                reasons.append(problem)
            else:
                fused = _fused_conv(conv, None, result.type, z=r)
                _finish(rewriter, op, conv, fused)
                return
        if reasons:
            self.missed(op, reasons[0])


def _matmul_producer(value: SSAValue) -> MatMulOp | FusedMatMulOp | None:
    owner = value.owner
    return owner if isinstance(owner, (MatMulOp, FusedMatMulOp)) else None


def _matmul_problem(mm: MatMulOp | FusedMatMulOp, value: SSAValue, what: str) -> str | None:
    """Why a bias or scale cannot be folded into `mm` (None: it can)."""
    if not is_float_tensor(value):
        return "non-float type"
    if isinstance(mm, FusedMatMulOp):
        if _has_activation(mm):
            return "activation already present"
        if mm.bias is not None:
            return f"bias already present (the {what} would have to come first)"
    return _use_problem(value)


class FuseMatMulBias(PatternWithWeights):
    """MatMul | FusedMatMul(no bias, no activation) -> Add(constant bias) => FusedMatMul(bias)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, AddOp):
            return
        reasons: list[str] = []
        for y, bias in ((op.a, op.b), (op.b, op.a)):
            mm = _matmul_producer(y)
            if mm is None:
                continue
            y_ty, b_ty = y.type, bias.type
            assert isinstance(y_ty, TensorType) and isinstance(b_ty, TensorType)
            problem = _matmul_problem(mm, y, "bias")
            if problem is None and known_constant(bias, self.weights) is None:
                problem = "bias is not a constant"
            if problem is None and (
                op.c.type != y_ty
                or b_ty.element_type != y_ty.element_type
                or not unidirectional_broadcastable(tuple(b_ty.get_shape()), tuple(y_ty.get_shape()))
            ):
                problem = "shape-changing bias"
            if problem is not None:
                reasons.append(problem)
                continue
            _finish(rewriter, op, mm, _matmul_op(mm, _epilogue_props(mm, None), bias, op.c.type))
            return
        if reasons:
            self.missed(op, reasons[0])


class FuseMatMulScale(PatternWithWeights):
    """MatMul | FusedMatMul(no bias, no activation) -> Mul(s) / Div(s), s a scalar float
    constant => FusedMatMul(alpha * s or alpha / s)."""

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        candidates = scale_candidates(op)
        reasons: list[str] = []
        for y, s_value in candidates:
            mm = _matmul_producer(y)
            if mm is None:
                continue
            problem = _matmul_problem(mm, y, "scale")
            s = finite_float_scalar(s_value, self.weights)
            if problem is None and s is None:
                problem = "scale is not a finite nonzero scalar float constant"
            if problem is None and op.results[0].type != y.type:
                problem = "scale changes the result type"
            if problem is not None:
                reasons.append(problem)
                continue
            assert s is not None
            alpha = float_attr_value(mm.alpha) if isinstance(mm, FusedMatMulOp) else None
            alpha = 1.0 if alpha is None else alpha
            new_alpha = alpha * s if isinstance(op, MulOp) else alpha / s
            with np.errstate(over="ignore", under="ignore"):
                rounded = float(np.float32(new_alpha))
            if not np.isfinite(rounded) or rounded == 0.0:
                reasons.append("new alpha is not finite")
                continue
            props = _epilogue_props(mm, None)
            props["alpha"] = rounded
            _finish(rewriter, op, mm, _matmul_op(mm, props, None, op.results[0].type))
            return
        if reasons:
            self.missed(op, reasons[0])


# ---- the pass ----------------------------------------------------------------------------


def fuse_activation_patterns(weights: WeightTable | None) -> list[RewritePattern]:
    return [
        FuseConvResidual(),
        FuseConvActivation(weights),
        FuseGemmActivation(weights),
        FuseMatMulScale(weights),
        FuseMatMulBias(weights),
        FuseMatMulActivation(weights),
    ]


@dataclass(frozen=True)
class FuseActivationPass(ModulePass):
    """Folds residual adds, bias adds, scalar scales and activations after Conv / Gemm /
    MatMul into strata.FusedConv / FusedGemm / FusedMatMul (see the module docstring)."""

    name = "onnx-fuse-activation"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        apply_patterns(ctx, op, fuse_activation_patterns(weights_of(ctx)))
