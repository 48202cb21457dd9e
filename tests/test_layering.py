"""The layering rules hold (tools/import_graph.py): dialects/ imports no other package,
runtime/ only dialects' error classes, lowering/ never compiler/; the module graph,
imports inside functions included, has no cycle; and the pass table's names and files
agree."""

from __future__ import annotations

import subprocess
import sys

import pytest

from compiler.pass_registry import PASSES, pass_class
from tools.import_graph import ROOT, Import, allowed, cycles, module_graph, project_modules, targets, violations


def test_no_import_points_up():
    bad = violations()
    assert not bad, "\n".join(f"{i.file}:{i.line} imports {i.module}" for i in bad)


def test_module_graph_has_no_cycle():
    found = cycles()
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_graph_counts_imports_inside_functions_and_packages_run_on_import():
    graph = module_graph()
    # an import inside a function is an edge (runtime/artifact.py's _target)
    assert "runtime.jit" in graph["runtime.artifact"]
    modules = project_modules()
    # importing dialects.onnx.tensor runs dialects/onnx/__init__.py first ...
    assert targets(Import("dialects/weights.py", 1, "dialects.onnx.tensor", False, False, ("ConstantOp",)),
                   modules) == {"dialects.onnx", "dialects.onnx.tensor"}
    # ... except from inside that package, which Python has begun already
    assert targets(Import("dialects/onnx/constants.py", 1, "dialects.onnx.tensor", False, False, ("ConstantOp",)),
                   modules) == {"dialects.onnx.tensor"}
    # `from package import submodule` imports the submodule
    assert targets(Import("compiler/api.py", 1, "runtime", False, False, ("model_cache",)),
                   modules) == {"runtime", "runtime.model_cache"}


def test_cycles_are_found_and_printed_as_a_path():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"f"}, "f": {"e"}}
    assert cycles(graph) == [["a", "b", "c", "a"], ["e", "f", "e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("file, module, ok", [
    ("dialects/onnx/base.py", "compiler.errors", False),
    ("runtime/jit.py", "dialects.errors", True),
    ("runtime/jit.py", "dialects.weights", False),
    ("runtime/jit.py", "lowering.plan_memory", False),
    ("lowering/plan_memory.py", "compiler.context", False),
    ("lowering/plan_memory.py", "runtime.jit", True),
    ("compiler/api.py", "lowering.fuse_kernels", True),
])
def test_the_rules_the_checker_applies(file, module, ok):
    assert allowed(Import(file, 1, module, in_function=False, type_only=False)) is ok


def test_runtime_loads_without_xdsl_or_the_compiler():
    # a serving process that only loads saved models never pays for xDSL
    code = ("import sys, runtime.artifact, runtime.loader, runtime.model_cache, runtime.compiled_model, runtime.jit, "
            "runtime.triton_program; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('xdsl', 'compiler', 'lowering')); "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("name", sorted(PASSES))
def test_registry_name_is_the_pass_name_and_file(name):
    assert pass_class(name).name == name
    module, _ = PASSES[name]
    if name.startswith("onnx-"):
        assert module == "compiler.passes." + name.removeprefix("onnx-").replace("-", "_")
    if name == "convert-onnx-to-loops":
        assert module == "lowering.convert_onnx_to_loops"


def test_import_graph_command_prints_the_table():
    done = subprocess.run([sys.executable, "-m", "tools.import_graph"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lowering  -> dialects" in done.stdout and "layering rules hold" in done.stdout
    assert "module graph has no cycles" in done.stdout and "cycle:" not in done.stdout
    assert "lowering  -> compiler" not in done.stdout and "dialects  -> " not in done.stdout
