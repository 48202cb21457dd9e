// Softmax / LogSoftmax: per row, a max pass (iter_args from -inf), a pass summing
// exp(x - max), then a pass writing exp(x - max) / sum (LogSoftmax: x - (max +
// log(sum))). LayerNormalization: mean, then variance of (x - mean), 1 / sqrt(var +
// eps), then (x - mean) * inv * scale + B. BatchNormalization: per channel
// scale / sqrt(var + eps) hoisted out of the spatial loops.
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

func.func @main(%x: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %sm = "onnx.Softmax"(%x) : (tensor<2x5xf32>) -> tensor<2x5xf32>
  func.return %sm : tensor<2x5xf32>
}
// CHECK-LABEL: func.func private @k0_Softmax(%x: memref<2x5xf32>, %sm: memref<2x5xf32>)
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[I:%.*]]: index):
// CHECK-NEXT:      [[NEGINF:%.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT:      arith.constant 0 : index
// CHECK-NEXT:      [[H:%.*]] = arith.constant 5 : index
// CHECK-NEXT:      arith.constant 1 : index
// CHECK-NEXT:      [[MAX:%.*]] = scf.for [[J:%.*]] = {{%.*}} to [[H]] step {{%.*}} iter_args([[M:%.*]] = [[NEGINF]]) -> (f32) {
// CHECK-NEXT:        [[V:%.*]] = memref.load %x[[[I]], [[J]]] : memref<2x5xf32>
// CHECK-NEXT:        [[M2:%.*]] = arith.maximumf [[M]], [[V]] : f32
// CHECK-NEXT:        scf.yield [[M2]] : f32
// CHECK-NEXT:      }
// CHECK-NEXT:      [[ZERO:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK:           [[SUM:%.*]] = scf.for [[J:%.*]] = {{.*}} iter_args([[S:%.*]] = [[ZERO]]) -> (f32) {
// CHECK-NEXT:        [[V:%.*]] = memref.load %x[[[I]], [[J]]] : memref<2x5xf32>
// CHECK-NEXT:        [[D:%.*]] = arith.subf [[V]], [[MAX]] : f32
// CHECK-NEXT:        [[E:%.*]] = math.exp [[D]] : f32
// CHECK-NEXT:        [[S2:%.*]] = arith.addf [[S]], [[E]] : f32
// CHECK-NEXT:        scf.yield [[S2]] : f32
// CHECK-NEXT:      }
// CHECK:           scf.for [[J:%.*]] =
// CHECK-NEXT:        [[V:%.*]] = memref.load %x[[[I]], [[J]]] : memref<2x5xf32>
// CHECK-NEXT:        [[D:%.*]] = arith.subf [[V]], [[MAX]] : f32
// CHECK-NEXT:        [[E:%.*]] = math.exp [[D]] : f32
// CHECK-NEXT:        [[R:%.*]] = arith.divf [[E]], [[SUM]] : f32
// CHECK-NEXT:        memref.store [[R]], %sm[[[I]], [[J]]] : memref<2x5xf32>

// -----

// LogSoftmax along a middle axis: loops over dims 0 and 2 outside, the axis inside.
func.func @main(%t: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %lsm = "onnx.LogSoftmax"(%t) <{axis = 1 : i64}> : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  func.return %lsm : tensor<2x3x4xf32>
}
// CHECK-LABEL: func.func private @k0_LogSoftmax(%t: memref<2x3x4xf32>, %lsm: memref<2x3x4xf32>)
// CHECK:         [[H0:%.*]] = arith.constant 2 : index
// CHECK-NEXT:    [[H2:%.*]] = arith.constant 4 : index
// CHECK:         "scf.parallel"({{%.*}}, {{%.*}}, [[H0]], [[H2]],
// CHECK-NEXT:    ^bb0([[I:%.*]]: index, [[K:%.*]]: index):
// CHECK:             [[MAX:%.*]] = scf.for [[J:%.*]] = {{.*}} iter_args
// CHECK-NEXT:          memref.load %t[[[I]], [[J]], [[K]]]
// CHECK:             [[SUM:%.*]] = scf.for
// CHECK:             [[LOG:%.*]] = math.log [[SUM]] : f32
// CHECK-NEXT:        [[SHIFT:%.*]] = arith.addf [[MAX]], [[LOG]] : f32
// CHECK:             scf.for [[J:%.*]] =
// CHECK-NEXT:          [[V:%.*]] = memref.load %t[[[I]], [[J]], [[K]]] : memref<2x3x4xf32>
// CHECK-NEXT:          [[R:%.*]] = arith.subf [[V]], [[SHIFT]] : f32
// CHECK-NEXT:          memref.store [[R]], %lsm[[[I]], [[J]], [[K]]] : memref<2x3x4xf32>

// -----

func.func @main(%t: tensor<2x3x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %ln = "onnx.LayerNormalization"(%t, %g, %b) <{epsilon = 1.000000e-03 : f32, resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<2x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  func.return %ln : tensor<2x3x4xf32>
}
// CHECK-LABEL: func.func private @k0_LayerNormalization(%t: memref<2x3x4xf32>, %g: memref<4xf32>, %b: memref<4xf32>, %ln: memref<2x3x4xf32>)
// CHECK-NEXT:    [[ONE:%.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:    [[EPS:%.*]] = arith.constant 1.000000e-03 : f32
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[I:%.*]]: index, [[J:%.*]]: index):
// CHECK-NEXT:        [[N:%.*]] = arith.constant 4.000000e+00 : f32
// CHECK:             [[SUM:%.*]] = scf.for [[K:%.*]] = {{.*}} iter_args
// CHECK:             [[MEAN:%.*]] = arith.divf [[SUM]], [[N]] : f32
// CHECK:             [[SQ:%.*]] = scf.for [[K:%.*]] = {{.*}} iter_args([[A:%.*]] = {{%.*}}) -> (f32) {
// CHECK-NEXT:          [[V:%.*]] = memref.load %t[[[I]], [[J]], [[K]]] : memref<2x3x4xf32>
// CHECK-NEXT:          [[D:%.*]] = arith.subf [[V]], [[MEAN]] : f32
// CHECK-NEXT:          [[D2:%.*]] = arith.mulf [[D]], [[D]] : f32
// CHECK-NEXT:          [[A2:%.*]] = arith.addf [[A]], [[D2]] : f32
// CHECK-NEXT:          scf.yield [[A2]] : f32
// CHECK-NEXT:        }
// CHECK-NEXT:        [[VAR:%.*]] = arith.divf [[SQ]], [[N]] : f32
// CHECK-NEXT:        [[VE:%.*]] = arith.addf [[VAR]], [[EPS]] : f32
// CHECK-NEXT:        [[STD:%.*]] = math.sqrt [[VE]] : f32
// CHECK-NEXT:        [[INV:%.*]] = arith.divf [[ONE]], [[STD]] : f32
// CHECK:             scf.for [[K:%.*]] =
// CHECK-NEXT:          [[V:%.*]] = memref.load %t[[[I]], [[J]], [[K]]] : memref<2x3x4xf32>
// CHECK-NEXT:          [[D:%.*]] = arith.subf [[V]], [[MEAN]] : f32
// CHECK-NEXT:          [[NORM:%.*]] = arith.mulf [[D]], [[INV]] : f32
// CHECK-NEXT:          [[G:%.*]] = memref.load %g[[[K]]] : memref<4xf32>
// CHECK-NEXT:          [[SC:%.*]] = arith.mulf [[NORM]], [[G]] : f32
// CHECK-NEXT:          [[B:%.*]] = memref.load %b[[[K]]] : memref<4xf32>
// CHECK-NEXT:          [[R:%.*]] = arith.addf [[SC]], [[B]] : f32
// CHECK-NEXT:          memref.store [[R]], %ln[[[I]], [[J]], [[K]]] : memref<2x3x4xf32>

// -----

func.func @main(%x: tensor<1x2x3x3xf32>, %s: tensor<2xf32>, %bb: tensor<2xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>) -> tensor<1x2x3x3xf32> {
  %bn = "onnx.BatchNormalization"(%x, %s, %bb, %m, %v) <{resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1x2x3x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  func.return %bn : tensor<1x2x3x3xf32>
}
// CHECK-LABEL: func.func private @k0_BatchNormalization(%x: memref<1x2x3x3xf32>, %s: memref<2xf32>, %bb: memref<2xf32>, %m: memref<2xf32>, %v: memref<2xf32>, %bn: memref<1x2x3x3xf32>)
// CHECK-NEXT:    [[EPS:%.*]] = arith.constant 1.000000e-05 : f32
// CHECK:         [[HC:%.*]] = arith.constant 2 : index
// CHECK:         "scf.parallel"({{%.*}}, {{%.*}}, {{%.*}}, [[HC]],
// CHECK-NEXT:    ^bb0([[N:%.*]]: index, [[C:%.*]]: index):
// CHECK-NEXT:        [[MEAN:%.*]] = memref.load %m[[[C]]] : memref<2xf32>
// CHECK-NEXT:        [[SCALE:%.*]] = memref.load %s[[[C]]] : memref<2xf32>
// CHECK-NEXT:        [[VAR:%.*]] = memref.load %v[[[C]]] : memref<2xf32>
// CHECK-NEXT:        [[VE:%.*]] = arith.addf [[VAR]], [[EPS]] : f32
// CHECK-NEXT:        [[STD:%.*]] = math.sqrt [[VE]] : f32
// CHECK-NEXT:        [[MUL:%.*]] = arith.divf [[SCALE]], [[STD]] : f32
// CHECK-NEXT:        [[BIAS:%.*]] = memref.load %bb[[[C]]] : memref<2xf32>
// CHECK:             scf.for [[H:%.*]] =
// CHECK:               scf.for [[W:%.*]] =
// CHECK-NEXT:            [[X:%.*]] = memref.load %x[[[N]], [[C]], [[H]], [[W]]] : memref<1x2x3x3xf32>
// CHECK-NEXT:            [[D:%.*]] = arith.subf [[X]], [[MEAN]] : f32
// CHECK-NEXT:            [[P:%.*]] = arith.mulf [[D]], [[MUL]] : f32
// CHECK-NEXT:            [[R:%.*]] = arith.addf [[P]], [[BIAS]] : f32
// CHECK-NEXT:            memref.store [[R]], %bn[[[N]], [[C]], [[H]], [[W]]] : memref<1x2x3x3xf32>
