// Pooling lowers to loops over (N, C, output spatial...) with window loops carrying
// the running max / sum in iter_args; AveragePool with padding clamps the window and
// divides by the clamped window size (count_include_pad=0); GlobalAveragePool divides
// the sum by the static spatial size.
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %mp = "onnx.MaxPool"(%x) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  func.return %mp : tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func private @k0_MaxPool(%x: memref<1x2x4x4xf32>, %mp: memref<1x2x2x2xf32>)
// (N, C, output row) in one scf.parallel, the output columns a loop inside it.
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[N:%.*]]: index, [[C:%.*]]: index, [[OH:%.*]]: index):
// CHECK:               arith.constant 2 : index
// CHECK-NEXT:          arith.constant 1 : index
// CHECK-NEXT:          scf.for [[OW:%.*]] =
// CHECK-NEXT:            [[NEGINF:%.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT:            [[L0:%.*]] = arith.constant 0 : index
// CHECK-NEXT:            [[H0:%.*]] = arith.constant 2 : index
// CHECK-NEXT:            [[S0:%.*]] = arith.constant 1 : index
// CHECK-NEXT:            [[R:%.*]] = scf.for [[KH:%.*]] = [[L0]] to [[H0]] step [[S0]] iter_args([[A:%.*]] = [[NEGINF]]) -> (f32) {
// CHECK:                   [[R2:%.*]] = scf.for [[KW:%.*]] = {{.*}} iter_args([[B:%.*]] = [[A]]) -> (f32) {
// CHECK-NEXT:                [[S:%.*]] = arith.constant 2 : index
// CHECK-NEXT:                [[T:%.*]] = arith.muli [[OH]], [[S]] : index
// CHECK-NEXT:                [[IH:%.*]] = arith.addi [[T]], [[KH]] : index
// CHECK:                     [[IW:%.*]] = arith.addi {{%.*}}, [[KW]] : index
// CHECK-NEXT:                [[V:%.*]] = memref.load %x[[[N]], [[C]], [[IH]], [[IW]]] : memref<1x2x4x4xf32>
// CHECK-NEXT:                [[M:%.*]] = arith.maximumf [[B]], [[V]] : f32
// CHECK-NEXT:                scf.yield [[M]] : f32
// CHECK:                 memref.store [[R]], %mp[[[N]], [[C]], [[OH]], [[OW]]] : memref<1x2x2x2xf32>

// -----

func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %ap = "onnx.AveragePool"(%x) <{kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  func.return %ap : tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func private @k0_AveragePool(%x: memref<1x2x4x4xf32>, %ap: memref<1x2x2x2xf32>)
// CHECK:                 [[KHLO:%.*]] = arith.maxsi
// CHECK:                 [[KHHI:%.*]] = arith.maxsi
// CHECK:                 [[KWLO:%.*]] = arith.maxsi
// CHECK:                 [[KWHI:%.*]] = arith.maxsi
// CHECK-NEXT:            [[ZERO:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:            arith.constant 1 : index
// CHECK-NEXT:            [[SUM:%.*]] = scf.for [[KH:%.*]] = [[KHLO]] to [[KHHI]] step {{%.*}} iter_args([[A:%.*]] = [[ZERO]]) -> (f32) {
// CHECK-NEXT:              arith.constant 1 : index
// CHECK-NEXT:              scf.for [[KW:%.*]] = [[KWLO]] to [[KWHI]] step {{%.*}} iter_args([[B:%.*]] = [[A]]) -> (f32) {
// CHECK:                     [[V:%.*]] = memref.load %x
// CHECK-NEXT:                [[NEXT:%.*]] = arith.addf [[B]], [[V]] : f32
// CHECK-NEXT:                scf.yield [[NEXT]] : f32
// CHECK:                 [[NH:%.*]] = arith.subi [[KHHI]], [[KHLO]] : index
// CHECK-NEXT:            [[NW:%.*]] = arith.subi [[KWHI]], [[KWLO]] : index
// CHECK-NEXT:            [[CNT:%.*]] = arith.muli [[NH]], [[NW]] : index
// CHECK-NEXT:            [[ONE:%.*]] = arith.constant 1 : index
// CHECK-NEXT:            [[CNT1:%.*]] = arith.maxsi [[CNT]], [[ONE]] : index
// CHECK-NEXT:            [[CI:%.*]] = arith.index_cast [[CNT1]] : index to i64
// CHECK-NEXT:            [[CF:%.*]] = arith.sitofp [[CI]] : i64 to f32
// CHECK-NEXT:            [[AVG:%.*]] = arith.divf [[SUM]], [[CF]] : f32
// CHECK-NEXT:            memref.store [[AVG]], %ap[

// -----

func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x1x1xf32> {
  %gap = "onnx.GlobalAveragePool"(%x) : (tensor<1x2x4x4xf32>) -> tensor<1x2x1x1xf32>
  func.return %gap : tensor<1x2x1x1xf32>
}
// CHECK-LABEL: func.func private @k0_GlobalAveragePool(%x: memref<1x2x4x4xf32>, %gap: memref<1x2x1x1xf32>)
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[N:%.*]]: index, [[C:%.*]]: index):
// CHECK-NEXT:        [[ZERO:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:        arith.constant 0 : index
// CHECK-NEXT:        [[HH:%.*]] = arith.constant 4 : index
// CHECK-NEXT:        arith.constant 1 : index
// CHECK-NEXT:        [[SUM:%.*]] = scf.for [[H:%.*]] = {{%.*}} to [[HH]] step {{%.*}} iter_args([[A:%.*]] = [[ZERO]]) -> (f32) {
// CHECK:               scf.for [[W:%.*]] = {{.*}} iter_args([[B:%.*]] = [[A]]) -> (f32) {
// CHECK-NEXT:            [[V:%.*]] = memref.load %x[[[N]], [[C]], [[H]], [[W]]] : memref<1x2x4x4xf32>
// CHECK-NEXT:            arith.addf [[B]], [[V]] : f32
// CHECK:             [[SIZE:%.*]] = arith.constant 1.600000e+01 : f32
// CHECK-NEXT:        [[MEAN:%.*]] = arith.divf [[SUM]], [[SIZE]] : f32
// CHECK-NEXT:        [[Z0:%.*]] = arith.constant 0 : index
// CHECK-NEXT:        [[Z1:%.*]] = arith.constant 0 : index
// CHECK-NEXT:        memref.store [[MEAN]], %gap[[[N]], [[C]], [[Z0]], [[Z1]]] : memref<1x2x1x1xf32>
