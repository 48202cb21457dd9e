"""The kernel cache: a kernel compiled once is neither lowered nor translated again.

The object cache (runtime/object_cache.py) skips LLVM for a kernel whose LLVM IR was
compiled before, but finding that IR costs the loop lowering and the translation, which
are most of a warm compile. This cache is looked up by `convert-onnx-to-loops` before it
lowers an op: on a hit the kernel becomes a declaration (`func.func private` with the
signature the lowering would have given it, check sites included) and its object code,
already in the object cache, is linked under the hashed symbol the LLVM split gave it
(runtime/llvm_objects.py); the entry still calls it, so the entry function is generated
as before and its LLVM text is the same as in a cold compile.

The key (`KernelCache.key`) is a SHA-256 of everything that decides a kernel's code:
- the graph-level op as `convert-onnx-to-loops` shares kernels by (the printed op with
  SSA names renumbered: op name, attributes, operand and result types, a fused group's
  body; which operands are constants), the kernel's argument types (packed layouts
  included) and each packed operand's packing (suffix and shape);
- the compile's context (`KernelCache.for_compile`): the LLVM CPU name and features,
  the target the kernels are tiled for, the LLVM optimisation level, whether parallel
  loops go to the thread pool, the LLVM version and pipeline (`runtime.jit.cache_version`,
  as the object cache) and a fingerprint of Strata's code (`runtime.model_cache`: the
  path, size and modification time of each of its Python files), so an edited lowering
  never reuses code made by the old one.
A lowering may read constant operands' values (a Reshape's shape): an entry lists the
operand indices its lowering read and a digest of each value, and a hit needs equal
values (the same rule as the kernel sharing of `convert-onnx-to-loops`). A kernel that
read a constant that is not one of its operands is not cached.

An entry (`$STRATA_CACHE_DIR/kernels/<key>.json`, written like the object cache's
files: digest-checked, renamed into place) holds, per set of read values, the kernel's
hashed symbol, its object-cache key, its check-site messages and its thread-pool loop
count; its LLVM IR is kept beside it (`<object key>.ll`) for `optimized_ir()`. A hit
needs the object to load intact from the object cache; otherwise the op is lowered.
It is on whenever the object cache is (`STRATA_CACHE=0` turns both off) and the LLVM
module is split (`STRATA_LLVM_SPLIT=0` compiles it whole); `STRATA_KERNEL_CACHE=0`
turns off only this one. Only `compile()` uses it; opt-tool always prints whole kernels.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from runtime import object_cache
from runtime.jit import cache_version, machine_cpu
from runtime.model_cache import code_fingerprint

_FOLDER = "kernels"
_FORMAT = "strata-kernel-1"


def value_digest(value: np.ndarray) -> str:
    """A digest of a constant's dtype, shape and bytes."""
    value = np.ascontiguousarray(value)
    h = hashlib.sha256(f"{value.dtype.str}{value.shape}".encode())
    h.update(value.reshape(-1).view(np.uint8).data)
    return h.hexdigest()


@dataclass(frozen=True)
class CachedKernel:
    """A kernel compiled before: what its declaration and call need, and its object."""

    symbol: str  # its symbol in the object code (runtime/llvm_objects.py: strata.k.<hash>)
    object_key: str
    sites: tuple[str, ...]  # its run-time check sites' messages, in order
    parallel_loops: int  # its loops that run on the thread pool
    reads: tuple[tuple[int, str], ...]  # (operand index, value digest) its code depends on
    obj: bytes = field(repr=False, default=b"")


@dataclass
class KernelCache:
    """One compile's view of the cache: `context` digests what the compile's options and
    host decide; `hits` and `pending` (kernels lowered here, stored once compiled) are
    by kernel function name."""

    context: str
    hits: dict[str, CachedKernel] = field(default_factory=dict)
    pending: dict[str, tuple[str, tuple[tuple[int, str], ...], tuple[str, ...]]] = field(default_factory=dict)
    # Called once, before the first kernel that is not in the cache is lowered (the
    # driver starts the LLVM workers then: a compile that finds every kernel needs none).
    on_first_lowering: Callable[[], None] | None = field(default=None, repr=False)

    def lowering(self) -> None:
        """A kernel is about to be lowered (it was not in the cache)."""
        if self.on_first_lowering is not None:
            callback, self.on_first_lowering = self.on_first_lowering, None
            callback()

    @staticmethod
    def enabled() -> bool:
        """Whether compiles use the kernel cache (the object cache on, neither
        STRATA_KERNEL_CACHE=0 nor STRATA_LLVM_SPLIT=0)."""
        return (object_cache.enabled() and os.environ.get("STRATA_KERNEL_CACHE", "1") != "0"
                and os.environ.get("STRATA_LLVM_SPLIT", "1") != "0")

    @classmethod
    def for_compile(cls, cpu: str | None, llvm_opt_level: int, parallel: bool, target: str) -> KernelCache | None:
        """The cache for a compile for `cpu` (None: the host) at LLVM `llvm_opt_level`,
        with thread-pool loops when `parallel`, kernels tiled for `target`
        (CpuTarget.describe()); None when it is off."""
        if not cls.enabled():
            return None
        name, features = machine_cpu(cpu)
        h = hashlib.sha256()
        for part in (_FORMAT, name, features, target, str(llvm_opt_level), str(parallel), cache_version(),
                     code_fingerprint()):
            h.update(part.encode())
            h.update(b"\0")
        return cls(h.hexdigest())

    def key(self, op_key: str, arg_types: Sequence[str], packings: Sequence[str]) -> str:
        h = hashlib.sha256(self.context.encode())
        for part in (op_key, *arg_types, "|", *packings):
            h.update(b"\0")
            h.update(part.encode())
        return h.hexdigest()

    @staticmethod
    def _load(key: str) -> list[dict]:
        data = object_cache.load(key, _FOLDER, ".json")
        if data is None:
            return []
        try:
            entry = json.loads(data)
        except ValueError:
            return []
        return entry.get("variants", []) if entry.get("format") == _FORMAT else []

    def lookup(self, key: str, digest_of) -> CachedKernel | None:
        """The kernel cached under `key` whose read values match (`digest_of(i)`: the
        digest of operand i's constant value, None when it is not a constant), with its
        object loaded; None on a miss."""
        for v in self._load(key):
            reads = tuple((int(i), d) for i, d in v["reads"])
            if all(digest_of(i) == d for i, d in reads):
                obj = object_cache.load(v["object"])
                if obj is None:
                    return None  # the object is gone or damaged: lower and compile again
                return CachedKernel(v["symbol"], v["object"], tuple(v["sites"]), int(v["parallel_loops"]), reads, obj)
        return None

    def hit(self, name: str, kernel: CachedKernel) -> None:
        self.hits[name] = kernel

    def miss(self, name: str, key: str, reads: tuple[tuple[int, str], ...], sites: Sequence[str]) -> None:
        """Kernel `name` was lowered here: store it under `key` once it is compiled."""
        self.pending[name] = (key, reads, tuple(sites))

    def external(self) -> dict[str, tuple[str, bytes, tuple[str, str, str]]]:
        """The hits as runtime.llvm_objects.ObjectStream.finish's `external`."""
        return {name: (k.symbol, k.obj, (k.object_key, _FOLDER, ".ll")) for name, k in self.hits.items()}

    def parallel_loops(self) -> int:
        """Thread-pool loops of the kernels taken from the cache (each kernel once)."""
        return sum({k.symbol: k.parallel_loops for k in self.hits.values()}.values())

    def store(self, kernel_parts: dict[str, tuple[str, str | None, str, int]]) -> int:
        """Stores every pending kernel that was compiled (`kernel_parts`: the
        ObjectEngine's, name -> (symbol, object key, LLVM IR, thread-pool loops));
        returns how many entries were written."""
        written = 0
        for name, (key, reads, sites) in self.pending.items():
            part = kernel_parts.get(name)
            if part is None or part[1] is None:
                continue
            symbol, object_key, text, loops = part
            variant = {"reads": [list(r) for r in reads], "symbol": symbol, "object": object_key,
                       "sites": list(sites), "parallel_loops": loops}
            variants = [v for v in self._load(key) if [tuple(r) for r in v["reads"]] != [tuple(r) for r in reads]]
            variants.append(variant)
            object_cache.store(object_key, text.encode(), _FOLDER, ".ll")
            payload = json.dumps({"format": _FORMAT, "variants": variants}, sort_keys=True).encode()
            written += object_cache.store(key, payload, _FOLDER, ".json")
        self.pending.clear()
        return written
