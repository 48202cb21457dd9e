"""The LLVM worker process: LLVM IR text in, object code out.

llvmlite's binding runs every call of one process behind one lock, so LLVM work runs in
parallel only in separate processes. `runtime/llvm_objects.py` starts one of these per
core (`python -m runtime.llvm_worker`) and sends it kernel modules over a pipe; each is
optimised with exactly the pipeline the in-process JIT uses (`runtime.jit.pipeline_tuning`,
the SLP vectorizer on) and compiled for the host CPU with the JIT's own TargetMachine,
so its object code is the object code MCJIT would have made.

Protocol (binary, on stdin/stdout): a request is a 4-byte little-endian length and a
pickle of `(llvm_ir: str, opt_level: int)`; the reply is a length and a pickle of
`(True, object_bytes)` or `(False, error_message)`. End of input ends the worker.
It imports llvmlite and the few runtime modules it needs, never xDSL.
"""

from __future__ import annotations

import pickle
import struct
import sys
from typing import BinaryIO

import llvmlite.binding as llvm

from runtime.jit import JitError, host_target_machine, pipeline_tuning

_LEN = struct.Struct("<I")


def compile_object(llvm_ir: str, opt_level: int, cpu: str | None = None) -> bytes:
    """Parses, verifies, optimises (default<O{opt_level}> + SLP) and emits an object for
    the host, or for the CPU named `cpu` (runtime.jit.machine_cpu)."""
    tm = host_target_machine(opt_level, cpu)
    try:
        mod = llvm.parse_assembly(llvm_ir)
        mod.verify()
    except RuntimeError as e:
        raise JitError(f"invalid LLVM IR: {e}") from e
    mod.triple = llvm.get_process_triple()
    mod.data_layout = str(tm.target_data)
    if opt_level > 0:
        pb = llvm.create_pass_builder(tm, pipeline_tuning(opt_level))
        pb.getModulePassManager().run(mod, pb)
    return bytes(tm.emit_object(mod))


def read_message(stream: BinaryIO):
    head = stream.read(_LEN.size)
    if len(head) < _LEN.size:
        return None
    (n,) = _LEN.unpack(head)
    data = stream.read(n)
    if len(data) < n:
        return None
    return pickle.loads(data)


def write_message(stream: BinaryIO, value) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LEN.pack(len(data)) + data)
    stream.flush()


def main() -> int:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the reply stream
    # Started while the parent runs its Python stages: be ready when the first kernel comes.
    host_target_machine(3)
    while True:
        request = read_message(stdin)
        if request is None:
            return 0
        llvm_ir, opt_level, cpu = request
        try:
            reply = (True, compile_object(llvm_ir, opt_level, cpu))
        except Exception as e:  # the parent raises it with the kernel's name
            reply = (False, f"{type(e).__name__}: {e}")
        write_message(stdout, reply)


if __name__ == "__main__":
    sys.exit(main())
