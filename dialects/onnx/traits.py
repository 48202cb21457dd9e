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
