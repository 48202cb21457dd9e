"""The fork-join thread pool that parallel loops call, written in LLVM IR.

A model compiled with more than one thread carries its own pool in its machine code:
the translator (`lowering/loops_to_llvm.py`) turns each `scf.parallel` worth splitting
into a task function `void task(ptr ctx, i64 lo, i64 hi)` and a call of
`strata.parallel_for(task, ctx, total, want)`; this module emits that function, the
worker loop and two exported entry points the runtime calls through ctypes:

  i32 strata_pool_start(i32 threads)   starts threads - 1 workers (the caller is the
                                        first thread); returns the threads running
  void strata_pool_stop()              wakes, stops and joins them

Why in machine code: a parallel kernel must cost a few microseconds to hand out, and
Python cannot do that (a hand-off to a Python thread costs about 13 us here, a new
thread about 108 us). Why a pool per compiled model (its state is a global of the
model's own LLVM module, so every JIT-compiled copy has its own): calls of one model are
already serialized, so a pool never sees two jobs at once and needs no queue; several
models run in parallel without sharing anything.

Protocol. A job's iterations [0, total) are cut into `chunks` contiguous ranges (about
CHUNKS_PER_THREAD per thread used). The caller writes the job (task, ctx, total), then
publishes it in one 64-bit word, `job` = generation (32 bits) | chunks (16) | next
chunk (16), with a seq_cst store. Every thread, the caller included, claims chunks by a
compare-and-swap of `job` that increments `next`, runs them, and counts them in `done`;
the caller returns when `done` equals `chunks`. A worker that wakes late finds every
chunk taken and goes back to waiting, so nobody waits for a sleeping thread (waking one
costs 0.1-1 ms in this VM). A claim only succeeds while `job` still holds the
generation and chunk count the worker read, and a job's fields are rewritten only after
all its chunks are done, so a successful claim proves the fields it read are that
job's. Each iteration is computed by exactly one thread with the code a single thread
runs, so results do not depend on the thread count or on who claimed what. Idle
workers spin on `job` for a while (consecutive kernels of a model follow each other
within microseconds), then sleep on a condition variable; `sleepers` (seq_cst on both
sides, so a wake-up is never lost) lets the caller skip the mutex when nobody sleeps.
pthread_mutex_t / pthread_cond_t live in 128-byte slots, more than glibc, musl or macOS
need.
"""

from __future__ import annotations

from llvmlite import ir

from runtime.thread_pool import POOL_START, POOL_STOP

__all__ = ["ThreadPoolEmitter", "MAX_THREADS", "TASK_TYPE"]

MAX_THREADS = 256

_I8 = ir.IntType(8)
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_PTR = ir.PointerType()
_VOID = ir.VoidType()
TASK_TYPE = ir.FunctionType(_VOID, [_PTR, _I64, _I64])

# Byte offsets in the pool's state; the atomics each get a cache line of their own.
_NTHREADS, _STOP, _TASK, _CTX, _TOTAL = 0, 4, 8, 16, 24
_JOB, _DONE, _SLEEPERS = 64, 128, 192
_MUTEX, _COND, _THREADS = 256, 384, 512
_POOL_BYTES = _THREADS + 8 * MAX_THREADS

CHUNKS_PER_THREAD = 4  # chunks per thread used: a thread that starts late takes fewer
_CHUNK_BITS = 16  # `job` = generation << 32 | chunks << 16 | next chunk
_CHUNK_MASK = (1 << _CHUNK_BITS) - 1
assert MAX_THREADS * CHUNKS_PER_THREAD <= _CHUNK_MASK

# Pauses an idle worker spins before it sleeps (about 1.5 ms at 31 ns a pause on the
# Zen 3 host: waking a sleeping thread here costs up to 0.7 ms), and pauses the caller
# spins on `done` before it starts yielding its core.
_WORKER_SPINS = 50000
_CALLER_SPINS = 20000


_TASK_VALUE_CLASSES: dict[type, type] = {}


def _callable_task(value: ir.Value) -> ir.Value:
    """`value` (a ptr to a task function) made callable: with opaque pointers llvmlite
    cannot tell a callee's type from the pointer, so the value's class is swapped for a
    subclass that states it (the printed IR is the plain indirect call)."""
    cls = type(value)
    sub = _TASK_VALUE_CLASSES.get(cls)
    if sub is None:
        sub = type(f"Task{cls.__name__}", (cls,), {"function_type": TASK_TYPE})
        _TASK_VALUE_CLASSES[cls] = sub
    value.__class__ = sub
    return value


def _store_atomic(b: ir.IRBuilder, value: ir.Value, ptr: ir.Value, ordering: str, align: int) -> None:
    """IRBuilder.store_atomic, which does not take an opaque `ptr` (it reads the pointee)."""
    b._insert(ir.instructions.StoreAtomicInstr(b.block, value, ptr, ordering, align))


def _c32(v: int) -> ir.Constant:
    return ir.Constant(_I32, v)


def _c64(v: int) -> ir.Constant:
    return ir.Constant(_I64, v)


class ThreadPoolEmitter:
    """Adds the pool to an llvmlite module on first use; `parallel_for` is what a
    parallel loop calls. `x86` selects the spin-wait hint (`pause`)."""

    def __init__(self, module: ir.Module, x86: bool = True):
        self.module = module
        self.x86 = x86
        self._parallel_for: ir.Function | None = None

    @property
    def parallel_for(self) -> ir.Function:
        """void strata.parallel_for(ptr task, ptr ctx, i64 total, i32 want)."""
        if self._parallel_for is None:
            self._emit()
        assert self._parallel_for is not None
        return self._parallel_for

    # -- helpers -----------------------------------------------------------
    def _decl(self, name: str, ret: ir.Type, args: list[ir.Type]) -> ir.Function:
        existing = self.module.globals.get(name)
        if isinstance(existing, ir.Function):
            return existing
        return ir.Function(self.module, ir.FunctionType(ret, args), name=name)

    def _field(self, b: ir.IRBuilder, offset: int) -> ir.Value:
        return b.gep(self.state, [_c64(offset)], inbounds=True, source_etype=_I8)

    def _pause(self, b: ir.IRBuilder) -> None:
        if self.x86:
            b.call(self._decl("llvm.x86.sse2.pause", _VOID, []), [])

    def _call_task(self, b: ir.IRBuilder, task: ir.Value, ctx: ir.Value, lo: ir.Value, hi: ir.Value) -> None:
        b.call(_callable_task(task), [ctx, lo, hi])

    def _lock_and(self, b: ir.IRBuilder, name: str) -> None:
        """pthread_mutex_lock; pthread_cond_<name>; unlock."""
        mutex, cond = self._field(b, _MUTEX), self._field(b, _COND)
        b.call(self.mutex_lock, [mutex])
        b.call(self._decl(f"pthread_cond_{name}", _I32, [_PTR]), [cond])
        b.call(self.mutex_unlock, [mutex])

    def _claim_chunks(self, b: ir.IRBuilder, fn: ir.Function, job: ir.Value, task: ir.Value, ctx: ir.Value, total: ir.Value) -> None:
        """Claim and run chunks of the job published as `job` until none is left (or the
        pool moved on to another job); each chunk run is counted in `done`."""
        job_p = self._field(b, _JOB)
        prefix = b.and_(job, ir.Constant(_I64, ~_CHUNK_MASK & (2**64 - 1)))
        chunks = b.and_(b.lshr(job, ir.Constant(_I64, _CHUNK_BITS)), ir.Constant(_I64, _CHUNK_MASK))
        head, claim, run, out = (fn.append_basic_block(n) for n in ("claim.head", "claim.try", "claim.run", "claim.out"))
        b.branch(head)
        b.position_at_end(head)
        current = b.load_atomic(job_p, "acquire", 8, typ=_I64)
        nxt = b.and_(current, ir.Constant(_I64, _CHUNK_MASK))
        same = b.icmp_unsigned("==", b.and_(current, ir.Constant(_I64, ~_CHUNK_MASK & (2**64 - 1))), prefix)
        left = b.icmp_unsigned("<", nxt, chunks)
        b.cbranch(b.and_(same, left), claim, out)
        b.position_at_end(claim)
        pair = b.cmpxchg(job_p, current, b.add(current, _c64(1)), "acq_rel", "acquire")
        b.cbranch(b.extract_value(pair, 1), run, head)
        b.position_at_end(run)
        lo = b.udiv(b.mul(total, nxt), chunks)
        hi = b.udiv(b.mul(total, b.add(nxt, _c64(1))), chunks)
        self._call_task(b, task, ctx, lo, hi)
        b.atomic_rmw("add", self._field(b, _DONE), _c32(1), "release")
        b.branch(head)
        b.position_at_end(out)

    def _generation(self, b: ir.IRBuilder, job: ir.Value) -> ir.Value:
        return b.trunc(b.lshr(job, _c64(32)), _I32)

    # -- the pool ----------------------------------------------------------
    def _emit(self) -> None:
        m = self.module
        state = ir.GlobalVariable(m, ir.ArrayType(_I8, _POOL_BYTES), name="strata.pool")
        state.linkage = "internal"
        state.initializer = ir.Constant(ir.ArrayType(_I8, _POOL_BYTES), None)
        state.align = 64
        # The IR layer types a global's address as a typed pointer; the pool works on
        # plain `ptr`s, as the translator does.
        state.type = _PTR
        self.state = state
        self.mutex_lock = self._decl("pthread_mutex_lock", _I32, [_PTR])
        self.mutex_unlock = self._decl("pthread_mutex_unlock", _I32, [_PTR])
        worker = self._emit_worker()
        self._parallel_for = self._emit_parallel_for()
        self._emit_start(worker)
        self._emit_stop()

    def _emit_worker(self) -> ir.Function:
        fn = ir.Function(self.module, ir.FunctionType(_PTR, [_PTR]), name="strata.pool.worker")
        fn.linkage = "internal"
        fn.attributes.add("nounwind")
        entry, wait, spin, spin_tail, sleep, check, cond_wait, woke, got, work, done = (
            fn.append_basic_block(n)
            for n in ("entry", "wait", "spin", "spin.tail", "sleep", "check", "cond_wait", "woke", "got", "work", "done")
        )
        b = ir.IRBuilder(entry)
        job_p = self._field(b, _JOB)
        b.branch(wait)

        b.position_at_end(wait)
        seen = b.phi(_I32)  # the generation of the last job this worker looked at
        seen.add_incoming(_c32(0), entry)
        b.branch(spin)

        b.position_at_end(spin)
        spins = b.phi(_I32)
        spins.add_incoming(_c32(0), wait)
        job_spin = b.load_atomic(job_p, "acquire", 8, typ=_I64)
        b.cbranch(b.icmp_unsigned("!=", self._generation(b, job_spin), seen), got, spin_tail)
        b.position_at_end(spin_tail)
        self._pause(b)
        nxt = b.add(spins, _c32(1))
        spins.add_incoming(nxt, spin_tail)
        b.cbranch(b.icmp_unsigned("<", nxt, _c32(_WORKER_SPINS)), spin, sleep)

        b.position_at_end(sleep)
        b.call(self.mutex_lock, [self._field(b, _MUTEX)])
        b.atomic_rmw("add", self._field(b, _SLEEPERS), _c32(1), "seq_cst")
        b.branch(check)
        b.position_at_end(check)
        job_check = b.load_atomic(job_p, "seq_cst", 8, typ=_I64)
        b.cbranch(b.icmp_unsigned("==", self._generation(b, job_check), seen), cond_wait, woke)
        b.position_at_end(cond_wait)
        cond_fn = self._decl("pthread_cond_wait", _I32, [_PTR, _PTR])
        b.call(cond_fn, [self._field(b, _COND), self._field(b, _MUTEX)])
        b.branch(check)
        b.position_at_end(woke)
        b.atomic_rmw("sub", self._field(b, _SLEEPERS), _c32(1), "seq_cst")
        b.call(self.mutex_unlock, [self._field(b, _MUTEX)])
        b.branch(got)

        b.position_at_end(got)
        job = b.phi(_I64)
        job.add_incoming(job_spin, spin)
        job.add_incoming(job_check, woke)
        stop = b.load_atomic(self._field(b, _STOP), "acquire", 4, typ=_I32)
        b.cbranch(b.icmp_unsigned("!=", stop, _c32(0)), done, work)

        b.position_at_end(work)
        # Relaxed loads: the fields may already belong to a later job; a claim of
        # this job's chunks then fails and they are not used.
        task = b.load_atomic(self._field(b, _TASK), "monotonic", 8, typ=_PTR)
        ctx = b.load_atomic(self._field(b, _CTX), "monotonic", 8, typ=_PTR)
        total = b.load_atomic(self._field(b, _TOTAL), "monotonic", 8, typ=_I64)
        self._claim_chunks(b, fn, job, task, ctx, total)
        seen.add_incoming(self._generation(b, job), b.block)
        b.branch(wait)

        b.position_at_end(done)
        b.ret(ir.Constant(_PTR, None))
        return fn

    def _emit_parallel_for(self) -> ir.Function:
        fn = ir.Function(self.module, ir.FunctionType(_VOID, [_PTR, _PTR, _I64, _I32]), name="strata.parallel_for")
        fn.linkage = "internal"
        fn.attributes.add("nounwind")
        task, ctx, total, want = fn.args
        entry, alone, fork, wake, run = (fn.append_basic_block(n) for n in ("entry", "alone", "fork", "wake", "run"))
        b = ir.IRBuilder(entry)
        threads = b.load_atomic(self._field(b, _NTHREADS), "acquire", 4, typ=_I32)
        nt = b.select(b.icmp_unsigned("<", want, threads), want, threads)
        nt64 = b.zext(nt, _I64)
        b.cbranch(b.or_(b.icmp_unsigned("<=", nt64, _c64(1)), b.icmp_unsigned("<=", total, _c64(1))), alone, fork)

        b.position_at_end(alone)
        self._call_task(b, task, ctx, _c64(0), total)
        b.ret_void()

        b.position_at_end(fork)
        chunks = b.mul(nt64, _c64(CHUNKS_PER_THREAD))
        chunks = b.select(b.icmp_unsigned("<", total, chunks), total, chunks)
        _store_atomic(b, task, self._field(b, _TASK), "monotonic", 8)
        _store_atomic(b, ctx, self._field(b, _CTX), "monotonic", 8)
        _store_atomic(b, total, self._field(b, _TOTAL), "monotonic", 8)
        _store_atomic(b, _c32(0), self._field(b, _DONE), "monotonic", 4)
        old = b.load_atomic(self._field(b, _JOB), "monotonic", 8, typ=_I64)
        gen = b.add(b.lshr(old, _c64(32)), _c64(1))
        job = b.or_(b.shl(gen, _c64(32)), b.shl(chunks, _c64(_CHUNK_BITS)))
        _store_atomic(b, job, self._field(b, _JOB), "seq_cst", 8)  # publishes the job
        sleepers = b.load_atomic(self._field(b, _SLEEPERS), "seq_cst", 4, typ=_I32)
        b.cbranch(b.icmp_unsigned("!=", sleepers, _c32(0)), wake, run)

        b.position_at_end(wake)
        self._lock_and(b, "broadcast")
        b.branch(run)

        b.position_at_end(run)
        self._claim_chunks(b, fn, job, task, ctx, total)
        join, join_tail, finished = (fn.append_basic_block(n) for n in ("join", "join.tail", "finished"))
        claimed = b.block
        b.branch(join)
        b.position_at_end(join)
        spins = b.phi(_I32)
        spins.add_incoming(_c32(0), claimed)
        done = b.zext(b.load_atomic(self._field(b, _DONE), "acquire", 4, typ=_I32), _I64)
        b.cbranch(b.icmp_unsigned("==", done, chunks), finished, join_tail)
        b.position_at_end(join_tail)
        nxt = b.add(spins, _c32(1))
        yield_bb = b.append_basic_block("join.yield")
        pause_bb = b.append_basic_block("join.pause")
        spins.add_incoming(nxt, yield_bb)
        spins.add_incoming(nxt, pause_bb)
        b.cbranch(b.icmp_unsigned(">", nxt, _c32(_CALLER_SPINS)), yield_bb, pause_bb)
        b.position_at_end(yield_bb)
        b.call(self._decl("sched_yield", _I32, []), [])
        b.branch(join)
        b.position_at_end(pause_bb)
        self._pause(b)
        b.branch(join)

        b.position_at_end(finished)
        b.ret_void()
        return fn

    def _emit_start(self, worker: ir.Function) -> None:
        fn = ir.Function(self.module, ir.FunctionType(_I32, [_I32]), name=POOL_START)
        fn.attributes.add("nounwind")
        (want,) = fn.args
        entry, create, created_ok, finish = (fn.append_basic_block(n) for n in ("entry", "create", "created", "finish"))
        b = ir.IRBuilder(entry)
        memset = self._decl("llvm.memset.p0.i64", _VOID, [_PTR, _I8, _I64, ir.IntType(1)])
        b.call(memset, [self.state, ir.Constant(_I8, 0), _c64(_POOL_BYTES), ir.Constant(ir.IntType(1), 0)])
        b.call(self._decl("pthread_mutex_init", _I32, [_PTR, _PTR]), [self._field(b, _MUTEX), ir.Constant(_PTR, None)])
        b.call(self._decl("pthread_cond_init", _I32, [_PTR, _PTR]), [self._field(b, _COND), ir.Constant(_PTR, None)])
        n = b.select(b.icmp_signed("<", want, _c32(1)), _c32(1), want)
        n = b.select(b.icmp_signed(">", n, _c32(MAX_THREADS)), _c32(MAX_THREADS), n)
        b.branch(create)

        b.position_at_end(create)
        w = b.phi(_I32)  # the next worker's index; also the number of threads running
        w.add_incoming(_c32(1), entry)
        more = b.append_basic_block("create.more")
        b.cbranch(b.icmp_signed("<", w, n), more, finish)
        b.position_at_end(more)
        w64 = b.zext(w, _I64)
        slot = b.gep(self._field(b, _THREADS), [b.sub(w64, _c64(1))], inbounds=True, source_etype=_I64)
        create_fn = self._decl("pthread_create", _I32, [_PTR, _PTR, _PTR, _PTR])
        rc = b.call(create_fn, [slot, ir.Constant(_PTR, None), worker, b.inttoptr(w64, _PTR)])
        b.cbranch(b.icmp_signed("==", rc, _c32(0)), created_ok, finish)
        b.position_at_end(created_ok)
        nxt = b.add(w, _c32(1))
        w.add_incoming(nxt, created_ok)
        b.branch(create)

        b.position_at_end(finish)
        running = b.phi(_I32)
        running.add_incoming(w, create)
        running.add_incoming(w, more)
        _store_atomic(b, running, self._field(b, _NTHREADS), "release", 4)
        b.ret(running)

    def _emit_stop(self) -> None:
        fn = ir.Function(self.module, ir.FunctionType(_VOID, []), name=POOL_STOP)
        fn.attributes.add("nounwind")
        entry, stop, join, join_one, finish, out = (
            fn.append_basic_block(n) for n in ("entry", "stop", "join", "join.one", "finish", "out")
        )
        b = ir.IRBuilder(entry)
        threads = b.load_atomic(self._field(b, _NTHREADS), "acquire", 4, typ=_I32)
        b.cbranch(b.icmp_signed(">", threads, _c32(1)), stop, out)

        b.position_at_end(stop)
        _store_atomic(b, _c32(1), self._field(b, _STOP), "seq_cst", 4)
        # A new generation with no chunks: every worker wakes, sees `stop` and returns.
        b.atomic_rmw("add", self._field(b, _JOB), _c64(1 << 32), "seq_cst")
        self._lock_and(b, "broadcast")
        b.branch(join)

        b.position_at_end(join)
        w = b.phi(_I32)
        w.add_incoming(_c32(1), stop)
        b.cbranch(b.icmp_signed("<", w, threads), join_one, finish)
        b.position_at_end(join_one)
        slot = b.gep(self._field(b, _THREADS), [b.sub(b.zext(w, _I64), _c64(1))], inbounds=True, source_etype=_I64)
        join_fn = self._decl("pthread_join", _I32, [_I64, _PTR])
        b.call(join_fn, [b.load(slot, typ=_I64), ir.Constant(_PTR, None)])
        w.add_incoming(b.add(w, _c32(1)), join_one)
        b.branch(join)

        b.position_at_end(finish)
        b.call(self._decl("pthread_mutex_destroy", _I32, [_PTR]), [self._field(b, _MUTEX)])
        b.call(self._decl("pthread_cond_destroy", _I32, [_PTR]), [self._field(b, _COND)])
        b.branch(out)

        b.position_at_end(out)
        _store_atomic(b, _c32(0), self._field(b, _NTHREADS), "release", 4)
        b.ret_void()
