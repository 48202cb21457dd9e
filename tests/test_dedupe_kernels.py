"""dedupe-kernels: identical kernels are compiled once and results do not change."""

import numpy as np
from onnx import TensorProto, helper

import compiler
from compiler.context import make_context
from compiler.onnx_import import import_model
from lowering.dedupe_kernels import dedupe_kernels
from lowering.onnx_to_loops import ConvertOnnxToLoopsPass
from tests.ort_check import assert_matches_ort
from tools.example_models import EXAMPLES, example_inputs


def _repeated_blocks_model():
    """Three identical Relu(MatMul(x, W_i) + b_i) blocks: same shapes, different weights."""
    rng = np.random.default_rng(0)
    nodes, inits, x = [], [], "x"
    for i in range(3):
        inits += [
            helper.make_tensor(f"w{i}", TensorProto.FLOAT, [8, 8], rng.standard_normal(64).astype(np.float32)),
            helper.make_tensor(f"b{i}", TensorProto.FLOAT, [8], rng.standard_normal(8).astype(np.float32)),
        ]
        nodes += [
            helper.make_node("MatMul", [x, f"w{i}"], [f"m{i}"], name=f"mm{i}"),
            helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"], name=f"add{i}"),
            helper.make_node("Relu", [f"a{i}"], [f"r{i}"], name=f"relu{i}"),
        ]
        x = f"r{i}"
    graph = helper.make_graph(nodes, "blocks", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_identical_kernels_are_merged():
    ctx = make_context()
    module = import_model(_repeated_blocks_model(), ctx.weights)
    ConvertOnnxToLoopsPass().apply(ctx, module)
    assert dedupe_kernels(module) == 6  # 9 kernels, 3 distinct
    module.verify()
    kernels = [op.sym_name.data for op in module.ops if op.sym_name.data != "main"]
    assert kernels == ["k0_MatMul_mm0", "k1_Add_add0", "k2_Relu_relu0"]


def test_results_unchanged():
    model = _repeated_blocks_model()
    x = np.random.default_rng(1).standard_normal((4, 8)).astype(np.float32)
    assert_matches_ort(model, {"x": x})
    # -O1 without kernel fusion keeps MatMul, Add and Relu apart: three distinct kernels
    # however many blocks repeat them (-O2 fuses MatMul + Add into Gemm; fuse-kernels
    # would fuse Add + Relu).
    assert compiler.compile(model, opt_level=1, disable_passes=["fuse-kernels"]).stats["kernels"] == 3


def test_transformer_block_still_matches():
    build, shapes = EXAMPLES["transformer_block"]
    assert_matches_ort(build(), example_inputs("transformer_block"), input_shapes=shapes)
