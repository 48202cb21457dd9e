// convert-onnx-to-loops on strata.FusedKernel groups (formed by fuse-kernels): one
// kernel per group, one loop nest over the iteration shape, each external input
// loaded once per element (broadcast inputs with their own indices), the ops' scalar
// bodies chained in registers, each group output stored once. Intermediates get no
// buffer: no memref.alloc in the kernel or in the entry.
// RUN: opt-tool %s --split-input-file -p fuse-kernels,convert-onnx-to-loops | filecheck %s

// Add (broadcast bias) -> Relu -> Mul: the kernel is named after the fused op types
// and marked elementwise (the memory planner's in-place check reads that).
func.func @main(%x: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> attributes {strata.input_names = ["x", "b"], strata.output_names = ["y"]} {
  %s = "onnx.Add"(%x, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %r = "onnx.Relu"(%s) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = "onnx.Mul"(%r, %s) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %y : tensor<2x3xf32>
}
// CHECK-LABEL: func.func private @k0_FusedKernel(%x: memref<2x3xf32>, %b: memref<3xf32>, %y: memref<2x3xf32>)
// CHECK-SAME:      strata.onnx_op = "Fused(Add,Relu,Mul)", strata.elementwise
// CHECK-NOT:     memref.alloc
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[I:%.*]]: index):
// CHECK:           scf.for [[J:%.*]] = {{.*}} {
// CHECK-NEXT:        [[X:%.*]] = memref.load %x[[[I]], [[J]]] : memref<2x3xf32>
// CHECK-NEXT:        [[B:%.*]] = memref.load %b[[[J]]] : memref<3xf32>
// CHECK-NEXT:        [[S:%.*]] = arith.addf [[X]], [[B]] : f32
// CHECK-NEXT:        [[ZERO:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:        [[R:%.*]] = arith.maximumf [[S]], [[ZERO]] : f32
// CHECK-NEXT:        [[Y:%.*]] = arith.mulf [[R]], [[S]] : f32
// CHECK-NEXT:        memref.store [[Y]], %y[[[I]], [[J]]] : memref<2x3xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:      scf.reduce
// CHECK-NEXT:    })
// CHECK-NEXT:    func.return
// CHECK-LABEL: func.func @main
// CHECK-NOT:     memref.alloc
// CHECK:         func.call @k0_FusedKernel(%x, %b, %out0)
// CHECK-NEXT:    func.return

// -----

// Softmax with a Mul epilogue: Softmax's own loops, and at its store the Mul runs on
// the stored value. %p is also a graph output, so it is still stored; %y is stored
// from the same loop iteration.
func.func @main(%x: tensor<2x4xf32>, %w: tensor<4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) attributes {strata.input_names = ["x", "w"], strata.output_names = ["y", "p"]} {
  %p = "onnx.Softmax"(%x) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Mul"(%p, %w) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  func.return %y, %p : tensor<2x4xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func private @k0_FusedKernel(%x: memref<2x4xf32>, %w: memref<4xf32>, %p: memref<2x4xf32>, %y: memref<2x4xf32>)
// CHECK-SAME:      strata.onnx_op = "Fused(Softmax,Mul)"
// CHECK-NOT:     strata.elementwise
// CHECK-NOT:     memref.alloc
// CHECK:             scf.yield
// CHECK:             scf.yield
// CHECK:           scf.for [[J:%.*]] = {{.*}} {
// CHECK-NEXT:        memref.load %x
// CHECK-NEXT:        arith.subf
// CHECK-NEXT:        [[E:%.*]] = math.exp
// CHECK-NEXT:        [[P:%.*]] = arith.divf [[E]], {{%.*}} : f32
// CHECK-NEXT:        [[W:%.*]] = memref.load %w[[[J]]] : memref<4xf32>
// CHECK-NEXT:        [[Y:%.*]] = arith.mulf [[P]], [[W]] : f32
// CHECK-NEXT:        memref.store [[Y]], %y[{{%.*}}, [[J]]] : memref<2x4xf32>
// CHECK-NEXT:        memref.store [[P]], %p[{{%.*}}, [[J]]] : memref<2x4xf32>
// CHECK-NEXT:      }
// CHECK-LABEL: func.func @main
// CHECK-NEXT:    func.call @k0_FusedKernel(%x, %w, %out1, %out0)
// CHECK-NEXT:    func.return

// -----

// LayerNormalization -> Relu where the normalized value is used only inside the group:
// it is never stored, only the Relu's result is.
func.func @main(%x: tensor<2x4xf32>, %g: tensor<4xf32>) -> tensor<2x4xf32> attributes {strata.input_names = ["x", "g"], strata.output_names = ["y"]} {
  %n = "onnx.LayerNormalization"(%x, %g) <{resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Relu"(%n) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func private @k0_FusedKernel(%x: memref<2x4xf32>, %g: memref<4xf32>, %y: memref<2x4xf32>)
// CHECK-SAME:      strata.onnx_op = "Fused(LayerNormalization,Relu)"
// CHECK-NOT:     memref.alloc
// CHECK:         [[R:%.*]] = arith.maximumf
// CHECK-NEXT:    memref.store [[R]], %y
// CHECK-NOT:     memref.store
// CHECK:         func.return

// -----

// Mul -> ReduceSum -> Sqrt: the Mul (prologue) is recomputed where the reduction loads
// its input, the Sqrt (epilogue) applied where it stores: one loop nest reading x and
// the broadcast w, storing only y.
func.func @main(%x: tensor<3x4xf32>, %w: tensor<4xf32>) -> tensor<3x1xf32> attributes {strata.input_names = ["x", "w"], strata.output_names = ["y"]} {
  %axes = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %m = "onnx.Mul"(%x, %w) : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %s = "onnx.ReduceSum"(%m, %axes) : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1xf32>
  %y = "onnx.Sqrt"(%s) : (tensor<3x1xf32>) -> tensor<3x1xf32>
  func.return %y : tensor<3x1xf32>
}
// CHECK-LABEL: func.func private @k0_FusedKernel(%x: memref<3x4xf32>, %w: memref<4xf32>, %axes: memref<1xi64>, %y: memref<3x1xf32>)
// CHECK-SAME:      strata.onnx_op = "Fused(Mul,ReduceSum,Sqrt)"
// CHECK-NOT:     memref.alloc
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[I:%.*]]: index):
// CHECK:           [[SUM:%.*]] = scf.for [[J:%.*]] = {{.*}} iter_args([[ACC:%.*]] = {{%.*}}) -> (f32) {
// CHECK-NEXT:        [[X:%.*]] = memref.load %x[[[I]], [[J]]] : memref<3x4xf32>
// CHECK-NEXT:        [[W:%.*]] = memref.load %w[[[J]]] : memref<4xf32>
// CHECK-NEXT:        [[M:%.*]] = arith.mulf [[X]], [[W]] : f32
// CHECK-NEXT:        [[A:%.*]] = arith.addf [[ACC]], [[M]] : f32
// CHECK-NEXT:        scf.yield [[A]] : f32
// CHECK-NEXT:      }
// CHECK-NEXT:      [[ZERO:%.*]] = arith.constant 0 : index
// CHECK-NEXT:      [[R:%.*]] = math.sqrt [[SUM]] : f32
// CHECK-NEXT:      memref.store [[R]], %y[[[I]], [[ZERO]]] : memref<3x1xf32>
// CHECK-NEXT:      scf.reduce
// CHECK-NEXT:    })
// CHECK-NEXT:    func.return

// -----

// Conv -> Add(residual) -> Sigmoid: the Conv's own loops; its epilogue callback gets
// the sum at the store position, loads the residual there, runs Add and Sigmoid in
// registers and the kernel stores the Sigmoid into %y. The conv result has no buffer.
func.func @main(%x: tensor<1x2x3x3xf32>, %r: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> attributes {strata.input_names = ["x", "r"], strata.output_names = ["y"]} {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<2x2x1x1xf32>}> : () -> tensor<2x2x1x1xf32>
  %c = "onnx.Conv"(%x, %w) : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %a = "onnx.Add"(%c, %r) : (tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %y = "onnx.Sigmoid"(%a) : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  func.return %y : tensor<1x2x3x3xf32>
}
// CHECK-LABEL: func.func private @k0_FusedKernel(%x: memref<1x2x3x3xf32>, %w: memref<2x2x1x1xf32>, %r: memref<1x2x3x3xf32>, %y: memref<1x2x3x3xf32>)
// CHECK-SAME:      strata.onnx_op = "Fused(Conv,Add,Sigmoid)"
// CHECK-NOT:     strata.elementwise
// CHECK-NOT:     memref.alloc
// CHECK:                 arith.mulf
// CHECK-NEXT:            [[ACC:%.*]] = arith.addf
// CHECK-NEXT:            scf.yield [[ACC]] : f32
// CHECK:             [[R:%.*]] = memref.load %r[[[N:%.*]], [[M:%.*]], [[H:%.*]], [[W:%.*]]] : memref<1x2x3x3xf32>
// CHECK-NEXT:        [[S:%.*]] = arith.addf {{%.*}}, [[R]] : f32
// CHECK:             [[E:%.*]] = math.exp {{.*}} fastmath<afn>
// CHECK:             [[Y:%.*]] = arith.divf
// CHECK-NEXT:        memref.store [[Y]], %y[[[N]], [[M]], [[H]], [[W]]] : memref<1x2x3x3xf32>
// CHECK-NOT:     memref.store
// CHECK:         func.return
// CHECK-LABEL: func.func @main
// CHECK-NOT:     memref.alloc
// CHECK:         func.call @k0_FusedKernel(%x, %w, %r, %out0)

// -----

// Gemm (transB=0) -> Mul -> Relu with the Mul also returned: the Gemm accumulates into
// the buffer of the group output of its type (%y, the Mul's), and its final pass gets
// the callback: Mul and Relu in registers, %z stored there, then the Mul's value
// stored into %y by the Gemm kernel itself.
func.func @main(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %s: tensor<4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) attributes {strata.input_names = ["a", "b", "s"], strata.output_names = ["y", "z"]} {
  %g = "onnx.Gemm"(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Mul"(%g, %s) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %z = "onnx.Relu"(%y) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return %y, %z : tensor<2x4xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func private @k0_FusedKernel(%a: memref<2x3xf32>, %b: memref<3x4xf32>, %s: memref<4xf32>, %y: memref<2x4xf32>, %z: memref<2x4xf32>)
// CHECK-SAME:      strata.onnx_op = "Fused(Gemm,Mul,Relu)"
// CHECK-NOT:     memref.alloc
// CHECK:             memref.load %y
// CHECK:             memref.store {{%.*}}, %y
// CHECK:           scf.for [[J:%.*]] = {{.*}} {
// CHECK-NEXT:        [[G:%.*]] = memref.load %y[[[I:%.*]], [[J]]] : memref<2x4xf32>
// CHECK-NEXT:        [[S:%.*]] = memref.load %s[[[J]]] : memref<4xf32>
// CHECK-NEXT:        [[M:%.*]] = arith.mulf [[G]], [[S]] : f32
// CHECK-NEXT:        arith.constant 0.0
// CHECK-NEXT:        [[R:%.*]] = arith.maximumf [[M]]
// CHECK-NEXT:        memref.store [[R]], %z[[[I]], [[J]]] : memref<2x4xf32>
// CHECK-NEXT:        memref.store [[M]], %y[[[I]], [[J]]] : memref<2x4xf32>
// CHECK-NEXT:      }

// -----

// Relu -> MaxPool: the Relu (prologue) is recomputed at each window tap the pool loads;
// the Relu's result has no buffer.
func.func @main(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> attributes {strata.input_names = ["x"], strata.output_names = ["y"]} {
  %r = "onnx.Relu"(%x) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = "onnx.MaxPool"(%r) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  func.return %y : tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func private @k0_FusedKernel(%x: memref<1x2x4x4xf32>, %y: memref<1x2x2x2xf32>)
// CHECK-SAME:      strata.onnx_op = "Fused(Relu,MaxPool)"
// CHECK-NOT:     memref.alloc
// CHECK:               [[X:%.*]] = memref.load %x[{{.*}}] : memref<1x2x4x4xf32>
// CHECK-NEXT:          [[ZERO:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:          [[R:%.*]] = arith.maximumf [[X]], [[ZERO]] : f32
// CHECK-NEXT:          [[MAX:%.*]] = arith.maximumf {{%.*}}, [[R]] : f32
// CHECK-NEXT:          scf.yield [[MAX]] : f32
// CHECK:             memref.store {{%.*}}, %y
// CHECK-NEXT:      }
