// Products with few rows (fully connected layers at batch 1) use the small-M kernels of
// lowering/kernels/matmul.py: no packed panel of B. A row-major B is read in place, row
// by row, into one block of accumulators (4 k steps of FMAs per pass, then the final
// steps store Y); a transposed B (Gemm transB=1) is a set of dot products along its
// contiguous rows, 16 partial sums each, summed before the one store.
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

func.func @main(%a: tensor<1x32xf32>, %b: tensor<32x16xf32>) -> tensor<1x16xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<1x32xf32>, tensor<32x16xf32>) -> tensor<1x16xf32>
  func.return %y : tensor<1x16xf32>
}
// CHECK-LABEL: func.func private @k0_MatMul(%a: memref<1x32xf32>, %b: memref<32x16xf32>, %y: memref<1x16xf32>)
// CHECK-NEXT:    [[ACC:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<8192xf32>
// B is never copied: every load of B feeds an FMA directly.
// CHECK-NOT:     memref.store {{%.*}}, {{%.*}} : memref<128xf32>
// CHECK:         memref.load %b[{{%.*}}, {{%.*}}] : memref<32x16xf32>
// CHECK-NEXT:    math.fma
// CHECK:         memref.store {{%.*}}, %y[{{%.*}}, {{%.*}}] : memref<1x16xf32>

// -----

func.func @main(%a: tensor<2x32xf32>, %b: tensor<8x32xf32>) -> tensor<2x8xf32> {
  %y = "onnx.Gemm"(%a, %b) <{transB = 1 : i64}> : (tensor<2x32xf32>, tensor<8x32xf32>) -> tensor<2x8xf32>
  func.return %y : tensor<2x8xf32>
}
// CHECK-LABEL: func.func private @k0_Gemm(%a: memref<2x32xf32>, %b: memref<8x32xf32>, %y: memref<2x8xf32>)
// Blocks of 4 columns in parallel, each with its own partial sums.
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0({{%.*}}: index):
// CHECK-NEXT:      memref.alloca() {alignment = 64 : i64} : memref<128xf32>
// One row of B (a column of the product) serves both rows of A: two FMAs per load.
// CHECK:         memref.load %b[{{%.*}}, {{%.*}}] : memref<8x32xf32>
// CHECK-NEXT:    memref.load
// CHECK-NEXT:    math.fma
// CHECK:         math.fma
// CHECK:         memref.store {{%.*}}, %y[{{%.*}}, {{%.*}}] : memref<2x8xf32>
