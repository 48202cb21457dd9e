"""ONNX's node test cases through `compiler.backend`, with a checked-in list of expected
failures (compiler/conformance_expected_failures.txt) that may only shrink: a listed
case that starts passing fails this suite until it is removed from the list."""

import pytest

from compiler.conformance import load_expected_failures, node_cases, run_case

CASES = node_cases()
EXPECTED = load_expected_failures()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_node_case(case):
    result = run_case(case)
    if case.name in EXPECTED:
        if result.passed:
            pytest.fail(f"{case.name} passes now: remove it from conformance_expected_failures.txt")
        pytest.xfail(EXPECTED[case.name])
    assert result.passed, result.reason


def test_expected_failures_name_real_cases():
    names = {c.name for c in CASES}
    stale = sorted(set(EXPECTED) - names)
    assert not stale, f"expected failures name unknown cases: {stale[:10]}"
