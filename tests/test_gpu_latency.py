"""The GPU path on a real NVIDIA GPU: the example models compiled with target="cuda"
(kernels autotuned on the first call), outputs checked against onnxruntime, latency
printed against onnxruntime's CUDA provider (onnxruntime-gpu) or, without it, torch
eager. Latency is printed, never asserted (run with `-s` to see the table).

Tests marked `gpu` skip, with the reason, where there is no CUDA device (CI). They run
tools/gpu_benchmark.py in a child process without TRITON_INTERPRET: other test files set
it in this process, and a process runs Triton either interpreted or compiled.

    python3 -m pytest tests/test_gpu_latency.py -m gpu -s

One test here needs no GPU: the benchmark's own code run through the interpreter on the
CPU, so the table's code paths are checked in CI too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tools.example_models import EXAMPLES
from tools.gpu_benchmark import gpu_problem

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOL = 1e-3  # max abs error vs onnxruntime on the CPU (fp32 accumulation order differs)


def _env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    env.update(extra)
    return env


def _problem() -> str | None:
    saved = os.environ.pop("TRITON_INTERPRET", None)  # this process's mode does not matter: the child runs it
    try:
        return gpu_problem()
    finally:
        if saved is not None:
            os.environ["TRITON_INTERPRET"] = saved


@pytest.fixture(scope="module")
def gpu_results():
    problem = _problem()
    if problem is not None:
        pytest.skip(f"needs an NVIDIA GPU with CUDA: {problem}")
    proc = subprocess.run([sys.executable, "-m", "tools.gpu_benchmark", "--json", "--repeat", "30"], env=_env(),
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    print(proc.stdout, proc.stderr[-4000:])  # the latency table (pytest -s shows it)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stderr[-4000:]
    data = json.loads(lines[-1].removeprefix("RESULT"))
    return {r["model"]: r for r in data["rows"]}


@pytest.mark.gpu
@pytest.mark.parametrize("name", list(EXAMPLES))
def test_example_model_on_gpu_matches_onnxruntime(gpu_results, name):
    row = gpu_results[name]
    assert "error" not in row, row.get("error")
    assert row["max_abs_err"] < TOL
    assert row["kernels"] > 0 and row["strata_device_ms"] > 0
    if "baseline_max_abs_err" in row:  # the torch eager baseline computes the same model
        assert row["baseline_max_abs_err"] < TOL
    print(f"{name}: Strata {row['strata_device_ms']:.3f} ms (device), {row['strata_numpy_ms']:.3f} ms (numpy); "
          f"{row.get('baseline', 'no baseline')} {row.get('baseline_ms', float('nan')):.3f} ms")


@pytest.mark.gpu
def test_second_compile_reads_the_autotune_cache(tmp_path):
    """On a GPU: the first compile tunes (and writes the cache), the second finds every
    kernel in it and tunes none."""
    problem = _problem()
    if problem is not None:
        pytest.skip(f"needs an NVIDIA GPU with CUDA: {problem}")
    script = (
        "import json, compiler\n"
        "from tools.example_models import EXAMPLES, example_inputs\n"
        "build, shapes = EXAMPLES['transformer_block']\n"
        "out = []\n"
        "for _ in range(2):\n"
        "    m = compiler.compile(build(), target='cuda', input_shapes=shapes)\n"
        "    m.run(example_inputs('transformer_block'))\n"
        "    out.append(m.stats['autotune'])\n"
        "print('RESULT' + json.dumps(out))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], env=_env(STRATA_CACHE_DIR=str(tmp_path)), cwd=ROOT,
                          capture_output=True, text=True, timeout=1200)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stderr[-4000:]
    first, second = json.loads(lines[-1].removeprefix("RESULT"))
    assert first["enabled"] and first["tuned"] > 0 and first["from_cache"] == 0
    assert second["tuned"] == 0 and second["from_cache"] == first["tuned"]
    assert (tmp_path / "triton_autotune.json").exists()


def test_benchmark_code_runs_through_the_interpreter_without_gpu():
    """tools.gpu_benchmark's row for one model, on the CPU through Triton's interpreter
    (torch eager on the CPU as the baseline): the table's code, not its numbers."""
    pytest.importorskip("torch", reason="torch is not installed (pip install '.[gpu]')")
    pytest.importorskip("triton", reason="triton is not installed (pip install '.[gpu]')")
    script = (
        "import json\n"
        "from tools.gpu_benchmark import bench_model, print_table\n"
        "row = bench_model('mlp', 0, 2, device='cpu')\n"
        "print_table([row], 'cpu (Triton interpreter)')\n"
        "print('RESULT' + json.dumps(row))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], env=_env(TRITON_INTERPRET="1", STRATA_AUTOTUNE="0"),
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stderr[-4000:]
    row = json.loads(lines[-1].removeprefix("RESULT"))
    assert row["max_abs_err"] < TOL and row["baseline"] == "torch eager" and row["baseline_max_abs_err"] < TOL
    assert "| mlp | 3 |" in proc.stdout and not row["autotune"]["enabled"]


def test_benchmark_says_it_needs_a_gpu():
    if _problem() is None:
        pytest.skip("this machine has a CUDA device")
    proc = subprocess.run([sys.executable, "-m", "tools.gpu_benchmark"], env=_env(), cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert "tools.gpu_benchmark needs an NVIDIA GPU with CUDA" in proc.stderr
