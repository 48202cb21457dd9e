"""Floating-point operations of the compute ops, from their graph-level types.

One table from op name to a formula over the op's static shapes (a multiply-add counts
2): the profiler divides these by kernel time for GFLOP/s. Blocked convolutions count
their padded channels (the work the kernel does); a grouped conv stored block-diagonal
counts only its groups' channels (`group_channels`), as its kernel skips the rest. Ops
not in the table are memory-bound for the profiler's purposes (it reports bytes moved).
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod

from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from dialects.onnx.base import node_name
from dialects.shapes import tensor_shape as _shape


def _int(op: Operation, name: str, default: int = 0) -> int:
    attr = op.properties.get(name) or op.attributes.get(name)
    return attr.value.data if attr is not None else default  # type: ignore[union-attr]


def _conv(op: Operation) -> float:
    # W [M, C/group, kh, kw...]: each output element is C/group * kh * kw... multiply-adds.
    w = _shape(op.operands[1])
    return 2.0 * prod(_shape(op.results[0])) * prod(w[1:])


def _conv_transpose(op: Operation) -> float:
    # W [C, M/group, kh, kw...]: each input element feeds M/group * kh * kw... outputs.
    w = _shape(op.operands[1])
    return 2.0 * prod(_shape(op.operands[0])) * prod(w[1:])


def _conv_nchwc(op: Operation) -> float:
    # W [Mb, ICB, KH, KW, ICL, block]; Y [N, Mb, OH, OW, block].
    _, icb, kh, kw, icl, _ = _shape(op.operands[1])
    group_channels = op.properties.get("group_channels") or op.attributes.get("group_channels")
    in_channels = icb * icl
    if group_channels is not None and len(group_channels.data) == 2:  # type: ignore[union-attr]
        in_channels = group_channels.data[0].value.data  # type: ignore[union-attr]
    return 2.0 * prod(_shape(op.results[0])) * in_channels * kh * kw


def _depthwise_nchwc(op: Operation) -> float:
    # W [Cb, KH, KW, block]: one multiply-add per output element and tap.
    _, kh, kw, _ = _shape(op.operands[1])
    return 2.0 * prod(_shape(op.results[0])) * kh * kw


def _matmul(op: Operation) -> float:
    a = _shape(op.operands[0])
    return 2.0 * prod(_shape(op.results[0])) * a[-1]


def _gemm(op: Operation) -> float:
    a = _shape(op.operands[0])
    k = a[0] if _int(op, "transA") else a[1]
    return 2.0 * prod(_shape(op.results[0])) * k


def _attention(op: Operation) -> float:
    # scores = q @ k_t ([.., S, D] x [.., D, S2]), then scores @ v ([.., S2, Dv]).
    q, k_t, v = (_shape(o) for o in op.operands[:3])
    rows = prod(_shape(op.results[0])[:-1])
    return 2.0 * rows * k_t[-1] * (q[-1] + v[-1])


OP_FLOPS: dict[str, Callable[[Operation], float]] = {
    "onnx.Conv": _conv,
    "strata.FusedConv": _conv,
    "onnx.ConvTranspose": _conv_transpose,
    "strata.ConvNCHWc": _conv_nchwc,
    "strata.DepthwiseConvNCHWc": _depthwise_nchwc,
    "onnx.MatMul": _matmul,
    "strata.FusedMatMul": _matmul,
    "onnx.Gemm": _gemm,
    "strata.FusedGemm": _gemm,
    "strata.Attention": _attention,
}


def op_flops(op: Operation) -> float | None:
    """The op's FLOPs, or None when it is not a compute op or a shape is not static."""
    formula = OP_FLOPS.get(op.name)
    if formula is None:
        return None
    try:
        return formula(op)
    except (AssertionError, IndexError, ValueError, TypeError):
        return None


def node_flops(module: ModuleOp) -> dict[str, float]:
    """FLOPs by ONNX node name of every compute op in a graph-level module, including
    the ops inside fused kernel groups."""
    flops: dict[str, float] = {}
    for op in module.walk():
        f = op_flops(op)
        if f is not None:
            name = node_name(op)
            flops[name] = flops.get(name, 0.0) + f
    return flops
