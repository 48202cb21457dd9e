"""Whole small models (MLP, small CNN, transformer block) compiled by Strata and
compared with onnxruntime at rtol/atol 1e-4, at every optimization level."""

import numpy as np
import pytest

from tests.ort_check import assert_matches_ort
from tools.example_models import EXAMPLES, example_inputs


@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize("opt_level", [0, 3])
def test_example_model_matches_onnxruntime(name, opt_level):
    build, shapes = EXAMPLES[name]
    assert_matches_ort(build(), example_inputs(name), input_shapes=shapes, opt_level=opt_level)


def test_other_batch_sizes_compile_separately():
    build, _ = EXAMPLES["mlp"]
    model = build()
    for batch in (1, 7):
        feeds = {"x": np.random.default_rng(batch).standard_normal((batch, 64)).astype(np.float32)}
        assert_matches_ort(model, feeds, input_shapes={"x": [batch, 64]})
