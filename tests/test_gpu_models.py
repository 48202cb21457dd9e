"""On a real NVIDIA GPU: every family model (tests/triton_op_models.py) and torch-built
model (tools/torch_models.py) compiled with target="cuda" and run as compiled Triton
kernels, against onnxruntime on the CPU (1e-4); and the precision options' error bounds
on the device, tf32 included (Triton's interpreter does not model TF32 rounding, so
this is where the tf32 bound is checked). Skips, with the reason, without a CUDA device.
The checks run in a child process without TRITON_INTERPRET (other test files set it in
this process; a process runs Triton either interpreted or compiled).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.triton_op_models import op_models
from tools.gpu_benchmark import gpu_problem
from tools.torch_models import MODULES

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOUND = {"ieee": 1e-4, "tf32": 2e-3, "fp16": 2e-3, "bf16": 5e-2}  # as in tests/test_triton_precision.py

_SCRIPT = """
import json, numpy as np
from compiler.compile_cuda import compile_model_cuda
from tests.ort_check import run_ort
from tests.triton_op_models import op_models
from tools.torch_models import ZOO
out = {}
models = dict(op_models())
models.update({n: b() for n, b in ZOO.items()})
for name, (model, feeds) in models.items():
    try:
        want = run_ort(model, feeds)
        scale = max(float(np.max(np.abs(w))) if np.asarray(w).size else 0.0 for w in want)
        row = {}
        for p in (["ieee", "tf32", "fp16", "bf16"] if name in ZOO else ["ieee"]):
            got = compile_model_cuda(model, autotune=False, precision=p).run(feeds)
            ok = all(g.shape == np.asarray(w).shape and g.dtype == np.asarray(w).dtype for g, w in zip(got, want))
            err = max(float(np.max(np.abs(g.astype(np.float64) - w))) if np.asarray(w).size else 0.0
                      for g, w in zip(got, want))
            row[p] = {"abs": err, "rel": err / max(scale, 1e-30), "types_ok": ok}
        out[name] = row
    except Exception as e:
        out[name] = {"error": f"{type(e).__name__}: {e}"[:1000]}
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def gpu_runs():
    saved = os.environ.pop("TRITON_INTERPRET", None)
    try:
        problem = gpu_problem()
    finally:
        if saved is not None:
            os.environ["TRITON_INTERPRET"] = saved
    if problem is not None:
        pytest.skip(f"needs an NVIDIA GPU with CUDA: {problem}")
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, cwd=ROOT, capture_output=True, text=True, timeout=1200)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stderr[-4000:]
    return json.loads(lines[-1].removeprefix("RESULT"))


@pytest.mark.gpu
@pytest.mark.parametrize("name", list(op_models()) + list(MODULES))
def test_compiled_kernels_on_gpu(gpu_runs, name):
    row = gpu_runs[name]
    assert "error" not in row, row.get("error")
    for precision, r in row.items():
        assert r["types_ok"], precision
        if precision == "ieee":
            assert r["abs"] < 1e-4, r
        else:
            assert r["rel"] <= BOUND[precision], (precision, r)
    print(name, {p: f"{r['rel']:.1e}" for p, r in row.items()})
