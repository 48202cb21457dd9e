"""Per-kernel object code (runtime/llvm_objects.py): the model module splits into one
module per kernel plus main, compiled in worker processes or here, and the linked
engine gives onnxruntime's results on one and two threads."""

from __future__ import annotations

import numpy as np
import pytest

import compiler
from runtime import llvm_objects
from runtime.jit import JitError
from tests.ort_check import run_ort
from tools.example_models import EXAMPLES, example_inputs


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("STRATA_CACHE_DIR", str(tmp_path))


@pytest.mark.parametrize("workers", ["0", "2"])
@pytest.mark.parametrize("threads", [1, 2])
def test_split_model_matches_onnxruntime(monkeypatch, workers, threads):
    monkeypatch.setenv("STRATA_LLVM_WORKERS", workers)
    build, shapes = EXAMPLES["small_cnn"][:2]
    model = compiler.compile(build(), input_shapes=shapes, num_threads=threads)
    info = model.stats["llvm_objects"]
    assert info["parts"] == model.stats["kernels"] + 1  # every kernel, and main
    assert info["workers"] == (2 if workers == "2" else 0)
    feeds = example_inputs("small_cnn")
    np.testing.assert_allclose(model.run(feeds)[0], run_ort(build(), feeds)[0], rtol=1e-4, atol=1e-5)


def _split(model):
    """The parts of `model`'s LLVM module."""
    from compiler.driver import lower_to_loops
    from compiler.context import make_context
    from compiler.onnx_import import import_model
    from compiler.pipelines import graph_pipeline
    from lowering.loops_to_llvm import translate_module

    ctx = make_context()
    module = import_model(model, ctx.weights, {"x": [4, 64]})
    graph_pipeline(3).apply(ctx, module)
    lower_to_loops(module, ctx)
    return llvm_objects.split_module(translate_module(module, True))


def test_kernel_parts_do_not_depend_on_the_model():
    from tools.example_models import mlp

    a, b = _split(mlp(classes=10)), _split(mlp(classes=7))
    assert [p.name for p in a][-1] == "main"
    shared = {p.text for p in a[:-1]} & {p.text for p in b[:-1]}
    assert shared  # the first layer's kernel: same text, same symbol
    assert _split(mlp(classes=10)) == a  # deterministic
    for part in a[:-1]:
        assert 'define void @"strata.k.' in part.text  # the kernel, visible to main
        assert "define internal" not in part.text.split("strata.k.")[0]


def test_llvm_error_names_the_kernel(monkeypatch):
    monkeypatch.setenv("STRATA_LLVM_WORKERS", "2")
    bad = [llvm_objects.Part("my_kernel", "define void @f() {\n ret i32 0\n}\n"),
           llvm_objects.Part("other", "define void @g() {\n ret void\n}\n")]
    with pytest.raises(JitError, match="kernel 'my_kernel'"):
        llvm_objects.compile_objects(bad, 2)


def test_streamed_kernels_are_the_split_parts(monkeypatch):
    """ObjectStream sends each kernel to the workers as it is translated: what it sends
    is exactly the text split_module makes of the whole module (the same object code,
    the same cache keys), and every kernel goes early."""
    from compiler.context import make_context
    from compiler.driver import lower_to_loops
    from compiler.onnx_import import import_model
    from compiler.pipelines import graph_pipeline
    from lowering.loops_to_llvm import translate_module

    monkeypatch.setenv("STRATA_LLVM_WORKERS", "2")
    build, shapes = EXAMPLES["small_cnn"][:2]
    ctx = make_context()
    module = import_model(build(), ctx.weights, shapes)
    graph_pipeline(3).apply(ctx, module)
    lower_to_loops(module, ctx)
    stream = llvm_objects.ObjectStream(2)
    llmod = translate_module(module, True, stream.add)
    parts = llvm_objects.split_module(llmod)  # printed afresh, not from the stream's texts
    assert parts is not None and parts[-1].name == "main"
    assert [p.text for p in parts[:-1]] == list(stream.started)
    assert llvm_objects.split_module(llmod, stream.texts) == parts
    engine = stream.finish(llmod)
    assert engine.parts["streamed"] == len(parts) - 1
    assert engine.sources == [p.text for p in parts]


def test_hand_vectorized_kernels_take_their_own_level():
    """Kernel parts with vector FMA tiles or vector loads/stores compile (and are
    cached) at HAND_VECTORIZED_LEVEL under -O3; other parts, and other levels, keep theirs."""
    fma = 'declare <8 x float> @"llvm.fma.v8f32"(<8 x float>, <8 x float>, <8 x float>)\n'
    kernel = fma + 'define void @"strata.k.0"(ptr %".1") nounwind {\n ret void\n}\n'
    level = llvm_objects.HAND_VECTORIZED_LEVEL
    assert llvm_objects.part_level(kernel, 3) == level
    assert llvm_objects.part_level(kernel, 1) == 1
    assert llvm_objects.part_level(kernel.replace(fma, ""), 3) == 3  # no vector FMA
    assert llvm_objects.part_level(fma + 'define void @"strata_entry"(ptr %"argv") {\n ret void\n}\n', 3) == 3
    # Explicit vector loads and stores (copies, transposes) are vectorized by hand too.
    copy = ('define void @"strata.k.1"(ptr %".1", ptr %".2") nounwind {\n  %".3" = load <16 x float>, ptr %".1", align 4\n'
            '  store <16 x float> %".3", ptr %".2", align 4\n  ret void\n}\n')
    assert llvm_objects.part_level(copy, 3) == level
    assert llvm_objects.part_level(copy.replace("<16 x float>", "float"), 3) == 3
