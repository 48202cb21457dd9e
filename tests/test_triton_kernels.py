"""The Triton generator (lowering/to_triton.py): what kernels the test models produce,
their source text, and ahead-of-time compilation of every kernel to a cubin for sm_90
(`triton.compile(ASTSource(...), target=GPUTarget("cuda", 90, 32))`, no GPU needed).

The generator tests need neither triton nor torch; the cubin tests skip, saying so, where
triton is not installed (`pip install '.[gpu]'`). Numeric checks through Triton's
interpreter are in test_triton_models.py.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from compiler.compile_cuda import fused_graph
from lowering.to_triton import AliasStep, UnsupportedOnCuda, generate
from tests.ort_check import chain_model, node
from tests.triton_op_models import op_models
from tools.example_models import EXAMPLES


def extra_models() -> dict:
    """Small models whose kernels the example models do not have: attention with a
    mask and tails, scaled/masked softmax, RMS norm, data movement, Gemm/Conv with
    activation epilogues (static shapes: no input_shapes needed)."""
    z = lambda *shape: np.zeros(shape, np.float32)  # noqa: E731
    attention = chain_model(
        [node("MatMul", ["q", "kt"], "scores"), node("Mul", ["scores", "scale"], "scaled"),
         node("Add", ["scaled", "mask"], "masked"), node("Softmax", ["masked"], "probs", axis=-1),
         node("MatMul", ["probs", "v"], "y")],
        {"q": z(2, 3, 5, 8), "kt": z(2, 3, 8, 19), "v": z(2, 3, 19, 12)}, ["y"],
        {"scale": np.array(0.35, np.float32), "mask": z(5, 19)},
    )
    norms = chain_model(
        [node("Mul", ["x", "scale"], "xs"), node("Add", ["xs", "mask"], "xm"), node("Softmax", ["xm"], "p", axis=-1),
         node("Mul", ["x", "x"], "sq"), node("ReduceMean", ["sq", "axes"], "ms", keepdims=1),
         node("Add", ["ms", "eps"], "mse"), node("Sqrt", ["mse"], "rms"), node("Div", ["x", "rms"], "n"),
         node("Mul", ["n", "g"], "r")],
        {"x": z(2, 4, 13)}, ["p", "r"],
        {"scale": np.array(0.5, np.float32), "mask": z(4, 13), "axes": np.array([-1], np.int64),
         "eps": np.array(1e-6, np.float32), "g": z(13)},
    )
    movement = chain_model(
        [node("Concat", ["x", "y"], "c", axis=1), node("Slice", ["c", "starts", "ends"], "s"),
         node("Expand", ["x", "shape"], "e")],
        {"x": z(2, 3, 4), "y": z(2, 5, 4)}, ["s", "e"],
        {"starts": np.array([1], np.int64), "ends": np.array([2], np.int64), "shape": np.array([3, 2, 1, 4], np.int64)},
    )
    epilogues = chain_model(
        [node("Conv", ["x", "w", "b"], "c", pads=[1, 1, 1, 1]), node("LeakyRelu", ["c"], "cy", alpha=0.2),
         node("Gemm", ["a", "wg", "bg"], "g"), node("Sigmoid", ["g"], "gy")],
        {"x": z(2, 3, 8, 8), "a": z(6, 10)}, ["cy", "gy"], {"w": z(4, 3, 3, 3), "b": z(4), "wg": z(10, 7), "bg": z(7)},
    )
    return {"attention": attention, "norms": norms, "movement": movement, "epilogues": epilogues}


HAVE_TRITON = importlib.util.find_spec("triton") is not None
needs_triton = pytest.mark.skipif(not HAVE_TRITON, reason="triton is not installed (pip install '.[gpu]'): cannot compile kernels to cubin")

# Kernels per example model (after -O3 and fuse-kernels), by family. The transformer's
# attention is one kernel once onnx-recompose-attention has formed strata.Attention;
# without that pass it is MatMul, Softmax (with the scale as prologue), MatMul.
EXPECTED = {
    "mlp": {"matmul": 2, "row": 1},
    "small_cnn": {"conv": 3, "pool": 2, "row": 1, "matmul": 1},
    "transformer_block": {"matmul": 6, "pointwise": 4, "row": 2, "attention": 1},
}


def _program(name: str, disable_passes=(), **kw):
    build, shapes = EXAMPLES[name]
    module, ctx, _, _ = fused_graph(build(), input_shapes=shapes, disable_passes=disable_passes)
    return generate(module, ctx.weights, **kw)


@pytest.fixture(scope="module")
def programs():
    return {name: _program(name) for name in EXAMPLES}


def _families(program) -> dict[str, int]:
    out: dict[str, int] = {}
    for k in program.kernels():
        out[k.family] = out.get(k.family, 0) + 1
    return out


@pytest.mark.parametrize("name", list(EXPECTED))
def test_kernel_families_per_model(programs, name):
    assert _families(programs[name]) == EXPECTED[name]


def test_transformer_without_attention_recomposition():
    program = _program("transformer_block", disable_passes=["onnx-recompose-attention"])
    assert _families(program) == {"matmul": 8, "pointwise": 4, "row": 3}
    (softmax,) = [k for k in program.kernels() if "attn_softmax" in k.nodes]
    assert softmax.family == "row" and "tl.max(x, axis=0)" in softmax.source


def test_small_cnn_convs_and_pools_are_triton_kernels(programs):
    """Conv (+ its fused Relu) is an implicit-GEMM tl.dot kernel with the activation in
    its epilogue, MaxPool a window kernel; torch runs no operator."""
    kernels = programs["small_cnn"].kernels()
    convs = [k for k in kernels if k.family == "conv"]
    assert len(convs) == 3
    for k in convs:
        assert "implicit GEMM" in k.source and 'acc += tl.dot(a, b, input_precision="ieee")' in k.source
        assert "acc = tl.maximum(acc, 0.0)  # activation" in k.source
    pools = [k for k in kernels if k.family == "pool"]
    assert [k.source.count("for t in tl.static_range(") for k in pools] == [1, 1]
    assert "for t in tl.static_range(4):" in pools[0].source and "for t in tl.static_range(9):" in pools[1].source
    steps = programs["small_cnn"].steps
    assert sum(isinstance(s, AliasStep) for s in steps) == 1  # Flatten is a view
    assert all(isinstance(s, AliasStep) or s.family in {"conv", "pool", "row", "matmul"} for s in steps)


def test_conv_group_with_elementwise_epilogue_is_one_kernel():
    """fuse-kernels' conv groups (as on the CPU): Conv -> Mul by a per-channel scale ->
    Add residual -> Relu is one conv kernel whose epilogue holds the three ops."""
    z = lambda *shape: np.zeros(shape, np.float32)  # noqa: E731
    nodes = [node("Conv", ["x", "w"], "c", pads=[1, 1, 1, 1]), node("Mul", ["c", "s"], "cs"),
             node("Add", ["cs", "x"], "ca"), node("Relu", ["ca"], "y")]
    model = chain_model(nodes, {"x": z(1, 4, 6, 6)}, ["y"], {"w": z(4, 4, 3, 3), "s": z(4, 1, 1)})
    module, ctx, _, _ = fused_graph(model, disable_passes=["onnx-fuse-conv-bn", "onnx-fuse-activation"])
    (k,) = generate(module, ctx.weights).kernels()
    assert k.family == "conv" and k.nodes == ["c_node", "cs_node", "ca_node", "y_node"]


def test_sources_are_python_and_name_their_nodes(programs):
    for program in programs.values():
        tree = ast.parse(program.module_source())
        names = [f.name for f in tree.body if isinstance(f, ast.FunctionDef) and not f.name.startswith("strata_")]
        assert names == [k.name for k in program.kernels()]
        for k in program.kernels():
            assert k.source.startswith("@triton.jit\n")
            assert f"# fused ONNX nodes: {', '.join(k.nodes)}" in k.source
            assert len(k.params) == len(k.args) == len(k.param_types)


def test_transformer_matmul_epilogues_are_fused(programs):
    """The bias + GELU after ff1's MatMul run in the matmul kernel's epilogue (fused by
    onnx-fuse-activation, or by the generator when the MatMul's only user is an
    elementwise group); no separate GELU kernel is left."""
    kernels = programs["transformer_block"].kernels()
    (ff1,) = [k for k in kernels if "tl.erf(" in k.source]
    assert ff1.family == "matmul" and ff1.nodes[-1] == "gelu.half"
    assert "tl.dot(a, b, input_precision=\"ieee\")" in ff1.source
    # the residual add after the output projection joins that matmul as its epilogue
    # (fuse-kernels: saves the product's write and read); LayerNorm reads the sum
    (out,) = [k for k in kernels if "residual1" in k.nodes]
    assert out.family == "matmul" and out.nodes == ["out.bias", "residual1"]


def test_row_block_choice_registers_vs_loop():
    whole = {k.nodes[-1]: k for k in _program("transformer_block").kernels() if k.family == "row"}
    looped = {k.nodes[-1]: k for k in _program("transformer_block", max_row_block=16).kernels() if k.family == "row"}
    assert whole["ln1"].constexprs == {"BLOCK_R": 64} and "for c0 in range" not in whole["ln1"].source
    assert looped["ln1"].constexprs == {"BLOCK_R": 16} and looped["ln1"].source.count("for c0 in range(0, 64, BLOCK_R)") == 3
    assert whole["ln1"].grid == (32,)


def test_pointwise_tail_mask_and_broadcast_offsets():
    x = np.zeros((3, 37, 5), np.float32)
    b = np.zeros((37, 1), np.float32)
    model = chain_model([node("Add", ["x", "b"], "s"), node("Relu", ["s"], "y")], {"x": x, "b": b}, ["y"])
    module, ctx, _, _ = fused_graph(model)
    (k,) = generate(module, ctx.weights).kernels()
    assert k.family == "pointwise" and k.constexprs == {"BLOCK": 1024} and k.grid == (1,)
    assert "mask = offs < 555" in k.source
    assert "i1 = ((offs) // 5) % 37" in k.source and "tl.load(in1 + i1, mask=mask)" in k.source


def test_unsupported_ops_are_all_named():
    """Every form the generator refuses, named at once (like UnsupportedOpsError)."""
    x = np.zeros((2, 4), np.float32)
    nodes = [node("CumSum", ["x", "axis"], "c"), node("Relu", ["c"], "r"),
             node("Resize", ["r", "", "scales"], "y", mode="cubic")]
    model = chain_model(nodes, {"x": x, "axis": np.array(1, np.int64)}, ["y"], {"scales": np.array([1, 2], np.float32)})
    module, ctx, _, _ = fused_graph(model)
    with pytest.raises(UnsupportedOnCuda, match="CumSum 'c_node': axis must be a constant; .*Resize 'y_node'.*cubic"):
        generate(module, ctx.weights)


# Compiling needs a process where triton was imported without TRITON_INTERPRET=1
# (test_triton_models.py sets it for this one), so the compiles run in a child process:
# every kernel of every example model, plus the looped variants of the row kernels.
_COMPILE_ALL = """
import json, sys
from compiler.compile_cuda import fused_graph
from lowering.to_triton import generate
from runtime.triton_launcher import compile_to_cubin, load_kernels
from tools.example_models import EXAMPLES
from tests.test_triton_kernels import extra_models
from tools.torch_models import ZOO
from tests.triton_op_models import op_models

out = {}
done = {}  # kernel text (without its name) -> result: the same kernel compiles once
models = {name: (build(), shapes) for name, (build, shapes) in EXAMPLES.items()}
models.update({name: (model, None) for name, model in extra_models().items()})
models.update({name: (model, None) for name, (model, _) in op_models().items()})
models.update({name: (build()[0], None) for name, build in ZOO.items()})
for name, (model, shapes) in models.items():
    module, ctx, _, _ = fused_graph(model, input_shapes=shapes)
    for max_row_block in (4096, 16):
        program = generate(module, ctx.weights, max_row_block=max_row_block)
        for k in program.kernels():
            if max_row_block != 4096 and "for c0 in range" not in k.source:
                continue
            key = f"{name}/{k.name}" + ("" if max_row_block == 4096 else "/looped")
            text = "".join(k.helpers) + k.source.replace(k.name, "kernel") + repr(k.param_types)
            if text not in done:
                try:
                    cubin = compile_to_cubin(k)
                    done[text] = {"family": k.family, "bytes": len(cubin), "elf": cubin[:4] == b"\\x7fELF"}
                except Exception as e:
                    done[text] = {"family": k.family, "error": f"{type(e).__name__}: {e}"[:2000]}
            out[key] = done[text]
print("RESULT" + json.dumps(out))
"""


@pytest.fixture(scope="module")
def cubins():
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", _COMPILE_ALL], env=env, cwd=root, capture_output=True, text=True, timeout=600)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stderr[-4000:]
    return json.loads(lines[-1].removeprefix("RESULT"))


MODEL_NAMES = list(EXAMPLES) + list(extra_models()) + list(op_models()) + ["gpt_decoder", "bert_encoder", "unet"]


@needs_triton
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_kernel_compiles_to_cubin_for_sm90(cubins, name):
    results = {k: v for k, v in cubins.items() if k.startswith(name + "/")}
    if name in EXAMPLES:
        assert len([k for k in results if not k.endswith("/looped")]) == len(_program(name).kernels())
    else:
        assert results
    failed = {k: v["error"] for k, v in results.items() if "error" in v}
    assert not failed
    for key, r in results.items():
        assert r["elf"] and r["bytes"] > 1000, key


@needs_triton
def test_cubins_cover_every_family(cubins):
    families = {v["family"] for v in cubins.values()}
    assert families == {"pointwise", "row", "matmul", "attention", "conv", "pool", "select", "scatter"}
    assert any(k.endswith("/looped") for k in cubins)  # a row kernel in its looped form
