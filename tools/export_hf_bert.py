"""Exports the tiny Hugging Face BERT that tests/test_hf_bert.py compiles: transformers'
BertModel from a small config (hidden 64, 2 layers, 2 heads, vocab 500, 128 positions)
with seeded random weights, through torch.onnx.export (the TorchScript exporter) with
dynamic batch and sequence axes, as users export HF models. Its embeddings take
token_type_ids from a registered buffer, sliced to the sequence length and broadcast
with Expand + GatherElements: the pattern the importer has to type.

    python3 -m tools.export_hf_bert [OUT.onnx]     # default: tests/data/hf_bert_tiny.onnx

Needs transformers and torch (not needed to run the tests: the .onnx is committed).
"""

from __future__ import annotations

import os
import sys

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "data", "hf_bert_tiny.onnx")
CONFIG = dict(vocab_size=500, hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128,
              max_position_embeddings=128)


def export(path: str = DEFAULT_OUT) -> str:
    # transformers imports torchvision when it is installed; a torchvision built for
    # another torch fails on import (as on these machines), and BERT does not need it.
    import importlib.util

    if importlib.util.find_spec("torchvision") is not None:
        try:
            import torchvision  # noqa: F401
        except Exception:
            sys.modules["torchvision"] = None  # type: ignore[assignment]
    import torch
    from transformers import BertConfig, BertModel

    torch.manual_seed(0)
    bert = BertModel(BertConfig(**CONFIG)).eval()

    class LastHiddenAndPooled(torch.nn.Module):
        """BertModel's two outputs as a tuple (the exporter takes tensors)."""

        def __init__(self, model: torch.nn.Module):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            out = self.model(input_ids=input_ids, attention_mask=attention_mask)
            return out.last_hidden_state, out.pooler_output

    ids = torch.randint(0, CONFIG["vocab_size"], (1, 16))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    torch.onnx.export(
        LastHiddenAndPooled(bert), (ids, torch.ones_like(ids)), path, dynamo=False, opset_version=17,
        input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state", "pooler_output"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
            "last_hidden_state": {0: "batch", 1: "sequence"},
            "pooler_output": {0: "batch"},
        },
    )
    return path


if __name__ == "__main__":
    print(export(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT))
