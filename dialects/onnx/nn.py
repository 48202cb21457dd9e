"""Neural-network ONNX ops: convolutions (Conv, ConvTranspose), pooling (MaxPool,
AveragePool, GlobalAveragePool, GlobalMaxPool), normalizations (BatchNormalization in
inference form, InstanceNormalization, LayerNormalization, GroupNormalization,
RMSNormalization, LpNormalization, MeanVarianceNormalization, LRN), Softmax/LogSoftmax,
Dropout and PRelu. Sliding-window ops share `WindowOp`, which owns the auto_pad / pads / strides
/ dilations properties, their verification, and `effective_*()` methods that return the
values ONNX means when an attribute is absent or auto_pad is set (so lowerings never
re-derive them). Data layout is ONNX's NCHW: X is (N, C, D1, ..., Dn)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import TensorType
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    AttrSizedResultSegments,
    IRDLOperation,
    VarConstraint,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_result_def,
    result_def,
    traits_def,
)

from dialects.onnx.base import (
    OnnxOp,
    BOOL_TYPES,
    FLOAT_TYPES,
    INDEX_TYPES,
    NUMERIC_TYPES,
    DYNAMIC,
    dims_compatible,
    element_type_of,
    expect_axis,
    expect_choice,
    expect_flag,
    expect_min_rank,
    expect_rank,
    expect_same_type,
    expect_scalar,
    expect_shape,
    fail,
    float_prop,
    fmt_shape,
    int_attr_value,
    int_prop,
    ints_prop,
    ints_value,
    is_dynamic,
    onnx_properties,
    rank_of,
    required_int_prop,
    required_ints_prop,
    shape_of,
    str_attr_value,
    str_prop,
    tensor_of,
    unidirectional_broadcastable,
)
from dialects.onnx.traits import Convolution, Elementwise, FusionAnchor, Pooling, SlidingWindow

AUTO_PAD_MODES = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


# ---- sliding-window ops -------------------------------------------------------------


class WindowOp(OnnxOp):
    """Shared part of Conv, ConvTranspose, MaxPool and AveragePool: the first operand is
    X (N, C, D1..Dn), the first result Y; `kernel_shape` and the operands and results
    (X and Y share the element type T) are defined by each op."""

    traits = traits_def(SlidingWindow())

    auto_pad = str_prop("NOTSET")
    dilations = ints_prop()
    pads = ints_prop()
    strides = ints_prop()

    # -- effective attribute values --

    def spatial_rank(self) -> int:
        return rank_of(self, self.operands[0], "X") - 2

    def effective_kernel_shape(self) -> list[int]:
        kernel = ints_value(self.kernel_shape)  # pyright: ignore[reportAttributeAccessIssue]
        if kernel is None:
            raise ValueError(f"{self.name}: kernel_shape is unknown")
        return kernel

    def effective_strides(self) -> list[int]:
        return ints_value(self.strides) or [1] * self.spatial_rank()

    def effective_dilations(self) -> list[int]:
        return ints_value(self.dilations) or [1] * self.spatial_rank()

    def effective_auto_pad(self) -> str:
        return str_attr_value(self.auto_pad) or "NOTSET"

    def effective_pads(self) -> list[int]:
        """[x1_begin, x2_begin, ..., x1_end, x2_end]; for SAME_UPPER/SAME_LOWER computed
        from the static spatial input sizes (ValueError if one is dynamic)."""
        n = self.spatial_rank()
        mode = self.effective_auto_pad()
        if mode == "VALID":
            return [0] * (2 * n)
        if mode == "NOTSET":
            return ints_value(self.pads) or [0] * (2 * n)
        sizes = self._static_spatial_input()
        begins: list[int] = []
        ends: list[int] = []
        for size, k, s, d in zip(sizes, self.effective_kernel_shape(), self.effective_strides(), self.effective_dilations()):
            out = -(-size // s)
            total = max(0, (out - 1) * s + (k - 1) * d + 1 - size)
            small, large = total // 2, total - total // 2
            begins.append(small if mode == "SAME_UPPER" else large)
            ends.append(large if mode == "SAME_UPPER" else small)
        return begins + ends

    def _static_spatial_input(self) -> list[int]:
        sizes = list(shape_of(self, self.operands[0], "X")[2:])
        if any(is_dynamic(d) for d in sizes):
            raise ValueError(f"{self.name}: auto_pad needs static spatial input sizes, got {fmt_shape(sizes)}")
        return sizes

    # -- verification --

    def verify_window(self) -> None:
        """Checks X, Y ranks and the window attributes."""
        x, y = self.operands[0], self.results[0]
        expect_min_rank(self, x, "X", 3)
        expect_rank(self, y, "Y", rank_of(self, x, "X"))
        n = self.spatial_rank()
        expect_choice(self, self.auto_pad, "auto_pad", AUTO_PAD_MODES)
        kernel = ints_value(self.kernel_shape)  # pyright: ignore[reportAttributeAccessIssue]
        for what, values, length, minimum in (
            ("kernel_shape", kernel, n, 1),
            ("strides", ints_value(self.strides), n, 1),
            ("dilations", ints_value(self.dilations), n, 1),
            ("pads", ints_value(self.pads), 2 * n, 0),
        ):
            if values is None:
                continue
            if len(values) != length:
                raise fail(self, f"{what} has {len(values)} values, expected {length} for {n} spatial dims")
            if any(v < minimum for v in values):
                raise fail(self, f"{what} values must be >= {minimum}, got {values}")

    def static_kernel_shape(self) -> list[int] | None:
        """The kernel sizes when known without constants (kernel_shape, or W's static
        spatial dims for convolutions), else None."""
        return ints_value(self.kernel_shape)  # pyright: ignore[reportAttributeAccessIssue]

    def expected_output_spatial(self, ceil_mode: bool = False) -> list[set[int] | None]:
        """Per spatial dim, the admissible output sizes (None: unknown) of a conv/pool
        window; with ceil_mode both ONNX conventions (with or without dropping a last
        window that starts in the end padding) are admitted."""
        sizes = shape_of(self, self.operands[0], "X")[2:]
        n = len(sizes)
        mode = self.effective_auto_pad()
        kernel = self.static_kernel_shape()
        strides, dilations = self.effective_strides(), self.effective_dilations()
        pads = ints_value(self.pads) or [0] * (2 * n)
        out: list[set[int] | None] = []
        for i, size in enumerate(sizes):
            if is_dynamic(size) or kernel is None:
                out.append(None)
                continue
            if mode in ("SAME_UPPER", "SAME_LOWER"):
                out.append({-(-size // strides[i])})
                continue
            ek = (kernel[i] - 1) * dilations[i] + 1
            span = size - ek + (pads[i] + pads[i + n] if mode == "NOTSET" else 0)
            floor = span // strides[i] + 1
            ceil = -(-span // strides[i]) + 1
            out.append({ceil, ceil - 1} if ceil_mode and ceil != floor else {floor})
        return out

    def verify_output_spatial(self, ceil_mode: bool = False) -> None:
        y = shape_of(self, self.results[0], "Y")
        for i, (got, allowed) in enumerate(zip(y[2:], self.expected_output_spatial(ceil_mode))):
            if allowed is None or is_dynamic(got) or got in allowed:
                continue
            raise fail(
                self,
                f"Y spatial dim {i} is {got}, expected {' or '.join(map(str, sorted(allowed)))} "
                f"(X {fmt_shape(shape_of(self, self.operands[0], 'X'))})",
            )


class ConvolutionOp(WindowOp):
    """Conv and ConvTranspose: X, W, optional B -> Y, with group and kernel_shape."""

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    w = operand_def(tensor_of(T))
    b = opt_operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    group = int_prop(1)
    kernel_shape = ints_prop()

    def effective_group(self) -> int:
        return self.group.value.data

    def effective_kernel_shape(self) -> list[int]:
        """kernel_shape, or W's spatial dims when absent."""
        kernel = ints_value(self.kernel_shape)
        return kernel if kernel is not None else list(shape_of(self, self.w, "W")[2:])

    def static_kernel_shape(self) -> list[int] | None:
        kernel = self.effective_kernel_shape()
        return None if any(is_dynamic(k) for k in kernel) else kernel

    def verify_convolution(self) -> None:
        self.verify_window()
        group = self.effective_group()
        if group < 1:
            raise fail(self, f"group must be >= 1, got {group}")
        expect_rank(self, self.w, "W", rank_of(self, self.x, "X"))
        sw = shape_of(self, self.w, "W")
        kernel = ints_value(self.kernel_shape)
        if kernel is not None and not all(dims_compatible(k, d) for k, d in zip(kernel, sw[2:])):
            raise fail(self, f"kernel_shape {kernel} differs from W spatial dims {fmt_shape(sw[2:])}")

    def verify_forward_conv(self) -> None:
        """A (non-transposed) Conv's checks, shared by onnx.Conv and strata.FusedConv: W is
        (M, C/group, k1..kn), group divides M, Y is (N, M, ...) with the window's size."""
        self.verify_convolution()
        group = self.effective_group()
        sx, sw = shape_of(self, self.x, "X"), shape_of(self, self.w, "W")
        m, c_per_group = sw[0], sw[1]
        if not (is_dynamic(sx[1]) or is_dynamic(c_per_group)) and sx[1] != c_per_group * group:
            raise fail(
                self,
                f"X has {sx[1]} channels but W {fmt_shape(sw)} with group={group} expects {c_per_group * group}",
            )
        if not is_dynamic(m) and m % group:
            raise fail(self, f"W output channels {m} are not divisible by group={group}")
        self.verify_batch_and_channels(m)
        self.verify_output_spatial()

    def verify_batch_and_channels(self, m: int) -> None:
        """B is (M,) and Y is (N, M, ...)."""
        sx, sy = shape_of(self, self.x, "X"), shape_of(self, self.y, "Y")
        if self.b is not None:
            expect_shape(self, self.b, "B", (m,))
        if not (dims_compatible(sy[0], sx[0]) and dims_compatible(sy[1], m)):
            raise fail(self, f"Y {fmt_shape(sy)} must be (N, M, ...) = {fmt_shape((sx[0], m))[:-1]}, ...]")


@irdl_op_definition
class ConvOp(ConvolutionOp):
    """Y = conv(X, W) + B. W is (M, C/group, k1..kn), B is (M,), Y is (N, M, ...)."""

    name = "onnx.Conv"
    traits = traits_def(Convolution(), FusionAnchor())

    def __init__(
        self,
        x: SSAValue,
        w: SSAValue,
        b: SSAValue | None = None,
        *,
        result_type: Attribute,
        auto_pad: str | Attribute | None = None,
        dilations: Sequence[int] | Attribute | None = None,
        group: int | Attribute | None = None,
        kernel_shape: Sequence[int] | Attribute | None = None,
        pads: Sequence[int] | Attribute | None = None,
        strides: Sequence[int] | Attribute | None = None,
    ) -> None:
        """Y = conv(X, W) + B of type `result_type` (passed: it follows from the window
        attributes, which the verifier checks)."""
        props = onnx_properties(
            ConvOp, auto_pad=auto_pad, dilations=dilations, group=group, kernel_shape=kernel_shape, pads=pads, strides=strides
        )
        super().__init__(operands=[x, w, b], result_types=[result_type], properties=props)

    def verify_(self) -> None:
        self.verify_forward_conv()


@irdl_op_definition
class ConvTransposeOp(ConvolutionOp):
    """Transposed convolution. W is (C, M/group, k1..kn), B is (M,), Y is (N, M, ...)."""

    name = "onnx.ConvTranspose"

    output_padding = ints_prop()
    output_shape = ints_prop()

    def effective_output_padding(self) -> list[int]:
        return ints_value(self.output_padding) or [0] * self.spatial_rank()

    def effective_output_shape(self) -> list[int] | None:
        """The spatial output_shape attribute (a full N, C, ... form is cut to spatial)."""
        shape = ints_value(self.output_shape)
        if shape is not None and len(shape) == self.spatial_rank() + 2:
            shape = shape[2:]
        return shape

    def effective_pads(self) -> list[int]:
        """Explicit pads, or the pads ONNX derives from output_shape / SAME_* auto_pad."""
        n = self.spatial_rank()
        mode = self.effective_auto_pad()
        target = self.effective_output_shape()
        if mode == "VALID":
            return [0] * (2 * n)
        if target is None and mode == "NOTSET":
            return ints_value(self.pads) or [0] * (2 * n)
        sizes = self._static_spatial_input()
        strides, dilations = self.effective_strides(), self.effective_dilations()
        kernel, out_pad = self.effective_kernel_shape(), self.effective_output_padding()
        begins: list[int] = []
        ends: list[int] = []
        for i, size in enumerate(sizes):
            out = target[i] if target is not None else size * strides[i]
            total = strides[i] * (size - 1) + out_pad[i] + (kernel[i] - 1) * dilations[i] + 1 - out
            total = max(total, 0)
            if mode == "SAME_UPPER":
                begins.append(total // 2)
                ends.append(total - total // 2)
            else:
                begins.append(total - total // 2)
                ends.append(total // 2)
        return begins + ends

    def expected_output_spatial(self, ceil_mode: bool = False) -> list[set[int] | None]:
        target = self.effective_output_shape()
        if target is not None:
            return [{t} for t in target]
        sizes = shape_of(self, self.x, "X")[2:]
        n = len(sizes)
        mode = self.effective_auto_pad()
        kernel = self.static_kernel_shape()
        strides, dilations = self.effective_strides(), self.effective_dilations()
        out_pad = self.effective_output_padding()
        pads = ints_value(self.pads) if mode == "NOTSET" else None
        pads = pads or [0] * (2 * n)
        out: list[set[int] | None] = []
        for i, size in enumerate(sizes):
            if is_dynamic(size) or kernel is None:
                out.append(None)
            elif mode in ("SAME_UPPER", "SAME_LOWER"):
                out.append({size * strides[i]})
            else:
                full = strides[i] * (size - 1) + out_pad[i] + (kernel[i] - 1) * dilations[i] + 1
                out.append({full - pads[i] - pads[i + n]})
        return out

    def verify_(self) -> None:
        self.verify_convolution()
        n = self.spatial_rank()
        for what, values in (
            ("output_padding", ints_value(self.output_padding)),
            ("output_shape", self.effective_output_shape()),
        ):
            if values is not None and len(values) != n:
                raise fail(self, f"{what} has {len(values)} values, expected {n}")
        sx, sw = shape_of(self, self.x, "X"), shape_of(self, self.w, "W")
        if not dims_compatible(sx[1], sw[0]):
            raise fail(self, f"X has {sx[1]} channels but W {fmt_shape(sw)} expects {sw[0]}")
        if not is_dynamic(sw[0]) and sw[0] % self.effective_group():
            raise fail(self, f"W input channels {sw[0]} are not divisible by group={self.effective_group()}")
        m = DYNAMIC if is_dynamic(sw[1]) else sw[1] * self.effective_group()
        self.verify_batch_and_channels(m)
        self.verify_output_spatial()


class PoolOp(WindowOp):
    """MaxPool / AveragePool: X -> Y (N, C, ...) with a required kernel_shape."""

    traits = traits_def(Pooling(), FusionAnchor(prologue=True))

    ceil_mode = int_prop(0)
    kernel_shape = required_ints_prop()

    def verify_pool(self) -> None:
        self.verify_window()
        expect_flag(self, self.ceil_mode, "ceil_mode")
        sx, sy = shape_of(self, self.operands[0], "X"), shape_of(self, self.results[0], "Y")
        if not (dims_compatible(sx[0], sy[0]) and dims_compatible(sx[1], sy[1])):
            raise fail(self, f"Y {fmt_shape(sy)} must keep N and C of X {fmt_shape(sx)}")
        self.verify_output_spatial(ceil_mode=bool(int_attr_value(self.ceil_mode)))


@irdl_op_definition
class MaxPoolOp(PoolOp):
    """Max over windows; the optional Indices (i64) are flat NCHW offsets."""

    name = "onnx.MaxPool"

    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))
    indices = opt_result_def(tensor_of(INDEX_TYPES))

    storage_order = int_prop(0)

    def verify_(self) -> None:
        self.verify_pool()
        expect_flag(self, self.storage_order, "storage_order")
        if self.indices is not None:
            expect_shape(self, self.indices, "Indices", shape_of(self, self.y, "Y"))


@irdl_op_definition
class AveragePoolOp(PoolOp):
    name = "onnx.AveragePool"

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    count_include_pad = int_prop(0)

    def verify_(self) -> None:
        self.verify_pool()
        expect_flag(self, self.count_include_pad, "count_include_pad")


class GlobalPoolOp(OnnxOp):
    """X (N, C, D1..Dn) -> Y (N, C, 1, ..., 1)."""

    traits = traits_def(Pooling(), FusionAnchor(prologue=True))

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    def verify_(self) -> None:
        expect_min_rank(self, self.x, "X", 3)
        sx = shape_of(self, self.x, "X")
        expect_shape(self, self.y, "Y", (sx[0], sx[1], *([1] * (len(sx) - 2))))


@irdl_op_definition
class GlobalAveragePoolOp(GlobalPoolOp):
    name = "onnx.GlobalAveragePool"


@irdl_op_definition
class GlobalMaxPoolOp(GlobalPoolOp):
    name = "onnx.GlobalMaxPool"


# ---- normalization ------------------------------------------------------------------


def _expect_stash_type(op: IRDLOperation, attr) -> None:
    """stash_type names the precision of the statistics: a float TensorProto type
    (1 float, 10 float16, 11 double, 16 bfloat16)."""
    value = int_attr_value(attr)
    if value is not None and value not in (1, 10, 11, 16):
        raise fail(op, f"stash_type must be a floating-point data type (1, 10, 11 or 16), got {value}")


@irdl_op_definition
class BatchNormalizationOp(OnnxOp):
    """Y = scale * (X - mean) / sqrt(var + epsilon) + B over channel axis 1. Held in
    inference form (Y only); running_mean/running_var outputs are accepted for
    training_mode graphs."""

    name = "onnx.BatchNormalization"
    irdl_options = (AttrSizedResultSegments(as_property=True),)

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    T1: ClassVar = VarConstraint("T1", FLOAT_TYPES)
    T2: ClassVar = VarConstraint("T2", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    scale = operand_def(tensor_of(T1))
    b = operand_def(tensor_of(T1))
    input_mean = operand_def(tensor_of(T2))
    input_var = operand_def(tensor_of(T2))
    y = result_def(tensor_of(T))
    running_mean = opt_result_def(tensor_of(T2))
    running_var = opt_result_def(tensor_of(T2))

    epsilon = float_prop(1e-5)
    momentum = float_prop(0.9)
    training_mode = int_prop(0)

    def __init__(
        self,
        x: SSAValue,
        scale: SSAValue,
        b: SSAValue,
        input_mean: SSAValue,
        input_var: SSAValue,
        *,
        epsilon: float | Attribute | None = None,
        momentum: float | Attribute | None = None,
        training_mode: int | Attribute | None = None,
    ) -> None:
        """The inference form (Y only); Y has X's type."""
        props = onnx_properties(BatchNormalizationOp, epsilon=epsilon, momentum=momentum, training_mode=training_mode)
        super().__init__(operands=[x, scale, b, input_mean, input_var], result_types=[x.type, [], []], properties=props)

    def verify_(self) -> None:
        expect_min_rank(self, self.x, "X", 2)
        expect_same_type(self, self.x, self.y, "X and Y")
        expect_flag(self, self.training_mode, "training_mode")
        c = shape_of(self, self.x, "X")[1]
        for value, what in (
            (self.scale, "scale"),
            (self.b, "B"),
            (self.input_mean, "input_mean"),
            (self.input_var, "input_var"),
            (self.running_mean, "running_mean"),
            (self.running_var, "running_var"),
        ):
            if value is not None:
                expect_shape(self, value, what, (c,))


@irdl_op_definition
class InstanceNormalizationOp(OnnxOp):
    """Per (sample, channel) normalization over the spatial dims, then scale and B."""

    name = "onnx.InstanceNormalization"

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    input = operand_def(tensor_of(T))
    scale = operand_def(tensor_of(T))
    b = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))

    epsilon = float_prop(1e-5)

    def verify_(self) -> None:
        expect_min_rank(self, self.input, "input", 2)
        expect_same_type(self, self.input, self.output, "input and output")
        c = shape_of(self, self.input, "input")[1]
        expect_shape(self, self.scale, "scale", (c,))
        expect_shape(self, self.b, "B", (c,))


@irdl_op_definition
class LayerNormalizationOp(OnnxOp):
    """Normalizes over dims [axis, rank) then applies Scale and B (broadcast to those
    dims). Mean and InvStdDev have X's rank with the normalized dims set to 1."""

    name = "onnx.LayerNormalization"
    traits = traits_def(FusionAnchor(prologue=True))
    irdl_options = (AttrSizedResultSegments(as_property=True),)

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    U: ClassVar = VarConstraint("U", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    scale = operand_def(tensor_of(T))
    b = opt_operand_def(tensor_of(T))
    y = result_def(tensor_of(T))
    mean = opt_result_def(tensor_of(U))
    inv_std_dev = opt_result_def(tensor_of(U))

    axis = int_prop(-1)
    epsilon = float_prop(1e-5)
    stash_type = int_prop(1)

    def __init__(
        self,
        x: SSAValue,
        scale: SSAValue,
        b: SSAValue | None = None,
        *,
        axis: int | None = None,
        epsilon: float | None = None,
        stash_type: int | None = None,
    ) -> None:
        """Y only (no Mean / InvStdDev); Y has X's type."""
        props = onnx_properties(LayerNormalizationOp, axis=axis, epsilon=epsilon, stash_type=stash_type)
        super().__init__(operands=[x, scale, b], result_types=[x.type, [], []], properties=props)

    def normalized_axis(self) -> int:
        return self.axis.value.data % rank_of(self, self.x, "X")

    def verify_(self) -> None:
        expect_min_rank(self, self.x, "X", 1)
        expect_same_type(self, self.x, self.y, "X and Y")
        sx = shape_of(self, self.x, "X")
        axis = expect_axis(self, self.axis.value.data, len(sx))
        params = [self.scale] + ([self.b] if self.b is not None else [])
        for value, what in zip(params, ("Scale", "B")):
            sp = shape_of(self, value, what)
            if not unidirectional_broadcastable(sp, sx[axis:]):
                raise fail(self, f"{what} {fmt_shape(sp)} does not broadcast to the normalized dims {fmt_shape(sx[axis:])}")
        stats_shape = (*sx[:axis], *([1] * (len(sx) - axis)))
        for value, what in ((self.mean, "Mean"), (self.inv_std_dev, "InvStdDev")):
            if value is not None:
                expect_shape(self, value, what, stats_shape)


@irdl_op_definition
class GroupNormalizationOp(OnnxOp):
    """Opset-21 GroupNormalization: statistics per (sample, group of C / num_groups
    channels) over those channels and the spatial dims; scale and bias are per channel
    (C,)."""

    name = "onnx.GroupNormalization"

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    scale = operand_def(tensor_of(T))
    bias = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    epsilon = float_prop(1e-5)
    num_groups = required_int_prop()
    stash_type = int_prop(1)

    def verify_(self) -> None:
        expect_min_rank(self, self.x, "X", 2)
        expect_same_type(self, self.x, self.y, "X and Y")
        _expect_stash_type(self, self.stash_type)
        groups = self.num_groups.value.data
        c = shape_of(self, self.x, "X")[1]
        if groups < 1:
            raise fail(self, f"num_groups must be >= 1, got {groups}")
        if not is_dynamic(c) and c % groups:
            raise fail(self, f"X has {c} channels, not divisible by num_groups={groups}")
        expect_shape(self, self.scale, "scale", (c,))
        expect_shape(self, self.bias, "bias", (c,))


@irdl_op_definition
class RMSNormalizationOp(OnnxOp):
    """Opset-23 RMSNormalization: Y = X / sqrt(mean(X^2 over dims [axis, rank)) +
    epsilon) * scale; scale broadcasts unidirectionally to X and gives Y its type."""

    name = "onnx.RMSNormalization"

    V: ClassVar = VarConstraint("V", FLOAT_TYPES)
    x = operand_def(tensor_of(FLOAT_TYPES))
    scale = operand_def(tensor_of(V))
    y = result_def(tensor_of(V))

    axis = int_prop(-1)
    epsilon = float_prop(1e-5)
    stash_type = int_prop(1)

    def __init__(
        self, x: SSAValue, scale: SSAValue, *, axis: int | None = None, epsilon: float | None = None, stash_type: int | None = None
    ) -> None:
        """Y has X's shape and scale's element type."""
        result = TensorType(element_type_of(scale), shape_of(self, x, "X"))
        props = onnx_properties(RMSNormalizationOp, axis=axis, epsilon=epsilon, stash_type=stash_type)
        super().__init__(operands=[x, scale], result_types=[result], properties=props)

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.x, "X"))

    def verify_(self) -> None:
        expect_min_rank(self, self.x, "X", 1)
        self.normalized_axis()
        _expect_stash_type(self, self.stash_type)
        sx, ss = shape_of(self, self.x, "X"), shape_of(self, self.scale, "scale")
        expect_shape(self, self.y, "Y", sx)
        if not unidirectional_broadcastable(ss, sx):
            raise fail(self, f"scale {fmt_shape(ss)} does not broadcast to X {fmt_shape(sx)}")


@irdl_op_definition
class LpNormalizationOp(OnnxOp):
    """output = input / ||input||_p along `axis` (p 1 or 2); a zero norm gives 0."""

    name = "onnx.LpNormalization"

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    input = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))

    axis = int_prop(-1)
    p = int_prop(2)

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.input, "input"))

    def verify_(self) -> None:
        expect_same_type(self, self.input, self.output, "input and output")
        self.normalized_axis()
        if self.p.value.data not in (1, 2):
            raise fail(self, f"p must be 1 or 2, got {self.p.value.data}")


@irdl_op_definition
class MeanVarianceNormalizationOp(OnnxOp):
    """Y = (X - mean) / (sqrt(variance) + 1e-9) with the statistics over `axes`
    (default [0, 2, 3])."""

    name = "onnx.MeanVarianceNormalization"

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    axes = ints_prop()

    def effective_axes(self) -> list[int]:
        """The normalized, sorted axes (absent: [0, 2, 3])."""
        rank = rank_of(self, self.x, "X")
        axes = ints_value(self.axes)
        if axes is None:
            axes = [0, 2, 3]
        return sorted({expect_axis(self, a, rank, "axes entry") for a in axes})

    def verify_(self) -> None:
        expect_same_type(self, self.x, self.y, "X and Y")
        axes = ints_value(self.axes)
        effective = self.effective_axes()
        if axes is not None and len(effective) != len(axes):
            raise fail(self, f"axes {axes} has duplicates")


@irdl_op_definition
class LRNOp(OnnxOp):
    """Local response normalization across channels (axis 1):
    Y = X / (bias + alpha / size * sum of X^2 over the `size` neighbouring channels)^beta."""

    name = "onnx.LRN"

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    x = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    alpha = float_prop(1e-4)
    beta = float_prop(0.75)
    bias = float_prop(1.0)
    size = required_int_prop()

    def verify_(self) -> None:
        expect_min_rank(self, self.x, "X", 2)
        expect_same_type(self, self.x, self.y, "X and Y")
        if self.size.value.data < 1:
            raise fail(self, f"size must be >= 1, got {self.size.value.data}")


# ---- softmax ------------------------------------------------------------------------


class SoftmaxBaseOp(OnnxOp):
    """input -> output of the same type, normalized along `axis` (default -1)."""

    traits = traits_def(FusionAnchor(prologue=True))

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    input = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))
    axis = int_prop(-1)

    def __init__(self, input: SSAValue, *, axis: int | None = None) -> None:
        super().__init__(operands=[input], result_types=[input.type], properties=onnx_properties(type(self), axis=axis))

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.input, "input"))

    def verify_(self) -> None:
        expect_same_type(self, self.input, self.output, "input and output")
        self.normalized_axis()


@irdl_op_definition
class SoftmaxOp(SoftmaxBaseOp):
    name = "onnx.Softmax"


@irdl_op_definition
class LogSoftmaxOp(SoftmaxBaseOp):
    name = "onnx.LogSoftmax"


# ---- dropout, prelu -----------------------------------------------------------------


@irdl_op_definition
class DropoutOp(OnnxOp):
    """Identity in inference (training_mode absent or false); mask is i1."""

    name = "onnx.Dropout"
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    T: ClassVar = VarConstraint("T", FLOAT_TYPES)
    data = operand_def(tensor_of(T))
    ratio = opt_operand_def(tensor_of(FLOAT_TYPES))
    training_mode = opt_operand_def(tensor_of(BOOL_TYPES))
    output = result_def(tensor_of(T))
    mask = opt_result_def(tensor_of(BOOL_TYPES))

    seed = int_prop()

    def verify_(self) -> None:
        expect_same_type(self, self.data, self.output, "data and output")
        if self.ratio is not None:
            expect_scalar(self, self.ratio, "ratio", allow_one_element=True)
        if self.training_mode is not None:
            expect_scalar(self, self.training_mode, "training_mode", allow_one_element=True)
        if self.mask is not None:
            expect_shape(self, self.mask, "mask", shape_of(self, self.data, "data"))


@irdl_op_definition
class PReluOp(OnnxOp):
    """Y = X < 0 ? slope * X : X; slope broadcasts unidirectionally to X."""

    name = "onnx.PRelu"
    traits = traits_def(Elementwise())

    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    x = operand_def(tensor_of(T))
    slope = operand_def(tensor_of(T))
    y = result_def(tensor_of(T))

    def verify_(self) -> None:
        expect_same_type(self, self.x, self.y, "X and Y")
        sx, ss = shape_of(self, self.x, "X"), shape_of(self, self.slope, "slope")
        if not unidirectional_broadcastable(ss, sx):
            raise fail(self, f"slope {fmt_shape(ss)} does not broadcast to X {fmt_shape(sx)}")
