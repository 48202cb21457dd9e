"""The graph pipeline driver: disabling passes by name, running to a fixed point, and
statistics (compiler/pipelines.py, compiler/pass_stats.py, opt-tool --disable-pass/--stats)."""

from __future__ import annotations

import numpy as np
import onnx.parser
import pytest

from compiler.context import make_context
from dialects.errors import StrataError
from compiler.onnx_import import import_model
from compiler.pass_stats import count_onnx_ops, format_stats
from compiler.pipelines import graph_passes, graph_pipeline
from tools import example_models

CNN_SHAPES = {"image": [1, 3, 16, 16]}

DIV_MODEL = """
<ir_version: 10, opset_import: ["" : 21]>
agraph (float[2, 4] X) => (float[2, 4] Y)
<float[1] C = {4.0}>
{
    [d] D = Div(X, C)
    [i] I = Identity(D)
    [r] Y = Relu(I)
}
"""


def _imported(model, shapes=None):
    ctx = make_context()
    return ctx, import_model(model, ctx.weights, shapes)


def _run(model, opt_level, shapes=None, **kw):
    ctx, module = _imported(model, shapes)
    pipeline = graph_pipeline(opt_level, **kw)
    pipeline.apply(ctx, module)
    return module, pipeline


def test_disabled_pass_is_dropped():
    names = [p.name for p in graph_passes(2)]
    assert "onnx-fuse-conv-bn" in names
    kept = [p.name for p in graph_passes(2, disabled=["onnx-fuse-conv-bn", "cse"])]
    assert kept == [n for n in names if n not in ("onnx-fuse-conv-bn", "cse")]
    assert graph_passes(0, disabled=()) == []


def test_disable_fuse_conv_bn_keeps_batchnorm():
    module, _ = _run(example_models.small_cnn(), 2, CNN_SHAPES)
    assert count_onnx_ops(module)["BatchNormalization"] == 0
    module, pipeline = _run(example_models.small_cnn(), 2, CNN_SHAPES, disabled=["onnx-fuse-conv-bn"])
    assert count_onnx_ops(module)["BatchNormalization"] == 3
    assert "onnx-fuse-conv-bn" not in pipeline.stats.to_dict()["passes"]


def test_disable_simplify_algebra_keeps_div():
    model = onnx.parser.parse_model(DIV_MODEL)
    module, _ = _run(model, 1)
    ops = count_onnx_ops(module)
    assert ops["Div"] == 0 and ops["Mul"] == 1
    module, _ = _run(model, 1, disabled=["onnx-simplify-algebra"])
    ops = count_onnx_ops(module)
    assert ops["Div"] == 1 and ops["Mul"] == 0 and ops["Identity"] == 0


@pytest.mark.parametrize("level", [0, 1, 2])
def test_unknown_pass_name_lists_the_level_passes(level):
    with pytest.raises(StrataError, match="no-such-pass") as e:
        graph_passes(level, disabled=["no-such-pass"])
    for p in graph_passes(level):
        assert p.name in str(e.value)
    if level == 1:
        # a real pass, but not one of -O1's
        with pytest.raises(StrataError, match="onnx-fuse-conv-bn"):
            graph_passes(1, disabled=["onnx-fuse-conv-bn"])


def test_fixed_point_stops_early_on_optimal_graph():
    ctx, module = _imported(example_models.small_cnn(), CNN_SHAPES)
    first = graph_pipeline(2)
    first.apply(ctx, module)
    assert first.stats.converged and 2 <= first.iterations <= first.max_iterations
    again = graph_pipeline(2)
    again.apply(ctx, module)  # already optimal: one round that changes nothing
    assert again.iterations == 1 and again.stats.converged
    d = again.stats.to_dict()
    assert d["ops_before"] == d["ops_after"]
    assert all(p["runs"] == 1 and not p["removed"] and not p["added"] for p in d["passes"].values())


def test_max_iterations_limits_rounds():
    ctx, module = _imported(onnx.parser.parse_model(DIV_MODEL))
    pipeline = graph_pipeline(1, max_iterations=1)
    pipeline.apply(ctx, module)
    assert pipeline.iterations == 1 and not pipeline.stats.converged
    with pytest.raises(StrataError):
        graph_pipeline(1, max_iterations=0)


def test_stats_small_cnn_o2():
    _, pipeline = _run(example_models.small_cnn(), 2, CNN_SHAPES)
    d = pipeline.stats.to_dict()
    assert d["ops_before"]["BatchNormalization"] == 3
    assert "BatchNormalization" not in d["ops_after"]
    # Conv + BatchNormalization + Relu end as one strata.FusedConv each
    assert d["ops_before"]["Conv"] == d["ops_after"]["strata.FusedConv"] == 3
    assert "Conv" not in d["ops_after"] and "Relu" not in d["ops_after"]
    assert list(d["passes"]) == [p.name for p in graph_passes(2)]
    assert d["patterns"]["fired"]["FuseConvBatchNorm"] == 3
    assert d["patterns"]["fired"]["FuseConvActivation"] == 3
    fuse = d["passes"]["onnx-fuse-conv-bn"]
    assert fuse["removed"]["BatchNormalization"] == 3
    assert fuse["runs"] == d["iterations"] and fuse["seconds"] > 0
    assert fuse["ops_after"] == fuse["ops_before"] - sum(fuse["removed"].values()) + sum(fuse["added"].values())
    # every node change is attributed to some pass
    for t in d["ops_before"].keys() | d["ops_after"].keys():
        net = sum(p["added"].get(t, 0) - p["removed"].get(t, 0) for p in d["passes"].values())
        assert d["ops_before"].get(t, 0) + net == d["ops_after"].get(t, 0), t
    text = format_stats(d)
    assert "pass" in text and "time ms" in text and "ops before" in text and "op type" in text
    assert any(line.split()[:1] == ["BatchNormalization"] and line.split()[-1] == "0" for line in text.splitlines())


def test_compile_disable_passes_and_stats():
    from compiler.api import compile

    model = example_models.small_cnn()
    x = np.random.default_rng(0).standard_normal((1, 3, 16, 16)).astype(np.float32)
    fused = compile(model, opt_level=2, input_shapes=CNN_SHAPES)
    unfused = compile(model, opt_level=2, input_shapes=CNN_SHAPES, disable_passes=["onnx-fuse-conv-bn"])
    gp = fused.stats["graph_passes"]
    assert gp["ops_before"]["BatchNormalization"] == 3 and "BatchNormalization" not in gp["ops_after"]
    assert unfused.stats["graph_passes"]["ops_after"]["BatchNormalization"] == 3
    (a,) = fused.run({"image": x})
    (b,) = unfused.run({"image": x})
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)
    with pytest.raises(StrataError, match="bogus"):
        compile(model, opt_level=2, input_shapes=CNN_SHAPES, disable_passes=["bogus"])


def test_opt_tool_flags(tmp_path, capsys):
    from tools.opt_tool import main

    src = tmp_path / "div.onnxtxt"
    src.write_text(DIV_MODEL)
    assert main([str(src), "-O1", "--disable-pass=onnx-simplify-algebra,cse", "--disable-pass", "dce", "--stats"]) == 0
    out, err = capsys.readouterr()
    assert '"onnx.Div"' in out and "onnx.Mul" not in out
    assert "onnx-eliminate-redundant-nodes" in err and "| Identity 1" in err
    assert "onnx-simplify-algebra" not in err and "\ncse " not in err
    assert main([str(src), "-O1", "--disable-pass=nope"]) == 1
    assert "nope" in capsys.readouterr().err
