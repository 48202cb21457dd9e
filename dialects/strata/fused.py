"""Graph-level fused ops: Conv / Gemm / MatMul with a bias, residual and activation
epilogue (strata.FusedConv, strata.FusedGemm, strata.FusedMatMul)."""
