// MatMul and Gemm lower to a loop nest over the result (rows in an scf.parallel) with an inner K loop that
// carries the accumulator in iter_args (scf.yield of the running sum), stored once.
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

func.func @main(%a: tensor<2x3x4xf32>, %w: tensor<4x5xf32>) -> tensor<2x3x5xf32> attributes {strata.input_names = ["a", "w"], strata.output_names = ["mm"]} {
  %mm = "onnx.MatMul"(%a, %w) : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  func.return %mm : tensor<2x3x5xf32>
}
// CHECK-LABEL: func.func private @k0_MatMul(%a: memref<2x3x4xf32>, %w: memref<4x5xf32>, %mm: memref<2x3x5xf32>)
// (batch, row) in one scf.parallel, the columns a loop inside it.
// CHECK:         [[HB:%.*]] = arith.constant 2 : index
// CHECK-NEXT:    [[HM:%.*]] = arith.constant 3 : index
// CHECK:         "scf.parallel"({{%.*}}, {{%.*}}, [[HB]], [[HM]],
// CHECK-NEXT:    ^bb0([[B:%.*]]: index, [[M:%.*]]: index):
// CHECK:             [[HN:%.*]] = arith.constant 5 : index
// CHECK:             scf.for [[N:%.*]] = {{%.*}} to [[HN]] step
// CHECK-NEXT:          [[ZERO:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:          [[LK:%.*]] = arith.constant 0 : index
// CHECK-NEXT:          [[HK:%.*]] = arith.constant 4 : index
// CHECK-NEXT:          [[SK:%.*]] = arith.constant 1 : index
// CHECK-NEXT:          [[SUM:%.*]] = scf.for [[K:%.*]] = [[LK]] to [[HK]] step [[SK]] iter_args([[ACC:%.*]] = [[ZERO]]) -> (f32) {
// CHECK-NEXT:            [[X:%.*]] = memref.load %a[[[B]], [[M]], [[K]]] : memref<2x3x4xf32>
// CHECK-NEXT:            [[Y:%.*]] = memref.load %w[[[K]], [[N]]] : memref<4x5xf32>
// CHECK-NEXT:            [[P:%.*]] = arith.mulf [[X]], [[Y]] : f32
// CHECK-NEXT:            [[NEXT:%.*]] = arith.addf [[ACC]], [[P]] : f32
// CHECK-NEXT:            scf.yield [[NEXT]] : f32
// CHECK-NEXT:          }
// CHECK-NEXT:          memref.store [[SUM]], %mm[[[B]], [[M]], [[N]]] : memref<2x3x5xf32>

// -----

// Gemm with transB reads B as [n, k]; alpha and beta scale the product and C (C
// broadcast along the rows: indexed by the column only).
func.func @main(%g: tensor<3x4xf32>, %h: tensor<5x4xf32>, %c: tensor<5xf32>) -> tensor<3x5xf32> {
  %gemm = "onnx.Gemm"(%g, %h, %c) <{alpha = 5.000000e-01 : f32, beta = 2.000000e+00 : f32, transB = 1 : i64}> : (tensor<3x4xf32>, tensor<5x4xf32>, tensor<5xf32>) -> tensor<3x5xf32>
  func.return %gemm : tensor<3x5xf32>
}
// CHECK-LABEL: func.func private @k0_Gemm(%g: memref<3x4xf32>, %h: memref<5x4xf32>, %c: memref<5xf32>, %gemm: memref<3x5xf32>)
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[M:%.*]]: index):
// CHECK:           scf.for [[N:%.*]] = {{.*}} {
// CHECK:             [[HK:%.*]] = arith.constant 4 : index
// CHECK:             [[SUM:%.*]] = scf.for [[K:%.*]] = {{%.*}} to [[HK]] step {{%.*}} iter_args([[ACC:%.*]] = {{%.*}}) -> (f32) {
// CHECK-NEXT:          [[X:%.*]] = memref.load %g[[[M]], [[K]]] : memref<3x4xf32>
// CHECK-NEXT:          [[Y:%.*]] = memref.load %h[[[N]], [[K]]] : memref<5x4xf32>
// CHECK-NEXT:          [[P:%.*]] = arith.mulf [[X]], [[Y]] : f32
// CHECK-NEXT:          [[NEXT:%.*]] = arith.addf [[ACC]], [[P]] : f32
// CHECK-NEXT:          scf.yield [[NEXT]] : f32
// CHECK:             memref.store [[SUM]], %gemm[[[M]], [[N]]] : memref<3x5xf32>
// CHECK:           scf.for [[N2:%.*]] = {{.*}} {
// CHECK-NEXT:        [[AB:%.*]] = memref.load %gemm[[[M]], [[N2]]] : memref<3x5xf32>
// CHECK-NEXT:        [[ALPHA:%.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:        [[SAB:%.*]] = arith.mulf [[AB]], [[ALPHA]] : f32
// CHECK-NEXT:        [[CV:%.*]] = memref.load %c[[[N2]]] : memref<5xf32>
// CHECK-NEXT:        [[BETA:%.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:        [[SC:%.*]] = arith.mulf [[CV]], [[BETA]] : f32
// CHECK-NEXT:        [[R:%.*]] = arith.addf [[SAB]], [[SC]] : f32
// CHECK-NEXT:        memref.store [[R]], %gemm[[[M]], [[N2]]] : memref<3x5xf32>

// -----

// Integer MatMul accumulates with arith.muli / arith.addi from an i32 zero.
func.func @main(%a: tensor<2x3xi32>, %b: tensor<3x2xi32>) -> tensor<2x2xi32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<2x3xi32>, tensor<3x2xi32>) -> tensor<2x2xi32>
  func.return %y : tensor<2x2xi32>
}
// CHECK-LABEL: func.func private @k0_MatMul(%a: memref<2x3xi32>, %b: memref<3x2xi32>, %y: memref<2x2xi32>)
// CHECK:         [[ZERO:%.*]] = arith.constant 0 : i32
// CHECK:         scf.for {{.*}} iter_args([[ACC:%.*]] = [[ZERO]]) -> (i32) {
// CHECK:           [[P:%.*]] = arith.muli {{.*}} : i32
// CHECK-NEXT:      [[NEXT:%.*]] = arith.addi [[ACC]], [[P]] : i32
// CHECK-NEXT:      scf.yield [[NEXT]] : i32
