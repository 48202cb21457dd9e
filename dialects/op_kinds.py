"""The op-name sets that passes and back ends key tables by, derived from the op traits
of dialects/onnx/traits.py over both dialects (onnx and strata), in this one place.

A pass that asks about one op should ask it (`op.has_trait(SlidingWindow)`); these sets
are for what is keyed by name: a table of kernels per op name, a pass option that takes
a set of names. Adding an op of a kind is then one trait on its class, and every set
here follows. tests/test_op_traits.py pins each set's members.
"""

from __future__ import annotations

from collections.abc import Iterable

from xdsl.irdl import IRDLOperation
from xdsl.traits import OpTrait

from dialects.onnx import ONNX_OP_CLASSES
from dialects.onnx.traits import ChannelBlocked, Convolution, FusionAnchor, MatrixProduct, Pooling, SlidingWindow
from dialects.strata import STRATA_OP_CLASSES

OP_CLASSES: tuple[type[IRDLOperation], ...] = (*ONNX_OP_CLASSES, *STRATA_OP_CLASSES)


def op_names(*traits: type[OpTrait] | OpTrait, without: Iterable[type[OpTrait] | OpTrait] = ()) -> frozenset[str]:
    """The names of the op classes with every trait of `traits` and none of `without`
    (a trait class matches any parameters, a trait instance only equal ones)."""
    excluded = tuple(without)
    return frozenset(
        cls.name
        for cls in OP_CLASSES
        if all(cls.has_trait(t) for t in traits) and not any(cls.has_trait(t) for t in excluded)
    )


# fuse-kernels: the ops a kernel group may be built around, and those of them that also
# take elementwise producers (the FusionAnchor contract).
FUSION_ANCHOR_OP_NAMES = op_names(FusionAnchor)
PROLOGUE_ANCHOR_OP_NAMES = op_names(FusionAnchor(prologue=True))
# fuse-kernels' window-anchors=false leaves these out.
WINDOW_ANCHOR_OP_NAMES = op_names(FusionAnchor, SlidingWindow)

# to-triton's kernel families. The channel-blocked ops never reach it (layout-nchwc is a
# CPU-only pass), so they are left out of the conv and pool families.
MATRIX_PRODUCT_OP_NAMES = op_names(MatrixProduct)
NCHW_CONV_OP_NAMES = op_names(Convolution, without=(ChannelBlocked,))
NCHW_WINDOW_POOL_OP_NAMES = op_names(Pooling, SlidingWindow, without=(ChannelBlocked,))

__all__ = [
    "FUSION_ANCHOR_OP_NAMES",
    "MATRIX_PRODUCT_OP_NAMES",
    "NCHW_CONV_OP_NAMES",
    "NCHW_WINDOW_POOL_OP_NAMES",
    "OP_CLASSES",
    "PROLOGUE_ANCHOR_OP_NAMES",
    "WINDOW_ANCHOR_OP_NAMES",
    "op_names",
]
