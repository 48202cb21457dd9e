"""Blocked-layout (NCHWc) ops of the layout level (`onnx-layout-nchwc`).

A blocked tensor holds an NCHW tensor [N, C, H, W] as [N, ceil(C/8), H, W, 8]: channel
c lives at block c // 8, lane c % 8, so the 8 channels of a block (one AVX2 vector of
f32) are contiguous. Lanes past C (when C is not a multiple of 8) are padding:
ReorderToBlocked writes zeros there, every blocked op keeps them finite, and the
blocked weights of padded input channels are zero, so padding never reaches a real
channel. Elementwise ops need no blocked form: an `onnx.Relu`/`onnx.Add` on two tensors
blocked the same way is already correct on the 5-D tensors (a per-channel constant is
reordered to [Cb, 1, 1, 8]).

Ops (each with `decompose()` into standard ONNX nodes, exact: the same arithmetic on the
padded channels, then the padding is sliced off):

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

`activation`/`activation_params` are those of strata.FusedConv (dialects/strata/fused.py).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import onnx
from onnx import helper, numpy_helper
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr
from xdsl.irdl import AttrSizedOperandSegments, irdl_op_definition, operand_def, opt_operand_def, prop_def, result_def

from dialects.onnx.base import (
    TensorConstraint,
    expect_float,
    expect_rank,
    fail,
    floats_prop,
    int_prop,
    ints_prop,
    ints_value,
    shape_of,
    str_prop,
)
from dialects.strata.base import StrataOp
from dialects.strata.fused import activation_nodes, activation_of, verify_activation

BLOCK = 8
# FusedConv activations the blocked conv kernel implements.
BLOCKED_ACTIVATIONS = ("", "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Swish")


def blocks(channels: int) -> int:
    return -(-channels // BLOCK)


# ---- decomposition helpers --------------------------------------------------------------


class _Nodes:
    """Builds a node list with fresh "_t" intermediate names."""

    def __init__(self, prefix: str):
        self.nodes: list[onnx.NodeProto] = []
        self.prefix = prefix
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        return f"_t{self.prefix}{self.count}"

    def add(self, op_type: str, inputs: list[str], output: str | None = None, **attrs) -> str:
        out = output or self.fresh()
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def const(self, values: list[int]) -> str:
        out = self.fresh()
        self.nodes.append(
            helper.make_node("Constant", [], [out], value=numpy_helper.from_array(np.array(values, np.int64)))
        )
        return out


def _to_blocked(nodes: _Nodes, x: str, shape: tuple[int, ...], out: str | None = None) -> str:
    """NCHW (any spatial rank) -> blocked, padding channels with zeros."""
    n, c, spatial = shape[0], shape[1], list(shape[2:])
    cb = blocks(c)
    if cb * BLOCK != c:
        pads = [0] * (2 * len(shape))
        pads[len(shape) + 1] = cb * BLOCK - c
        x = nodes.add("Pad", [x, nodes.const(pads)])
    x = nodes.add("Reshape", [x, nodes.const([n, cb, BLOCK, *spatial])])
    rank = len(shape) + 1
    return nodes.add("Transpose", [x], out, perm=[0, 1, *range(3, rank), 2])


def _from_blocked(nodes: _Nodes, x: str, shape: tuple[int, ...], channels: int | None, out: str | None = None) -> str:
    """Blocked [N, Cb, d..., 8] -> NCHW with `channels` channels (None: keep padding)."""
    n, cb, spatial = shape[0], shape[1], list(shape[2:-1])
    rank = len(shape)
    keep = channels is None or channels == cb * BLOCK
    x = nodes.add("Transpose", [x], perm=[0, 1, rank - 1, *range(2, rank - 1)])
    x = nodes.add("Reshape", [x, nodes.const([n, cb * BLOCK, *spatial])], out if keep else None)
    if keep:
        return x
    return nodes.add("Slice", [x, nodes.const([0]), nodes.const([channels]), nodes.const([1])], out)


def _window_attrs(op) -> dict:
    return {
        "kernel_shape": ints_value(op.kernel_shape),
        "strides": ints_value(op.strides),
        "pads": ints_value(op.pads),
        "dilations": ints_value(op.dilations),
    }


def _expect_blocked(op, value, what: str, rank: int) -> tuple[int, ...]:
    expect_rank(op, value, what, rank)
    shape = shape_of(op, value, what)
    if shape[-1] != BLOCK:
        raise fail(op, f"{what} must be blocked by {BLOCK} in its last dim, got {value.type}")
    return shape


# ---- reorders -----------------------------------------------------------------------------


@irdl_op_definition
class ReorderToBlockedOp(StrataOp):
    """[N, C, d...] -> [N, ceil(C/8), d..., 8], padding lanes zero."""

    name = "strata.ReorderToBlocked"

    x = operand_def(TensorConstraint)
    y = result_def(TensorConstraint)

    def verify_(self) -> None:
        sx = shape_of(self, self.x, "X")
        if len(sx) < 3:
            raise fail(self, f"X must have rank >= 3, got {self.x.type}")
        want = (sx[0], blocks(sx[1]), *sx[2:], BLOCK)
        if shape_of(self, self.y, "Y") != want:
            raise fail(self, f"Y must have shape {list(want)} for X {list(sx)}, got {self.y.type}")

    def decompose(self, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        nodes = _Nodes("rtb")
        _to_blocked(nodes, inputs[0], shape_of(self, self.x, "X"), outputs[0])
        return nodes.nodes


@irdl_op_definition
class ReorderFromBlockedOp(StrataOp):
    """[N, Cb, d..., 8] -> [N, C, d...] with (Cb - 1) * 8 < C <= Cb * 8."""

    name = "strata.ReorderFromBlocked"

    x = operand_def(TensorConstraint)
    y = result_def(TensorConstraint)

    def verify_(self) -> None:
        sx = shape_of(self, self.x, "X")
        if len(sx) < 4 or sx[-1] != BLOCK:
            raise fail(self, f"X must be blocked (rank >= 4, last dim {BLOCK}), got {self.x.type}")
        sy = shape_of(self, self.y, "Y")
        if len(sy) != len(sx) - 1 or sy[0] != sx[0] or tuple(sy[2:]) != tuple(sx[2:-1]) or blocks(sy[1]) != sx[1]:
            raise fail(self, f"Y {self.y.type} does not match blocked X {self.x.type}")

    def decompose(self, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        nodes = _Nodes("rfb")
        _from_blocked(nodes, inputs[0], shape_of(self, self.x, "X"), shape_of(self, self.y, "Y")[1], outputs[0])
        return nodes.nodes


# ---- convolution --------------------------------------------------------------------------


@irdl_op_definition
class ConvNCHWcOp(StrataOp):
    """y = act(conv(x, w) + b + z) on blocked tensors (x may also be plain NCHW)."""

    name = "strata.ConvNCHWc"

    x = operand_def(TensorConstraint)
    w = operand_def(TensorConstraint)
    b = opt_operand_def(TensorConstraint)
    z = opt_operand_def(TensorConstraint)
    y = result_def(TensorConstraint)

    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    kernel_shape = prop_def(DenseArrayBase)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    activation = str_prop("")
    activation_params = floats_prop()
    # [Cg, Mg] of a grouped conv stored as a dense one (W zero between groups): a
    # kernel hint only, the kernel skips each output block's input blocks outside its
    # groups; the op computes conv(x, W) either way.
    group_channels = ints_prop()

    def blocked_input(self) -> bool:
        return len(shape_of(self, self.x, "X")) == 5

    def verify_(self) -> None:
        expect_float(self, self.y, "Y")
        sy = _expect_blocked(self, self.y, "Y", 5)
        sw = shape_of(self, self.w, "W")
        if len(sw) != 6 or sw[0] != sy[1] or sw[5] != BLOCK:
            raise fail(self, f"W must be [Mb, ICB, KH, KW, ICL, {BLOCK}] with Mb = {sy[1]}, got {self.w.type}")
        sx = shape_of(self, self.x, "X")
        if len(sx) == 5:
            ok = sx[-1] == BLOCK and sw[1] == sx[1] and sw[4] == BLOCK
        else:
            ok = len(sx) == 4 and sw[1] == sx[1] and sw[4] == 1
        if not ok:
            raise fail(self, f"X {self.x.type} does not fit W {self.w.type}")
        kernel = ints_value(self.kernel_shape)
        if kernel != list(sw[2:4]):
            raise fail(self, f"kernel_shape {kernel} differs from W {self.w.type}")
        for what, v, n in (("strides", self.strides, 2), ("dilations", self.dilations, 2), ("pads", self.pads, 4)):
            if len(ints_value(v) or []) != n:
                raise fail(self, f"{what} must have {n} values")
        if self.b is not None and shape_of(self, self.b, "B") != (sy[1] * BLOCK,):
            raise fail(self, f"B must be [{sy[1] * BLOCK}], got {self.b.type}")
        if self.z is not None and self.z.type != self.y.type:
            raise fail(self, f"Z must have Y's type {self.y.type}, got {self.z.type}")
        gc = ints_value(self.group_channels) if self.group_channels is not None else None
        if gc is not None and (len(gc) != 2 or min(gc) < 1):
            raise fail(self, f"group_channels must be [Cg, Mg] >= 1, got {gc}")
        verify_activation(self)

    def decompose(self, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        nodes = _Nodes("conv")
        sx, sw, sy = shape_of(self, self.x, "X"), shape_of(self, self.w, "W"), shape_of(self, self.y, "Y")
        x = _from_blocked(nodes, inputs[0], sx, None) if len(sx) == 5 else inputs[0]
        mb, icb, kh, kw, icl, _ = sw
        w = nodes.add("Transpose", [inputs[1]], perm=[0, 5, 1, 4, 2, 3])
        w = nodes.add("Reshape", [w, nodes.const([mb * BLOCK, icb * icl, kh, kw])])
        conv_in = [x, w] + ([inputs[2]] if inputs[2] else [])
        y = nodes.add("Conv", conv_in, **_window_attrs(self))
        final = outputs[0]
        act, params = activation_of(self)
        has_z = len(inputs) > 3 and inputs[3]
        y = _to_blocked(nodes, y, (sy[0], mb * BLOCK, sy[2], sy[3]), None if (has_z or act) else final)
        if has_z:
            y = nodes.add("Add", [y, inputs[3]], None if act else final)
        if act:
            nodes.nodes += activation_nodes(act, params, y, final, np.dtype(np.float32))
        return nodes.nodes



@irdl_op_definition
class DepthwiseConvNCHWcOp(StrataOp):
    """Depthwise conv (group = C = M) on blocked tensors: each lane its own channel,
    y[n, cb, oh, ow, l] = act(sum_{kh,kw} x[n, cb, ih, iw, l] * w[cb, kh, kw, l] + b + z)."""

    name = "strata.DepthwiseConvNCHWc"

    x = operand_def(TensorConstraint)
    w = operand_def(TensorConstraint)
    b = opt_operand_def(TensorConstraint)
    z = opt_operand_def(TensorConstraint)
    y = result_def(TensorConstraint)

    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    kernel_shape = prop_def(DenseArrayBase)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    activation = str_prop("")
    activation_params = floats_prop()

    def verify_(self) -> None:
        expect_float(self, self.y, "Y")
        sy = _expect_blocked(self, self.y, "Y", 5)
        sx = _expect_blocked(self, self.x, "X", 5)
        sw = shape_of(self, self.w, "W")
        if len(sw) != 4 or sw[0] != sy[1] or sw[3] != BLOCK or sx[1] != sy[1] or sx[0] != sy[0]:
            raise fail(self, f"W must be [Cb, KH, KW, {BLOCK}] with Cb = {sy[1]} of X and Y, got {self.w.type}")
        kernel = ints_value(self.kernel_shape)
        if kernel != list(sw[1:3]):
            raise fail(self, f"kernel_shape {kernel} differs from W {self.w.type}")
        for what, v, n in (("strides", self.strides, 2), ("dilations", self.dilations, 2), ("pads", self.pads, 4)):
            if len(ints_value(v) or []) != n:
                raise fail(self, f"{what} must have {n} values")
        if self.b is not None and shape_of(self, self.b, "B") != (sy[1] * BLOCK,):
            raise fail(self, f"B must be [{sy[1] * BLOCK}], got {self.b.type}")
        if self.z is not None and self.z.type != self.y.type:
            raise fail(self, f"Z must have Y's type {self.y.type}, got {self.z.type}")
        verify_activation(self)

    def decompose(self, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        # A grouped ONNX Conv over all padded channels (padding lanes have zero weights).
        nodes = _Nodes("dwconv")
        sx, sw, sy = shape_of(self, self.x, "X"), shape_of(self, self.w, "W"), shape_of(self, self.y, "Y")
        cb, kh, kw, _ = sw
        channels = cb * BLOCK
        x = _from_blocked(nodes, inputs[0], sx, None)
        w = nodes.add("Transpose", [inputs[1]], perm=[0, 3, 1, 2])
        w = nodes.add("Reshape", [w, nodes.const([channels, 1, kh, kw])])
        conv_in = [x, w] + ([inputs[2]] if inputs[2] else [])
        y = nodes.add("Conv", conv_in, group=channels, **_window_attrs(self))
        final = outputs[0]
        act, params = activation_of(self)
        has_z = len(inputs) > 3 and inputs[3]
        y = _to_blocked(nodes, y, (sy[0], channels, sy[2], sy[3]), None if (has_z or act) else final)
        if has_z:
            y = nodes.add("Add", [y, inputs[3]], None if act else final)
        if act:
            nodes.nodes += activation_nodes(act, params, y, final, np.dtype(np.float32))
        return nodes.nodes


@irdl_op_definition
class ChannelShuffleNCHWcOp(StrataOp):
    """ShuffleNet's channel shuffle on blocked tensors: with K = C / group, output channel
    k * group + g is input channel g * K + k (Reshape [N, group, K, H, W] -> Transpose
    [0, 2, 1, 3, 4] -> Reshape [N, C, H, W]); C is a multiple of 8 (no padding lanes)."""

    name = "strata.ChannelShuffleNCHWc"

    x = operand_def(TensorConstraint)
    y = result_def(TensorConstraint)

    channels = prop_def(IntegerAttr)
    group = prop_def(IntegerAttr)

    def verify_(self) -> None:
        sx = _expect_blocked(self, self.x, "X", 5)
        if self.y.type != self.x.type:
            raise fail(self, f"Y must have X's type {self.x.type}, got {self.y.type}")
        c, g = self.channels.value.data, self.group.value.data
        if g < 1 or c % g or c % BLOCK or c != sx[1] * BLOCK:
            raise fail(self, f"channels {c} must be a multiple of group {g} and of {BLOCK}, = {sx[1]} blocks")

    def decompose(self, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        nodes = _Nodes("shuffle")
        sx = shape_of(self, self.x, "X")
        c, g = self.channels.value.data, self.group.value.data
        n, spatial = sx[0], list(sx[2:4])
        x = _from_blocked(nodes, inputs[0], sx, c)
        x = nodes.add("Reshape", [x, nodes.const([n, g, c // g, *spatial])])
        x = nodes.add("Transpose", [x], perm=[0, 2, 1, 3, 4])
        x = nodes.add("Reshape", [x, nodes.const([n, c, *spatial])])
        _to_blocked(nodes, x, (n, c, *spatial), outputs[0])
        return nodes.nodes


# ---- pooling ------------------------------------------------------------------------------


class _BlockedPool(StrataOp):
    """2-D pooling of a blocked x [N, Cb, H, W, 8] -> y [N, Cb, OH, OW, 8]."""

    x = operand_def(TensorConstraint)
    y = result_def(TensorConstraint)

    kernel_shape = prop_def(DenseArrayBase)
    strides = prop_def(DenseArrayBase)
    pads = prop_def(DenseArrayBase)
    dilations = prop_def(DenseArrayBase)
    ceil_mode = int_prop(0)

    ONNX_OP: ClassVar[str] = ""

    def verify_(self) -> None:
        expect_float(self, self.y, "Y")
        sx = _expect_blocked(self, self.x, "X", 5)
        sy = _expect_blocked(self, self.y, "Y", 5)
        if sx[:2] != sy[:2]:
            raise fail(self, f"Y {self.y.type} must keep N and Cb of X {self.x.type}")
        for what, v, n in (("kernel_shape", self.kernel_shape, 2), ("strides", self.strides, 2),
                           ("dilations", self.dilations, 2), ("pads", self.pads, 4)):
            if len(ints_value(v) or []) != n:
                raise fail(self, f"{what} must have {n} values")

    def extra_attrs(self) -> dict:
        return {}

    def decompose(self, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        nodes = _Nodes("pool")
        sx, sy = shape_of(self, self.x, "X"), shape_of(self, self.y, "Y")
        x = _from_blocked(nodes, inputs[0], sx, None)
        attrs = _window_attrs(self) | {"ceil_mode": int(self.ceil_mode.value.data)} | self.extra_attrs()
        y = nodes.add(self.ONNX_OP, [x], **attrs)
        _to_blocked(nodes, y, (sy[0], sy[1] * BLOCK, sy[2], sy[3]), outputs[0])
        return nodes.nodes


@irdl_op_definition
class MaxPoolNCHWcOp(_BlockedPool):
    name = "strata.MaxPoolNCHWc"
    ONNX_OP: ClassVar[str] = "MaxPool"


@irdl_op_definition
class AveragePoolNCHWcOp(_BlockedPool):
    name = "strata.AveragePoolNCHWc"
    ONNX_OP: ClassVar[str] = "AveragePool"

    count_include_pad = int_prop(0)

    def extra_attrs(self) -> dict:
        return {"count_include_pad": int(self.count_include_pad.value.data)}


@irdl_op_definition
class GlobalAveragePoolNCHWcOp(StrataOp):
    """[N, Cb, H, W, 8] -> [N, Cb, 1, 1, 8]."""

    name = "strata.GlobalAveragePoolNCHWc"

    x = operand_def(TensorConstraint)
    y = result_def(TensorConstraint)

    def verify_(self) -> None:
        expect_float(self, self.y, "Y")
        sx = _expect_blocked(self, self.x, "X", 5)
        if shape_of(self, self.y, "Y") != (sx[0], sx[1], 1, 1, BLOCK):
            raise fail(self, f"Y must be [{sx[0]}, {sx[1]}, 1, 1, {BLOCK}], got {self.y.type}")

    def decompose(self, inputs: list[str], outputs: list[str]) -> list[onnx.NodeProto]:
        # Averaging each lane over H and W is the same on the blocked tensor.
        nodes = _Nodes("gap")
        nodes.add("ReduceMean", [inputs[0], nodes.const([2, 3])], outputs[0], keepdims=1)
        return nodes.nodes
