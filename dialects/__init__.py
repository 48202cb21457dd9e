"""IR definitions for Strata: the `onnx` graph dialect (ops, types, verifiers)."""
