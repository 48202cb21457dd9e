"""Compiles and runs an example model, checking it against onnxruntime (or, where
onnxruntime is not installed, onnx's reference evaluator).

    python -m tools.run_example                 # the small CNN
    python -m tools.run_example transformer_block
    python -m tools.run_example path/to/model.onnx --input-shape x=1,3,224,224
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import onnx

import compiler
from tools.example_models import EXAMPLES, example_inputs


def reference_outputs(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> tuple[str, list[np.ndarray]]:
    try:
        import onnxruntime as ort
    except ImportError:
        from onnx.reference import ReferenceEvaluator

        return "onnx.reference", list(ReferenceEvaluator(model).run(None, feeds))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    return "onnxruntime", sess.run(None, feeds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", default="small_cnn", help=f"an example ({', '.join(EXAMPLES)}) or an .onnx path")
    parser.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0,D1,...")
    args = parser.parse_args(argv)

    if args.model in EXAMPLES:
        build, shapes = EXAMPLES[args.model]
        model, feeds = build(), example_inputs(args.model)
    else:
        model = onnx.load(args.model)
        shapes = {s.split("=")[0]: [int(d) for d in s.split("=")[1].split(",")] for s in args.input_shape}
        feeds = {}
        rng = np.random.default_rng(0)
        inits = {t.name for t in model.graph.initializer}
        for vi in model.graph.input:
            if vi.name in inits:
                continue
            dims = shapes.get(vi.name) or [d.dim_value for d in vi.type.tensor_type.shape.dim]
            dtype = onnx.helper.tensor_dtype_to_np_dtype(vi.type.tensor_type.elem_type)
            feeds[vi.name] = rng.standard_normal(dims).astype(dtype)
            shapes[vi.name] = dims

    t = time.perf_counter()
    compiled = compiler.compile(model, input_shapes=shapes)
    compile_s = time.perf_counter() - t
    outputs = compiled.run(feeds)
    ref_name, expected = reference_outputs(model, feeds)
    print(f"model: {args.model}   inputs: {', '.join(f'{k}{list(v.shape)}' for k, v in feeds.items())}")
    print(f"compiled in {compile_s:.2f} s ({compiled.stats['kernels']} kernels): "
          + ", ".join(f"{k} {v:.2f} s" for k, v in compiled.stats["seconds"].items()))
    worst = 0.0
    for name, got, want in zip(compiled.output_names, outputs, expected):
        err = float(np.max(np.abs(got.astype(np.float64) - np.asarray(want, dtype=np.float64)))) if got.size else 0.0
        worst = max(worst, err)
        print(f"output {name}{list(got.shape)}: max abs error vs {ref_name} = {err:.2e}")
    return 0 if worst < 1e-3 else 1


if __name__ == "__main__":
    sys.exit(main())
