// RUN: opt-tool %s -p convert-onnx-to-loops,plan-memory | filecheck %s
// plan-memory writes Concat inputs in place into the Concat's output (alias_concats):
// each batch-1 Concat whose parts are contiguous runs of its output is dropped, its
// inputs lie in its output's bytes, and a second Concat of the same features (f0 and
// f1 again, then f2: DenseNet's pattern) is the same buffer, longer. Every tensor part
// is 16 floats = 64 bytes. Nothing is copied: no Concat call is left, and its kernels
// are gone.
func.func @main(%x: tensor<1x16xf32>) -> tensor<1x48xf32> {
  %f0 = "onnx.Relu"(%x) : (tensor<1x16xf32>) -> tensor<1x16xf32>
  %f1 = "onnx.Neg"(%f0) : (tensor<1x16xf32>) -> tensor<1x16xf32>
  %c1 = "onnx.Concat"(%f0, %f1) <{axis = 1 : i64}> : (tensor<1x16xf32>, tensor<1x16xf32>) -> tensor<1x32xf32>
  %m = "onnx.ReduceMax"(%c1) <{keepdims = 1 : i64}> : (tensor<1x32xf32>) -> tensor<1x1xf32>
  %f2 = "onnx.Mul"(%f1, %m) : (tensor<1x16xf32>, tensor<1x1xf32>) -> tensor<1x16xf32>
  %c2 = "onnx.Concat"(%f0, %f1, %f2) <{axis = 1 : i64}> : (tensor<1x16xf32>, tensor<1x16xf32>, tensor<1x16xf32>) -> tensor<1x48xf32>
  %y = "onnx.Relu"(%c2) : (tensor<1x48xf32>) -> tensor<1x48xf32>
  func.return %y : tensor<1x48xf32>
}

// CHECK-NOT:   func.func private @k2_Concat
// CHECK-NOT:   func.func private @k5_Concat
// CHECK-LABEL: func.func @main(%x: memref<1x16xf32>, %out0: memref<1x48xf32>, %arena: memref<256xi8>)
// CHECK-SAME:    strata.arena_bytes = 256 : i64, strata.naive_bytes = 576 : i64
// CHECK:         %f0 = memref.view %arena[%off0][] : memref<256xi8> to memref<1x16xf32>
// CHECK-NEXT:    %f1 = memref.view %arena[%off64][] : memref<256xi8> to memref<1x16xf32>
// CHECK-NEXT:    func.call @k0_Relu(%x, %f0)
// CHECK-NEXT:    func.call @k1_Neg(%f0, %f1)
// CHECK-NEXT:    %c1 = memref.view %arena[%off0][] : memref<256xi8> to memref<1x32xf32>
// CHECK:         func.call @k3_ReduceMax(%c1, %m)
// CHECK-NEXT:    %f2 = memref.view %arena[%off128][] : memref<256xi8> to memref<1x16xf32>
// CHECK-NEXT:    func.call @k4_Mul(%f1, %m, %f2)
// CHECK-NEXT:    %c2 = memref.view %arena[%off0][] : memref<256xi8> to memref<1x48xf32>
// CHECK-NEXT:    func.call @k6_Relu(%c2, %out0)
// CHECK-NEXT:    func.return
