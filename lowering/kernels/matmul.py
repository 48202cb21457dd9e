"""MatMul and Gemm kernels (plain loop nests; a tiled GEMM replaces these later)."""

from __future__ import annotations

from lowering import scalar
from lowering.loop_builder import load, loop, loop_nest, store
from lowering.onnx_to_loops import KernelContext, KernelLowering


def lower_matmul(kc: KernelContext) -> None:
    """numpy.matmul: batch dims broadcast; 1-D operands are promoted and the promoted
    dim dropped from the result."""
    a_shape, b_shape, y_shape = kc.shape("a"), kc.shape("b"), kc.shape("y")
    a, b, y = kc.input("a"), kc.input("b"), kc.output("y")
    k_dim = a_shape[-1]
    a_vec, b_vec = len(a_shape) == 1, len(b_shape) == 1
    # Logical output dims: batch..., M, N (M or N absent for vector operands).
    batch = y_shape[: len(y_shape) - (0 if a_vec else 1) - (0 if b_vec else 1)]
    m = 1 if a_vec else a_shape[-2]
    n = 1 if b_vec else b_shape[-1]
    elem = y.type.element_type
    with loop_nest([*batch, m, n]) as ivs:
        bivs, i, j = ivs[: len(batch)], ivs[len(batch)], ivs[len(batch) + 1]

        def batch_index(shape_batch: tuple[int, ...]) -> list:
            off = len(batch) - len(shape_batch)
            return [0 if d == 1 and batch[off + k] != 1 else bivs[off + k] for k, d in enumerate(shape_batch)]

        a_b = batch_index(a_shape[:-2]) if not a_vec else []
        b_b = batch_index(b_shape[:-2]) if not b_vec else []
        with loop(k_dim, carried=[scalar.const(0, elem)]) as red:
            av = load(a, [red.iv] if a_vec else [*a_b, i, red.iv])
            bv = load(b, [red.iv] if b_vec else [*b_b, red.iv, j])
            red.yield_(scalar.add(red.carried[0], scalar.mul(av, bv)))
        out_idx = [*bivs] + ([] if a_vec else [i]) + ([] if b_vec else [j])
        store(red.results[0], y, out_idx)


LOWERINGS: dict[str, KernelLowering] = {"onnx.MatMul": lower_matmul}
