"""compiler.optimize.optimize: ONNX in, optimized ONNX out, checked by onnx.checker and
run by onnxruntime against the original model on the example models at every level."""

from __future__ import annotations

import numpy as np
import onnx
import pytest

from compiler.errors import StrataError
from compiler.optimize import OptimizeLevelError, optimize
from tests.ort_check import run_ort
from tools.example_models import EXAMPLES, example_inputs

LEVELS = ("none", "basic", "extended", "all")

_models: dict[str, onnx.ModelProto] = {}


def _model(name: str) -> onnx.ModelProto:
    if name not in _models:
        _models[name] = EXAMPLES[name][0]()
    return _models[name]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_optimized_model_matches_original(name: str, level: str) -> None:
    model = _model(name)
    shapes = EXAMPLES[name][1]
    optimized = optimize(model, level, input_shapes=shapes)
    onnx.checker.check_model(optimized, full_check=True)
    assert optimized.graph.name == model.graph.name
    assert [i.name for i in optimized.graph.input] == [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    assert [o.name for o in optimized.graph.output] == [o.name for o in model.graph.output]
    feeds = example_inputs(name)
    expected = run_ort(model, feeds)
    got = run_ort(optimized, feeds)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape and g.dtype == e.dtype
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_node_count_never_grows_with_level(name: str) -> None:
    model = _model(name)
    shapes = EXAMPLES[name][1]
    optimized = [optimize(model, level, shapes) for level in LEVELS]
    counts = [len(m.graph.node) for m in optimized]
    assert counts[0] <= len(model.graph.node)
    # Up to -O2 no level adds nodes; -O3's layout pass may add layout conversions at the
    # borders of blocked regions, and nothing else.
    assert all(a >= b for a, b in zip(counts[:-1], counts[1:-1])), counts
    reorders = sum(n.op_type.startswith("Reorder") for n in optimized[-1].graph.node)
    assert counts[-1] - reorders <= counts[-2], counts


def test_all_fuses_batch_norm_in_small_cnn() -> None:
    model = _model("small_cnn")
    assert any(n.op_type == "BatchNormalization" for n in model.graph.node)
    optimized = optimize(model, "all", EXAMPLES["small_cnn"][1])
    assert not any(n.op_type == "BatchNormalization" for n in optimized.graph.node)
    assert len(optimized.graph.node) < len(model.graph.node)


def test_int_levels_are_the_named_levels() -> None:
    model = _model("small_cnn")
    shapes = EXAMPLES["small_cnn"][1]
    for i, level in enumerate(LEVELS):
        by_name = optimize(model, level, shapes)
        by_int = optimize(model, i, shapes)
        assert [n.op_type for n in by_int.graph.node] == [n.op_type for n in by_name.graph.node]
    assert len(optimize(model, "ALL", shapes).graph.node) == len(optimize(model, 3, shapes).graph.node)


def test_default_level_is_all_and_input_is_not_modified() -> None:
    model = _model("small_cnn")
    before = model.SerializeToString()
    optimized = optimize(model, input_shapes=EXAMPLES["small_cnn"][1])
    assert not any(n.op_type == "BatchNormalization" for n in optimized.graph.node)
    assert model.SerializeToString() == before


def test_accepts_bytes() -> None:
    model = _model("mlp")
    optimized = optimize(model.SerializeToString(), "basic", EXAMPLES["mlp"][1])
    onnx.checker.check_model(optimized)


@pytest.mark.parametrize("level", ["fast", "", 4, -1, 1.5, None, True])
def test_bad_level_raises(level) -> None:
    with pytest.raises(OptimizeLevelError) as info:
        optimize(_model("mlp"), level)
    assert isinstance(info.value, StrataError)
    assert "level" in str(info.value)
