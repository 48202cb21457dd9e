"""Small models, one per kernel family of the GPU path beyond the example models: each
compiles to Triton kernels (tests/test_triton_kernels.py compiles every kernel to an
sm_90 cubin) and runs through Triton's interpreter against onnxruntime
(tests/test_triton_models.py). `op_models()` returns name -> (model, feeds); shapes are
small (the interpreter runs every program of the grid in Python) but have tails (not
multiples of the block sizes) and, where a family has one, take the looped form too.
"""

from __future__ import annotations

import numpy as np
from onnx import helper

from tests.ort_check import chain_model, node


def _rng():
    return np.random.default_rng(7)


def op_models() -> dict:
    rng = _rng()

    def r(*shape, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    i64 = lambda *v: np.array(v, np.int64)  # noqa: E731
    models: dict = {}

    # convolutions: grouped, dilated, strided, asymmetric pads, residual + activation,
    # depthwise (multiplier 2), 1-D and 3-D, transposed
    x = r(2, 4, 9, 8)
    nodes = [node("Conv", ["x", "w1", "b1"], "c1", pads=[1, 0, 2, 1], strides=[2, 1], dilations=[1, 2], group=2),
             node("Relu", ["c1"], "c1r"),
             node("Conv", ["x", "w2"], "c2", pads=[1, 1, 1, 1], group=4),
             node("Conv", ["c2", "w3", "b3"], "c3", pads=[1, 1, 1, 1]),
             node("Add", ["c3", "x"], "c3a"), node("Sigmoid", ["c3a"], "c3s")]
    inits = {"w1": r(6, 2, 3, 2), "b1": r(6), "w2": r(8, 1, 3, 3), "w3": r(4, 8, 3, 3), "b3": r(4)}
    models["conv2d"] = (chain_model(nodes, {"x": x}, ["c1r", "c3s"], inits), {"x": x})
    x1, x3 = r(2, 3, 11), r(1, 2, 5, 6, 4)
    nodes = [node("Conv", ["x1", "w1"], "y1", pads=[2, 1], strides=[2]),
             node("Conv", ["x3", "w3"], "y3", pads=[1, 1, 0, 1, 1, 0])]
    models["conv1d_3d"] = (chain_model(nodes, {"x1": x1, "x3": x3}, ["y1", "y3"], {"w1": r(5, 3, 4), "w3": r(3, 2, 3, 3, 2)}),
                           {"x1": x1, "x3": x3})
    xt = r(2, 4, 5, 6)
    nodes = [node("ConvTranspose", ["xt", "wt", "bt"], "ct", strides=[2, 3], pads=[1, 0, 0, 1], output_padding=[1, 2],
                  group=2),
             node("ConvTranspose", ["xt", "wt2"], "ct2", dilations=[2, 1])]
    models["conv_transpose"] = (chain_model(nodes, {"xt": xt}, ["ct", "ct2"], {"wt": r(4, 3, 3, 2), "bt": r(6),
                                                                             "wt2": r(4, 2, 2, 3)}), {"xt": xt})

    # pooling: MaxPool with Indices (row- and column-major), ceil mode, AveragePool with
    # and without counted pads, a pooling group with prologue and epilogue
    xp = r(2, 3, 7, 9)
    nodes = [helper.make_node("MaxPool", ["xp"], ["mp", "mi"], name="mp_node", kernel_shape=[3, 2], pads=[1, 0, 1, 1],
                              strides=[2, 2], storage_order=1),
             node("AveragePool", ["xp"], "ap", kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2], ceil_mode=1,
                  count_include_pad=1),
             node("AveragePool", ["xp"], "ap0", kernel_shape=[2, 3], pads=[0, 1, 1, 0], dilations=[2, 1]),
             node("Mul", ["xp", "two"], "xp2"), node("MaxPool", ["xp2"], "mp2", kernel_shape=[2, 2]),
             node("Relu", ["mp2"], "mp2r")]
    models["pooling"] = (chain_model(nodes, {"xp": xp}, ["mp", "mi", "ap", "ap0", "mp2r"], {"two": np.array(2.0, np.float32)}),
                         {"xp": xp})

    # normalizations: BatchNormalization (unfolded), Instance, Group, MVN, Lp, LRN,
    # LayerNorm with its statistics outputs
    xn = r(2, 6, 5, 3)
    nodes = [node("BatchNormalization", ["xn", "s", "b", "m", "v"], "bn", epsilon=1e-3),
             node("InstanceNormalization", ["xn", "s", "b"], "inn"),
             node("GroupNormalization", ["xn", "s", "b"], "gn", num_groups=3),
             node("MeanVarianceNormalization", ["xn"], "mvn"),
             node("LpNormalization", ["xn"], "lp1", axis=1, p=1),
             node("LRN", ["xn"], "lrn", size=3, alpha=1e-2, beta=0.6, bias=1.5),
             helper.make_node("LayerNormalization", ["xn", "g", "bb"], ["ln", "lnm", "lnr"], name="ln_node", axis=2)]
    inits = {"s": r(6), "b": r(6), "m": r(6), "v": np.abs(r(6)) + 0.5, "g": r(5, 3), "bb": r(5, 3)}
    models["normalizations"] = (chain_model(nodes, {"xn": xn}, ["bn", "inn", "gn", "mvn", "lp1", "lrn", "ln", "lnm", "lnr"],
                                            inits), {"xn": xn})

    # reductions and selections: Prod, LogSumExp, L2, non-contiguous axes, ArgMax
    # (select_last_index), Hardmax, CumSum (reverse, exclusive), TopK (smallest, ties)
    xr = r(3, 5, 6)
    xt2 = np.round(r(4, 9) * 2).astype(np.float32)  # ties
    nodes = [node("ReduceProd", ["xr", "a1"], "rp", keepdims=0), node("ReduceLogSumExp", ["xr", "a2"], "rl"),
             node("ReduceL2", ["xr", "a02"], "r2", keepdims=1), node("ReduceMax", ["xr", "a02"], "rm", keepdims=0),
             node("ArgMax", ["xr"], "am", axis=1, select_last_index=1), node("ArgMin", ["xr"], "an", axis=2, keepdims=0),
             node("Hardmax", ["xr"], "hm", axis=1), node("CumSum", ["xr", "ax1"], "cs", reverse=1, exclusive=1),
             helper.make_node("TopK", ["xt2", "k"], ["tv", "ti"], name="topk_node", axis=1, largest=0)]
    inits = {"a1": i64(1), "a2": i64(-1), "a02": i64(0, 2), "ax1": np.array(1, np.int64), "k": i64(4)}
    models["reductions"] = (chain_model(nodes, {"xr": xr, "xt2": xt2}, ["rp", "rl", "r2", "rm", "am", "an", "hm", "cs", "tv", "ti"],
                                        inits), {"xr": xr, "xt2": xt2})

    # data movement: Gather (embedding rows, negative indices), GatherElements, GatherND,
    # Scatter (none and add), Pad (reflect, edge, constant), Tile, DepthToSpace/
    # SpaceToDepth, Split, Resize (linear, nearest), OneHot, Trilu, Where
    emb, ids = r(10, 6), np.array([[1, -2, 3], [9, 0, 4]], np.int64)
    xd = r(2, 8, 4, 6)
    nodes = [node("Gather", ["emb", "ids"], "g", axis=0),
             node("GatherElements", ["emb", "gi"], "ge", axis=1),
             node("GatherND", ["xd", "gnd"], "gn", batch_dims=1),
             node("ScatterElements", ["emb", "si", "su"], "se", axis=1, reduction="add"),
             node("ScatterND", ["xd", "sni", "snu"], "sn"),
             node("Pad", ["xd", "pads"], "pr", mode="reflect"),
             node("Pad", ["xd", "pads"], "pe", mode="edge"),
             node("Pad", ["xd", "pads2", "pv"], "pc"),
             node("Tile", ["emb", "rep"], "t"),
             node("DepthToSpace", ["xd"], "d2s", blocksize=2, mode="CRD"),
             node("SpaceToDepth", ["xd"], "s2d", blocksize=2),
             helper.make_node("Split", ["xd", "spl"], ["sp0", "sp1"], name="split_node", axis=3),
             node("Resize", ["xd", "", "sc"], "rz", mode="linear"),
             node("Resize", ["xd", "", "", "sz"], "rn", mode="nearest", coordinate_transformation_mode="asymmetric",
                  nearest_mode="ceil"),
             node("OneHot", ["ids", "depth", "vals"], "oh", axis=1),
             node("Trilu", ["emb", "tk"], "tr", upper=0),
             node("Greater", ["emb", "zero"], "gt"), node("Where", ["gt", "emb", "tr"], "w")]
    inits = {"gi": rng.integers(-6, 6, size=(10, 4)).astype(np.int64),
             "gnd": rng.integers(0, 4, size=(2, 3, 2)).astype(np.int64),
             "si": rng.integers(0, 6, size=(10, 3)).astype(np.int64), "su": r(10, 3),
             "sni": np.array([[1, 2], [0, 7]], np.int64), "snu": r(2, 4, 6),
             "pads": i64(0, 0, 2, 1, 0, 0, 3, 2), "pads2": i64(0, 1, -1, 2, 1, 0, 1, 0), "pv": np.array(1.5, np.float32),
             "rep": i64(2, 3), "spl": i64(2, 4), "sc": np.array([1, 1, 1.5, 0.5], np.float32),
             "sz": i64(2, 8, 7, 10), "depth": i64(5), "vals": np.array([-1.0, 2.0], np.float32),
             "tk": i64(1), "zero": np.array(0.0, np.float32)}
    outs = ["g", "ge", "gn", "se", "sn", "pr", "pe", "pc", "t", "d2s", "s2d", "sp0", "sp1", "rz", "rn", "oh", "tr", "w"]
    models["data_movement"] = (chain_model(nodes, {"emb": emb, "ids": ids, "xd": xd}, outs, inits),
                               {"emb": emb, "ids": ids, "xd": xd})

    # elementwise: the helper-based functions, integer arithmetic, casts
    xe = np.clip(r(3, 40), -0.95, 0.95)
    ai, bi = rng.integers(-20, 20, size=(3, 40)).astype(np.int32), (rng.integers(1, 6, size=(40,)) * rng.choice([-1, 1], size=(40,))).astype(np.int32)  # no 0
    nodes = [node(op, ["xe"], op.lower()) for op in ("Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Atanh", "Tan", "Round",
                                                     "Softplus", "Mish", "Tanh", "Celu", "Selu")]
    nodes += [node("Abs", ["xe"], "ax"), node("Add", ["ax", "one"], "ax1"), node("Acosh", ["ax1"], "acosh"),
              node("Pow", ["xe", "three"], "pow"),
              node("Div", ["ai", "bi"], "idiv"), node("Mod", ["ai", "bi"], "imod"), node("Mod", ["ai", "bi"], "ifmod", fmod=1),
              node("Cast", ["xe"], "half", to=10), node("Cast", ["half"], "back", to=1),
              node("Cast", ["ai"], "aif", to=1), node("Mul", ["aif", "xe"], "mixed")]
    outs = [n.output[0] for n in nodes if n.output[0] not in ("ax", "ax1", "half")]
    models["elementwise"] = (chain_model(nodes, {"xe": xe, "ai": ai, "bi": bi}, outs,
                                         {"one": np.array(1.0, np.float32), "three": np.array(3.0, np.float32)}),
                             {"xe": xe, "ai": ai, "bi": bi})
    return models
