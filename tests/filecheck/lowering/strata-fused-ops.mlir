// strata.FusedConv / FusedMatMul / FusedGemm lower to their anchor's loop nest (the
// Conv, MatMul and Gemm kernels) with the epilogue applied in registers to the
// reduction result right before its store, inside the same loop nest: residual load
// and add, alpha, bias, then the activation. No second loop over the output.
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

// FusedConv(z, Relu): y[n, m, oh, ow] = max(conv + z[n, m, oh, ow], 0).
func.func @main(%x: tensor<1x2x3x3xf32>, %w: tensor<2x2x1x1xf32>, %z: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> attributes {strata.input_names = ["x", "w", "z"], strata.output_names = ["y"]} {
  %y = "strata.FusedConv"(%x, %w, %z) <{activation = "Relu", operandSegmentSizes = array<i32: 1, 1, 0, 1>}> : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> loc("conv")
  func.return %y : tensor<1x2x3x3xf32>
}
// CHECK-LABEL: func.func private @{{.*}}FusedConv{{.*}}(%x: memref<1x2x3x3xf32>, %w: memref<2x2x1x1xf32>, %z: memref<1x2x3x3xf32>, %y: memref<1x2x3x3xf32>)
// One parallel loop over n, group, channel in group, oh; then ow; the reduction over
// (c, kh, kw).
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[N:%.*]]: index, {{%.*}}: index, {{%.*}}: index, [[OH:%.*]]: index):
// CHECK:                 scf.for [[OW:%.*]] = {{.*}} {
// CHECK:                   [[SUM:%.*]] = scf.for {{.*}} iter_args({{.*}}) -> (f32) {
// CHECK:                     arith.mulf
// CHECK:                   [[Z:%.*]] = memref.load %z[[[N]], [[M:%.*]], [[OH]], [[OW]]] : memref<1x2x3x3xf32>
// CHECK-NEXT:          [[R:%.*]] = arith.addf [[SUM]], [[Z]] : f32
// CHECK-NEXT:          [[ZERO:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:          [[A:%.*]] = arith.maximumf [[R]], [[ZERO]] : f32
// CHECK-NEXT:          memref.store [[A]], %y[[[N]], [[M]], [[OH]], [[OW]]] : memref<1x2x3x3xf32>
// CHECK-NEXT:        }
// CHECK-NOT:     scf.for
// CHECK:         func.return

// -----

// FusedMatMul(alpha 0.5, bias [4], LeakyRelu 0.25): the bias is read at the column.
func.func @main(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %bias: tensor<4xf32>) -> tensor<2x4xf32> attributes {strata.input_names = ["a", "b", "bias"], strata.output_names = ["m"]} {
  %m = "strata.FusedMatMul"(%a, %b, %bias) <{alpha = 0.5 : f32, activation = "LeakyRelu", activation_params = array<f32: 0.25>}> : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<2x4xf32> loc("mm")
  func.return %m : tensor<2x4xf32>
}
// CHECK-LABEL: func.func private @{{.*}}FusedMatMul{{.*}}(%a: memref<2x3xf32>, %b: memref<3x4xf32>, %bias: memref<4xf32>, %m: memref<2x4xf32>)
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[I:%.*]]: index):
// CHECK:           scf.for [[J:%.*]] = {{.*}} {
// CHECK:             [[SUM:%.*]] = scf.for {{.*}} iter_args({{.*}}) -> (f32) {
// CHECK:             }
// CHECK-NEXT:        [[ALPHA:%.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:        [[S:%.*]] = arith.mulf [[SUM]], [[ALPHA]] : f32
// CHECK-NEXT:        [[BV:%.*]] = memref.load %bias[[[J]]] : memref<4xf32>
// CHECK-NEXT:        [[T:%.*]] = arith.addf [[S]], [[BV]] : f32
// CHECK-NEXT:        [[ZERO:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:        [[NEG:%.*]] = arith.cmpf olt, [[T]], [[ZERO]] : f32
// CHECK-NEXT:        [[SLOPE:%.*]] = arith.constant 2.500000e-01 : f32
// CHECK-NEXT:        [[TS:%.*]] = arith.mulf [[T]], [[SLOPE]] : f32
// CHECK-NEXT:        [[R:%.*]] = arith.select [[NEG]], [[TS]], [[T]] : f32
// CHECK-NEXT:        memref.store [[R]], %m[[[I]], [[J]]] : memref<2x4xf32>

// -----

// FusedGemm(transB = 1, Clip [0, 6]): the clamp runs on the sum before the one store.
func.func @main(%a: tensor<2x3xf32>, %gb: tensor<4x3xf32>) -> tensor<2x4xf32> attributes {strata.input_names = ["a", "gb"], strata.output_names = ["g"]} {
  %g = "strata.FusedGemm"(%a, %gb) <{transB = 1 : i64, activation = "Clip", activation_params = array<f32: 0.0, 6.0>}> : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x4xf32> loc("gemm")
  func.return %g : tensor<2x4xf32>
}
// CHECK-LABEL: func.func private @{{.*}}FusedGemm{{.*}}(%a: memref<2x3xf32>, %gb: memref<4x3xf32>, %g: memref<2x4xf32>)
// CHECK:             [[SUM:%.*]] = scf.for {{.*}} iter_args({{.*}}) -> (f32) {
// CHECK:             }
// CHECK-NEXT:        [[LO:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:        [[A:%.*]] = arith.maximumf [[SUM]], [[LO]] : f32
// CHECK-NEXT:        [[HI:%.*]] = arith.constant 6.000000e+00 : f32
// CHECK-NEXT:        [[B:%.*]] = arith.minimumf [[A]], [[HI]] : f32
// CHECK-NEXT:        memref.store [[B]], %g[{{.*}}] : memref<2x4xf32>
// CHECK-NOT:     memref.load %g
// CHECK:         func.return
