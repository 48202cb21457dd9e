"""(being written) reduction kernels."""

from __future__ import annotations

from lowering.onnx_to_loops import KernelLowering

LOWERINGS: dict[str, KernelLowering] = {}
