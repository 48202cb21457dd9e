"""dialects/dtypes.py, the one ONNX data type table: it agrees with onnx.TensorProto,
its views (numpy, graph-level xDSL types) are consistent, and the leaf loads without
onnx."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from onnx import TensorProto, helper
from xdsl.dialects.builtin import IntegerType, Signedness, f32, i8, i64

from dialects import dtypes
from tools.import_graph import ROOT


def test_table_is_onnx_data_type_enum():
    codes = {v for v in TensorProto.DataType.values() if v != TensorProto.UNDEFINED}
    assert set(dtypes.ONNX_TYPES) == codes == dtypes.ONNX_DATA_TYPES
    for code, entry in dtypes.ONNX_TYPES.items():
        assert entry.name == TensorProto.DataType.Name(code)


def test_numpy_view_matches_onnx_helper():
    for code in dtypes.ONNX_TYPES:
        if dtypes.is_supported_onnx_type(code):
            assert dtypes.onnx_to_numpy(code) == helper.tensor_dtype_to_np_dtype(code)
            assert dtypes.numpy_to_onnx(dtypes.onnx_to_numpy(code)) == code
            assert dtypes.xdsl_to_onnx(dtypes.onnx_to_xdsl(code)) == code


def test_graph_level_types():
    assert dtypes.onnx_to_xdsl(TensorProto.UINT8) == IntegerType(8, Signedness.UNSIGNED)
    assert dtypes.onnx_element_type(TensorProto.UINT8) == dtypes.onnx_to_xdsl(TensorProto.UINT8)
    assert dtypes.onnx_element_type(TensorProto.INT8) == i8
    assert dtypes.onnx_element_type(TensorProto.STRING) is None
    assert dtypes.onnx_element_type(0) is None
    assert not dtypes.is_supported_onnx_type(TensorProto.BFLOAT16)
    assert dtypes.numpy_dtype(IntegerType(64, Signedness.SIGNED)) == np.int64
    assert dtypes.numpy_dtype(i64) == np.int64 and dtypes.numpy_dtype(f32) == np.float32
    with pytest.raises(ValueError, match="unsupported ONNX element type STRING"):
        dtypes.onnx_to_numpy(TensorProto.STRING)
    with pytest.raises(ValueError, match="no numpy dtype"):
        dtypes.numpy_dtype(IntegerType(4))


def test_leaf_loads_without_onnx():
    code = "import sys, dialects.dtypes, dialects.onnx; sys.exit(1 if 'onnx' in sys.modules else 0)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
