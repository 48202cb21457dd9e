"""Op traits of the onnx dialect: what kind of computation an op is, declared once on
its class so every pass asks the op instead of keeping its own list of names.

`Elementwise`: output element i is computed from input element i alone (after
broadcasting), with no state and no other element read. fuse-kernels groups such ops,
the loop lowering gives each a scalar body (lowering/kernels/elementwise.py
SCALAR_BODIES; a test keeps the two in step), to-triton fuses them as epilogues, and
plan-memory lets such a kernel write its output over a dying input.

`ShapeView`: the result is the data input's elements in the same row-major order under
another shape (Reshape, Flatten, Squeeze, Unsqueeze): the loop lowering marks such a
kernel `strata.view`, plan-memory then makes the output a view of the input's buffer,
and to-triton aliases the two.

The kind traits below are on onnx and strata op classes alike (strata ops build on the
onnx base classes); dialects/op_kinds.py derives the op-name sets passes and back ends
need from them, in one place, over both dialects:

`SlidingWindow`: each output pixel reads a window of `kernel_shape` taps of the spatial
dims (Conv, ConvTranspose, MaxPool, AveragePool, strata.FusedConv and the blocked conv
and pooling ops; not the global pools, whose window is the whole plane).
`Pooling`: max or average over a spatial window (MaxPool, AveragePool, the global pools
and their blocked forms).
`Convolution`: a forward convolution, cross-correlation of X with the filter W (Conv,
strata.FusedConv, the blocked convs; not ConvTranspose, its adjoint).
`MatrixProduct`: a matrix product over the last two dims, then an epilogue (MatMul,
Gemm, strata.FusedMatMul, strata.FusedGemm).
`ChannelBlocked`: an operand or result is a channel-blocked NCHWc tensor (the strata
layout ops, which only the CPU path runs).
`FusionAnchor(prologue)`: fuse-kernels may build a kernel group around the op. This is
a promise about the op's loop kernel: it stores each element of its first result exactly
once and never reads it back, so an elementwise epilogue can run at that store (or it
takes an epilogue callback: lowering/kernels/fused_group.py); with `prologue`, it also
loads its data input where it needs each element, so elementwise producers can be
recomputed at each load (the reductions, Softmax/LogSoftmax, LayerNormalization and the
pools); without, its inputs are read many times and take no producers (the
convolutions and matrix products).

`OnnxCanonicalization`: on the onnx op classes that have canonicalization patterns (and
only those: canonicalize asks every op with the trait for its patterns, about 15 us per
op and run), so xDSL's `canonicalize` pass runs them. The patterns are listed per op
class in dialects/onnx/canonicalization.py, which registers them here when the dialect
package is imported (the patterns import the op classes, so the op classes cannot
import them); tests/test_pass_simplify_algebra.py checks that the classes with the
trait are exactly the table's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from xdsl.ir import Operation
from xdsl.pattern_rewriter import RewritePattern
from xdsl.traits import HasCanonicalizationPatternsTrait, OpTrait


@dataclass(frozen=True)
class Elementwise(OpTrait):
    """The op is elementwise (see the module docstring); attached to the op classes in
    dialects/onnx/elementwise.py (mostly through their family base classes), PRelu and
    Identity."""


@dataclass(frozen=True)
class ShapeView(OpTrait):
    """The op only reshapes its data input (see the module docstring)."""


@dataclass(frozen=True)
class SlidingWindow(OpTrait):
    """Each output pixel reads a spatial window of the input (see the module docstring)."""


@dataclass(frozen=True)
class Pooling(OpTrait):
    """Max or average pooling over a spatial window or the whole plane."""


@dataclass(frozen=True)
class Convolution(OpTrait):
    """A forward convolution of X with the filter W (not ConvTranspose)."""


@dataclass(frozen=True)
class MatrixProduct(OpTrait):
    """MatMul and Gemm and their fused forms: a matrix product over the last two dims."""


@dataclass(frozen=True)
class ChannelBlocked(OpTrait):
    """An operand or result is a channel-blocked (NCHWc) tensor."""


@dataclass(frozen=True)
class FusionAnchor(OpTrait):
    """fuse-kernels may group elementwise consumers (and with `prologue`, producers)
    around the op: the store-once contract of the module docstring. `op.has_trait(
    FusionAnchor)` asks for either kind, `FusionAnchor(prologue=True)` for one."""

    prologue: bool = False


def is_elementwise(op: Operation) -> bool:
    """The op has the Elementwise trait and one result (a second stored result, as
    Dropout's mask, would need its own loop)."""
    return op.has_trait(Elementwise) and len(op.results) == 1


# op class -> its canonicalization patterns; filled once by dialects/onnx/canonicalization.py.
_CANONICALIZATION_PATTERNS: dict[type[Operation], tuple[RewritePattern, ...]] = {}


def register_canonicalization_patterns(table: Mapping[type[Operation], tuple[RewritePattern, ...]]) -> None:
    """Makes `table[op class]` the patterns `canonicalize` runs on ops of that class."""
    _CANONICALIZATION_PATTERNS.update(table)


@dataclass(frozen=True)
class OnnxCanonicalization(HasCanonicalizationPatternsTrait):
    """The op's canonicalization patterns, looked up by its class (see the module
    docstring); none for an op class without an entry."""

    def get_patterns(self, op: type[Operation]) -> tuple[RewritePattern, ...]:
        return _CANONICALIZATION_PATTERNS.get(op, ())

    @classmethod
    def get_canonicalization_patterns(cls) -> tuple[RewritePattern, ...]:
        # Patterns are per op class (get_patterns); the trait itself names none.
        return ()
