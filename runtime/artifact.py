"""Saved models: `CompiledModel.save(path)` writes a folder, `load(path)` runs it.

A serving process should not compile: one build step compiles, every replica loads. The
folder holds what the machine code needs and nothing else:

    manifest.json   format, Strata version, target CPU name and features, LLVM version,
                    entry symbol, the entry's argument kinds, inputs and outputs (name,
                    dtype, shape), run-time check sites, thread count, compile stats,
                    and for every object file and weight its place and SHA-256 prefix
    code.bin        the object files (the kernels and the entry), one after another
    weights.bin     every weight in the layout the kernels read it (packed/blocked
                    where compile time packed it), each 64-byte aligned

`load` imports neither xDSL nor the compiler's passes and runs no LLVM optimizer or code
generator: it links the object code into one MCJIT engine (runtime/llvm_objects.py) and
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
        from importlib.metadata import version

        return version("strata")
    except Exception:
        return "0+unknown"


def _target(cpu: str | None = None) -> dict[str, str]:
    """The CPU, features, LLVM and triple object code is made for: this host's, or
    those of a compile(cpu=...) build (runtime.jit.machine_cpu)."""
    import llvmlite.binding as llvm

    from runtime.jit import cache_version, machine_cpu

    name, features = machine_cpu(cpu)
    return {
        "cpu": name,
        "features": features,
        "llvm": cache_version(),
        "triple": llvm.get_process_triple(),
    }


def _digest(data: Any) -> str:
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
        code_entries.append({"offset": offset, "bytes": len(obj), "sha256": _digest(obj)})
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


class _Weights:
    """What CompiledModel reads weights from: slot -> array (views into weights.bin)."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self._arrays = arrays

    def get(self, name: str) -> np.ndarray:
        return self._arrays[name]


def load(path: str, num_threads: int | None = None) -> Any:
    """The saved model at `path` as a CompiledModel, ready to run (see the module text).
    `num_threads` defaults to the thread count it was compiled with."""
    from runtime.compiled_model import CompiledModel, TensorSpec
    from runtime.llvm_objects import ObjectEngine

    manifest = read_manifest(path)
    check_target(manifest, path)
    with open(os.path.join(path, "code.bin"), "rb") as f:
        code = f.read()
    objects = []
    for entry in manifest["code"]:
        obj = code[entry["offset"] : entry["offset"] + entry["bytes"]]
        if len(obj) != entry["bytes"] or _digest(obj) != entry["sha256"]:
            raise ArtifactError(f"'{path}': code.bin is damaged (an object file does not match its digest)")
        objects.append(obj)
    kinds = list(manifest["arg_kinds"])
    arrays: dict[str, np.ndarray] = {}
    weights_file = os.path.join(path, "weights.bin")
    if manifest["weights"]:
        blob = np.memmap(weights_file, dtype=np.uint8, mode="c") if os.path.getsize(weights_file) else np.zeros(0, np.uint8)
        for entry in manifest["weights"]:
            end = entry["offset"] + entry["bytes"]
            if end > blob.size:
                raise ArtifactError(f"'{path}': weights.bin is shorter than its manifest says")
            dtype = np.dtype(entry["dtype"])
            view = blob[entry["offset"] : end].view(dtype).reshape(entry["shape"]) if entry["bytes"] else np.empty(entry["shape"], dtype)
            slot = entry["slot"]
            # The slot's kind names the weight; CompiledModel reads it by that name.
            arrays[kinds[slot].partition(":")[2]] = view
    engine = ObjectEngine(objects, manifest.get("opt_level", 3), "saved")
    spec = lambda d: TensorSpec(d["name"], np.dtype(d["dtype"]), tuple(d["shape"]))  # noqa: E731
    stats = dict(manifest["stats"])
    stats["loaded_from"] = path
    return CompiledModel(
        engine, manifest["entry"], kinds, [spec(d) for d in manifest["inputs"]], [spec(d) for d in manifest["outputs"]],
        _Weights(arrays), stats, num_threads or manifest["num_threads"],
        status_sites=[tuple(s) for s in manifest["status_sites"]],
    )
