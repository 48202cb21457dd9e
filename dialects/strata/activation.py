"""The activations a fused op applies to its result before storing it: one enum and one
table, read by every layer that deals with them.

The epilogue of strata.FusedConv / FusedGemm / FusedMatMul (dialects/strata/fused.py)
and strata.ConvNCHWc / DepthwiseConvNCHWc (dialects/strata/layout.py) is the property
pair `activation` (a StringAttr holding an `Activation` value, "" = none) and
`activation_params` (a DenseArray of f32, one value per `Param` of the table entry, in
the table's order), as in onnxruntime's com.microsoft.FusedConv.

Per activation, `ACTIVATIONS` says what ONNX op it stands for (the op type, the fixed
attribute values that select it, e.g. Gelu's approximate="tanh"), where each parameter
comes from in that op (an attribute or a constant input, with ONNX's default), whether
the blocked (NCHWc) conv kernel implements it, and from which opset on ONNX has the op
(an export to an older opset needs a decomposition). Readers:

    onnx-fuse-activation (compiler/passes/fuse_activation.py)   ONNX op -> activation
    onnx-layout-nchwc (compiler/passes/layout_nchwc.py)         `blocked`
    ONNX export (compiler/onnx_export.py)                       activation -> ONNX nodes
    LLVM epilogue bodies (lowering/kernels/activation.py)       keyed by `Activation`
    Triton epilogue expressions (lowering/triton_kernels/bodies.py), keyed by `Activation`

The back ends keep their own code per activation (a scalar IR body, a Triton
expression) in tables keyed by this enum; tests/test_activation_table.py checks that
each covers every member.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from xdsl.dialects.builtin import StringAttr
from xdsl.ir import Attribute, Operation

from dialects.onnx.base import fail, float_attr_value, floats_value, make_floats, str_attr_value


class Activation(enum.StrEnum):
    """An epilogue activation; the value is what the `activation` property holds."""

    NONE = ""
    RELU = "Relu"
    CLIP = "Clip"
    LEAKY_RELU = "LeakyRelu"
    SIGMOID = "Sigmoid"
    HARD_SIGMOID = "HardSigmoid"
    HARD_SWISH = "HardSwish"
    TANH = "Tanh"
    GELU = "Gelu"
    GELU_TANH = "GeluTanh"
    SWISH = "Swish"  # x * sigmoid(alpha * x); alpha = 1 is SiLU, 1.702 QuickGelu


@dataclass(frozen=True)
class Param:
    """One f32 parameter of an activation, and where the ONNX op holds it."""

    name: str  # the ONNX attribute ("alpha") or input ("min") it comes from
    # ONNX's value when absent: a number, or "lowest" / "highest" (of the element type)
    default: float | str
    operand: bool = False  # an ONNX input (Clip's bounds), not an attribute


@dataclass(frozen=True)
class Selector:
    """A string attribute of the ONNX op whose value picks this activation among the
    activations of one op type (Gelu's approximate)."""

    name: str
    value: str
    default: str  # ONNX's value when absent


@dataclass(frozen=True)
class ActivationInfo:
    onnx_op: str  # the ONNX op type it stands for
    params: tuple[Param, ...] = ()
    selectors: tuple[Selector, ...] = ()
    blocked: bool = True  # strata.ConvNCHWc's kernel implements it
    since_opset: int = 1  # the first opset with `onnx_op`
    # a further rule on the parameter values: the reason they are invalid, or None
    check: Callable[[Sequence[float]], str | None] | None = None


def _clip_check(params: Sequence[float]) -> str | None:
    return None if params[0] <= params[1] else f"Clip activation_params min {params[0]} > max {params[1]}"


ACTIVATIONS: dict[Activation, ActivationInfo] = {
    Activation.RELU: ActivationInfo("Relu"),
    Activation.CLIP: ActivationInfo(
        "Clip", (Param("min", "lowest", operand=True), Param("max", "highest", operand=True)), check=_clip_check
    ),
    Activation.LEAKY_RELU: ActivationInfo("LeakyRelu", (Param("alpha", 0.01),)),
    Activation.SIGMOID: ActivationInfo("Sigmoid"),
    Activation.HARD_SIGMOID: ActivationInfo("HardSigmoid", (Param("alpha", 0.2), Param("beta", 0.5))),
    Activation.HARD_SWISH: ActivationInfo("HardSwish", since_opset=14),
    Activation.TANH: ActivationInfo("Tanh"),
    Activation.GELU: ActivationInfo("Gelu", selectors=(Selector("approximate", "none", "none"),), blocked=False, since_opset=20),
    Activation.GELU_TANH: ActivationInfo("Gelu", selectors=(Selector("approximate", "tanh", "none"),), blocked=False, since_opset=20),
    Activation.SWISH: ActivationInfo("Swish", (Param("alpha", 1.0),), since_opset=24),
}
"""Every activation but NONE (tests/test_activation_table.py checks the keys)."""

_BY_ONNX_OP: dict[str, list[Activation]] = {}
for _act, _info in ACTIVATIONS.items():
    _BY_ONNX_OP.setdefault("onnx." + _info.onnx_op, []).append(_act)


def param_count(act: Activation) -> int:
    return 0 if act is Activation.NONE else len(ACTIVATIONS[act].params)


def is_blocked(act: Activation) -> bool:
    """The blocked conv kernels (strata.ConvNCHWc, DepthwiseConvNCHWc) implement `act`."""
    return act is Activation.NONE or ACTIVATIONS[act].blocked


def activation_for(op: Operation) -> Activation | None:
    """The activation an `onnx` op computes (its parameters aside), None when it is not
    one of the table's."""
    for act in _BY_ONNX_OP.get(op.name, ()):
        if all((str_attr_value(op.properties.get(s.name)) or s.default) == s.value for s in ACTIVATIONS[act].selectors):
            return act
    return None


def attribute_param(op: Operation, param: Param) -> float:
    """The value of an attribute parameter on its `onnx` op (ONNX's default when absent)."""
    assert not param.operand and isinstance(param.default, float), param
    value = float_attr_value(op.properties.get(param.name))
    return param.default if value is None else value


def activation_props(act: Activation, params: Sequence[float]) -> dict[str, Attribute]:
    """The epilogue properties of a fused op computing `act` with `params` (none for
    Activation.NONE; no `activation_params` when there are no parameters)."""
    if act is Activation.NONE:
        return {}
    props: dict[str, Attribute] = {"activation": StringAttr(act.value)}
    if params:
        props["activation_params"] = make_floats(params)
    return props


def epilogue_props(
    activation: Activation | Attribute | None, activation_params: Sequence[float] | Attribute | None
) -> dict[str, Attribute]:
    """The epilogue properties a typed constructor of a fused op sets: an `Activation`
    with its parameters (as `activation_props`), or the attributes of another op's
    epilogue copied as they are (None: absent)."""
    if isinstance(activation, Activation):
        assert not isinstance(activation_params, Attribute)
        return activation_props(activation, list(activation_params or ()))
    props: dict[str, Attribute] = {}
    if activation is not None:
        props["activation"] = activation
    if activation_params is not None:
        assert isinstance(activation_params, Attribute)
        props["activation_params"] = activation_params
    return props


def activation_of(op: Operation) -> tuple[Activation, list[float]]:
    """(activation, its parameters) of a fused op; call after the op verified."""
    return Activation(str_attr_value(op.properties.get("activation")) or ""), floats_value(op.properties.get("activation_params")) or []


def verify_activation(op: Operation) -> None:
    """The `activation` property names a table entry and `activation_params` has its
    parameter count (and passes its check)."""
    name = str_attr_value(op.properties.get("activation")) or ""
    params = floats_value(op.properties.get("activation_params")) or []
    try:
        act = Activation(name)
    except ValueError:
        known = ", ".join(repr(a.value) for a in Activation)
        raise fail(op, f"unknown activation {name!r}; expected one of {known}") from None
    want = param_count(act)
    if len(params) != want:
        raise fail(op, f"activation {name!r} takes {want} activation_params, got {len(params)}")
    check = ACTIVATIONS[act].check if act is not Activation.NONE else None
    if check is not None and (problem := check(params)) is not None:
        raise fail(op, problem)
