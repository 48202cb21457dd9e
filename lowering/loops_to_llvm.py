"""Translate Strata's loop/buffer IR into LLVM IR with ``llvmlite.ir``.

Input: a ``builtin.module`` of upstream ``func``/``scf``/``arith``/``math``/
``memref`` ops whose memrefs have static shapes (identity or static strided
layouts).  Output: an ``llvmlite.ir.Module`` (``translate_module``) or its
textual LLVM IR (``to_llvm_ir``), ready for ``runtime.jit.JitModule``.

Conventions
-----------
* A memref value is an opaque ``ptr`` to the element at index ``(0, ..., 0)``;
  loads/stores linearise the indices with the static strides of the memref
  type and use ``getelementptr inbounds`` on the element type.
* ``i1`` is an ``i1`` in registers but one byte (``i8``) in memory, matching
  numpy's ``bool`` layout (zext on store, trunc on load).
* ``index`` is ``i64``.
* ``memref.alloc`` -> ``aligned_alloc(64, round_up(bytes, 64))``,
  ``memref.dealloc`` -> ``free``; ``memref.alloca`` is hoisted into the entry
  block of its function (allocas over ``_MAX_STACK_ALLOCA_BYTES`` are placed on
  the heap instead, and freed before the function returns).
* ``memref.view %buf[%bytes][]`` -> ``getelementptr i8, %buf, %bytes``: the
  memory planner (``lowering/plan_memory.py``) turns every intermediate of the
  entry into such a view of the arena, which arrives as an entry argument.
* The ``func.func`` carrying the unit attribute ``strata.entry`` gets an
  externally visible C-ABI wrapper ``void strata_entry(void **argv)``:
  ``argv[i]`` is the buffer of argument ``i`` (for a scalar argument, a pointer
  to the scalar); if the entry function returns values, result ``j`` is stored
  through ``argv[num_args + j]``.  When an entry exists, every other function
  has internal linkage; without one, functions keep external linkage unless
  they are ``private``.
* 1-D ``vector<N x T>`` values are LLVM vectors: ``vector.load``/``vector.store``
  read/write N contiguous elements at the given indices (the innermost dim must be
  contiguous; element alignment only), ``vector.broadcast`` splats a scalar, and
  ``vector.fma``/``math.fma`` call ``llvm.fma.vNfT``. Kernels use them where a
  register tile has to stay in registers (the AVX2 GEMM tile, lowering/kernels/matmul.py).
* Floating-point ops keep IEEE semantics; the ``fastmath`` flags of arith/math
  ops are forwarded to LLVM when present.

The translator is a table from op name to a handler (``_HANDLERS``), one small
handler per op family; handlers are registered with ``@_handles(OpClass, ...)``
(op classes, or op names for ops xDSL 0.74 has no class for, such as
``arith.remf``, ``arith.index_castui`` and ``math.isnan``).
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence

from llvmlite import ir
from xdsl.dialects import arith, func, math, memref, scf, vector
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AffineMapAttr,
    BFloat16Type,
    DenseIntOrFPElementsAttr,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    NoneAttr,
    StridedLayoutAttr,
    VectorType,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue

from lowering.errors import LoweringError
from lowering.errors import op_name as _name
from lowering.parallel_cost import MIN_PARALLEL_WORK, WORK_PER_THREAD, loop_work, parallel_work, trip_count
from lowering.thread_pool import MAX_THREADS, TASK_TYPE, ThreadPoolEmitter

__all__ = ["LoweringError", "translate_module", "to_llvm_ir", "parallel_loop_count", "ENTRY_ATTR", "ENTRY_SYMBOL"]

ENTRY_ATTR = "strata.entry"
ENTRY_SYMBOL = "strata_entry"

# Allocas bigger than this go to the heap (hoisted malloc + free at return). Every
# thread that runs kernels has the platform's default stack (8 MiB on Linux): a kernel's
# scratch (a GEMM's packed K x 16 panel: K up to 4096) fits well inside it.
_MAX_STACK_ALLOCA_BYTES = 256 * 1024
_ALLOC_ALIGN = 64


# --------------------------------------------------------------------------
# Types
# --------------------------------------------------------------------------

_I1 = ir.IntType(1)
_I8 = ir.IntType(8)
_I32 = ir.IntType(32)
_I64 = ir.IntType(64)
_F32 = ir.FloatType()
_F64 = ir.DoubleType()
_F16 = ir.HalfType()
_PTR = ir.PointerType()
_VOID = ir.VoidType()

_type_cache: dict[Attribute, ir.Type] = {}


def _llvm_type(t: Attribute, op: Operation | None = None) -> ir.Type:
    """Register (SSA) type of an xDSL type."""
    cached = _type_cache.get(t)
    if cached is not None:
        return cached
    if isinstance(t, IndexType):
        res: ir.Type = _I64
    elif isinstance(t, IntegerType):
        res = ir.IntType(t.width.data)
    elif isinstance(t, Float32Type):
        res = _F32
    elif isinstance(t, Float64Type):
        res = _F64
    elif isinstance(t, Float16Type):
        res = _F16
    elif isinstance(t, MemRefType):
        res = _PTR
    elif isinstance(t, VectorType) and t.get_num_dims() == 1 and not t.get_num_scalable_dims():
        res = ir.VectorType(_llvm_type(t.element_type, op), t.get_shape()[0])
    else:
        if isinstance(t, BFloat16Type):
            raise LoweringError("bf16 is not supported by the LLVM translator", op)
        raise LoweringError(f"unsupported type {t}", op)
    _type_cache[t] = res
    return res


def _mem_type(t: Attribute, op: Operation | None = None) -> ir.Type:
    """In-memory type of an element type (i1 is stored as a byte)."""
    lt = _llvm_type(t, op)
    if lt == _I1:
        return _I8
    return lt


def _byte_size(t: ir.Type) -> int:
    if isinstance(t, ir.IntType):
        return max(1, t.width // 8)
    if isinstance(t, ir.HalfType):
        return 2
    if isinstance(t, ir.FloatType):
        return 4
    if isinstance(t, ir.DoubleType):
        return 8
    if isinstance(t, ir.PointerType):
        return 8
    raise LoweringError(f"unsized type {t}")


def _is_float(t: ir.Type) -> bool:
    return isinstance(t, (ir.HalfType, ir.FloatType, ir.DoubleType))


def _float_suffix(t: ir.Type) -> str:
    if isinstance(t, ir.HalfType):
        return "f16"
    if isinstance(t, ir.FloatType):
        return "f32"
    if isinstance(t, ir.DoubleType):
        return "f64"
    raise LoweringError(f"not a float type: {t}")


_strides_cache: dict[MemRefType, tuple[int, ...]] = {}


def _memref_strides(t: Attribute, op: Operation | None = None) -> tuple[int, ...]:
    """Static element strides of a memref type."""
    cached = _strides_cache.get(t)  # type: ignore[arg-type]
    if cached is not None:
        return cached
    if not isinstance(t, MemRefType):
        raise LoweringError(f"expected a memref, got {t}", op)
    shape = t.get_shape()
    if any(d == DYNAMIC_INDEX or d < 0 for d in shape):
        raise LoweringError(f"dynamic shape in {t} (only static shapes are supported)", op)
    layout = t.layout
    if isinstance(layout, NoneAttr) or (
        isinstance(layout, AffineMapAttr) and layout.data.is_identity()
    ):
        strides: list[int] = []
        acc = 1
        for d in reversed(shape):
            strides.append(acc)
            acc *= d
        res = tuple(reversed(strides))
    elif isinstance(layout, StridedLayoutAttr):
        st = layout.get_strides()
        if any(s is None for s in st):
            raise LoweringError(f"dynamic strides in {t}", op)
        res = tuple(int(s) for s in st)  # type: ignore[arg-type]
    else:
        raise LoweringError(f"unsupported memref layout {layout}", op)
    _strides_cache[t] = res
    return res


def _memref_offset(t: MemRefType, op: Operation | None = None) -> int:
    off = t.get_offset() if not isinstance(t.layout, AffineMapAttr) else 0
    if off is None:
        raise LoweringError(f"dynamic offset in {t}", op)
    return off


def _is_contiguous(t: MemRefType, op: Operation | None = None) -> bool:
    strides = _memref_strides(t, op)
    acc = 1
    for d, s in zip(reversed(t.get_shape()), reversed(strides)):
        if d != 1 and s != acc:
            return False
        acc *= d
    return True


def _num_elements(t: MemRefType) -> int:
    n = 1
    for d in t.get_shape():
        n *= d
    return n


def _attr(op: Operation, name: str) -> Attribute | None:
    a = op.properties.get(name)
    if a is None:
        a = op.attributes.get(name)
    return a


def _fastmath(op: Operation) -> tuple[str, ...]:
    fm = _attr(op, "fastmath")
    if fm is None:
        return ()
    flags = getattr(fm, "data", None)
    if not flags or isinstance(flags, str):
        return ()
    return tuple(sorted(str(f) for f in flags))


def _overflow(op: Operation) -> tuple[str, ...]:
    of = _attr(op, "overflowFlags")
    if of is None:
        of = _attr(op, "overflow_flags")
    flags = getattr(of, "data", None) if of is not None else None
    if not flags or isinstance(flags, str):
        return ()
    return tuple(sorted(str(f) for f in flags))


# --------------------------------------------------------------------------
# Handler table
# --------------------------------------------------------------------------

Handler = Callable[["_FunctionTranslator", Operation], None]
# translate_module's on_function: (llvm module, the function just translated, own names)
FunctionDone = Callable[[ir.Module, ir.Function, frozenset], None]
_HANDLERS: dict[str, Handler] = {}

# Ops ending a region; handled by the op owning the region.
_TERMINATORS = frozenset(
    {"scf.yield", "scf.condition", "func.return", "scf.reduce", "memref.alloca_scope.return"}
)


def _handles(*ops: type[Operation] | str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for o in ops:
            _HANDLERS[o if isinstance(o, str) else o.name] = fn
        return fn

    return register


# --------------------------------------------------------------------------
# Module / function translation
# --------------------------------------------------------------------------


class _ModuleTranslator:
    def __init__(self, module: ModuleOp, parallel: bool = False, on_function: FunctionDone | None = None,
                 with_pool: bool = False):
        self.xmodule = module
        self.with_pool = with_pool
        self.on_function = on_function
        self.module = ir.Module(name="strata")
        self.functions: dict[str, ir.Function] = {}
        self.func_ops: dict[str, func.FuncOp] = {}
        self.runtime_decls: dict[str, ir.Function] = {}
        # With `parallel`, scf.parallel loops worth splitting run on the thread pool.
        self.parallel = parallel
        self.pool = ThreadPoolEmitter(self.module, x86=platform.machine().lower() in ("x86_64", "amd64"))

    # Declarations of intrinsics and C/libm symbols, created on demand.
    def declare(self, name: str, ret: ir.Type, args: Sequence[ir.Type]) -> ir.Function:
        fn = self.runtime_decls.get(name)
        if fn is None:
            fnty = ir.FunctionType(ret, list(args))
            existing = self.module.globals.get(name)
            if existing is not None:
                # e.g. the input IR declares `func.func private @erff(f32) -> f32` itself
                if not (
                    isinstance(existing, ir.Function)
                    and existing.is_declaration
                    and existing.function_type == fnty
                ):
                    raise LoweringError(
                        f"function @{name} clashes with a runtime/libm symbol the translator needs"
                    )
                fn = existing
            else:
                fn = ir.Function(self.module, fnty, name=name)
            self.runtime_decls[name] = fn
        return fn

    def intrinsic(self, base: str, ty: ir.Type, nargs: int = 1) -> ir.Function:
        elem = ty.element if isinstance(ty, ir.VectorType) else ty
        if isinstance(elem, ir.IntType):
            suffix = f"i{elem.width}"
        else:
            suffix = _float_suffix(elem)
        if isinstance(ty, ir.VectorType):
            suffix = f"v{ty.count}{suffix}"
        return self.declare(f"llvm.{base}.{suffix}", ty, [ty] * nargs)

    def translate(self) -> ir.Module:
        funcs: list[func.FuncOp] = []
        entry: func.FuncOp | None = None
        for op in self.xmodule.ops:
            if isinstance(op, func.FuncOp):
                funcs.append(op)
                if ENTRY_ATTR in op.attributes or ENTRY_ATTR in op.properties:
                    if entry is not None:
                        raise LoweringError(
                            f"two entry functions: @{entry.sym_name.data} and @{op.sym_name.data}", op
                        )
                    entry = op
            else:
                raise LoweringError("unexpected op at module level", op)

        # Declare every function first (calls may reference later functions).
        for f in funcs:
            name = f.sym_name.data
            if name == ENTRY_SYMBOL:
                raise LoweringError(f"function name '{ENTRY_SYMBOL}' is reserved", f)
            ftype = f.function_type
            args = [_llvm_type(t, f) for t in ftype.inputs.data]
            outs = [_llvm_type(t, f) for t in ftype.outputs.data]
            if not outs:
                ret: ir.Type = _VOID
            elif len(outs) == 1:
                ret = outs[0]
            else:
                ret = ir.LiteralStructType(outs)
            is_decl = not f.body.blocks
            vis = f.sym_visibility.data if f.sym_visibility is not None else None
            internal = not is_decl and (entry is not None or vis == "private")
            # An internal function may be renamed freely: keep it off the
            # C/libm names the translator may declare later.
            llname = name + ".strata" if internal and name in _RUNTIME_SYMBOLS else name
            fn = ir.Function(self.module, ir.FunctionType(ret, args), name=llname)
            if internal:
                fn.linkage = "internal"
            if not is_decl:
                fn.attributes.add("nounwind")
            self.functions[name] = fn
            self.func_ops[name] = f

        if self.with_pool:
            # Where the first parallel loop would have put it (after the declarations):
            # the entry's part has the same text either way.
            self.pool.parallel_for  # noqa: B018  (emits the pool)
        own = frozenset(fn.name for fn in self.functions.values())
        for f in funcs:
            if f.body.blocks:
                fn = self.functions[f.sym_name.data]
                _FunctionTranslator(self, f, fn).translate()
                if self.on_function is not None and f is not entry:
                    self.on_function(self.module, fn, own)

        if entry is not None:
            self._emit_entry_wrapper(entry)
        return self.module

    def _emit_entry_wrapper(self, entry: func.FuncOp) -> None:
        if not entry.body.blocks:
            raise LoweringError("the entry function has no body", entry)
        target = self.functions[entry.sym_name.data]
        # Inlined into the wrapper, the entry's buffers become loads from argv that LLVM
        # cannot prove distinct, and the loop vectorizer then leaves the lane loops of
        # kernels called once scalar (measured: 30 ms instead of 2.7 ms on one blocked
        # conv). Keeping the entry a call keeps its arguments plain pointers.
        target.attributes.add("noinline")
        wrapper = ir.Function(self.module, ir.FunctionType(_VOID, [_PTR]), name=ENTRY_SYMBOL)
        wrapper.attributes.add("nounwind")
        (argv,) = wrapper.args
        argv.name = "argv"
        b = ir.IRBuilder(wrapper.append_basic_block("entry"))

        def slot(i: int) -> ir.Value:
            p = b.gep(argv, [ir.Constant(_I64, i)], inbounds=True, source_etype=_PTR)
            return b.load(p, typ=_PTR, align=8)

        inputs = entry.function_type.inputs.data
        args = []
        for i, t in enumerate(inputs):
            p = slot(i)
            if isinstance(t, MemRefType):
                args.append(p)
            else:
                lt = _llvm_type(t, entry)
                mt = _mem_type(t, entry)
                v = b.load(p, typ=mt, align=_byte_size(mt))
                if mt != lt:
                    v = b.trunc(v, lt)
                args.append(v)
        res = b.call(target, args)
        outs = entry.function_type.outputs.data
        for j, t in enumerate(outs):
            v = res if len(outs) == 1 else b.extract_value(res, j)
            lt = _llvm_type(t, entry)
            mt = _mem_type(t, entry)
            if mt != lt:
                v = b.zext(v, mt)
            b.store(v, slot(len(inputs) + j), align=_byte_size(mt))
        b.ret_void()


class _FunctionTranslator:
    def __init__(self, mt: _ModuleTranslator, fop: func.FuncOp, fn: ir.Function):
        self.mt = mt
        self.fop = fop
        self.fn = fn
        self.values: dict[SSAValue, ir.Value] = {}
        self.entry_block = fn.append_basic_block("entry")
        self.entry_builder = ir.IRBuilder(self.entry_block)
        self.builder = ir.IRBuilder(fn.append_basic_block("body"))
        self.heap_allocas: list[ir.Value] = []
        self.in_parallel = False  # inside an outlined parallel loop: nested ones run serially
        self.outlined = 0  # parallel loops outlined from this function so far
        self._address_memo: dict[tuple, ir.Value] = {}  # see _address_part
        self._address_keep: list[tuple] = []

    # -- value map -------------------------------------------------------
    def v(self, ssa: SSAValue) -> ir.Value:
        try:
            return self.values[ssa]
        except KeyError:
            owner = ssa.owner
            where = owner.name if isinstance(owner, Operation) else "block argument"
            raise LoweringError(f"value defined by {where} used before being translated") from None

    def set(self, ssa: SSAValue, val: ir.Value) -> None:
        self.values[ssa] = val

    # -- driver ----------------------------------------------------------
    def translate(self) -> None:
        body = self.fop.body
        if len(body.blocks) != 1:
            raise LoweringError("functions with more than one block (unstructured control flow)", self.fop)
        block = body.blocks[0]
        for arg, llarg in zip(block.args, self.fn.args):
            self.set(arg, llarg)
        term = self.emit_block(block)
        if term is None or term.name != "func.return":
            raise LoweringError("function body does not end in func.return", self.fop)
        rets = [self.v(o) for o in term.operands]
        self.free_heap_allocas()
        b = self.builder
        if not rets:
            b.ret_void()
        elif len(rets) == 1:
            b.ret(rets[0])
        else:
            agg: ir.Value = ir.Constant(self.fn.return_value.type, ir.Undefined)
            for i, r in enumerate(rets):
                agg = b.insert_value(agg, r, i)
            b.ret(agg)
        self.entry_builder.branch(self.fn.basic_blocks[1])

    def free_heap_allocas(self) -> None:
        for p in self.heap_allocas:
            self.builder.call(self.mt.declare("free", _VOID, [_PTR]), [p])

    def emit_op(self, op: Operation) -> None:
        """Emit one (non-terminator) op."""
        h = _HANDLERS.get(_name(op))
        if h is None:
            raise LoweringError("no LLVM translation for this op", op)
        h(self, op)

    def emit_block(self, block: Block) -> Operation | None:
        """Emit all ops of ``block``; return its terminator (not emitted)."""
        handlers = _HANDLERS
        for op in block.ops:
            name = _name(op)
            h = handlers.get(name)
            if h is None:
                if name in _TERMINATORS:
                    return op
                raise LoweringError("no LLVM translation for this op", op)
            try:
                h(self, op)
            except LoweringError as e:
                if e.op is None:
                    raise LoweringError(str(e), op) from e
                raise
            except (TypeError, ValueError, KeyError, AttributeError, AssertionError, IndexError) as e:
                raise LoweringError(f"{type(e).__name__}: {e}", op) from e
        return None

    def new_block(self, name: str) -> ir.Block:
        return self.fn.append_basic_block(name)

    # -- helpers ---------------------------------------------------------
    def address(self, mref: SSAValue, indices: Sequence[SSAValue], op: Operation) -> tuple[ir.Value, ir.Type]:
        """The element's pointer: one inbounds GEP by the linear index, as in MLIR's
        memref-to-LLVM. Constant indices are summed here, and the variable part
        (index x stride, added outer to inner) is reused within a basic block: an
        unrolled register tile loads the same row at several constant lanes or
        columns, and emitting the whole sum per load made two thirds of a conv
        kernel's instructions index arithmetic, which LLVM then spent its time folding
        (measured on ResNet-50's kernels, see _address_part)."""
        t = mref.type
        assert isinstance(t, MemRefType)
        elem = _mem_type(t.element_type, op)
        base = self.v(mref)
        if not indices:
            return base, elem
        strides = _memref_strides(t, op)
        offset = 0
        lin: ir.Value | None = None
        for idx, stride in zip(indices, strides):
            if stride == 0:
                continue
            iv = self.v(idx)
            if isinstance(iv, ir.Constant) and isinstance(iv.constant, int):
                offset += iv.constant * stride
                continue
            term = iv if stride == 1 else self._address_part("mul", iv, ir.Constant(_I64, stride))
            lin = term if lin is None else self._address_part("add", lin, term)
        if offset:
            const = ir.Constant(_I64, offset)
            lin = const if lin is None else self._address_part("add", lin, const)
        if lin is None:
            return base, elem
        return self._address_part("gep", base, lin, elem), elem

    def _address_part(self, kind: str, a: ir.Value, b: ir.Value, elem: ir.Type | None = None) -> ir.Value:
        """`a * b`, `a + b` (nsw) or the inbounds GEP `a[b]`, emitted once per basic
        block for the same operands (values defined earlier in the block the builder
        appends to dominate the rest of it)."""
        builder = self.builder
        key = (kind, id(builder.block), id(a), ("const", b.constant) if isinstance(b, ir.Constant) else id(b), id(elem))
        found = self._address_memo.get(key)
        if found is not None:
            return found
        if kind == "mul":
            value = builder.mul(a, b, flags=("nsw",))
        elif kind == "add":
            value = builder.add(a, b, flags=("nsw",))
        else:
            value = builder.gep(a, [b], inbounds=True, source_etype=elem)
        # The key holds ids: keep the operands alive with the value.
        self._address_memo[key] = value
        self._address_keep.append((a, b, elem, builder.block))
        return value

    def offset_ptr(self, base: ir.Value, elem: ir.Type, offset: ir.Value | int) -> ir.Value:
        if isinstance(offset, int):
            if offset == 0:
                return base
            offset = ir.Constant(_I64, offset)
        return self.builder.gep(base, [offset], inbounds=True, source_etype=elem)

    def call_libm(self, base: str, args: list[ir.Value], fm: tuple[str, ...]) -> ir.Value:
        """Call a libm function (``erff``/``erf``...); f16 goes through f32."""
        ty = args[0].type
        b = self.builder
        if isinstance(ty, ir.HalfType):
            wide = [b.fpext(a, _F32) for a in args]
            fn = self.mt.declare(base + "f", _F32, [_F32] * len(args))
            return b.fptrunc(b.call(fn, wide, fastmath=fm), _F16)
        name = base + "f" if isinstance(ty, ir.FloatType) else base
        fn = self.mt.declare(name, ty, [ty] * len(args))
        return b.call(fn, args, fastmath=fm)

    def call_intrinsic(self, base: str, args: list[ir.Value], fm: tuple[str, ...] = ()) -> ir.Value:
        fn = self.mt.intrinsic(base, args[0].type, len(args))
        return self.builder.call(fn, args, fastmath=fm)

    def counted_loop(
        self,
        lb: ir.Value,
        ub: ir.Value,
        step: ir.Value,
        inits: list[ir.Value],
        body: Callable[[ir.Value, list[ir.Value]], list[ir.Value]],
        unsigned: bool = False,
    ) -> list[ir.Value]:
        """Emit ``for (iv = lb; iv < ub; iv += step)`` with loop-carried values."""
        b = self.builder
        pre = b.block
        header = self.new_block("for.header")
        body_bb = self.new_block("for.body")
        exit_bb = self.new_block("for.exit")
        b.branch(header)
        b.position_at_end(header)
        iv = b.phi(lb.type)
        iv.add_incoming(lb, pre)
        phis = []
        for init in inits:
            p = b.phi(init.type)
            p.add_incoming(init, pre)
            phis.append(p)
        cond = (b.icmp_unsigned if unsigned else b.icmp_signed)("<", iv, ub)
        b.cbranch(cond, body_bb, exit_bb)
        b.position_at_end(body_bb)
        yields = body(iv, list(phis))
        latch = b.block
        nxt = b.add(iv, step, flags=("nuw",) if unsigned else ("nsw",))
        iv.add_incoming(nxt, latch)
        for p, y in zip(phis, yields):
            p.add_incoming(y, latch)
        b.branch(header)
        b.position_at_end(exit_bb)
        return list(phis)


# --------------------------------------------------------------------------
# func
# --------------------------------------------------------------------------


@_handles(func.CallOp)
def _call(tr: _FunctionTranslator, op: Operation) -> None:
    callee = _attr(op, "callee")
    name = callee.root_reference.data  # type: ignore[union-attr]
    fn = tr.mt.functions.get(name)
    if fn is None:
        raise LoweringError(f"call to unknown function @{name}", op)
    res = tr.builder.call(fn, [tr.v(o) for o in op.operands])
    if len(op.results) == 1:
        tr.set(op.results[0], res)
    else:
        for i, r in enumerate(op.results):
            tr.set(r, tr.builder.extract_value(res, i))


# --------------------------------------------------------------------------
# arith
# --------------------------------------------------------------------------


def _constant_value(tr: _FunctionTranslator, op: Operation) -> ir.Value:
    attr = _attr(op, "value")
    rtype = op.results[0].type
    lt = _llvm_type(rtype, op)
    if isinstance(attr, DenseIntOrFPElementsAttr):
        raise LoweringError("dense (vector/tensor) constants are not supported", op)
    if isinstance(attr, IntegerAttr):
        val = int(attr.value.data)
        assert isinstance(lt, ir.IntType)
        w = lt.width
        if w == 1:
            return ir.Constant(lt, val & 1)
        val &= (1 << w) - 1
        if val >= 1 << (w - 1):
            val -= 1 << w
        return ir.Constant(lt, val)
    if isinstance(attr, FloatAttr):
        return ir.Constant(lt, float(attr.value.data))
    raise LoweringError(f"unsupported constant attribute {attr}", op)


@_handles(arith.ConstantOp)
def _constant(tr: _FunctionTranslator, op: Operation) -> None:
    tr.set(op.results[0], _constant_value(tr, op))


_FLOAT_BINOPS = {
    "arith.addf": "fadd",
    "arith.subf": "fsub",
    "arith.mulf": "fmul",
    "arith.divf": "fdiv",
    "arith.remf": "frem",
}


@_handles(arith.AddfOp, arith.SubfOp, arith.MulfOp, arith.DivfOp, "arith.remf")
def _float_binop(tr: _FunctionTranslator, op: Operation) -> None:
    b = tr.builder
    fn = getattr(b, _FLOAT_BINOPS[_name(op)])
    tr.set(op.results[0], fn(tr.v(op.operands[0]), tr.v(op.operands[1]), flags=_fastmath(op)))


@_handles(arith.NegfOp)
def _negf(tr: _FunctionTranslator, op: Operation) -> None:
    tr.set(op.results[0], tr.builder.fneg(tr.v(op.operands[0]), flags=_fastmath(op)))


_MINMAX_INTRINSICS = {
    "arith.maximumf": "maximum",
    "arith.minimumf": "minimum",
    "arith.maxnumf": "maxnum",
    "arith.minnumf": "minnum",
    "arith.maxsi": "smax",
    "arith.minsi": "smin",
    "arith.maxui": "umax",
    "arith.minui": "umin",
}


@_handles(
    arith.MaximumfOp, arith.MinimumfOp, arith.MaxnumfOp, arith.MinnumfOp,
    arith.MaxSIOp, arith.MinSIOp, arith.MaxUIOp, arith.MinUIOp,
)
def _minmax(tr: _FunctionTranslator, op: Operation) -> None:
    args = [tr.v(op.operands[0]), tr.v(op.operands[1])]
    tr.set(op.results[0], tr.call_intrinsic(_MINMAX_INTRINSICS[_name(op)], args, _fastmath(op)))


_INT_BINOPS = {
    "arith.addi": "add",
    "arith.subi": "sub",
    "arith.muli": "mul",
    "arith.divsi": "sdiv",
    "arith.divui": "udiv",
    "arith.remsi": "srem",
    "arith.remui": "urem",
    "arith.andi": "and_",
    "arith.ori": "or_",
    "arith.xori": "xor",
    "arith.shli": "shl",
    "arith.shrsi": "ashr",
    "arith.shrui": "lshr",
}
_OVERFLOW_OPS = frozenset({"arith.addi", "arith.subi", "arith.muli", "arith.shli"})


@_handles(
    arith.AddiOp, arith.SubiOp, arith.MuliOp, arith.DivSIOp, arith.DivUIOp,
    arith.RemSIOp, arith.RemUIOp, arith.AndIOp, arith.OrIOp, arith.XOrIOp,
    arith.ShLIOp, arith.ShRSIOp, arith.ShRUIOp,
)
def _int_binop(tr: _FunctionTranslator, op: Operation) -> None:
    b = tr.builder
    fn = getattr(b, _INT_BINOPS[_name(op)])
    lhs, rhs = tr.v(op.operands[0]), tr.v(op.operands[1])
    if _name(op) in _OVERFLOW_OPS:
        res = fn(lhs, rhs, flags=_overflow(op))
    else:
        res = fn(lhs, rhs)
    tr.set(op.results[0], res)


@_handles(arith.FloorDivSIOp, arith.CeilDivSIOp, arith.CeilDivUIOp)
def _rounding_div(tr: _FunctionTranslator, op: Operation) -> None:
    b = tr.builder
    a, d = tr.v(op.operands[0]), tr.v(op.operands[1])
    zero = ir.Constant(a.type, 0)
    if _name(op) == "arith.ceildivui":
        q = b.udiv(a, d)
        r = b.urem(a, d)
        res = b.add(q, b.zext(b.icmp_unsigned("!=", r, zero), a.type))
    else:
        q = b.sdiv(a, d)
        r = b.srem(a, d)
        nonzero = b.icmp_signed("!=", r, zero)
        # floor: the remainder and divisor have different signs -> q - 1
        # ceil:  the remainder and divisor have the same sign   -> q + 1
        signs_differ = b.icmp_signed("<", b.xor(r, d), zero)
        if _name(op) == "arith.floordivsi":
            adjust = b.and_(nonzero, signs_differ)
            res = b.sub(q, b.zext(adjust, a.type))
        else:
            adjust = b.and_(nonzero, b.not_(signs_differ))
            res = b.add(q, b.zext(adjust, a.type))
    tr.set(op.results[0], res)


_CMPI = {
    0: ("s", "=="), 1: ("s", "!="),
    2: ("s", "<"), 3: ("s", "<="), 4: ("s", ">"), 5: ("s", ">="),
    6: ("u", "<"), 7: ("u", "<="), 8: ("u", ">"), 9: ("u", ">="),
}
_CMPF = list(arith.CMPF_COMPARISON_OPERATIONS)


def _predicate(op: Operation) -> int:
    p = _attr(op, "predicate")
    if not isinstance(p, IntegerAttr):
        raise LoweringError("missing predicate", op)
    return int(p.value.data)


@_handles(arith.CmpiOp)
def _cmpi(tr: _FunctionTranslator, op: Operation) -> None:
    kind, cmp = _CMPI[_predicate(op)]
    b = tr.builder
    fn = b.icmp_signed if kind == "s" else b.icmp_unsigned
    tr.set(op.results[0], fn(cmp, tr.v(op.operands[0]), tr.v(op.operands[1])))


@_handles(arith.CmpfOp)
def _cmpf(tr: _FunctionTranslator, op: Operation) -> None:
    pred = _CMPF[_predicate(op)]
    if pred == "false":
        res: ir.Value = ir.Constant(_I1, 0)
    elif pred == "true":
        res = ir.Constant(_I1, 1)
    else:
        # fcmp_ordered passes LLVM predicate names (oeq, ult, uno...) through.
        res = tr.builder.fcmp_ordered(
            pred, tr.v(op.operands[0]), tr.v(op.operands[1]), flags=_fastmath(op)
        )
    tr.set(op.results[0], res)


@_handles(arith.SelectOp)
def _select(tr: _FunctionTranslator, op: Operation) -> None:
    c, t, f = (tr.v(o) for o in op.operands)
    tr.set(op.results[0], tr.builder.select(c, t, f))


def _int_resize(tr: _FunctionTranslator, v: ir.Value, to: ir.Type, signed: bool) -> ir.Value:
    fw, tw = v.type.width, to.width
    if fw == tw:
        return v
    if fw > tw:
        return tr.builder.trunc(v, to)
    return tr.builder.sext(v, to) if signed else tr.builder.zext(v, to)


_CASTS = {
    "arith.sitofp": "sitofp",
    "arith.uitofp": "uitofp",
    "arith.fptosi": "fptosi",
    "arith.fptoui": "fptoui",
    "arith.extf": "fpext",
    "arith.truncf": "fptrunc",
    "arith.extsi": "sext",
    "arith.extui": "zext",
    "arith.trunci": "trunc",
}


@_handles(
    arith.SIToFPOp, arith.UIToFPOp, arith.FPToSIOp, arith.FPToUIOp, arith.ExtFOp,
    arith.TruncFOp, arith.ExtSIOp, arith.ExtUIOp, arith.TruncIOp,
)
def _cast(tr: _FunctionTranslator, op: Operation) -> None:
    v = tr.v(op.operands[0])
    to = _llvm_type(op.results[0].type, op)
    if v.type == to:  # e.g. index <-> i64 spelled as ext/trunc
        tr.set(op.results[0], v)
        return
    tr.set(op.results[0], getattr(tr.builder, _CASTS[_name(op)])(v, to))


@_handles(arith.IndexCastOp, "arith.index_castui")
def _index_cast(tr: _FunctionTranslator, op: Operation) -> None:
    v = tr.v(op.operands[0])
    to = _llvm_type(op.results[0].type, op)
    tr.set(op.results[0], _int_resize(tr, v, to, signed=_name(op) == "arith.index_cast"))


@_handles(arith.BitcastOp)
def _bitcast(tr: _FunctionTranslator, op: Operation) -> None:
    v = tr.v(op.operands[0])
    to = _llvm_type(op.results[0].type, op)
    tr.set(op.results[0], v if v.type == to else tr.builder.bitcast(v, to))


# --------------------------------------------------------------------------
# math
# --------------------------------------------------------------------------

# op -> ("intr", llvm intrinsic base) | ("libm", C name of the double variant)
_MATH_FUNCS: dict[str, tuple[str, str]] = {
    "math.exp": ("intr", "exp"),
    "math.exp2": ("intr", "exp2"),
    "math.expm1": ("libm", "expm1"),
    "math.log": ("intr", "log"),
    "math.log2": ("intr", "log2"),
    "math.log10": ("intr", "log10"),
    "math.log1p": ("libm", "log1p"),
    "math.sqrt": ("intr", "sqrt"),
    "math.absf": ("intr", "fabs"),
    "math.powf": ("intr", "pow"),
    "math.tanh": ("intr", "tanh"),
    "math.sinh": ("intr", "sinh"),
    "math.cosh": ("intr", "cosh"),
    "math.sin": ("intr", "sin"),
    "math.cos": ("intr", "cos"),
    "math.tan": ("intr", "tan"),
    "math.asin": ("intr", "asin"),
    "math.acos": ("intr", "acos"),
    "math.atan": ("intr", "atan"),
    "math.atan2": ("intr", "atan2"),
    "math.floor": ("intr", "floor"),
    "math.ceil": ("intr", "ceil"),
    "math.round": ("intr", "round"),
    "math.roundeven": ("intr", "roundeven"),
    "math.trunc": ("intr", "trunc"),
    "math.fma": ("intr", "fma"),
    "math.copysign": ("intr", "copysign"),
    "math.erf": ("libm", "erf"),
    "math.cbrt": ("libm", "cbrt"),
    "math.asinh": ("libm", "asinh"),
    "math.acosh": ("libm", "acosh"),
    "math.atanh": ("libm", "atanh"),
}


# C symbols the translator may declare (internal functions are renamed off them).
_RUNTIME_SYMBOLS = frozenset(
    {"aligned_alloc", "free"}
    | {base + sfx for kind, base in _MATH_FUNCS.values() for sfx in ("", "f")}
    | {"pow", "powf", "sqrt", "sqrtf", "fabs", "fabsf", "fmax", "fmin", "fmaxf", "fminf", "memcpy"}
)


@_handles(*_MATH_FUNCS)
def _math_func(tr: _FunctionTranslator, op: Operation) -> None:
    kind, base = _MATH_FUNCS[_name(op)]
    args = [tr.v(o) for o in op.operands]
    fm = _fastmath(op)
    if kind == "intr":
        res = tr.call_intrinsic(base, args, fm)
    else:
        res = tr.call_libm(base, args, fm)
    tr.set(op.results[0], res)


@_handles(math.RsqrtOp)
def _rsqrt(tr: _FunctionTranslator, op: Operation) -> None:
    x = tr.v(op.operands[0])
    fm = _fastmath(op)
    s = tr.call_intrinsic("sqrt", [x], fm)
    tr.set(op.results[0], tr.builder.fdiv(ir.Constant(x.type, 1.0), s, flags=fm))


@_handles(math.FPowIOp)
def _fpowi(tr: _FunctionTranslator, op: Operation) -> None:
    # llvm.powi lowers to compiler-rt's __powisf2 (not reliably present in
    # the process), so compute pow(x, (float)n) instead.
    x, n = tr.v(op.operands[0]), tr.v(op.operands[1])
    nf = tr.builder.sitofp(n, x.type)
    tr.set(op.results[0], tr.call_intrinsic("pow", [x, nf], _fastmath(op)))


@_handles(math.AbsIOp)
def _absi(tr: _FunctionTranslator, op: Operation) -> None:
    x = tr.v(op.operands[0])
    fn = tr.mt.declare(f"llvm.abs.i{x.type.width}", x.type, [x.type, _I1])
    tr.set(op.results[0], tr.builder.call(fn, [x, ir.Constant(_I1, 0)]))


@_handles(math.CountLeadingZerosOp, math.CountTrailingZerosOp, math.CtPopOp)
def _bitcount(tr: _FunctionTranslator, op: Operation) -> None:
    x = tr.v(op.operands[0])
    base = {"math.ctlz": "ctlz", "math.cttz": "cttz", "math.ctpop": "ctpop"}[_name(op)]
    if base == "ctpop":
        res = tr.call_intrinsic(base, [x])
    else:
        fn = tr.mt.declare(f"llvm.{base}.i{x.type.width}", x.type, [x.type, _I1])
        res = tr.builder.call(fn, [x, ir.Constant(_I1, 0)])
    tr.set(op.results[0], res)


@_handles("math.isnan", "math.isinf", "math.isfinite")
def _fpclass(tr: _FunctionTranslator, op: Operation) -> None:
    x = tr.v(op.operands[0])
    b = tr.builder
    if _name(op) == "math.isnan":
        res = b.fcmp_unordered("uno", x, x)
    else:
        ax = tr.call_intrinsic("fabs", [x])
        inf = ir.Constant(x.type, float("inf"))
        res = b.fcmp_ordered("oeq" if _name(op) == "math.isinf" else "olt", ax, inf)
    tr.set(op.results[0], res)


# --------------------------------------------------------------------------
# memref
# --------------------------------------------------------------------------


@_handles(memref.LoadOp)
def _load(tr: _FunctionTranslator, op: Operation) -> None:
    ptr, elem = tr.address(op.operands[0], op.operands[1:], op)
    v = tr.builder.load(ptr, typ=elem, align=_byte_size(elem))
    rt = _llvm_type(op.results[0].type, op)
    if rt != elem:
        v = tr.builder.trunc(v, rt)
    tr.set(op.results[0], v)


@_handles(memref.StoreOp)
def _store(tr: _FunctionTranslator, op: Operation) -> None:
    val = tr.v(op.operands[0])
    ptr, elem = tr.address(op.operands[1], op.operands[2:], op)
    if val.type != elem:
        val = tr.builder.zext(val, elem)
    tr.builder.store(val, ptr, align=_byte_size(elem))


def _vector_address(tr: _FunctionTranslator, op: Operation, mref: SSAValue, indices: Sequence[SSAValue]) -> ir.Value:
    t = mref.type
    assert isinstance(t, MemRefType)
    if _memref_strides(t, op)[-1:] not in ((1,), ()):
        raise LoweringError("vector access along a strided dim", op)
    return tr.address(mref, indices, op)[0]


@_handles(vector.LoadOp)
def _vector_load(tr: _FunctionTranslator, op: Operation) -> None:
    ptr = _vector_address(tr, op, op.operands[0], op.operands[1:])
    rt = _llvm_type(op.results[0].type, op)
    tr.set(op.results[0], tr.builder.load(ptr, typ=rt, align=_byte_size(rt.element)))


@_handles(vector.StoreOp)
def _vector_store(tr: _FunctionTranslator, op: Operation) -> None:
    val = tr.v(op.operands[0])
    ptr = _vector_address(tr, op, op.operands[1], op.operands[2:])
    tr.builder.store(val, ptr, align=_byte_size(val.type.element))


@_handles(vector.BroadcastOp)
def _vector_broadcast(tr: _FunctionTranslator, op: Operation) -> None:
    rt = _llvm_type(op.results[0].type, op)
    x = tr.v(op.operands[0])
    if isinstance(x.type, ir.VectorType):
        raise LoweringError("vector.broadcast of a vector", op)
    b = tr.builder
    # As a <1 x T> bitcast shuffled by an all-zero mask: llvmlite writes an undef
    # <N x T> element by element, and a broadcast per x value of the conv tiles made
    # ResNet-50's IR text 50 % longer with insertelement into one.
    one = b.bitcast(x, ir.VectorType(x.type, 1))
    mask = ir.Constant(ir.VectorType(_I32, rt.count), [0] * rt.count)
    tr.set(op.results[0], b.shuffle_vector(one, ir.Constant(one.type, ir.Undefined), mask))


@_handles(vector.ShuffleOp)
def _vector_shuffle(tr: _FunctionTranslator, op: Operation) -> None:
    mask = [int(m) for m in op.mask.get_values()]  # type: ignore[attr-defined]
    a, b = tr.v(op.operands[0]), tr.v(op.operands[1])
    tr.set(op.results[0], tr.builder.shuffle_vector(a, b, ir.Constant(ir.VectorType(_I32, len(mask)), mask)))


@_handles(vector.FMAOp)
def _vector_fma(tr: _FunctionTranslator, op: Operation) -> None:
    tr.set(op.results[0], tr.call_intrinsic("fma", [tr.v(o) for o in op.operands]))


# memref.atomic_rmw's `kind` (MLIR's arith::AtomicRMWKind) -> llvmlite's operation.
_ATOMIC_RMW_KINDS = {1: "add", 2: "xchg", 4: "max", 5: "umax", 7: "min", 8: "umin", 11: "or", 12: "and"}


@_handles(memref.AtomicRMWOp)
def _atomic_rmw(tr: _FunctionTranslator, op: Operation) -> None:
    # Integer kinds only; `monotonic` is enough for the status words of run-time checks
    # (lowering/runtime_checks.py): they are read after the call, once every thread ended.
    kind = _ATOMIC_RMW_KINDS.get(op.kind.value.data)
    if kind is None:
        raise LoweringError(f"atomic_rmw kind {op.kind.value.data} is not supported", op)
    val = tr.v(op.operands[0])
    ptr, elem = tr.address(op.operands[1], op.operands[2:], op)
    if val.type != elem:
        raise LoweringError("atomic_rmw on an i1 memref is not supported", op)
    tr.set(op.results[0], tr.builder.atomic_rmw(kind, ptr, val, "monotonic"))


def _alloc_bytes(op: Operation) -> tuple[int, int, MemRefType]:
    t = op.results[0].type
    if not isinstance(t, MemRefType):
        raise LoweringError("result is not a memref", op)
    if op.operands:
        raise LoweringError("dynamic sizes are not supported", op)
    _memref_strides(t, op)  # validates static shape / layout
    elem = _mem_type(t.element_type, op)
    nbytes = _num_elements(t) * _byte_size(elem)
    align = _ALLOC_ALIGN
    a = _attr(op, "alignment")
    if isinstance(a, IntegerAttr):
        align = max(align, int(a.value.data))
    return nbytes, align, t


def _heap_alloc(tr: _FunctionTranslator, b: ir.IRBuilder, nbytes: int, align: int) -> ir.Value:
    rounded = max(align, (nbytes + align - 1) // align * align)
    fn = tr.mt.declare("aligned_alloc", _PTR, [_I64, _I64])
    return b.call(fn, [ir.Constant(_I64, align), ir.Constant(_I64, rounded)])


@_handles(memref.AllocOp)
def _alloc(tr: _FunctionTranslator, op: Operation) -> None:
    nbytes, align, _ = _alloc_bytes(op)
    tr.set(op.results[0], _heap_alloc(tr, tr.builder, nbytes, align))


@_handles(memref.DeallocOp)
def _dealloc(tr: _FunctionTranslator, op: Operation) -> None:
    tr.builder.call(tr.mt.declare("free", _VOID, [_PTR]), [tr.v(op.operands[0])])


@_handles(memref.AllocaOp)
def _alloca(tr: _FunctionTranslator, op: Operation) -> None:
    nbytes, align, t = _alloc_bytes(op)
    eb = tr.entry_builder
    if nbytes > _MAX_STACK_ALLOCA_BYTES:
        p = _heap_alloc(tr, eb, nbytes, align)
        tr.heap_allocas.append(p)
    else:
        elem = _mem_type(t.element_type, op)
        n = max(1, _num_elements(t))
        p = eb.alloca(ir.ArrayType(elem, n) if n > 1 else elem)
        p.type = _PTR  # llvmlite types allocas as typed pointers; we use opaque ones
        p.align = min(align, 64) if n > 1 else _byte_size(elem)
    tr.set(op.results[0], p)


@_handles(
    memref.CastOp, memref.CollapseShapeOp, memref.ExpandShapeOp,
    memref.MemorySpaceCastOp, memref.AssumeAlignmentOp,
)
def _passthrough(tr: _FunctionTranslator, op: Operation) -> None:
    # The pointer to element (0, ..., 0) is unchanged; loads through the result
    # use the result type's strides.  Reshapes need a contiguous source.
    if _name(op) in ("memref.collapse_shape", "memref.expand_shape"):
        src = op.operands[0].type
        assert isinstance(src, MemRefType)
        if not _is_contiguous(src, op):
            raise LoweringError("reshaping a non-contiguous memref", op)
    tr.set(op.results[0], tr.v(op.operands[0]))


@_handles(memref.ReinterpretCastOp)
def _reinterpret_cast(tr: _FunctionTranslator, op: Operation) -> None:
    assert isinstance(op, memref.ReinterpretCastOp)
    src_t = op.source.type
    dst_t = op.result.type
    assert isinstance(src_t, MemRefType) and isinstance(dst_t, MemRefType)
    if op.sizes or op.strides:
        raise LoweringError("dynamic sizes/strides are not supported", op)
    _memref_strides(dst_t, op)
    elem = _mem_type(dst_t.element_type, op)
    src_off = _memref_offset(src_t, op)
    static_off = op.static_offsets.get_values()[0]
    src = tr.v(op.source)
    if op.offsets:
        dyn = tr.v(op.offsets[0])
        off: ir.Value | int = tr.builder.sub(dyn, ir.Constant(_I64, src_off)) if src_off else dyn
    else:
        off = int(static_off) - src_off
    tr.set(op.result, tr.offset_ptr(src, elem, off))


@_handles(memref.SubviewOp)
def _subview(tr: _FunctionTranslator, op: Operation) -> None:
    assert isinstance(op, memref.SubviewOp)
    src_t = op.source.type
    assert isinstance(src_t, MemRefType)
    strides = _memref_strides(src_t, op)
    _memref_strides(op.result.type, op)  # result must have a static layout
    b = tr.builder
    dyn = iter(op.offsets)
    const = 0
    lin: ir.Value | None = None
    for off, stride in zip(op.static_offsets.get_values(), strides):
        if off == DYNAMIC_INDEX:
            term = tr.v(next(dyn))
            if stride != 1:
                term = b.mul(term, ir.Constant(_I64, stride), flags=("nsw",))
            lin = term if lin is None else b.add(lin, term, flags=("nsw",))
        else:
            const += int(off) * stride
    if lin is None:
        total: ir.Value | int = const
    else:
        total = b.add(lin, ir.Constant(_I64, const), flags=("nsw",)) if const else lin
    elem = _mem_type(src_t.element_type, op)
    tr.set(op.result, tr.offset_ptr(tr.v(op.source), elem, total))


@_handles(memref.ViewOp)
def _view(tr: _FunctionTranslator, op: Operation) -> None:
    # A typed view at a byte offset into an i8 buffer (the memory planner's arena).
    assert isinstance(op, memref.ViewOp)
    if op.sizes:
        raise LoweringError("dynamic sizes are not supported", op)
    _memref_strides(op.result.type, op)
    tr.set(op.result, tr.offset_ptr(tr.v(op.source), _I8, tr.v(op.byte_shift)))


@_handles(memref.CopyOp)
def _copy(tr: _FunctionTranslator, op: Operation) -> None:
    src, dst = op.operands[0], op.operands[1]
    st, dt = src.type, dst.type
    assert isinstance(st, MemRefType) and isinstance(dt, MemRefType)
    if not (_is_contiguous(st, op) and _is_contiguous(dt, op)):
        raise LoweringError("copy between non-contiguous memrefs", op)
    nbytes = _num_elements(st) * _byte_size(_mem_type(st.element_type, op))
    fn = tr.mt.declare("llvm.memcpy.p0.p0.i64", _VOID, [_PTR, _PTR, _I64, _I1])
    tr.builder.call(fn, [tr.v(dst), tr.v(src), ir.Constant(_I64, nbytes), ir.Constant(_I1, 0)])


@_handles(memref.DimOp)
def _dim(tr: _FunctionTranslator, op: Operation) -> None:
    t = op.operands[0].type
    assert isinstance(t, MemRefType)
    idx_op = op.operands[1].owner
    if not isinstance(idx_op, arith.ConstantOp):
        raise LoweringError("non-constant dimension index", op)
    d = t.get_shape()[int(idx_op.value.value.data)]  # type: ignore[union-attr]
    tr.set(op.results[0], ir.Constant(_I64, d))


@_handles(memref.ExtractAlignedPointerAsIndexOp)
def _ptr_as_index(tr: _FunctionTranslator, op: Operation) -> None:
    tr.set(op.results[0], tr.builder.ptrtoint(tr.v(op.operands[0]), _I64))


# --------------------------------------------------------------------------
# scf
# --------------------------------------------------------------------------


def _yielded(tr: _FunctionTranslator, term: Operation | None, op: Operation) -> list[ir.Value]:
    if term is None:
        return []
    if term.name not in ("scf.yield", "scf.reduce"):
        raise LoweringError(f"unexpected terminator {term.name} in region", op)
    return [tr.v(o) for o in term.operands]


@_handles(scf.ForOp)
def _for(tr: _FunctionTranslator, op: Operation) -> None:
    lb, ub, step = (tr.v(o) for o in op.operands[:3])
    inits = [tr.v(o) for o in op.operands[3:]]
    block = op.regions[0].blocks[0]
    unsigned = _attr(op, "unsignedCmp") is not None

    def body(iv: ir.Value, iters: list[ir.Value]) -> list[ir.Value]:
        tr.set(block.args[0], iv)
        for a, v in zip(block.args[1:], iters):
            tr.set(a, v)
        return _yielded(tr, tr.emit_block(block), op)

    results = tr.counted_loop(lb, ub, step, inits, body, unsigned=unsigned)
    for r, v in zip(op.results, results):
        tr.set(r, v)


@_handles(scf.ParallelOp)
def _parallel(tr: _FunctionTranslator, op: Operation) -> None:
    assert isinstance(op, scf.ParallelOp)
    if op.initVals:
        raise LoweringError("scf.parallel with reductions is not supported", op)
    if tr.mt.parallel and not tr.in_parallel and op.lowerBound and parallel_work(op) >= MIN_PARALLEL_WORK:
        _dispatch_parallel(tr, op)
        return
    lbs = [tr.v(o) for o in op.lowerBound]
    ubs = [tr.v(o) for o in op.upperBound]
    steps = [tr.v(o) for o in op.step]
    block = op.body.blocks[0]

    def nest(d: int) -> None:
        def body(iv: ir.Value, _: list[ir.Value]) -> list[ir.Value]:
            tr.set(block.args[d], iv)
            if d + 1 < len(lbs):
                nest(d + 1)
            else:
                tr.emit_block(block)
            return []

        tr.counted_loop(lbs[d], ubs[d], steps[d], [], body)

    if lbs:
        nest(0)
    else:
        tr.emit_block(block)


# ---- scf.parallel on the thread pool ----------------------------------------------------
#
# The loop's iterations are numbered 0 .. total-1 (row-major over its dimensions). Its
# body becomes `void @<fn>.parN(live-ins..., i64 lo, i64 hi)`, which runs iterations
# [lo, hi): the live-ins are plain arguments, as a kernel's buffers are, so LLVM sees the
# same code it sees in a kernel (loads from a context block would hide that the buffers
# are distinct and keep lane loops scalar). A trampoline `@<fn>.parN.task(ctx, lo, hi)`
# unpacks the live-ins from an 8-byte slot each and calls it; the kernel fills the slots
# and calls strata.parallel_for (lowering/thread_pool.py). Constants the body uses are
# re-created inside it (as arguments LLVM would lose their values), and a stack or heap
# buffer used only inside the loop is given to each thread (scratch tiles); a buffer
# shared with code outside the loop must not be written inside it.


def _region_members(op: Operation) -> tuple[list[Operation], set[Block]]:
    """The ops nested in `op` (in program order: the IR must not depend on hashing) and
    the blocks of its regions."""
    ops = [inner for inner in op.walk() if inner is not op]
    blocks = {block for o in (op, *ops) for region in o.regions for block in region.blocks}
    return ops, blocks


def _rematerializable(v: SSAValue) -> bool:
    owner = v.owner
    return isinstance(owner, arith.ConstantOp)


def _dispatch_parallel(tr: _FunctionTranslator, op: scf.ParallelOp) -> None:
    mt = tr.mt
    nested, blocks = _region_members(op)
    inside = set(nested)
    live: list[SSAValue] = []
    seen: set[SSAValue] = set()

    def note(v: SSAValue) -> None:
        if v in seen:
            return
        owner = v.owner
        if (isinstance(owner, Operation) and owner in inside) or (isinstance(owner, Block) and owner in blocks):
            return
        seen.add(v)
        live.append(v)

    for v in (*op.lowerBound, *op.upperBound, *op.step):
        note(v)
    for inner in nested:
        for v in inner.operands:
            note(v)
    remat = [v for v in live if _rematerializable(v)]
    private: list[SSAValue] = []
    passed: list[SSAValue] = []
    for v in live:
        if v in remat:
            continue
        owner = v.owner
        is_buffer = isinstance(owner, (memref.AllocaOp, memref.AllocOp))
        if is_buffer and all(use.operation in inside for use in v.uses):
            private.append(v)
            continue
        if is_buffer:
            for use in v.uses:
                user = use.operation
                if user in inside and (
                    (isinstance(user, memref.StoreOp) and user.memref is v)
                    or (isinstance(user, memref.CopyOp) and user.destination is v)
                ):
                    raise LoweringError("a buffer shared with code outside the parallel loop is written inside it", op)
        passed.append(v)

    name = f"{tr.fn.name}.par{tr.outlined}"
    tr.outlined += 1
    arg_types = [tr.v(v).type for v in passed]
    body_fn = ir.Function(mt.module, ir.FunctionType(_VOID, [*arg_types, _I64, _I64]), name=name)
    body_fn.linkage = "internal"
    body_fn.attributes.add("nounwind")
    body_fn.attributes.add("noinline")
    sub = _FunctionTranslator(mt, tr.fop, body_fn)
    sub.in_parallel = True
    for v, a in zip(passed, body_fn.args):
        sub.set(v, a)
    for v in remat:
        sub.emit_op(v.owner)  # type: ignore[arg-type]
    for v in private:
        # Each thread's own copy of a scratch buffer.
        owner = v.owner
        if isinstance(owner, memref.AllocOp) and any(isinstance(u.operation, memref.DeallocOp) for u in v.uses):
            raise LoweringError("a heap buffer used only inside a parallel loop is freed inside it", op)
        sub.emit_op(owner)  # type: ignore[arg-type]
    lo, hi = body_fn.args[-2], body_fn.args[-1]
    block = op.body.blocks[0]
    trips = [_trips(sub, op, d) for d in range(len(op.lowerBound))]

    def body(lin: ir.Value, _: list[ir.Value]) -> list[ir.Value]:
        b = sub.builder
        rest = lin
        for d in reversed(range(len(trips))):
            q = rest if d == 0 else b.urem(rest, trips[d])
            if d:
                rest = b.udiv(rest, trips[d])
            iv = b.add(sub.v(op.lowerBound[d]), b.mul(q, sub.v(op.step[d]), flags=("nsw",)), flags=("nsw",))
            sub.set(block.args[d], iv)
        sub.emit_block(block)
        return []

    sub.counted_loop(lo, hi, ir.Constant(_I64, 1), [], body)
    sub.free_heap_allocas()
    sub.builder.ret_void()
    sub.entry_builder.branch(body_fn.basic_blocks[1])

    task = ir.Function(mt.module, TASK_TYPE, name=name + ".task")
    task.linkage = "internal"
    task.attributes.add("nounwind")
    tb = ir.IRBuilder(task.append_basic_block("entry"))
    ctx, tlo, thi = task.args
    args = [
        tb.load(tb.gep(ctx, [ir.Constant(_I64, i)], inbounds=True, source_etype=_I64), typ=t, align=8)
        for i, t in enumerate(arg_types)
    ]
    tb.call(body_fn, [*args, tlo, thi])
    tb.ret_void()

    b = tr.builder
    slots = tr.entry_builder.alloca(ir.ArrayType(_I64, max(1, len(passed))))
    slots.type = _PTR
    slots.align = 8
    for i, v in enumerate(passed):
        b.store(tr.v(v), b.gep(slots, [ir.Constant(_I64, i)], inbounds=True, source_etype=_I64), align=8)
    total: ir.Value = ir.Constant(_I64, 1)
    for d in range(len(op.lowerBound)):
        total = b.mul(total, _trips(tr, op, d), flags=("nsw",))
    static = [trip_count(lb, ub, st) for lb, ub, st in zip(op.lowerBound, op.upperBound, op.step)]
    if all(t is not None for t in static):
        want: ir.Value = ir.Constant(_I32, max(1, min(MAX_THREADS, parallel_work(op) // WORK_PER_THREAD)))
    else:
        shares = b.udiv(b.mul(total, ir.Constant(_I64, loop_work(op))), ir.Constant(_I64, WORK_PER_THREAD))
        shares = b.select(b.icmp_unsigned("<", shares, ir.Constant(_I64, MAX_THREADS)), shares, ir.Constant(_I64, MAX_THREADS))
        want = b.trunc(shares, _I32)
    b.call(mt.pool.parallel_for, [task, slots, total, want])


def _trips(tr: _FunctionTranslator, op: scf.ParallelOp, d: int) -> ir.Value:
    """Trip count of dimension d: max(0, ceil((ub - lb) / step))."""
    lb, ub, st = tr.v(op.lowerBound[d]), tr.v(op.upperBound[d]), tr.v(op.step[d])
    static = trip_count(op.lowerBound[d], op.upperBound[d], op.step[d])
    if static is not None:
        return ir.Constant(_I64, static)
    b = tr.builder
    span = b.sub(ub, lb)
    n = b.sdiv(b.add(span, b.sub(st, ir.Constant(_I64, 1))), st)
    return b.select(b.icmp_signed(">", span, ir.Constant(_I64, 0)), n, ir.Constant(_I64, 0))


def _merge_results(tr: _FunctionTranslator, op: Operation, merge_bb: ir.Block, incoming) -> None:
    """At `merge_bb`, one phi per result of `op` over the (values, block) branches."""
    b = tr.builder
    b.position_at_end(merge_bb)
    for i, r in enumerate(op.results):
        phi = b.phi(_llvm_type(r.type, op))
        for vals, bb in incoming:
            phi.add_incoming(vals[i], bb)
        tr.set(r, phi)


@_handles(scf.IfOp)
def _if(tr: _FunctionTranslator, op: Operation) -> None:
    b = tr.builder
    cond = tr.v(op.operands[0])
    then_region, else_region = op.regions[0], op.regions[1]
    has_else = bool(else_region.blocks) and (
        bool(op.results) or any(o.name != "scf.yield" for o in else_region.blocks[0].ops)
    )
    then_bb = tr.new_block("if.then")
    else_bb = tr.new_block("if.else") if has_else else None
    merge_bb = tr.new_block("if.end")
    b.cbranch(cond, then_bb, else_bb or merge_bb)

    incoming: list[tuple[list[ir.Value], ir.Block]] = []
    b.position_at_end(then_bb)
    vals = _yielded(tr, tr.emit_block(then_region.blocks[0]), op)
    incoming.append((vals, b.block))
    b.branch(merge_bb)
    if else_bb is not None:
        b.position_at_end(else_bb)
        vals = _yielded(tr, tr.emit_block(else_region.blocks[0]), op)
        incoming.append((vals, b.block))
        b.branch(merge_bb)
    _merge_results(tr, op, merge_bb, incoming)


@_handles(scf.WhileOp)
def _while(tr: _FunctionTranslator, op: Operation) -> None:
    b = tr.builder
    inits = [tr.v(o) for o in op.operands]
    before, after = op.regions[0].blocks[0], op.regions[1].blocks[0]
    pre = b.block
    before_bb = tr.new_block("while.cond")
    after_bb = tr.new_block("while.body")
    exit_bb = tr.new_block("while.end")
    b.branch(before_bb)
    b.position_at_end(before_bb)
    phis = []
    for a, init in zip(before.args, inits):
        p = b.phi(init.type)
        p.add_incoming(init, pre)
        tr.set(a, p)
        phis.append(p)
    term = tr.emit_block(before)
    if term is None or term.name != "scf.condition":
        raise LoweringError("before region must end in scf.condition", op)
    cond = tr.v(term.operands[0])
    passed = [tr.v(o) for o in term.operands[1:]]
    b.cbranch(cond, after_bb, exit_bb)
    # after_bb and exit_bb are only reached from here: no phis needed.
    b.position_at_end(after_bb)
    for a, v in zip(after.args, passed):
        tr.set(a, v)
    yields = _yielded(tr, tr.emit_block(after), op)
    for p, y in zip(phis, yields):
        p.add_incoming(y, b.block)
    b.branch(before_bb)
    b.position_at_end(exit_bb)
    for r, v in zip(op.results, passed):
        tr.set(r, v)


@_handles(scf.ExecuteRegionOp)
def _execute_region(tr: _FunctionTranslator, op: Operation) -> None:
    region = op.regions[0]
    if len(region.blocks) != 1:
        raise LoweringError("multi-block regions are not supported", op)
    vals = _yielded(tr, tr.emit_block(region.blocks[0]), op)
    for r, v in zip(op.results, vals):
        tr.set(r, v)


@_handles(scf.IndexSwitchOp)
def _index_switch(tr: _FunctionTranslator, op: Operation) -> None:
    assert isinstance(op, scf.IndexSwitchOp)
    b = tr.builder
    arg = tr.v(op.arg)
    default_bb = tr.new_block("switch.default")
    merge_bb = tr.new_block("switch.end")
    sw = b.switch(arg, default_bb)
    regions = [(tr.new_block("switch.case"), r) for r in op.case_regions]
    for value, (bb, _) in zip(op.cases.get_values(), regions):
        sw.add_case(ir.Constant(_I64, int(value)), bb)
    incoming = []
    for bb, region in [(default_bb, op.default_region), *[(bb, r) for bb, r in regions]]:
        b.position_at_end(bb)
        vals = _yielded(tr, tr.emit_block(region.blocks[0]), op)
        incoming.append((vals, b.block))
        b.branch(merge_bb)
    _merge_results(tr, op, merge_bb, incoming)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def translate_module(module: ModuleOp, parallel: bool = False, on_function: FunctionDone | None = None,
                     with_pool: bool = False) -> ir.Module:
    """Translate a loop-level ``builtin.module`` into an ``llvmlite.ir.Module``.

    With ``parallel``, every ``scf.parallel`` worth splitting (lowering/parallel_cost.py)
    runs on the model's thread pool (lowering/thread_pool.py); otherwise, and inside
    such a loop, an ``scf.parallel`` is a plain loop nest.

    ``on_function(llvm_module, fn, names)`` is called after each function other than
    the entry is translated (``fn``: its ``ir.Function``, complete from then on;
    ``names``: the LLVM names of all the module's own functions), so its object code
    can be compiled while the rest is still being translated
    (runtime/llvm_objects.py's ObjectStream).

    ``with_pool`` emits the thread pool even when no function here uses it: the
    module's kernels from the kernel cache (only declared here, lowering/kernel_cache.py)
    call it.

    Raises ``LoweringError`` naming the first op (or type) it cannot translate.
    """
    return _ModuleTranslator(module, parallel, on_function, with_pool).translate()


def parallel_loop_count(module: ir.Module) -> int:
    """How many loops of a translated module run on the thread pool."""
    return sum(1 for f in module.functions if f.name.endswith(".task"))


def to_llvm_ir(module: ModuleOp, parallel: bool = False) -> str:
    """Textual LLVM IR of ``translate_module(module, parallel)``."""
    return str(translate_module(module, parallel))
