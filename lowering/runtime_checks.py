"""Run-time checks: how machine code refuses a value it must not use (an index out of
range) without ever touching memory out of bounds, and tells the caller which node.

A kernel whose addresses depend on tensor values (Gather's indices, a scatter's
positions) tests each such value before the access; when the test fails it skips the
access and writes a record into the status buffer, and the call then raises
`dialects.errors.OutOfRangeError` (runtime/compiled_model.py reads the buffer).

The status buffer is an entry argument of kind "status:BYTES" (beside
"input:/output:/weight:/arena:"), int64 words, zeroed by the runtime:

    word 0        nonzero once any check of this call failed (the runtime reads only
                  this word per call)
    word 1 + 2s   nonzero once check site s failed
    word 2 + 2s   the first value that failed at site s

A check site is one test in one kernel call, for one ONNX node: the entry attribute
`strata.status_sites` lists, per site, [op type, node name, message] where the message
holds `{value}` for the failing value ("index {value} is out of range for axis 0 of
size 10"). Each kernel receives its words as views of that buffer (`memref.view`, as the
arena's intermediates are): a `memref<1xi64>` of word 0 and a `memref<2xi64>` per site,
so kernels that `dedupe-kernels` merges still report the node of their own call.

Threads: kernels (and one kernel's iterations) may run on several threads at once. Each
site has its own record (per-site codes), and every write is a whole-word
`memref.atomic_rmw assign` (an LLVM atomic exchange, which returns the word it
replaced): the flag words only ever receive 1, so concurrent writers agree, and only the
writer whose exchange found the site's flag still 0 stores its value, so the value word
holds the first failing value (in row-major order when one thread runs the kernel),
never a torn mix of two. The runtime reads the buffer after the call returned, when
every thread has finished.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from xdsl.builder import ImplicitBuilder
from xdsl.dialects import arith, memref, scf
from xdsl.dialects.builtin import ArrayAttr, IndexType, IntegerAttr, MemRefType, StringAttr, i8, i64
from xdsl.ir import Block, BlockArgument, Region, SSAValue

from lowering import scalar

STATUS_KIND = "status"
SITES_ATTR = "strata.status_sites"
WORD_BYTES = 8
_ASSIGN = 2  # MLIR's arith::AtomicRMWKind::assign (memref.atomic_rmw's `kind`)

SUMMARY_TYPE = MemRefType(i64, [1])
RECORD_TYPE = MemRefType(i64, [2])


def site_words(site: int) -> tuple[int, int]:
    """The (flag, value) word indices of check site `site` in the status buffer."""
    return 1 + 2 * site, 2 + 2 * site


def _atomic_assign(value: SSAValue, mem: SSAValue, index: int) -> SSAValue:
    """mem[index] = value as one atomic exchange; returns the word it replaced."""
    at = arith.ConstantOp(IntegerAttr(index, IndexType())).result
    op = memref.AtomicRMWOp.build(
        operands=[value, mem, [at]], properties={"kind": IntegerAttr(_ASSIGN, i64)}, result_types=[value.type]
    )
    return op.result


@dataclass(frozen=True)
class Check:
    """One test: `ok` (i1) must hold, else `value` (any integer) is reported."""

    ok: SSAValue
    value: SSAValue
    message: str  # with `{value}`, e.g. "index {value} is out of range for axis 0 of size 10"


@dataclass
class KernelChecks:
    """The check sites of one kernel being built: each adds status arguments to the
    kernel's block (a summary word once, a record per site)."""

    block: Block
    summary: BlockArgument | None = None
    sites: list[tuple[BlockArgument, str]] = field(default_factory=list)  # (record arg, message)

    def _record_arg(self, message: str) -> BlockArgument:
        if self.summary is None:
            self.summary = self.block.insert_arg(SUMMARY_TYPE, len(self.block.args))
            self.summary.name_hint = "status"
        arg = self.block.insert_arg(RECORD_TYPE, len(self.block.args))
        arg.name_hint = f"check{len(self.sites)}"
        self.sites.append((arg, message))
        return arg

    def add_sites(self, messages: Sequence[str]) -> None:
        """The status arguments of sites with these messages, without their tests: a
        kernel from the kernel cache (lowering/kernel_cache.py) is only declared, and
        its declaration and calls need the arguments its lowering added."""
        for message in messages:
            self._record_arg(message)

    def _report(self, value: SSAValue, record: BlockArgument) -> None:
        assert self.summary is not None
        one = scalar.const(1, i64)
        _atomic_assign(one, self.summary, 0)
        was = _atomic_assign(one, record, 0)
        if isinstance(value.type, IndexType):
            value = arith.IndexCastOp(value, i64).result
        elif value.type != i64:
            value = scalar.convert(value, i64)
        # Only the writer that set the flag first stores its value.
        first = Block()
        with ImplicitBuilder(first):
            _atomic_assign(value, record, 1)
            scf.YieldOp()
        scf.IfOp(arith.CmpiOp(was, scalar.const(0, i64), "eq").result, [], Region(first))

    @contextmanager
    def guard(self, checks: Sequence[Check]) -> Iterator[None]:
        """The body runs only where every check holds; otherwise nothing in it runs and
        each failing check is reported at its own site (one site per Check)."""
        records = [self._record_arg(c.message) for c in checks]
        ok = checks[0].ok
        for c in checks[1:]:
            ok = arith.AndIOp(ok, c.ok).result
        then_block, else_block = Block(), Block()
        with ImplicitBuilder(then_block):
            yield
            scf.YieldOp()
        with ImplicitBuilder(else_block):
            if len(checks) == 1:
                self._report(checks[0].value, records[0])
            else:
                for c, record in zip(checks, records):
                    failed = arith.XOrIOp(c.ok, scalar.const(1, c.ok.type)).result
                    report = Block()
                    with ImplicitBuilder(report):
                        self._report(c.value, record)
                        scf.YieldOp()
                    scf.IfOp(failed, [], Region(report))
            scf.YieldOp()
        scf.IfOp(ok, [], Region(then_block), Region(else_block))


@dataclass
class StatusBuffer:
    """The entry side: one status argument, and views of it for each kernel call's
    check arguments. Sites are numbered in call order."""

    entry: Block
    sites: list[tuple[str, str, str]] = field(default_factory=list)  # (op, node, message)
    _placeholder: BlockArgument | None = None
    _views: list[memref.ViewOp] = field(default_factory=list)

    def views(self, checks: KernelChecks, op_type: str, node: str) -> list[SSAValue]:
        """At the current insertion point of the entry: the views to pass for `checks`'s
        extra arguments (empty when the kernel checks nothing)."""
        if checks.summary is None:
            return []
        if self._placeholder is None:
            # Its size is known once every kernel is built (`finish`).
            self._placeholder = self.entry.insert_arg(MemRefType(i8, [WORD_BYTES]), len(self.entry.args))
        out = [self._view(0, SUMMARY_TYPE)]
        for _, message in checks.sites:
            flag, _ = site_words(len(self.sites))
            out.append(self._view(flag * WORD_BYTES, RECORD_TYPE))
            self.sites.append((op_type, node, message))
        return out

    def _view(self, byte_offset: int, ty: MemRefType) -> SSAValue:
        offset = arith.ConstantOp(IntegerAttr(byte_offset, IndexType())).result
        view = memref.ViewOp(self._placeholder, offset, [], ty)
        self._views.append(view)
        return view.result

    def finish(self) -> tuple[MemRefType, str, ArrayAttr] | None:
        """Gives the status argument its size: (its type, its `strata.args` kind, the
        `strata.status_sites` attribute), or None when no kernel checks anything. The
        argument stays the entry's last one."""
        if self._placeholder is None:
            return None
        nbytes = WORD_BYTES * (1 + 2 * len(self.sites))
        ty = MemRefType(i8, [nbytes])
        arg = self.entry.insert_arg(ty, len(self.entry.args))
        arg.name_hint = "status"
        self._placeholder.replace_all_uses_with(arg)
        self.entry.erase_arg(self._placeholder)
        sites = ArrayAttr([ArrayAttr([StringAttr(op), StringAttr(node), StringAttr(msg)]) for op, node, msg in self.sites])
        return ty, f"{STATUS_KIND}:{nbytes}", sites
