// The register-tiled GEMM built for an AVX2 CPU (znver3: 16 vector registers) takes 2 k
// steps per lane-loop body instead of 4 (lowering/kernels/matmul.py, tiled_k_unroll:
// measured faster on the Zen 3 host); the tile is still 4 rows x 16 columns.
// RUN: opt-tool %s -p 'convert-onnx-to-loops{cpu=znver3}' | filecheck %s

func.func @main(%a: tensor<20x8xf32>, %b: tensor<8x16xf32>) -> tensor<20x16xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<20x8xf32>, tensor<8x16xf32>) -> tensor<20x16xf32>
  func.return %y : tensor<20x16xf32>
}
// K = 8: a main k loop in steps of 2 up to K - 2, 8 broadcast values of A (4 rows x 2
// steps) and 8 FMAs per lane; then the final body (k = 6, 7) stores Y.
// CHECK-LABEL: func.func private @k0_MatMul(%a: memref<20x8xf32>, %b: memref<8x16xf32>, %y: memref<20x16xf32>)
// CHECK:           scf.for [[I0:%.*]] = {{%.*}} to {{%.*}} step {{%.*}} {
// CHECK:             [[K6:%.*]] = arith.constant 6 : index
// CHECK-NEXT:        [[SK:%.*]] = arith.constant 2 : index
// CHECK-NEXT:        scf.for [[K:%.*]] = {{%.*}} to [[K6]] step [[SK]] {
// CHECK-COUNT-8:       memref.load %a[{{%.*}}, {{%.*}}] : memref<20x8xf32>
// CHECK-NOT:           memref.load %a
// CHECK:               scf.for [[L:%.*]] =
// CHECK-COUNT-8:         math.fma
// CHECK-NOT:             math.fma
// CHECK:                 memref.store {{%.*}}, {{%.*}}
// CHECK:             scf.for [[LF:%.*]] =
// CHECK-COUNT-8:       math.fma
// CHECK-NOT:           math.fma
// CHECK:               memref.store {{%.*}}, %y
