"""Blocked-layout (NCHWc) ops of the layout level (`onnx-layout-nchwc`).

A blocked tensor holds an NCHW tensor [N, C, H, W] as [N, ceil(C/c), H, W, c]: channel
k lives at block k // c, lane k % c, so the c channels of a block are contiguous. The
block c is one vector of f32 on the target (CpuTarget.nchwc_block in lowering/target.py):
8 with AVX2, 16 with AVX-512 (as onnxruntime's MLAS blocks); a blocked type carries it as
its last dim, and every op checks that its blocked operands and results agree on it
(BLOCKS lists the ones allowed). Lanes past C (when C is not a multiple of c) are padding:
ReorderToBlocked writes zeros there, every blocked op keeps them finite, and the
blocked weights of padded input channels are zero, so padding never reaches a real
channel. Elementwise ops need no blocked form: an `onnx.Relu`/`onnx.Add` on two tensors
blocked the same way is already correct on the 5-D tensors (a per-channel constant is
reordered to [Cb, 1, 1, c]).

Below, 8 stands for the block c.

Ops (compiler/onnx_export.py writes each as standard ONNX nodes, exactly: the same
arithmetic on the padded channels, then the padding is sliced off):

    strata.ReorderToBlocked    x [N, C, d...]           -> y [N, Cb, d..., 8] (zero padded)
    strata.ReorderFromBlocked  x [N, Cb, d..., 8]       -> y [N, C, d...] (padding dropped)
    strata.ConvNCHWc           x [N, Cb, H, W, 8] or [N, C, H, W], w [Mb, ICB, KH, KW, ICL, 8],
                               b [Mb*8]?, z [N, Mb, OH, OW, 8]? -> y [N, Mb, OH, OW, 8]
                               y = act(conv(x, w) + b + z); ICL = 8 for a blocked x, 1 for
                               an NCHW x (then ICB = C); pads are explicit (no auto_pad);
                               optional group_channels [Cg, Mg]: W is a grouped conv's
                               block-diagonal dense form (see ConvNCHWcOp)
    strata.DepthwiseConvNCHWc  x [N, Cb, H, W, 8], w [Cb, KH, KW, 8], b [Cb*8]?, z? -> y
                               [N, Cb, OH, OW, 8]: group = C = M, lane l of block cb is
                               channel cb*8+l in x, w and y alike
    strata.ChannelShuffleNCHWc x [N, Cb, H, W, 8] -> y (same type): ShuffleNet's channel
                               shuffle of C (a multiple of 8) channels in `group` groups
    strata.MaxPoolNCHWc / strata.AveragePoolNCHWc / strata.GlobalAveragePoolNCHWc
                               2-D pooling on blocked tensors, explicit pads

`activation`/`activation_params` are those of strata.FusedConv (dialects/strata/fused.py);
the blocked conv kernels implement the activations whose table entry says `blocked`
(dialects/strata/activation.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, TensorType
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    VarConstraint,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    prop_def,
    result_def,
    traits_def,
)

from dialects.onnx.base import (
    ANY_TYPES,
    FLOAT_TYPES,
    expect_rank,
    fail,
    floats_prop,
    int_prop,
    ints_prop,
    ints_value,
    onnx_properties,
    shape_of,
    str_prop,
    tensor_of,
)
from dialects.onnx.traits import ChannelBlocked, Convolution, FusionAnchor, Pooling, SlidingWindow
from dialects.strata.base import StrataOp, upper_names
from dialects.strata.activation import Activation, epilogue_props, verify_activation

# The channel blocks a blocked tensor may have (its last dim): one f32 vector of AVX2 or
# of AVX-512.
BLOCKS = (8, 16)


def blocks(channels: int, block: int) -> int:
    return -(-channels // block)


def block_of(value: SSAValue) -> int:
    """The channel block of a blocked value: its last dim."""
    ty = value.type
    assert isinstance(ty, TensorType), ty
    return ty.get_shape()[-1]


def blocked_type(ty: Attribute, block: int) -> TensorType:
    """The blocked type [N, ceil(C/block), d..., block] of an NCHW tensor type [N, C, d...]."""
    assert isinstance(ty, TensorType), ty
    shape = list(ty.get_shape())
    return TensorType(ty.element_type, [shape[0], blocks(shape[1], block), *shape[2:], block])


def _expect_blocked(op, value, what: str, rank: int, block: int | None = None) -> tuple[int, ...]:
    """`value`'s shape, checked to be of `rank` and blocked: by `block`, or by one of
    BLOCKS when None."""
    expect_rank(op, value, what, rank)
    shape = shape_of(op, value, what)
    if block is not None and shape[-1] != block:
        raise fail(op, f"{what} must be blocked by {block} in its last dim, got {value.type}")
    if shape[-1] not in BLOCKS:
        raise fail(op, f"{what} must be blocked by one of {', '.join(map(str, BLOCKS))} in its last dim, got {value.type}")
    return shape


# ---- reorders -----------------------------------------------------------------------------


@irdl_op_definition
class ReorderToBlockedOp(StrataOp):
    """[N, C, d...] -> [N, ceil(C/8), d..., 8], padding lanes zero."""

    name = "strata.ReorderToBlocked"
    traits = traits_def(ChannelBlocked())

    def __init__(self, x: SSAValue, block: int) -> None:
        super().__init__(operands=[x], result_types=[blocked_type(x.type, block)])

    FORMAL_NAMES: ClassVar = upper_names("x", "y")

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    def verify_(self) -> None:
        sx = shape_of(self, self.x, "X")
        if len(sx) < 3:
            raise fail(self, f"X must have rank >= 3, got {self.x.type}")
        block = _expect_blocked(self, self.y, "Y", len(sx) + 1)[-1]
        want = (sx[0], blocks(sx[1], block), *sx[2:], block)
        if shape_of(self, self.y, "Y") != want:
            raise fail(self, f"Y must have shape {list(want)} for X {list(sx)}, got {self.y.type}")


@irdl_op_definition
class ReorderFromBlockedOp(StrataOp):
    """[N, Cb, d..., 8] -> [N, C, d...] with (Cb - 1) * 8 < C <= Cb * 8."""

    name = "strata.ReorderFromBlocked"
    traits = traits_def(ChannelBlocked())

    FORMAL_NAMES: ClassVar = upper_names("x", "y")

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    def __init__(self, x: SSAValue, result_type: Attribute) -> None:
        """`result_type` is the NCHW type (its C is not in the blocked type)."""
        super().__init__(operands=[x], result_types=[result_type])

    def verify_(self) -> None:
        sx = shape_of(self, self.x, "X")
        if len(sx) < 4 or sx[-1] not in BLOCKS:
            raise fail(self, f"X must be blocked (rank >= 4, last dim one of {', '.join(map(str, BLOCKS))}), "
                             f"got {self.x.type}")
        sy = shape_of(self, self.y, "Y")
        if len(sy) != len(sx) - 1 or sy[0] != sx[0] or tuple(sy[2:]) != tuple(sx[2:-1]) or blocks(sy[1], sx[-1]) != sx[1]:
            raise fail(self, f"Y {self.y.type} does not match blocked X {self.x.type}")


# ---- convolution --------------------------------------------------------------------------


class _BlockedConv(StrataOp):
    """Operands, properties and constructor of the blocked convolutions."""

    traits = traits_def(Convolution(), SlidingWindow(), ChannelBlocked())

    FORMAL_NAMES: ClassVar = upper_names("x", "w", "b", "z", "y")

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    w = operand_def(tensor_of(T))
    b = opt_operand_def(tensor_of(T))
    z = opt_operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    kernel_shape = prop_def(DenseArrayBase)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    activation = str_prop("")
    activation_params = floats_prop()

    def __init__(
        self,
        x: SSAValue,
        w: SSAValue,
        b: SSAValue | None = None,
        z: SSAValue | None = None,
        *,
        result_type: Attribute,
        kernel_shape: Sequence[int] | Attribute,
        strides: Sequence[int] | Attribute,
        pads: Sequence[int] | Attribute,
        dilations: Sequence[int] | Attribute,
        activation: Activation | Attribute | None = None,
        activation_params: Sequence[float] | Attribute | None = None,
        **attributes: Sequence[int] | Attribute | None,
    ) -> None:
        """act(conv(x, w) + b + z) of the blocked type `result_type`; `attributes` are
        the op's further ones (ConvNCHWc's group_channels)."""
        props = onnx_properties(
            type(self), kernel_shape=kernel_shape, strides=strides, pads=pads, dilations=dilations, **attributes
        )
        props.update(epilogue_props(activation, activation_params))
        super().__init__(operands=[x, w, b, z], result_types=[result_type], properties=props)

    def verify_window_and_epilogue(self, sy: tuple[int, ...]) -> None:
        """The 2-D window lengths, B [Mb*8] and Z of Y's type `sy` (the activation is
        checked by the op, last)."""
        for what, v, n in (("strides", self.strides, 2), ("dilations", self.dilations, 2), ("pads", self.pads, 4)):
            if len(ints_value(v) or []) != n:
                raise fail(self, f"{what} must have {n} values")
        if self.b is not None and shape_of(self, self.b, "B") != (sy[1] * sy[-1],):
            raise fail(self, f"B must be [{sy[1] * sy[-1]}], got {self.b.type}")
        if self.z is not None and self.z.type != self.y.type:
            raise fail(self, f"Z must have Y's type {self.y.type}, got {self.z.type}")


@irdl_op_definition
class ConvNCHWcOp(_BlockedConv):
    """y = act(conv(x, w) + b + z) on blocked tensors (x may also be plain NCHW)."""

    name = "strata.ConvNCHWc"
    # Stores each element of y once, from its lane loop after the register tile
    # (lowering/kernels/conv_nchwc.py), so an epilogue runs at that store.
    traits = traits_def(FusionAnchor())

    # [Cg, Mg] of a grouped conv stored as a dense one (W zero between groups): a
    # kernel hint only, the kernel skips each output block's input blocks outside its
    # groups; the op computes conv(x, W) either way.
    group_channels = ints_prop()

    def verify_(self) -> None:
        sy = _expect_blocked(self, self.y, "Y", 5)
        block = sy[-1]
        sw = shape_of(self, self.w, "W")
        if len(sw) != 6 or sw[0] != sy[1] or sw[5] != block:
            raise fail(self, f"W must be [Mb, ICB, KH, KW, ICL, {block}] with Mb = {sy[1]}, got {self.w.type}")
        sx = shape_of(self, self.x, "X")
        if len(sx) == 5:
            ok = sx[-1] == block and sw[1] == sx[1] and sw[4] == block
        else:
            ok = len(sx) == 4 and sw[1] == sx[1] and sw[4] == 1
        if not ok:
            raise fail(self, f"X {self.x.type} does not fit W {self.w.type}")
        kernel = ints_value(self.kernel_shape)
        if kernel != list(sw[2:4]):
            raise fail(self, f"kernel_shape {kernel} differs from W {self.w.type}")
        self.verify_window_and_epilogue(sy)
        gc = ints_value(self.group_channels) if self.group_channels is not None else None
        if gc is not None and (len(gc) != 2 or min(gc) < 1):
            raise fail(self, f"group_channels must be [Cg, Mg] >= 1, got {gc}")
        verify_activation(self)


@irdl_op_definition
class DepthwiseConvNCHWcOp(_BlockedConv):
    """Depthwise conv (group = C = M) on blocked tensors: each lane its own channel,
    y[n, cb, oh, ow, l] = act(sum_{kh,kw} x[n, cb, ih, iw, l] * w[cb, kh, kw, l] + b + z)."""

    name = "strata.DepthwiseConvNCHWc"

    def verify_(self) -> None:
        sy = _expect_blocked(self, self.y, "Y", 5)
        block = sy[-1]
        sx = _expect_blocked(self, self.x, "X", 5, block)
        sw = shape_of(self, self.w, "W")
        if len(sw) != 4 or sw[0] != sy[1] or sw[3] != block or sx[1] != sy[1] or sx[0] != sy[0]:
            raise fail(self, f"W must be [Cb, KH, KW, {block}] with Cb = {sy[1]} of X and Y, got {self.w.type}")
        kernel = ints_value(self.kernel_shape)
        if kernel != list(sw[1:3]):
            raise fail(self, f"kernel_shape {kernel} differs from W {self.w.type}")
        self.verify_window_and_epilogue(sy)
        verify_activation(self)


@irdl_op_definition
class ChannelShuffleNCHWcOp(StrataOp):
    """ShuffleNet's channel shuffle on blocked tensors: with K = C / group, output channel
    k * group + g is input channel g * K + k (Reshape [N, group, K, H, W] -> Transpose
    [0, 2, 1, 3, 4] -> Reshape [N, C, H, W]); C is a multiple of 8 (no padding lanes)."""

    name = "strata.ChannelShuffleNCHWc"
    traits = traits_def(ChannelBlocked())

    FORMAL_NAMES: ClassVar = upper_names("x", "y")

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    channels = prop_def(IntegerAttr)
    group = prop_def(IntegerAttr)

    def __init__(self, x: SSAValue, *, channels: int, group: int) -> None:
        """The shuffle of the `channels` channels of blocked x in `group` groups; y has x's type."""
        props = onnx_properties(ChannelShuffleNCHWcOp, channels=channels, group=group)
        super().__init__(operands=[x], result_types=[x.type], properties=props)

    def verify_(self) -> None:
        sx = _expect_blocked(self, self.x, "X", 5)
        if self.y.type != self.x.type:
            raise fail(self, f"Y must have X's type {self.x.type}, got {self.y.type}")
        c, g = self.channels.value.data, self.group.value.data
        block = sx[-1]
        if g < 1 or c % g or c % block or c != sx[1] * block:
            raise fail(self, f"channels {c} must be a multiple of group {g} and of {block}, = {sx[1]} blocks")


# ---- pooling ------------------------------------------------------------------------------


class _BlockedPool(StrataOp):
    """2-D pooling of a blocked x [N, Cb, H, W, 8] -> y [N, Cb, OH, OW, 8]."""

    traits = traits_def(Pooling(), SlidingWindow(), ChannelBlocked())

    FORMAL_NAMES: ClassVar = upper_names("x", "y")

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    kernel_shape = prop_def(DenseArrayBase)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    ceil_mode = int_prop(0)

    def __init__(
        self,
        x: SSAValue,
        *,
        result_type: Attribute,
        kernel_shape: Sequence[int] | Attribute,
        strides: Sequence[int] | Attribute,
        pads: Sequence[int] | Attribute,
        dilations: Sequence[int] | Attribute,
        **attributes: int | Attribute | None,
    ) -> None:
        """Pooling of blocked x to the blocked type `result_type`; `attributes` are the
        op's further ONNX attributes (ceil_mode, AveragePool's count_include_pad)."""
        props = onnx_properties(
            type(self), kernel_shape=kernel_shape, strides=strides, pads=pads, dilations=dilations, **attributes
        )
        super().__init__(operands=[x], result_types=[result_type], properties=props)

    def verify_(self) -> None:
        sx = _expect_blocked(self, self.x, "X", 5)
        sy = _expect_blocked(self, self.y, "Y", 5, sx[-1])
        if sx[:2] != sy[:2]:
            raise fail(self, f"Y {self.y.type} must keep N and Cb of X {self.x.type}")
        for what, v, n in (("kernel_shape", self.kernel_shape, 2), ("strides", self.strides, 2),
                           ("dilations", self.dilations, 2), ("pads", self.pads, 4)):
            if len(ints_value(v) or []) != n:
                raise fail(self, f"{what} must have {n} values")


@irdl_op_definition
class MaxPoolNCHWcOp(_BlockedPool):
    name = "strata.MaxPoolNCHWc"


@irdl_op_definition
class AveragePoolNCHWcOp(_BlockedPool):
    name = "strata.AveragePoolNCHWc"

    count_include_pad = int_prop(0)


@irdl_op_definition
class GlobalAveragePoolNCHWcOp(StrataOp):
    """[N, Cb, H, W, 8] -> [N, Cb, 1, 1, 8]."""

    name = "strata.GlobalAveragePoolNCHWc"
    traits = traits_def(Pooling(), ChannelBlocked())

    FORMAL_NAMES: ClassVar = upper_names("x", "y")

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    def __init__(self, x: SSAValue) -> None:
        sx = shape_of(self, x, "X")
        super().__init__(operands=[x], result_types=[TensorType(x.type.element_type, [sx[0], sx[1], 1, 1, sx[-1]])])  # pyright: ignore[reportAttributeAccessIssue]

    def verify_(self) -> None:
        sx = _expect_blocked(self, self.x, "X", 5)
        if shape_of(self, self.y, "Y") != (sx[0], sx[1], 1, 1, sx[-1]):
            raise fail(self, f"Y must be [{sx[0]}, {sx[1]}, 1, 1, {sx[-1]}], got {self.y.type}")
