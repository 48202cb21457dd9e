"""Models built with torch.nn modules (random weights, fixed seeds) and exported with
torch.onnx.export's TorchScript exporter, as users' models are: the GPU path's
interpreter tests run them against onnxruntime (tests/test_triton_models.py), and
tools.gpu_benchmark times them against the same torch modules eager and under
torch.compile. Needs torch (the `gpu` extra).

- `gpt_decoder`: a GPT-style decoder: token and position embeddings (Gather), pre-LN
  blocks whose fused QKV projection is split in three (Split), causal self-attention
  (a masked_fill with -inf), tanh-GELU MLP, a final LayerNorm and logits tied to the
  token embedding; input int64 token ids.
- `bert_encoder`: a BERT-style encoder: word, position and token-type embeddings,
  post-LN blocks, an additive attention mask built from an int64 padding mask
  ((1 - mask) * -10000), erf-GELU, and a tanh pooler on the first token; two outputs.
- `unet`: a small U-Net: conv/BatchNorm/ReLU encoder stages, MaxPool, a depthwise and a
  grouped conv, a BatchNorm after the skip Concat (not foldable into a conv), an
  AveragePool branch, ConvTranspose (stride 2) and Resize (nearest and bilinear)
  upsampling, a 1x1 output conv.

`MODULES[name]()` returns (torch module, example inputs as numpy arrays, input names,
output names); `ZOO[name]()` returns (onnx.ModelProto, feeds) of its export. Sizes are
small so that Triton's interpreter runs them in seconds.
"""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import onnx


def _export(module, args, input_names, output_names) -> onnx.ModelProto:
    import torch

    module.eval()
    f = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, f, input_names=input_names, output_names=output_names, opset_version=17,
                          dynamo=False)
    return onnx.load_from_string(f.getvalue())


def gpt_decoder_module(vocab: int = 64, d: int = 32, heads: int = 2, layers: int = 2, seq: int = 8, batch: int = 2):
    import torch
    from torch import nn

    torch.manual_seed(0)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
            self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
            self.register_buffer("causal", torch.tril(torch.ones(seq, seq, dtype=torch.bool)))

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
            q, k, v = (z.view(b, t, heads, d // heads).transpose(1, 2) for z in (q, k, v))
            att = (q @ k.transpose(-2, -1)) / math.sqrt(d // heads)
            att = att.masked_fill(~self.causal[:t, :t], float("-inf")).softmax(-1)
            y = (att @ v).transpose(1, 2).reshape(b, t, d)
            x = x + self.proj(y)
            return x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x)), approximate="tanh"))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(seq, d)
            self.blocks = nn.ModuleList(Block() for _ in range(layers))
            self.ln = nn.LayerNorm(d)

        def forward(self, tokens):
            x = self.tok(tokens) + self.pos(torch.arange(tokens.shape[1]))
            for blk in self.blocks:
                x = blk(x)
            return self.ln(x) @ self.tok.weight.t()

    tokens = np.random.default_rng(1).integers(0, vocab, size=(batch, seq)).astype(np.int64)
    return GPT(), [tokens], ["tokens"], ["logits"]


def bert_encoder_module(vocab: int = 50, d: int = 32, heads: int = 4, layers: int = 2, seq: int = 8, batch: int = 2):
    import torch
    from torch import nn

    torch.manual_seed(0)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
            self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-12), nn.LayerNorm(d, eps=1e-12)
            self.fc1, self.fc2 = nn.Linear(d, 2 * d), nn.Linear(2 * d, d)

        def forward(self, x, bias):
            b, t, _ = x.shape

            def heads_of(z):
                return z.view(b, t, heads, d // heads).permute(0, 2, 1, 3)

            q, k, v = heads_of(self.q(x)), heads_of(self.k(x)), heads_of(self.v(x))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d // heads) + bias
            ctx = torch.matmul(scores.softmax(-1), v).permute(0, 2, 1, 3).reshape(b, t, d)
            x = self.ln1(x + self.o(ctx))
            return self.ln2(x + self.fc2(nn.functional.gelu(self.fc1(x))))

    class Bert(nn.Module):
        def __init__(self):
            super().__init__()
            self.word, self.pos, self.segment = nn.Embedding(vocab, d), nn.Embedding(seq, d), nn.Embedding(2, d)
            self.ln = nn.LayerNorm(d, eps=1e-12)
            self.layers = nn.ModuleList(Layer() for _ in range(layers))
            self.pool = nn.Linear(d, d)

        def forward(self, ids, mask, types):
            x = self.ln(self.word(ids) + self.pos(torch.arange(ids.shape[1])) + self.segment(types))
            bias = (1.0 - mask[:, None, None, :].to(torch.float32)) * -10000.0
            for layer in self.layers:
                x = layer(x, bias)
            return x, torch.tanh(self.pool(x[:, 0]))

    rng = np.random.default_rng(2)
    ids = rng.integers(0, vocab, size=(batch, seq)).astype(np.int64)
    mask = np.ones((batch, seq), np.int64)
    mask[1, seq - 3:] = 0  # the second sequence is padded
    types = np.zeros((batch, seq), np.int64)
    types[:, seq // 2:] = 1
    return Bert(), [ids, mask, types], ["input_ids", "attention_mask", "token_type_ids"], ["hidden", "pooled"]


def unet_module(channels: int = 8, size: int = 16):
    import torch
    from torch import nn

    torch.manual_seed(0)
    c = channels

    def stage(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(),
                             nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())

    class UNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc1, self.enc2 = stage(3, c), stage(c, 2 * c)
            self.dw = nn.Conv2d(2 * c, 2 * c, 3, padding=1, groups=2 * c)  # depthwise
            self.grouped = nn.Conv2d(2 * c, 2 * c, 3, padding=2, dilation=2, groups=4)
            self.up = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
            self.bn_skip = nn.BatchNorm2d(2 * c)
            self.dec = stage(2 * c, c)
            self.avg = nn.AvgPool2d(3, stride=1, padding=1)
            self.out = nn.Conv2d(c, 2, 1)
            for m in self.modules():  # non-trivial running statistics
                if isinstance(m, nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 1.5)

        def forward(self, x):
            s1 = self.enc1(x)  # [N, c, H, W]
            h = self.enc2(nn.functional.max_pool2d(s1, 2))  # [N, 2c, H/2, W/2]
            h = torch.relu(self.grouped(self.dw(h))) + h
            u = self.up(h)  # [N, c, H, W]
            d = self.dec(torch.relu(self.bn_skip(torch.cat([u, s1], dim=1))))
            d = d + self.avg(d)
            coarse = nn.functional.interpolate(nn.functional.max_pool2d(d, 2), scale_factor=2, mode="nearest")
            smooth = nn.functional.interpolate(d, scale_factor=0.5, mode="bilinear", align_corners=False)
            smooth = nn.functional.interpolate(smooth, size=(size, size), mode="bilinear", align_corners=False)
            return self.out(d + coarse + smooth)

    x = np.random.default_rng(3).standard_normal((1, 3, size, size)).astype(np.float32)
    return UNet(), [x], ["image"], ["mask"]


MODULES = {"gpt_decoder": gpt_decoder_module, "bert_encoder": bert_encoder_module, "unet": unet_module}


def exported(name: str):
    """(onnx.ModelProto, feeds) of MODULES[name]'s export."""
    import torch

    module, arrays, input_names, output_names = MODULES[name]()
    model = _export(module, tuple(torch.from_numpy(a) for a in arrays), input_names, output_names)
    return model, dict(zip(input_names, arrays))


ZOO = {name: (lambda name=name: exported(name)) for name in MODULES}
