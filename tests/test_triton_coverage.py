"""The GPU path covers the CPU path's op table: every op that `convert-onnx-to-loops`
lowers for target="cpu" (lowering/kernels KERNEL_LOWERINGS) has a Triton kernel writer
in lowering/to_triton.py's CUDA_KERNELS, except the short list below, each with its
reason; every elementwise op the fusion pass may group has a Triton body; and every op
has at least one ONNX node test case that passes through the cuda target (the case
list of tools/cuda_conformance_report.py: compiler/conformance_expected_failures_cuda.txt).
Needs neither triton nor torch (it reads tables).
"""

from __future__ import annotations

from collections import defaultdict

import pytest

from compiler.conformance import CUDA_EXPECTED_FAILURES_FILE, case_op_type, load_expected_failures, node_cases
from lowering.kernels import KERNEL_LOWERINGS
from lowering.kernels.elementwise import SCALAR_BODIES
from lowering.to_triton import CUDA_KERNELS
from lowering.triton_kernels.bodies import has_body

_LAYOUT = "made only by onnx-layout-nchwc, a CPU-only pass the cuda target leaves out (cuda_disabled_passes)"
NOT_ON_CUDA = {
    "strata.ConvNCHWc": _LAYOUT,
    "strata.DepthwiseConvNCHWc": _LAYOUT,
    "strata.MaxPoolNCHWc": _LAYOUT,
    "strata.AveragePoolNCHWc": _LAYOUT,
    "strata.GlobalAveragePoolNCHWc": _LAYOUT,
    "strata.ChannelShuffleNCHWc": _LAYOUT,
    "strata.ReorderToBlocked": _LAYOUT,
    "strata.ReorderFromBlocked": _LAYOUT,
    "strata.FusedKernel": "a group, not an op: each group's anchor and members have their own entries",
}


def test_every_cpu_op_has_a_cuda_kernel():
    missing = sorted(op for op in KERNEL_LOWERINGS if op not in CUDA_KERNELS and op not in NOT_ON_CUDA)
    assert not missing, f"ops the CPU path lowers that target='cuda' refuses: {missing}"


def test_exemptions_are_real_and_still_needed():
    stale = sorted(op for op in NOT_ON_CUDA if op not in KERNEL_LOWERINGS or op in CUDA_KERNELS)
    assert not stale


def test_every_groupable_elementwise_op_has_a_triton_body():
    class Probe:  # has_body needs only the op's name
        def __init__(self, name):
            self.name = name

    missing = sorted(op for op in SCALAR_BODIES if not has_body(Probe(op)))  # type: ignore[arg-type]
    assert not missing


@pytest.fixture(scope="module")
def single_node_cases():
    return [c for c in node_cases() if len(c.model.graph.node) == 1]


def _ops_without_passing_case(cases, failing) -> set[str]:
    passing = defaultdict(int)
    for case in cases:
        if case.name not in failing:
            passing[case_op_type(case)] += 1
    ops = {op.removeprefix("onnx.") for op in KERNEL_LOWERINGS if op.startswith("onnx.")}
    return {op for op in ops if passing[op] == 0}


# ops with no single-node ONNX case that passes on the CPU path either
NO_SINGLE_NODE_CASE: set[str] = set()


def test_every_op_passes_a_node_case_through_cuda(single_node_cases):
    """From the last full run of tools/cuda_conformance_report (its expected-failure
    list, which the seeded subset in test_triton_conformance.py keeps honest): each ONNX
    op of the CPU table has a single-node case the cuda target passes."""
    without = _ops_without_passing_case(single_node_cases, load_expected_failures(CUDA_EXPECTED_FAILURES_FILE))
    assert without <= NO_SINGLE_NODE_CASE, sorted(without - NO_SINGLE_NODE_CASE)


def test_no_single_node_case_list_is_exact(single_node_cases):
    assert _ops_without_passing_case(single_node_cases, load_expected_failures()) == NO_SINGLE_NODE_CASE
