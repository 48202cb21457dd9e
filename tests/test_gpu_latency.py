"""The GPU path on a real NVIDIA GPU: the example models and the torch-built models
(tools/torch_models.py) compiled with target="cuda" (the example models' kernels
autotuned on the first call), outputs checked against onnxruntime, latency printed
against torch eager and torch.compile on the same GPU (tools/gpu_benchmark.py).
Latency is printed, never asserted (run with `-s` to see the table).

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

from tools.gpu_benchmark import MODELS, gpu_problem

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


def _bench_json() -> dict | None:
    """The benchmark's numbers when tools/gpu_check.sh has just measured them
    ($STRATA_GPU_BENCH_JSON): the tests check those instead of timing again."""
    path = os.environ.get("STRATA_GPU_BENCH_JSON")
    if path and os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return None


@pytest.fixture(scope="module")
def gpu_results():
    problem = _problem()
    if problem is not None:
        pytest.skip(f"needs an NVIDIA GPU with CUDA: {problem}")
    measured = _bench_json()
    if measured is not None:
        return {r["model"]: r for r in measured["rows"]}
    proc = subprocess.run([sys.executable, "-m", "tools.gpu_benchmark", "--json", "--repeat", "30",
                           "--torch-compile-models", "", "--precision-models", ""], env=_env(),
                          cwd=ROOT, capture_output=True, text=True, timeout=1200)
    print(proc.stdout, proc.stderr[-4000:])  # the latency table (pytest -s shows it)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stderr[-4000:]
    data = json.loads(lines[-1].removeprefix("RESULT"))
    return {r["model"]: r for r in data["rows"]}


@pytest.mark.gpu
@pytest.mark.parametrize("name", MODELS)
def test_model_on_gpu_matches_onnxruntime(gpu_results, name):
    row = gpu_results[name]
    assert "error" not in row, row.get("error")
    if "skipped" in row:
        pytest.skip(row["skipped"])
    assert row["max_abs_err"] < TOL
    assert row["kernels"] > 0 and row["strata_device_ms"] > 0
    if "eager_max_abs_err" in row:  # the torch eager baseline computes the same model
        assert row["eager_max_abs_err"] < TOL
    print(f"{name}: Strata {row['strata_device_ms']:.3f} ms (device), {row['strata_numpy_ms']:.3f} ms (numpy); "
          f"torch eager {row.get('eager_ms', float('nan')):.3f} ms")


@pytest.mark.gpu
def test_second_compile_reads_the_autotune_cache(tmp_path):
    """On a GPU: the first compile tunes (and writes the cache), the second finds every
    kernel in it and tunes none."""
    problem = _problem()
    if problem is not None:
        pytest.skip(f"needs an NVIDIA GPU with CUDA: {problem}")
    measured = _bench_json()
    if measured is not None:  # the benchmark's warm-up did exactly this
        rows = [r for r in measured["rows"] if "warm_from_cache" in r]
        assert rows
        for r in rows:
            assert r["autotune"]["tuned"] > 0 and r["warm_tuned"] == 0 and r["warm_from_cache"] == r["autotune"]["tuned"], r
        return
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
        "row = bench_model('mlp', 0, 2, device='cpu', precisions=True)\n"
        "unet = bench_model('unet', 0, 1, device='cpu', tune=False)\n"
        "print_table([row, unet], 'cpu (Triton interpreter)')\n"
        "print('RESULT' + json.dumps([row, unet]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], env=_env(TRITON_INTERPRET="1", STRATA_AUTOTUNE="0"),
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stderr[-4000:]
    row, unet = json.loads(lines[-1].removeprefix("RESULT"))
    assert row["max_abs_err"] < TOL and row["eager_max_abs_err"] < TOL and row["eager_ms"] > 0
    # a torch-built model: its baseline is the torch.nn module itself
    assert unet["max_abs_err"] < TOL and unet["eager_max_abs_err"] < TOL and "| unet |" in proc.stdout
    assert "| mlp | 3 |" in proc.stdout and not row["autotune"]["enabled"]
    assert set(row["precision"]) == {"ieee", "tf32", "fp16", "bf16"}
    assert row["precision"]["ieee"]["rel_err"] < 1e-5 < row["precision"]["fp16"]["rel_err"] < 2e-3


def test_benchmark_says_it_needs_a_gpu():
    if _problem() is None:
        pytest.skip("this machine has a CUDA device")
    proc = subprocess.run([sys.executable, "-m", "tools.gpu_benchmark"], env=_env(), cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert "tools.gpu_benchmark needs an NVIDIA GPU with CUDA" in proc.stderr


def test_gpu_check_script_dry_run_skips_gpu_steps(tmp_path):
    """tools/gpu_check.sh on a machine without a GPU: the environment and install steps
    run, the benchmark and the gpu-marked tests are skipped with the reason, and the
    log and JSON are written."""
    if _problem() is None:
        pytest.skip("this machine has a CUDA device (the script runs for real there)")
    proc = subprocess.run(["bash", os.path.join(ROOT, "tools", "gpu_check.sh"), str(tmp_path)],
                          env=_env(PYTHON=sys.executable), cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((tmp_path / "gpu_check.json").read_text())
    status = {s["step"]: s for s in summary["steps"]}
    assert status["environment"]["status"] == "ok" and status["install"]["status"] == "ok"
    for step in ("gpu", "benchmark", "gpu_tests"):
        assert status[step]["status"] == "skipped" and status[step]["reason"], status[step]
    assert "no GPU" in (tmp_path / "gpu_check.log").read_text()
