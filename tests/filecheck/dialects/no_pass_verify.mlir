// opt-tool verifies the module it read before any pass runs: an invalid input is
// reported (with --verify-diagnostics) and never printed or lowered to loops.
//
// RUN: opt-tool %s --split-input-file --verify-diagnostics | filecheck %s
// RUN: opt-tool %s --split-input-file --verify-diagnostics -p convert-onnx-to-loops | filecheck %s

func.func @main(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.Add"(%a, %b) : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.Add: shapes [2, 3], [4] do not broadcast

// -----

func.func @main(%x: tensor<4xi32>) -> tensor<4xi32> {
  %0 = "onnx.Sqrt"(%x) : (tensor<4xi32>) -> tensor<4xi32>
  func.return %0 : tensor<4xi32>
}
// CHECK: onnx.Sqrt: X must have a floating-point element type, got i32
