"""Prints the GPU path's model table without a GPU: per model, its Triton kernels by
family, whether every kernel compiles to an sm_90 cubin (`triton.compile(...,
target=GPUTarget("cuda", 90, 32))`), and the max abs error of Triton's interpreter
against onnxruntime (every output).

    python3 -m tools.triton_report                  # example models + torch-built models
    python3 -m tools.triton_report --models mlp,unet

Cubins are compiled in this process (Triton imported without TRITON_INTERPRET), the
interpreter runs in a child process (TRITON_INTERPRET=1 must be set before triton is
imported; one process runs Triton one way).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_INTERPRET = """
import json, sys
import numpy as np
from compiler.compile_cuda import compile_model_cuda
from tests.ort_check import run_ort
from tools.triton_report import load
out = {}
for name in sys.argv[1].split(","):
    model, feeds, shapes = load(name)
    with np.errstate(all="ignore"):
        got = compile_model_cuda(model, input_shapes=shapes, interpret=True).run(feeds)
    out[name] = max(float(np.max(np.abs(g.astype(np.float64) - w))) for g, w in zip(got, run_ort(model, feeds)))
print("RESULT" + json.dumps(out))
"""


def load(name: str):
    """(onnx model, feeds, input_shapes) of an example or torch-built model."""
    from tools.example_models import EXAMPLES, example_inputs

    if name in EXAMPLES:
        build, shapes = EXAMPLES[name]
        return build(), example_inputs(name), shapes
    from tools.torch_models import exported

    model, feeds = exported(name)
    return model, feeds, None


def main(argv: list[str] | None = None) -> int:
    from tools.example_models import EXAMPLES
    from tools.torch_models import MODULES

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=",".join(list(EXAMPLES) + list(MODULES)))
    args = ap.parse_args(argv)
    if os.environ.get("TRITON_INTERPRET") == "1":
        print("run without TRITON_INTERPRET=1 (this process compiles cubins)", file=sys.stderr)
        return 2
    from compiler.compile_cuda import fused_graph
    from lowering.to_triton import generate
    from runtime.triton_launcher import compile_to_cubin

    names = [n for n in args.models.split(",") if n]
    env = {**os.environ, "TRITON_INTERPRET": "1", "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    child = subprocess.Popen([sys.executable, "-c", _INTERPRET, ",".join(names)], env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rows = []
    for name in names:
        model, _, shapes = load(name)
        module, ctx, _, _ = fused_graph(model, input_shapes=shapes)
        kernels = generate(module, ctx.weights).kernels()
        failed = 0
        for k in kernels:
            try:
                compile_to_cubin(k)
            except Exception:  # noqa: BLE001 - counted, the table says how many
                failed += 1
        fams = Counter(k.family for k in kernels)
        rows.append((name, len(kernels), ", ".join(f"{n} {f}" for f, n in sorted(fams.items(), key=lambda x: -x[1])),
                     "all compile" if not failed else f"{failed} fail"))
    stdout, stderr = child.communicate(timeout=1800)
    lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULT")]
    if child.returncode != 0 or not lines:
        print(stderr[-4000:], file=sys.stderr)
        return 1
    errors = json.loads(lines[-1].removeprefix("RESULT"))
    print("| model | Triton kernels | by family | cubin (sm_90) | interpreter max abs error vs onnxruntime |")
    print("|---|---|---|---|---|")
    for name, n, fams, cubin in rows:
        print(f"| {name} | {n} | {fams} | {cubin} | {errors[name]:.1e} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
