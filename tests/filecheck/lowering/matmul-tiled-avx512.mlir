// The register-tiled GEMM built for an AVX-512 CPU (znver4: 32 vector registers of 16
// floats; lowering/kernels/matmul.py, tiled_vector_lanes / tiled_vector_rows): panels of
// 32 columns (the stack panel is K x 32; a packed B is read as two adjacent 16-column
// panels) run tiles of 12 rows whose k loop carries the 12 x 32 accumulators as 24
// vector<16xf32> values (2 vector loads of the panel row, A broadcast, 24 vector.fma per
// k step), MLAS's AVX-512 SGEMM tile; the sums go to the 12 x 32 stack tile and the final
// body (the last 4 k steps, tiled_k_unroll) is one lane loop of 16 per half of the tile,
// which stores Y. Rows left over (26 = 2 x 12 + 2) take one tile of their own count; the
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
// Two 12-row tiles: rows 0 to 24 in steps of 12; K = 8: 4 k steps in vectors.
// CHECK:           [[R24:%.*]] = arith.constant 24 : index
// CHECK-NEXT:      [[R12:%.*]] = arith.constant 12 : index
// CHECK-NEXT:      scf.for [[I:%.*]] = {{%.*}} to [[R24]] step [[R12]] {
// CHECK:             [[K4:%.*]] = arith.constant 4 : index
// CHECK:             scf.for [[K:%.*]] = {{%.*}} to [[K4]] step {{%.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK:               vector.load [[PANEL]][{{%.*}}] : memref<256xf32>, vector<16xf32>
// CHECK:               vector.load [[PANEL]][{{%.*}}] : memref<256xf32>, vector<16xf32>
// CHECK:               memref.load %a[[[I]], [[K]]] : memref<26x8xf32>
// CHECK-NEXT:          vector.broadcast
// CHECK-NEXT:          vector.fma
// CHECK-NEXT:          vector.fma
// CHECK-COUNT-22:      vector.fma
// CHECK-NEXT:          scf.yield
// CHECK-COUNT-24:    vector.store {{%.*}}, [[ACC]][{{%.*}}] : memref<384xf32>, vector<16xf32>
// Final body, columns 0..15: the sums from the tile, 12 rows x 4 k steps, 12 stores of Y.
// CHECK:             scf.for [[L0:%.*]] =
// CHECK-NEXT:          memref.load [[ACC]][[[L0]]] : memref<384xf32>
// CHECK-COUNT-48:      math.fma
// CHECK-NEXT:          [[Y0:%.*]] = arith.addi [[J0]], [[L0]] : index
// CHECK-NEXT:          memref.store {{%.*}}, %y[[[I]], [[Y0]]] : memref<26x56xf32>
// CHECK-COUNT-11:      memref.store {{%.*}}, %y
// Columns 16..31: the other half of the tile (its sums at 16 + 32 r + l).
// CHECK:             scf.for [[L1:%.*]] =
// CHECK-NEXT:          [[C16:%.*]] = arith.constant 16 : index
// CHECK-NEXT:          [[S1:%.*]] = arith.addi [[C16]], [[L1]] : index
// CHECK-NEXT:          memref.load [[ACC]][[[S1]]] : memref<384xf32>
// CHECK-COUNT-48:      math.fma
// CHECK-COUNT-12:      memref.store {{%.*}}, %y
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
