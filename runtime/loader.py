"""`load(path)`: a saved model folder (runtime/artifact.py) as a CompiledModel, ready to run.

Links the folder's object code into one MCJIT engine (runtime/llvm_objects.py), runs no
LLVM optimizer or code generator, and memory-maps the weights; imports neither xDSL nor
the compiler. This is `compiler.load`. It lives apart from the format (artifact.py)
because it builds a CompiledModel, whose `save` writes that format: one module holding
both would import compiled_model and be imported by it.
"""

from __future__ import annotations

import os

import numpy as np

from runtime.artifact import ArtifactError, check_target, digest, read_manifest
from runtime.compiled_model import CompiledModel, TensorSpec
from runtime.llvm_objects import ObjectEngine


class _Weights:
    """What CompiledModel reads weights from: slot -> array (views into weights.bin)."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self._arrays = arrays

    def get(self, name: str) -> np.ndarray:
        return self._arrays[name]


def load(path: str, num_threads: int | None = None) -> CompiledModel:
    """The saved model at `path` as a CompiledModel, ready to run (see the module text).
    `num_threads` defaults to the thread count it was compiled with."""
    manifest = read_manifest(path)
    check_target(manifest, path)
    with open(os.path.join(path, "code.bin"), "rb") as f:
        code = f.read()
    objects = []
    for entry in manifest["code"]:
        obj = code[entry["offset"] : entry["offset"] + entry["bytes"]]
        if len(obj) != entry["bytes"] or digest(obj) != entry["sha256"]:
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
