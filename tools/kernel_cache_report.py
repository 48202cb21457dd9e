"""Which kernels of a model the kernel cache holds (lowering/kernel_cache.py).

Lowers the model as `compile()` does (default options, this host, the cache under
`$STRATA_CACHE_DIR/kernels/`) and prints each kernel as a hit (compiled before: only
declared, neither lowered nor translated) or a miss (lowered, compiled and stored by a
compile). `--ir` prints the loop-level module, where a hit is a `func.func private`
without a body; `--compile` runs `compiler.compile` on the model first, which fills the
cache. This is what to look at when a warm compile is slower than expected.

    python3 -m tools.kernel_cache_report model.onnx [--ir] [--compile] [--threads N]

A `.onnxtxt` file (ONNX's text format) is read with onnx.parser.
"""

from __future__ import annotations

import argparse
import sys

import onnx
import onnx.parser
from xdsl.dialects import func

import compiler
from compiler.context import make_context
from compiler.driver import lower_to_loops
from compiler.graph_io import supported_op_types
from compiler.onnx_import import expand_and_check, import_model, load_source
from compiler.pipelines import graph_pipeline
from lowering.kernel_cache import KernelCache
from lowering.target import target_for

OPT_LEVEL = 3  # compile()'s default, and its LLVM level
LLVM_OPT_LEVEL = 3


def read_model(path: str) -> onnx.ModelProto:
    if path.endswith(".onnxtxt"):
        with open(path) as f:
            text = "\n".join(line for line in f if not line.lstrip().startswith("#"))
        return onnx.parser.parse_model(text)
    return onnx.load(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="an .onnx or .onnxtxt file")
    parser.add_argument("--ir", action="store_true", help="print the loop-level module")
    parser.add_argument("--compile", action="store_true", help="compile the model first (fills the cache)")
    parser.add_argument("--threads", type=int, default=1, help="compile(num_threads=N): part of the key")
    args = parser.parse_args(argv)
    model = read_model(args.model)
    if args.compile:
        compiler.compile(model, num_threads=args.threads)
    cache = KernelCache.for_compile(None, LLVM_OPT_LEVEL, args.threads > 1, target_for(None).describe())
    if cache is None:
        print("kernel cache off (STRATA_CACHE=0, STRATA_KERNEL_CACHE=0 or STRATA_LLVM_SPLIT=0)")
        return 1
    source = load_source(model)
    source.proto = expand_and_check(source.proto, supported_op_types())
    ctx = make_context()
    module = import_model(source, ctx.weights)
    graph_pipeline(OPT_LEVEL).apply(ctx, module)
    lower_to_loops(module, ctx, OPT_LEVEL, (), None, cache)
    kernels = [op for op in module.ops if isinstance(op, func.FuncOp) and "strata.entry" not in op.attributes]
    for k in kernels:
        name = k.sym_name.data
        print(f"{'hit ' if name in cache.hits else 'miss'} {name}")
    print(f"{len(cache.hits)} of {len(kernels)} kernels cached")
    if args.ir:
        print(module)
    return 0


if __name__ == "__main__":
    sys.exit(main())
