"""(being written)"""

from lowering.onnx_to_loops import KernelLowering

LOWERINGS: dict[str, KernelLowering] = {}
