// fused-group (lowering/kernels/fused_group.py): convert-onnx-to-loops lowers a
// strata.FusedKernel made by fuse-kernels to ONE kernel with ONE loop nest over the
// group's iteration shape: each external input is loaded once per element (%x is read
// once although Add and Mul both use it; %b with broadcast indices), every op's scalar
// body runs in registers, and each group output is stored once — %s (also a graph
// output) and %y — with no buffer for the Relu in between. The entry makes one call.
// RUN: opt-tool %s -p fuse-kernels,convert-onnx-to-loops | filecheck %s

func.func @main(%x: tensor<2x3xf32>, %b: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %s = "onnx.Add"(%x, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %r = "onnx.Relu"(%s) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = "onnx.Mul"(%r, %x) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %y, %s : tensor<2x3xf32>, tensor<2x3xf32>
}
// CHECK-LABEL: func.func private @k0_FusedKernel(%x: memref<2x3xf32>, %b: memref<3xf32>, %s: memref<2x3xf32>, %y: memref<2x3xf32>)
// CHECK-SAME:    strata.onnx_op = "Fused(Add,Relu,Mul)", strata.elementwise
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[I:%.*]]: index):
// CHECK:           scf.for [[J:%.*]] =
// CHECK-NEXT:        [[X:%.*]] = memref.load %x[[[I]], [[J]]] : memref<2x3xf32>
// CHECK-NEXT:        [[B:%.*]] = memref.load %b[[[J]]] : memref<3xf32>
// CHECK-NEXT:        [[S:%.*]] = arith.addf [[X]], [[B]] : f32
// CHECK-NEXT:        [[Z:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:        [[R:%.*]] = arith.maximumf [[S]], [[Z]] : f32
// CHECK-NEXT:        [[Y:%.*]] = arith.mulf [[R]], [[X]] : f32
// CHECK-NEXT:        memref.store [[S]], %s[[[I]], [[J]]] : memref<2x3xf32>
// CHECK-NEXT:        memref.store [[Y]], %y[[[I]], [[J]]] : memref<2x3xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:      scf.reduce
// CHECK-NEXT:    })
// CHECK-NEXT:    func.return
// CHECK:       func.func @main(
// CHECK-NOT:     memref.alloc
// CHECK:         func.call @k0_FusedKernel(
// CHECK-NOT:     func.call
