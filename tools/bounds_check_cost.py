"""What the run-time index checks cost (lowering/runtime_checks.py), measured beside
onnxruntime in one process, 1 thread each, on models whose Gather reads rows chosen by
token ids: a GPT-style decoder (tools/example_models.gpt_style) and its embedding
lookup alone.

Strata runs twice: as shipped (every Gather index checked, a failing one skips the
access and makes the call raise) and with the Gather kernel swapped, for this script
only, for the same loop nest that clamps the index into range instead of checking it
(what Strata did before the checks). Calls are interleaved in rounds; the table gives
the median time per call and the ratios. Run it under `strata-bench-lock`:

    strata-bench-lock python3 -m tools.bounds_check_cost [--rounds 15] [--calls 50]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from unittest import mock

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import compiler
from tools.benchmark import cpuinfo
from tools.example_models import gpt_style


def _clamped_gather(kc) -> None:
    """Gather with the checked kernel's loop nest, the index clamped into [0, dim - 1]
    instead of checked (the cost baseline; never shipped)."""
    from xdsl.dialects import arith

    from lowering import scalar
    from lowering.kernels.data_movement import clamp_index
    from lowering.loop_builder import idx, load, loop_nest, store

    axis = kc.op.normalized_axis()
    sd, si = kc.shape("data"), kc.shape("indices")
    data, indices, out = kc.input("data"), kc.input("indices"), kc.output("output")
    with loop_nest([*sd[:axis], *si]) as outer:
        raw = scalar.to_index(load(indices, outer[axis:]))
        neg = arith.CmpiOp(raw, idx(0), "slt").result
        i = clamp_index(arith.SelectOp(neg, arith.AddiOp(raw, idx(sd[axis])).result, raw).result, 0, sd[axis] - 1)
        with loop_nest(sd[axis + 1 :]) as inner:
            store(load(data, [*outer[:axis], i, *inner]), out, [*outer, *inner])


def embedding_only(vocab: int, seq: int, d_model: int) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    table = numpy_helper.from_array(rng.standard_normal((vocab, d_model)).astype(np.float32), "wte")
    graph = helper.make_graph(
        [helper.make_node("Gather", ["wte", "input_ids"], ["h"], name="embed_tokens", axis=0)],
        "embedding",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, seq])],
        [helper.make_tensor_value_info("h", TensorProto.FLOAT, [1, seq, d_model])],
        [table],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def _per_call(fn, calls: int) -> float:
    fn()
    t = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t) / calls


def measure(name: str, model: onnx.ModelProto, feeds: dict, rounds: int, calls: int) -> dict:
    import onnxruntime as ort
    from lowering.kernels import KERNEL_LOWERINGS

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    shapes = {k: list(v.shape) for k, v in feeds.items()}
    checked = compiler.compile(model, input_shapes=shapes)
    with mock.patch.dict(KERNEL_LOWERINGS, {"onnx.Gather": _clamped_gather}):
        clamped = compiler.compile(model, input_shapes=shapes)
    want = sess.run(None, feeds)[0]
    for m in (checked, clamped):
        np.testing.assert_allclose(m.run(feeds)[0], want, rtol=1e-3, atol=1e-3)
    times: dict[str, list[float]] = {"ort": [], "checked": [], "clamped": []}
    for _ in range(rounds):
        times["ort"].append(_per_call(lambda: sess.run(None, feeds), calls))
        times["checked"].append(_per_call(lambda: checked.run(feeds), calls))
        times["clamped"].append(_per_call(lambda: clamped.run(feeds), calls))
    med = {k: float(np.median(v)) for k, v in times.items()}
    return {"model": name, **med}


def cpu_name() -> str:
    """`model name (family N)` from /proc/cpuinfo, else what platform knows."""
    fields = cpuinfo()
    if "model name" in fields:
        return f"{fields['model name']} (family {fields.get('cpu family', '?')})"
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    vocab, seq, d_model = 8000, 128, 256
    ids = {"input_ids": rng.integers(0, vocab, (1, seq)).astype(np.int64)}
    cases = [
        ("gpt_style 4 layers", gpt_style(vocab=vocab, seq=seq, d_model=d_model, heads=4, layers=4, d_ff=4 * d_model)),
        ("embedding lookup alone", embedding_only(vocab, seq, d_model)),
    ]
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores visible; 1 thread each; "
          f"vocab {vocab}, seq {seq}, d_model {d_model}; median of {args.rounds} rounds x {args.calls} calls")
    print(f"{'model':<24} {'onnxruntime':>12} {'checked':>10} {'clamped':>10} {'checked/clamped':>16} {'checked/ort':>12}")
    for name, model in cases:
        r = measure(name, model, ids, args.rounds, args.calls)
        print(f"{r['model']:<24} {r['ort'] * 1e3:>9.3f} ms {r['checked'] * 1e3:>7.3f} ms {r['clamped'] * 1e3:>7.3f} ms "
              f"{r['checked'] / r['clamped']:>16.3f} {r['checked'] / r['ort']:>12.3f}")


if __name__ == "__main__":
    main()
