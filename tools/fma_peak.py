"""The single-core FP32 peak of this CPU, measured: independent FMA chains of each
vector width the host runs (4, 8 and, with AVX-512F, 16 lanes), JIT-compiled by LLVM and
timed. This is the bar the kernel benchmarks (tools/matmul_benchmark.py, the model
tables) are read against: "85 % of peak" means of the figure this script prints.

    python -m tools.fma_peak            # table: lanes, chains, GFLOP/s
    python -m tools.fma_peak --json     # the same as JSON

Why several chains: an FMA has a latency of 4-5 cycles and two FMA pipes issue one
each per cycle, so at least 8-10 independent accumulators keep both pipes busy; the
chains are as many as the register file holds with room for the two operands (12 on a
16-register target, 24 on a 32-register one). Note that a CPU may run 512-bit vectors
as two 256-bit halves (AMD Zen 4), so 16 lanes need not be twice as fast as 8.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import time

import llvmlite.binding as llvm

from lowering.target import host_target
from runtime.jit import host_target_machine

ITERATIONS = 20_000_000


def chain_ir(lanes: int, chains: int) -> str:
    """`void fma_chains(i64 n, float* out)`: `chains` accumulators of <lanes x float>,
    each updated by one FMA per iteration (acc = acc * m + c), summed into out[0:lanes]
    at the end so nothing is dead."""
    vec = f"<{lanes} x float>"
    splat = lambda v: "<" + ", ".join([f"float {v}"] * lanes) + ">"  # noqa: E731
    lines = [
        f"declare {vec} @llvm.fma.v{lanes}f32({vec}, {vec}, {vec})",
        "define void @fma_chains(i64 %n, ptr %out) {",
        "entry:",
        "  br label %loop",
        "loop:",
        "  %i = phi i64 [0, %entry], [%i.next, %loop]",
    ]
    for c in range(chains):
        lines.append(f"  %acc{c} = phi {vec} [{splat(f'{c + 1}.0')}, %entry], [%next{c}, %loop]")
    for c in range(chains):
        lines.append(
            f"  %next{c} = call {vec} @llvm.fma.v{lanes}f32({vec} %acc{c}, {vec} {splat('0x3FEFFFFFE0000000')}, "
            f"{vec} {splat('0x3F50624DE0000000')})"
        )
    lines += [
        "  %i.next = add i64 %i, 1",
        "  %more = icmp ult i64 %i.next, %n",
        "  br i1 %more, label %loop, label %done",
        "done:",
    ]
    total = "%next0"
    for c in range(1, chains):
        lines.append(f"  %sum{c} = fadd {vec} {total}, %next{c}")
        total = f"%sum{c}"
    lines += [f"  store {vec} {total}, ptr %out, align 4", "  ret void", "}"]
    return "\n".join(lines)


def measure(lanes: int, chains: int, iterations: int = ITERATIONS, repeat: int = 3) -> float:
    """GFLOP/s of `chains` FMA chains of `lanes` floats (best of `repeat` runs)."""
    tm = host_target_machine(3)
    mod = llvm.parse_assembly(chain_ir(lanes, chains))
    mod.triple = llvm.get_process_triple()
    mod.data_layout = str(tm.target_data)
    engine = llvm.create_mcjit_compiler(mod, tm)
    engine.finalize_object()
    fn = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.c_void_p)(engine.get_function_address("fma_chains"))
    out = (ctypes.c_float * lanes)()
    fn(iterations // 10, ctypes.addressof(out))  # warm up (clock ramps)
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn(iterations, ctypes.addressof(out))
        best = min(best, time.perf_counter() - t)
    return 2.0 * lanes * chains * iterations / best / 1e9


def peak_table() -> list[dict]:
    """One row per vector width the host runs natively."""
    target = host_target()
    chains = 24 if target.vector_registers >= 32 else 12
    widths = [w for w in (4, 8, 16) if w <= target.f32_lanes]
    return [{"lanes": w, "chains": chains, "gflops": measure(w, chains)} for w in widths]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    from tools.benchmark import cpu_description

    rows = peak_table()
    if args.json:
        print(json.dumps({"cpu": cpu_description(), "rows": rows}))
        return 0
    print(f"cpu: {cpu_description()}")
    print("single-core FP32 FMA peak (independent chains, 1 thread)\n")
    print("| lanes | chains | GFLOP/s |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r['lanes']} | {r['chains']} | {r['gflops']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
