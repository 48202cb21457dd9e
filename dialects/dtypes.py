"""The one table of ONNX tensor element types (TensorProto.DataType): each code's name,
numpy dtype and graph-level xDSL element type; every other view is derived from it.

At the graph level unsigned ONNX integers are unsigned xDSL integers (`tensor<4xui8>`),
as the importer types values and as `onnx_element_type` reads Cast's `to` and EyeLike's
`dtype`; the loop level uses signless integers (arith requires them) and the lowering
picks the unsigned op (divui, uitofp, ...) from the graph-level type.

The codes are written out rather than read from `onnx.TensorProto`: they are part of
the ONNX format (onnx.proto), and this leaf is imported by every layer, including ones
that must not pay for importing onnx (the dialects, parsing `.mlir` in opt-tool).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from xdsl.dialects import builtin as b
from xdsl.ir import Attribute, SSAValue


class OnnxDataType(NamedTuple):
    name: str  # TensorProto.DataType name
    numpy: np.dtype | None  # None: numpy has no such dtype (Strata cannot hold the data)
    element: Attribute | None  # graph-level element type; None: xDSL has none (STRING, COMPLEX*)


def _unsigned(width: int) -> b.IntegerType:
    return b.IntegerType(width, b.Signedness.UNSIGNED)


def _t(name: str, numpy, element: Attribute | None) -> OnnxDataType:
    return OnnxDataType(name, None if numpy is None else np.dtype(numpy), element)


ONNX_TYPES: dict[int, OnnxDataType] = {
    1: _t("FLOAT", np.float32, b.f32),
    2: _t("UINT8", np.uint8, _unsigned(8)),
    3: _t("INT8", np.int8, b.i8),
    4: _t("UINT16", np.uint16, _unsigned(16)),
    5: _t("INT16", np.int16, b.i16),
    6: _t("INT32", np.int32, b.i32),
    7: _t("INT64", np.int64, b.i64),
    8: _t("STRING", None, None),
    9: _t("BOOL", np.bool_, b.i1),
    10: _t("FLOAT16", np.float16, b.f16),
    11: _t("DOUBLE", np.float64, b.f64),
    12: _t("UINT32", np.uint32, _unsigned(32)),
    13: _t("UINT64", np.uint64, _unsigned(64)),
    14: _t("COMPLEX64", None, None),
    15: _t("COMPLEX128", None, None),
    16: _t("BFLOAT16", None, b.BFloat16Type()),
    17: _t("FLOAT8E4M3FN", None, b.Float8E4M3FNType()),
    18: _t("FLOAT8E4M3FNUZ", None, b.Float8E4M3FNUZType()),
    19: _t("FLOAT8E5M2", None, b.Float8E5M2Type()),
    20: _t("FLOAT8E5M2FNUZ", None, b.Float8E5M2FNUZType()),
    21: _t("UINT4", None, _unsigned(4)),
    22: _t("INT4", None, b.IntegerType(4)),
    23: _t("FLOAT4E2M1", None, b.Float4E2M1FNType()),
    24: _t("FLOAT8E8M0", None, b.Float8E8M0FNUType()),
    25: _t("UINT2", None, _unsigned(2)),
    26: _t("INT2", None, b.IntegerType(2)),
    27: _t("FLOAT6E2M3", None, b.Float6E2M3FNType()),
    28: _t("FLOAT6E3M2", None, b.Float6E3M2FNType()),
}
"""TensorProto.DataType code -> its entry, every code but UNDEFINED (0), as of onnx 1.18+."""

ONNX_DATA_TYPES = frozenset(ONNX_TYPES)
"""TensorProto.DataType values other than UNDEFINED (0)."""

# The types Strata holds data of: a numpy dtype and an xDSL element type both.
_SUPPORTED = {code: t for code, t in ONNX_TYPES.items() if t.numpy is not None and t.element is not None}
_NUMPY_TO_ONNX = {t.numpy: code for code, t in _SUPPORTED.items()}
_XDSL_TO_NUMPY = {t.element: t.numpy for t in _SUPPORTED.values()}


def onnx_type_name(elem_type: int) -> str:
    entry = ONNX_TYPES.get(elem_type)
    return entry.name if entry is not None else f"<unknown data type {elem_type}>"


def onnx_element_type(elem_type: int) -> Attribute | None:
    """The graph-level element type of ONNX data type `elem_type` (Cast's `to`,
    EyeLike's `dtype`); None for a valid type without an xDSL counterpart (STRING,
    COMPLEX*) and for a value that is no ONNX data type."""
    entry = ONNX_TYPES.get(elem_type)
    return None if entry is None else entry.element


def is_supported_onnx_type(elem_type: int) -> bool:
    return elem_type in _SUPPORTED


def _supported(elem_type: int) -> OnnxDataType:
    if elem_type not in _SUPPORTED:
        raise ValueError(f"unsupported ONNX element type {onnx_type_name(elem_type)}")
    return _SUPPORTED[elem_type]


def onnx_to_numpy(elem_type: int) -> np.dtype:
    return _supported(elem_type).numpy  # type: ignore[return-value]


def onnx_to_xdsl(elem_type: int) -> Attribute:
    return _supported(elem_type).element  # type: ignore[return-value]


def numpy_to_onnx(dtype: np.dtype) -> int:
    return _NUMPY_TO_ONNX[np.dtype(dtype)]


def xdsl_element_type(dtype: np.dtype) -> Attribute:
    return onnx_to_xdsl(numpy_to_onnx(dtype))


def numpy_dtype(ty: Attribute) -> np.dtype:
    """The numpy dtype for an xDSL element type: signless and signed ints read as
    signed, unsigned ints as unsigned, i1 as bool."""
    if isinstance(ty, b.IntegerType) and (ty.signedness.data == b.Signedness.SIGNED or ty.width.data == 1):
        ty = b.IntegerType(ty.width.data)
    if ty not in _XDSL_TO_NUMPY:
        raise ValueError(f"no numpy dtype for {ty}")
    return _XDSL_TO_NUMPY[ty]


def xdsl_to_onnx(ty: Attribute) -> int:
    return numpy_to_onnx(numpy_dtype(ty))


def is_float_tensor(value: SSAValue) -> bool:
    """Whether `value` is a tensor of a floating-point element type (f16, bf16, f32, ...)."""
    ty = value.type
    return isinstance(ty, b.TensorType) and isinstance(ty.element_type, b.AnyFloat)
