"""Saved models (runtime/artifact.py): `CompiledModel.save` then `compiler.load` in a
fresh process gives the compiled model's results, without importing xDSL and without
LLVM's optimizer; a folder for another CPU or Strata version is refused clearly."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import compiler
from runtime.artifact import ArtifactError
from tests.ort_check import run_ort
from tools.example_models import EXAMPLES, example_inputs


@pytest.fixture
def saved(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATA_CACHE_DIR", str(tmp_path / "cache"))
    build, shapes = EXAMPLES["mlp"]
    model = compiler.compile(build(), input_shapes=shapes)
    path = model.save(str(tmp_path / "mlp.strata"))
    return model, path


def test_load_in_fresh_process_matches_without_xdsl(saved, tmp_path):
    model, path = saved
    feeds = example_inputs("mlp")
    np.savez(tmp_path / "feeds.npz", **feeds)
    script = textwrap.dedent(f"""
        import sys, numpy as np
        import compiler
        m = compiler.load({path!r})
        feeds = dict(np.load({str(tmp_path / 'feeds.npz')!r}))
        out = m.run(feeds)
        np.save({str(tmp_path / 'out.npy')!r}, out[0])
        # dialects.errors is the one leaf the runtime may import (it imports nothing itself)
        bad = sorted(k for k in sys.modules if k == 'xdsl' or k.startswith('xdsl.') or k.startswith('lowering')
                     or (k.startswith('dialects') and k not in ('dialects', 'dialects.errors')))
        print("IMPORTED", bad)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "IMPORTED []" in proc.stdout, proc.stdout
    got = np.load(tmp_path / "out.npy")
    np.testing.assert_array_equal(got, model.run(feeds)[0])
    np.testing.assert_allclose(got, run_ort(EXAMPLES["mlp"][0](), feeds)[0], rtol=1e-5, atol=1e-5)


def test_loaded_model_keeps_names_and_checks_inputs(saved):
    model, path = saved
    loaded = compiler.load(path)
    assert loaded.input_names == model.input_names and loaded.output_names == model.output_names
    assert loaded.stats["kernels"] == model.stats["kernels"]
    with pytest.raises(ValueError, match="must be"):
        loaded.run({n: np.zeros((1, 1), np.float64) for n in loaded.input_names})
    # a loaded model can be saved again
    again = compiler.load(loaded.save(path + ".2"))
    feeds = example_inputs("mlp")
    np.testing.assert_array_equal(again.run(feeds)[0], model.run(feeds)[0])


@pytest.mark.parametrize("field, value, message", [
    ("cpu", "znver99", "compiled for CPU znver99"),
    ("features", "+avx512f,+made-up-feature", r"lacks (\+\w+, )*\+made-up-feature"),
    ("strata", "0.0.1", "saved by Strata 0.0.1"),
    ("llvm", "1.0+slp", "LLVM 1.0"),
])
def test_mismatch_is_refused(saved, field, value, message):
    _, path = saved
    manifest_path = f"{path}/manifest.json"
    with open(manifest_path) as f:
        manifest = json.load(f)
    if field == "strata":
        manifest["strata"] = value
    else:
        manifest["target"][field] = value
    with open(manifest_path, "w") as f:
        json.dump(manifest, f)
    with pytest.raises(ArtifactError, match=message):
        compiler.load(path)


def test_damaged_code_and_missing_folder(saved, tmp_path):
    _, path = saved
    with pytest.raises(ArtifactError, match="not a saved Strata model"):
        compiler.load(str(tmp_path / "nothing"))
    code = f"{path}/code.bin"
    data = bytearray(open(code, "rb").read())
    data[len(data) // 2] ^= 0xFF
    open(code, "wb").write(bytes(data))
    with pytest.raises(ArtifactError, match="damaged"):
        compiler.load(path)


def test_model_cache_loads_the_second_compile(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATA_CACHE_DIR", str(tmp_path / "cache"))
    build, shapes = EXAMPLES["small_cnn"][:2]
    first = compiler.compile(build(), input_shapes=shapes, model_cache=True)
    assert first.stats["model_cache"] == "miss"
    second = compiler.compile(build(), input_shapes=shapes, model_cache=True)
    assert second.stats["model_cache"] == "hit" and "model cache" in second.stats["seconds"]
    feeds = example_inputs("small_cnn")
    np.testing.assert_array_equal(second.run(feeds)[0], first.run(feeds)[0])
    # other options are another entry
    third = compiler.compile(build(), input_shapes=shapes, model_cache=True, opt_level=1)
    assert third.stats["model_cache"] == "miss"
    # the profiler still works on a cached model (it compiles the loops on demand)
    assert second.profile(feeds, runs=2).calls


def test_model_cache_hit_imports_no_xdsl(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATA_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "mlp.onnx"
    import onnx

    onnx.save(EXAMPLES["mlp"][0](), path)
    compiler.compile(str(path), input_shapes=EXAMPLES["mlp"][1], model_cache=True)
    script = textwrap.dedent(f"""
        import sys, compiler
        m = compiler.compile({str(path)!r}, input_shapes={EXAMPLES["mlp"][1]!r}, model_cache=True)
        print("CACHE", m.stats["model_cache"], "xdsl" in sys.modules)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "CACHE hit False" in proc.stdout, proc.stdout + proc.stderr
