"""Thread-pool costs: what handing a parallel loop to the workers costs, and from which
size splitting a loop pays (the thresholds in lowering/parallel_cost.py).

    python3 -m tools.thread_benchmark               # both tables
    python3 -m tools.thread_benchmark --dispatch    # dispatch cost only

Dispatch: machine code that hands a 2-iteration empty loop to the pool N times in a
row (workers spinning), and the same after the workers went to sleep (a pause of 5 ms
between calls). Crossover: elementwise kernels of growing size, compiled with 1 and 2
threads, best of many calls each, with the work estimate the translator splits by.
"""

from __future__ import annotations

import argparse
import ctypes
import time

import numpy as np
from llvmlite import ir
from onnx import TensorProto, helper

import compiler
from lowering.parallel_cost import MIN_PARALLEL_WORK, WORK_PER_THREAD
from lowering.thread_pool import TASK_TYPE, ThreadPoolEmitter
from runtime.jit import JitModule
from runtime.thread_pool import POOL_START, POOL_STOP, available_cores
from tools.benchmark import cpuinfo

_I32 = ir.IntType(32)
_I64 = ir.IntType(64)


def cpu_description() -> str:
    import llvmlite.binding as llvm

    fields = cpuinfo()
    return f"{fields.get('model name', '?')} (family {fields.get('cpu family', '?')}, LLVM: {llvm.get_host_cpu_name()})"


def _dispatch_module() -> JitModule:
    """`void loop(i64 n, i32 want)`: n calls of strata.parallel_for on an empty task of
    2 iterations; `void one(i32 want)`: one such call."""
    m = ir.Module("dispatch")
    pool = ThreadPoolEmitter(m)
    task = ir.Function(m, TASK_TYPE, "task")
    task.linkage = "internal"
    ir.IRBuilder(task.append_basic_block("entry")).ret_void()
    fn = ir.Function(m, ir.FunctionType(ir.VoidType(), [_I64, _I32]), "loop")
    entry, head, body, done = (fn.append_basic_block(n) for n in ("entry", "head", "body", "done"))
    b = ir.IRBuilder(entry)
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(_I64)
    i.add_incoming(ir.Constant(_I64, 0), entry)
    b.cbranch(b.icmp_signed("<", i, fn.args[0]), body, done)
    b.position_at_end(body)
    b.call(pool.parallel_for, [task, ir.Constant(ir.PointerType(), None), ir.Constant(_I64, 2), fn.args[1]])
    i.add_incoming(b.add(i, ir.Constant(_I64, 1)), body)
    b.branch(head)
    b.position_at_end(done)
    b.ret_void()
    return JitModule(str(m), 2)


def dispatch_table(threads: int) -> list[str]:
    jit = _dispatch_module()
    start = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int32)(jit.address(POOL_START))
    stop = ctypes.CFUNCTYPE(None)(jit.address(POOL_STOP))
    run = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_int32)(jit.address("loop"))
    running = start(threads)
    rows = ["| dispatch | threads | us per parallel loop |", "|---|---|---|"]
    try:
        n = 100_000
        for want, label in ((1, "serial call (no hand-off)"), (running, "hand-off, workers spinning")):
            run(1000, want)
            t = time.perf_counter()
            run(n, want)
            rows.append(f"| {label} | {want} | {(time.perf_counter() - t) / n * 1e6:.3f} |")
        # After an idle pause the workers sleep: the first hand-off wakes them.
        samples = []
        for _ in range(50):
            time.sleep(0.005)
            t = time.perf_counter()
            run(1, running)
            samples.append(time.perf_counter() - t)
        base = []
        for _ in range(50):
            t = time.perf_counter()
            run(1, 1)
            base.append(time.perf_counter() - t)
        wake = (np.median(samples) - np.median(base)) * 1e6
        rows.append(f"| hand-off after 5 ms idle (workers asleep) | {running} | {wake:.1f} |")
    finally:
        stop()
    return rows


def _elementwise(n: int, op: str) -> tuple:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [n])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])
    nodes = [helper.make_node(op, ["x"], ["t"]), helper.make_node("Mul", ["t", "x"], ["y"])]
    model = helper.make_model(helper.make_graph(nodes, op, [x], [y]), opset_imports=[helper.make_opsetid("", 17)])
    return model, np.random.default_rng(0).standard_normal(n).astype(np.float32)


def _best(cm, feeds, budget: float = 0.5) -> float:
    cm.run(feeds)
    best = float("inf")
    end = time.perf_counter() + budget
    while time.perf_counter() < end:
        t = time.perf_counter()
        cm.run(feeds)
        best = min(best, time.perf_counter() - t)
    return best


def crossover_table(threads: int) -> list[str]:
    rows = [
        f"| kernel | elements | split into loops ({threads} threads) | 1 thread us | {threads} threads us | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    for op in ("Relu", "Tanh"):
        for n in (4096, 16384, 65536, 262144, 1048576):
            model, x = _elementwise(n, op)
            one = compiler.compile(model, num_threads=1)
            many = compiler.compile(model, num_threads=threads)
            t1, tn = _best(one, {"x": x}), _best(many, {"x": x})
            split = "yes" if many.stats["parallel_loops"] else "no"
            rows.append(f"| {op} * x | {n} | {split} | {t1 * 1e6:.1f} | {tn * 1e6:.1f} | {t1 / tn:.2f}x |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dispatch", action="store_true", help="dispatch cost only")
    parser.add_argument("--threads", type=int, default=available_cores())
    args = parser.parse_args(argv)
    print(f"CPU: {cpu_description()}; threads: {args.threads}")
    print(f"thresholds: split a loop from {MIN_PARALLEL_WORK} work units, one share per {WORK_PER_THREAD}")
    print()
    print("\n".join(dispatch_table(args.threads)))
    if not args.dispatch:
        print()
        print("\n".join(crossover_table(args.threads)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
