"""A Hugging Face BERT (transformers' BertModel, tiny config, random weights) exported by
torch.onnx.export with dynamic batch and sequence axes compiles and matches
onnxruntime, with the dynamic axes bound by input_shapes. The model is committed
(tests/data/hf_bert_tiny.onnx, made by `python3 -m tools.export_hf_bert`), so this runs
without transformers; with transformers installed, the export is checked to still give
that graph.

Its embeddings take token_type_ids from a buffer: Slice by the sequence length
(Shape -> Gather -> Unsqueeze), Expand, GatherElements, Expand to [batch, sequence]. onnx's
shape inference leaves those dims symbolic; the importer types them by running each
op's onnx inference again once folding has made its inputs static.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import onnx
import pytest

import compiler
from tests.ort_check import checked_optimize, run_ort

MODEL = os.path.join(os.path.dirname(__file__), "data", "hf_bert_tiny.onnx")


@pytest.fixture(scope="module")
def bert() -> onnx.ModelProto:
    return onnx.load(MODEL)


def _feeds(batch: int, seq: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 500, (batch, seq)).astype(np.int64)
    mask = np.ones((batch, seq), np.int64)
    mask[0, seq // 2 :] = 0  # a padded sequence
    return {"input_ids": ids, "attention_mask": mask}


def test_model_has_the_token_type_buffer_pattern(bert):
    ops = [n.op_type for n in bert.graph.node]
    assert "GatherElements" in ops and "Expand" in ops
    dims = [[d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in bert.graph.input]
    assert dims == [["batch", "sequence"], ["batch", "sequence"]]


@pytest.mark.parametrize("batch,seq", [(2, 128), (1, 16), (3, 7)])
def test_compiles_and_matches_onnxruntime(bert, batch, seq):
    feeds = _feeds(batch, seq)
    compiled = compiler.compile(bert, input_shapes={"input_ids": [batch, seq], "attention_mask": [batch, seq]})
    expected = run_ort(bert, feeds)
    got = compiled.run(feeds)
    assert [g.shape for g in got] == [(batch, seq, 64), (batch, 64)]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-4)


def test_token_id_beyond_the_vocabulary_is_refused(bert):
    from dialects.errors import OutOfRangeError

    compiled = compiler.compile(bert, input_shapes={"input_ids": [1, 8], "attention_mask": [1, 8]})
    feeds = _feeds(1, 8)
    feeds["input_ids"][0, 3] = 500
    with pytest.raises(OutOfRangeError, match=r"^Gather node '/model/embeddings/word_embeddings/Gather': index 500 is out of range for axis 0 of size 500"):
        compiled.run(feeds)


def test_optimized_model_is_valid(bert):
    checked_optimize(bert, "all", input_shapes={"input_ids": [2, 16], "attention_mask": [2, 16]}, feeds=_feeds(2, 16))


@pytest.mark.skipif(importlib.util.find_spec("transformers") is None, reason="transformers is not installed (the committed model is used)")
def test_export_script_gives_the_committed_graph(tmp_path):
    from tools.export_hf_bert import export

    fresh = onnx.load(export(str(tmp_path / "bert.onnx")))
    committed = onnx.load(MODEL)
    assert [(n.op_type, list(n.input), list(n.output)) for n in fresh.graph.node] == [
        (n.op_type, list(n.input), list(n.output)) for n in committed.graph.node
    ]
    assert [(t.name, list(t.dims)) for t in fresh.graph.initializer] == [(t.name, list(t.dims)) for t in committed.graph.initializer]
