// Verifier errors of comparisons, logic, Where and Cast.
// (`-p dce` makes opt-tool verify; see elementwise_invalid.mlir.)
// RUN: opt-tool %s --split-input-file --verify-diagnostics -p dce | filecheck %s

func.func @equal_result_not_bool(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "onnx.Equal"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
// CHECK: onnx.Equal: result must have element type i1 (bool), got f32

// -----

func.func @less_mixed_types(%a: tensor<4xf32>, %b: tensor<4xi64>) -> tensor<4xi1> {
  %0 = "onnx.Less"(%a, %b) : (tensor<4xf32>, tensor<4xi64>) -> tensor<4xi1>
  func.return %0 : tensor<4xi1>
}
// CHECK: onnx.Less: A and B must share one element type, got ['f32', 'i64']

// -----

func.func @greater_bool(%a: tensor<4xi1>, %b: tensor<4xi1>) -> tensor<4xi1> {
  %0 = "onnx.Greater"(%a, %b) : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  func.return %0 : tensor<4xi1>
}
// CHECK: onnx.Greater: A must have a numeric (integer or floating-point) element type, got i1

// -----

func.func @greater_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<2xf32>) -> tensor<2x3xi1> {
  %0 = "onnx.Greater"(%a, %b) : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x3xi1>
  func.return %0 : tensor<2x3xi1>
}
// CHECK: onnx.Greater: shapes [2, 3], [2] do not broadcast

// -----

func.func @not_float(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "onnx.Not"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
// CHECK: onnx.Not: input must have an i1 (bool) element type, got f32

// -----

func.func @where_condition_float(%c: tensor<4xf32>, %x: tensor<4xf32>, %y: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "onnx.Where"(%c, %x, %y) : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
// CHECK: onnx.Where: condition must have element type i1 (bool), got f32

// -----

func.func @where_branch_types(%c: tensor<4xi1>, %x: tensor<4xf32>, %y: tensor<4xi32>) -> tensor<4xf32> {
  %0 = "onnx.Where"(%c, %x, %y) : (tensor<4xi1>, tensor<4xf32>, tensor<4xi32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
// CHECK: onnx.Where: X, Y and output must share one element type, got ['f32', 'i32']

// -----

func.func @where_no_broadcast(%c: tensor<3xi1>, %x: tensor<2x4xf32>, %y: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = "onnx.Where"(%c, %x, %y) : (tensor<3xi1>, tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  func.return %0 : tensor<2x4xf32>
}
// CHECK: onnx.Where: shapes [3], [2, 4], [4] do not broadcast

// -----

func.func @cast_unknown_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "onnx.Cast"(%x) <{to = 99 : i64}> : (tensor<4xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
// CHECK: onnx.Cast: to = 99 is not an ONNX data type

// -----

func.func @cast_result_mismatch(%x: tensor<4xf32>) -> tensor<4xi32> {
  %0 = "onnx.Cast"(%x) <{to = 7 : i64}> : (tensor<4xf32>) -> tensor<4xi32>
  func.return %0 : tensor<4xi32>
}
// CHECK: onnx.Cast: to = 7 means element type i64, but the result has i32

// -----

func.func @cast_shape(%x: tensor<4xf32>) -> tensor<2x2xf64> {
  %0 = "onnx.Cast"(%x) <{to = 11 : i64}> : (tensor<4xf32>) -> tensor<2x2xf64>
  func.return %0 : tensor<2x2xf64>
}
// CHECK: onnx.Cast: input shape [4] and result shape [2, 2] differ

// -----

func.func @cast_saturate(%x: tensor<4xf32>) -> tensor<4xf64> {
  %0 = "onnx.Cast"(%x) <{to = 11 : i64, saturate = 2 : i64}> : (tensor<4xf32>) -> tensor<4xf64>
  func.return %0 : tensor<4xf64>
}
// CHECK: onnx.Cast: saturate must be 0 or 1, got 2

// -----

func.func @cast_missing_to(%x: tensor<4xf32>) -> tensor<4xf64> {
  %0 = "onnx.Cast"(%x) : (tensor<4xf32>) -> tensor<4xf64>
  func.return %0 : tensor<4xf64>
}
// CHECK: property 'to' expected in operation 'onnx.Cast'
