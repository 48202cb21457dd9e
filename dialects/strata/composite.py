"""Recomposed blocks without a standard ONNX op at opset 21 (RMS normalization,
scaled/masked softmax, attention)."""
