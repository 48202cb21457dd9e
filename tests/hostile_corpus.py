"""A corpus of hostile models and feeds, and a runner that tries each in a child process.

Each case builds a model (bytes, a path or a ModelProto) and, for the run-time cases,
the feeds of one call. What it must do: end in a StrataError (the clear, typed errors of
dialects/errors.py) whose message names the node, op or input involved; never crash the
process, hang, exhaust memory, or return an answer.

Every case runs in a forked child with an address-space cap and a CPU-time cap
(`resource.setrlimit`), watched by a wall-clock timeout, so a case that segfaults,
loops or allocates without bound shows as such instead of taking the test run with it.

    python -m tests.hostile_corpus          # runs every case, prints a table and the count
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ADDRESS_SPACE_BYTES = 4 << 30  # what the child may map beyond what it inherits: far below any hostile size
CPU_SECONDS = 120
WALL_SECONDS = 180


@dataclass
class Case:
    name: str
    what: str  # one line: what is hostile
    build: Callable[[], tuple[Any, dict[str, Any] | None, dict[str, Any]]]  # -> (model, feeds or None, compile kwargs)
    error: str  # the StrataError subclass expected (by name)
    mentions: tuple[str, ...] = field(default_factory=tuple)  # the message names these (node, op, input)


def _vi(name: str, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def _model(nodes, inputs, outputs=("y",), inits=(), opset: int = 21, out_type=TensorProto.FLOAT) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, "hostile", inputs, [_vi(o, None, out_type) for o in outputs], list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    return model


def _i64(name: str, values) -> TensorProto:
    return numpy_helper.from_array(np.array(values, np.int64), name)


def _f32(name: str, shape, seed: int = 0) -> TensorProto:
    return numpy_helper.from_array(np.random.default_rng(seed).standard_normal(shape).astype(np.float32), name)


def _relu_model() -> onnx.ModelProto:
    return _model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [_vi("x", [2, 3])])


def _gather_model(axis_size: int = 10) -> onnx.ModelProto:
    return _model(
        [helper.make_node("Gather", ["table", "ids"], ["y"], name="emb", axis=0)],
        [_vi("ids", [4], TensorProto.INT64)],
        inits=[_f32("table", [axis_size, 8])],
    )


def _compile_only(model, **kwargs):
    return lambda: (model() if callable(model) else model, None, kwargs)


def _with_feeds(model, feeds, **kwargs):
    return lambda: (model(), feeds(), kwargs)


def _truncated() -> bytes:
    data = _gather_model().SerializeToString()
    return data[: len(data) // 2]


def _random_bytes(seed: int, n: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _flipped_bytes() -> bytes:
    """A valid model with every 7th byte inverted: protobuf may still parse parts of it."""
    data = bytearray(_gather_model().SerializeToString())
    for i in range(0, len(data), 7):
        data[i] ^= 0xFF
    return bytes(data)


def _text_file() -> str:
    fd, path = tempfile.mkstemp(suffix=".onnx")
    with os.fdopen(fd, "w") as f:
        f.write("this is not an onnx model\n" * 20)
    return path


def _cycle() -> onnx.ModelProto:
    return _model(
        [
            helper.make_node("Add", ["x", "b"], ["a"], name="loop_a"),
            helper.make_node("Relu", ["a"], ["b"], name="loop_b"),
            helper.make_node("Identity", ["a"], ["y"], name="out"),
        ],
        [_vi("x", [2])],
    )


def _self_loop() -> onnx.ModelProto:
    return _model([helper.make_node("Add", ["x", "y"], ["y"], name="self_add")], [_vi("x", [2])])


def _undefined_input() -> onnx.ModelProto:
    return _model([helper.make_node("Add", ["x", "ghost"], ["y"], name="add_ghost")], [_vi("x", [2])])


def _undefined_output() -> onnx.ModelProto:
    return _model([helper.make_node("Relu", ["x"], ["r"], name="relu")], [_vi("x", [2])], outputs=("nowhere",))


def _duplicate_output() -> onnx.ModelProto:
    return _model(
        [helper.make_node("Relu", ["x"], ["y"], name="first"), helper.make_node("Neg", ["x"], ["y"], name="second")],
        [_vi("x", [2])],
    )


def _bad_perm(perm) -> Callable[[], onnx.ModelProto]:
    return lambda: _model([helper.make_node("Transpose", ["x"], ["y"], name="tr", perm=perm)], [_vi("x", [2, 3, 4])])


def _softmax_axis() -> onnx.ModelProto:
    return _model([helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=5)], [_vi("x", [2, 3])])


def _gather_axis() -> onnx.ModelProto:
    return _model(
        [helper.make_node("Gather", ["table", "ids"], ["y"], name="emb", axis=3)],
        [_vi("ids", [4], TensorProto.INT64)],
        inits=[_f32("table", [10, 8])],
    )


def _unknown_attribute() -> onnx.ModelProto:
    return _model([helper.make_node("Relu", ["x"], ["y"], name="relu", flavour=3)], [_vi("x", [2])])


def _attribute_wrong_kind() -> onnx.ModelProto:
    node = helper.make_node("Softmax", ["x"], ["y"], name="sm")
    node.attribute.append(helper.make_attribute("axis", 1.5))  # a float where INT is required
    return _model([node], [_vi("x", [2, 3])])


def _conv_kernel_mismatch() -> onnx.ModelProto:
    return _model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[5, 5])],
        [_vi("x", [1, 3, 8, 8])],
        inits=[_f32("w", [4, 3, 3, 3])],
    )


def _conv_channel_mismatch() -> onnx.ModelProto:
    return _model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")],
        [_vi("x", [1, 3, 8, 8])],
        inits=[_f32("w", [4, 5, 3, 3])],
    )


def _conv_group() -> onnx.ModelProto:
    return _model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", group=2)],
        [_vi("x", [1, 3, 8, 8])],
        inits=[_f32("w", [4, 1, 3, 3])],
    )


def _pool_too_big() -> onnx.ModelProto:
    return _model(
        [helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[9, 9])], [_vi("x", [1, 1, 4, 4])]
    )


def _matmul_mismatch() -> onnx.ModelProto:
    return _model(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [_vi("x", [2, 3])], inits=[_f32("w", [4, 5])]
    )


def _broadcast_mismatch() -> onnx.ModelProto:
    return _model([helper.make_node("Add", ["x", "z"], ["y"], name="add")], [_vi("x", [2, 3]), _vi("z", [4])])


def _reshape_mismatch() -> onnx.ModelProto:
    return _model(
        [helper.make_node("Reshape", ["x", "s"], ["y"], name="rs")], [_vi("x", [2, 3])], inits=[_i64("s", [4, 2])]
    )


def _split_mismatch() -> onnx.ModelProto:
    return _model(
        [helper.make_node("Split", ["x", "s"], ["y", "z"], name="split", axis=0)],
        [_vi("x", [6])],
        outputs=("y", "z"),
        inits=[_i64("s", [2, 7])],
    )


def _slice_step_zero() -> onnx.ModelProto:
    return _model(
        [helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"], name="slice")],
        [_vi("x", [6])],
        inits=[_i64("st", [0]), _i64("en", [6]), _i64("ax", [0]), _i64("sp", [0])],
    )


def _huge_input() -> onnx.ModelProto:
    return _model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [_vi("x", [10**7, 10**6])])


def _huge_fill() -> onnx.ModelProto:
    return _model(
        [
            helper.make_node("ConstantOfShape", ["s"], ["c"], name="fill"),
            helper.make_node("Add", ["x", "c"], ["y"], name="use"),
        ],
        [_vi("x", [1])],
        inits=[_i64("s", [100000, 100000, 1000])],
    )


def _huge_expand() -> onnx.ModelProto:
    return _model(
        [helper.make_node("Expand", ["x", "s"], ["y"], name="expand")],
        [_vi("x", [1])],
        inits=[_i64("s", [1 << 20, 1 << 20, 16])],
    )


def _huge_tile() -> onnx.ModelProto:
    return _model(
        [helper.make_node("Tile", ["x", "r"], ["y"], name="tile")], [_vi("x", [4, 4])], inits=[_i64("r", [1 << 30, 1 << 30])]
    )


def _huge_range() -> onnx.ModelProto:
    inits = [numpy_helper.from_array(np.array(v, np.float32), n) for n, v in (("a", 0.0), ("b", 1e15), ("d", 1.0))]
    return _model([helper.make_node("Range", ["a", "b", "d"], ["y"], name="range")], [], inits=inits)


def _negative_input_dim() -> onnx.ModelProto:
    return _model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [_vi("x", [2, -5])])


def _negative_fill() -> onnx.ModelProto:
    return _model(
        [
            helper.make_node("ConstantOfShape", ["s"], ["c"], name="fill"),
            helper.make_node("Add", ["x", "c"], ["y"], name="use"),
        ],
        [_vi("x", [1])],
        inits=[_i64("s", [3, -4])],
    )


def _negative_reshape() -> onnx.ModelProto:
    return _model(
        [helper.make_node("Reshape", ["x", "s"], ["y"], name="rs")], [_vi("x", [2, 3])], inits=[_i64("s", [-2, 3])]
    )


def _short_raw_initializer() -> onnx.ModelProto:
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[64, 64], raw_data=b"\0" * 100)
    return _model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [_vi("x", [1, 64])], inits=[w])


def _short_float_initializer() -> onnx.ModelProto:
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4, 4])
    w.float_data.extend([1.0, 2.0, 3.0])  # helper.make_tensor would refuse to build it
    return _model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [_vi("x", [4, 4])], inits=[w])


def _initializer_type_clash() -> onnx.ModelProto:
    """An initializer also declared as a graph input with a different shape."""
    w = _f32("w", [3])
    return _model([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [_vi("x", [3]), _vi("w", [7])], inits=[w])


def _unknown_domain() -> onnx.ModelProto:
    model = _model([helper.make_node("Frobnicate", ["x"], ["y"], name="frob", domain="com.evil")], [_vi("x", [2])])
    model.opset_import.append(helper.make_opsetid("com.evil", 1))
    return model


def _opset_99() -> onnx.ModelProto:
    return _model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [_vi("x", [2])], opset=99)


def _string_input() -> onnx.ModelProto:
    return _model([helper.make_node("Identity", ["x"], ["y"], name="id")], [_vi("x", [2], TensorProto.STRING)],
                  out_type=TensorProto.STRING)


def _cast_to_string() -> onnx.ModelProto:
    return _model([helper.make_node("Cast", ["x"], ["y"], name="cast", to=TensorProto.STRING)], [_vi("x", [2])],
                  out_type=TensorProto.STRING)


def _missing_required_input() -> onnx.ModelProto:
    return _model([helper.make_node("Gemm", ["x"], ["y"], name="gemm")], [_vi("x", [2, 2])])


def _too_many_inputs() -> onnx.ModelProto:
    return _model([helper.make_node("Relu", ["x", "x"], ["y"], name="relu2")], [_vi("x", [2])])


def _gather_elements_model() -> onnx.ModelProto:
    return _model(
        [helper.make_node("GatherElements", ["data", "idx"], ["y"], name="ge", axis=1)],
        [_vi("data", [2, 3]), _vi("idx", [2, 2], TensorProto.INT64)],
    )


def _scatter_nd_model() -> onnx.ModelProto:
    return _model(
        [helper.make_node("ScatterND", ["data", "idx", "upd"], ["y"], name="snd")],
        [_vi("data", [4, 3]), _vi("idx", [2, 1], TensorProto.INT64), _vi("upd", [2, 3])],
    )


def _scatter_elements_model() -> onnx.ModelProto:
    return _model(
        [helper.make_node("ScatterElements", ["data", "idx", "upd"], ["y"], name="se", axis=0)],
        [_vi("data", [4, 3]), _vi("idx", [1, 3], TensorProto.INT64), _vi("upd", [1, 3])],
    )


def _gather_nd_model() -> onnx.ModelProto:
    return _model(
        [helper.make_node("GatherND", ["data", "idx"], ["y"], name="gnd")],
        [_vi("data", [4, 3]), _vi("idx", [2, 2], TensorProto.INT64)],
    )


def _runtime_reshape_model() -> onnx.ModelProto:
    """Reshape with its shape a run-time input; the declared output type is what compiles."""
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "s"], ["y"], name="rs")],
        "hostile", [_vi("x", [2, 3, 4]), _vi("s", [2], TensorProto.INT64)], [_vi("y", [6, 4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    return model


def _runtime_cumsum_model() -> onnx.ModelProto:
    return _model([helper.make_node("CumSum", ["x", "a"], ["y"], name="cs")],
                  [_vi("x", [2, 3]), _vi("a", [], TensorProto.INT64)])


def _ids(*values) -> Callable[[], dict[str, Any]]:
    return lambda: {"ids": np.array(values, np.int64)}


CASES: list[Case] = [
    # unreadable files
    Case("truncated_file", "a valid model cut in half", _compile_only(_truncated), "ModelError"),
    Case("random_bytes", "4 KiB of random bytes", _compile_only(lambda: _random_bytes(1, 4096)), "ModelError"),
    Case("random_bytes_small", "13 random bytes", _compile_only(lambda: _random_bytes(2, 13)), "ModelError"),
    Case("empty_bytes", "zero bytes", _compile_only(b""), "ModelError"),
    Case("flipped_bytes", "every 7th byte of a model inverted", _compile_only(_flipped_bytes), "StrataError"),
    Case("text_file", "a text file named .onnx", _compile_only(_text_file), "ModelError"),
    Case("missing_file", "a path that does not exist", _compile_only("/nonexistent/model.onnx"), "ModelError",
         ("/nonexistent/model.onnx",)),
    # graph structure
    Case("graph_cycle", "two nodes that consume each other's output", _compile_only(_cycle), "ModelError",
         ("loop_a",)),
    Case("self_loop", "a node that consumes its own output", _compile_only(_self_loop), "ModelError", ("self_add",)),
    Case("undefined_input", "a node input no node or input defines", _compile_only(_undefined_input), "ModelError",
         ("add_ghost", "ghost")),
    Case("undefined_output", "a graph output no node produces", _compile_only(_undefined_output), "ModelError",
         ("nowhere",)),
    Case("duplicate_output", "two nodes writing the same name", _compile_only(_duplicate_output), "ModelError",
         ("y",)),
    Case("missing_required_input", "a Gemm with one input", _compile_only(_missing_required_input), "StrataError",
         ("gemm",)),
    Case("too_many_inputs", "a Relu with two inputs", _compile_only(_too_many_inputs), "StrataError", ("relu2",)),
    # bad attributes
    Case("perm_repeated", "Transpose perm [0, 0, 1]", _compile_only(_bad_perm([0, 0, 1])), "StrataError", ("tr",)),
    Case("perm_out_of_range", "Transpose perm [0, 1, 3]", _compile_only(_bad_perm([0, 1, 3])), "StrataError", ("tr",)),
    Case("perm_short", "Transpose perm of rank 2 on rank 3", _compile_only(_bad_perm([1, 0])), "StrataError", ("tr",)),
    Case("perm_negative", "Transpose perm [0, -1, 1]", _compile_only(_bad_perm([0, -1, 1])), "StrataError", ("tr",)),
    Case("softmax_axis", "Softmax axis 5 on a rank-2 input", _compile_only(_softmax_axis), "StrataError", ("sm",)),
    Case("gather_axis", "Gather axis 3 on a rank-2 table", _compile_only(_gather_axis), "StrataError", ("emb",)),
    Case("unknown_attribute", "Relu with an attribute it does not have", _compile_only(_unknown_attribute),
         "StrataError", ("relu",)),
    Case("attribute_kind", "Softmax axis given as a float", _compile_only(_attribute_wrong_kind), "StrataError",
         ("sm",)),
    Case("conv_kernel_shape", "Conv kernel_shape 5x5 with 3x3 weights", _compile_only(_conv_kernel_mismatch),
         "StrataError", ("conv",)),
    Case("conv_channels", "Conv weights for 5 input channels on 3", _compile_only(_conv_channel_mismatch),
         "StrataError", ("conv",)),
    Case("conv_group", "Conv group 2 on 3 channels", _compile_only(_conv_group), "StrataError", ("conv",)),
    Case("pool_window", "MaxPool window 9x9 on a 4x4 image", _compile_only(_pool_too_big), "StrataError", ("pool",)),
    Case("matmul_dims", "MatMul [2, 3] x [4, 5]", _compile_only(_matmul_mismatch), "StrataError", ("mm",)),
    Case("broadcast", "Add [2, 3] + [4]", _compile_only(_broadcast_mismatch), "StrataError", ("add",)),
    Case("reshape_count", "Reshape 6 elements to [4, 2]", _compile_only(_reshape_mismatch), "StrataError", ("rs",)),
    Case("split_sizes", "Split 6 into [2, 7]", _compile_only(_split_mismatch), "StrataError", ("split",)),
    Case("slice_step_zero", "Slice with step 0", _compile_only(_slice_step_zero), "StrataError", ("slice",)),
    # sizes
    Case("huge_input", "a graph input of 1e13 floats", _compile_only(_huge_input), "MemoryLimitError", ("'x'",)),
    Case("huge_fill", "ConstantOfShape of 1e13 elements", _compile_only(_huge_fill), "MemoryLimitError", ("fill",)),
    Case("huge_expand", "Expand to 2^44 elements", _compile_only(_huge_expand), "MemoryLimitError", ("expand",)),
    Case("huge_tile", "Tile by 2^60", _compile_only(_huge_tile), "MemoryLimitError", ("tile",)),
    Case("huge_range", "Range of 1e15 elements", _compile_only(_huge_range), "MemoryLimitError", ("range",)),
    Case("negative_input_dim", "a graph input of shape [2, -5]", _compile_only(_negative_input_dim), "StrataError",
         ("'x'",)),
    Case("negative_fill", "ConstantOfShape of shape [3, -4]", _compile_only(_negative_fill), "StrataError",
         ("fill",)),
    Case("negative_reshape", "Reshape to [-2, 3]", _compile_only(_negative_reshape), "StrataError", ("rs",)),
    # initializers
    Case("short_raw_initializer", "a 64x64 float initializer with 100 raw bytes", _compile_only(_short_raw_initializer),
         "ModelError", ("'w'",)),
    Case("short_float_initializer", "a 4x4 float initializer with 3 values", _compile_only(_short_float_initializer),
         "ModelError", ("'w'",)),
    Case("initializer_input_clash", "an initializer declared as an input of another shape",
         _compile_only(_initializer_type_clash), "StrataError", ("'w'",)),
    # types, domains, opsets
    Case("unknown_domain", "an op of domain com.evil", _compile_only(_unknown_domain), "UnsupportedOpsError",
         ("Frobnicate", "frob")),
    Case("opset_99", "opset 99 of the default domain", _compile_only(_opset_99), "UnsupportedOpsetError", ("99",)),
    Case("string_input", "a string graph input", _compile_only(_string_input), "StrataError", ("'x'",)),
    Case("cast_to_string", "Cast to string", _compile_only(_cast_to_string), "StrataError", ("cast",)),
    # run time: indices out of range
    Case("gather_index_high", "Gather index 10 on an axis of 10", _with_feeds(_gather_model, _ids(0, 10, 1, 2)),
         "OutOfRangeError", ("emb", "10")),
    Case("gather_index_low", "Gather index -11 on an axis of 10", _with_feeds(_gather_model, _ids(0, -11, 1, 2)),
         "OutOfRangeError", ("emb", "-11")),
    Case("gather_index_huge", "Gather index 2^62", _with_feeds(_gather_model, _ids(0, 1 << 62, 1, 2)),
         "OutOfRangeError", ("emb",)),
    Case("gather_elements_index", "GatherElements index 3 on an axis of 3",
         _with_feeds(_gather_elements_model, lambda: {"data": np.ones((2, 3), np.float32),
                                                      "idx": np.array([[0, 3], [1, 2]], np.int64)}),
         "OutOfRangeError", ("ge",)),
    Case("gather_nd_index", "GatherND index 4 on an axis of 4",
         _with_feeds(_gather_nd_model, lambda: {"data": np.ones((4, 3), np.float32),
                                                "idx": np.array([[0, 0], [4, 1]], np.int64)}),
         "OutOfRangeError", ("gnd",)),
    Case("scatter_nd_index", "ScatterND index -5 on an axis of 4",
         _with_feeds(_scatter_nd_model, lambda: {"data": np.ones((4, 3), np.float32),
                                                 "idx": np.array([[1], [-5]], np.int64),
                                                 "upd": np.ones((2, 3), np.float32)}),
         "OutOfRangeError", ("snd",)),
    Case("scatter_elements_index", "ScatterElements index 4 on an axis of 4",
         _with_feeds(_scatter_elements_model, lambda: {"data": np.ones((4, 3), np.float32),
                                                       "idx": np.array([[0, 4, 1]], np.int64),
                                                       "upd": np.ones((1, 3), np.float32)}),
         "OutOfRangeError", ("se",)),
    Case("reshape_shape_feed", "a run-time Reshape shape [4, 6] where [6, 4] was compiled",
         _with_feeds(_runtime_reshape_model, lambda: {"x": np.ones((2, 3, 4), np.float32), "s": np.array([4, 6])}),
         "OutOfRangeError", ("rs",)),
    Case("reshape_two_minus_ones", "a run-time Reshape shape [-1, -1]",
         _with_feeds(_runtime_reshape_model, lambda: {"x": np.ones((2, 3, 4), np.float32), "s": np.array([-1, -1])}),
         "OutOfRangeError", ("rs",)),
    Case("cumsum_axis_feed", "a run-time CumSum axis 2 on a rank-2 input",
         _with_feeds(_runtime_cumsum_model, lambda: {"x": np.ones((2, 3), np.float32), "a": np.array(2)}),
         "OutOfRangeError", ("cs",)),
    # run time: wrong feeds
    Case("feed_dtype", "a float64 feed for a float32 input",
         _with_feeds(_relu_model, lambda: {"x": np.ones((2, 3), np.float64)}), "InputError", ("'x'", "float32")),
    Case("feed_shape", "a [3, 2] feed for a [2, 3] input",
         _with_feeds(_relu_model, lambda: {"x": np.ones((3, 2), np.float32)}), "InputError", ("'x'",)),
    Case("feed_rank", "a rank-0 feed for a [2, 3] input",
         _with_feeds(_relu_model, lambda: {"x": np.float32(1.0)}), "InputError", ("'x'",)),
    Case("feed_missing", "no feed for the input", _with_feeds(_relu_model, lambda: {}), "InputError", ("'x'",)),
    Case("feed_unknown", "a feed named after no input",
         _with_feeds(_relu_model, lambda: {"x": np.ones((2, 3), np.float32), "z": np.ones(1)}), "InputError", ("'z'",)),
    Case("feed_object", "a feed that is a list of strings",
         _with_feeds(_relu_model, lambda: {"x": [["a", "b", "c"], ["d", "e", "f"]]}), "InputError", ("'x'",)),
    Case("feed_index_dtype", "float indices for an int64 Gather input",
         _with_feeds(_gather_model, lambda: {"ids": np.zeros(4, np.float32)}), "InputError", ("'ids'",)),
]


def _mapped_bytes() -> int:
    """This process's mapped address space (VmSize), 0 where /proc does not say."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _child(case: Case, conn) -> None:
    """Runs one case under the limits; sends (outcome, error type, message) back."""
    import resource

    # The cap counts from what the fork inherited: a test process that has compiled
    # many models already maps several GiB (LLVM's section memory then failed to
    # allocate under a flat 4 GiB cap).
    limit = _mapped_bytes() + ADDRESS_SPACE_BYTES
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    try:
        import compiler
        from dialects.errors import StrataError

        model, feeds, kwargs = case.build()
        compiled = compiler.compile(model, num_threads=1, **kwargs)
        if feeds is None:
            conn.send(("compiled", "", "the model compiled"))
            return
        outs = compiled.run(feeds)
        conn.send(("answered", "", f"returned {len(outs)} output(s)"))
    except StrataError as e:
        names = [c.__name__ for c in type(e).__mro__]
        conn.send(("refused", ",".join(names), str(e)))
    except BaseException as e:  # noqa: BLE001 - any other exception is an unclear failure
        conn.send(("unclear", type(e).__name__, f"{e}\n{traceback.format_exc(limit=4)}"))


@dataclass
class Outcome:
    case: str
    outcome: str  # refused | compiled | answered | unclear | crashed | hung
    error: str  # the exception's class names (its MRO), comma separated
    message: str

    def ok(self, case: Case) -> str | None:
        """None when the case ended as it must; else what went wrong."""
        if self.outcome != "refused":
            return f"{self.outcome}: {self.error} {self.message}".strip()
        if case.error not in self.error.split(","):
            return f"raised {self.error.split(',')[0]}, expected {case.error}: {self.message}"
        missing = [m for m in case.mentions if m not in self.message]
        if missing:
            return f"the message does not name {missing}: {self.message}"
        return None


def run_isolated(case: Case, wall_seconds: float = WALL_SECONDS) -> Outcome:
    """Runs `case` in a forked child under the address-space and CPU caps; a child that
    sends nothing within `wall_seconds` is killed and reported as hung."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(case, child))
    proc.start()
    child.close()
    result = None
    if parent.poll(wall_seconds):
        try:
            result = parent.recv()
        except EOFError:
            result = None
    proc.join(5 if result is not None else 0.1)
    if proc.is_alive():
        proc.kill()
        proc.join()
        if result is None:
            return Outcome(case.name, "hung", "", f"no answer within {wall_seconds} s")
    if result is None:
        return Outcome(case.name, "crashed", "", f"the child ended with exit code {proc.exitcode}")
    return Outcome(case.name, *result)


def main() -> int:
    failures = 0
    for case in CASES:
        out = run_isolated(case)
        problem = out.ok(case)
        failures += problem is not None
        first = (problem or out.message).splitlines()[0][:150]
        print(f"{'ok  ' if problem is None else 'FAIL'} {case.name:26} {out.error.split(',')[0]:22} {first}")
    print(f"\n{len(CASES) - failures} of {len(CASES)} hostile cases refused cleanly")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
