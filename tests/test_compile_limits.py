"""Compile-time limits (compiler/memory_limits.py, compiler/onnx_import.py): tensors or
an arena larger than `max_memory_bytes` (default: physical memory) and opsets outside
the supported range are refused before any large allocation or LLVM work, with errors
that give the bytes, the limit and the node.

The huge cases run in a child process whose address space is capped at 4 GiB: a
compile that tried to allocate the tensor would fail there with a plain MemoryError
(or be killed), not with MemoryLimitError.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import compiler
from dialects.errors import MemoryLimitError, StrataError, UnsupportedOpsetError
from compiler.onnx_import import supported_opsets
from tests.ort_check import assert_matches_ort

FILL_ONE = numpy_helper.from_array(np.array([1.0], np.float32))


def _model(nodes, inputs, inits=(), opset: int = 21, outputs=("y",)) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "limits", inputs, [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs], list(inits)
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    return model


def _int64(name: str, values) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(values, np.int64), name)


def _fill_model(shape, through_abs: bool = False, consumer: str = "Add") -> onnx.ModelProto:
    """y = consumer(x, ConstantOfShape(shape)); with `through_abs` the shape passes an
    Abs, which onnx's shape inference does not propagate (the importer types the fill)."""
    nodes = [helper.make_node("Abs", ["s"], ["s2"], name="abs")] if through_abs else []
    nodes += [
        helper.make_node("ConstantOfShape", ["s2" if through_abs else "s"], ["c"], name="fill", value=FILL_ONE),
        helper.make_node(consumer, ["x", "c"], ["y"], name="use"),
    ]
    x_shape = [1, shape[0]] if consumer == "MatMul" else [1]
    return _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)], [_int64("s", shape)])


def _refused_in_capped_child(model: onnx.ModelProto, call: str = "compile", **kwargs) -> str:
    """Runs compiler.<call>(model, **kwargs) in a child capped at 4 GiB of address space;
    returns the MemoryLimitError message (fails on anything else)."""
    script = textwrap.dedent(
        f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
        import compiler
        from dialects.errors import MemoryLimitError
        try:
            compiler.{call}(sys.stdin.buffer.read(), **{kwargs!r})
        except MemoryLimitError as e:
            print("REFUSED", e)
            sys.exit(0)
        print("NOT REFUSED")
        sys.exit(1)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], input=model.SerializeToString(), capture_output=True, timeout=300)
    out = done.stdout.decode()
    assert done.returncode == 0 and out.startswith("REFUSED"), out + done.stderr.decode()[-2000:]
    return out.removeprefix("REFUSED ").strip()


def test_huge_graph_input_is_refused():
    model = _model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                   [helper.make_tensor_value_info("x", TensorProto.FLOAT, [100000, 100000, 1000])])
    message = _refused_in_capped_child(model)
    assert message.startswith("graph input 'x' is float32[100000, 100000, 1000]: it needs 40,000,000,000,000 bytes (36.4 TiB)")
    assert "this machine's physical memory" in message


@pytest.mark.parametrize("through_abs", [False, True])
def test_huge_constant_of_shape_is_refused(through_abs):
    message = _refused_in_capped_child(_fill_model([100000, 100000, 1000], through_abs))
    assert message.startswith("ConstantOfShape node 'fill' produces float32[100000, 100000, 1000]: it needs 40,000,000,000,000 bytes")


def test_constant_of_shape_weight_is_refused_before_folding():
    """A fill used as a MatMul weight would be folded into a weight at any size; with a
    3 GiB limit the 37 GiB one is refused first (in optimize() too)."""
    model = _fill_model([100000, 100000], consumer="MatMul")
    for call in ("compile", "optimize"):
        message = _refused_in_capped_child(model, call, max_memory_bytes=3 << 30)
        assert message.startswith("ConstantOfShape node 'fill' produces float32[100000, 100000]: it needs 40,000,000,000 bytes (37.3 GiB)")
        assert message.endswith("more than the limit of max_memory_bytes = 3,221,225,472 bytes (3.0 GiB)")


def _two_live_intermediates() -> onnx.ModelProto:
    """Exp(x) and Sin(x) (256 KiB each) are both live when Add reads them."""
    nodes = [
        helper.make_node("Exp", ["x"], ["a"], name="exp"),
        helper.make_node("Sin", ["x"], ["b"], name="sin"),
        helper.make_node("Add", ["a", "b"], ["y"], name="add"),
    ]
    return _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64, 1024])])


def test_arena_larger_than_the_limit_is_refused():
    model = _two_live_intermediates()
    with pytest.raises(MemoryLimitError) as info:
        compiler.compile(model, opt_level=0, max_memory_bytes=400_000)
    message = str(info.value)
    assert message.startswith("the planned arena (the intermediates live at once) needs 524,288 bytes (512.0 KiB), more than the limit of max_memory_bytes = 400,000 bytes")
    assert any(f"its largest buffer is the output of {op} node '{name}' (float32[64, 1024]), 262,144 bytes" in message
               for op, name in (("Exp", "exp"), ("Sin", "sin"))), message


def test_model_within_the_limit_compiles():
    model = _two_live_intermediates()
    x = np.random.default_rng(0).standard_normal((64, 1024)).astype(np.float32)
    compiled = compiler.compile(model, opt_level=0, max_memory_bytes=600_000)
    assert compiled.stats["arena_bytes"] == 524_288
    np.testing.assert_allclose(compiled.run({"x": x})[0], np.exp(x) + np.sin(x), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bad", [0, -5, "1GB", 1.5, True])
def test_bad_limit_is_an_error(bad):
    with pytest.raises(StrataError, match="max_memory_bytes must be a positive int"):
        compiler.compile(_two_live_intermediates(), max_memory_bytes=bad)


@pytest.mark.parametrize(
    "op,inits,x_shape",
    [
        ("Expand", [_int64("s", [3, 1, 4])], [2, 1]),
        ("Tile", [_int64("s", [2, 3])], [2, 2]),
    ],
)
def test_sizes_typed_without_evaluating_match_onnxruntime(op, inits, x_shape):
    """Expand/Tile whose size operand onnx cannot propagate (it passes an Abs): the
    importer types the result from the operands without evaluating the op."""
    nodes = [helper.make_node("Abs", ["s"], ["s2"], name="abs"), helper.make_node(op, ["x", "s2"], ["y"], name="make")]
    model = _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)], inits)
    x = np.random.default_rng(1).standard_normal(x_shape).astype(np.float32)
    assert_matches_ort(model, {"x": x}, opt_level=0)


def test_range_typed_without_evaluating_matches_onnxruntime():
    nodes = [
        helper.make_node("Abs", ["limit"], ["l2"], name="abs"),
        helper.make_node("Range", ["start", "l2", "delta"], ["r"], name="range"),
        helper.make_node("Add", ["x", "r"], ["y"], name="add"),
    ]
    inits = [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in (("start", 1.0), ("limit", -7.5), ("delta", 1.5))]
    model = _model(nodes, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5])], inits)
    assert_matches_ort(model, {"x": np.zeros(5, np.float32)}, opt_level=0)


@pytest.mark.parametrize("opset", [99, 0, -1])
def test_opset_outside_the_range_is_refused(opset):
    lo, hi = supported_opsets()
    model = _model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])], opset=opset)
    for call in (compiler.compile, compiler.optimize):
        with pytest.raises(UnsupportedOpsetError, match=rf"declares opset {opset} of the default ONNX domain; Strata supports opsets {lo} to {hi} "):
            call(model)


def test_newest_supported_opset_compiles():
    from onnx.reference import ReferenceEvaluator

    _, hi = supported_opsets()
    model = _model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])], opset=hi)
    x = np.array([-1, 0, 2, -3], np.float32)
    np.testing.assert_array_equal(compiler.compile(model).run({"x": x})[0], ReferenceEvaluator(model).run(None, {"x": x})[0])
