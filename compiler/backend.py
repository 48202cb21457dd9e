"""`compiler.backend`: Strata as an `onnx.backend.base.Backend`, so ONNX's own backend
test cases (and any tool that speaks that interface) run against Strata.

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
from runtime.compiled_model import CompiledModel


class StrataRep(BackendRep):
    """A compiled model behind the BackendRep interface."""

    def __init__(self, compiled: CompiledModel):
        self.compiled = compiled

    def run(self, inputs: Any, **kwargs: Any) -> tuple[np.ndarray, ...]:
        if isinstance(inputs, Mapping):
            outs = self.compiled.run(inputs)
        else:
            if isinstance(inputs, np.ndarray):
                inputs = [inputs]
            outs = self.compiled(*inputs)
        return namedtupledict("Outputs", self.compiled.output_names)(*outs)


class StrataBackend(Backend):
    @classmethod
    def supports_device(cls, device: str) -> bool:
        return device.upper().startswith("CPU")

    @classmethod
    def prepare(cls, model: onnx.ModelProto, device: str = "CPU", **kwargs: Any) -> StrataRep:
        if not cls.supports_device(device):
            raise ValueError(f"Strata's backend runs on CPU; device '{device}' is not supported")
        return StrataRep(
            compile(model, opt_level=kwargs.get("opt_level", 3), input_shapes=kwargs.get("input_shapes"))
        )

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
