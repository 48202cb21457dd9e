"""compiler.optimize.optimize: ONNX in, optimized ONNX out. Every output is checked by
`checked_optimize` (onnx.checker with full_check, loaded and run by onnxruntime, equal to
the original model there), on every example model (EXAMPLES and INDEXED_EXAMPLES, whose
Gathers take token ids or a scalar index) at every level."""

from __future__ import annotations

import onnx
import pytest

from dialects.errors import StrataError
from compiler.optimize import OptimizeLevelError, optimize
from tests.ort_check import checked_optimize
from tools.example_models import EXAMPLES, INDEXED_EXAMPLES, example_inputs

LEVELS = ("none", "basic", "extended", "all")

_models: dict[str, onnx.ModelProto] = {}
ALL = {name: (build, shapes) for name, (build, shapes, *_) in {**EXAMPLES, **INDEXED_EXAMPLES}.items()}


def _model(name: str) -> onnx.ModelProto:
    if name not in _models:
        _models[name] = ALL[name][0]()
    return _models[name]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", sorted(ALL))
def test_optimized_model_matches_original(name: str, level: str) -> None:
    model = _model(name)
    shapes = ALL[name][1]
    optimized = checked_optimize(model, level, input_shapes=shapes, feeds=example_inputs(name))
    assert optimized.graph.name == model.graph.name
    assert [i.name for i in optimized.graph.input] == [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    assert [o.name for o in optimized.graph.output] == [o.name for o in model.graph.output]


@pytest.mark.parametrize("name", ["vit_style", "bert_pooler_style"])
def test_scalar_index_stays_rank_0(name: str) -> None:
    """The Gather that takes the CLS / first token keeps its rank-0 index, so its output
    stays [batch, d_model] for the Gemm after it."""
    optimized = checked_optimize(_model(name), "all", input_shapes=ALL[name][1], feeds=example_inputs(name))
    inits = {t.name: t for t in optimized.graph.initializer}
    takes = [n for n in optimized.graph.node if n.op_type == "Gather" and n.input[1] in inits and not inits[n.input[1]].dims]
    assert len(takes) == 1, [(n.name, n.input) for n in optimized.graph.node if n.op_type == "Gather"]


@pytest.mark.parametrize("name", sorted(ALL))
def test_node_count_never_grows_with_level(name: str) -> None:
    model = _model(name)
    shapes = ALL[name][1]
    optimized = [checked_optimize(model, level, shapes, feeds=example_inputs(name)) for level in LEVELS]
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
    optimized = checked_optimize(model, "all", EXAMPLES["small_cnn"][1], feeds=example_inputs("small_cnn"))
    assert not any(n.op_type == "BatchNormalization" for n in optimized.graph.node)
    assert len(optimized.graph.node) < len(model.graph.node)


def test_int_levels_are_the_named_levels() -> None:
    model = _model("small_cnn")
    shapes = EXAMPLES["small_cnn"][1]
    for i, level in enumerate(LEVELS):
        by_name = checked_optimize(model, level, shapes)
        by_int = checked_optimize(model, i, shapes)
        assert [n.op_type for n in by_int.graph.node] == [n.op_type for n in by_name.graph.node]
    assert len(checked_optimize(model, "ALL", shapes).graph.node) == len(checked_optimize(model, 3, shapes).graph.node)


def test_default_level_is_all_and_input_is_not_modified() -> None:
    model = _model("small_cnn")
    before = model.SerializeToString()
    optimized = checked_optimize(model, input_shapes=EXAMPLES["small_cnn"][1])
    assert not any(n.op_type == "BatchNormalization" for n in optimized.graph.node)
    assert model.SerializeToString() == before


def test_accepts_bytes() -> None:
    model = _model("mlp")
    optimized = checked_optimize(model.SerializeToString(), "basic", EXAMPLES["mlp"][1])
    assert any(n.op_type == "Gemm" for n in optimized.graph.node)


@pytest.mark.parametrize("level", ["fast", "", 4, -1, 1.5, None, True])
def test_bad_level_raises(level) -> None:
    with pytest.raises(OptimizeLevelError) as info:
        optimize(_model("mlp"), level)
    assert isinstance(info.value, StrataError)
    assert "level" in str(info.value)
