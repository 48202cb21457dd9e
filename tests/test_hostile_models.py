"""The hostile corpus (tests/hostile_corpus.py): malformed files, broken graphs, bad
attributes and permutations, huge and negative dims, short initializers, out-of-range
indices and wrong feeds. Each case runs in a forked child with an address-space cap,
a CPU-time cap and a wall-clock timeout, and must end in the StrataError subclass it
names, with a message naming the node, op or input: never a crash, a hang, a plain
Python error or an answer."""

from __future__ import annotations

import os
import time

import pytest

from tests.hostile_corpus import CASES, Case, run_isolated


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_case_is_refused(case):
    outcome = run_isolated(case)
    problem = outcome.ok(case)
    assert problem is None, f"{case.name} ({case.what}): {problem}"


def test_corpus_names_are_unique():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))


def test_runner_reports_a_crash():
    """A child killed by a signal (what a segfault in machine code looks like) is a
    failure of its own kind, not a pass and not a hang of the test run."""
    case = Case("abort", "the child aborts", lambda: os.abort(), "StrataError")
    outcome = run_isolated(case)
    assert outcome.outcome == "crashed"
    assert outcome.ok(case) is not None


def test_runner_reports_a_hang():
    case = Case("hang", "the child sleeps", lambda: time.sleep(60), "StrataError")
    outcome = run_isolated(case, wall_seconds=1)
    assert outcome.outcome == "hung"


def test_runner_reports_an_unclear_error():
    def build():
        raise KeyError("not a strata error")

    outcome = run_isolated(Case("plain", "a KeyError", build, "StrataError"))
    assert outcome.outcome == "unclear" and outcome.error == "KeyError"
