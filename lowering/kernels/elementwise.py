"""Elementwise kernels: one loop nest over the output, inputs read with broadcasting,
a scalar body per op."""

from __future__ import annotations

from collections.abc import Callable

from xdsl.ir import SSAValue

from lowering import scalar
from lowering.loop_builder import broadcast_indices, load, loop_nest, store
from lowering.onnx_to_loops import KernelContext, KernelLowering


def elementwise(kc: KernelContext, inputs: list[str], output: str, body: Callable[..., SSAValue]) -> None:
    """out[i] = body(in0[bcast(i)], in1[bcast(i)], ...) over the output's shape."""
    out_shape = kc.shape(output)
    out = kc.output(output)
    with loop_nest(out_shape) as ivs:
        values = [load(kc.input(n), broadcast_indices(ivs, kc.shape(n), out_shape)) for n in inputs]
        store(body(*values), out, ivs)


def binary(fn: Callable[[SSAValue, SSAValue], SSAValue]) -> KernelLowering:
    return lambda kc: elementwise(kc, ["a", "b"], "c", fn)


def unary(fn: Callable[[SSAValue], SSAValue]) -> KernelLowering:
    return lambda kc: elementwise(kc, ["x"], "y", fn)


def _relu(x: SSAValue) -> SSAValue:
    return scalar.maximum(x, scalar.const(0, x.type))


LOWERINGS: dict[str, KernelLowering] = {
    "onnx.Add": binary(scalar.add),
    "onnx.Relu": unary(_relu),
}
