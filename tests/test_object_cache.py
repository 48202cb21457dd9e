"""The on-disk object-code cache (runtime/object_cache.py): a second compile of the same
model takes its machine code from the cache and gives the same results; a damaged
entry is ignored (never loaded); STRATA_CACHE=0 turns it off."""

from __future__ import annotations

import os

import numpy as np
import pytest

import compiler
from runtime import object_cache
from tests.ort_check import run_ort
from tools.example_models import EXAMPLES, example_inputs


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATA_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("STRATA_CACHE", raising=False)
    return tmp_path / "objects"


def _compile():
    build, shapes = EXAMPLES["mlp"]
    return compiler.compile(build(), input_shapes=shapes)


def test_second_compile_hits_and_matches(cache):
    first = _compile()
    assert first.stats["object_cache"] == "miss"
    # one object per kernel and one for the entry (runtime/llvm_objects.py)
    assert len(list(cache.glob("*.o"))) == first.stats["llvm_objects"]["parts"] >= 2
    second = _compile()
    assert second.stats["object_cache"] == "hit"
    feeds = example_inputs("mlp")
    expected = run_ort(EXAMPLES["mlp"][0](), feeds)
    for got in (first.run(feeds), second.run(feeds)):
        np.testing.assert_allclose(got[0], expected[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(first.run(feeds)[0], second.run(feeds)[0])


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_damaged_entry_is_ignored_and_rewritten(cache, damage):
    _compile()
    path = sorted(cache.glob("*.o"))[0]
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        path.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    else:
        path.write_bytes(b"not an object file")
    again = _compile()
    assert again.stats["object_cache"] == "partial"  # that one recompiled, not loaded
    assert again.stats["llvm_objects"]["cached"] == again.stats["llvm_objects"]["parts"] - 1
    assert object_cache.load(path.stem) is not None  # and the entry is whole again
    feeds = example_inputs("mlp")
    np.testing.assert_allclose(again.run(feeds)[0], run_ort(EXAMPLES["mlp"][0](), feeds)[0], rtol=1e-5, atol=1e-5)


def test_off_switch_and_unwritable_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATA_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("STRATA_CACHE", "0")
    assert _compile().stats["object_cache"] == "miss"
    assert not (tmp_path / "objects").exists()
    # a cache directory that cannot be created: compiles still work
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("STRATA_CACHE_DIR", str(blocker))
    monkeypatch.delenv("STRATA_CACHE")
    assert _compile().stats["object_cache"] == "miss"
    assert not os.path.isdir(blocker)


def test_key_depends_on_everything_that_decides_the_code():
    base = object_cache.object_key("ir", 3, "znver3", "+avx2", "22.0")
    assert base == object_cache.object_key("ir", 3, "znver3", "+avx2", "22.0")
    others = [
        object_cache.object_key("ir2", 3, "znver3", "+avx2", "22.0"),
        object_cache.object_key("ir", 2, "znver3", "+avx2", "22.0"),
        object_cache.object_key("ir", 3, "znver4", "+avx2", "22.0"),
        object_cache.object_key("ir", 3, "znver3", "+avx512f", "22.0"),
        object_cache.object_key("ir", 3, "znver3", "+avx2", "22.1"),
    ]
    assert len({base, *others}) == 6


def test_models_share_kernel_objects(cache):
    """The cache is keyed per kernel, and a kernel's object does not depend on the model
    it came from: a second model with some of the first's kernels compiles only its own."""
    from tools.example_models import mlp

    first = compiler.compile(mlp(hidden=128, classes=10), input_shapes={"x": [4, 64]})
    assert first.stats["object_cache"] == "miss"
    # the same first layer (64 -> 128, ReLU), another classifier
    second = compiler.compile(mlp(hidden=128, classes=7), input_shapes={"x": [4, 64]})
    assert second.stats["object_cache"] == "partial"
    assert 1 <= second.stats["llvm_objects"]["cached"] < second.stats["llvm_objects"]["parts"]
    feeds = example_inputs("mlp")
    expected = run_ort(mlp(hidden=128, classes=7), feeds)
    np.testing.assert_allclose(second.run(feeds)[0], expected[0], rtol=1e-5, atol=1e-5)
