// The register-tiled GEMM built for an AVX-512 CPU (znver4: 32 vector registers of 16
// floats; lowering/kernels/matmul.py, tiled_vector_lanes / tiled_vector_rows): panels of
// 32 columns (the stack panel is K x 32; a packed B is read as two adjacent 16-column
// panels) run tiles of 12 rows whose k loop carries the 12 x 32 accumulators as 24
// vector<16xf32> values (2 vector loads of the panel row, A broadcast, 24 vector.fma per
// k step), MLAS's AVX-512 SGEMM tile. The vector loop runs all of K; the sums go to the
// 12 x 32 stack tile and one lane loop over its 32 columns finishes and stores Y (no k
// steps there, unlike the AVX2 tile's final body). Rows left over (26 = 2 x 12 + 2) take one tile of their own count; the
// N % 32 = 24 columns left take a 16-column panel (12 x 16 vector tiles) and an 8-column
// one (the lane-loop tile of matmul-tiled.mlir).
// RUN: opt-tool %s -p 'convert-onnx-to-loops{cpu=znver4}' | filecheck %s

func.func @main(%a: tensor<26x8xf32>, %b: tensor<8x56xf32>) -> tensor<26x56xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<26x8xf32>, tensor<8x56xf32>) -> tensor<26x56xf32>
  func.return %y : tensor<26x56xf32>
}
// CHECK-LABEL: func.func private @k0_MatMul(%a: memref<26x8xf32>, %b: memref<8x56xf32>, %y: memref<26x56xf32>)
// One parallel panel of 32 columns (columns 0..31), a 12 x 32 tile and a K x 32 panel.
// CHECK-NEXT:    [[LO:%.*]] = arith.constant 0 : index
// CHECK-NEXT:    [[N32:%.*]] = arith.constant 32 : index
// CHECK-NEXT:    [[S32:%.*]] = arith.constant 32 : index
// CHECK-NEXT:    "scf.parallel"([[LO]], [[N32]], [[S32]])
// CHECK-NEXT:    ^bb0([[J0:%.*]]: index):
// CHECK-NEXT:      [[ACC:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<384xf32>
// CHECK-NEXT:      [[PANEL:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<256xf32>
// Packing: panel[k * 32 + l] = B[k, j0 + l].
// CHECK:           memref.load %b[{{%.*}}, {{%.*}}] : memref<8x56xf32>
// CHECK:           memref.store {{%.*}}, [[PANEL]][{{%.*}}] : memref<256xf32>
// Two 12-row tiles: rows 0 to 24 in steps of 12; K = 8: all 8 k steps in vectors.
// CHECK:           [[R24:%.*]] = arith.constant 24 : index
// CHECK-NEXT:      [[R12:%.*]] = arith.constant 12 : index
// CHECK-NEXT:      scf.for [[I:%.*]] = {{%.*}} to [[R24]] step [[R12]] {
// CHECK:             [[K8:%.*]] = arith.constant 8 : index
// CHECK:             scf.for [[K:%.*]] = {{%.*}} to [[K8]] step {{%.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:               vector.load [[PANEL]][{{%.*}}] : memref<256xf32>, vector<16xf32>
// CHECK:               vector.load [[PANEL]][{{%.*}}] : memref<256xf32>, vector<16xf32>
// CHECK:               memref.load %a[[[I]], [[K]]] : memref<26x8xf32>
// CHECK-NEXT:          vector.broadcast
// CHECK-NEXT:          vector.fma
// CHECK-NEXT:          vector.fma
// CHECK-COUNT-22:      vector.fma
// CHECK-NEXT:          scf.yield
// CHECK-COUNT-24:    vector.store {{%.*}}, [[ACC]][{{%.*}}] : memref<384xf32>, vector<16xf32>
// Final body: a lane loop over the 32 columns, the 12 sums from the tile (row r at
// 32 r + l), no FMAs, 12 stores of Y.
// CHECK:             [[W32:%.*]] = arith.constant 32 : index
// CHECK-NEXT:        [[ONE:%.*]] = arith.constant 1 : index
// CHECK-NEXT:        scf.for [[L:%.*]] = {{%.*}} to [[W32]] step [[ONE]] {
// CHECK-NEXT:          memref.load [[ACC]][[[L]]] : memref<384xf32>
// CHECK-NEXT:          [[C32:%.*]] = arith.constant 32 : index
// CHECK-NEXT:          [[S1:%.*]] = arith.addi [[C32]], [[L]] : index
// CHECK-NEXT:          memref.load [[ACC]][[[S1]]] : memref<384xf32>
// CHECK-NOT:           math.fma
// CHECK:               [[Y0:%.*]] = arith.addi [[J0]], [[L]] : index
// CHECK-NEXT:          memref.store {{%.*}}, %y[[[I]], [[Y0]]] : memref<26x56xf32>
// CHECK-COUNT-11:      memref.store {{%.*}}, %y
// CHECK-NEXT:        }
// CHECK-NEXT:      }
// The 2 rows left: 4 vector accumulators.
// CHECK:           scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:           scf.reduce
// Columns 32..47 (after the parallel loop): a 16-column panel, 12 x 16 tiles of 12
// vector accumulators.
// CHECK:         memref.alloca() {alignment = 64 : i64} : memref<192xf32>
// CHECK-NEXT:    [[PANEL16:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<128xf32>
// CHECK:         scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// Columns 48..55: an 8-wide lane-loop panel, 4-row tiles, no vectors.
// CHECK:         memref.alloca() {alignment = 64 : i64} : memref<192xf32>
// CHECK-NEXT:    memref.alloca() {alignment = 64 : i64} : memref<128xf32>
// CHECK-NOT:     vector.fma
// CHECK:         math.fma
// CHECK-NOT:     vector.fma
// CHECK:         func.return
