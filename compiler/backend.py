"""`compiler.backend`: Strata as an `onnx.backend.base.Backend`, so ONNX's own backend
test cases (and any tool that speaks that interface) run against Strata.

Strata compiles for static shapes. A graph input that decides a shape (a Reshape's
shape, a Reduce's axes, Slice starts, Resize scales, ... directly or through other
nodes) is specialized: the model is compiled on the first `run`, with that input's value
bound as a constant, and compiled again if a later run passes a different value.

    import compiler.backend as backend
    rep = backend.prepare(model)          # compiles
    outputs = rep.run([x])                # or backend.run_model(model, [x])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnx
from onnx import helper
from onnx.backend.base import Backend, BackendRep, namedtupledict

from compiler.api import compile
from compiler.onnx_import import SHAPE_OPERANDS
from dialects.errors import StrataError
from runtime.compiled_model import CompiledModel


# Operands the CPU kernels read at run time but the cuda target's kernels need as
# constants: specialized there.
CUDA_SPECIALIZED_OPERANDS: dict[str, tuple[int, ...]] = {"CumSum": (1,)}


def shape_inputs(model: onnx.ModelProto, target: str = "cpu") -> list[str]:
    """Graph inputs whose values reach a shape-deciding operand (on `target`), directly
    or through other nodes (e.g. Shape -> Concat -> Reshape.shape)."""
    producer = {o: n for n in model.graph.node for o in n.output if o}
    needed: set[str] = set()
    operands = dict(SHAPE_OPERANDS, **(CUDA_SPECIALIZED_OPERANDS if target == "cuda" else {}))
    stack = [
        n.input[i]
        for n in model.graph.node
        for i in operands.get(n.op_type, ())
        if i < len(n.input) and n.input[i]
    ]
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        needed.add(name)
        node = producer.get(name)
        if node is not None and node.op_type not in ("Shape", "Size"):
            stack.extend(i for i in node.input if i)
    inits = {t.name for t in model.graph.initializer}
    return [vi.name for vi in model.graph.input if vi.name in needed and vi.name not in inits]


def bind_inputs(model: onnx.ModelProto, values: Mapping[str, np.ndarray]) -> onnx.ModelProto:
    """A copy of `model` in which the given graph inputs are initializers."""
    bound = onnx.ModelProto.FromString(model.SerializeToString())
    keep = [vi for vi in bound.graph.input if vi.name not in values]
    del bound.graph.input[:]
    bound.graph.input.extend(keep)
    for name, value in values.items():
        bound.graph.initializer.append(onnx.numpy_helper.from_array(np.asarray(value), name))
    return bound


class StrataRep(BackendRep):
    """A compiled model behind the BackendRep interface (compiled per value of its
    shape-deciding inputs, see the module docstring)."""

    def __init__(self, model: onnx.ModelProto, opt_level: int = 3, input_shapes=None, target: str = "cpu"):
        self.model = model
        self.opt_level = opt_level
        self.input_shapes = input_shapes
        self.target = target
        inits = {t.name for t in model.graph.initializer}
        self.input_names = [vi.name for vi in model.graph.input if vi.name not in inits]
        self.specialized = shape_inputs(model, target)
        self._compiled: dict[bytes, CompiledModel] = {}
        if not self.specialized:
            self._compiled[b""] = compile(model, target=target, opt_level=opt_level, input_shapes=input_shapes)

    @property
    def compiled(self) -> CompiledModel:
        """The most recently compiled variant."""
        return next(reversed(self._compiled.values()))

    def _variant(self, feeds: Mapping[str, Any]) -> CompiledModel:
        values = {n: np.asarray(feeds[n]) for n in self.specialized if n in feeds}
        key = b"".join(n.encode() + v.dtype.str.encode() + repr(v.shape).encode() + v.tobytes() for n, v in values.items())
        if key not in self._compiled:
            self._compiled[key] = compile(bind_inputs(self.model, values), target=self.target, opt_level=self.opt_level,
                                          input_shapes=self.input_shapes)
        return self._compiled[key]

    def run(self, inputs: Any, **kwargs: Any) -> tuple[np.ndarray, ...]:
        if isinstance(inputs, np.ndarray):
            inputs = [inputs]
        feeds = dict(inputs) if isinstance(inputs, Mapping) else dict(zip(self.input_names, inputs))
        if not isinstance(inputs, Mapping) and len(inputs) != len(self.input_names):
            raise ValueError(f"the model takes {len(self.input_names)} inputs {self.input_names}, got {len(inputs)}")
        compiled = self._variant(feeds)
        outs = compiled.run({n: v for n, v in feeds.items() if n not in self.specialized})
        return namedtupledict("Outputs", compiled.output_names)(*outs)


class StrataBackend(Backend):
    @classmethod
    def supports_device(cls, device: str) -> bool:
        """CPU always; CUDA (the Triton path, target="cuda") where triton and torch are
        installed and a GPU or Triton's interpreter (TRITON_INTERPRET=1) can run it."""
        if device.upper().startswith("CPU"):
            return True
        if device.upper().startswith("CUDA"):
            # Start-up time: the Triton generator (about 100 ms of imports) loads only
            # when someone asks about CUDA; the conformance suite runs on the CPU.
            from compiler.compile_cuda import check_cuda_target

            try:
                check_cuda_target()
            except StrataError:
                return False
            return True
        return False

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> StrataRep:
        if not cls.supports_device(device):
            raise ValueError(f"Strata's backend runs on CPU (and CUDA where triton can run); device '{device}' is not supported")
        target = "cuda" if device.upper().startswith("CUDA") else "cpu"
        return StrataRep(model, kwargs.get("opt_level", 3), kwargs.get("input_shapes"), target)

    @classmethod
    def run_model(cls, model: onnx.ModelProto, inputs: Any, device: str = "CPU", **kwargs: Any):
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(
        cls,
        node: onnx.NodeProto,
        inputs: Sequence[np.ndarray] | Mapping[str, np.ndarray],
        device: str = "CPU",
        outputs_info: Sequence[tuple[np.dtype, tuple[int, ...]]] | None = None,
        **kwargs: Any,
    ) -> tuple[np.ndarray, ...]:
        """Compiles a one-node model whose inputs are typed from the given arrays."""
        if isinstance(inputs, Mapping):
            arrays = [inputs[n] for n in node.input if n]
        else:
            arrays = list(inputs)
        names = [n for n in node.input if n]
        graph = helper.make_graph(
            [node],
            f"run_node_{node.op_type}",
            [
                helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(np.asarray(a).dtype), np.asarray(a).shape)
                for n, a in zip(names, arrays)
            ],
            [helper.make_value_info(o, onnx.TypeProto()) for o in node.output if o],
        )
        opset = kwargs.get("opset_version", 21)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        return cls.run_model(model, [np.asarray(a) for a in arrays], device)


prepare = StrataBackend.prepare
run_model = StrataBackend.run_model
run_node = StrataBackend.run_node
supports_device = StrataBackend.supports_device
