"""Reading an ONNX model without copying its weights.

`onnx.load` reads the file into bytes, parses them into a proto that holds every weight
again, and each later step that round-trips the proto (binding input shapes, the opset
converter, shape inference) copies all of it once more: for GPT-2 with 268 MB of
weights that was seconds and gigabytes before any compiling. Here the file is
memory-mapped and walked at the protobuf wire level (the model, its graph, the graph's
initializers; everything else is skipped by its length): every initializer of at least
`STRIP_BYTES` whose `raw_data` numpy can view (`_VIEWABLE`) becomes a numpy array over
the mapped file, in place, and the proto is parsed from the file with those `raw_data`
fields left out (each such initializer marked as external data at location
`IN_PLACE`, so the proto stays valid). ONNX external-data files are mapped the same way.
The proto that the importer transforms is then a few hundred KB.

Bytes are viewed the same way; a `ModelProto` is serialized once (the caller owns it
and may still use it) and that copy is viewed. Weights are read-only views: folding
and packing make new arrays, nothing writes into a model's weights.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass, field

import numpy as np
from onnx import ModelProto, TensorProto, numpy_helper

IN_PLACE = "strata-in-place"
STRIP_BYTES = 4096  # smaller tensors stay in the proto (shape inference may read them)

_VIEWABLE = {
    TensorProto.FLOAT: np.float32, TensorProto.DOUBLE: np.float64, TensorProto.FLOAT16: np.float16,
    TensorProto.INT8: np.int8, TensorProto.UINT8: np.uint8, TensorProto.INT16: np.int16,
    TensorProto.UINT16: np.uint16, TensorProto.INT32: np.int32, TensorProto.UINT32: np.uint32,
    TensorProto.INT64: np.int64, TensorProto.UINT64: np.uint64, TensorProto.BOOL: np.bool_,
}

# Field numbers of onnx.proto that the walk needs.
_MODEL_GRAPH, _GRAPH_INITIALIZER = 7, 5
_TENSOR_DIMS, _TENSOR_DATA_TYPE, _TENSOR_RAW_DATA, _TENSOR_EXTERNAL, _TENSOR_LOCATION = 1, 2, 9, 13, 14


@dataclass
class ModelSource:
    """A parsed model whose large initializers live in `arrays` (name -> read-only view)."""

    proto: ModelProto
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    keep: object = None  # the mapping or bytes the views point into

    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.arrays.values())


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _fields(buf: memoryview, start: int, end: int):
    """(field number, wire type, value start, value end, field start) of each field."""
    pos = start
    while pos < end:
        at = pos
        tag, pos = _varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            _, after = _varint(buf, pos)
        elif wire == 1:
            after = pos + 8
        elif wire == 2:
            n, pos = _varint(buf, pos)
            after = pos + n
        elif wire == 5:
            after = pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if after > end:
            raise ValueError("truncated protobuf message")
        yield number, wire, pos, after, at
        pos = after


def _len_field(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | 2) + _encode_varint(len(payload)) + payload


_IN_PLACE_MARK = _encode_varint(_TENSOR_LOCATION << 3) + _encode_varint(TensorProto.EXTERNAL) + _len_field(
    _TENSOR_EXTERNAL, _len_field(1, b"location") + _len_field(2, IN_PLACE.encode())
)


def _strip(buf: memoryview) -> tuple[bytes, list[tuple[int, int] | None]]:
    """The model's bytes without the large raw_data fields, and per graph initializer
    (in order) the (offset, length) of its stripped raw_data, or None if it kept it."""
    out: list[bytes] = []
    spans: list[tuple[int, int] | None] = []
    for number, wire, lo, hi, at in _fields(buf, 0, len(buf)):
        if number != _MODEL_GRAPH or wire != 2:
            out.append(bytes(buf[at:hi]))
            continue
        graph: list[bytes] = []
        for g_number, g_wire, g_lo, g_hi, g_at in _fields(buf, lo, hi):
            if g_number != _GRAPH_INITIALIZER or g_wire != 2:
                graph.append(bytes(buf[g_at:g_hi]))
                continue
            raw = None
            data_type = 0
            for t_number, t_wire, t_lo, t_hi, _ in _fields(buf, g_lo, g_hi):
                if t_number == _TENSOR_RAW_DATA and t_wire == 2:
                    raw = (t_lo, t_hi)
                elif t_number == _TENSOR_DATA_TYPE and t_wire == 0:
                    data_type, _ = _varint(buf, t_lo)
            if raw is None or raw[1] - raw[0] < STRIP_BYTES or data_type not in _VIEWABLE:
                graph.append(bytes(buf[g_at:g_hi]))
                spans.append(None)
                continue
            tensor = bytes(buf[g_lo : raw[0]])  # up to raw_data's value ...
            # ... less raw_data's own tag and length, which sit just before its value
            tag_len = len(_encode_varint(_TENSOR_RAW_DATA << 3 | 2)) + len(_encode_varint(raw[1] - raw[0]))
            tensor = tensor[: len(tensor) - tag_len] + bytes(buf[raw[1] : g_hi]) + _IN_PLACE_MARK
            graph.append(_len_field(_GRAPH_INITIALIZER, tensor))
            spans.append((raw[0], raw[1] - raw[0]))
        out.append(_len_field(_MODEL_GRAPH, b"".join(graph)))
    return b"".join(out), spans


def _view(source: object, buf: memoryview, span: tuple[int, int], init: TensorProto) -> np.ndarray:
    offset, length = span
    dtype = np.dtype(_VIEWABLE[init.data_type])
    shape = tuple(init.dims)
    if int(np.prod(shape, dtype=np.int64)) * dtype.itemsize != length:
        raise ValueError(f"initializer '{init.name}': raw_data has {length} bytes, its shape {list(shape)} needs "
                         f"{int(np.prod(shape)) * dtype.itemsize}")
    array = np.frombuffer(buf, dtype=dtype, count=length // dtype.itemsize, offset=offset).reshape(shape)
    array.flags.writeable = False
    return array


def _external(init: TensorProto, base_dir: str) -> np.ndarray | None:
    """A memory-mapped view of an initializer in an ONNX external-data file."""
    info = {e.key: e.value for e in init.external_data}
    location = info.get("location")
    if not location or location == IN_PLACE or init.data_type not in _VIEWABLE:
        return None
    path = os.path.join(base_dir, location)
    dtype = np.dtype(_VIEWABLE[init.data_type])
    shape = tuple(init.dims)
    count = int(np.prod(shape, dtype=np.int64))
    offset = int(info.get("offset", 0))
    if count == 0:
        return np.zeros(shape, dtype)
    # mode "r": read-only, shared with the page cache; np.memmap page-aligns the offset itself
    return np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)


def read_model(data: bytes | memoryview | mmap.mmap, base_dir: str | None = None) -> ModelSource:
    """The model in `data` (a whole serialized ModelProto) with its large initializers
    as views into `data` (kept alive by the result)."""
    buf = memoryview(data)
    stripped, spans = _strip(buf)
    proto = ModelProto.FromString(stripped)
    arrays: dict[str, np.ndarray] = {}
    for init, span in zip(proto.graph.initializer, spans):
        if span is not None:
            arrays[init.name] = _view(data, buf, span, init)
    if base_dir is not None:
        for init in proto.graph.initializer:
            if init.name not in arrays and init.data_location == TensorProto.EXTERNAL:
                array = _external(init, base_dir)
                if array is not None:
                    arrays[init.name] = array
    return ModelSource(proto, arrays, data)


def read_file(path: str) -> ModelSource:
    """`read_model` of a memory-mapped file; external data resolves beside it."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        data = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ) if size else b""
    return read_model(data, os.path.dirname(os.path.abspath(path)))


def initializer_array(source: ModelSource, init: TensorProto) -> np.ndarray:
    """The value of one graph initializer: its in-place view, or decoded from the proto."""
    array = source.arrays.get(init.name)
    if array is not None:
        return array
    return numpy_helper.to_array(init)
