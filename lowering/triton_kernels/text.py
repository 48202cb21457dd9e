"""Pieces every Triton kernel generator writes with: the text of a kernel being written
(`KernelText`), element coordinates as index expressions (`Coords`), shape arithmetic,
literals and the numpy -> Triton type tables. Pure text; imports neither triton nor
torch."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dialects.shapes import contiguous_strides  # noqa: F401 - the emitters import it from here
from dialects.shapes import tensor_shape as shape_of  # noqa: F401 - the emitters import it from here

# numpy dtype -> Triton pointer element type (signature) and tl dtype (casts).
TRITON_TYPES = {
    np.dtype(np.float32): "fp32", np.dtype(np.float16): "fp16", np.dtype(np.float64): "fp64",
    np.dtype(np.int8): "i8", np.dtype(np.int16): "i16", np.dtype(np.int32): "i32", np.dtype(np.int64): "i64",
    np.dtype(np.uint8): "u8", np.dtype(np.uint16): "u16", np.dtype(np.uint32): "u32", np.dtype(np.uint64): "u64",
    np.dtype(np.bool_): "i1",
}
TL_DTYPES = {
    "fp32": "tl.float32", "fp16": "tl.float16", "fp64": "tl.float64", "i8": "tl.int8", "i16": "tl.int16",
    "i32": "tl.int32", "i64": "tl.int64", "u8": "tl.uint8", "u16": "tl.uint16", "u32": "tl.uint32",
    "u64": "tl.uint64", "i1": "tl.int1",
}


def tl_dtype(dtype: np.dtype) -> str:
    """`tl.float32`, ... for a numpy dtype the Triton path supports."""
    return TL_DTYPES[TRITON_TYPES[np.dtype(dtype)]]


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """The type arithmetic runs in: float16 is computed in float32 (Triton's math
    functions take fp32/fp64), every other type in itself."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def is_float(dtype: np.dtype) -> bool:
    return np.dtype(dtype).kind == "f"


def lit(value: float | int | bool, dtype: np.dtype) -> str:
    """A literal of `value` for arithmetic with values of `dtype` (floats keep a
    decimal point so ints are never promoted by accident, ints are written as ints)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return float_lit(float(value))
    if dtype == np.bool_:
        return "1" if value else "0"
    return str(int(value))


def float_lit(x: float) -> str:
    if math.isnan(x):
        return 'float("nan")'
    if math.isinf(x):
        return 'float("inf")' if x > 0 else 'float("-inf")'
    return repr(float(x))


def extreme(dtype: np.dtype, largest: bool) -> str:
    """The largest (or smallest) value of `dtype` as a literal: a neutral element for
    min (max) reductions."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return float_lit(math.inf if largest else -math.inf)
    if dtype == np.bool_:
        return "1" if largest else "0"
    info = np.iinfo(dtype)
    return str(int(info.max if largest else info.min))


def numel(shape) -> int:
    return int(np.prod(shape, dtype=np.int64)) if len(shape) else 1


def broadcast_strides(in_shape, out_shape) -> list[int]:
    """Strides of a contiguous `in_shape` tensor over `out_shape`'s coordinates (numpy
    broadcasting: right-aligned, 0 where the input dim is 1)."""
    strides = contiguous_strides(in_shape)
    off = len(out_shape) - len(in_shape)
    out = [0] * len(out_shape)
    for d in range(len(in_shape)):
        if in_shape[d] != 1:
            out[d + off] = strides[d]
    return out


def axis_strides(in_shape, out_rank: int, axis: int) -> list[int]:
    """Strides of a 1-D per-channel tensor (`in_shape` = [C] or [1]) over coordinates of
    rank `out_rank`, indexed by dim `axis` (BatchNormalization's scale, ...)."""
    out = [0] * out_rank
    if numel(in_shape) != 1:
        out[axis] = 1
    return out


def ident(text: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z_]", "_", text).strip("_").lower()
    return s[:40] or "k"


@dataclass
class KernelText:
    """Parameters, body lines and helpers of a kernel being written."""

    params: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    args: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    helpers: list[str] = field(default_factory=list)  # helper names (helpers.HELPERS)

    def need(self, helper: str) -> str:
        """Notes that the kernel calls `helper`; returns its name."""
        if helper not in self.helpers:
            self.helpers.append(helper)
        return helper


class Coords:
    """Coordinates of an element over `shape`, emitted into `lines` on first use: from a
    flat index (`flat`) or from given per-dim expressions (`given`; a callable is
    evaluated on first use)."""

    def __init__(self, lines: list[str], indent: str, shape, flat: str | None = None,
                 given: dict[int, Any] | None = None, prefix: str = "i"):
        self.lines, self.indent, self.shape, self.flat = lines, indent, tuple(shape), flat
        self.given = dict(given or {})
        self.prefix = prefix
        self.strides = contiguous_strides(self.shape)

    def coord(self, d: int) -> str:
        if callable(self.given.get(d)):
            self.given[d] = self.given[d]()
        if d not in self.given:
            if self.shape[d] == 1:
                # a block expression even when every dim is 1 (a load with a block
                # mask needs a block of pointers)
                return f"({self.flat}) * 0" if self.flat is not None and all(n == 1 for n in self.shape) else "0"
            assert self.flat is not None
            name = f"{self.prefix}{d}"
            expr = f"({self.flat})"
            if self.strides[d] != 1:
                expr = f"{expr} // {self.strides[d]}"
            if d > 0 and any(n != 1 for n in self.shape[:d]):
                expr = f"({expr}) % {self.shape[d]}"
            self.lines.append(f"{self.indent}{name} = {expr}")
            self.given[d] = name
        return self.given[d]

    def block_coord(self, d: int) -> str:
        """coord(d) as a block even for a unit dim (so comparisons with it are block
        masks, in the interpreter too, where a constant would be a Python bool)."""
        c = self.coord(d)
        return f"({self.flat}) * 0" if c == "0" and self.flat is not None else c

    def offset(self, strides: list[int]) -> str:
        """The offset of an element read with `strides` over these coordinates."""
        live = [d for d, n in enumerate(self.shape) if n != 1]
        if self.flat is not None and all(strides[d] == self.strides[d] for d in live):
            return self.flat
        terms = []
        for d, s in enumerate(strides):
            if s == 0 or self.shape[d] == 1:
                continue
            c = self.coord(d)
            terms.append(c if s == 1 else f"{c} * {s}")
        return " + ".join(terms) if terms else "0"
