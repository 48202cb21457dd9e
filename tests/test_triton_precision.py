"""The precision options of the GPU path (`compile(..., target="cuda", precision=...)`),
through Triton's interpreter against onnxruntime's fp32 results.

Documented tolerances (README), as max abs error / max |reference output|:
- "ieee" (default): fp32 products; 1e-4 absolute on every test model (the other test
  files check this).
- "fp16": tl.dot operands rounded to fp16, fp32 accumulation: at most 2e-3 (measured
  up to 1.0e-3 on the example and zoo models).
- "bf16": operands rounded to bf16: at most 5e-2 (measured up to 2.6e-2).
- "tf32": TF32 tensor-core products. Triton's interpreter computes tl.dot in fp32 for
  every input_precision, so here tf32 gives exactly the ieee results and only the kernel
  text (input_precision="tf32") and its cubin are checked; on a GPU TF32 rounds operands
  to fp16's 10-bit mantissa, so the fp16 bound (2e-3) is the expected one
  (tools/gpu_check.sh measures it on a device).

Triton 3.9's interpreter gets bfloat16 wrong twice: tl.dot multiplies bf16 tiles as
their raw uint16 bit patterns, and fp32 -> bf16 conversion truncates (the GPU rounds to
nearest even). The `bf16_dot_in_interpreter` fixture makes both do what the GPU does
(conversion through torch, which rounds to nearest even; bf16 tiles widened to fp32
before the product), so the bf16 kernels can be checked here.
"""

from __future__ import annotations

import os
import sys

import pytest

if "triton" in sys.modules and os.environ.get("TRITON_INTERPRET") != "1":
    pytest.skip("triton was imported before TRITON_INTERPRET=1 could be set; run this file in its own process",
                allow_module_level=True)
os.environ["TRITON_INTERPRET"] = "1"

import numpy as np  # noqa: E402

torch = pytest.importorskip("torch", reason="torch is not installed (pip install '.[gpu]')")
triton = pytest.importorskip("triton", reason="triton is not installed (pip install '.[gpu]')")

import compiler  # noqa: E402
from compiler.compile_cuda import compile_model_cuda  # noqa: E402
from dialects.errors import StrataError  # noqa: E402
from tests.ort_check import chain_model, node, run_ort  # noqa: E402
from tools.torch_models import ZOO  # noqa: E402
from tools.example_models import EXAMPLES, example_inputs  # noqa: E402

BOUND = {"ieee": 1e-4, "tf32": 1e-4, "fp16": 2e-3, "bf16": 5e-2}  # tf32: the interpreter computes it as ieee


@pytest.fixture
def bf16_dot_in_interpreter(monkeypatch):
    import triton.language as tl
    from triton.runtime import interpreter as ti

    original = ti.InterpreterBuilder.create_dot
    original_cast = ti.InterpreterBuilder.cast_impl

    def cast_impl(self, src, dst_type):
        if src.dtype.scalar == tl.float32 and dst_type.scalar == tl.bfloat16:
            bits = torch.from_numpy(np.ascontiguousarray(src.data)).to(torch.bfloat16).view(torch.int16).numpy()
            return ti.TensorHandle(bits.view(np.uint16), tl.bfloat16)
        return original_cast(self, src, dst_type)

    def create_dot(self, a, b, d, input_precision, max_num_imprecise_acc):
        def widen(h):
            if h.dtype.scalar == tl.bfloat16:  # stored as uint16 bits: bf16 is the high half of fp32
                return ti.TensorHandle((h.data.astype(np.uint32) << 16).view(np.float32), tl.float32)
            return h

        return original(self, widen(a), widen(b), d, input_precision, max_num_imprecise_acc)

    monkeypatch.setattr(ti.InterpreterBuilder, "create_dot", create_dot)
    monkeypatch.setattr(ti.InterpreterBuilder, "cast_impl", cast_impl)
    for name in ("create_fp_trunc",):  # bound to the original cast_impl at class creation
        monkeypatch.setattr(ti.InterpreterBuilder, name, lambda self, src, dst_type: cast_impl(self, src, dst_type))


def _relative_error(got, want) -> float:
    return max(float(np.abs(g - w).max()) / max(float(np.abs(w).max()), 1e-30) for g, w in zip(got, want))


def _models():
    out = {n: (b(), example_inputs(n), s) for n, (b, s) in EXAMPLES.items() if n in ("small_cnn", "transformer_block")}
    out["unet"] = (*ZOO["unet"](), None)
    return out


@pytest.mark.parametrize("precision", ["tf32", "fp16", "bf16"])
@pytest.mark.parametrize("name", ["small_cnn", "transformer_block", "unet"])
def test_precision_within_its_bound(bf16_dot_in_interpreter, precision, name):
    model, feeds, shapes = _models()[name]
    compiled = compile_model_cuda(model, input_shapes=shapes, interpret=True, precision=precision)
    assert compiled.stats["precision"] == precision
    dots = [ln for k in compiled.program.kernels() for ln in k.source.splitlines() if "tl.dot(" in ln]
    assert dots
    marker = {"tf32": 'input_precision="tf32"', "fp16": ".to(tl.float16)", "bf16": ".to(tl.bfloat16)"}[precision]
    assert all(marker in ln for ln in dots)
    with np.errstate(all="ignore"):
        got = compiled.run(feeds)
    err = _relative_error(got, run_ort(model, feeds))
    assert err <= BOUND[precision], err
    if precision != "tf32":
        assert err > 1e-6  # the operands really were rounded


@pytest.mark.parametrize("precision,round_to", [("fp16", torch.float16), ("bf16", torch.bfloat16)])
def test_rounded_operands_match_an_emulation(bf16_dot_in_interpreter, precision, round_to):
    """A plain MatMul at fp16/bf16 is the fp32 product of the rounded operands (to
    accumulation order), not just something within a loose bound."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((37, 70)).astype(np.float32), rng.standard_normal((70, 45)).astype(np.float32)
    model = chain_model([node("MatMul", ["a", "b"], "y")], {"a": a}, ["y"], {"b": b})
    (got,) = compile_model_cuda(model, interpret=True, precision=precision).run({"a": a})
    rounded = lambda m: torch.from_numpy(m).to(round_to).to(torch.float64).numpy()  # noqa: E731
    want = rounded(a) @ rounded(b)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert np.abs(got - a.astype(np.float64) @ b).max() > 1e-4


def test_bad_precision_is_a_clear_error():
    model = EXAMPLES["mlp"][0]()
    with pytest.raises(StrataError, match="precision must be one of ieee, tf32, fp16, bf16, got 'fp8'"):
        compiler.compile(model, target="cuda", precision="fp8", input_shapes=EXAMPLES["mlp"][1])
    with pytest.raises(StrataError, match="applies to target='cuda' only"):
        compiler.compile(model, target="cpu", precision="fp16", input_shapes=EXAMPLES["mlp"][1])
