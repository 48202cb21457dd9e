"""Runs ONNX's node test cases (`onnx.backend.test.case.node.collect_testcases`, shipped
inside the onnx package); used by the pytest conformance module and by
`tools/conformance_report.py`.

Two paths, two counts:
- "backend": through `compiler.backend`, which specializes a graph input that decides a
  shape (compiles the model again for each value of it, as a constant);
- "compile": through `compiler.compile(case.model)` as a user calls it, with every graph
  input a run-time input. For a case with no shape-deciding input the backend compiles
  exactly that, so the two results are the same and only the other cases are run again.

A case whose graph import computed whole (only constants left after import: onnx.reference
evaluated every node) is marked `folded`: it says little about Strata's kernels.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import numpy_helper

from compiler import backend
from compiler.api import compile as compile_model
from dialects.errors import UnsupportedOpsError

EXPECTED_FAILURES_FILE = os.path.join(os.path.dirname(__file__), "conformance_expected_failures.txt")
# The compile path's, for the cases whose result there differs from the backend's
# (every other case fails there as the backend list says).
COMPILE_EXPECTED_FAILURES_FILE = os.path.join(os.path.dirname(__file__), "conformance_expected_failures_compile.txt")
# The cuda target's (the Triton kernels, run in Triton's interpreter): tools/cuda_conformance_report.py
CUDA_EXPECTED_FAILURES_FILE = os.path.join(os.path.dirname(__file__), "conformance_expected_failures_cuda.txt")


def node_cases():
    """Every ONNX node test case that has a model, sorted by name."""
    # Start-up time: onnx's test-case package imports every case generator; only a
    # conformance run needs it, not `import compiler.conformance` for the expected lists.
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        cases = collect_testcases(None)
    return sorted((c for c in cases if c.model is not None), key=lambda c: c.name)


def case_op_type(case) -> str:
    nodes = case.model.graph.node
    return nodes[0].op_type if len(nodes) == 1 else (nodes[-1].op_type if nodes else "?")


def compile_path_expected(backend_expected: dict[str, str] | None = None) -> dict[str, str]:
    """The compile path's expected failures: the backend's, overridden by the compile
    path's own list (cases that fail there only, or for another reason)."""
    expected = dict(load_expected_failures() if backend_expected is None else backend_expected)
    expected.update(load_expected_failures(COMPILE_EXPECTED_FAILURES_FILE))
    return expected


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


def same_reason(got: str, recorded: str) -> bool:
    """Whether a failure's reason is the one recorded in an expected-failure list (the
    list holds the first 200 characters of the one-line reason)."""
    return got.strip()[:200] == recorded.strip()[:200]


@dataclass
class CaseResult:
    name: str
    op_type: str
    passed: bool
    reason: str  # empty when passed
    folded: bool = False  # the whole graph was computed at import (only constants left)


def _folded(compiled) -> bool:
    ops = compiled.stats.get("graph_passes", {}).get("ops_before", {}) if hasattr(compiled, "stats") else {}
    return bool(ops) and set(ops) <= {"Constant"}


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
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    return np.asarray(value)


def has_specialized_inputs(case) -> bool:
    """Whether the backend specializes some graph input of `case` (then its compile-path
    result may differ from its backend result)."""
    return bool(backend.shape_inputs(case.model))


def run_case(case, device: str = "CPU", path: str = "backend") -> CaseResult:
    """Compiles and runs one case on `device` ("CPU", or "CUDA": the Triton path, which
    needs a GPU or TRITON_INTERPRET=1) through `path` ("backend" or "compile", see the
    module docstring); any failure is reported as a one-line reason."""
    op = case_op_type(case)
    folded = False
    try:
        if path == "compile":
            compiled = compile_model(case.model, target="cuda" if device.upper().startswith("CUDA") else "cpu")
            names = compiled.input_names

            def run(inputs):
                return compiled.run(dict(zip(names, inputs)))
        elif path == "backend":
            rep = backend.prepare(case.model, device)
            run = rep.run
        else:
            raise ValueError(f"unknown conformance path '{path}' (backend or compile)")
        for inputs, outputs in case.data_sets:
            inputs, outputs = [_array(x) for x in inputs], [_array(x) for x in outputs]
            got = run(inputs)
            folded = folded or _folded(compiled if path == "compile" else rep.compiled)
            if len(got) != len(outputs):
                return CaseResult(case.name, op, False, f"{len(got)} outputs, expected {len(outputs)}")
            for g, w in zip(got, outputs):
                problem = _compare(np.asarray(g), w, case.rtol, case.atol)
                if problem:
                    return CaseResult(case.name, op, False, problem, folded)
    except UnsupportedOpsError as e:
        return CaseResult(case.name, op, False, "unsupported op: " + ", ".join(sorted(e.unsupported)))
    except Exception as e:  # every other error is a failure with its message
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        return CaseResult(case.name, op, False, f"{type(e).__name__}: {first}"[:200])
    return CaseResult(case.name, op, True, "", folded)
