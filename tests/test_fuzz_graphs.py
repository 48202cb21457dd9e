"""A small seeded run of the random-graph differential fuzzer (tools/fuzz_graphs.py):
random graphs of elementwise, layout, reduction, MatMul/Gemm, Conv and pooling nodes,
compiled at -O0 and -O3, must match onnxruntime. Long runs: `python -m tools.fuzz_graphs`."""

from __future__ import annotations

import onnx
import pytest

from tools.fuzz_graphs import check_seed, random_model

pytest.importorskip("onnxruntime")

SEEDS = range(12)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_graph_matches_onnxruntime(seed):
    findings = check_seed(seed, (0, 3))
    assert not findings, "; ".join(f"-O{f.opt_level}: {f.what}" for f in findings)


def test_generator_is_deterministic_and_valid():
    a, feeds_a = random_model(5)
    b, feeds_b = random_model(5)
    assert a.SerializeToString() == b.SerializeToString()
    assert all((feeds_a[k] == feeds_b[k]).all() for k in feeds_a)
    for seed in range(50):
        onnx.checker.check_model(random_model(seed)[0], full_check=True)


def test_a_wrong_answer_is_a_finding(monkeypatch):
    """The harness itself: outputs off by a little are reported, at each level."""
    from runtime.compiled_model import CompiledModel

    original = CompiledModel.run
    monkeypatch.setattr(CompiledModel, "run", lambda self, feeds: [o + 0.01 for o in original(self, feeds)])
    findings = check_seed(0, (0, 3))
    assert {f.opt_level for f in findings} == {0, 3}
    assert all("max abs error" in f.what for f in findings)
