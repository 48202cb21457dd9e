"""Passes that move IR down a level: onnx -> loops, loops -> LLVM IR."""
