"""On-disk cache of JIT-compiled object code, keyed by the LLVM IR.

LLVM is most of a compile's time (optimisation and code generation of every kernel);
compiling the same model again — a benchmark rerun, a service restart, the backend's
per-value recompiles — gives the same IR, so its object code is kept on disk and
handed back to MCJIT, which then skips optimisation and code generation.

The key is a SHA-256 of everything that decides the machine code: the IR text, the
LLVM optimisation level, the host CPU name and features, and the llvmlite/LLVM
version. Each file holds a digest of its own payload, so a truncated or corrupted
entry is detected and ignored (loading a damaged object could crash the process).
Writes go to a temporary file renamed into place, so concurrent compiles (pytest-xdist
workers) never see half a file.

Location: `$STRATA_CACHE_DIR/objects/` (default `~/.cache/strata/objects/`);
`STRATA_CACHE=0` turns the cache off. A cache that cannot be written is skipped.
"""

from __future__ import annotations

import hashlib
import os
import tempfile

_MAGIC = b"STRATA-OBJ-1\n"


def cache_dir() -> str:
    """Where Strata keeps its on-disk caches: $STRATA_CACHE_DIR, else ~/.cache/strata."""
    return os.environ.get("STRATA_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "strata")


def enabled() -> bool:
    return os.environ.get("STRATA_CACHE", "1") != "0"


def object_key(llvm_ir: str, opt_level: int, cpu: str, features: str, llvm_version: str) -> str:
    h = hashlib.sha256()
    for part in (llvm_version, cpu, features, str(opt_level), llvm_ir):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def _path(key: str, folder: str = "objects", suffix: str = ".o") -> str:
    return os.path.join(cache_dir(), folder, f"{key}{suffix}")


def load(key: str, folder: str = "objects", suffix: str = ".o") -> bytes | None:
    """The cached object for `key`, or None (absent, unreadable or damaged). `folder`
    and `suffix` name another kind of entry kept the same way (lowering/kernel_cache.py)."""
    try:
        with open(_path(key, folder, suffix), "rb") as f:
            data = f.read()
    except OSError:
        return None
    head = len(_MAGIC) + 32
    if len(data) <= head or not data.startswith(_MAGIC):
        return None
    digest, payload = data[len(_MAGIC) : head], data[head:]
    if hashlib.sha256(payload).digest() != digest:
        return None
    return payload


def store(key: str, payload: bytes, folder: str = "objects", suffix: str = ".o") -> bool:
    """Writes the object for `key`; False when the cache directory is not writable."""
    path = _path(key, folder, suffix)
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC + hashlib.sha256(payload).digest() + payload)
        os.replace(tmp, path)
        return True
    except OSError:
        return False
