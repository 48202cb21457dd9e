"""Kernels compiled to object code one by one, in parallel, cached per kernel.

A model's LLVM module (`lowering/loops_to_llvm.py`) is one entry wrapper, the entry
function, the thread pool and one function per distinct kernel (with the task functions
its parallel loops outlined). Compiling it as one module keeps LLVM on one core: the
llvmlite binding serializes every call of a process behind one lock. Here it is split:

- `split_module` cuts the module into one small module per kernel (the kernel, its
  helpers, declarations of what it calls) and one "main" module (the entry, the pool).
  A kernel module's text does not depend on the model it came from: its functions are
  renamed after a hash of their text (`strata.k.<hash>`), so ResNet-18 and ResNet-50
  share the object code of the kernels they have in common, and the on-disk cache
  (`runtime/object_cache.py`) is keyed per kernel.
- `compile_objects` takes what it can from the cache and compiles the rest in worker
  processes (`runtime/llvm_worker.py`, one per core, started once per process), each
  with the JIT's own pipeline (`runtime.jit.pipeline_tuning`, SLP on) and TargetMachine.
- `ObjectStream` (what compile() uses) does the same while the module is translated:
  each kernel's part goes to the workers as soon as that kernel is translated, so LLVM
  works on the first kernels while Python translates the next (the parts, their object
  code and their cache keys are the ones `split_module` gives for the whole module).
- `ObjectEngine` loads the objects into one MCJIT engine here; MCJIT links them
  (kernel calls and `strata.parallel_for` resolve across objects). It runs no optimizer
  and no code generator (it compiles one empty module), which is what
  `compiler.load()` relies on.

Kernels are no longer inlined into the entry function (they were, when each had one
call site); the benchmark tables measure the same run time (README, "Compile time").
`STRATA_LLVM_WORKERS=0` compiles in this process, serially.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Any

import llvmlite.binding as llvm
from llvmlite import ir

from runtime import object_cache
from runtime.jit import FunctionAddresses, JitError, _ensure_llvm, cache_version, host_target_machine, machine_cpu, optimized_text
from runtime.llvm_worker import compile_object, read_message, write_message
from runtime.thread_pool import available_cores

__all__ = ["Part", "split_module", "compile_objects", "compile_module", "ObjectStream", "ObjectEngine", "prestart_workers"]

ENTRY_SYMBOL = "strata_entry"  # lowering/loops_to_llvm.py's wrapper (runtime needs no lowering import)
_POOL_SYMBOLS = ("strata_pool_start", "strata_pool_stop", "strata.parallel_for")

# A reference to a global in LLVM's textual IR: @name or @"quoted name".
_GLOBAL_REF = re.compile(r'@("(?:[^"\\]|\\.)*"|[-a-zA-Z$._][-a-zA-Z$._0-9]*)')


@dataclass(frozen=True)
class Part:
    """One module to compile: `name` says what it holds (a kernel's name, or "main")."""

    name: str
    text: str


def _refs(text: str) -> set[str]:
    return {m.group(1).strip('"') for m in _GLOBAL_REF.finditer(text)}


def _rename(text: str, names: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        new = names.get(m.group(1).strip('"'))
        return m.group(0) if new is None else f'@"{new}"'

    return _GLOBAL_REF.sub(sub, text)


def _declaration(fn: Any, name: str) -> str:
    """`declare` text of `fn` under `name` (a function defined in another part)."""
    scratch = ir.Module()
    return str(ir.Function(scratch, fn.function_type, name=name))


def _kernel_part(kernel: str, group: Sequence[str], refs: dict[str, set[str]], funcs: dict[str, Any],
                 defined: dict[str, str]) -> tuple[set[str], str, dict[str, str]] | None:
    """The part of `kernel` whose functions are `group` (module order, the kernel first):
    (the names it uses from outside, its text with every function renamed after a hash
    of that text, the new names), or None when it uses a name that is not a function."""
    used = set().union(*(refs[n] for n in group)) - set(group)
    decls = []
    for name in sorted(used):
        fn = funcs.get(name)
        if fn is None:
            return None
        decls.append(str(fn) if fn.is_declaration else _declaration(fn, name))
    body = []
    for name in group:
        text = defined[name]
        if name == kernel:  # called from the main part: it must be visible there
            text = text.replace("define internal ", "define ", 1)
        body.append(text)
    text = "\n".join(decls + body) + "\n"
    local = {name: f"strata.local.{i}" for i, name in enumerate(group)}
    digest = hashlib.sha256(_rename(text, local).encode()).hexdigest()[:24]
    names = {name: f"strata.k.{digest}" + (f".{i}" if i else "") for i, name in enumerate(group)}
    return used, _rename(text, names), names


def _closure(roots: Sequence[str], stop: set[str] | frozenset[str], refs: dict[str, set[str]],
             order: dict[str, int]) -> list[str]:
    """The defined functions reachable from `roots` (not through `stop`), in module order."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(r for r in refs[name] if r in order and r not in stop and r not in seen)
    return sorted(seen, key=order.__getitem__)


def split_module(module: Any, texts: dict[str, str] | None = None, external: dict[str, str] | None = None,
                 finals: dict[str, str] | None = None) -> list[Part] | None:
    """The parts of a translated model module (an llvmlite `ir.Module`): the kernels
    first, "main" last. None when the module is not shaped like one (no entry wrapper,
    kernels calling kernels or reading globals): then it is compiled whole. `texts`:
    the printed text of functions printed before (ObjectStream), by name. `external`:
    kernels only declared here, whose object code was made before (the kernel cache,
    lowering/kernel_cache.py), by name -> their hashed symbol; main declares and calls
    them by that symbol, exactly as it would had they been defined here. `finals`, when
    given, receives each defined kernel's hashed symbol by name."""
    texts = texts or {}
    external = external or {}
    funcs = {fn.name: fn for fn in module.functions}
    defined = {name: texts.get(name) or str(fn) for name, fn in funcs.items() if not fn.is_declaration}
    gvars = {g.name: str(g) for g in module.global_values if g.name not in funcs}
    if ENTRY_SYMBOL not in defined:
        return None
    order = {name: i for i, name in enumerate(defined)}
    refs = {name: _refs(text) - {name} for name, text in defined.items()}
    entry_targets = [r for r in refs[ENTRY_SYMBOL] if r in defined]
    if len(entry_targets) != 1:
        return None
    (target,) = entry_targets
    kernels = [r for r in refs[target] if r in defined and r not in _POOL_SYMBOLS and r != target]
    kernels.sort(key=order.__getitem__)  # module order: deterministic
    kernel_set = set(kernels)

    main_roots = [ENTRY_SYMBOL, target] + [s for s in _POOL_SYMBOLS if s in defined]
    main = _closure(main_roots, kernel_set, refs, order)
    final: dict[str, str] = {}  # kernel name -> its hashed symbol
    parts: list[Part] = []
    exported: set[str] = set()  # main's functions the kernels call (strata.parallel_for)
    for kernel in kernels:
        group = _closure([kernel], set(main) | (kernel_set - {kernel}), refs, order)
        used = set().union(*(refs[n] for n in group)) - set(group)
        exported |= used & set(main)
        if used & (kernel_set | set(gvars)):
            return None
        made = _kernel_part(kernel, group, refs, funcs, defined)
        if made is None:
            return None
        _, text, names = made
        final[kernel] = names[kernel]
        if names[kernel] not in {final[k] for k in final if k != kernel}:  # identical kernels: one part
            parts.append(Part(kernel, text))
    if external and "strata.parallel_for" in defined:
        # The pool is defined only when some kernel calls it (a cached one, here).
        exported.add("strata.parallel_for")
    used = set().union(*(refs[n] for n in main)) - set(main)
    decls = []
    declared: set[str] = set()
    for name in sorted(used):
        if name in gvars:
            decls.append(gvars[name])
        elif name in external:
            if external[name] not in declared:
                declared.add(external[name])
                decls.append(_declaration(funcs[name], external[name]))
        elif name in kernel_set:
            if final[name] not in declared:
                declared.add(final[name])
                decls.append(_declaration(funcs[name], final[name]))
        else:
            decls.append(str(funcs[name]))
    # An internal symbol is not in the object's symbol table: MCJIT would link the
    # kernels' calls to address 0.
    body = [defined[n].replace("define internal ", "define ", 1) if n in exported else defined[n] for n in main]
    if finals is not None:
        finals.update(final)
    parts.append(Part("main", _rename("\n".join(decls + body) + "\n", {**final, **external})))
    return parts


class _Workers:
    """One `python -m runtime.llvm_worker` per core, fed from one job queue by one thread
    each: `submit` returns at once (a Future of the worker's reply), so kernels can be
    sent while the rest of the module is still being translated."""

    def __init__(self, count: int):
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.pid = os.getpid()
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "runtime.llvm_worker"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=root,
            )
            for _ in range(count)
        ]
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        self.threads = [threading.Thread(target=self._feed, args=(p,), daemon=True) for p in self.procs]
        for t in self.threads:
            t.start()

    def alive(self) -> bool:
        return self.pid == os.getpid() and all(p.poll() is None for p in self.procs)

    def _feed(self, proc: subprocess.Popen) -> None:
        while True:
            item = self.jobs.get()
            if item is None:
                return
            job, future = item
            try:
                write_message(proc.stdin, job)
                reply = read_message(proc.stdout)
            except (OSError, ValueError):
                reply = None
            # The worker died: (False, None) tells the caller to compile the job itself.
            future.set_result((False, None) if reply is None else reply)

    def submit(self, job: tuple[str, int, str | None]) -> Future:
        future: Future = Future()
        self.jobs.put((job, future))
        return future

    def map(self, jobs: list[tuple[str, int, str | None]], progress: Callable[[int, int], None] | None = None) -> list[tuple[bool, Any]]:
        # Longest first: the big kernels start at once and the small ones fill in.
        order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][0]))
        futures = {i: self.submit(jobs[i]) for i in order}
        return [r for r in _wait(list(futures[i] for i in range(len(jobs))), progress)]

    def close(self) -> None:
        if self.pid != os.getpid():
            return
        for _ in self.threads:
            self.jobs.put(None)
        for p in self.procs:
            try:
                p.stdin.close()
                p.wait(timeout=5)
            except Exception:
                p.kill()


def _wait(futures: Sequence[Future], progress: Callable[[int, int], None] | None = None) -> list[Any]:
    """The futures' results, in order; `progress(done, total)` as they complete."""
    if progress is None:
        return [f.result() for f in futures]
    pending = set(futures)
    total = len(futures)
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        progress(total - len(pending), total)
    return [f.result() for f in futures]


_workers: _Workers | None = None
_workers_lock = threading.Lock()


def worker_count() -> int:
    """Worker processes to use: $STRATA_LLVM_WORKERS, else one per core (0 or 1: none)."""
    value = os.environ.get("STRATA_LLVM_WORKERS")
    if value is not None:
        try:
            return max(0, int(value))
        except ValueError:
            return 0
    return available_cores()


def prestart_workers() -> None:
    """Starts the worker processes now (they import llvmlite while the compile runs its
    Python stages), unless there is only one core or they are running already."""
    _get_workers()


def _get_workers() -> _Workers | None:
    global _workers
    count = worker_count()
    if count < 2:
        return None
    with _workers_lock:
        if _workers is None or not _workers.alive():
            _workers = _Workers(count)
            atexit.register(_workers.close)
        return _workers


# Kernels vectorized by hand (register tiles of vector FMAs: the conv and GEMM kernels)
# are optimized at this LLVM level when the model asks for -O3. Measured on ResNet-50,
# Zen 3, 1 thread, every part at each level, interleaved in one process (min of 20):
# 100.2 / 99.5 ms at -O3, 98.9 / 99.5 at -O2, 99.2 / 99.5 at -O1; LLVM CPU time 6.0-6.9 s
# at -O3, 5.0-5.2 at -O2, 4.0-4.6 at -O1. -O2 keeps the SLP vectorizer (-O1 does not)
# for the scalar epilogues in those kernels. Only these parts at -O2 (HAND_VECTORIZED_LEVEL
# 3 vs 2, alternating, after the packed-B GEMM): GPT-2 90.2 / 88.6 vs 90.7 / 88.7 ms,
# ResNet-50 103.7 / 104.7 vs 107.2 / 99.5 ms on a busy machine; translate + LLVM 4.2 ->
# 3.6 s. To be re-measured with the benchmark tables.
HAND_VECTORIZED_LEVEL = 2


def part_level(text: str, opt_level: int) -> int:
    """The LLVM level a part is compiled at (and cached under): HAND_VECTORIZED_LEVEL
    for a kernel part that is vectorized by hand (it calls vector FMAs, or loads or
    stores vectors) when `opt_level` is 3, else `opt_level`. At -O3 LLVM fully unrolls
    short constant-trip vector loops: a DenseNet Concat of 24 parts of 98 vector copies
    each took 1.2 s at -O3 and 0.11 s at -O2 (the same object code size as -O1)."""
    if opt_level == 3 and 'define void @"strata.k.' in text and (
            '@"llvm.fma.v' in text or " = load <" in text or "store <" in text):
        return min(opt_level, HAND_VECTORIZED_LEVEL)
    return opt_level


def compile_objects(parts: Sequence[Part], opt_level: int, progress: Callable[[int, int], None] | None = None,
                    cpu: str | None = None, started: dict[str, Any] | None = None) -> tuple[list[bytes], dict[str, Any]]:
    """Object code for every part, for the host or the CPU named `cpu`, from the cache or
    compiled (workers when more than one is missing); `info` says how many were cached
    and where the time went. `started` (ObjectStream): for a part's text, its cached
    object (bytes) or the Future of a worker's reply, looked up or sent earlier."""
    _ensure_llvm()
    started = started or {}
    levels = [part_level(part.text, opt_level) for part in parts]
    t0 = time.perf_counter()
    keys: list[str | None] = [None] * len(parts)
    objects: list[bytes | None] = [None] * len(parts)
    replies: dict[int, Any] = {}  # part index -> Future of a worker's reply
    cached = 0
    if object_cache.enabled():
        name, features = machine_cpu(cpu)
        version = cache_version()
        for i, part in enumerate(parts):
            keys[i] = object_cache.object_key(part.text, levels[i], name, features, version)
            early = started.get(part.text)
            if isinstance(early, Future):
                replies[i] = early
                continue
            objects[i] = early if early is not None else object_cache.load(keys[i])
            cached += objects[i] is not None
    else:
        replies = {i: started[p.text] for i, p in enumerate(parts) if isinstance(started.get(p.text), Future)}
    missing = [i for i, obj in enumerate(objects) if obj is None and i not in replies]
    t1 = time.perf_counter()
    workers = _get_workers() if len(missing) >= 2 or replies else None
    if workers is not None:
        replies.update({i: workers.submit((parts[i].text, levels[i], cpu))
                        for i in sorted(missing, key=lambda i: -len(parts[i].text))})  # longest first
    todo = sorted(replies)
    results = dict(zip(todo, _wait([replies[i] for i in todo], progress)))
    for i in range(len(parts)):
        if objects[i] is not None:
            continue
        ok, payload = results.get(i, (False, None))
        if not ok:
            if payload is not None:
                raise JitError(f"LLVM failed on kernel '{parts[i].name}': {payload}")
            payload = compile_object(parts[i].text, levels[i], cpu)  # in this process
        objects[i] = payload
        if keys[i] is not None:
            object_cache.store(keys[i], payload)
    info = {
        "parts": len(parts),
        "cached": cached,
        "workers": len(workers.procs) if workers is not None else 0,
        "cache_seconds": t1 - t0,
        "compile_seconds": time.perf_counter() - t1,
        "keys": keys,
    }
    return objects, info  # type: ignore[return-value]


class ObjectEngine(FunctionAddresses):
    """Object files linked into one MCJIT engine; `address(name)` as JitModule's.

    `objects` keeps the object code (what `CompiledModel.save` writes); `cached` is
    "hit", "miss" or "partial" (some kernels came from the cache)."""

    def __init__(self, objects: Sequence[bytes], opt_level: int = 3, cached: str = "miss",
                 timings: dict[str, float] | None = None):
        _ensure_llvm()
        t = time.perf_counter()
        self.objects = list(objects)
        self.opt_level = opt_level
        tm = host_target_machine(opt_level)
        mod = llvm.parse_assembly("")
        mod.triple = llvm.get_process_triple()
        mod.data_layout = str(tm.target_data)
        engine = llvm.create_mcjit_compiler(mod, tm)  # an empty module: nothing to optimise
        for obj in self.objects:
            engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        engine.run_static_constructors()
        self._engine = engine
        self._addresses: dict[str, int] = {}
        self.cached = cached
        self.timings = dict(timings or {})
        self.timings["link"] = time.perf_counter() - t

    def optimized_ir(self) -> str:
        """The LLVM IR of every part after optimisation, as JitModule's (for tests and
        debugging): the parts' text is optimised again here, with the workers'
        pipeline, since the object code may have come from the cache."""
        sources = getattr(self, "sources", None)
        if sources is None:
            raise JitError("this machine code was loaded from object code: it has no LLVM IR")
        sources = list(sources)
        for path in getattr(self, "external_sources", ()):  # kernels taken from the kernel cache
            text = object_cache.load(*path)
            if text is None:
                raise JitError(f"the LLVM IR of a cached kernel is gone from the cache ({path[0]})")
            sources.append(text.decode())
        cpu = getattr(self, "cpu", None)
        return "\n".join(optimized_text(text, part_level(text, self.opt_level), cpu) for text in sources)


def _split_enabled() -> bool:
    return os.environ.get("STRATA_LLVM_SPLIT", "1") != "0"


def compile_module(module: Any, opt_level: int, progress: Callable[[int, int], None] | None = None,
                   cpu: str | None = None) -> ObjectEngine:
    """A translated model module (llvmlite `ir.Module`) as a linked ObjectEngine, its
    object code for the host or for the CPU named `cpu`."""
    return ObjectStream(opt_level, cpu).finish(module, progress)


class ObjectStream:
    """Compiles a model module's kernels while the rest of it is being translated.

    `add` is lowering.loops_to_llvm.translate_module's `on_function`: as each kernel is
    translated it builds that kernel's part (as `split_module` would), looks it up in
    the object cache and sends a miss to the worker processes at once, so LLVM works on
    the first kernels while Python translates the next. `finish` splits the whole
    module with `split_module` (reusing the printed kernels) and takes each part whose
    text was sent early from its worker's reply: a part is compiled from exactly the
    text, and cached under exactly the key, it would have had without streaming (a
    kernel guessed differently is just compiled again, from its final text). Without
    workers (one core, STRATA_LLVM_WORKERS=0) it only collects the printed kernels."""

    def __init__(self, opt_level: int, cpu: str | None = None):
        _ensure_llvm()
        self.opt_level = opt_level
        self.cpu = cpu
        self.texts: dict[str, str] = {}  # function name -> its printed text
        self.started: dict[str, Any] = {}  # part text -> cached object or Future
        self.seconds = 0.0  # time spent in add (printing, hashing, cache look-ups)
        self.workers = _get_workers() if _split_enabled() else None
        self._key = None
        if object_cache.enabled():
            name, features = machine_cpu(cpu)
            self._key = (name, features, cache_version())

    def add(self, module: Any, fn: Any, own: frozenset) -> None:
        """`fn` (a kernel, with the task functions it outlined) is translated."""
        if self.workers is None:
            return
        t = time.perf_counter()
        funcs = {f.name: f for f in module.functions}
        # Its group: what it reaches through functions that are neither the module's own
        # (other kernels, the entry) nor the thread pool's (part of "main").
        stop = (own - {fn.name}) | set(_POOL_SYMBOLS)
        refs: dict[str, set[str]] = {}
        todo, group = [fn.name], []
        while todo:
            name = todo.pop()
            if name in refs:
                continue
            text = self.texts[name] = str(funcs[name])
            refs[name] = _refs(text) - {name}
            group.append(name)
            todo.extend(r for r in refs[name] if r not in stop and r not in refs
                        and r in funcs and not funcs[r].is_declaration)
        order = {name: i for i, name in enumerate(funcs)}
        group.sort(key=order.__getitem__)
        made = _kernel_part(fn.name, group, refs, funcs, self.texts)
        if made is not None:
            used, text, _ = made
            gvars = {g.name for g in module.global_values if g.name not in funcs}
            if not used & ((own - {fn.name}) | gvars) and text not in self.started:
                early = None
                level = part_level(text, self.opt_level)
                if self._key is not None:
                    early = object_cache.load(object_cache.object_key(text, level, *self._key))
                self.started[text] = early or self.workers.submit((text, level, self.cpu))
        self.seconds += time.perf_counter() - t

    def finish(self, module: Any, progress: Callable[[int, int], None] | None = None,
               external: dict[str, tuple[str, bytes, tuple[str, str, str]]] | None = None) -> ObjectEngine:
        """The translated module as a linked ObjectEngine (compile_module). `external`:
        the kernels the module only declares, whose object code came from the kernel
        cache (lowering/kernel_cache.py): name -> (hashed symbol, object code, where
        the cache keeps its LLVM IR as object_cache.load's arguments). The engine's
        `kernel_parts` maps each kernel compiled here to (symbol, object-cache key,
        LLVM IR text, thread-pool loops), what the kernel cache stores."""
        t = time.perf_counter()
        external = external or {}
        finals: dict[str, str] = {}
        parts = split_module(module, self.texts, {n: e[0] for n, e in external.items()}, finals) if _split_enabled() else None
        if parts is None:
            if external:
                raise JitError("a module with kernels from the kernel cache must be split into parts")
            parts = [Part("module", str(module))]
        t_split = time.perf_counter() - t
        objects, info = compile_objects(parts, self.opt_level, progress, self.cpu, self.started)
        # One object per distinct cached kernel (two names may share one).
        reused = {symbol: (obj, path) for symbol, obj, path in external.values()}
        objects += [obj for obj, _ in reused.values()]
        info["kernel_cache"] = len(reused)
        info["parts"] += len(reused)
        info["cached"] += len(reused)
        cached = "hit" if info["cached"] == info["parts"] else "miss" if info["cached"] == 0 else "partial"
        # "stream": printing and sending kernels during translation (inside that stage's time)
        engine = ObjectEngine(objects, self.opt_level, cached,
                              {"stream": self.seconds, "split": t_split, "cache": info["cache_seconds"],
                               "compile": info["compile_seconds"]})
        info["streamed"] = sum(1 for p in parts if p.text in self.started)
        keys = info.pop("keys")
        by_symbol = {finals[p.name]: (keys[i], p.text) for i, p in enumerate(parts) if p.name in finals}
        tasks: dict[str, int] = {}  # kernel -> its loops on the thread pool (`<kernel>.parN.task`)
        for fn in module.functions:
            if fn.name.endswith(".task") and not fn.is_declaration:
                owner = fn.name.rsplit(".par", 1)[0]
                tasks[owner] = tasks.get(owner, 0) + 1
        engine.kernel_parts = {name: (symbol, *by_symbol[symbol], tasks.get(name, 0))  # type: ignore[attr-defined]
                               for name, symbol in finals.items()}
        engine.parts = info  # type: ignore[attr-defined]
        engine.sources = [part.text for part in parts]  # type: ignore[attr-defined]
        engine.external_sources = sorted({path for _, path in reused.values()})  # type: ignore[attr-defined]
        engine.cpu = self.cpu  # type: ignore[attr-defined]  # what CompiledModel.save records
        return engine
