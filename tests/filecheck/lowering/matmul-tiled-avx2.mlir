// The register-tiled GEMM built for an AVX2 CPU (znver3: 16 vector registers of 8
// floats; lowering/kernels/matmul.py, tiled_vector_lanes): full 16-column panels run
// tiles of 6 rows whose k loop carries the 6 x 16 accumulators as 12 vector<8xf32>
// values (B's row of the packed panel as 2 vector loads, A broadcast, 12 vector.fma per
// k step); the sums go to the 6 x 16 stack tile and the final body (the last 2 k steps,
// tiled_k_unroll) is a lane loop that stores Y. Rows left over (20 = 3 x 6 + 2) take one
// tile of their own count, explicit vectors too.
// RUN: opt-tool %s -p 'convert-onnx-to-loops{cpu=znver3}' | filecheck %s

func.func @main(%a: tensor<20x8xf32>, %b: tensor<8x16xf32>) -> tensor<20x16xf32> {
  %y = "onnx.MatMul"(%a, %b) : (tensor<20x8xf32>, tensor<8x16xf32>) -> tensor<20x16xf32>
  func.return %y : tensor<20x16xf32>
}
// CHECK-LABEL: func.func private @k0_MatMul(%a: memref<20x8xf32>, %b: memref<8x16xf32>, %y: memref<20x16xf32>)
// CHECK:         [[ACC:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<96xf32>
// CHECK-NEXT:    [[PANEL:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<128xf32>
// Three 6-row tiles: rows 0 to 18 in steps of 6.
// CHECK:         [[R18:%.*]] = arith.constant 18 : index
// CHECK-NEXT:    [[R6:%.*]] = arith.constant 6 : index
// CHECK-NEXT:    scf.for [[I:%.*]] = {{%.*}} to [[R18]] step [[R6]] {
// CHECK:           [[ZERO:%.*]] = vector.broadcast {{%.*}} : f32 to vector<8xf32>
// K = 8: k = 0..5 in the vector loop, 12 accumulators carried.
// CHECK:           [[K6:%.*]] = arith.constant 6 : index
// CHECK-NEXT:      [[K1:%.*]] = arith.constant 1 : index
// CHECK-NEXT:      {{(%[0-9]+, ){11}%[0-9]+}} = scf.for [[K:%.*]] = {{%.*}} to [[K6]] step [[K1]] iter_args({{.*}}[[ZERO]]) -> ({{(vector<8xf32>, ){11}vector<8xf32>}}) {
// CHECK-COUNT-2:     vector.load [[PANEL]][{{%.*}}] : memref<128xf32>, vector<8xf32>
// CHECK-NOT:         vector.load
// CHECK:             memref.load %a[[[I]], [[K]]] : memref<20x8xf32>
// CHECK-NEXT:        vector.broadcast
// CHECK-NEXT:        vector.fma
// CHECK-NEXT:        vector.fma
// CHECK-COUNT-10:    vector.fma
// CHECK-NOT:         vector.fma
// CHECK:             scf.yield {{.*}} : {{(vector<8xf32>, ){11}vector<8xf32>}}
// CHECK-NEXT:      }
// CHECK-COUNT-12:  vector.store {{%.*}}, [[ACC]][{{%.*}}] : memref<96xf32>, vector<8xf32>
// The final body: k = 6, 7 for the 6 rows in one lane loop, 12 FMAs, stores Y.
// CHECK:           scf.for [[LF:%.*]] =
// CHECK-COUNT-12:    math.fma
// CHECK-NOT:         math.fma
// CHECK:             memref.store {{%.*}}, %y
// CHECK:         }
// The two rows left: a 2-row tile of explicit vectors (4 accumulators), then the final body.
// CHECK:         {{(%[0-9]+, ){3}%[0-9]+}} = scf.for {{%.*}} = {{%.*}} to {{%.*}} step {{%.*}} iter_args({{.*}}) -> ({{(vector<8xf32>, ){3}vector<8xf32>}}) {
// CHECK-COUNT-2:   vector.load
// CHECK-COUNT-4:   vector.fma
// CHECK-NOT:       vector.fma
// CHECK:         scf.for {{%.*}} =
// CHECK-COUNT-4:   math.fma
// CHECK:           memref.store {{%.*}}, %y
