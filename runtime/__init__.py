"""Running what was compiled: the JIT engine and the CompiledModel."""
