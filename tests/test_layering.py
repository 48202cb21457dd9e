"""The layering rules hold (tools/import_graph.py): dialects/ imports no other package,
runtime/ only dialects' error classes, lowering/ never compiler/; and the pass table's
names and files agree."""

from __future__ import annotations

import subprocess
import sys

import pytest

from compiler.pass_registry import PASSES, pass_class
from tools.import_graph import ROOT, Import, allowed, violations


def test_no_import_points_up():
    bad = violations()
    assert not bad, "\n".join(f"{i.file}:{i.line} imports {i.module}" for i in bad)


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
    code = ("import sys, runtime.artifact, runtime.compiled_model, runtime.jit, runtime.triton_program; "
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
    assert "lowering  -> compiler" not in done.stdout and "dialects  -> " not in done.stdout
