"""A seeded subset of ONNX's node test cases through the cuda target (the generated
Triton kernels) in Triton's interpreter, against the cuda expected-failure list
(compiler/conformance_expected_failures_cuda.txt, written by
`python -m tools.cuda_conformance_report --write-expected`, which runs all of them):
an unlisted case must pass, a listed case that passes fails this suite until it is
removed from the list. SUBSET cases, drawn with a fixed seed from every case, plus one
passing single-node case per op of the CPU table, so each op runs here on every CI run.
"""

from __future__ import annotations

import os
import random
import sys

import pytest

if "triton" in sys.modules and os.environ.get("TRITON_INTERPRET") != "1":
    pytest.skip("triton was imported before TRITON_INTERPRET=1 could be set; run this file in its own process",
                allow_module_level=True)
os.environ["TRITON_INTERPRET"] = "1"

pytest.importorskip("torch", reason="torch is not installed (pip install '.[gpu]'): the Triton interpreter needs it")
pytest.importorskip("triton", reason="triton is not installed (pip install '.[gpu]')")

import numpy as np  # noqa: E402

from compiler.conformance import (  # noqa: E402
    CUDA_EXPECTED_FAILURES_FILE,
    case_op_type,
    load_expected_failures,
    node_cases,
    run_case,
)

SEED, SUBSET = 13, 120
CASES = node_cases()
EXPECTED = load_expected_failures(CUDA_EXPECTED_FAILURES_FILE)


def _subset():
    picked = {c.name: c for c in random.Random(SEED).sample(CASES, SUBSET)}
    per_op: dict[str, object] = {}
    for c in CASES:  # the first passing single-node case of each op
        if c.name not in EXPECTED and len(c.model.graph.node) == 1:
            per_op.setdefault(case_op_type(c), c)
    picked.update({c.name: c for c in per_op.values()})  # type: ignore[attr-defined]
    return sorted(picked.values(), key=lambda c: c.name)


SUBSET_CASES = _subset()


@pytest.mark.parametrize("case", SUBSET_CASES, ids=[c.name for c in SUBSET_CASES])
def test_node_case_on_cuda(case, monkeypatch):
    monkeypatch.setenv("STRATA_AUTOTUNE", "0")
    with np.errstate(all="ignore"):
        result = run_case(case, "CUDA")
    if case.name in EXPECTED:
        if result.passed:
            pytest.fail(f"{case.name} passes on cuda now: remove it from conformance_expected_failures_cuda.txt")
        pytest.xfail(EXPECTED[case.name])
    assert result.passed, result.reason


def test_cuda_expected_failures_name_real_cases():
    names = {c.name for c in CASES}
    assert not sorted(set(EXPECTED) - names)
