"""`onnx-fold-constants`: evaluates onnx ops whose operands are all constants.

Any onnx op other than `onnx.Constant` whose operands are all `onnx.Constant` results
(inline `dense<>`, or `dense_resource` read from the weight table) is run at compile
time with onnx's reference evaluator (`onnx.reference`, the same single-node
evaluation the importer uses for shape subgraphs) and replaced by one `onnx.Constant`
per result. Applied greedily, whole constant chains (Transpose -> Mul -> Add -> Cast ->
Reshape of weights) become one constant; the inputs left without uses are removed.

A fold does not fire when:
- a result has more than `max_elements` elements (option `max-elements`, default
  65536; so an Expand / Tile / ConstantOfShape to a large shape stays an op and the
  weight table does not grow), or a result type is not a static tensor. Exception:
  a result used only as weights (`WEIGHT_OPERANDS`: Conv's W and B, Gemm's B and C,
  MatMul's B, normalization parameters, ...) is folded whatever its size — it must be
  in memory at run time anyway, and folding moves its computation (e.g. a
  ConstantOfShape fill, as onnx's light models carry their weights) from every
  inference to compile time, as onnxruntime does;
- an operand is not a constant, or is a `dense_resource` without a weight table
  (a plain xDSL Context); without a weight table a result must also fit inline
  (<= 16 elements, not i1), since larger constants need the table;
- the evaluator fails, or gives a value whose dtype and shape are not exactly the
  op's result type (the op is then left as it is; the pass never fails on it);
- the op has no deterministic value (`_NON_DETERMINISTIC`: the random ops; none are
  in the dialect today) or has regions.

Numerics: the folded value is onnx.reference's (numpy), which is what the importer
already does for constant subgraphs. Data movement, Cast, integer arithmetic and the
correctly rounded float ops (+ - * /, Sqrt) are bit-exact with onnxruntime; transcendental
float ops (Exp, Tanh, Erf, ...) and reductions may differ from onnxruntime's kernels by
about an ulp (numpy's libm and summation order).

New constants keep the location (ONNX node name) of the op they replace and the name
hint of the replaced result; their data goes through `dialects.weights.tensor_attr`,
so anything over 16 elements is a `dense_resource` in the weight table, never IR text.
Types never change, so returned values keep their types (a returned value may become
a constant).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from onnx import helper
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Operation, SSAValue
from xdsl.irdl import IRDLOperation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, RewritePattern

from dialects.weights import weights_of
from compiler.pattern_log import apply_patterns
from dialects.dtypes import xdsl_element_type
from compiler.onnx_export import _attribute
from compiler.onnx_import import TARGET_OPSET, _evaluate
from compiler.passes.constants import known_constant
from dialects.weights import INLINE_LIMIT, WeightTable, tensor_attr
from dialects.onnx import SHAPE_VIEW_OP_NAMES
from dialects.onnx.base import OnnxOp, node_name
from dialects.onnx.tensor import ConstantOp

DEFAULT_MAX_ELEMENTS = 65536

# Ops whose value is not a function of their operands and attributes (none of them is
# in the dialect today; listed so that adding one cannot make it fold).
_NON_DETERMINISTIC = frozenset(
    {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli"}
)
_SEGMENT_PROPS = ("operandSegmentSizes", "resultSegmentSizes")


def _static_size(ty) -> int | None:
    if not isinstance(ty, TensorType):
        return None
    shape = tuple(ty.get_shape())
    if any(d < 0 for d in shape):
        return None
    return int(np.prod(shape, dtype=np.int64))


@dataclass
class FoldConstantOp(RewritePattern):
    """op(Constant, ..., Constant) -> Constant per result (see the module docstring)."""

    weights: WeightTable | None
    max_elements: int = DEFAULT_MAX_ELEMENTS
    folded: int = field(default=0)

    def _inputs(self, op: IRDLOperation) -> list[np.ndarray | None] | None:
        """Operand values in ONNX input order, None for an absent optional input;
        None overall when some operand is not a readable constant."""
        inputs: list[np.ndarray | None] = []
        for slot, _ in op.get_irdl_definition().operands:
            v = getattr(op, slot)
            values = [] if v is None else [v] if isinstance(v, SSAValue) else list(v)
            if v is None:
                inputs.append(None)
            for value in values:
                array = known_constant(value, self.weights)
                if array is None:
                    return None
                inputs.append(array)
        while inputs and inputs[-1] is None:
            inputs.pop()
        return inputs

    def _evaluate(self, op: IRDLOperation, inputs: list[np.ndarray | None]) -> list[np.ndarray] | None:
        """The op's result values, or None when onnx.reference cannot compute them."""
        try:
            outputs: list[str] = []
            for slot, _ in op.get_irdl_definition().results:
                v = getattr(op, slot)
                if v is None:
                    outputs.append("")
                elif isinstance(v, SSAValue):
                    outputs.append(f"out{len(outputs)}")
                else:
                    outputs.extend(f"out{len(outputs) + i}" for i in range(len(v)))
            while outputs and outputs[-1] == "":
                outputs.pop()
            attrs = [_attribute(k, v, self.weights) for k, v in sorted(op.properties.items()) if k not in _SEGMENT_PROPS]
            node = helper.make_node(op.name.removeprefix("onnx."), [f"in{i}" for i in range(len(inputs))], outputs)
            node.attribute.extend(attrs)
            results = _evaluate(node, inputs, TARGET_OPSET)
        except Exception:  # noqa: BLE001 - any evaluation problem means "do not fold"
            return None
        if len(results) != len(op.results):
            return None
        return results

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if not isinstance(op, OnnxOp) or isinstance(op, ConstantOp):
            return
        kind = op.name.removeprefix("onnx.")
        if kind in _NON_DETERMINISTIC or op.regions or not op.results:
            return
        if not all(isinstance(v.owner, ConstantOp) for v in op.operands):
            return
        # Cheap checks on the result types before evaluating anything.
        for result in op.results:
            size = _static_size(result.type)
            if size is None or size > self.max_elements and not _only_weight_uses(result):
                return
            if self.weights is None and size > INLINE_LIMIT:
                return
        try:
            inputs = self._inputs(op)
        except Exception:  # noqa: BLE001 - malformed segment sizes: leave the op alone
            return
        if inputs is None:
            return
        values = self._evaluate(op, inputs)
        if values is None:
            return
        for result, value in zip(op.results, values, strict=True):
            try:
                exact = TensorType(xdsl_element_type(value.dtype), value.shape) == result.type
            except Exception:  # noqa: BLE001 - a dtype Strata has no element type for
                return
            if not exact:
                return
            if self.weights is None and (value.size > INLINE_LIMIT or value.dtype == np.bool_):
                return  # would need the weight table
        name = node_name(op)
        if name == "<unnamed>":  # no ONNX node name: the result's name, else the op kind
            name = op.results[0].name_hint or kind
        consts: list[ConstantOp] = []
        for i, (result, value) in enumerate(zip(op.results, values)):
            handle = name if len(op.results) == 1 else f"{name}_{i}"
            attr = tensor_attr(value, self.weights, handle)  # type: ignore[arg-type]
            const = ConstantOp(attr)
            const.location = op.location
            const.output.name_hint = result.name_hint
            consts.append(const)
        self.folded += 1
        rewriter.replace(op, consts, [c.output for c in consts])


# Operands that hold a model's parameters: a value used only in these slots is a weight.
WEIGHT_OPERANDS: dict[str, tuple[str, ...]] = {
    "onnx.Conv": ("w", "b"),
    "onnx.ConvTranspose": ("w", "b"),
    "strata.FusedConv": ("w", "b"),
    "onnx.Gemm": ("b", "c"),
    "strata.FusedGemm": ("b", "c"),
    "onnx.MatMul": ("b",),
    "strata.FusedMatMul": ("b", "bias"),
    "onnx.BatchNormalization": ("scale", "b", "input_mean", "input_var"),
    "onnx.LayerNormalization": ("scale", "b"),
    "onnx.InstanceNormalization": ("scale", "b"),
    "strata.RMSNormalization": ("scale",),
}


# Ops that only rearrange or convert their first operand: a weight passed through them
# is still a weight (a Reshape of a fill feeding Gemm's B): the ShapeView ops,
# Transpose and Cast.
WEIGHT_PASS_THROUGH = SHAPE_VIEW_OP_NAMES | {"onnx.Transpose", "onnx.Cast"}


def _only_weight_uses(value: SSAValue, depth: int = 0) -> bool:
    if not value.uses or depth > 4:
        return False
    for use in value.uses:
        user = use.operation
        if user.name in WEIGHT_PASS_THROUGH and use.index == 0 and len(user.results) == 1:
            if not _only_weight_uses(user.results[0], depth + 1):
                return False
            continue
        slots = WEIGHT_OPERANDS.get(user.name)
        if slots is None:
            return False
        in_slots = sum(1 for n in slots if getattr(user, n, None) is value)
        if in_slots == 0 or in_slots != sum(1 for o in user.operands if o is value):
            return False
    return True


def fold_constants(
    module: ModuleOp, weights: WeightTable | None, max_elements: int = DEFAULT_MAX_ELEMENTS, ctx: Context | None = None
) -> int:
    """Folds `module` in place; returns the number of ops folded."""
    pattern = FoldConstantOp(weights, max_elements)
    apply_patterns(ctx or Context(), module, [pattern])
    return pattern.folded


@dataclass(frozen=True)
class FoldConstantsPass(ModulePass):
    """Evaluates onnx ops whose operands are all constants (results of at most
    `max_elements` elements each) and replaces them by constants."""

    name = "onnx-fold-constants"

    max_elements: int = DEFAULT_MAX_ELEMENTS

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        fold_constants(op, weights_of(ctx), self.max_elements, ctx)
