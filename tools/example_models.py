"""Small example models built with onnx.helper and seeded random weights: an MLP, a
small CNN (Conv/BN/Relu/MaxPool/Gemm) and transformer blocks (MatMul/Softmax/LayerNorm/
Erf GELU) in EXAMPLES; models with a Gather in INDEXED_EXAMPLES: a GPT-style decoder on
token ids, a ViT-style classifier and a BERT-style pooler (both take a token with a
scalar index). Tests, benchmarks and `tools/run_example.py` use them.

    python -m tools.example_models OUTDIR     # writes one .onnx per model
"""

from __future__ import annotations

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class _Graph:
    """Collects nodes and initializers with generated names."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def weight(self, name: str, shape, scale: float = 0.2, positive: bool = False) -> str:
        data = self.rng.standard_normal(shape).astype(np.float32) * scale
        if positive:
            data = np.abs(data) + 0.5
        self.inits.append(numpy_helper.from_array(data, name))
        return name

    def const(self, name: str, array: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], n_out: int = 1, name: str | None = None, **attrs) -> list[str]:
        self.count += 1
        name = name or f"{op.lower()}_{self.count}"
        outs = [f"{name}_out{i}" if n_out > 1 else name for i in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs

    def model(self, name: str, inputs, outputs, opset: int = 17) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="strata-examples")
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def mlp(batch: int = 4, features: int = 64, hidden: int = 128, classes: int = 10) -> onnx.ModelProto:
    g = _Graph(0)
    (h,) = g.node("Gemm", ["x", g.weight("w1", (features, hidden)), g.weight("b1", (hidden,))], name="fc1")
    (h,) = g.node("Relu", [h], name="relu1")
    (h,) = g.node("Gemm", [h, g.weight("w2", (classes, hidden)), g.weight("b2", (classes,))], name="fc2", transB=1)
    g.node("Softmax", [h], name="probs", axis=-1)
    return g.model(
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", features])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", classes])],
    )


def small_cnn(channels: int = 8, size: int = 16, classes: int = 10) -> onnx.ModelProto:
    g = _Graph(1)
    x = "image"

    def conv_bn_relu(x: str, cin: int, cout: int, tag: str, stride: int = 1) -> str:
        (y,) = g.node(
            "Conv", [x, g.weight(f"{tag}.w", (cout, cin, 3, 3)), g.weight(f"{tag}.b", (cout,))],
            name=f"{tag}.conv", pads=[1, 1, 1, 1], strides=[stride, stride],
        )
        (y,) = g.node(
            "BatchNormalization",
            [y, g.weight(f"{tag}.gamma", (cout,), positive=True), g.weight(f"{tag}.beta", (cout,)),
             g.weight(f"{tag}.mean", (cout,)), g.weight(f"{tag}.var", (cout,), positive=True)],
            name=f"{tag}.bn", epsilon=1e-5,
        )
        (y,) = g.node("Relu", [y], name=f"{tag}.relu")
        return y

    y = conv_bn_relu(x, 3, channels, "block1")
    (y,) = g.node("MaxPool", [y], name="pool1", kernel_shape=[2, 2], strides=[2, 2])
    y = conv_bn_relu(y, channels, 2 * channels, "block2")
    (y,) = g.node("MaxPool", [y], name="pool2", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    y = conv_bn_relu(y, 2 * channels, 2 * channels, "block3")
    (y,) = g.node("GlobalAveragePool", [y], name="gap")
    (y,) = g.node("Flatten", [y], name="flatten", axis=1)
    g.node("Gemm", [y, g.weight("fc.w", (classes, 2 * channels)), g.weight("fc.b", (classes,))], name="logits", transB=1)
    return g.model(
        "small_cnn",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, size, size])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes])],
    )


def transformer_block(seq: int = 16, d_model: int = 64, heads: int = 4, d_ff: int = 128) -> onnx.ModelProto:
    """A pre-softmax-scaled multi-head self-attention block with residuals, LayerNorm and
    an Erf GELU MLP, as torch exports it (Reshape/Transpose for heads, shape constants)."""
    g = _Graph(2)
    dh = d_model // heads
    x = "tokens"
    shape_heads = g.const("shape_heads", np.array([0, seq, heads, dh], dtype=np.int64))
    shape_model = g.const("shape_model", np.array([0, seq, d_model], dtype=np.int64))

    def proj(inp: str, name: str, din: int, dout: int) -> str:
        (y,) = g.node("MatMul", [inp, g.weight(f"{name}.w", (din, dout), scale=din ** -0.5)], name=f"{name}.matmul")
        (y,) = g.node("Add", [y, g.weight(f"{name}.b", (dout,), scale=0.02)], name=f"{name}.bias")
        return y

    def split_heads(inp: str, name: str, perm: list[int]) -> str:
        (y,) = g.node("Reshape", [inp, shape_heads], name=f"{name}.reshape")
        (y,) = g.node("Transpose", [y], name=f"{name}.transpose", perm=perm)
        return y

    q = split_heads(proj(x, "q", d_model, d_model), "q", [0, 2, 1, 3])
    k = split_heads(proj(x, "k", d_model, d_model), "k", [0, 2, 3, 1])
    v = split_heads(proj(x, "v", d_model, d_model), "v", [0, 2, 1, 3])
    (s,) = g.node("MatMul", [q, k], name="scores")
    (s,) = g.node("Div", [s, g.const("sqrt_dh", np.array(np.sqrt(dh), dtype=np.float32))], name="scale")
    (p,) = g.node("Softmax", [s], name="attn_softmax", axis=-1)
    (a,) = g.node("MatMul", [p, v], name="context")
    (a,) = g.node("Transpose", [a], name="merge.transpose", perm=[0, 2, 1, 3])
    (a,) = g.node("Reshape", [a, shape_model], name="merge.reshape")
    a = proj(a, "out", d_model, d_model)
    (h,) = g.node("Add", [x, a], name="residual1")
    (h,) = g.node(
        "LayerNormalization", [h, g.weight("ln1.gamma", (d_model,), positive=True), g.weight("ln1.beta", (d_model,))],
        name="ln1", axis=-1, epsilon=1e-5,
    )
    f = proj(h, "ff1", d_model, d_ff)
    (t,) = g.node("Div", [f, g.const("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))], name="gelu.div")
    (t,) = g.node("Erf", [t], name="gelu.erf")
    (t,) = g.node("Add", [t, g.const("one", np.array(1.0, dtype=np.float32))], name="gelu.add")
    (t,) = g.node("Mul", [f, t], name="gelu.mul")
    (t,) = g.node("Mul", [t, g.const("half", np.array(0.5, dtype=np.float32))], name="gelu.half")
    f = proj(t, "ff2", d_ff, d_model)
    (h2,) = g.node("Add", [h, f], name="residual2")
    g.node(
        "LayerNormalization", [h2, g.weight("ln2.gamma", (d_model,), positive=True), g.weight("ln2.beta", (d_model,))],
        name="ln2", axis=-1, epsilon=1e-5,
    )
    return g.model(
        "transformer_block",
        [helper.make_tensor_value_info("tokens", TensorProto.FLOAT, ["batch", seq, d_model])],
        [helper.make_tensor_value_info("ln2", TensorProto.FLOAT, ["batch", seq, d_model])],
    )




def example_inputs(name: str, seed: int = 0) -> dict[str, np.ndarray]:
    """Seeded inputs for example `name` (EXAMPLES or INDEXED_EXAMPLES): normal floats,
    or token ids below the model's vocabulary."""
    rng = np.random.default_rng(seed)
    if name in INDEXED_EXAMPLES:
        _, shapes, vocab = INDEXED_EXAMPLES[name]
        return {k: rng.integers(0, vocab, v).astype(np.int64) if k == "input_ids" else rng.standard_normal(v).astype(np.float32)
                for k, v in shapes.items()}
    _, shapes = EXAMPLES[name]
    return {k: rng.standard_normal(v).astype(np.float32) for k, v in shapes.items()}


def main(argv: list[str]) -> int:
    out = argv[0] if argv else "."
    os.makedirs(out, exist_ok=True)
    for name, (build, *_) in {**EXAMPLES, **INDEXED_EXAMPLES}.items():
        path = os.path.join(out, f"{name}.onnx")
        onnx.save(build(), path)
        print(path)
    return 0



def torch_style_transformer(seq: int = 16, d_model: int = 64, heads: int = 4, d_ff: int = 128) -> onnx.ModelProto:
    """A transformer block as torch.onnx exports it, every fused op written out (opset
    17): decomposed LayerNorm (ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add), erf
    GELU as Div(sqrt 2)/Erf/Add(1)/Mul/Mul(0.5), causal-masked attention as
    MatMul/Transpose/Div(sqrt d)/Add(mask)/Softmax/MatMul, an RMSNorm
    (Pow/ReduceMean/Add/Sqrt/Div/Mul) and a second MLP branch with the tanh GELU
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). The batch dim is symbolic."""
    g = _Graph(3)
    dh = d_model // heads
    x = "tokens"
    shape_heads = g.const("shape_heads", np.array([0, seq, heads, dh], dtype=np.int64))
    shape_model = g.const("shape_model", np.array([0, seq, d_model], dtype=np.int64))
    mask = g.const("causal_mask", np.triu(np.full((seq, seq), -1e9, dtype=np.float32), k=1))
    two = g.const("two", np.array(2.0, dtype=np.float32))
    eps = g.const("eps", np.array(1e-5, dtype=np.float32))
    one = g.const("one", np.array(1.0, dtype=np.float32))
    half = g.const("half", np.array(0.5, dtype=np.float32))

    def proj(inp: str, name: str, din: int, dout: int) -> str:
        (y,) = g.node("MatMul", [inp, g.weight(f"{name}.w", (din, dout), scale=din ** -0.5)], name=f"{name}.matmul")
        (y,) = g.node("Add", [y, g.weight(f"{name}.b", (dout,), scale=0.02)], name=f"{name}.bias")
        return y

    def layer_norm(inp: str, name: str) -> str:
        (m,) = g.node("ReduceMean", [inp], name=f"{name}.mean", axes=[-1], keepdims=1)
        (d,) = g.node("Sub", [inp, m], name=f"{name}.sub")
        (sq,) = g.node("Pow", [d, two], name=f"{name}.pow")
        (var,) = g.node("ReduceMean", [sq], name=f"{name}.var", axes=[-1], keepdims=1)
        (ve,) = g.node("Add", [var, eps], name=f"{name}.add_eps")
        (std,) = g.node("Sqrt", [ve], name=f"{name}.sqrt")
        (n,) = g.node("Div", [d, std], name=f"{name}.div")
        (y,) = g.node("Mul", [n, g.weight(f"{name}.weight", (d_model,), positive=True)], name=f"{name}.scale")
        (y,) = g.node("Add", [y, g.weight(f"{name}.bias", (d_model,))], name=f"{name}.shift")
        return y

    def rms_norm(inp: str, name: str) -> str:
        (sq,) = g.node("Pow", [inp, two], name=f"{name}.pow")
        (ms,) = g.node("ReduceMean", [sq], name=f"{name}.mean", axes=[-1], keepdims=1)
        (ve,) = g.node("Add", [ms, eps], name=f"{name}.add_eps")
        (r,) = g.node("Sqrt", [ve], name=f"{name}.sqrt")
        (n,) = g.node("Div", [inp, r], name=f"{name}.div")
        (y,) = g.node("Mul", [n, g.weight(f"{name}.weight", (d_model,), positive=True)], name=f"{name}.scale")
        return y

    def gelu_erf(inp: str, name: str) -> str:
        (t,) = g.node("Div", [inp, g.const(f"{name}.sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))], name=f"{name}.div")
        (t,) = g.node("Erf", [t], name=f"{name}.erf")
        (t,) = g.node("Add", [t, one], name=f"{name}.add")
        (t,) = g.node("Mul", [inp, t], name=f"{name}.mul")
        (t,) = g.node("Mul", [t, half], name=f"{name}.half")
        return t

    def gelu_tanh(inp: str, name: str) -> str:
        (c,) = g.node("Pow", [inp, g.const(f"{name}.three", np.array(3.0, dtype=np.float32))], name=f"{name}.cube")
        (c,) = g.node("Mul", [g.const(f"{name}.k", np.array(0.044715, dtype=np.float32)), c], name=f"{name}.cubic")
        (t,) = g.node("Add", [inp, c], name=f"{name}.inner")
        (t,) = g.node("Mul", [g.const(f"{name}.s", np.array(np.sqrt(2.0 / np.pi), dtype=np.float32)), t], name=f"{name}.scale")
        (t,) = g.node("Tanh", [t], name=f"{name}.tanh")
        (t,) = g.node("Add", [one, t], name=f"{name}.add")
        (h,) = g.node("Mul", [half, inp], name=f"{name}.half")
        (t,) = g.node("Mul", [h, t], name=f"{name}.mul")
        return t

    def split_heads(inp: str, name: str, perm: list[int]) -> str:
        (y,) = g.node("Reshape", [inp, shape_heads], name=f"{name}.reshape")
        (y,) = g.node("Transpose", [y], name=f"{name}.transpose", perm=perm)
        return y

    q = split_heads(proj(x, "q", d_model, d_model), "q", [0, 2, 1, 3])
    k = split_heads(proj(x, "k", d_model, d_model), "k", [0, 2, 1, 3])
    v = split_heads(proj(x, "v", d_model, d_model), "v", [0, 2, 1, 3])
    (kt,) = g.node("Transpose", [k], name="k.transpose_t", perm=[0, 1, 3, 2])
    (s,) = g.node("MatMul", [q, kt], name="scores")
    (s,) = g.node("Div", [s, g.const("sqrt_dh", np.array(np.sqrt(dh), dtype=np.float32))], name="scale")
    (s,) = g.node("Add", [s, mask], name="mask")
    (p,) = g.node("Softmax", [s], name="attn_softmax", axis=-1)
    (a,) = g.node("MatMul", [p, v], name="context")
    (a,) = g.node("Transpose", [a], name="merge.transpose", perm=[0, 2, 1, 3])
    (a,) = g.node("Reshape", [a, shape_model], name="merge.reshape")
    a = proj(a, "out", d_model, d_model)
    (h,) = g.node("Add", [x, a], name="residual1")
    h = layer_norm(h, "ln1")
    f = proj(gelu_erf(proj(h, "ff1", d_model, d_ff), "gelu1"), "ff2", d_ff, d_model)
    (h,) = g.node("Add", [h, f], name="residual2")
    r = rms_norm(h, "rms")
    f = proj(gelu_tanh(proj(r, "ff3", d_model, d_ff), "gelu2"), "ff4", d_ff, d_model)
    (h,) = g.node("Add", [h, f], name="residual3")
    out = layer_norm(h, "ln2")
    (out,) = g.node("Identity", [out], name="output")
    return g.model(
        "torch_style_transformer",
        [helper.make_tensor_value_info("tokens", TensorProto.FLOAT, ["batch", seq, d_model])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["batch", seq, d_model])],
    )


def gpt_style(vocab: int = 1000, seq: int = 32, d_model: int = 64, heads: int = 4, layers: int = 2, d_ff: int = 256) -> onnx.ModelProto:
    """A GPT-style decoder on token ids (int64 `input_ids[batch, seq]`): token embedding
    Gather(wte, input_ids) plus position embedding Gather(wpe, positions), `layers`
    pre-LayerNorm blocks (causal multi-head attention, erf-GELU MLP, residuals), a final
    LayerNorm and an LM head tied to wte (MatMul with wte transposed) -> logits
    [batch, seq, vocab]. Its Gather reads rows chosen by the caller's token ids."""
    g = _Graph(4)
    dh = d_model // heads
    wte = g.weight("wte", (vocab, d_model), scale=0.1)
    wpe = g.weight("wpe", (seq, d_model), scale=0.1)
    positions = g.const("positions", np.arange(seq, dtype=np.int64))
    shape_heads = g.const("shape_heads", np.array([0, seq, heads, dh], dtype=np.int64))
    shape_model = g.const("shape_model", np.array([0, seq, d_model], dtype=np.int64))
    mask = g.const("causal_mask", np.triu(np.full((seq, seq), -1e9, dtype=np.float32), k=1))
    (tok,) = g.node("Gather", [wte, "input_ids"], name="embed_tokens", axis=0)
    (pos,) = g.node("Gather", [wpe, positions], name="embed_positions", axis=0)
    (h,) = g.node("Add", [tok, pos], name="embed")

    def proj(inp: str, name: str, din: int, dout: int) -> str:
        (y,) = g.node("MatMul", [inp, g.weight(f"{name}.w", (din, dout), scale=din ** -0.5)], name=f"{name}.matmul")
        (y,) = g.node("Add", [y, g.weight(f"{name}.b", (dout,), scale=0.02)], name=f"{name}.bias")
        return y

    def layer_norm(inp: str, name: str) -> str:
        gamma, beta = g.weight(f"{name}.gamma", (d_model,), positive=True), g.weight(f"{name}.beta", (d_model,))
        (y,) = g.node("LayerNormalization", [inp, gamma, beta], name=name, axis=-1, epsilon=1e-5)
        return y

    def split_heads(inp: str, name: str) -> str:
        (y,) = g.node("Reshape", [inp, shape_heads], name=f"{name}.reshape")
        (y,) = g.node("Transpose", [y], name=f"{name}.transpose", perm=[0, 2, 1, 3])
        return y

    for n in range(layers):
        p = f"h{n}"
        x = layer_norm(h, f"{p}.ln1")
        q, k, v = (split_heads(proj(x, f"{p}.{w}", d_model, d_model), f"{p}.{w}") for w in "qkv")
        (kt,) = g.node("Transpose", [k], name=f"{p}.k.transpose_t", perm=[0, 1, 3, 2])
        (s,) = g.node("MatMul", [q, kt], name=f"{p}.scores")
        (s,) = g.node("Div", [s, g.const(f"{p}.sqrt_dh", np.array(np.sqrt(dh), dtype=np.float32))], name=f"{p}.scale")
        (s,) = g.node("Add", [s, mask], name=f"{p}.mask")
        (a,) = g.node("Softmax", [s], name=f"{p}.softmax", axis=-1)
        (a,) = g.node("MatMul", [a, v], name=f"{p}.context")
        (a,) = g.node("Transpose", [a], name=f"{p}.merge.transpose", perm=[0, 2, 1, 3])
        (a,) = g.node("Reshape", [a, shape_model], name=f"{p}.merge.reshape")
        (h,) = g.node("Add", [h, proj(a, f"{p}.out", d_model, d_model)], name=f"{p}.residual1")
        f = proj(layer_norm(h, f"{p}.ln2"), f"{p}.ff1", d_model, d_ff)
        (t,) = g.node("Div", [f, g.const(f"{p}.sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))], name=f"{p}.gelu.div")
        (t,) = g.node("Erf", [t], name=f"{p}.gelu.erf")
        (t,) = g.node("Add", [t, g.const(f"{p}.one", np.array(1.0, dtype=np.float32))], name=f"{p}.gelu.add")
        (t,) = g.node("Mul", [f, t], name=f"{p}.gelu.mul")
        (t,) = g.node("Mul", [t, g.const(f"{p}.half", np.array(0.5, dtype=np.float32))], name=f"{p}.gelu.half")
        (h,) = g.node("Add", [h, proj(t, f"{p}.ff2", d_ff, d_model)], name=f"{p}.residual2")
    (wte_t,) = g.node("Transpose", [wte], name="lm_head.transpose", perm=[1, 0])
    (logits,) = g.node("MatMul", [layer_norm(h, "ln_f"), wte_t], name="lm_head")
    return g.model(
        "gpt_style",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", seq])],
        [helper.make_tensor_value_info(logits, TensorProto.FLOAT, ["batch", seq, vocab])],
    )


def vit_style(size: int = 16, patch: int = 8, d_model: int = 32, d_ff: int = 64, classes: int = 10) -> onnx.ModelProto:
    """A ViT-style classifier as torch exports it: Conv patch embedding, flatten to
    tokens, a CLS token expanded to the batch (Shape/Gather/Concat/Expand) and
    concatenated in front, position embedding, one pre-LayerNorm MLP block, then the CLS
    token taken with a Gather of a scalar (rank-0) index, LayerNorm and a Gemm head."""
    g = _Graph(5)
    tokens = (size // patch) ** 2
    (p,) = g.node("Conv", ["image", g.weight("patch.w", (d_model, 3, patch, patch), scale=0.1), g.weight("patch.b", (d_model,))],
                  name="patch_embed", kernel_shape=[patch, patch], strides=[patch, patch])
    (p,) = g.node("Reshape", [p, g.const("flat_shape", np.array([0, d_model, tokens], dtype=np.int64))], name="patch_flatten")
    (p,) = g.node("Transpose", [p], name="patch_tokens", perm=[0, 2, 1])
    (shape,) = g.node("Shape", ["image"], name="image_shape")
    (batch,) = g.node("Gather", [shape, g.const("zero", np.array(0, dtype=np.int64))], name="batch_size", axis=0)
    (batch,) = g.node("Unsqueeze", [batch, g.const("axis0", np.array([0], dtype=np.int64))], name="batch_1d")
    (cls_shape,) = g.node("Concat", [batch, g.const("one_d", np.array([1, d_model], dtype=np.int64))], name="cls_shape", axis=0)
    (cls,) = g.node("Expand", [g.weight("cls_token", (1, 1, d_model)), cls_shape], name="cls_expand")
    (h,) = g.node("Concat", [cls, p], name="with_cls", axis=1)
    (h,) = g.node("Add", [h, g.weight("pos_embed", (1, tokens + 1, d_model))], name="pos_add")

    def layer_norm(inp: str, name: str) -> str:
        gamma, beta = g.weight(f"{name}.gamma", (d_model,), positive=True), g.weight(f"{name}.beta", (d_model,))
        (y,) = g.node("LayerNormalization", [inp, gamma, beta], name=name, axis=-1, epsilon=1e-6)
        return y

    (f,) = g.node("MatMul", [layer_norm(h, "ln1"), g.weight("fc1.w", (d_model, d_ff), scale=d_model ** -0.5)], name="fc1")
    (f,) = g.node("Relu", [f], name="fc1.relu")
    (f,) = g.node("MatMul", [f, g.weight("fc2.w", (d_ff, d_model), scale=d_ff ** -0.5)], name="fc2")
    (h,) = g.node("Add", [h, f], name="residual")
    (c,) = g.node("Gather", [h, g.const("cls_index", np.array(0, dtype=np.int64))], name="take_cls", axis=1)
    g.node("Gemm", [layer_norm(c, "ln_head"), g.weight("head.w", (classes, d_model)), g.weight("head.b", (classes,))],
           name="head", transB=1)
    return g.model(
        "vit_style",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, size, size])],
        [helper.make_tensor_value_info("head", TensorProto.FLOAT, ["N", classes])],
    )


def bert_pooler_style(vocab: int = 100, seq: int = 8, d_model: int = 32, classes: int = 3) -> onnx.ModelProto:
    """A BERT-style sequence classifier on token ids: word + position embeddings
    (Gather), LayerNorm, a feed-forward block, then BERT's pooler: the first token taken
    with a Gather of a scalar (rank-0) index, Gemm and Tanh, and a Gemm classifier."""
    g = _Graph(6)
    (h,) = g.node("Gather", [g.weight("word_embeddings", (vocab, d_model), scale=0.1), "input_ids"], name="embed_words", axis=0)
    (h,) = g.node("Add", [h, g.weight("position_embeddings", (seq, d_model), scale=0.1)], name="embed_positions")
    (h,) = g.node("LayerNormalization", [h, g.weight("ln.gamma", (d_model,), positive=True), g.weight("ln.beta", (d_model,))],
                  name="embed_ln", axis=-1, epsilon=1e-12)
    (f,) = g.node("MatMul", [h, g.weight("ff.w", (d_model, d_model), scale=d_model ** -0.5)], name="ff")
    (f,) = g.node("Add", [f, g.weight("ff.b", (d_model,), scale=0.02)], name="ff.bias")
    (f,) = g.node("Tanh", [f], name="ff.act")
    (h,) = g.node("Add", [h, f], name="residual")
    (first,) = g.node("Gather", [h, g.const("first_token", np.array(0, dtype=np.int64))], name="pooler.take_first", axis=1)
    (pooled,) = g.node("Gemm", [first, g.weight("pooler.w", (d_model, d_model), scale=d_model ** -0.5), g.weight("pooler.b", (d_model,))],
                       name="pooler.dense", transB=1)
    (pooled,) = g.node("Tanh", [pooled], name="pooler.act")
    g.node("Gemm", [pooled, g.weight("classifier.w", (classes, d_model)), g.weight("classifier.b", (classes,))],
           name="classifier", transB=1)
    return g.model(
        "bert_pooler_style",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", seq])],
        [helper.make_tensor_value_info("classifier", TensorProto.FLOAT, ["batch", classes])],
    )


EXAMPLES = {
    "mlp": (mlp, {"x": [4, 64]}),
    "small_cnn": (small_cnn, {"image": [2, 3, 16, 16]}),
    "transformer_block": (transformer_block, {"tokens": [2, 16, 64]}),
    "torch_style_transformer": (torch_style_transformer, {"tokens": [2, 16, 64]}),
}

# Models with a Gather (token ids, or a scalar index): (builder, input shapes, the
# bound of token ids, or 0 for none). Kept apart from EXAMPLES because the GPU path
# does not lower Gather yet.
INDEXED_EXAMPLES = {
    "gpt_style": (gpt_style, {"input_ids": [2, 32]}, 1000),
    "vit_style": (vit_style, {"image": [2, 3, 16, 16]}, 0),
    "bert_pooler_style": (bert_pooler_style, {"input_ids": [2, 8]}, 100),
}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
