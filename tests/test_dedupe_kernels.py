"""dedupe-kernels: identical kernels are compiled once and results do not change."""

import numpy as np
from onnx import TensorProto, helper

import compiler
from compiler.context import make_context
from compiler.onnx_import import import_model
from lowering.dedupe_kernels import dedupe_kernels
from lowering.convert_onnx_to_loops import ConvertOnnxToLoopsPass
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
    # 9 ops, 3 distinct kernels: convert-onnx-to-loops lowers each distinct one once
    # (lowering/convert_onnx_to_loops.py, _SharedKernels), so dedupe-kernels finds nothing left.
    assert dedupe_kernels(module) == 0
    module.verify()
    kernels = [op.sym_name.data for op in module.ops if op.sym_name.data != "main"]
    assert kernels == ["k0_MatMul_mm0", "k1_Add_add0", "k2_Relu_relu0"]
    from xdsl.dialects import func

    main = next(op for op in module.ops if op.sym_name.data == "main")
    calls = [op for op in main.walk() if isinstance(op, func.CallOp)]
    # every call says which node it runs, as dedupe-kernels would have marked it
    assert [c.attributes["strata.onnx_node"].data for c in calls] == [
        f"{kind}{i}" for i in range(3) for kind in ("mm", "add", "relu")
    ]
    first = next(op for op in module.ops if op.sym_name.data == "k0_MatMul_mm0")
    assert first.attributes["strata.onnx_node"].data == "mm0,mm1,mm2"


def test_kernels_reading_constant_values_are_shared_only_for_equal_values():
    """Ops of one shape whose constants differ in value (Clip bounds, Gather indices,
    Add biases) give onnxruntime's results: a kernel whose code depends on a constant's
    value is not shared with an op whose constant differs."""
    nodes, inits = [], []
    for i, (lo, hi, idx) in enumerate([(-0.5, 0.5, [0, 2]), (-1.0, 0.25, [3, 1]), (-0.5, 0.5, [0, 2])]):
        inits += [helper.make_tensor(f"lo{i}", TensorProto.FLOAT, [], [lo]),
                  helper.make_tensor(f"hi{i}", TensorProto.FLOAT, [], [hi]),
                  helper.make_tensor(f"i{i}", TensorProto.INT64, [2], idx),
                  helper.make_tensor(f"b{i}", TensorProto.FLOAT, [8], [float(i + k) for k in range(8)])]
        nodes += [helper.make_node("Clip", ["x", f"lo{i}", f"hi{i}"], [f"c{i}"], name=f"clip{i}"),
                  helper.make_node("Gather", [f"c{i}", f"i{i}"], [f"g{i}"], name=f"gather{i}", axis=0),
                  helper.make_node("Add", [f"g{i}", f"b{i}"], [f"y{i}"], name=f"add{i}")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 8])],
                              [helper.make_tensor_value_info(f"y{i}", TensorProto.FLOAT, None) for i in range(3)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    x = np.random.default_rng(2).standard_normal((4, 8)).astype(np.float32)
    for level in (0, 1, 3):
        assert_matches_ort(model, {"x": x}, opt_level=level)


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
