// Pad (constant mode): one loop nest over the output; the source index is output
// index - pad_begin, an in-bounds flag is built only for dims that are padded, the
// index is clamped before the load and the constant value selected outside.
// Resize (nearest, half_pixel, round_prefer_floor): per output index the source
// coordinate (i + 0.5) / scale - 0.5 is clamped to [0, in - 1] and rounded, the
// outer dim computed outside the inner loop.
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

func.func @main(%x: tensor<1x1x2x3xf32>) -> tensor<1x1x4x4xf32> {
  %pads = "onnx.Constant"() <{value = dense<[0, 0, 1, 0, 0, 0, 1, 1]> : tensor<8xi64>}> : () -> tensor<8xi64>
  %cv = "onnx.Constant"() <{value = dense<2.500000e+00> : tensor<f32>}> : () -> tensor<f32>
  %pad = "onnx.Pad"(%x, %pads, %cv) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (tensor<1x1x2x3xf32>, tensor<8xi64>, tensor<f32>) -> tensor<1x1x4x4xf32>
  func.return %pad : tensor<1x1x4x4xf32>
}
// CHECK-LABEL: func.func private @k0_Pad(%x: memref<1x1x2x3xf32>, %pads: memref<8xi64>, %cv: memref<f32>, %pad: memref<1x1x4x4xf32>)
// CHECK-NEXT:    [[CV:%.*]] = memref.load %cv[] : memref<f32>
// CHECK:         scf.for [[N:%.*]] =
// CHECK:           scf.for [[C:%.*]] =
// CHECK:             [[HH:%.*]] = arith.constant 4 : index
// CHECK-NEXT:        arith.constant 1 : index
// CHECK-NEXT:        scf.for [[H:%.*]] = {{%.*}} to [[HH]] step
// CHECK:               [[HW:%.*]] = arith.constant 4 : index
// CHECK-NEXT:          arith.constant 1 : index
// CHECK-NEXT:          scf.for [[W:%.*]] = {{%.*}} to [[HW]] step
// dim 2: begin pad 1, both bounds checked
// CHECK-NEXT:            [[P:%.*]] = arith.constant 1 : index
// CHECK-NEXT:            [[IH:%.*]] = arith.subi [[H]], [[P]] : index
// CHECK-NEXT:            [[Z:%.*]] = arith.constant 0 : index
// CHECK-NEXT:            [[GE:%.*]] = arith.cmpi sge, [[IH]], [[Z]] : index
// CHECK-NEXT:            [[D:%.*]] = arith.constant 2 : index
// CHECK-NEXT:            [[LT:%.*]] = arith.cmpi slt, [[IH]], [[D]] : index
// CHECK-NEXT:            [[INH:%.*]] = arith.andi [[GE]], [[LT]] : i1
// CHECK-NEXT:            [[Z2:%.*]] = arith.constant 0 : index
// CHECK-NEXT:            [[CH0:%.*]] = arith.maxsi [[IH]], [[Z2]] : index
// CHECK-NEXT:            [[D1:%.*]] = arith.constant 1 : index
// CHECK-NEXT:            [[CH:%.*]] = arith.minsi [[CH0]], [[D1]] : index
// dim 3: end pad only, only the upper bound checked
// CHECK-NEXT:            [[DW:%.*]] = arith.constant 3 : index
// CHECK-NEXT:            [[LTW:%.*]] = arith.cmpi slt, [[W]], [[DW]] : index
// CHECK-NEXT:            [[IN:%.*]] = arith.andi [[INH]], [[LTW]] : i1
// CHECK:                 [[CW:%.*]] = arith.minsi
// CHECK-NEXT:            [[V:%.*]] = memref.load %x[[[N]], [[C]], [[CH]], [[CW]]] : memref<1x1x2x3xf32>
// CHECK-NEXT:            [[R:%.*]] = arith.select [[IN]], [[V]], [[CV]] : f32
// CHECK-NEXT:            memref.store [[R]], %pad[[[N]], [[C]], [[H]], [[W]]] : memref<1x1x4x4xf32>

// -----

func.func @main(%x: tensor<1x1x2x3xf32>) -> tensor<1x1x4x6xf32> {
  %scales = "onnx.Constant"() <{value = dense<[1.0, 1.0, 2.0, 2.0]> : tensor<4xf32>}> : () -> tensor<4xf32>
  %rs = "onnx.Resize"(%x, %scales) <{mode = "nearest", operandSegmentSizes = array<i32: 1, 0, 1, 0>}> : (tensor<1x1x2x3xf32>, tensor<4xf32>) -> tensor<1x1x4x6xf32>
  func.return %rs : tensor<1x1x4x6xf32>
}
// CHECK-LABEL: func.func private @k0_Resize(%x: memref<1x1x2x3xf32>, %scales: memref<4xf32>, %rs: memref<1x1x4x6xf32>)
// CHECK:             [[HH:%.*]] = arith.constant 4 : index
// CHECK-NEXT:        arith.constant 1 : index
// CHECK-NEXT:        scf.for [[H:%.*]] = {{%.*}} to [[HH]] step
// CHECK-NEXT:          [[HI:%.*]] = arith.index_cast [[H]] : index to i64
// CHECK-NEXT:          [[HF:%.*]] = arith.sitofp [[HI]] : i64 to f32
// CHECK-NEXT:          [[HALF:%.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:          [[A:%.*]] = arith.addf [[HF]], [[HALF]] : f32
// CHECK-NEXT:          [[SC:%.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:          [[B:%.*]] = arith.divf [[A]], [[SC]] : f32
// CHECK-NEXT:          [[HALF2:%.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:          [[SRC:%.*]] = arith.subf [[B]], [[HALF2]] : f32
// Clamp to [0, 1] (in = 2), then round half down.
// CHECK:               [[MAXC:%.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:          [[ISLT:%.*]] = arith.cmpf olt, {{%.*}}, [[MAXC]] : f32
// CHECK:               [[FL:%.*]] = math.floor [[CLAMPED:%.*]] : f32
// CHECK-NEXT:          [[FR:%.*]] = arith.subf [[CLAMPED]], [[FL]] : f32
// CHECK-NEXT:          [[HALF3:%.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:          [[UP:%.*]] = arith.cmpf ogt, [[FR]], [[HALF3]] : f32
// CHECK:               [[RND:%.*]] = arith.select [[UP]], {{%.*}}, [[FL]] : f32
// CHECK-NEXT:          [[RI:%.*]] = arith.fptosi [[RND]] : f32 to i64
// CHECK-NEXT:          [[IH:%.*]] = arith.index_cast [[RI]] : i64 to index
// CHECK:               [[HW:%.*]] = arith.constant 6 : index
// CHECK-NEXT:          arith.constant 1 : index
// CHECK-NEXT:          scf.for [[W:%.*]] = {{%.*}} to [[HW]] step
// CHECK:                 [[IW:%.*]] = arith.index_cast {{%.*}} : i64 to index
// CHECK-NEXT:            [[V:%.*]] = memref.load %x[{{%.*}}, {{%.*}}, [[IH]], [[IW]]] : memref<1x1x2x3xf32>
// CHECK-NEXT:            memref.store [[V]], %rs[{{%.*}}, {{%.*}}, [[H]], [[W]]] : memref<1x1x4x6xf32>
