"""MCJIT compilation of textual LLVM IR for the host CPU (llvmlite >= 0.44 binding).

``JitModule(llvm_ir, opt_level=3)`` parses and verifies the IR, runs LLVM's
new-pass-manager ``default<O{opt_level}>`` pipeline tuned for the host CPU,
JIT-compiles it with MCJIT and keeps the engine alive for as long as the
``JitModule`` lives.  ``address(name)`` returns the address of a compiled
function; ``timings`` holds the parse/optimize/codegen wall times in seconds;
``cached`` says whether the object code came from the on-disk cache
(`runtime/object_cache.py`: the same IR compiled before skips optimisation and code
generation).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from collections.abc import Sequence
from typing import Any

import llvmlite.binding as llvm

from dialects.errors import StrataError
from runtime import object_cache

__all__ = ["JitModule", "JitError", "FunctionAddresses", "host_target_machine", "machine_cpu", "optimized_text"]

_init_lock = threading.Lock()
_initialized = False


class JitError(StrataError, RuntimeError):
    """The LLVM IR failed to parse/verify, or a symbol is missing."""


def _ensure_llvm() -> None:
    """One-time LLVM process setup: native target, asm printer, libm symbols."""
    global _initialized
    if _initialized:
        return
    with _init_lock:
        if _initialized:
            return
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        llvm.initialize_native_asmparser()
        # libm (erff, tanhf, atan2f...) and libgcc (half-float helpers on CPUs
        # without F16C) must be visible to MCJIT's symbol resolver.
        for lib in ("m", "gcc_s"):
            path = ctypes.util.find_library(lib)
            if path:
                try:
                    llvm.load_library_permanently(path)
                except RuntimeError:
                    pass
        _initialized = True


# What the optimisation pipeline runs beyond llvmlite's defaults; part of the object
# cache key, so object code made by another pipeline is never reused.
PIPELINE = "slp"


def cache_version() -> str:
    """The LLVM version and pipeline tag that go into every object-cache key."""
    return ".".join(map(str, llvm.llvm_version_info)) + "+" + PIPELINE


def pipeline_tuning(opt_level: int) -> Any:
    """LLVM's default<O{opt_level}> pipeline with the SLP vectorizer on (llvmlite turns
    it off by default): kernels whose lane loops LLVM unrolls before the loop vectorizer
    sees them (8-lane blocked elementwise ops, pooling, epilogues) become vector code.
    Measured on the Zen 3 host, 1 thread: ResNet-18 77 -> 56 ms, ResNet-50 141 -> 115,
    MobileNetV3 9.8 -> 8.3, BERT-base 340 -> 315; LLVM time no longer."""
    pto = llvm.create_pipeline_tuning_options(speed_level=opt_level)
    pto.slp_vectorization = opt_level >= 2
    return pto


def machine_cpu(cpu: str | None = None) -> tuple[str, str]:
    """(LLVM CPU name, feature string) that object code is made for: the host's CPU with
    all its features when `cpu` is None or names the host; otherwise the named CPU with
    the features LLVM's model of it implies (compile(cpu=...)). Both go into the
    object-cache keys."""
    _ensure_llvm()
    host = llvm.get_host_cpu_name()
    if cpu is None or cpu == host:
        return host, _wide_vectors(llvm.get_host_cpu_features().flatten())
    return cpu, _wide_vectors("")


def _wide_vectors(features: str) -> str:
    """`features` plus "-prefer-256-bit". LLVM's Intel AVX-512 models (skylake-avx512 to
    sapphirerapids, rocketlake) prefer 256-bit vectors, so the loop vectorizer made
    <8 x float> of the kernels' 16-lane loops on CPUs whose two FMA units are 512 bits
    wide. Measured on an Intel Xeon (family 6, model 167, LLVM rocketlake), 1 thread,
    tools/matmul_benchmark.py: 256^3 MatMul 158 -> 164 GFLOP/s, 512^3 152 -> 158; the
    feature is a no-op for CPUs that lack it (AMD, AVX2)."""
    return features + ("," if features else "") + "-prefer-256-bit"


def host_target_machine(opt_level: int = 3, cpu: str | None = None) -> Any:
    """A TargetMachine for the host CPU with all its features, or for the CPU named
    `cpu` (machine_cpu)."""
    _ensure_llvm()
    target = llvm.Target.from_triple(llvm.get_process_triple())
    name, features = machine_cpu(cpu)
    return target.create_target_machine(
        cpu=name,
        features=features,
        opt=opt_level,
        reloc="default",
        codemodel="jitdefault",
        jit=True,
    )


def optimized_text(llvm_ir: str, opt_level: int, cpu: str | None = None) -> str:
    """`llvm_ir` after the optimisation pipeline the machine code is made with (for tests
    and debugging: object code from the cache was not optimised in this process)."""
    mod = llvm.parse_assembly(llvm_ir)
    tm = host_target_machine(opt_level, cpu)
    mod.triple = llvm.get_process_triple()
    mod.data_layout = str(tm.target_data)
    if opt_level > 0:
        pb = llvm.create_pass_builder(tm, pipeline_tuning(opt_level))
        pb.getModulePassManager().run(mod, pb)
    return str(mod)


class FunctionAddresses:
    """`address(name)` of a function in an MCJIT engine (`self._engine`), memoized in
    `self._addresses`; shared by JitModule and runtime.llvm_objects.ObjectEngine."""

    _engine: Any
    _addresses: dict[str, int]

    def address(self, name: str) -> int:
        """Address of the compiled function ``name`` (JitError if absent)."""
        addr = self._addresses.get(name)
        if addr is None:
            addr = self._engine.get_function_address(name)
            if not addr:
                raise JitError(f"no compiled function named '{name}'")
            self._addresses[name] = addr
        return addr


class JitModule(FunctionAddresses):
    """A JIT-compiled LLVM module.

    Attributes:
      timings: ``{"parse": s, "optimize": s, "codegen": s}``.
      opt_level: the optimisation level used (0-3).
    """

    def __init__(self, llvm_ir: str, opt_level: int = 3, cpu: str | None = None):
        if not 0 <= opt_level <= 3:
            raise ValueError("opt_level must be 0, 1, 2 or 3")
        _ensure_llvm()
        self.opt_level = opt_level
        self.timings: dict[str, float] = {}

        t0 = time.perf_counter()
        try:
            mod = llvm.parse_assembly(llvm_ir)
            mod.verify()
        except RuntimeError as e:
            raise JitError(f"invalid LLVM IR: {e}") from e
        tm = host_target_machine(opt_level, cpu)
        self.cpu = cpu
        mod.triple = llvm.get_process_triple()
        mod.data_layout = str(tm.target_data)
        key = None
        cached = None
        if object_cache.enabled():
            key = object_cache.object_key(llvm_ir, opt_level, *machine_cpu(cpu), cache_version())
            cached = object_cache.load(key)
        self.cached = cached is not None
        t1 = time.perf_counter()

        if opt_level > 0 and cached is None:
            pb = llvm.create_pass_builder(tm, pipeline_tuning(opt_level))
            pm = pb.getModulePassManager()
            pm.run(mod, pb)
        t2 = time.perf_counter()

        engine = llvm.create_mcjit_compiler(mod, tm)  # takes ownership of mod and tm
        if key is not None:

            def notify(_module: Any, buffer: bytes) -> None:
                if cached is None:
                    object_cache.store(key, bytes(buffer))

            engine.set_object_cache(notify, lambda _module: cached)
        engine.finalize_object()
        engine.run_static_constructors()
        t3 = time.perf_counter()

        self._module = mod
        self._llvm_ir = llvm_ir
        self._engine = engine
        self._addresses: dict[str, int] = {}
        self.timings = {"parse": t1 - t0, "optimize": t2 - t1, "codegen": t3 - t2}

    @property
    def total_time(self) -> float:
        return sum(self.timings.values())

    def optimized_ir(self) -> str:
        """The LLVM IR after optimisation (for debugging). When the object code came from
        the cache, nothing was optimised in this process: the IR is optimised here, on
        a fresh copy, so what is shown is still what the machine code was made from."""
        if not self.cached or self.opt_level == 0:
            return str(self._module)
        return optimized_text(self._llvm_ir, self.opt_level, self.cpu)

    def entry(self, name: str = "strata_entry") -> Any:
        """``void name(void **argv)`` as a ctypes function."""
        return ctypes.CFUNCTYPE(None, ctypes.c_void_p)(self.address(name))

    def call_entry(self, buffers: Sequence[Any], name: str = "strata_entry") -> None:
        """Call ``name(argv)`` with argv[i] = address of ``buffers[i]``.

        A buffer is a C-contiguous numpy array (anything with ``.ctypes.data``)
        or an int address.
        """
        argv = (ctypes.c_void_p * max(1, len(buffers)))()
        for i, buf in enumerate(buffers):
            if isinstance(buf, int):
                argv[i] = buf
                continue
            flags = getattr(buf, "flags", None)
            if flags is not None and not flags["C_CONTIGUOUS"]:
                raise ValueError(f"buffer {i} is not C-contiguous")
            argv[i] = buf.ctypes.data
        self.entry(name)(ctypes.cast(argv, ctypes.c_void_p))
