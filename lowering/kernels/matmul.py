"""MatMul and Gemm kernels (plain loop nests; a tiled GEMM replaces these later).

Both take an optional epilogue `(value, output indices) -> value` applied in registers
right before each final store (the fused ops' scale, bias and activation)."""

from __future__ import annotations

from xdsl.ir import SSAValue

from dialects.onnx.base import float_attr_value, int_attr_value
from lowering import scalar
from lowering.kernels.conv import Epilogue
from lowering.loop_builder import broadcast_indices, load, loop, loop_nest, store
from lowering.onnx_to_loops import KernelContext, KernelLowering


def lower_matmul(kc: KernelContext, epilogue: Epilogue | None = None) -> None:
    """numpy.matmul: batch dims broadcast; 1-D operands are promoted and the promoted
    dim dropped from the result. Each result element is stored as
    epilogue(sum, its indices in Y) when an epilogue is given."""
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
        total = red.results[0]
        store(epilogue(total, out_idx) if epilogue is not None else total, y, out_idx)


def _scale(value: SSAValue, factor: float, what: str, kc: KernelContext) -> SSAValue:
    """value * factor in value's type; integer Gemm needs an integral alpha/beta."""
    if factor == 1.0:
        return value
    if not scalar.is_float(value) and factor != int(factor):
        raise kc.fail(f"{what}={factor} is not an integer, but the element type is {value.type}")
    return scalar.mul(value, scalar.const(factor, value.type))


def lower_gemm(kc: KernelContext, epilogue: Epilogue | None = None) -> None:
    """Y = alpha * A' @ B' + beta * C with A' = A^T if transA, B' = B^T if transB, and
    C (optional) broadcast unidirectionally to (M, N).

    Per row i of Y: with B' = B (transB=0) the row is accumulated in place over k with
    j innermost (B and Y rows are contiguous); with transB=1 each Y[i, j] is a reduction
    over k (rows of B are contiguous in k). Then Y[i, :] = alpha * Y[i, :] + beta * C.

    With an epilogue, transB=1 applies alpha, beta * C and the epilogue to the sum in
    registers and stores once; transB=0 applies them in the row's final pass (the row
    of Y is still in cache)."""
    op = kc.op
    trans_a = bool(int_attr_value(op.transA))
    trans_b = bool(int_attr_value(op.transB))
    alpha = float_attr_value(op.alpha)
    beta = float_attr_value(op.beta)
    alpha = 1.0 if alpha is None else alpha
    beta = 1.0 if beta is None else beta
    a, b, y = kc.input("a"), kc.input("b"), kc.output("y")
    c = kc.input("c")
    m, n = kc.shape("y")
    k_dim = kc.shape("a")[0] if trans_a else kc.shape("a")[1]
    elem = y.type.element_type
    zero = scalar.const(0, elem)

    def a_at(i, k):
        return load(a, [k, i] if trans_a else [i, k])

    def finish(v: SSAValue, i: SSAValue, j: SSAValue) -> SSAValue:
        """alpha * v + beta * C[i, j], then the epilogue."""
        v = _scale(v, alpha, "alpha", kc)
        if c is not None and beta != 0.0:
            cv = load(c, broadcast_indices([i, j], kc.shape("c"), (m, n)))
            v = scalar.add(v, _scale(cv, beta, "beta", kc))
        return epilogue(v, [i, j]) if epilogue is not None else v

    fused_store = trans_b and epilogue is not None
    with loop(m) as row:
        i = row.iv
        if trans_b:
            with loop(n) as col:
                with loop(k_dim, carried=[zero]) as red:
                    prod = scalar.mul(a_at(i, red.iv), load(b, [col.iv, red.iv]))
                    red.yield_(scalar.add(red.carried[0], prod))
                total = red.results[0]
                store(finish(total, i, col.iv) if fused_store else total, y, [i, col.iv])
        else:
            with loop(n) as col:
                store(zero, y, [i, col.iv])
            with loop(k_dim) as red:
                av = a_at(i, red.iv)
                with loop(n) as col:
                    acc = load(y, [i, col.iv])
                    store(scalar.add(acc, scalar.mul(av, load(b, [red.iv, col.iv]))), y, [i, col.iv])
        if not fused_store and (alpha != 1.0 or (c is not None and beta != 0.0) or epilogue is not None):
            with loop(n) as col:
                store(finish(load(y, [i, col.iv]), i, col.iv), y, [i, col.iv])


LOWERINGS: dict[str, KernelLowering] = {"onnx.MatMul": lower_matmul, "onnx.Gemm": lower_gemm}
