"""Whole small models (MLP, small CNN, transformer blocks, and the Gather models: a
GPT-style decoder on token ids, ViT- and BERT-pooler-style heads with a scalar index)
compiled by Strata and compared with onnxruntime at rtol/atol 1e-4, at -O0 and -O3."""

import numpy as np
import pytest

from tests.ort_check import assert_matches_ort
from tools.example_models import EXAMPLES, INDEXED_EXAMPLES, example_inputs


@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize("opt_level", [0, 3])
def test_example_model_matches_onnxruntime(name, opt_level):
    build, shapes = EXAMPLES[name]
    assert_matches_ort(build(), example_inputs(name), input_shapes=shapes, opt_level=opt_level)


@pytest.mark.parametrize("name", sorted(INDEXED_EXAMPLES))
@pytest.mark.parametrize("opt_level", [0, 3])
def test_indexed_example_model_matches_onnxruntime(name, opt_level):
    build, shapes, _ = INDEXED_EXAMPLES[name]
    assert_matches_ort(build(), example_inputs(name), input_shapes=shapes, opt_level=opt_level)


def test_other_batch_sizes_compile_separately():
    build, _ = EXAMPLES["mlp"]
    model = build()
    for batch in (1, 7):
        feeds = {"x": np.random.default_rng(batch).standard_normal((batch, 64)).astype(np.float32)}
        assert_matches_ort(model, feeds, input_shapes={"x": [batch, 64]})
