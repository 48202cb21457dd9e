"""Op traits of the onnx dialect: what kind of computation an op is, declared once on
its class so every pass asks the op instead of keeping its own list of names.

`Elementwise`: output element i is computed from input element i alone (after
broadcasting), with no state and no other element read. fuse-kernels groups such ops,
the loop lowering gives each a scalar body (lowering/kernels/elementwise.py
SCALAR_BODIES; a test keeps the two in step), to-triton fuses them as epilogues, and
plan-memory lets such a kernel write its output over a dying input.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.ir import Operation
from xdsl.traits import OpTrait


@dataclass(frozen=True)
class Elementwise(OpTrait):
    """The op is elementwise (see the module docstring); attached to the op classes in
    dialects/onnx/elementwise.py (mostly through their family base classes), PRelu and
    Identity."""


def is_elementwise(op: Operation) -> bool:
    """The op has the Elementwise trait and one result (a second stored result, as
    Dropout's mask, would need its own loop)."""
    return op.has_trait(Elementwise) and len(op.results) == 1
