"""The activation table (dialects/strata/activation.py) and its readers: every back end
covers every activation (or says it does not), the table's ONNX op, selectors and
parameters match the onnx dialect's op classes, an `onnx` op maps to its activation,
and the exported nodes compute the activation (ONNX's reference evaluator against
numpy formulas)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper
from onnx.reference import ReferenceEvaluator
from xdsl.parser import Parser
from xdsl.utils.exceptions import VerifyException

from compiler.context import make_context
from compiler.onnx_export import NEWER_ACTIVATION_NODES, activation_nodes
from compiler.onnx_import import TARGET_OPSET
from compiler.passes.fuse_activation import _activation
from compiler.passes.layout_nchwc import _blocked_activation
from dialects.onnx import ONNX_OPS
from dialects.strata.activation import ACTIVATIONS, Activation, activation_for, is_blocked, param_count
from lowering.kernels.activation import SCALAR_ACTIVATIONS, apply_activation
from lowering.triton_kernels.bodies import TRITON_ACTIVATIONS, TRITON_UNSUPPORTED

EVERY = set(Activation) - {Activation.NONE}

# activation -> (sample parameters, numpy reference of act(x) with those parameters)
_erf = np.vectorize(__import__("math").erf)
REFERENCE = {
    Activation.RELU: ([], lambda x: np.maximum(x, 0)),
    Activation.CLIP: ([-0.5, 1.5], lambda x: np.clip(x, -0.5, 1.5)),
    Activation.LEAKY_RELU: ([0.2], lambda x: np.where(x < 0, 0.2 * x, x)),
    Activation.SIGMOID: ([], lambda x: 1 / (1 + np.exp(-x))),
    Activation.HARD_SIGMOID: ([0.3, 0.4], lambda x: np.clip(0.3 * x + 0.4, 0, 1)),
    Activation.HARD_SWISH: ([], lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    Activation.TANH: ([], np.tanh),
    Activation.GELU: ([], lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2)))),
    Activation.GELU_TANH: ([], lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))),
    Activation.SWISH: ([1.5], lambda x: x / (1 + np.exp(-1.5 * x))),
}


def test_the_table_has_every_activation_but_none():
    assert set(ACTIVATIONS) == EVERY
    assert set(REFERENCE) == EVERY  # this test's own reference formulas


def test_every_back_end_covers_every_activation():
    assert set(SCALAR_ACTIVATIONS) == EVERY, "LLVM epilogue bodies (lowering/kernels/activation.py)"
    assert set(TRITON_ACTIVATIONS) | TRITON_UNSUPPORTED == EVERY, "Triton epilogues (lowering/triton_kernels/bodies.py)"
    assert not set(TRITON_ACTIVATIONS) & TRITON_UNSUPPORTED
    newer = {a for a, info in ACTIVATIONS.items() if info.since_opset > TARGET_OPSET}
    assert set(NEWER_ACTIVATION_NODES) == newer, "opset-21 forms of activations newer than the export opset"


@pytest.mark.parametrize("act", sorted(EVERY))
def test_entry_matches_the_onnx_op_class(act):
    info = ACTIVATIONS[act]
    cls = ONNX_OPS[info.onnx_op]
    defs = cls.get_irdl_definition()
    operands = [name for name, _ in defs.operands]
    props = set(defs.properties)
    for param in info.params:
        if param.operand:
            assert param.name in operands[1:] and param.default in ("lowest", "highest")
        else:
            assert param.name in props and isinstance(param.default, float)
    for selector in info.selectors:
        assert selector.name in props


def _parse(text: str, ctx=None):
    src = f"func.func @f(%x: tensor<2x3xf32>, %lo: tensor<f32>) {{\n  {text}\n  func.return\n}}"
    module = Parser(ctx or make_context(), src).parse_module()
    module.verify()
    return next(op for op in module.walk() if op.name.startswith(("onnx.", "strata.")))


ONNX_TEXT = {
    Activation.RELU: '"onnx.Relu"(%x)',
    Activation.CLIP: '"onnx.Clip"(%x, %lo) <{operandSegmentSizes = array<i32: 1, 1, 0>}>',
    Activation.LEAKY_RELU: '"onnx.LeakyRelu"(%x)',
    Activation.SIGMOID: '"onnx.Sigmoid"(%x)',
    Activation.HARD_SIGMOID: '"onnx.HardSigmoid"(%x) <{alpha = 0.25 : f32}>',
    Activation.HARD_SWISH: '"onnx.HardSwish"(%x)',
    Activation.TANH: '"onnx.Tanh"(%x)',
    Activation.GELU: '"onnx.Gelu"(%x)',
    Activation.GELU_TANH: '"onnx.Gelu"(%x) <{approximate = "tanh"}>',
    Activation.SWISH: '"onnx.Swish"(%x) <{alpha = 1.5 : f32}>',
}
# the parameters the ops above hold (ONNX defaults where absent; Clip's lo is not a
# constant, so onnx-fuse-activation reports why it cannot fuse it)
ONNX_PARAMS = {
    Activation.CLIP: "Clip bounds not constant",
    Activation.LEAKY_RELU: [pytest.approx(0.01)],
    Activation.HARD_SIGMOID: [0.25, 0.5],
    Activation.SWISH: [1.5],
}


@pytest.mark.parametrize("act", sorted(EVERY))
def test_onnx_op_maps_to_its_activation(act):
    op = _parse(f"%y = {ONNX_TEXT[act]} : ({'tensor<2x3xf32>, tensor<f32>' if act is Activation.CLIP else 'tensor<2x3xf32>'}) -> tensor<2x3xf32>")
    assert activation_for(op) is act
    found = _activation(op, None)
    want = ONNX_PARAMS.get(act, [])
    if isinstance(want, str):
        assert found == want
    else:
        assert found.act is act and found.params == want and found.input is op.operands[0]
    # onnx-layout-nchwc folds the blocked activations whose parameters are attributes
    blocked = _blocked_activation(op)
    if is_blocked(act) and not any(p.operand for p in ACTIVATIONS[act].params):
        assert blocked == (act, want)
    else:
        assert blocked is None


def test_other_ops_are_no_activation():
    assert activation_for(_parse('%y = "onnx.Abs"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>')) is None


@pytest.mark.parametrize("act", sorted(EVERY))
def test_exported_nodes_compute_the_activation(act):
    params, reference = REFERENCE[act]
    assert len(params) == param_count(act)
    x = np.linspace(-7, 7, 57, dtype=np.float32)
    nodes = activation_nodes(act, params, "x", "y", np.dtype(np.float32))
    graph = helper.make_graph(
        nodes, "act",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, list(x.shape))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", TARGET_OPSET)])
    onnx.checker.check_model(model, full_check=True)
    (y,) = ReferenceEvaluator(model).run(None, {"x": x})
    np.testing.assert_allclose(y, reference(x.astype(np.float64)), rtol=1e-5, atol=1e-6)


def test_no_activation_exports_as_identity():
    (n,) = activation_nodes(Activation.NONE, [], "x", "y", np.dtype(np.float32))
    assert n.op_type == "Identity"


@pytest.mark.parametrize("text, message", [
    ('activation = "Clip", activation_params = array<f32: 2.0, 1.0>', "Clip activation_params min 2.0 > max 1.0"),
    ('activation = "LeakyRelu"', "activation 'LeakyRelu' takes 1 activation_params, got 0"),
    ('activation = "Relu", activation_params = array<f32: 1.0>', "activation 'Relu' takes 0 activation_params, got 1"),
    ('activation = "relu"', "unknown activation 'relu'"),
])
def test_fused_op_verifier_checks_the_table(text, message):
    with pytest.raises(VerifyException, match=message):
        _parse(f'%y = "strata.FusedGemm"(%x, %x) <{{transB = 1 : i64, {text}}}> : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x2xf32>')


def test_apply_activation_rejects_unknown_names_and_wrong_counts():
    with pytest.raises(ValueError, match="unknown activation 'Mish'"):
        apply_activation("Mish", [], None)
    with pytest.raises(ValueError, match="takes 2 parameters, got 1"):
        apply_activation(Activation.CLIP, [0.0], None)
