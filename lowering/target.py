"""The CPU a compile targets, as the kernels need it: vector width and register count.

Kernels size their register tiles from this (lowering/kernels/conv_nchwc.py: output
blocks x pixels per tile), never from a constant: the same machine kind has been an
AVX2-only Zen 3 (16 ymm registers) and an AVX-512 Zen 5 (32 zmm registers), and a
tile that fits one spills on the other (measured on the Zen 3: the 2 x 6 tile tuned on
the Zen 5 ran 64->64 3x3 convs at 43 GFLOP/s, 2 x 5 at 76).

`host_target()` reads the host's CPU name and features from LLVM (llvmlite); the
translator and the JIT compile for that same CPU (runtime/jit.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import llvmlite.binding as llvm

from dialects.errors import StrataError

__all__ = ["CpuTarget", "host_target", "target_for", "unrunnable_reason", "KNOWN_CPUS"]


@dataclass(frozen=True)
class CpuTarget:
    name: str  # LLVM's CPU name, e.g. "znver3"
    vector_bits: int  # widest float vector: 512 (AVX-512F), 256 (AVX2 + FMA), 128 otherwise
    vector_registers: int  # architectural vector registers of that width

    @property
    def f32_lanes(self) -> int:
        return self.vector_bits // 32

    @property
    def explicit_vector_tiles(self) -> bool:
        """Whether the GEMM's register tiles are written as explicit vector<f32_lanes>
        accumulators (lowering/kernels/matmul.py; the conv's follow explicit_conv_tiles)
        instead of lane loops for LLVM's loop vectorizer: on AVX2 (16 registers of 8
        floats: a 6 x 16 tile in 12 accumulators) and on AVX-512 (32 registers of 16
        floats: 12 x 32 in 24, MLAS's tiles). With 16 registers the tiles that fill the
        register file spilled as lane loops (LLVM vectorizes after its register-pressure
        heuristics ran). With 32, the 4 x 16 lane-loop tile had 4 zmm accumulators, too
        few chains to cover the FMA latency on two 512-bit FMA units: measured on an
        Intel Xeon (family 6, model 167, LLVM rocketlake), 1 thread, Strata GFLOP/s,
        tools/matmul_benchmark.py, lane loops -> 12 x 32 explicit: 256^3 102 -> 187,
        512^3 97 -> 161, 1024x768x768 86 -> 139, 2048^3 92 -> 146 (onnxruntime 120-180
        in the same runs)."""
        return (self.vector_bits == 256 and self.vector_registers < 32) or self.vector_bits >= 512

    @property
    def nchwc_block(self) -> int:
        """Channels per block of the NCHWc layout (compiler/passes/layout_nchwc.py): one
        vector of f32, 16 with AVX-512 (as onnxruntime's MLAS), else 8 (two vectors of 4
        on a 128-bit CPU). Measured on an Intel Xeon (family 6, model 167, rocketlake;
        two 512-bit FMA units), 1 thread, tools/benchmark.py, Strata / onnxruntime, block
        8 -> 16: ResNet-50 1.45x -> 1.32x, ResNet-18 1.51x -> 1.17x, MobileNetV3 1.07x ->
        0.89x, EfficientNet-B0 1.06x -> 0.93x."""
        return 16 if self.vector_bits >= 512 else 8

    @property
    def explicit_conv_tiles(self) -> bool:
        """Whether the NCHWc conv's register tiles are explicit vector<block x f32> accumulators
        (lowering/kernels/conv_nchwc.py) rather than lane loops for LLVM's vectorizer:
        on every AVX2 or AVX-512 CPU. With 32 registers the two give the same FMAs in the
        same order (bit-equal outputs) and the explicit ones leave LLVM less to do.
        Measured on the Zen 4 host (AVX-512VL), 1 thread, interleaved in one process,
        min of 20, lane loops -> explicit: ResNet-50 77.3 -> 76.8 ms, EfficientNet-B0
        11.62 -> 11.21, MobileNetV3 5.82 -> 5.61, DenseNet-121 54.1 -> 53.9; LLVM after
        translation 1.19 -> 0.86 s, 1.79 -> 1.37, 1.67 -> 1.20, 2.18 -> 1.86."""
        return self.vector_bits >= 256

    def describe(self) -> str:
        isa = {512: "AVX-512", 256: "AVX2+FMA"}.get(self.vector_bits, f"{self.vector_bits}-bit vectors")
        return f"{self.name} ({isa}, {self.vector_registers} vector registers, NCHWc block {self.nchwc_block})"


def _from_features(name: str, features: dict[str, bool]) -> CpuTarget:
    if features.get("avx512f"):
        return CpuTarget(name, 512, 32)
    if features.get("avx2") and features.get("fma"):
        return CpuTarget(name, 256, 16)
    return CpuTarget(name, 128, 16)


def host_target() -> CpuTarget:
    return _from_features(llvm.get_host_cpu_name(), dict(llvm.get_host_cpu_features().items()))


# Vector width of the x86 CPUs LLVM knows by name (llvmlite cannot list the features a
# CPU name implies), for compiling for a CPU other than the host.
KNOWN_CPUS: dict[str, int] = {
    **dict.fromkeys(
        ("znver4", "znver5", "skylake-avx512", "cascadelake", "cooperlake", "cannonlake", "icelake-client",
         "icelake-server", "tigerlake", "rocketlake", "sapphirerapids", "emeraldrapids", "graniterapids",
         "x86-64-v4"), 512),
    **dict.fromkeys(
        ("haswell", "broadwell", "skylake", "alderlake", "raptorlake", "meteorlake", "arrowlake", "znver1",
         "znver2", "znver3", "x86-64-v3"), 256),
    **dict.fromkeys(("x86-64", "x86-64-v2", "nehalem", "westmere", "sandybridge", "ivybridge", "generic"), 128),
}


def target_for(cpu: str | None) -> CpuTarget:
    """The target for an LLVM CPU name of KNOWN_CPUS; None: the host."""
    if cpu is None:
        return host_target()
    bits = KNOWN_CPUS.get(cpu)
    if bits is None:
        raise StrataError(f"unknown CPU {cpu!r}; known: {', '.join(sorted(KNOWN_CPUS))}")
    return CpuTarget(cpu, bits, 32 if bits == 512 else 16)


def unrunnable_reason(target: CpuTarget) -> str | None:
    """Why code built for `target` cannot run on this host (its vectors are wider than
    the host's), or None."""
    host = host_target()
    if target.vector_bits <= host.vector_bits:
        return None
    return (f"this model was compiled for {target.describe()}, and this CPU ({host.describe()}) lacks "
            f"its {target.vector_bits}-bit vector instructions; compile it for this host (cpu=None) to run it")
