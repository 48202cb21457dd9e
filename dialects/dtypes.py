"""One table between ONNX tensor element types, numpy dtypes and xDSL element types.

At the graph level unsigned ONNX integers are unsigned xDSL integers (`tensor<4xui8>`);
the loop level uses signless integers (arith requires them) and the lowering picks the
unsigned op (divui, uitofp, ...) from the graph-level type.
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto
from xdsl.dialects.builtin import (
    Float16Type,
    Float32Type,
    Float64Type,
    IntegerType,
    Signedness,
    f16,
    f32,
    f64,
    i1,
    i8,
    i16,
    i32,
    i64,
)
from xdsl.ir import Attribute

# onnx elem type -> (numpy dtype, xDSL element type)
_ONNX = {
    TensorProto.FLOAT: (np.float32, f32),
    TensorProto.DOUBLE: (np.float64, f64),
    TensorProto.FLOAT16: (np.float16, f16),
    TensorProto.INT64: (np.int64, i64),
    TensorProto.INT32: (np.int32, i32),
    TensorProto.INT16: (np.int16, i16),
    TensorProto.INT8: (np.int8, i8),
    TensorProto.UINT64: (np.uint64, IntegerType(64, Signedness.UNSIGNED)),
    TensorProto.UINT32: (np.uint32, IntegerType(32, Signedness.UNSIGNED)),
    TensorProto.UINT16: (np.uint16, IntegerType(16, Signedness.UNSIGNED)),
    TensorProto.UINT8: (np.uint8, IntegerType(8, Signedness.UNSIGNED)),
    TensorProto.BOOL: (np.bool_, i1),
}

_NUMPY_TO_ONNX = {np.dtype(v[0]): k for k, v in _ONNX.items()}


def is_supported_onnx_type(elem_type: int) -> bool:
    return elem_type in _ONNX


def onnx_to_numpy(elem_type: int) -> np.dtype:
    if elem_type not in _ONNX:
        raise ValueError(f"unsupported ONNX element type {TensorProto.DataType.Name(elem_type)}")
    return np.dtype(_ONNX[elem_type][0])


def onnx_to_xdsl(elem_type: int) -> Attribute:
    if elem_type not in _ONNX:
        raise ValueError(f"unsupported ONNX element type {TensorProto.DataType.Name(elem_type)}")
    return _ONNX[elem_type][1]


def numpy_to_onnx(dtype: np.dtype) -> int:
    return _NUMPY_TO_ONNX[np.dtype(dtype)]


def xdsl_element_type(dtype: np.dtype) -> Attribute:
    return onnx_to_xdsl(numpy_to_onnx(dtype))


def numpy_dtype(ty: Attribute) -> np.dtype:
    """The signed/float numpy dtype for an xDSL element type (signless ints read as signed)."""
    if isinstance(ty, Float32Type):
        return np.dtype(np.float32)
    if isinstance(ty, Float64Type):
        return np.dtype(np.float64)
    if isinstance(ty, Float16Type):
        return np.dtype(np.float16)
    if isinstance(ty, IntegerType):
        width = ty.width.data
        if width == 1:
            return np.dtype(np.bool_)
        if ty.signedness.data == Signedness.UNSIGNED:
            return np.dtype(f"uint{width}")
        return np.dtype(f"int{width}")
    raise ValueError(f"no numpy dtype for {ty}")


def xdsl_to_onnx(ty: Attribute) -> int:
    return numpy_to_onnx(numpy_dtype(ty))
