"""Smoke tests of tools/benchmark.py's table code and tools/real_models.py's cache and
inputs, on an example model: neither needs timm, transformers or torch (the real models
themselves are exported and benchmarked by the script, not by the test suite)."""

from __future__ import annotations

import os

import llvmlite.binding as llvm
import numpy as np
import pytest

from tools import benchmark, real_models
from tools.example_models import EXAMPLES, example_inputs


def test_measure_and_row_on_an_example():
    r = benchmark.measure("mlp", EXAMPLES["mlp"][0](), example_inputs("mlp"), repeat=2)
    assert r["err"] < 1e-5 and r["kernels"] >= 1 and r["ort_ms"] > 0 and r["strata_ms"] > 0
    row = benchmark.format_row(r)
    assert row.startswith("| mlp | 4 | ") and row.endswith("x |")
    assert row.count("|") == benchmark.TABLE_HEADER.splitlines()[0].count("|")


def test_preamble_names_the_cpu_and_threads():
    text = benchmark.table_preamble(1)
    assert text.startswith("cpu: ") and llvm.get_host_cpu_name() in text
    assert "onnxruntime intra-op 1" in text


def test_real_model_names_are_checked():
    assert benchmark.real_model_names("all") == list(real_models.REAL_MODELS)
    assert benchmark.real_model_names("resnet50,gpt2") == ["resnet50", "gpt2"]
    with pytest.raises(SystemExit, match="unknown real models"):
        benchmark.real_model_names("resnet51")


def test_real_model_inputs():
    feeds = real_models.feeds("bert_base")
    ids, mask = feeds["input_ids"], feeds["attention_mask"]
    assert ids.shape == mask.shape == (1, real_models.SEQUENCE) and ids.dtype == mask.dtype == np.int64
    assert 0 <= ids.min() and ids.max() < real_models.VOCAB["bert_base"]
    assert mask[0, :-16].all() and not mask[0, -16:].any()
    image = real_models.feeds("resnet50")["x"]
    assert image.shape == (1, 3, 224, 224) and image.dtype == np.float32
    assert np.array_equal(image, real_models.feeds("resnet50")["x"])  # seeded


def test_cached_export_needs_no_torch(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATA_CACHE_DIR", str(tmp_path))
    path = real_models.model_path("resnet18")
    assert path == os.path.join(str(tmp_path), "bench_models", "resnet18.onnx")
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as f:
        f.write(b"cached")
    assert real_models.export("resnet18") == path  # found in the cache, nothing rebuilt
