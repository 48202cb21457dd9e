"""Constants, shape queries and data-movement ONNX ops: Constant, ConstantOfShape, Range,
Shape, Size, Identity, Reshape, Flatten, Transpose, Concat, Split, Slice, Squeeze,
Unsqueeze, Gather, GatherElements, GatherND, ScatterElements, ScatterND, OneHot, Trilu,
EyeLike, DepthToSpace, SpaceToDepth, Expand, Tile, Pad and Resize, each in its opset-21
form (shapes, axes, pads, starts/ends, split sizes, scales and sizes are operands, not
attributes; DepthToSpace/SpaceToDepth also take the opset-28 `mode`). Index
operands must be 1-D i64 (or i32) tensors. The verifiers check what is known without
reading constant operands: ranks, element types, lengths of index operands when static,
attribute values, and result shapes where they follow from static input shapes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from xdsl.dialects.builtin import IntegerAttr, TensorType, f32, i64
from xdsl.ir import Attribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    VarConstraint,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
    var_result_def,
)

from dialects.onnx.base import (
    OnnxOp,
    ANY_TYPES,
    FLOAT_TYPES,
    I64_TYPE,
    INDEX_TYPES,
    NUMERIC_TYPES,
    DYNAMIC,
    TensorDataAttr,
    dims_compatible,
    element_type_of,
    expect_1d_index,
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
    num_elements,
    onnx_element_type,
    onnx_properties,
    rank_of,
    required_int_prop,
    shape_of,
    str_attr_value,
    str_prop,
    tensor_of,
    tensor_type,
    unidirectional_broadcastable,
)
from dialects.onnx.traits import Elementwise, ShapeView


# ---- constants and shape queries ----------------------------------------------------


@irdl_op_definition
class ConstantOp(OnnxOp):
    """A tensor constant. `value` is an inline `dense<...>` for small tensors or a
    `dense_resource<handle>` whose data lives in the compile's weight table."""

    name = "onnx.Constant"

    value = prop_def(TensorDataAttr)
    output = result_def(tensor_of(ANY_TYPES))

    def __init__(self, value: TensorDataAttr) -> None:
        """The constant `value`; the result has value's type."""
        super().__init__(result_types=[value.get_type()], properties={"value": value})

    def verify_(self) -> None:
        if self.value.get_type() != self.output.type:
            raise fail(self, f"value type {self.value.get_type()} differs from result type {self.output.type}")


@irdl_op_definition
class ConstantOfShapeOp(OnnxOp):
    """A tensor of shape `input` filled with the one element of `value` (absent:
    f32 zero)."""

    name = "onnx.ConstantOfShape"

    input = operand_def(tensor_of(INDEX_TYPES))
    output = result_def(tensor_of(ANY_TYPES))
    value = opt_prop_def(TensorDataAttr)

    def verify_(self) -> None:
        n = expect_1d_index(self, self.input, "input")
        if n is not None:
            expect_rank(self, self.output, "output", n)
        got = tensor_type(self, self.output, "output").element_type
        if self.value is None:
            if got != f32:
                raise fail(self, f"output must be f32 when value is absent, got {got}")
            return
        vty = self.value.get_type()
        if num_elements(vty.get_shape()) != 1:
            raise fail(self, f"value must hold exactly one element, got {vty}")
        if vty.element_type != got:
            raise fail(self, f"value element type {vty.element_type} differs from output element type {got}")


@irdl_op_definition
class RangeOp(OnnxOp):
    """[start, start + delta, ...) up to limit; scalars in, 1-D out."""

    name = "onnx.Range"

    T: ClassVar = VarConstraint("T", NUMERIC_TYPES)
    start = operand_def(tensor_of(T))
    limit = operand_def(tensor_of(T))
    delta = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))

    def verify_(self) -> None:
        for value, what in ((self.start, "start"), (self.limit, "limit"), (self.delta, "delta")):
            expect_scalar(self, value, what, allow_one_element=True)
        expect_rank(self, self.output, "output", 1)


@irdl_op_definition
class ShapeOp(OnnxOp):
    """The i64 shape of `data`, sliced to dims [start, end) (negative: from the back)."""

    name = "onnx.Shape"

    data = operand_def(tensor_of(ANY_TYPES))
    shape = result_def(tensor_of(I64_TYPE))

    end = int_prop()
    start = int_prop(0)

    def dim_range(self) -> tuple[int, int]:
        """The clamped [start, end) of the dims reported."""
        rank = rank_of(self, self.data, "data")

        def clamp(v: int) -> int:
            return min(max(v + rank if v < 0 else v, 0), rank)

        start = clamp(self.start.value.data)
        end_attr = int_attr_value(self.end)
        end = rank if end_attr is None else clamp(end_attr)
        return start, max(start, end)

    def verify_(self) -> None:
        start, end = self.dim_range()
        expect_shape(self, self.shape, "shape", (end - start,))


@irdl_op_definition
class SizeOp(OnnxOp):
    """The element count of `data` as an i64 scalar."""

    name = "onnx.Size"

    data = operand_def(tensor_of(ANY_TYPES))
    size = result_def(tensor_of(I64_TYPE))

    def verify_(self) -> None:
        expect_shape(self, self.size, "size", ())


@irdl_op_definition
class IdentityOp(OnnxOp):
    name = "onnx.Identity"
    traits = traits_def(Elementwise())

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    input = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))

    def verify_(self) -> None:
        expect_same_type(self, self.input, self.output, "input and output")


# ---- reshaping ----------------------------------------------------------------------


@irdl_op_definition
class ReshapeOp(OnnxOp):
    """Reshape to the 1-D i64 `shape` (0 copies the input dim unless allowzero, -1 infers)."""

    name = "onnx.Reshape"
    traits = traits_def(ShapeView())

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    shape = operand_def(tensor_of(INDEX_TYPES))
    reshaped = result_def(tensor_of(T))

    allowzero = int_prop(0)

    def __init__(self, data: SSAValue, shape: SSAValue, result_type: Attribute, *, allowzero: int | None = None) -> None:
        """data reshaped to `result_type` (the type the values of `shape` give, which
        operand types alone do not determine)."""
        super().__init__(
            operands=[data, shape], result_types=[result_type], properties=onnx_properties(ReshapeOp, allowzero=allowzero)
        )

    def verify_(self) -> None:
        expect_flag(self, self.allowzero, "allowzero")
        n = expect_1d_index(self, self.shape, "shape")
        if n is not None:
            expect_rank(self, self.reshaped, "reshaped", n)
        before = num_elements(shape_of(self, self.data, "data"))
        after = num_elements(shape_of(self, self.reshaped, "reshaped"))
        if before is not None and after is not None and before != after:
            raise fail(self, f"reshaped has {after} elements but data has {before}")


@irdl_op_definition
class FlattenOp(OnnxOp):
    """To 2-D: dims [0, axis) become the rows, [axis, rank) the columns."""

    name = "onnx.Flatten"
    traits = traits_def(ShapeView())

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    input = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))

    axis = int_prop(1)

    def normalized_axis(self) -> int:
        rank = rank_of(self, self.input, "input")
        axis = self.axis.value.data
        if not -rank <= axis <= rank:
            raise fail(self, f"axis {axis} is out of range for rank {rank}")
        return axis + rank if axis < 0 else axis

    def verify_(self) -> None:
        axis = self.normalized_axis()
        shape = shape_of(self, self.input, "input")
        rows, cols = num_elements(shape[:axis]), num_elements(shape[axis:])
        expect_shape(
            self,
            self.output,
            "output",
            (DYNAMIC if rows is None else rows, DYNAMIC if cols is None else cols),
        )


@irdl_op_definition
class TransposeOp(OnnxOp):
    """Permutes dims: transposed.shape[i] = data.shape[perm[i]] (default: reversed)."""

    name = "onnx.Transpose"

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    transposed = result_def(tensor_of(T))

    perm = ints_prop()

    def __init__(self, data: SSAValue, *, perm: Sequence[int] | None = None) -> None:
        """data with its dims permuted by `perm` (None: reversed); the result type
        follows."""
        shape = shape_of(self, data, "data")
        order = list(perm) if perm is not None else list(reversed(range(len(shape))))
        result = TensorType(element_type_of(data), [shape[p] for p in order])
        super().__init__(operands=[data], result_types=[result], properties=onnx_properties(TransposeOp, perm=perm))

    def effective_perm(self) -> list[int]:
        perm = ints_value(self.perm)
        if perm is None:
            return list(reversed(range(rank_of(self, self.data, "data"))))
        return perm

    def verify_(self) -> None:
        shape = shape_of(self, self.data, "data")
        perm = self.effective_perm()
        if sorted(perm) != list(range(len(shape))):
            raise fail(self, f"perm {perm} is not a permutation of the {len(shape)} dims of data")
        expect_shape(self, self.transposed, "transposed", [shape[p] for p in perm])


@irdl_op_definition
class SqueezeOp(OnnxOp):
    """Removes the size-1 dims listed in `axes` (absent: all size-1 dims)."""

    name = "onnx.Squeeze"
    traits = traits_def(ShapeView())

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    axes = opt_operand_def(tensor_of(INDEX_TYPES))
    squeezed = result_def(tensor_of(T))

    def verify_(self) -> None:
        shape = shape_of(self, self.data, "data")
        out_rank = rank_of(self, self.squeezed, "squeezed")
        if self.axes is not None:
            n = expect_1d_index(self, self.axes, "axes")
            if n is not None:
                expect_rank(self, self.squeezed, "squeezed", len(shape) - n)
        elif all(not is_dynamic(d) for d in shape):
            expect_shape(self, self.squeezed, "squeezed", [d for d in shape if d != 1])
        elif out_rank > len(shape):
            raise fail(self, f"squeezed rank {out_rank} exceeds data rank {len(shape)}")


@irdl_op_definition
class UnsqueezeOp(OnnxOp):
    """Inserts size-1 dims at `axes` (positions in the output)."""

    name = "onnx.Unsqueeze"
    traits = traits_def(ShapeView())

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    axes = operand_def(tensor_of(INDEX_TYPES))
    expanded = result_def(tensor_of(T))

    def verify_(self) -> None:
        n = expect_1d_index(self, self.axes, "axes")
        if n is not None:
            expect_rank(self, self.expanded, "expanded", rank_of(self, self.data, "data") + n)


@irdl_op_definition
class ExpandOp(OnnxOp):
    """Broadcasts `input` against the 1-D i64 `shape`."""

    name = "onnx.Expand"

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    input = operand_def(tensor_of(T))
    shape = operand_def(tensor_of(INDEX_TYPES))
    output = result_def(tensor_of(T))

    def verify_(self) -> None:
        n = expect_1d_index(self, self.shape, "shape")
        sx, sy = shape_of(self, self.input, "input"), shape_of(self, self.output, "output")
        if n is not None and len(sy) != max(n, len(sx)):
            raise fail(self, f"output rank {len(sy)} is not max(input rank {len(sx)}, shape length {n})")
        if not unidirectional_broadcastable(sx, sy):
            raise fail(self, f"input {fmt_shape(sx)} does not broadcast to output {fmt_shape(sy)}")


@irdl_op_definition
class TileOp(OnnxOp):
    """Repeats `input` repeats[i] times along dim i."""

    name = "onnx.Tile"

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    input = operand_def(tensor_of(T))
    repeats = operand_def(tensor_of(INDEX_TYPES))
    output = result_def(tensor_of(T))

    def verify_(self) -> None:
        rank = rank_of(self, self.input, "input")
        n = expect_1d_index(self, self.repeats, "repeats")
        if n is not None and n != rank:
            raise fail(self, f"repeats has {n} entries for a rank-{rank} input")
        expect_rank(self, self.output, "output", rank)
        for i, (a, b) in enumerate(zip(shape_of(self, self.input, "input"), shape_of(self, self.output, "output"))):
            if not (is_dynamic(a) or is_dynamic(b)) and a > 0 and b % a:
                raise fail(self, f"output dim {i} ({b}) is not a multiple of input dim {a}")


# ---- joining and splitting ----------------------------------------------------------


CONCAT_AXIS = "strata.concat_axis"  # the kernel attribute ConcatOp.kernel_attributes sets


@irdl_op_definition
class ConcatOp(OnnxOp):
    """Joins `inputs` along `axis`; all other dims must agree."""

    name = "onnx.Concat"

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    inputs = var_operand_def(tensor_of(T))
    concat_result = result_def(tensor_of(T))

    axis = required_int_prop()

    def __init__(self, inputs: Sequence[SSAValue], *, axis: int) -> None:
        """`inputs` joined along `axis`; the result type follows (a dynamic size along
        the axis makes that dim dynamic)."""
        shapes = [shape_of(self, v, "input") for v in inputs]
        out = list(shapes[0])
        axis_n = expect_axis(self, axis, len(out))
        sizes = [sh[axis_n] for sh in shapes]
        out[axis_n] = DYNAMIC if any(is_dynamic(d) for d in sizes) else sum(sizes)
        result = TensorType(element_type_of(inputs[0]), out)
        super().__init__(operands=[list(inputs)], result_types=[result], properties=onnx_properties(ConcatOp, axis=axis))

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.concat_result, "concat_result"))

    def kernel_attributes(self) -> dict[str, Attribute]:
        """`strata.concat_axis` on its kernel: plan-memory reads it to let the inputs be
        written in place into the output (lowering/plan_memory.py, alias_concats)."""
        return {CONCAT_AXIS: IntegerAttr(self.normalized_axis(), i64)}

    def verify_(self) -> None:
        inputs = list(self.inputs)
        if not inputs:
            raise fail(self, "needs at least one input")
        out = shape_of(self, self.concat_result, "concat_result")
        expect_min_rank(self, self.concat_result, "concat_result", 1)
        axis = self.normalized_axis()
        total = 0
        for i, value in enumerate(inputs):
            shape = shape_of(self, value, f"input {i}")
            if len(shape) != len(out):
                raise fail(self, f"input {i} has rank {len(shape)}, expected {len(out)}")
            for d, (a, b) in enumerate(zip(shape, out)):
                if d != axis and not dims_compatible(a, b):
                    raise fail(
                        self,
                        f"input {i} {fmt_shape(shape)} differs from concat_result {fmt_shape(out)} in dim {d}",
                    )
            total = DYNAMIC if is_dynamic(total) or is_dynamic(shape[axis]) else total + shape[axis]
        if not dims_compatible(total, out[axis]):
            raise fail(self, f"concat_result dim {axis} is {out[axis]}, the inputs sum to {total}")


@irdl_op_definition
class SplitOp(OnnxOp):
    """Splits `input` along `axis` into the variadic `outputs` (sizes from `split`,
    else num_outputs near-equal parts)."""

    name = "onnx.Split"

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    input = operand_def(tensor_of(T))
    split = opt_operand_def(tensor_of(INDEX_TYPES))
    outputs = var_result_def(tensor_of(T))

    axis = int_prop(0)
    num_outputs = int_prop()

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.input, "input"))

    def verify_(self) -> None:
        outputs = list(self.outputs)
        if not outputs:
            raise fail(self, "needs at least one output")
        axis = self.normalized_axis()
        num = int_attr_value(self.num_outputs)
        if num is not None:
            if self.split is not None:
                raise fail(self, "split and num_outputs cannot both be given")
            if num != len(outputs):
                raise fail(self, f"num_outputs is {num} but the op has {len(outputs)} outputs")
        if self.split is not None:
            n = expect_1d_index(self, self.split, "split")
            if n is not None and n != len(outputs):
                raise fail(self, f"split has {n} entries for {len(outputs)} outputs")
        shape = shape_of(self, self.input, "input")
        total = 0
        for i, value in enumerate(outputs):
            out = shape_of(self, value, f"output {i}")
            if len(out) != len(shape):
                raise fail(self, f"output {i} has rank {len(out)}, expected {len(shape)}")
            for d, (a, b) in enumerate(zip(shape, out)):
                if d != axis and not dims_compatible(a, b):
                    raise fail(self, f"output {i} {fmt_shape(out)} differs from input {fmt_shape(shape)} in dim {d}")
            total = DYNAMIC if is_dynamic(total) or is_dynamic(out[axis]) else total + out[axis]
        if not dims_compatible(total, shape[axis]):
            raise fail(self, f"outputs sum to {total} along axis {axis}, input has {shape[axis]}")
        if num is not None and not is_dynamic(shape[axis]):
            # ONNX fixes the sizes: ceil(dim / num) each, the last one what is left.
            part = -(-shape[axis] // num)
            want = [min(part, max(shape[axis] - i * part, 0)) for i in range(num)]
            got = [shape_of(self, v, "output")[axis] for v in outputs]
            if all(not is_dynamic(g) for g in got) and got != want:
                raise fail(self, f"num_outputs {num} splits dim {shape[axis]} into {want}, outputs have {got}")


# ---- indexing -----------------------------------------------------------------------


@irdl_op_definition
class SliceOp(OnnxOp):
    """numpy-style strided slice; starts/ends/axes/steps are 1-D index tensors."""

    name = "onnx.Slice"
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    starts = operand_def(tensor_of(INDEX_TYPES))
    ends = operand_def(tensor_of(INDEX_TYPES))
    axes = opt_operand_def(tensor_of(INDEX_TYPES))
    steps = opt_operand_def(tensor_of(INDEX_TYPES))
    output = result_def(tensor_of(T))

    def verify_(self) -> None:
        rank = rank_of(self, self.data, "data")
        expect_rank(self, self.output, "output", rank)
        lengths = {}
        for value, what in (
            (self.starts, "starts"),
            (self.ends, "ends"),
            (self.axes, "axes"),
            (self.steps, "steps"),
        ):
            if value is not None:
                n = expect_1d_index(self, value, what)
                if n is not None:
                    lengths[what] = n
        if len(set(lengths.values())) > 1:
            raise fail(self, f"starts, ends, axes and steps differ in length: {lengths}")
        if lengths and max(lengths.values()) > rank:
            raise fail(self, f"{max(lengths.values())} slice entries for a rank-{rank} input")


@irdl_op_definition
class GatherOp(OnnxOp):
    """output = data indexed along `axis` by `indices` (i32/i64, negatives wrap)."""

    name = "onnx.Gather"

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    indices = operand_def(tensor_of(INDEX_TYPES))
    output = result_def(tensor_of(T))

    axis = int_prop(0)

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.data, "data"))

    def verify_(self) -> None:
        expect_min_rank(self, self.data, "data", 1)
        axis = self.normalized_axis()
        sd, si = shape_of(self, self.data, "data"), shape_of(self, self.indices, "indices")
        expect_shape(self, self.output, "output", (*sd[:axis], *si, *sd[axis + 1 :]))


@irdl_op_definition
class GatherElementsOp(OnnxOp):
    """output[i] = data[i with dim `axis` replaced by indices[i]]; indices has data's
    rank and gives the output shape."""

    name = "onnx.GatherElements"

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    indices = operand_def(tensor_of(INDEX_TYPES))
    output = result_def(tensor_of(T))

    axis = int_prop(0)

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.data, "data"))

    def verify_(self) -> None:
        expect_min_rank(self, self.data, "data", 1)
        expect_rank(self, self.indices, "indices", rank_of(self, self.data, "data"))
        self.normalized_axis()
        expect_shape(self, self.output, "output", shape_of(self, self.indices, "indices"))


SCATTER_REDUCTIONS = ("none", "add", "mul", "max", "min")


@irdl_op_definition
class ScatterElementsOp(OnnxOp):
    """output = data, then output[i with dim `axis` replaced by indices[i]] =
    updates[i] (or combined with it by `reduction`)."""

    name = "onnx.ScatterElements"

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    indices = operand_def(tensor_of(INDEX_TYPES))
    updates = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))

    axis = int_prop(0)
    reduction = str_prop("none")

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.data, "data"))

    def verify_(self) -> None:
        expect_choice(self, self.reduction, "reduction", SCATTER_REDUCTIONS)
        expect_same_type(self, self.data, self.output, "data and output")
        expect_min_rank(self, self.data, "data", 1)
        expect_rank(self, self.indices, "indices", rank_of(self, self.data, "data"))
        expect_shape(self, self.updates, "updates", shape_of(self, self.indices, "indices"))
        self.normalized_axis()


def _index_tuple_length(op: IRDLOperation, indices, data_rank: int, batch_dims: int) -> int | None:
    """The static last dim of GatherND/ScatterND indices (the index tuple length)."""
    expect_min_rank(op, indices, "indices", max(1, batch_dims + 1))
    q = shape_of(op, indices, "indices")[-1]
    if is_dynamic(q):
        return None
    if q > data_rank - batch_dims:
        raise fail(op, f"indices tuples have {q} entries, data has only {data_rank - batch_dims} indexable dims")
    return q


@irdl_op_definition
class GatherNDOp(OnnxOp):
    """Gathers slices of data at the index tuples in the last dim of indices (i64); the
    first `batch_dims` dims of data and indices are batch dims. Output shape:
    data[:b] + indices[b:-1] + data[b + q:]."""

    name = "onnx.GatherND"

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    indices = operand_def(tensor_of(INDEX_TYPES))
    output = result_def(tensor_of(T))

    batch_dims = int_prop(0)

    def verify_(self) -> None:
        b = self.batch_dims.value.data
        sd, si = shape_of(self, self.data, "data"), shape_of(self, self.indices, "indices")
        if b < 0 or b >= min(len(sd), len(si)):
            raise fail(self, f"batch_dims {b} must be in [0, min(rank(data), rank(indices)))")
        if not all(dims_compatible(a, c) for a, c in zip(sd[:b], si[:b])):
            raise fail(self, f"batch dims of data {fmt_shape(sd)} and indices {fmt_shape(si)} differ")
        q = _index_tuple_length(self, self.indices, len(sd), b)
        if q is not None:
            expect_shape(self, self.output, "output", (*sd[:b], *si[b:-1], *sd[b + q :]))


@irdl_op_definition
class ScatterNDOp(OnnxOp):
    """output = data, then output[indices[j]] = updates[j] (slices; or combined by
    `reduction`). updates has shape indices[:-1] + data[q:]."""

    name = "onnx.ScatterND"

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    indices = operand_def(tensor_of(INDEX_TYPES))
    updates = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))

    reduction = str_prop("none")

    def verify_(self) -> None:
        expect_choice(self, self.reduction, "reduction", SCATTER_REDUCTIONS)
        expect_same_type(self, self.data, self.output, "data and output")
        sd, si = shape_of(self, self.data, "data"), shape_of(self, self.indices, "indices")
        q = _index_tuple_length(self, self.indices, len(sd), 0)
        if q is not None:
            expect_shape(self, self.updates, "updates", (*si[:-1], *sd[q:]))


@irdl_op_definition
class OneHotOp(OnnxOp):
    """output has indices' shape with a `depth`-sized dim inserted at `axis`; it holds
    values[1] where the (negative-wrapped) index matches, values[0] elsewhere."""

    name = "onnx.OneHot"

    T3: ClassVar = VarConstraint("T3", ANY_TYPES)
    indices = operand_def(tensor_of(NUMERIC_TYPES))
    depth = operand_def(tensor_of(NUMERIC_TYPES))
    values = operand_def(tensor_of(T3))
    output = result_def(tensor_of(T3))

    axis = int_prop(-1)

    def normalized_axis(self) -> int:
        return expect_axis(self, self.axis.value.data, rank_of(self, self.indices, "indices") + 1)

    def verify_(self) -> None:
        expect_scalar(self, self.depth, "depth", allow_one_element=True)
        expect_shape(self, self.values, "values", (2,))
        axis = self.normalized_axis()
        si, so = shape_of(self, self.indices, "indices"), shape_of(self, self.output, "output")
        expect_rank(self, self.output, "output", len(si) + 1)
        expect_shape(self, self.output, "output", (*si[:axis], so[axis], *si[axis:]))


@irdl_op_definition
class TriluOp(OnnxOp):
    """Keeps the upper (upper=1: j - i >= k) or lower (j - i <= k) triangle of the last
    two dims and zeroes the rest; k is an optional scalar i64 operand (default 0)."""

    name = "onnx.Trilu"

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    input = operand_def(tensor_of(T))
    k = opt_operand_def(tensor_of(INDEX_TYPES))
    output = result_def(tensor_of(T))

    upper = int_prop(1)

    def verify_(self) -> None:
        expect_flag(self, self.upper, "upper")
        expect_min_rank(self, self.input, "input", 2)
        expect_same_type(self, self.input, self.output, "input and output")
        if self.k is not None:
            expect_scalar(self, self.k, "k", allow_one_element=True)


@irdl_op_definition
class EyeLikeOp(OnnxOp):
    """A 2-D tensor of input's shape with ones on diagonal k and zeros elsewhere, of
    element type `dtype` (absent: input's)."""

    name = "onnx.EyeLike"

    input = operand_def(tensor_of(ANY_TYPES))
    output = result_def(tensor_of(ANY_TYPES))

    dtype = int_prop()
    k = int_prop(0)

    def verify_(self) -> None:
        expect_rank(self, self.input, "input", 2)
        expect_shape(self, self.output, "output", shape_of(self, self.input, "input"))
        got = tensor_type(self, self.output, "output").element_type
        dtype = int_attr_value(self.dtype)
        want = tensor_type(self, self.input, "input").element_type if dtype is None else onnx_element_type(dtype)
        if want is None:
            raise fail(self, f"dtype {dtype} is not a supported data type")
        if got != want:
            raise fail(self, f"output element type {got} differs from {want}")


SPACE_DEPTH_MODES = ("DCR", "CRD")


class SpaceDepthOp(OnnxOp):
    """DepthToSpace / SpaceToDepth: (N, C, H, W) <-> (N, C * b * b, H / b, W / b) for
    blocksize b; `mode` orders the channel index as (row, column, depth) or (depth, row,
    column)."""


    T: ClassVar = VarConstraint("T", ANY_TYPES)
    input = operand_def(tensor_of(T))
    output = result_def(tensor_of(T))

    blocksize = required_int_prop()
    mode = str_prop("DCR")

    def effective_mode(self) -> str:
        return str_attr_value(self.mode) or "DCR"

    def verify_space_depth(self, to_space: bool) -> None:
        expect_choice(self, self.mode, "mode", SPACE_DEPTH_MODES)
        expect_rank(self, self.input, "input", 4)
        b = self.blocksize.value.data
        if b < 1:
            raise fail(self, f"blocksize must be >= 1, got {b}")
        n, c, h, w = shape_of(self, self.input, "input")

        def scaled(d: int, factor: int, down: bool) -> int:
            if is_dynamic(d):
                return DYNAMIC
            if down and d % factor:
                raise fail(self, f"input {fmt_shape((n, c, h, w))} is not divisible by the block ({factor})")
            return d // factor if down else d * factor

        if to_space:
            expected = (n, scaled(c, b * b, True), scaled(h, b, False), scaled(w, b, False))
        else:
            expected = (n, scaled(c, b * b, False), scaled(h, b, True), scaled(w, b, True))
        expect_shape(self, self.output, "output", expected)


@irdl_op_definition
class DepthToSpaceOp(SpaceDepthOp):
    name = "onnx.DepthToSpace"

    def verify_(self) -> None:
        self.verify_space_depth(to_space=True)


@irdl_op_definition
class SpaceToDepthOp(SpaceDepthOp):
    name = "onnx.SpaceToDepth"

    def verify_(self) -> None:
        self.verify_space_depth(to_space=False)


# ---- padding and resizing -----------------------------------------------------------

PAD_MODES = ("constant", "reflect", "edge", "wrap")


@irdl_op_definition
class PadOp(OnnxOp):
    """Pads with `pads` = [x1_begin, x2_begin, ..., x1_end, x2_end] over `axes`
    (default: all); negative pads crop."""

    name = "onnx.Pad"
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    T: ClassVar = VarConstraint("T", ANY_TYPES)
    data = operand_def(tensor_of(T))
    pads = operand_def(tensor_of(INDEX_TYPES))
    constant_value = opt_operand_def(tensor_of(T))
    axes = opt_operand_def(tensor_of(INDEX_TYPES))
    output = result_def(tensor_of(T))

    mode = str_prop("constant")

    def verify_(self) -> None:
        expect_choice(self, self.mode, "mode", PAD_MODES)
        rank = rank_of(self, self.data, "data")
        expect_rank(self, self.output, "output", rank)
        n_pads = expect_1d_index(self, self.pads, "pads")
        n_axes: int | None = rank
        if self.axes is not None:
            n_axes = expect_1d_index(self, self.axes, "axes")
        if n_pads is not None and n_axes is not None and n_pads != 2 * n_axes:
            raise fail(self, f"pads has {n_pads} entries, expected {2 * n_axes}")
        if self.constant_value is not None:
            expect_scalar(self, self.constant_value, "constant_value", allow_one_element=True)


RESIZE_MODES = ("nearest", "linear", "cubic")
RESIZE_COORDINATE_MODES = (
    "half_pixel",
    "half_pixel_symmetric",
    "pytorch_half_pixel",
    "align_corners",
    "asymmetric",
    "tf_crop_and_resize",
)
RESIZE_NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
RESIZE_ASPECT_POLICIES = ("stretch", "not_larger", "not_smaller")


@irdl_op_definition
class ResizeOp(OnnxOp):
    """Resizes X by `scales` (float) or to `sizes` (i64) over `axes` (default: all);
    `roi` only matters for coordinate_transformation_mode=tf_crop_and_resize."""

    name = "onnx.Resize"
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    T1: ClassVar = VarConstraint("T1", ANY_TYPES)
    x = operand_def(tensor_of(T1))
    roi = opt_operand_def(tensor_of(FLOAT_TYPES))
    scales = opt_operand_def(tensor_of(FLOAT_TYPES))
    sizes = opt_operand_def(tensor_of(INDEX_TYPES))
    y = result_def(tensor_of(T1))

    antialias = int_prop(0)
    axes = ints_prop()
    coordinate_transformation_mode = str_prop("half_pixel")
    cubic_coeff_a = float_prop(-0.75)
    exclude_outside = int_prop(0)
    extrapolation_value = float_prop(0.0)
    keep_aspect_ratio_policy = str_prop("stretch")
    mode = str_prop("nearest")
    nearest_mode = str_prop("round_prefer_floor")

    def effective_axes(self) -> list[int]:
        """The resized axes, normalized to [0, rank)."""
        rank = rank_of(self, self.x, "X")
        axes = ints_value(self.axes)
        if axes is None:
            return list(range(rank))
        return [a + rank if a < 0 else a for a in axes]

    def has_scales(self) -> bool:
        """Whether scales is given and not an empty placeholder tensor (opset 11-13
        exporters pass an empty `scales` next to `sizes`)."""
        if self.scales is None:
            return False
        return shape_of(self, self.scales, "scales") != (0,)

    def verify_(self) -> None:
        expect_choice(self, self.mode, "mode", RESIZE_MODES)
        expect_choice(self, self.coordinate_transformation_mode, "coordinate_transformation_mode", RESIZE_COORDINATE_MODES)
        expect_choice(self, self.nearest_mode, "nearest_mode", RESIZE_NEAREST_MODES)
        expect_choice(self, self.keep_aspect_ratio_policy, "keep_aspect_ratio_policy", RESIZE_ASPECT_POLICIES)
        expect_flag(self, self.antialias, "antialias")
        expect_flag(self, self.exclude_outside, "exclude_outside")
        rank = rank_of(self, self.x, "X")
        expect_rank(self, self.y, "Y", rank)
        axes = ints_value(self.axes)
        if axes is not None:
            for a in axes:
                expect_axis(self, a, rank, "axes entry")
            if len(set(self.effective_axes())) != len(axes):
                raise fail(self, f"axes {axes} has duplicates")
        n_axes = len(self.effective_axes())
        if self.roi is not None:
            expect_rank(self, self.roi, "roi", 1)
        if self.scales is not None:
            expect_rank(self, self.scales, "scales", 1)
        if self.sizes is not None:
            expect_1d_index(self, self.sizes, "sizes")
        if self.has_scales() and self.sizes is not None:
            raise fail(self, "only one of scales and sizes may be given")
        if not self.has_scales() and self.sizes is None:
            raise fail(self, "one of scales and sizes must be given")
        given = self.scales if self.has_scales() else self.sizes
        assert given is not None
        n = shape_of(self, given, "scales/sizes")[0]
        if not is_dynamic(n) and n != n_axes:
            raise fail(self, f"scales/sizes has {n} entries, expected {n_axes}")
