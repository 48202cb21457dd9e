"""The kernel cache (lowering/kernel_cache.py): a warm compile declares the kernels it
compiled before instead of lowering and translating them, links the same object code
and gives bit-identical results; anything that changes a kernel's code (an attribute, a
shape, a constant value its lowering reads, the thread-pool option, the target CPU) is
a miss."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from onnx import TensorProto, helper

import compiler
from lowering.kernel_cache import KernelCache
from tests.ort_check import run_ort
from tools.example_models import EXAMPLES, example_inputs


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATA_CACHE_DIR", str(tmp_path))
    for name in ("STRATA_CACHE", "STRATA_KERNEL_CACHE", "STRATA_LLVM_SPLIT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _objects(model) -> list[str]:
    return sorted(hashlib.sha256(o).hexdigest() for o in model._jit.objects)


@pytest.mark.parametrize("name", ["small_cnn", "transformer_block"])
@pytest.mark.parametrize("threads", [1, 2])
def test_warm_compile_skips_kernels_and_matches_bitwise(cache, name, threads):
    build, shapes = EXAMPLES[name]
    cold = compiler.compile(build(), input_shapes=shapes, num_threads=threads)
    kernels = cold.stats["kernels"]
    assert cold.stats["kernel_cache"] == {"hits": 0, "stored": kernels, "enabled": True}
    warm = compiler.compile(build(), input_shapes=shapes, num_threads=threads)
    # every kernel declared from the cache: none lowered, none translated (nothing was
    # streamed to the LLVM workers), none compiled; the entry's part hit the object cache
    assert warm.stats["kernel_cache"] == {"hits": kernels, "stored": 0, "enabled": True}
    assert warm.stats["llvm_objects"]["streamed"] == 0
    assert warm.stats["llvm_objects"]["kernel_cache"] == cold.stats["llvm_objects"]["parts"] - 1
    assert warm.stats["object_cache"] == "hit"
    assert warm.stats["parallel_loops"] == cold.stats["parallel_loops"]
    assert _objects(warm) == _objects(cold)  # the same machine code, entry included
    feeds = example_inputs(name)
    got_cold, got_warm = cold.run(feeds), warm.run(feeds)
    for a, b in zip(got_cold, got_warm):
        np.testing.assert_array_equal(a, b)
    expected = run_ort(build(), feeds)
    np.testing.assert_allclose(got_warm[0], expected[0], rtol=1e-4, atol=1e-4)


def test_warm_model_profiles_saves_and_shows_its_ir(cache, tmp_path):
    build, shapes = EXAMPLES["small_cnn"]
    compiler.compile(build(), input_shapes=shapes)
    warm = compiler.compile(build(), input_shapes=shapes)
    assert warm.stats["kernel_cache"]["hits"] == warm.stats["kernels"]
    feeds = example_inputs("small_cnn")
    expected = warm.run(feeds)
    report = warm.profile(feeds, runs=2)  # the profiled entry links the cached kernels too
    assert len(report.calls) >= warm.stats["kernels"]
    np.testing.assert_array_equal(report.outputs[0], expected[0])
    # optimized_ir reads the cached kernels' LLVM IR back from the cache
    assert warm._jit.optimized_ir().count("define ") > warm.stats["kernels"]
    warm.save(str(tmp_path / "m.strata"))
    loaded = compiler.load(str(tmp_path / "m.strata"))
    np.testing.assert_array_equal(loaded.run(feeds)[0], expected[0])


def _slice_model(start: int, shape=(4, 8), alpha: float = 0.1):
    """Slice (its lowering reads the starts' value; the types do not show it), LeakyRelu
    (alpha), Mul: three kernels."""
    inits = [helper.make_tensor("starts", TensorProto.INT64, [1], [start]),
             helper.make_tensor("ends", TensorProto.INT64, [1], [start + 4]),
             helper.make_tensor("axes", TensorProto.INT64, [1], [1])]
    nodes = [helper.make_node("Slice", ["x", "starts", "ends", "axes"], ["s"], name="slice"),
             helper.make_node("LeakyRelu", ["s"], ["l"], name="leaky", alpha=alpha),
             helper.make_node("Mul", ["s", "l"], ["y"], name="mul")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _check(model, shape=(4, 8), **options):
    compiled = compiler.compile(model, opt_level=1, disable_passes=["fuse-kernels"], **options)
    assert compiled.stats["kernels"] == 3
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32) * 2
    np.testing.assert_allclose(compiled.run({"x": x})[0], run_ort(model, {"x": x})[0], rtol=1e-5, atol=1e-6)
    return compiled.stats["kernel_cache"]["hits"]


def test_what_changes_the_code_misses(cache):
    assert _check(_slice_model(0)) == 0
    assert _check(_slice_model(0)) == 3
    # another constant value the Slice lowering reads: Slice misses, the others hit
    assert _check(_slice_model(2)) == 2
    # another attribute: LeakyRelu misses
    assert _check(_slice_model(0, alpha=0.2)) == 2
    # another input shape: Slice misses (LeakyRelu and Mul see the same 4x4)
    assert _check(_slice_model(0, shape=(4, 9)), shape=(4, 9)) == 2
    # the values seen before still hit, whichever came last
    assert _check(_slice_model(2)) == 3
    assert _check(_slice_model(0)) == 3


def test_options_and_target_miss(cache):
    build, shapes = EXAMPLES["small_cnn"]
    one = compiler.compile(build(), input_shapes=shapes, num_threads=1)
    two = compiler.compile(build(), input_shapes=shapes, num_threads=2)  # thread-pool loops: other code
    assert one.stats["kernel_cache"]["hits"] == 0
    if two.stats["parallel_loops"]:
        assert two.stats["kernel_cache"]["hits"] < two.stats["kernels"]
    other = "znver3" if one.stats["target"].split()[0] != "znver3" else "haswell"
    cross = compiler.compile(build(), input_shapes=shapes, num_threads=1, cpu=other)
    assert cross.stats["kernel_cache"]["hits"] == 0
    # and another -O level's LLVM pipeline
    assert compiler.compile(build(), input_shapes=shapes, num_threads=1, opt_level=2).stats["kernel_cache"]["hits"] < one.stats["kernels"]


def test_damaged_object_is_a_miss(cache):
    build, shapes = EXAMPLES["mlp"]
    first = compiler.compile(build(), input_shapes=shapes)
    for path in (cache / "objects").glob("*.o"):
        path.write_bytes(b"damaged")
    again = compiler.compile(build(), input_shapes=shapes)
    assert again.stats["kernel_cache"]["hits"] == 0  # lowered and compiled again
    assert again.stats["kernel_cache"]["stored"] == first.stats["kernels"]
    feeds = example_inputs("mlp")
    np.testing.assert_array_equal(again.run(feeds)[0], first.run(feeds)[0])


def test_off_switches(cache, monkeypatch):
    build, shapes = EXAMPLES["mlp"]
    compiler.compile(build(), input_shapes=shapes)
    for name in ("STRATA_KERNEL_CACHE", "STRATA_CACHE", "STRATA_LLVM_SPLIT"):
        monkeypatch.setenv(name, "0")
        assert compiler.compile(build(), input_shapes=shapes).stats["kernel_cache"]["enabled"] is False
        monkeypatch.delenv(name)


def test_key_depends_on_every_part():
    cache = KernelCache("context")
    base = cache.key("op", ["memref<4xf32>"], ["1:panels:(4, 16)"])
    others = [
        cache.key("op2", ["memref<4xf32>"], ["1:panels:(4, 16)"]),
        cache.key("op", ["memref<5xf32>"], ["1:panels:(4, 16)"]),
        cache.key("op", ["memref<4xf32>"], ["1:panels:(8, 16)"]),
        cache.key("op", ["memref<4xf32>"], []),
        KernelCache("context2").key("op", ["memref<4xf32>"], ["1:panels:(4, 16)"]),
    ]
    assert len({base, *others}) == 6


def test_cached_kernels_keep_their_run_time_checks(cache):
    """A cached Gather kernel is declared with its check sites: the warm model still
    refuses an index out of range and names the node of the failing call."""
    from dialects.errors import OutOfRangeError
    from tests.test_runtime_checks import _two_gathers

    model = _two_gathers()  # its table is random: one model for both compiles
    cold = compiler.compile(model, disable_passes=["fuse-kernels"])
    warm = compiler.compile(model, disable_passes=["fuse-kernels"])
    assert warm.stats["kernel_cache"]["hits"] == warm.stats["kernels"] == 2
    good = {"a": np.array([0, 1, 5]), "b": np.array([-6, 2, 3])}
    np.testing.assert_array_equal(warm.run(good)[0], cold.run(good)[0])
    np.testing.assert_allclose(warm.run(good)[0], run_ort(model, good)[0], rtol=1e-6)
    for model in (cold, warm):
        with pytest.raises(OutOfRangeError, match=r"^Gather node 'second_lookup': index 6 is out"):
            model.run({"a": np.array([0, 1, 5]), "b": np.array([6, 2, 3])})


def test_llvm_workers_start_only_for_a_kernel_to_lower(cache, monkeypatch):
    """A compile that finds every kernel in the cache starts no LLVM worker processes
    (on two cores their start-up slowed such a compile by about a third); a compile
    that lowers one starts them once, before that kernel is lowered."""
    import compiler.driver

    started = []
    monkeypatch.setattr(compiler.driver, "prestart_workers", lambda: started.append(True))
    build, shapes = EXAMPLES["small_cnn"]
    compiler.compile(build(), input_shapes=shapes, num_threads=2)
    assert started == [True]
    warm = compiler.compile(build(), input_shapes=shapes, num_threads=2)
    assert warm.stats["kernel_cache"]["hits"] == warm.stats["kernels"] and started == [True]
    monkeypatch.setenv("STRATA_KERNEL_CACHE", "0")  # no kernel cache: from the start, as before
    compiler.compile(build(), input_shapes=shapes, num_threads=2)
    assert started == [True, True]
