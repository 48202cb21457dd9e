"""The `strata` dialect: Strata's own ops (fused ops, recomposed blocks, layout ops,
kernel groups). `STRATA_OPS` maps an op name without the prefix to its class."""

from __future__ import annotations

from xdsl.ir import Dialect
from xdsl.irdl import IRDLOperation

from dialects.strata import composite, fused, kernel_group, layout


def _collect() -> list[type[IRDLOperation]]:
    ops: list[type[IRDLOperation]] = []
    for module in (fused, composite, kernel_group, layout):
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, IRDLOperation)
                and isinstance(getattr(obj, "name", None), str)
                and obj.name.startswith("strata.")
                and obj not in ops
            ):
                ops.append(obj)
    return sorted(ops, key=lambda o: o.name)


STRATA_OP_CLASSES = _collect()
STRATA_OPS: dict[str, type[IRDLOperation]] = {op.name.removeprefix("strata."): op for op in STRATA_OP_CLASSES}
STRATA = Dialect("strata", STRATA_OP_CLASSES, [])

__all__ = ["STRATA", "STRATA_OPS", "STRATA_OP_CLASSES"]
