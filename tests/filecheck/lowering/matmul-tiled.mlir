// f32 MatMul / Gemm with at least 8 output columns lower to the register-tiled GEMM of
// lowering/kernels/matmul.py: per panel of 16 columns (the panels are one scf.parallel:
// each iteration has its own two stack buffers, a 4 x 16 accumulator tile and a K x 16
// packed panel of B, so panels may run on different threads), B is copied to the panel, then
// each tile of 4 rows runs a K loop (2 k steps per body with 16 vector registers,
// tiled_k_unroll; 4 with 32) whose inner lane loop over the 16 columns does 4 x 2
// math.fma (LLVM's loop vectorizer makes them vector FMAs); the last k steps' body
// stores Y directly. Tails (M % 4, N % 16) reuse the same body with fewer rows / lanes,
// so nothing is read or written out of bounds. Built for a CPU without AVX2 (x86-64:
// 128-bit vectors), whatever the host: AVX2 and AVX-512 targets take explicit-vector
// tiles for their full panels (matmul-tiled-avx2.mlir, matmul-tiled-avx512.mlir) and
// this lane-loop tile for the N % 16 columns left.
// RUN: opt-tool %s --split-input-file -p 'convert-onnx-to-loops{cpu=x86-64}' | filecheck %s

func.func @main(%a: tensor<20x8xf32>, %b: tensor<8x16xf32>) -> tensor<20x16xf32> attributes {strata.input_names = ["a", "b"], strata.output_names = ["y"]} {
  %y = "onnx.MatMul"(%a, %b) : (tensor<20x8xf32>, tensor<8x16xf32>) -> tensor<20x16xf32>
  func.return %y : tensor<20x16xf32>
}
// Five row tiles (20 rows: more than the small-M kernels take), K = 8: main k bodies at k = 0, 2, 4, then the final body (k = 6, 7).
// CHECK-LABEL: func.func private @k0_MatMul(%a: memref<20x8xf32>, %b: memref<8x16xf32>, %y: memref<20x16xf32>)
// Column panels of 16, in parallel, each with its own accumulators and panel.
// CHECK-NEXT:    [[LO:%.*]] = arith.constant 0 : index
// CHECK-NEXT:    [[N16:%.*]] = arith.constant 16 : index
// CHECK-NEXT:    [[S16:%.*]] = arith.constant 16 : index
// CHECK-NEXT:    "scf.parallel"([[LO]], [[N16]], [[S16]])
// CHECK-NEXT:    ^bb0([[J0:%.*]]: index):
// CHECK-NEXT:      [[ACC:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<64xf32>
// CHECK-NEXT:      [[PANEL:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<128xf32>
// Packing: panel[k * 16 + l] = B[k, j0 + l].
// CHECK:           scf.for [[PK:%.*]] =
// CHECK:             scf.for [[PL:%.*]] =
// CHECK-NEXT:          [[COL:%.*]] = arith.addi [[J0]], [[PL]] : index
// CHECK-NEXT:          [[BV:%.*]] = memref.load %b[[[PK]], [[COL]]] : memref<8x16xf32>
// CHECK:               memref.store [[BV]], [[PANEL]][{{%.*}}] : memref<128xf32>
// Row tiles of 4; the accumulators start at zero.
// CHECK:           [[M4:%.*]] = arith.constant 20 : index
// CHECK-NEXT:      [[S4:%.*]] = arith.constant 4 : index
// CHECK-NEXT:      scf.for [[I0:%.*]] = {{%.*}} to [[M4]] step [[S4]] {
// CHECK:             scf.for
// CHECK-COUNT-4:       memref.store {{%.*}}, [[ACC]]
// Main k loop: steps of 2 up to K - 2; 8 broadcast values of A, then the lane loop.
// CHECK:             [[K6:%.*]] = arith.constant 6 : index
// CHECK-NEXT:        [[SK:%.*]] = arith.constant 2 : index
// CHECK-NEXT:        scf.for [[K:%.*]] = {{%.*}} to [[K6]] step [[SK]] {
// CHECK-COUNT-8:       memref.load %a[{{%.*}}, {{%.*}}] : memref<20x8xf32>
// CHECK:               scf.for [[L:%.*]] =
// CHECK-COUNT-4:         memref.load [[ACC]]
// CHECK:                 memref.load [[PANEL]]
// CHECK-NEXT:            math.fma
// CHECK-COUNT-3:         math.fma
// CHECK:                 memref.load [[PANEL]]
// CHECK-COUNT-4:         math.fma
// CHECK-COUNT-4:         memref.store {{%.*}}, [[ACC]]
// CHECK:               }
// CHECK-NEXT:        }
// Final body: k = 6, 7 and the store of each result to Y (no epilogue: the sum).
// CHECK:             scf.for [[LF:%.*]] =
// CHECK-COUNT-8:       math.fma
// CHECK-NEXT:          [[YJ:%.*]] = arith.addi [[J0]], [[LF]] : index
// CHECK-NEXT:          memref.store {{%.*}}, %y[[[I0]], [[YJ]]] : memref<20x16xf32>
// CHECK-COUNT-3:       memref.store {{%.*}}, %y
// CHECK-NOT:     memref.store {{%.*}}, %y
// CHECK:         func.return

// -----

// Tails: M = 17 (four tiles of 4 rows + one single-row tile), N = 20 (one panel of 16 +
// a 4-wide tail panel: loops of 4 lanes), K = 3 (< 2 x 2: only the final body).
func.func @main(%a: tensor<17x3xf32>, %b: tensor<3x20xf32>) -> tensor<17x20xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<17x3xf32>, tensor<3x20xf32>) -> tensor<17x20xf32>
  func.return %y : tensor<17x20xf32>
}
// CHECK-LABEL: func.func private @k0_MatMul(%a: memref<17x3xf32>, %b: memref<3x20xf32>, %y: memref<17x20xf32>)
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[J0:%.*]]: index):
// CHECK:           memref.alloca() {alignment = 64 : i64} : memref<48xf32>
// CHECK:           scf.for [[I0:%.*]] = {{%.*}} to {{%.*}} step {{%.*}} {
// CHECK-COUNT-12:    memref.load %a
// CHECK:             scf.for
// CHECK-COUNT-12:      math.fma
// CHECK-COUNT-4:       memref.store {{%.*}}, %y[
// Row 16 of the same panel: 3 loads of A (row 16), 3 FMAs and one store per lane.
// CHECK:           memref.load %a[{{%.*}}, {{%.*}}] : memref<17x3xf32>
// CHECK-COUNT-2:   memref.load %a[{{%.*}}, {{%.*}}] : memref<17x3xf32>
// CHECK:           scf.for [[L4:%.*]] =
// CHECK-COUNT-3:     math.fma
// CHECK-NEXT:        [[R4B:%.*]] = arith.constant 16 : index
// CHECK-NEXT:        [[J4:%.*]] = arith.addi [[J0]], [[L4]] : index
// CHECK-NEXT:        memref.store {{%.*}}, %y[[[R4B]], [[J4]]] : memref<17x20xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:      scf.reduce
// CHECK-NEXT:    })
// The 4 columns 16..19 (after the parallel loop): the panel is packed 4 wide.
// CHECK:         memref.alloca() {alignment = 64 : i64} : memref<48xf32>
// CHECK:         [[W4:%.*]] = arith.constant 4 : index
// CHECK-NEXT:    [[ONE:%.*]] = arith.constant 1 : index
// CHECK-NEXT:    scf.for [[TL:%.*]] = {{%.*}} to [[W4]] step [[ONE]] {
// CHECK-NEXT:      [[C16:%.*]] = arith.constant 16 : index
// CHECK-NEXT:      [[TCOL:%.*]] = arith.addi [[C16]], [[TL]] : index
// CHECK-NEXT:      memref.load %b[{{%.*}}, [[TCOL]]] : memref<3x20xf32>
// CHECK:         func.return

// -----

// A 2-D B folds A's batch dims into the rows: A and Y are collapsed to 18 x 9 and
// 18 x 16 (one GEMM of 18 rows instead of 2 of 9).
func.func @main(%a: tensor<2x9x9xf32>, %b: tensor<9x16xf32>) -> tensor<2x9x16xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<2x9x9xf32>, tensor<9x16xf32>) -> tensor<2x9x16xf32>
  func.return %y : tensor<2x9x16xf32>
}
// CHECK-LABEL: func.func private @k0_MatMul(%a: memref<2x9x9xf32>, %b: memref<9x16xf32>, %y: memref<2x9x16xf32>)
// CHECK:         [[A2:%.*]] = memref.collapse_shape %a {{.*}} : memref<2x9x9xf32> into memref<18x9xf32>
// CHECK-NEXT:    [[Y2:%.*]] = memref.collapse_shape %y {{.*}} : memref<2x9x16xf32> into memref<18x16xf32>
// CHECK:         memref.load [[A2]]
// CHECK:         memref.store {{%.*}}, [[Y2]]
// CHECK-NOT:     memref.store {{%.*}}, %y[

// -----

// Gemm with transB = 1: the packing walks B as [n, k], so the tiles read the panel
// contiguously; alpha and beta * C are applied in the final body, before the one store.
func.func @main(%a: tensor<12x5xf32>, %b: tensor<16x5xf32>, %c: tensor<16xf32>) -> tensor<12x16xf32> {
  %y = "onnx.Gemm"(%a, %b, %c) <{alpha = 5.000000e-01 : f32, beta = 2.000000e+00 : f32, transB = 1 : i64}> : (tensor<12x5xf32>, tensor<16x5xf32>, tensor<16xf32>) -> tensor<12x16xf32>
  func.return %y : tensor<12x16xf32>
}
// CHECK-LABEL: func.func private @k0_Gemm(%a: memref<12x5xf32>, %b: memref<16x5xf32>, %c: memref<16xf32>, %y: memref<12x16xf32>)
// CHECK:         ^bb0([[J0:%.*]]: index):
// CHECK:           scf.for [[PK:%.*]] =
// CHECK:             scf.for [[PL:%.*]] =
// CHECK-NEXT:          [[COL:%.*]] = arith.addi [[J0]], [[PL]] : index
// CHECK-NEXT:          memref.load %b[[[COL]], [[PK]]] : memref<16x5xf32>
// K = 5: one main body of 2 k steps (8 FMAs), then the final body of 3 k steps x 4 rows (12 rows:
// three tiles); the sum of row 0 is its 9th FMA, the 17th in all.
// CHECK-COUNT-16:  math.fma
// CHECK:           [[SUM:%.*]] = math.fma
// CHECK-COUNT-3:   math.fma
// CHECK-NEXT:      [[J:%.*]] = arith.addi [[J0]], {{%.*}} : index
// CHECK-NEXT:      [[ALPHA:%.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      [[SA:%.*]] = arith.mulf [[SUM]], [[ALPHA]] : f32
// CHECK-NEXT:      [[CV:%.*]] = memref.load %c[[[J]]] : memref<16xf32>
// CHECK-NEXT:      [[BETA:%.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      [[SC:%.*]] = arith.mulf [[CV]], [[BETA]] : f32
// CHECK-NEXT:      [[R:%.*]] = arith.addf [[SA]], [[SC]] : f32
// CHECK-NEXT:      memref.store [[R]], %y[{{%.*}}, [[J]]] : memref<12x16xf32>

// -----

// Not tiled: f64 (the tiled kernel is f32-only) keeps the plain loop nest with the
// accumulator carried in iter_args.
func.func @main(%a: tensor<4x8xf64>, %b: tensor<8x16xf64>) -> tensor<4x16xf64> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<4x8xf64>, tensor<8x16xf64>) -> tensor<4x16xf64>
  func.return %y : tensor<4x16xf64>
}
// CHECK-LABEL: func.func private @k0_MatMul(%a: memref<4x8xf64>, %b: memref<8x16xf64>, %y: memref<4x16xf64>)
// CHECK-NOT:     memref.alloca
// CHECK-NOT:     math.fma
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (f64) {
// CHECK:         func.return

// -----

// Not tiled: fewer than 8 output columns (nothing to vectorize along N).
func.func @main(%a: tensor<8x8xf32>, %b: tensor<8x7xf32>) -> tensor<8x7xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<8x8xf32>, tensor<8x7xf32>) -> tensor<8x7xf32>
  func.return %y : tensor<8x7xf32>
}
// CHECK-LABEL: func.func private @k0_MatMul(%a: memref<8x8xf32>, %b: memref<8x7xf32>, %y: memref<8x7xf32>)
// CHECK-NOT:     memref.alloca
// CHECK-NOT:     math.fma
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (f32) {
// CHECK:         func.return
