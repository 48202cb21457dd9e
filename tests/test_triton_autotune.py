"""Launch configurations and autotuning of the Triton path, without a GPU.

- The family lists (lowering/to_triton.py): the heuristic is every kernel's first
  configuration; filters by shape.
- The tuner (runtime/triton_launcher.py) with a fake timer and a fake launcher: the
  fastest configuration wins, the choice is written to the on-disk cache
  ($STRATA_CACHE_DIR), read back by a later compile without timing, missed when the
  kernel's source, shapes or device change, and a corrupt cache file is ignored with a
  warning and rewritten; configurations that fail are skipped.
- Through Triton's interpreter (TRITON_INTERPRET=1, torch CPU tensors): a model's first
  call tunes on its real inputs and the result still matches onnxruntime; every
  configuration of every family computes the same result.
- Every configuration of every family list compiles to a cubin for sm_90 (in a child
  process without TRITON_INTERPRET).
- Without a GPU: compiling for the CPU imports neither triton nor torch, and
  target="cuda" without the interpreter is a StrataError, not a crash.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

INTERPRETER_USABLE = not ("triton" in sys.modules and os.environ.get("TRITON_INTERPRET") != "1")
if INTERPRETER_USABLE:
    os.environ["TRITON_INTERPRET"] = "1"  # before triton is imported anywhere in this process

from compiler.compile_cuda import fused_graph  # noqa: E402
from dialects.errors import StrataError  # noqa: E402
from lowering.to_triton import (  # noqa: E402
    ATTENTION_TUNE, MATMUL_TUNE, POINTWISE_TUNE, ROW_LOOP_TUNE, ROW_WARPS, attention_configs, generate,
    matmul_configs, pointwise_configs, row_configs,
)
from runtime.triton_launcher import AUTOTUNE_FILE, AutotuneCache, Autotuner, kernel_hash, tuning_key  # noqa: E402
from tests.ort_check import chain_model, node, run_ort  # noqa: E402
from tools.example_models import EXAMPLES, example_inputs  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HAVE_GPU_DEPS = all(importlib.util.find_spec(m) is not None for m in ("torch", "triton"))
needs_gpu_deps = pytest.mark.skipif(not HAVE_GPU_DEPS, reason="torch/triton are not installed (pip install '.[gpu]')")
TOL = dict(rtol=1e-4, atol=1e-4)


def _program(name: str):
    build, shapes = EXAMPLES[name]
    module, ctx, _, _ = fused_graph(build(), input_shapes=shapes)
    return generate(module, ctx.weights)


@pytest.fixture(scope="module")
def transformer():
    return _program("transformer_block")


def _multi(program):
    return [k for k in program.kernels() if len(k.candidates()) > 1]


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATA_CACHE_DIR", str(tmp_path))
    return tmp_path


def never(fn):
    raise AssertionError("a cached kernel must not be timed")


# --- configuration lists ----------------------------------------------------------------


def test_family_lists_heuristic_first_and_filtered_by_shape():
    pw = pointwise_configs(8192)
    assert dict(pw[0].constexprs) == {"BLOCK": 1024} and pw[0].num_warps == 4
    assert {(dict(c.constexprs)["BLOCK"], c.num_warps) for c in pw} == set(POINTWISE_TUNE)
    assert all(c.grid == (-(-8192 // dict(c.constexprs)["BLOCK"]),) for c in pw)
    assert [dict(c.constexprs)["BLOCK"] for c in pointwise_configs(100)] == [128]  # nothing to choose
    mm = matmul_configs(4, 128, 3)
    assert all(dict(c.constexprs)["BM"] == 16 and c.grid[2] == 3 for c in mm) and len(mm) == 3
    assert len(matmul_configs(256, 256, 1)) == len(MATMUL_TUNE)
    whole = row_configs(1000, 7, 4096)
    assert {dict(c.constexprs)["BLOCK_R"] for c in whole} == {1024} and [c.num_warps for c in whole] == [4, 1, 2, 8]
    looped = row_configs(9000, 2, 4096)
    assert looped[0].num_warps == 8 and dict(looped[0].constexprs)["BLOCK_R"] == 4096
    assert {(dict(c.constexprs)["BLOCK_R"], c.num_warps) for c in looped} == set(ROW_LOOP_TUNE)
    att = attention_configs(5, 19, 8, 12, 6)
    assert dict(att[0].constexprs) == {"BM": 16, "BN": 32, "BD": 16, "BDV": 16} and len(att) == 3


def test_every_kernel_launches_with_its_first_configuration():
    for name in EXAMPLES:
        for k in _program(name).kernels():
            assert k.candidates()[0] == k.config()
            assert len(set(k.candidates())) == len(k.candidates())
            assert k.with_config(k.candidates()[-1]).config() == k.candidates()[-1]


# --- the tuner with a fake timer and launcher ------------------------------------------


def test_fastest_config_is_chosen_and_cached(transformer, cache_dir):
    kernel = max(_multi(transformer), key=lambda k: len(k.candidates()))
    cands = kernel.candidates()
    fastest = cands[len(cands) // 2]
    launched = []
    current = {}

    def launch(cfg):
        launched.append(cfg)
        current["cfg"] = cfg

    def timer(fn):
        fn()
        return 1.0 if current["cfg"] == fastest else 2.0 + cands.index(current["cfg"])

    tuner = Autotuner("Fake GPU", timer=timer)
    cfg, times = tuner.tune(kernel, transformer, launch)
    assert cfg == fastest and launched == cands and min(times, key=times.get) == fastest.describe()
    assert tuner.lookup(kernel, transformer) == fastest  # known before it is saved
    tuner.save()
    path = cache_dir / AUTOTUNE_FILE
    data = json.loads(path.read_text())
    key = tuning_key(kernel, transformer, "Fake GPU")
    assert data["version"] == 1 and data["entries"][key]["config"] == fastest.to_json()
    # a later compile (new tuner, new cache object) reads it back without timing
    assert Autotuner("Fake GPU", timer=never).lookup(kernel, transformer) == fastest
    # another device, or the same kernel at another shape, is tuned again
    assert Autotuner("Other GPU", timer=never).lookup(kernel, transformer) is None
    values = dict(transformer.values)
    a0 = kernel.args[0]
    values[a0] = dataclasses.replace(values[a0], shape=(1,) + tuple(values[a0].shape))
    assert Autotuner("Fake GPU", timer=never).lookup(kernel, dataclasses.replace(transformer, values=values)) is None


def test_source_change_invalidates_but_names_and_comments_do_not(transformer, cache_dir):
    kernel = _multi(transformer)[0]
    tuner = Autotuner("Fake GPU", timer=lambda fn: (fn(), 1.0)[1])
    tuner.tune(kernel, transformer, lambda cfg: None)
    tuner.save()
    renamed = dataclasses.replace(kernel, name="k99_other", source=kernel.source.replace(kernel.name, "k99_other")
                                  .replace("# fused ONNX nodes:", "# fused ONNX nodes: renamed,"))
    assert kernel_hash(renamed) == kernel_hash(kernel)
    assert Autotuner("Fake GPU", timer=never).lookup(renamed, transformer) is not None
    changed = dataclasses.replace(kernel, source=kernel.source.replace("tl.store(", "tl.store(  ", 1) + "\n    pass")
    assert kernel_hash(changed) != kernel_hash(kernel)
    assert Autotuner("Fake GPU", timer=never).lookup(changed, transformer) is None


@pytest.mark.parametrize("content", ["{not json", '["a list"]', '{"version": 0, "entries": {}}', "\udcff"])
def test_corrupt_cache_is_ignored_with_a_warning_and_rewritten(transformer, cache_dir, content):
    path = cache_dir / AUTOTUNE_FILE
    if content == "\udcff":
        path.write_bytes(b"\xff\xfe\x00garbage")
    else:
        path.write_text(content)
    kernel = _multi(transformer)[0]
    tuner = Autotuner("Fake GPU", timer=lambda fn: (fn(), 1.0)[1])
    with pytest.warns(RuntimeWarning, match="ignoring the corrupt Triton autotune cache"):
        assert tuner.lookup(kernel, transformer) is None
    tuner.tune(kernel, transformer, lambda cfg: None)
    tuner.save()
    assert Autotuner("Fake GPU", timer=never).lookup(kernel, transformer) == kernel.candidates()[0]
    assert json.loads(path.read_text())["version"] == 1


def test_heuristic_kept_unless_clearly_beaten(transformer, cache_dir):
    kernel = _multi(transformer)[0]
    first, second = kernel.candidates()[:2]
    current = {}

    def launch(cfg):
        current["cfg"] = cfg

    for t_second, want in ((0.99, first), (0.9, second)):  # within 3 %: noise; 10 % faster: a win
        timer = lambda fn: (fn(), 1.0 if current["cfg"] == first else t_second if current["cfg"] == second else 5.0)[1]  # noqa: E731
        assert Autotuner("Fake GPU", timer=timer).tune(kernel, transformer, launch)[0] == want


def test_a_cached_config_no_longer_listed_is_ignored(transformer, cache_dir):
    kernel = _multi(transformer)[0]
    key = tuning_key(kernel, transformer, "Fake GPU")
    bogus = dataclasses.replace(kernel.candidates()[0], num_warps=32).to_json()
    AutotuneCache().update({key: {"config": bogus}, "other": {"config": "garbage"}})
    assert Autotuner("Fake GPU", timer=never).lookup(kernel, transformer) is None


def test_failing_configs_are_skipped_and_all_failing_is_an_error(transformer, cache_dir):
    kernel = max(_multi(transformer), key=lambda k: len(k.candidates()))
    cands = kernel.candidates()

    def launch(cfg):
        if cfg != cands[-1]:
            raise RuntimeError("out of resources: shared memory")

    tuner = Autotuner("Fake GPU", timer=lambda fn: (fn(), 1.0)[1])
    cfg, times = tuner.tune(kernel, transformer, launch)
    assert cfg == cands[-1] and sum(t == float("inf") for t in times.values()) == len(cands) - 1

    def broken(cfg):
        raise RuntimeError("no")

    with pytest.raises(StrataError, match=f"no configuration of Triton kernel {kernel.name} could run"):
        tuner.tune(kernel, transformer, broken)


def test_writes_merge_with_other_processes_entries(transformer, cache_dir):
    k1, k2 = _multi(transformer)[:2]
    for k in (k1, k2):  # two tuners, as in two processes, each with the file read before the other wrote
        t = Autotuner("Fake GPU", timer=lambda fn: (fn(), 1.0)[1])
        t.lookup(k, transformer)
        t.tune(k, transformer, lambda cfg: None)
        t.save()
    entries = json.loads((cache_dir / AUTOTUNE_FILE).read_text())["entries"]
    assert {tuning_key(k, transformer, "Fake GPU") for k in (k1, k2)} <= set(entries)


# --- through Triton's interpreter ----------------------------------------------------------


@pytest.fixture(scope="module")
def interp():
    if not INTERPRETER_USABLE:
        pytest.skip("triton was imported before TRITON_INTERPRET=1 could be set; run this file in its own process")
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install '.[gpu]'): the Triton interpreter needs it")
    pytest.importorskip("triton", reason="triton is not installed (pip install '.[gpu]')")
    from runtime.triton_launcher import TritonModel

    return torch, TritonModel


class LaterIsFaster:
    """A fake timer: launches once, and each launch is timed faster than the one before,
    so the tuner keeps every kernel's last configuration."""

    def __init__(self):
        self.calls = 0

    def __call__(self, fn) -> float:
        fn()
        self.calls += 1
        return 2.0 ** -self.calls


def test_first_call_tunes_on_real_inputs_later_compiles_read_the_cache(interp, cache_dir):
    _, TritonModel = interp
    build, shapes = EXAMPLES["transformer_block"]
    model = build()
    feeds = example_inputs("transformer_block")
    want = run_ort(model, feeds)
    module, ctx, ins, outs = fused_graph(model, input_shapes=shapes)
    program = generate(module, ctx.weights)
    multi = _multi(program)
    timer = LaterIsFaster()
    compiled = TritonModel(program, ins, outs, interpret=True, autotune=True, tuner=Autotuner("Fake GPU", timer=timer))
    assert compiled.stats["autotune"]["to_tune"] == len(multi) > 5 and timer.calls == 0  # nothing before the call
    np.testing.assert_allclose(compiled.run(feeds)[0], want[0], **TOL)
    assert timer.calls == sum(len(k.candidates()) for k in multi)
    stats = compiled.stats["autotune"]
    assert stats["tuned"] == len(multi) and stats["from_cache"] == 0
    for k in multi:
        assert compiled.config(k.name) == k.candidates()[-1]
        assert stats["kernels"][k.name]["source"] == "tuned"
    summary = {e["kernel"]: e for e in compiled.stats["triton_kernels"] if e["family"] != "torch"}
    assert all(summary[k.name]["constexprs"] == dict(k.candidates()[-1].constexprs) for k in multi)
    np.testing.assert_allclose(compiled.run(feeds)[0], want[0], **TOL)  # the tuned configs, no timing
    assert timer.calls == sum(len(k.candidates()) for k in multi)
    entries = json.loads((cache_dir / AUTOTUNE_FILE).read_text())["entries"]
    assert len(entries) == len({tuning_key(k, program, "Fake GPU") for k in multi})

    again = TritonModel(generate(*_regraph(model, shapes)), ins, outs, interpret=True, autotune=True,
                        tuner=Autotuner("Fake GPU", timer=never))
    assert again.stats["autotune"]["from_cache"] == len(multi) and again.stats["autotune"]["to_tune"] == 0
    np.testing.assert_allclose(again.run(feeds)[0], want[0], **TOL)
    assert all(again.config(k.name) == k.candidates()[-1] for k in multi)
    # without autotuning (the interpreter's default) the heuristic stays
    plain = TritonModel(program, ins, outs, interpret=True)
    assert not plain.stats["autotune"]["enabled"] and all(plain.config(k.name) == k.config() for k in multi)


def _regraph(model, shapes):
    module, ctx, _, _ = fused_graph(model, input_shapes=shapes)
    return module, ctx.weights


def _family_models():
    rng = np.random.default_rng(1)

    def r(*s):
        return rng.standard_normal(s).astype(np.float32)

    x, b = r(5, 1000), r(1000)
    yield "pointwise", chain_model([node("Add", ["x", "b"], "s"), node("Tanh", ["s"], "y")], {"x": x}, ["y"], {"b": b}), {"x": x}
    x = r(3, 300)
    yield "row", chain_model([node("Softmax", ["x"], "y", axis=-1)], {"x": x}, ["y"]), {"x": x}
    x = r(2, 5000)
    yield "row (looped)", chain_model([node("LayerNormalization", ["x", "g"], "y", axis=-1)], {"x": x}, ["y"], {"g": r(5000)}), {"x": x}
    a, w, c = r(64, 40), r(40, 64), r(64)
    yield "matmul", chain_model([node("Gemm", ["a", "w", "c"], "g"), node("Relu", ["g"], "y")], {"a": a}, ["y"], {"w": w, "c": c}), {"a": a}
    q, kt, v = r(2, 40, 16), r(2, 16, 40), r(2, 40, 16)
    nodes = [node("MatMul", ["q", "kt"], "s"), node("Mul", ["s", "scale"], "t"), node("Softmax", ["t"], "p", axis=-1),
             node("MatMul", ["p", "v"], "y")]
    feeds = {"q": q, "kt": kt, "v": v}
    yield "attention", chain_model(nodes, feeds, ["y"], {"scale": np.array(0.25, np.float32)}), feeds


@pytest.mark.parametrize("family,model,feeds", list(_family_models()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_configuration_computes_the_same(interp, family, model, feeds):
    _, TritonModel = interp
    module, ctx, ins, outs = fused_graph(model)
    program = generate(module, ctx.weights)
    (kernel,) = program.kernels()
    assert kernel.family == family.split()[0] and len(kernel.candidates()) >= 4
    compiled = TritonModel(program, ins, outs, interpret=True)
    want = run_ort(model, feeds)[0]
    for cfg in kernel.candidates():
        compiled.set_config(kernel.name, cfg)
        np.testing.assert_allclose(compiled.run(feeds)[0], want, **TOL, err_msg=cfg.describe())


# --- every configuration compiles for sm_90 ------------------------------------------------

# The child process must not import this module (it sets TRITON_INTERPRET=1): the
# models reach it as .onnx files.
_COMPILE_CONFIGS = """
import json, os, sys
from compiler.compile_cuda import fused_graph
from lowering.to_triton import generate
from runtime.triton_launcher import compile_to_cubin, load_kernels

out = []
for name in sys.argv[2:]:
    module, ctx, _, _ = fused_graph(os.path.join(sys.argv[1], name + ".onnx"))
    program = generate(module, ctx.weights)
    loaded = load_kernels(program)
    for k in program.kernels():
        for cfg in k.candidates():
            rec = {"model": name, "family": k.family, "constexprs": dict(cfg.constexprs), "warps": cfg.num_warps,
                   "stages": cfg.num_stages}
            try:
                cubin = compile_to_cubin(k.with_config(cfg), loaded)
                rec["ok"] = cubin[:4] == b"\\x7fELF" and len(cubin) > 1000
            except Exception as e:
                rec["error"] = f"{type(e).__name__}: {e}"[:1000]
            out.append(rec)
print("RESULT" + json.dumps(out))
"""


def _cubin_models():
    """Shapes at which each family admits its whole list."""
    z = lambda *s: np.zeros(s, np.float32)  # noqa: E731
    yield "pointwise", chain_model([node("Relu", ["x"], "y")], {"x": z(8192)}, ["y"])
    yield "row", chain_model([node("Softmax", ["x"], "y", axis=-1)], {"x": z(4, 1024)}, ["y"])
    yield "row_looped", chain_model([node("ReduceSum", ["x", "ax"], "y", keepdims=0)], {"x": z(2, 8192)}, ["y"],
                                    {"ax": np.array([1], np.int64)})
    yield "matmul", chain_model([node("MatMul", ["a", "b"], "y")], {"a": z(128, 64), "b": z(64, 128)}, ["y"])
    nodes = [node("MatMul", ["q", "kt"], "s"), node("Softmax", ["s"], "p", axis=-1), node("MatMul", ["p", "v"], "y")]
    yield "attention", chain_model(nodes, {"q": z(1, 64, 32), "kt": z(1, 32, 64), "v": z(1, 64, 32)}, ["y"])


@pytest.fixture(scope="module")
def compiled_configs(tmp_path_factory):
    import onnx

    directory = tmp_path_factory.mktemp("cubin_models")
    names = []
    for name, model in _cubin_models():
        onnx.save(model, str(directory / f"{name}.onnx"))
        names.append(name)
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    proc = subprocess.run([sys.executable, "-c", _COMPILE_CONFIGS, str(directory), *names], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stderr[-4000:]
    return json.loads(lines[-1].removeprefix("RESULT"))


@needs_gpu_deps
def test_every_listed_configuration_compiles_to_cubin_for_sm90(compiled_configs):
    failed = [r for r in compiled_configs if not r.get("ok")]
    assert not failed
    seen = {(r["model"], tuple(r["constexprs"].values()), r["warps"], r["stages"]) for r in compiled_configs}
    want = {("pointwise", (b,), w, 3) for b, w in POINTWISE_TUNE}
    want |= {("row", (1024,), w, 3) for w in ROW_WARPS}
    want |= {("row_looped", (b,), w, 3) for b, w in ROW_LOOP_TUNE}
    want |= {("matmul", (bm, bn, bk), w, s) for bm, bn, bk, w, s in MATMUL_TUNE}
    want |= {("attention", (bm, bn, 32, 32), w, s) for bm, bn, w, s in ATTENTION_TUNE}
    assert want <= seen, sorted(want - seen)


# --- without a GPU ------------------------------------------------------------------------

_NO_GPU = """
import sys
import compiler
from tools.example_models import EXAMPLES
build, shapes = EXAMPLES["mlp"]
compiler.compile(build(), input_shapes=shapes)
print("CPU_IMPORTS", [m for m in ("triton", "torch") if m in sys.modules])
try:
    import torch
    has_cuda = torch.cuda.is_available()
except ImportError:
    has_cuda = None
if has_cuda is False:
    try:
        compiler.compile(build(), input_shapes=shapes, target="cuda")
        print("CUDA_RESULT compiled")
    except compiler.StrataError as e:
        print("CUDA_RESULT StrataError", str(e).replace(chr(10), " "))
"""


@pytest.fixture(scope="module")
def no_gpu_run():
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    proc = subprocess.run([sys.executable, "-c", _NO_GPU], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout


def test_cpu_compile_imports_neither_triton_nor_torch(no_gpu_run):
    assert "CPU_IMPORTS []" in no_gpu_run


@needs_gpu_deps
def test_cuda_target_without_gpu_or_interpreter_is_a_clear_error(no_gpu_run):
    if "CUDA_RESULT" not in no_gpu_run:
        pytest.skip("this machine has a CUDA device")
    assert "CUDA_RESULT StrataError target='cuda' found no CUDA device" in no_gpu_run
    assert "TRITON_INTERPRET=1" in no_gpu_run
