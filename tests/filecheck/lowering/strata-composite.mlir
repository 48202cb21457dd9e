// Kernels of the recomposed strata blocks. RMSNormalization: per row a pass summing x^2,
// 1 / sqrt(mean + eps), then x * inv * scale. ScaledMaskedSoftmax: the three softmax
// passes on v = x * scale + mask (mask broadcast: index 0 on its size-1 dim).
// Attention on f64 (and f16): per (batch, query row) a scratch row of Sk scores (one memref.alloca at the
// top of the kernel, outside the loops; used only inside the parallel loop, so each
// thread gets its own), filled by dot products q . k_t[:, j] * scale +
// mask while carrying the max; then exp(s - max) in place while summing; then each
// output column is the scratch row times V, divided once by the sum. No [Sq, Sk] buffer.
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

func.func @main(%x: tensor<2x4xf32>, %g: tensor<4xf32>) -> tensor<2x4xf32> {
  %y = "strata.RMSNormalization"(%x, %g) <{axis = -1 : i64, epsilon = 1.0e-06 : f32}> : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func private @k0_RMSNormalization(%x: memref<2x4xf32>, %g: memref<4xf32>, %y: memref<2x4xf32>)
// CHECK-NEXT:    [[EPS:%.*]] = arith.constant 1.000000e-06 : f32
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[I:%.*]]: index):
// CHECK:           [[SUM:%.*]] = scf.for [[J:%.*]] = {{.*}} iter_args([[S:%.*]] = {{%.*}}) -> (f32) {
// CHECK-NEXT:        [[V:%.*]] = memref.load %x[[[I]], [[J]]] : memref<2x4xf32>
// CHECK-NEXT:        [[SQ:%.*]] = arith.mulf [[V]], [[V]] : f32
// CHECK-NEXT:        [[S2:%.*]] = arith.addf [[S]], [[SQ]] : f32
// CHECK-NEXT:        scf.yield [[S2]] : f32
// CHECK-NEXT:      }
// CHECK-NEXT:      [[N:%.*]] = arith.constant 4.000000e+00 : f32
// CHECK-NEXT:      [[MEAN:%.*]] = arith.divf [[SUM]], [[N]] : f32
// CHECK-NEXT:      [[ONE:%.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      [[ME:%.*]] = arith.addf [[MEAN]], [[EPS]] : f32
// CHECK-NEXT:      [[RMS:%.*]] = math.sqrt [[ME]] : f32
// CHECK-NEXT:      [[INV:%.*]] = arith.divf [[ONE]], [[RMS]] : f32
// CHECK:           scf.for [[J:%.*]] =
// CHECK-NEXT:        [[X:%.*]] = memref.load %x[[[I]], [[J]]] : memref<2x4xf32>
// CHECK-NEXT:        [[XN:%.*]] = arith.mulf [[X]], [[INV]] : f32
// CHECK-NEXT:        [[G:%.*]] = memref.load %g[[[J]]] : memref<4xf32>
// CHECK-NEXT:        [[Y:%.*]] = arith.mulf [[XN]], [[G]] : f32
// CHECK-NEXT:        memref.store [[Y]], %y[[[I]], [[J]]] : memref<2x4xf32>

// -----

func.func @main(%x: tensor<2x4xf32>, %mask: tensor<1x4xf32>) -> tensor<2x4xf32> {
  %y = "strata.ScaledMaskedSoftmax"(%x, %mask) <{scale = 0.25 : f32, axis = -1 : i64}> : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func private @k0_ScaledMaskedSoftmax(%x: memref<2x4xf32>, %mask: memref<1x4xf32>, %y: memref<2x4xf32>)
// CHECK-NEXT:    [[SCALE:%.*]] = arith.constant 2.500000e-01 : f32
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[I:%.*]]: index):
// CHECK:           [[MAX:%.*]] = scf.for [[J:%.*]] = {{.*}} iter_args([[M:%.*]] = {{%.*}}) -> (f32) {
// CHECK-NEXT:        [[X:%.*]] = memref.load %x[[[I]], [[J]]] : memref<2x4xf32>
// CHECK-NEXT:        [[XS:%.*]] = arith.mulf [[X]], [[SCALE]] : f32
// CHECK-NEXT:        [[ZERO:%.*]] = arith.constant 0 : index
// CHECK-NEXT:        [[MK:%.*]] = memref.load %mask[[[ZERO]], [[J]]] : memref<1x4xf32>
// CHECK-NEXT:        [[V:%.*]] = arith.addf [[XS]], [[MK]] : f32
// CHECK-NEXT:        [[M2:%.*]] = arith.maximumf [[M]], [[V]] : f32
// CHECK-NEXT:        scf.yield [[M2]] : f32
// CHECK:           [[SUM:%.*]] = scf.for
// CHECK:             arith.subf {{%.*}}, [[MAX]] : f32
// CHECK-NEXT:        math.exp
// CHECK:           [[INV:%.*]] = arith.divf {{%.*}}, [[SUM]] : f32
// CHECK:           scf.for [[J:%.*]] =
// CHECK:             [[E:%.*]] = math.exp
// CHECK-NEXT:        [[P:%.*]] = arith.mulf [[E]], [[INV]] : f32
// CHECK-NEXT:        memref.store [[P]], %y[[[I]], [[J]]] : memref<2x4xf32>

// -----

func.func @main(%q: tensor<2x3x4xf64>, %kt: tensor<2x4x5xf64>, %v: tensor<2x5x6xf64>, %mask: tensor<3x5xf64>) -> tensor<2x3x6xf64> {
  %y = "strata.Attention"(%q, %kt, %v, %mask) <{scale = 0.5 : f32}> : (tensor<2x3x4xf64>, tensor<2x4x5xf64>, tensor<2x5x6xf64>, tensor<3x5xf64>) -> tensor<2x3x6xf64>
  func.return %y : tensor<2x3x6xf64>
}
// CHECK-LABEL: func.func private @k0_Attention(%q: memref<2x3x4xf64>, %kt: memref<2x4x5xf64>, %v: memref<2x5x6xf64>, %mask: memref<3x5xf64>, %y: memref<2x3x6xf64>)
// CHECK-NEXT:    [[SCALE:%.*]] = arith.constant 5.000000e-01 : f64
// CHECK-NEXT:    [[ROW:%.*]] = memref.alloca() : memref<5xf64>
// CHECK-NOT:     memref.alloc
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[B:%.*]]: index, [[I:%.*]]: index):
// CHECK:             [[MAX:%.*]] = scf.for [[J:%.*]] = {{.*}} iter_args([[M:%.*]] = {{%.*}}) -> (f64) {
// CHECK:               [[DOT:%.*]] = scf.for [[D:%.*]] = {{.*}} iter_args([[A:%.*]] = {{%.*}}) -> (f64) {
// CHECK-NEXT:            [[QV:%.*]] = memref.load %q[[[B]], [[I]], [[D]]] : memref<2x3x4xf64>
// CHECK-NEXT:            [[KV:%.*]] = memref.load %kt[[[B]], [[D]], [[J]]] : memref<2x4x5xf64>
// CHECK-NEXT:            [[QK:%.*]] = arith.mulf [[QV]], [[KV]] : f64
// CHECK-NEXT:            [[A2:%.*]] = arith.addf [[A]], [[QK]] : f64
// CHECK-NEXT:            scf.yield [[A2]] : f64
// CHECK-NEXT:          }
// CHECK-NEXT:          [[S:%.*]] = arith.mulf [[DOT]], [[SCALE]] : f64
// CHECK-NEXT:          [[MK:%.*]] = memref.load %mask[[[I]], [[J]]] : memref<3x5xf64>
// CHECK-NEXT:          [[SM:%.*]] = arith.addf [[S]], [[MK]] : f64
// CHECK-NEXT:          memref.store [[SM]], [[ROW]][[[J]]] : memref<5xf64>
// CHECK-NEXT:          [[M2:%.*]] = arith.maximumf [[M]], [[SM]] : f64
// CHECK-NEXT:          scf.yield [[M2]] : f64
// CHECK:             [[SUM:%.*]] = scf.for [[J:%.*]] = {{.*}} iter_args([[T:%.*]] = {{%.*}}) -> (f64) {
// CHECK-NEXT:          [[R:%.*]] = memref.load [[ROW]][[[J]]] : memref<5xf64>
// CHECK-NEXT:          [[RD:%.*]] = arith.subf [[R]], [[MAX]] : f64
// CHECK-NEXT:          [[E:%.*]] = math.exp [[RD]] : f64
// CHECK-NEXT:          memref.store [[E]], [[ROW]][[[J]]] : memref<5xf64>
// CHECK-NEXT:          [[T2:%.*]] = arith.addf [[T]], [[E]] : f64
// CHECK:             [[INV:%.*]] = arith.divf {{%.*}}, [[SUM]] : f64
// CHECK:             scf.for [[C:%.*]] =
// CHECK:               [[ACC:%.*]] = scf.for [[J:%.*]] = {{.*}} iter_args([[U:%.*]] = {{%.*}}) -> (f64) {
// CHECK-NEXT:            [[P:%.*]] = memref.load [[ROW]][[[J]]] : memref<5xf64>
// CHECK-NEXT:            [[VV:%.*]] = memref.load %v[[[B]], [[J]], [[C]]] : memref<2x5x6xf64>
// CHECK-NEXT:            [[PV:%.*]] = arith.mulf [[P]], [[VV]] : f64
// CHECK-NEXT:            [[U2:%.*]] = arith.addf [[U]], [[PV]] : f64
// CHECK-NEXT:            scf.yield [[U2]] : f64
// CHECK-NEXT:          }
// CHECK-NEXT:          [[OUT:%.*]] = arith.mulf [[ACC]], [[INV]] : f64
// CHECK-NEXT:          memref.store [[OUT]], %y[[[B]], [[I]], [[C]]] : memref<2x3x6xf64>

// -----

// f32 Attention: per (batch, block of query rows) — one scf.parallel — the scores of
// the block in a [rows, Sk] stack buffer, made by register tiles of math.fma (q loaded
// once per k step, k_t read along the keys), scaled and masked at the tile's store;
// per row the max and the sum over 16 partial lanes around exp(s - max); then the
// output by tiles again (v along its columns), each sum times 1 / row sum.
func.func @main(%q: tensor<2x3x4xf32>, %kt: tensor<2x4x5xf32>, %v: tensor<2x5x6xf32>, %mask: tensor<3x5xf32>) -> tensor<2x3x6xf32> {
  %y = "strata.Attention"(%q, %kt, %v, %mask) <{scale = 0.5 : f32}> : (tensor<2x3x4xf32>, tensor<2x4x5xf32>, tensor<2x5x6xf32>, tensor<3x5xf32>) -> tensor<2x3x6xf32>
  func.return %y : tensor<2x3x6xf32>
}
// CHECK-LABEL: func.func private @k0_Attention(%q: memref<2x3x4xf32>, %kt: memref<2x4x5xf32>, %v: memref<2x5x6xf32>, %mask: memref<3x5xf32>, %y: memref<2x3x6xf32>)
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[B:%.*]]: index, [[BLK:%.*]]: index):
// CHECK:           [[S:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<3x5xf32>
// CHECK-NEXT:      [[INV:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<3xf32>
// CHECK-NEXT:      [[ACC:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<64xf32>
// Scores: q . k_t by FMAs over the 4 head dims, scaled and masked, stored in the block buffer.
// CHECK:           memref.load %q[[[B]], {{%.*}}, {{%.*}}] : memref<2x3x4xf32>
// CHECK:           memref.load %kt[[[B]], {{%.*}}, {{%.*}}] : memref<2x4x5xf32>
// CHECK-NEXT:      math.fma
// CHECK:           arith.mulf {{%.*}}, {{%.*}} : f32
// CHECK:           memref.load %mask[{{%.*}}, {{%.*}}] : memref<3x5xf32>
// CHECK:           memref.store {{%.*}}, [[S]][{{%.*}}, {{%.*}}] : memref<3x5xf32>
// Softmax of each row in place: max, exp, sum, the reciprocal.
// CHECK:           arith.maximumf
// CHECK:           math.exp
// CHECK:           memref.store {{%.*}}, [[S]]
// CHECK:           arith.addf
// CHECK:           memref.store {{%.*}}, [[INV]][{{%.*}}] : memref<3xf32>
// Output: e . v by FMAs, times the row's 1 / sum, stored once.
// CHECK:           memref.load [[S]][{{%.*}}, {{%.*}}] : memref<3x5xf32>
// CHECK:           memref.load %v[[[B]], {{%.*}}, {{%.*}}] : memref<2x5x6xf32>
// CHECK-NEXT:      math.fma
// CHECK:           memref.load [[INV]]
// CHECK-NEXT:      arith.mulf
// CHECK:           memref.store {{%.*}}, %y[[[B]], {{%.*}}, {{%.*}}] : memref<2x3x6xf32>
