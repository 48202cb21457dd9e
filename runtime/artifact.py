"""Saved models, the format: `CompiledModel.save(path)` writes a folder (`save` here),
`runtime/loader.py`'s `load(path)` runs it (it reads the folder with `read_manifest` and
`check_target` here).

A serving process should not compile: one build step compiles, every replica loads. The
folder holds what the machine code needs and nothing else:

    manifest.json   format, Strata version, target CPU name and features, LLVM version,
                    entry symbol, the entry's argument kinds, inputs and outputs (name,
                    dtype, shape), run-time check sites, thread count, compile stats,
                    and for every object file and weight its place and SHA-256 prefix
    code.bin        the object files (the kernels and the entry), one after another
    weights.bin     every weight in the layout the kernels read it (packed/blocked
                    where compile time packed it), each 64-byte aligned

`load` (runtime/loader.py) imports neither xDSL nor the compiler's passes and runs no
LLVM optimizer or code generator: it links the object code into one MCJIT engine (runtime/llvm_objects.py) and
memory-maps the weights (copy-on-write: pages are read from the file when first
touched, several replicas on one host share them in the page cache). It refuses a
folder written for another CPU (name or features) or by another Strata or LLVM version,
with an error that says which and what to do.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from typing import Any

import numpy as np

from dialects.errors import StrataError

FORMAT = "strata-model-1"
_ALIGN = 64


class ArtifactError(StrataError):
    """A saved model that cannot be loaded here (another CPU, version, or damaged)."""


def strata_version() -> str:
    try:
        from importlib.metadata import version  # start-up time: only a save or load asks

        return version("strata")
    except Exception:
        return "0+unknown"


def _target(cpu: str | None = None) -> dict[str, str]:
    """The CPU, features, LLVM and triple object code is made for: this host's, or
    those of a compile(cpu=...) build (runtime.jit.machine_cpu)."""
    # Start-up time: llvmlite (~50 ms) loads when a manifest is written or checked, not
    # when runtime/compiled_model.py imports this module for CompiledModel.save.
    import llvmlite.binding as llvm

    from runtime.jit import cache_version, machine_cpu

    name, features = machine_cpu(cpu)
    return {
        "cpu": name,
        "features": features,
        "llvm": cache_version(),
        "triple": llvm.get_process_triple(),
    }


def digest(data: Any) -> str:
    return hashlib.sha256(memoryview(data).cast("B")).hexdigest()[:32]


def save(model: Any, path: str) -> str:
    """Writes `model` (a CompiledModel whose machine code is object files) to the folder
    `path` (created; files in it are replaced); returns `path`."""
    objects = getattr(model._jit, "objects", None)
    if objects is None:
        raise ArtifactError("this model's machine code is not object files (built by JitModule); "
                            "only models from compiler.compile(target='cpu') can be saved")
    os.makedirs(path, exist_ok=True)
    code_entries, offset = [], 0
    for obj in objects:
        code_entries.append({"offset": offset, "bytes": len(obj), "sha256": digest(obj)})
        offset += len(obj)
    weight_entries, offset = [], 0
    for slot, array in model._weight_slots:
        offset += -offset % _ALIGN
        weight_entries.append({"slot": slot, "offset": offset, "dtype": array.dtype.str,
                               "shape": list(array.shape), "bytes": array.nbytes})
        offset += array.nbytes
    manifest = {
        "format": FORMAT,
        "strata": strata_version(),
        "target": _target(getattr(model._jit, "cpu", None)),
        "opt_level": getattr(model._jit, "opt_level", 3),
        "entry": model._entry_symbol,
        "arg_kinds": list(model._arg_kinds),
        "inputs": [{"name": s.name, "dtype": s.dtype.str, "shape": list(s.shape)} for s in model.inputs],
        "outputs": [{"name": s.name, "dtype": s.dtype.str, "shape": list(s.shape)} for s in model.outputs],
        "status_sites": [list(site) for site in model._status_sites],
        "num_threads": model._threads.requested,
        "stats": {k: v for k, v in model.stats.items() if _jsonable(v)},
        "code": code_entries,
        "weights": weight_entries,
    }

    def write(name: str, chunks) -> None:  # a reader never sees half a file
        fd, tmp = tempfile.mkstemp(dir=path, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
        os.replace(tmp, os.path.join(path, name))

    def weight_chunks():
        at = 0
        for entry, (_, array) in zip(weight_entries, model._weight_slots):
            yield b"\0" * (entry["offset"] - at)
            yield memoryview(np.ascontiguousarray(array)).cast("B")
            at = entry["offset"] + entry["bytes"]

    write("code.bin", objects)
    write("weights.bin", weight_chunks())
    write("manifest.json", [json.dumps(manifest, indent=1).encode()])
    return path


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def read_manifest(path: str) -> dict[str, Any]:
    try:
        with open(os.path.join(path, "manifest.json")) as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        raise ArtifactError(f"'{path}' is not a saved Strata model (no readable manifest.json: {e})") from None
    if manifest.get("format") != FORMAT:
        raise ArtifactError(f"'{path}' has format {manifest.get('format')!r}; this Strata reads {FORMAT!r}")
    return manifest


def check_target(manifest: dict[str, Any], path: str) -> None:
    """ArtifactError unless this host and this Strata can run the saved code."""
    here = _target()
    saved = manifest["target"]
    if manifest["strata"] != strata_version():
        raise ArtifactError(f"'{path}' was saved by Strata {manifest['strata']}, this is Strata "
                            f"{strata_version()}: compile the model again with this version")
    if saved["llvm"] != here["llvm"] or saved["triple"] != here["triple"]:
        raise ArtifactError(f"'{path}' holds code from LLVM {saved['llvm']} for {saved['triple']}; this process "
                            f"has LLVM {here['llvm']} for {here['triple']}: compile the model again here")
    if saved["cpu"] != here["cpu"] or saved["features"] != here["features"]:
        have = set(here["features"].split(","))
        missing = sorted(f for f in saved["features"].split(",") if f.startswith("+") and f not in have)
        detail = f"; this CPU lacks {', '.join(missing[:8])}" if missing else ""
        raise ArtifactError(f"'{path}' was compiled for CPU {saved['cpu']}, this host is {here['cpu']}"
                            f"{detail}: compile the model again on (or for) this CPU")
