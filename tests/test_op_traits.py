"""The op-kind traits (dialects/onnx/traits.py) and the name sets derived from them
(dialects/op_kinds.py): each set is pinned to the ops it held when it was a list of
names in the pass that used it, so moving a fact onto the op classes changed no
pass's behaviour, and a trait added to a new op shows up here as a deliberate change."""

from __future__ import annotations

import dialects.onnx  # noqa: F401  (the dialects first: lowering/ imports them in that order)
from dialects.onnx.traits import (
    ChannelBlocked,
    Convolution,
    FusionAnchor,
    MatrixProduct,
    Pooling,
    SlidingWindow,
)
from dialects.op_kinds import (
    FUSION_ANCHOR_OP_NAMES,
    MATRIX_PRODUCT_OP_NAMES,
    NCHW_CONV_OP_NAMES,
    NCHW_WINDOW_POOL_OP_NAMES,
    OP_CLASSES,
    PROLOGUE_ANCHOR_OP_NAMES,
    WINDOW_ANCHOR_OP_NAMES,
    op_names,
)

REDUCES = {f"onnx.Reduce{k}" for k in ("Sum", "Mean", "Max", "Min", "Prod", "L1", "L2", "SumSquare", "LogSum", "LogSumExp")}
# fuse-kernels' former REDUCTION_ANCHORS, POOL_ANCHORS, COMPUTE_ANCHORS, WINDOW_ANCHORS
REDUCTION_ANCHORS = {"onnx.Softmax", "onnx.LogSoftmax", "onnx.LayerNormalization", *REDUCES}
POOL_ANCHORS = {"onnx.MaxPool", "onnx.AveragePool", "onnx.GlobalAveragePool", "onnx.GlobalMaxPool"}
COMPUTE_ANCHORS = {
    "onnx.Conv", "onnx.MatMul", "onnx.Gemm", "strata.FusedConv", "strata.FusedMatMul", "strata.FusedGemm",
    "strata.ConvNCHWc",
}
WINDOW_ANCHORS = {"onnx.Conv", "strata.FusedConv", "strata.ConvNCHWc", "onnx.MaxPool", "onnx.AveragePool"}


def test_fuse_kernels_anchor_sets_are_the_former_lists():
    from lowering import fuse_kernels

    assert fuse_kernels.ANCHORS == FUSION_ANCHOR_OP_NAMES == REDUCTION_ANCHORS | POOL_ANCHORS | COMPUTE_ANCHORS
    assert PROLOGUE_ANCHOR_OP_NAMES == REDUCTION_ANCHORS | POOL_ANCHORS
    assert op_names(FusionAnchor(prologue=True), without=(Pooling,)) == REDUCTION_ANCHORS
    assert op_names(FusionAnchor, Pooling) == POOL_ANCHORS
    assert op_names(FusionAnchor(prologue=False)) == COMPUTE_ANCHORS
    assert fuse_kernels.WINDOW_ANCHORS == WINDOW_ANCHOR_OP_NAMES == WINDOW_ANCHORS


def test_takes_prologue_reads_the_trait():
    from lowering.fuse_kernels import takes_prologue

    for cls in OP_CLASSES:
        if cls.has_trait(FusionAnchor):
            op = cls.__new__(cls)  # takes_prologue asks only the class's traits
            assert takes_prologue(op) == (cls.name in REDUCTION_ANCHORS | POOL_ANCHORS), cls.name


def test_to_triton_families_are_the_former_lists():
    from lowering import to_triton

    assert to_triton.MATMUL_OPS == MATRIX_PRODUCT_OP_NAMES == {
        "onnx.MatMul", "onnx.Gemm", "strata.FusedGemm", "strata.FusedMatMul"}
    assert to_triton.CONV_OPS == NCHW_CONV_OP_NAMES == {"onnx.Conv", "strata.FusedConv"}
    assert to_triton.POOL_OPS == NCHW_WINDOW_POOL_OP_NAMES == {"onnx.MaxPool", "onnx.AveragePool"}


def test_fold_constants_weight_pass_through_is_the_former_list():
    from compiler.passes.fold_constants import WEIGHT_PASS_THROUGH

    assert WEIGHT_PASS_THROUGH == {
        "onnx.Reshape", "onnx.Transpose", "onnx.Squeeze", "onnx.Unsqueeze", "onnx.Flatten", "onnx.Cast"}


def test_kind_traits_name_the_ops_they_describe():
    """The kind traits hold for every op of the kind, not only for the ones a pass asks
    about (the sets above narrow them)."""
    assert op_names(SlidingWindow) == {
        "onnx.Conv", "onnx.ConvTranspose", "onnx.MaxPool", "onnx.AveragePool", "strata.FusedConv",
        "strata.ConvNCHWc", "strata.DepthwiseConvNCHWc", "strata.MaxPoolNCHWc", "strata.AveragePoolNCHWc"}
    assert op_names(Pooling) == {
        "onnx.MaxPool", "onnx.AveragePool", "onnx.GlobalAveragePool", "onnx.GlobalMaxPool",
        "strata.MaxPoolNCHWc", "strata.AveragePoolNCHWc", "strata.GlobalAveragePoolNCHWc"}
    assert op_names(Convolution) == {"onnx.Conv", "strata.FusedConv", "strata.ConvNCHWc", "strata.DepthwiseConvNCHWc"}
    assert op_names(MatrixProduct) == {"onnx.MatMul", "onnx.Gemm", "strata.FusedMatMul", "strata.FusedGemm"}
    assert op_names(ChannelBlocked) == {
        "strata.ReorderToBlocked", "strata.ReorderFromBlocked", "strata.ConvNCHWc", "strata.DepthwiseConvNCHWc",
        "strata.ChannelShuffleNCHWc", "strata.MaxPoolNCHWc", "strata.AveragePoolNCHWc",
        "strata.GlobalAveragePoolNCHWc"}


def test_compute_anchors_match_the_group_lowering():
    """The FusionAnchor contract is kept by the loop kernels: every NCHW compute anchor
    lowers through an epilogue callback (fused_group.CALLBACK_LOWERINGS), the blocked
    conv at its single store; every anchor has a kernel lowering."""
    from lowering.kernels import KERNEL_LOWERINGS
    from lowering.kernels.fused_group import CALLBACK_LOWERINGS

    assert op_names(FusionAnchor(prologue=False), without=(ChannelBlocked,)) == set(CALLBACK_LOWERINGS)
    assert sorted(FUSION_ANCHOR_OP_NAMES - set(KERNEL_LOWERINGS)) == []
