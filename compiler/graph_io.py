"""What the driver reads off an imported graph for both targets: the op types that compile
(from the kernel table) and the graph's input/output specs. compiler/driver.py (CPU) and
compiler/compile_cuda.py (GPU) both import it, so neither imports the other for it."""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from dialects.dtypes import numpy_dtype
from lowering.kernels import KERNEL_LOWERINGS
from runtime.compiled_model import TensorSpec


def supported_op_types() -> set[str]:
    """ONNX op types that compile end to end (imported and lowered to loops)."""
    return {name.removeprefix("onnx.") for name in KERNEL_LOWERINGS if name.startswith("onnx.")} | {"Constant"}


def graph_specs(module: ModuleOp) -> tuple[list[TensorSpec], list[TensorSpec]]:
    """The graph's inputs and outputs (names, dtypes, shapes) from `@main`'s signature and
    the names the importer recorded on it."""
    fn = next(op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == "main")
    in_names = [a.data for a in fn.attributes["strata.input_names"].data]
    out_names = [a.data for a in fn.attributes["strata.output_names"].data]
    ins = [
        TensorSpec(n, numpy_dtype(t.element_type), tuple(t.get_shape()))
        for n, t in zip(in_names, fn.function_type.inputs.data)
    ]
    outs = [
        TensorSpec(n, numpy_dtype(t.element_type), tuple(t.get_shape()))
        for n, t in zip(out_names, fn.function_type.outputs.data)
    ]
    return ins, outs
