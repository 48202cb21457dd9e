"""The model cache: a compile that was done before is a load (`compile(model_cache=True)`).

The per-kernel object cache (runtime/object_cache.py) skips LLVM, but the Python
stages (import, graph passes, lowering, translation) still run on a warm compile. With
`model_cache=True` a compile first looks for a saved model (runtime/artifact.py) under
`$STRATA_CACHE_DIR/models/<key>/` and loads it (runtime/loader.py); otherwise it compiles
and saves one.

The key is a SHA-256 of everything that decides the compiled model: the model's bytes
(a file's content, not its name; ONNX external-data files are not part of the key),
the compile options, the host CPU and features, the LLVM version and pipeline, and a
fingerprint of Strata's own code (the path, size and modification time of every Python
file of its packages: an edited kernel lowering never loads code made by the old one).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from typing import Any

import llvmlite.binding as llvm

from runtime.artifact import ArtifactError, strata_version
from runtime.jit import cache_version
from runtime.loader import load
from runtime.object_cache import cache_dir

_PACKAGES = ("compiler", "dialects", "lowering", "runtime")


def code_fingerprint() -> str:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    h = hashlib.sha256()
    for package in _PACKAGES:
        for folder, dirs, files in sorted(os.walk(os.path.join(root, package))):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(folder, name))
                    h.update(f"{os.path.relpath(os.path.join(folder, name), root)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _model_digest(model: Any) -> str:
    h = hashlib.sha256()
    if isinstance(model, (bytes, bytearray, memoryview)):
        h.update(model)
    elif hasattr(model, "SerializeToString"):
        h.update(model.SerializeToString())
    else:
        with open(os.fspath(model), "rb") as f:
            while chunk := f.read(1 << 22):
                h.update(chunk)
    return h.hexdigest()


def model_key(model: Any, options: dict[str, Any]) -> str:
    h = hashlib.sha256()
    for part in (
        _model_digest(model),
        json.dumps(options, sort_keys=True, default=str),
        llvm.get_host_cpu_name(),
        llvm.get_host_cpu_features().flatten(),
        cache_version(),
        strata_version(),
        code_fingerprint(),
    ):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def model_path(key: str) -> str:
    return os.path.join(cache_dir(), "models", key)


def lookup(key: str, num_threads: int) -> Any | None:
    """The cached model for `key`, loaded, or None (absent, damaged or for another host)."""
    path = model_path(key)
    if not os.path.exists(os.path.join(path, "manifest.json")):
        return None
    try:
        return load(path, num_threads)
    except (ArtifactError, OSError, ValueError, KeyError):
        return None


def store(key: str, model: Any) -> bool:
    """Saves `model` under `key` (written beside, then renamed into place); False when the
    cache cannot be written."""
    folder = os.path.dirname(model_path(key))
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=folder, prefix=".tmp-")
        model.save(tmp)
        try:
            os.rename(tmp, model_path(key))
        except OSError:  # another process stored it first
            shutil.rmtree(tmp, ignore_errors=True)
        return True
    except OSError:
        return False
