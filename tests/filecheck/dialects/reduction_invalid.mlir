// Verifier errors of ReduceMean / ReduceSum / ReduceMax (axes as an input, opset 18+).
// RUN: opt-tool %s --split-input-file --verify-diagnostics | filecheck %s

func.func @reduce_keepdims_flag(%x: tensor<2x3xf32>) -> tensor<1x1xf32> {
  %0 = "onnx.ReduceMean"(%x) <{keepdims = 2 : i64}> : (tensor<2x3xf32>) -> tensor<1x1xf32>
  func.return %0 : tensor<1x1xf32>
}
// CHECK: onnx.ReduceMean: keepdims must be 0 or 1, got 2

// -----

func.func @reduce_axes_float(%x: tensor<2x3xf32>, %axes: tensor<1xf32>) -> tensor<2x1xf32> {
  %0 = "onnx.ReduceSum"(%x, %axes) : (tensor<2x3xf32>, tensor<1xf32>) -> tensor<2x1xf32>
  func.return %0 : tensor<2x1xf32>
}
// CHECK: onnx.ReduceSum: axes must have element type i32 or i64, got f32

// -----

func.func @reduce_axes_rank(%x: tensor<2x3xf32>, %axes: tensor<1x1xi64>) -> tensor<2x1xf32> {
  %0 = "onnx.ReduceSum"(%x, %axes) : (tensor<2x3xf32>, tensor<1x1xi64>) -> tensor<2x1xf32>
  func.return %0 : tensor<2x1xf32>
}
// CHECK: onnx.ReduceSum: axes must have rank 1, got rank 2 (tensor<1x1xi64>)

// -----

func.func @reduce_too_many_axes(%x: tensor<2x3xf32>, %axes: tensor<3xi64>) -> tensor<1x1xf32> {
  %0 = "onnx.ReduceMax"(%x, %axes) : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<1x1xf32>
  func.return %0 : tensor<1x1xf32>
}
// CHECK: onnx.ReduceMax: axes has 3 entries for a rank-2 input

// -----

func.func @reduce_keepdims_rank(%x: tensor<2x3xf32>, %axes: tensor<1xi64>) -> tensor<2xf32> {
  %0 = "onnx.ReduceMean"(%x, %axes) : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
// CHECK: onnx.ReduceMean: reduced must have rank 2, got rank 1 (tensor<2xf32>)

// -----

func.func @reduce_dropped_rank(%x: tensor<2x3x4xf32>, %axes: tensor<2xi64>) -> tensor<2x4xf32> {
  %0 = "onnx.ReduceSum"(%x, %axes) <{keepdims = 0 : i64}> : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x4xf32>
  func.return %0 : tensor<2x4xf32>
}
// CHECK: onnx.ReduceSum: reduced must have rank 1, got rank 2 (tensor<2x4xf32>)

// -----

func.func @reduce_all_no_keepdims(%x: tensor<2x3xf32>) -> tensor<1xf32> {
  %0 = "onnx.ReduceMax"(%x) <{keepdims = 0 : i64}> : (tensor<2x3xf32>) -> tensor<1xf32>
  func.return %0 : tensor<1xf32>
}
// CHECK: onnx.ReduceMax: reduced must have rank 0, got rank 1 (tensor<1xf32>)

// -----

func.func @reduce_noop(%x: tensor<2x3xf32>) -> tensor<1x1xf32> {
  %0 = "onnx.ReduceSum"(%x) <{noop_with_empty_axes = 1 : i64}> : (tensor<2x3xf32>) -> tensor<1x1xf32>
  func.return %0 : tensor<1x1xf32>
}
// CHECK: onnx.ReduceSum: reduced has shape [1, 1], expected [2, 3]

// -----

func.func @reduce_sum_bool(%x: tensor<2x3xi1>) -> tensor<1x1xi1> {
  %0 = "onnx.ReduceSum"(%x) : (tensor<2x3xi1>) -> tensor<1x1xi1>
  func.return %0 : tensor<1x1xi1>
}
// CHECK: onnx.ReduceSum: data must have a numeric (integer or floating-point) element type, got i1

// -----

func.func @reduce_result_type(%x: tensor<2x3xf32>) -> tensor<1x1xf64> {
  %0 = "onnx.ReduceMean"(%x) : (tensor<2x3xf32>) -> tensor<1x1xf64>
  func.return %0 : tensor<1x1xf64>
}
// CHECK: onnx.ReduceMean: data and reduced must share one element type, got ['f32', 'f64']
