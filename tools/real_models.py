"""Real architectures from widely used libraries, with random weights, exported to ONNX.

Each model is built from its library's own code and configuration (timm, torchvision,
transformers; nothing is downloaded: `pretrained=False` and configs, seeded random
weights), exported once with `torch.onnx.export` into a cache folder and reused from
there (`$STRATA_CACHE_DIR/bench_models/`, default `~/.cache/strata/bench_models/`).
Running models that are already exported needs neither torch nor the libraries; the
inputs are made here with numpy from each model's input description.

    python -m tools.real_models                    # export every model not yet in the cache
    python -m tools.real_models --models resnet50,bert_base --force

The libraries are the `bench` extra (`pip install -e '.[bench]'`). PyPI's torchvision
wheel is a CUDA build whose C++ ops do not load beside the CPU torch build; torchvision
0.28.0 then fails at import in `_meta_registrations.py`, which registers fake kernels for
`torchvision::nms`/`qnms` without checking that the ops exist. timm imports torchvision
(it needs only its Python code, e.g. `torchvision.ops.misc.FrozenBatchNorm2d`), and so
does transformers when torchvision is installed. `import_torchvision()` defines those two
op schemas, without kernels, before the import, so the import succeeds; no model here
calls them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from runtime.object_cache import cache_dir

IMAGE = (("x", (1, 3, 224, 224), "float32"),)
SEQUENCE = 128
TOKENS = (("input_ids", (1, SEQUENCE), "int64"), ("attention_mask", (1, SEQUENCE), "int64"))
# transformers' default vocabulary sizes: token ids are drawn below these.
VOCAB = {"gpt2": 50257, "distilbert": 30522, "bert_base": 30522}


@dataclass(frozen=True)
class RealModel:
    name: str
    source: str  # the library call that builds it, as shown in tables
    inputs: tuple[tuple[str, tuple[int, ...], str], ...]  # (name, shape, numpy dtype)
    build: Callable[[], object]  # -> torch.nn.Module in eval mode (imports torch lazily)


def import_torchvision():
    """Imports torchvision even when its C++ ops cannot load (see the module docstring)."""
    try:
        import torchvision
    except RuntimeError as e:
        if "torchvision::nms does not exist" not in str(e):
            raise
        import torch

        for op in ("nms", "qnms"):
            torch.library.define(f"torchvision::{op}", "(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
        for module in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
            del sys.modules[module]  # the failed import left these half-initialized
        import torchvision
    return torchvision


def _timm(name: str) -> Callable[[], object]:
    def build():
        import_torchvision()
        import timm

        return timm.create_model(name, pretrained=False)

    return build


def _torchvision_resnet18():
    return import_torchvision().models.resnet18(weights=None)


def _last_hidden_state(model):
    """Wraps a transformers model so that the export has one output, the last hidden state."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    return LastHiddenState()


def _gpt2():
    from transformers import GPT2Config, GPT2Model

    config = GPT2Config(n_layer=4, n_positions=SEQUENCE, use_cache=False, attn_implementation="eager")
    return _last_hidden_state(GPT2Model(config))


def _distilbert():
    from transformers import DistilBertConfig, DistilBertModel

    return _last_hidden_state(DistilBertModel(DistilBertConfig(attn_implementation="eager")))


def _bert_base():
    from transformers import BertConfig, BertModel

    return _last_hidden_state(BertModel(BertConfig(attn_implementation="eager"), add_pooling_layer=False))


REAL_MODELS: dict[str, RealModel] = {
    m.name: m
    for m in [
        RealModel("resnet18", "torchvision.models.resnet18()", IMAGE, _torchvision_resnet18),
        RealModel("resnet50", "timm resnet50", IMAGE, _timm("resnet50")),
        RealModel("mobilenetv3_large_100", "timm mobilenetv3_large_100", IMAGE, _timm("mobilenetv3_large_100")),
        RealModel("efficientnet_b0", "timm efficientnet_b0", IMAGE, _timm("efficientnet_b0")),
        RealModel("densenet121", "timm densenet121", IMAGE, _timm("densenet121")),
        RealModel("convnext_tiny", "timm convnext_tiny", IMAGE, _timm("convnext_tiny")),
        RealModel("vit_small_patch16_224", "timm vit_small_patch16_224", IMAGE, _timm("vit_small_patch16_224")),
        RealModel("gpt2", "transformers GPT2Model, 4 layers", TOKENS, _gpt2),
        RealModel("distilbert", "transformers DistilBertModel", TOKENS, _distilbert),
        RealModel("bert_base", "transformers BertModel (BERT-base config)", TOKENS, _bert_base),
    ]
}


def models_folder() -> str:
    return os.path.join(cache_dir(), "bench_models")


def model_path(name: str) -> str:
    return os.path.join(models_folder(), f"{name}.onnx")


def feeds(name: str, seed: int = 0) -> dict[str, np.ndarray]:
    """The model's inputs: standard normal images; token ids below the vocabulary size
    and an attention mask whose last 16 positions are padding (so the mask matters)."""
    rng = np.random.default_rng(seed)
    out = {}
    for input_name, shape, dtype in REAL_MODELS[name].inputs:
        if input_name == "input_ids":
            out[input_name] = rng.integers(0, VOCAB[name], size=shape).astype(dtype)
        elif input_name == "attention_mask":
            mask = np.ones(shape, dtype=dtype)
            mask[..., -16:] = 0
            out[input_name] = mask
        else:
            out[input_name] = rng.standard_normal(shape).astype(dtype)
    return out


def export(name: str, force: bool = False) -> str:
    """The path of the model's ONNX file, exported first unless it is in the cache."""
    path = model_path(name)
    if os.path.exists(path) and not force:
        return path
    import torch

    spec = REAL_MODELS[name]
    torch.manual_seed(0)
    model = spec.build().eval()
    example = tuple(torch.from_numpy(a) for a in feeds(name).values())
    os.makedirs(models_folder(), exist_ok=True)
    tmp = f"{path}.{os.getpid()}.tmp"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "legacy TorchScript-based ONNX export"
        # The TorchScript exporter (dynamo=False) needs no onnxscript and keeps ONNX node
        # names that say which module a node came from.
        torch.onnx.export(
            model,
            example,
            tmp,
            input_names=[n for n, _, _ in spec.inputs],
            output_names=["output"],
            opset_version=17,
            dynamo=False,
        )
    os.replace(tmp, path)  # a reader never sees a half-written file
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="all", help=f"comma-separated names, or 'all': {', '.join(REAL_MODELS)}")
    parser.add_argument("--force", action="store_true", help="export again even when the file is in the cache")
    args = parser.parse_args(argv)
    names = list(REAL_MODELS) if args.models == "all" else args.models.split(",")
    unknown = [n for n in names if n not in REAL_MODELS]
    if unknown:
        parser.error(f"unknown models {unknown}; known: {', '.join(REAL_MODELS)}")
    for name in names:
        t = time.perf_counter()
        cached = os.path.exists(model_path(name)) and not args.force
        path = export(name, args.force)
        how = "cached" if cached else f"exported in {time.perf_counter() - t:.1f} s"
        print(f"{name:24} {os.path.getsize(path) / 2**20:7.1f} MiB  {how}  {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
