// Reductions: loops over the kept dims, an inner loop per reduced axis carrying the
// accumulator in iter_args (0 for sums, -inf / the integer minimum for max), a store
// per kept index (a constant 0 index on keepdims dims); ReduceMean divides by the
// static count. The axes operand (a constant) is passed but never read.
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

func.func @main(%x: tensor<2x3x4xf32>) -> (tensor<2x1x4xf32>, tensor<2x4xf32>) {
  %axes = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %mean = "onnx.ReduceMean"(%x, %axes) : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x1x4xf32>
  %sum = "onnx.ReduceSum"(%x, %axes) <{keepdims = 0 : i64}> : (tensor<2x3x4xf32>, tensor<1xi64>) -> tensor<2x4xf32>
  func.return %mean, %sum : tensor<2x1x4xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func private @k0_ReduceMean(%x: memref<2x3x4xf32>, %axes: memref<1xi64>, %mean: memref<2x1x4xf32>)
// The kept dims are one scf.parallel (one output element per iteration).
// CHECK:         [[H0:%.*]] = arith.constant 2 : index
// CHECK-NEXT:    [[H2:%.*]] = arith.constant 4 : index
// CHECK:         "scf.parallel"({{%.*}}, {{%.*}}, [[H0]], [[H2]],
// CHECK-NEXT:    ^bb0([[I:%.*]]: index, [[K:%.*]]: index):
// CHECK-NEXT:        [[ZERO:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:        arith.constant 0 : index
// CHECK-NEXT:        [[H1:%.*]] = arith.constant 3 : index
// CHECK-NEXT:        arith.constant 1 : index
// CHECK-NEXT:        [[SUM:%.*]] = scf.for [[J:%.*]] = {{%.*}} to [[H1]] step {{%.*}} iter_args([[ACC:%.*]] = [[ZERO]]) -> (f32) {
// CHECK-NEXT:          [[V:%.*]] = memref.load %x[[[I]], [[J]], [[K]]] : memref<2x3x4xf32>
// CHECK-NEXT:          [[NEXT:%.*]] = arith.addf [[ACC]], [[V]] : f32
// CHECK-NEXT:          scf.yield [[NEXT]] : f32
// CHECK-NEXT:        }
// CHECK-NEXT:        [[CNT:%.*]] = arith.constant 3.000000e+00 : f32
// CHECK-NEXT:        [[MEAN:%.*]] = arith.divf [[SUM]], [[CNT]] : f32
// CHECK-NEXT:        [[Z:%.*]] = arith.constant 0 : index
// CHECK-NEXT:        memref.store [[MEAN]], %mean[[[I]], [[Z]], [[K]]] : memref<2x1x4xf32>
// CHECK-NOT:     memref.load %axes
// CHECK-LABEL: func.func private @k1_ReduceSum(%x: memref<2x3x4xf32>, %axes: memref<1xi64>, %sum: memref<2x4xf32>)
// CHECK:         [[SUM:%.*]] = scf.for {{.*}} iter_args
// CHECK:         memref.store [[SUM]], %sum[[[I:%.*]], [[K:%.*]]] : memref<2x4xf32>

// -----

// All axes, keepdims=0: one loop nest of iter_args loops, a rank-0 store; the max
// starts at -inf for floats and at the i64 minimum for integers.
func.func @main(%x: tensor<2x3xf32>, %i: tensor<2x3xi64>) -> (tensor<f32>, tensor<2xi64>) {
  %max = "onnx.ReduceMax"(%x) <{keepdims = 0 : i64}> : (tensor<2x3xf32>) -> tensor<f32>
  %axes = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %imax = "onnx.ReduceMax"(%i, %axes) <{keepdims = 0 : i64}> : (tensor<2x3xi64>, tensor<1xi64>) -> tensor<2xi64>
  func.return %max, %imax : tensor<f32>, tensor<2xi64>
}
// CHECK-LABEL: func.func private @k0_ReduceMax(%x: memref<2x3xf32>, %max: memref<f32>)
// CHECK-NEXT:    [[INIT:%.*]] = arith.constant 0xff800000 : f32
// CHECK-NEXT:    arith.constant 0 : index
// CHECK-NEXT:    [[H0:%.*]] = arith.constant 2 : index
// CHECK-NEXT:    arith.constant 1 : index
// CHECK-NEXT:    [[R:%.*]] = scf.for [[I:%.*]] = {{%.*}} to [[H0]] step {{%.*}} iter_args([[A:%.*]] = [[INIT]]) -> (f32) {
// CHECK-NEXT:      arith.constant 0 : index
// CHECK-NEXT:      [[H1:%.*]] = arith.constant 3 : index
// CHECK-NEXT:      arith.constant 1 : index
// CHECK-NEXT:      [[R1:%.*]] = scf.for [[J:%.*]] = {{%.*}} to [[H1]] step {{%.*}} iter_args([[B:%.*]] = [[A]]) -> (f32) {
// CHECK-NEXT:        [[V:%.*]] = memref.load %x[[[I]], [[J]]] : memref<2x3xf32>
// CHECK-NEXT:        [[M:%.*]] = arith.maximumf [[B]], [[V]] : f32
// CHECK-NEXT:        scf.yield [[M]] : f32
// CHECK-NEXT:      }
// CHECK-NEXT:      scf.yield [[R1]] : f32
// CHECK-NEXT:    }
// CHECK-NEXT:    memref.store [[R]], %max[] : memref<f32>
// CHECK-LABEL: func.func private @k1_ReduceMax(%i: memref<2x3xi64>, %axes: memref<1xi64>, %imax: memref<2xi64>)
// CHECK:           [[INIT:%.*]] = arith.constant -9223372036854775808 : i64
// CHECK:           scf.for {{.*}} iter_args([[A:%.*]] = [[INIT]]) -> (i64) {
// CHECK-NEXT:        [[V:%.*]] = memref.load %i
// CHECK-NEXT:        [[M:%.*]] = arith.maxsi [[A]], [[V]] : i64
