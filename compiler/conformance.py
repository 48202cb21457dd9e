"""Runs ONNX's node test cases (`onnx.backend.test.case.node.collect_testcases`, shipped
inside the onnx package) through `compiler.backend`; used by the pytest conformance
module and by `tools/conformance_report.py`."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np

from compiler import backend
from compiler.errors import UnsupportedOpsError

EXPECTED_FAILURES_FILE = os.path.join(os.path.dirname(__file__), "conformance_expected_failures.txt")
# The cuda target's (the Triton kernels, run in Triton's interpreter): tools/cuda_conformance_report.py
CUDA_EXPECTED_FAILURES_FILE = os.path.join(os.path.dirname(__file__), "conformance_expected_failures_cuda.txt")


def node_cases():
    """Every ONNX node test case that has a model, sorted by name."""
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        cases = collect_testcases(None)
    return sorted((c for c in cases if c.model is not None), key=lambda c: c.name)


def case_op_type(case) -> str:
    nodes = case.model.graph.node
    return nodes[0].op_type if len(nodes) == 1 else (nodes[-1].op_type if nodes else "?")


def load_expected_failures(path: str = EXPECTED_FAILURES_FILE) -> dict[str, str]:
    """name -> reason, from lines `test_name  # reason`."""
    failures: dict[str, str] = {}
    if not os.path.exists(path):
        return failures
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition("#")
            failures[name.strip()] = reason.strip()
    return failures


@dataclass
class CaseResult:
    name: str
    op_type: str
    passed: bool
    reason: str  # empty when passed


def _compare(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> str | None:
    want = np.asarray(want)
    if got.shape != want.shape:
        return f"shape {got.shape} != expected {want.shape}"
    if got.dtype != want.dtype:
        return f"dtype {got.dtype} != expected {want.dtype}"
    if want.dtype.kind in "fc":
        if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
            err = np.nanmax(np.abs(got.astype(np.float64) - want.astype(np.float64))) if got.size else 0.0
            return f"values differ (max abs error {err:.3g})"
    elif not np.array_equal(got, want):
        return "values differ"
    return None


def _array(value) -> np.ndarray:
    """Case data is numpy arrays, except some cases (Cast/CastLike) that store TensorProtos."""
    import onnx
    from onnx import numpy_helper

    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value)


def run_case(case, device: str = "CPU") -> CaseResult:
    """Compiles and runs one case on `device` ("CPU", or "CUDA": the Triton path, which
    needs a GPU or TRITON_INTERPRET=1); any failure is reported as a one-line reason."""
    op = case_op_type(case)
    try:
        rep = backend.prepare(case.model, device)
        for inputs, outputs in case.data_sets:
            inputs, outputs = [_array(x) for x in inputs], [_array(x) for x in outputs]
            got = rep.run(inputs)
            if len(got) != len(outputs):
                return CaseResult(case.name, op, False, f"{len(got)} outputs, expected {len(outputs)}")
            for g, w in zip(got, outputs):
                problem = _compare(np.asarray(g), w, case.rtol, case.atol)
                if problem:
                    return CaseResult(case.name, op, False, problem)
    except UnsupportedOpsError as e:
        return CaseResult(case.name, op, False, "unsupported op: " + ", ".join(sorted(e.unsupported)))
    except Exception as e:  # every other error is a failure with its message
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return CaseResult(case.name, op, False, f"{type(e).__name__}: {first}"[:200])
    return CaseResult(case.name, op, True, "")
