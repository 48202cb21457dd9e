"""Graph-level passes on the `onnx` dialect (one pass per module)."""
