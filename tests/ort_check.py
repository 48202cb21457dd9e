"""Test helpers: build small ONNX models and compare Strata with onnxruntime."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import onnx
from onnx import helper, numpy_helper

from xdsl.dialects import func

import compiler


def tensor_info(name: str, array_or_dtype, shape=None) -> onnx.ValueInfoProto:
    if isinstance(array_or_dtype, np.ndarray):
        dtype, shape = array_or_dtype.dtype, array_or_dtype.shape
    else:
        dtype = np.dtype(array_or_dtype)
    return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), shape)


def single_node_model(
    op_type: str,
    inputs: Mapping[str, np.ndarray],
    outputs: Sequence[str] = ("y",),
    initializers: Mapping[str, np.ndarray] | None = None,
    opset: int = 21,
    input_order: Sequence[str] | None = None,
    **attrs,
) -> onnx.ModelProto:
    """A model with one node. `inputs` become graph inputs, `initializers` constants;
    the node's inputs are `input_order` (default: inputs then initializers, "" allowed)."""
    initializers = dict(initializers or {})
    order = list(input_order) if input_order is not None else list(inputs) + list(initializers)
    node = helper.make_node(op_type, order, list(outputs), name=f"{op_type.lower()}_node", **attrs)
    graph = helper.make_graph(
        [node],
        f"{op_type}_test",
        [tensor_info(n, a) for n, a in inputs.items()],
        [helper.make_value_info(o, onnx.TypeProto()) for o in outputs],
        [numpy_helper.from_array(a, n) for n, a in initializers.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    return model


def run_ort(model: onnx.ModelProto, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return sess.run(None, dict(feeds))


# Models of at most this many nodes are per-op tests: they are also compiled at -O0, where
# no graph pass runs, so the op's own kernel runs even where -O3 would fold or rewrite it.
PER_OP_NODES = 4


def assert_matches_ort(
    model: onnx.ModelProto,
    feeds: Mapping[str, np.ndarray],
    rtol: float = 1e-4,
    atol: float = 1e-4,
    input_shapes=None,
    opt_level: int = 3,
    opt_levels: Sequence[int] | None = None,
) -> list[np.ndarray]:
    """Compiles with Strata at each of `opt_levels` (default: `opt_level`, plus -O0 for a
    per-op model of at most PER_OP_NODES nodes), runs, and checks every output against
    onnxruntime; returns the first level's outputs."""
    if opt_levels is None:
        opt_levels = [opt_level] + ([0] if opt_level != 0 and len(model.graph.node) <= PER_OP_NODES else [])
    expected = run_ort(model, feeds)
    first = None
    for level in opt_levels:
        compiled = compiler.compile(model, opt_level=level, input_shapes=input_shapes)
        got = compiled.run(dict(feeds))
        assert len(got) == len(expected)
        for i, (g, e) in enumerate(zip(got, expected)):
            e = np.asarray(e)
            where = f"output {i} at -O{level}"
            assert g.shape == e.shape, f"{where}: shape {g.shape} != onnxruntime {e.shape}"
            assert g.dtype == e.dtype, f"{where}: dtype {g.dtype} != onnxruntime {e.dtype}"
            if e.dtype.kind in "fc":
                np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=where)
            else:
                np.testing.assert_array_equal(g, e, err_msg=where)
        first = got if first is None else first
    return first


def chain_model(nodes, inputs: dict, outputs: list[str], initializers: dict | None = None, name: str = "chain") -> onnx.ModelProto:
    """An opset-21 model of `nodes`; `inputs` and `initializers` map names to arrays and
    the outputs are left untyped (shape inference types them)."""
    graph = helper.make_graph(
        nodes,
        name,
        [tensor_info(n, a) for n, a in inputs.items()],
        [helper.make_value_info(o, onnx.TypeProto()) for o in outputs],
        [numpy_helper.from_array(np.asarray(a), n) for n, a in (initializers or {}).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model


def node(op_type: str, inputs: list[str], output: str, **attrs) -> onnx.NodeProto:
    """A one-output node named after its output."""
    return helper.make_node(op_type, inputs, [output], name=f"{output}_node", **attrs)


def graph_ops(module) -> list:
    """The ops of the graph function, without its return."""
    (fn,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    return [op for op in fn.body.block.ops if not isinstance(op, func.ReturnOp)]


def op_counts(module, constants: bool = True) -> Counter:
    """Graph ops by ONNX op type (onnx.Constant left out with constants=False)."""
    return Counter(
        op.name.removeprefix("onnx.") for op in graph_ops(module) if constants or op.name != "onnx.Constant"
    )


def _feeds_for(model: onnx.ModelProto, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded inputs for a statically shaped model: normal floats, zero integers (valid
    indices for any Gather), False booleans."""
    rng = np.random.default_rng(seed)
    inits = {t.name for t in model.graph.initializer}
    feeds = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        dtype = helper.tensor_dtype_to_np_dtype(tt.elem_type)
        shape = [d.dim_value for d in tt.shape.dim]
        feeds[vi.name] = rng.standard_normal(shape).astype(dtype) if dtype.kind == "f" else np.zeros(shape, dtype)
    return feeds


def checked_optimize(model, level="all", input_shapes=None, feeds=None, rtol=1e-4, atol=1e-4) -> onnx.ModelProto:
    """compiler.optimize(model, level, input_shapes), its output checked as every test
    checks one: onnx.checker.check_model(full_check=True), loaded and run by onnxruntime,
    and its outputs (on `feeds`, or seeded inputs) equal to the original model's there."""
    from compiler.onnx_import import load_model

    optimized = compiler.optimize(model, level, input_shapes=input_shapes)
    onnx.checker.check_model(optimized, full_check=True)
    model = load_model(model)  # a path or bytes too
    feeds = _feeds_for(optimized) if feeds is None else feeds
    expected = run_ort(model, feeds)
    got = run_ort(optimized, feeds)
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g.shape == e.shape and g.dtype == e.dtype, f"output {i}: {g.dtype}{g.shape} vs {e.dtype}{e.shape}"
        if e.dtype.kind in "fc":
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(g, e, err_msg=f"output {i}")
    return optimized
