// Verifier errors of MatMul and Gemm.
// RUN: opt-tool %s --split-input-file --verify-diagnostics | filecheck %s

func.func @matmul_inner(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  %0 = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  func.return %0 : tensor<2x5xf32>
}
// CHECK: onnx.MatMul: inner dimensions differ: A [2, 3] and B [4, 5]

// -----

func.func @matmul_scalar(%a: tensor<f32>, %b: tensor<4xf32>) -> tensor<f32> {
  %0 = "onnx.MatMul"(%a, %b) : (tensor<f32>, tensor<4xf32>) -> tensor<f32>
  func.return %0 : tensor<f32>
}
// CHECK: onnx.MatMul: A must have rank >= 1, got rank 0 (tensor<f32>)

// -----

func.func @matmul_batch(%a: tensor<2x3x4xf32>, %b: tensor<3x4x5xf32>) -> tensor<2x3x5xf32> {
  %0 = "onnx.MatMul"(%a, %b) : (tensor<2x3x4xf32>, tensor<3x4x5xf32>) -> tensor<2x3x5xf32>
  func.return %0 : tensor<2x3x5xf32>
}
// CHECK: onnx.MatMul: shapes [2], [3] do not broadcast

// -----

func.func @matmul_result(%a: tensor<4xf32>, %b: tensor<4x5xf32>) -> tensor<1x5xf32> {
  %0 = "onnx.MatMul"(%a, %b) : (tensor<4xf32>, tensor<4x5xf32>) -> tensor<1x5xf32>
  func.return %0 : tensor<1x5xf32>
}
// CHECK: onnx.MatMul: Y has shape [1, 5], expected [5]

// -----

func.func @matmul_bool(%a: tensor<2x2xi1>, %b: tensor<2x2xi1>) -> tensor<2x2xi1> {
  %0 = "onnx.MatMul"(%a, %b) : (tensor<2x2xi1>, tensor<2x2xi1>) -> tensor<2x2xi1>
  func.return %0 : tensor<2x2xi1>
}
// CHECK: onnx.MatMul: A must have a numeric (integer or floating-point) element type, got i1

// -----

func.func @gemm_rank(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x5xf32> {
  %0 = "onnx.Gemm"(%a, %b) : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  func.return %0 : tensor<3x5xf32>
}
// CHECK: onnx.Gemm: A must have rank 2, got rank 3 (tensor<2x3x4xf32>)

// -----

func.func @gemm_trans_flag(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x5xf32> {
  %0 = "onnx.Gemm"(%a, %b) <{transA = 2 : i64}> : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  func.return %0 : tensor<3x5xf32>
}
// CHECK: onnx.Gemm: transA must be 0 or 1, got 2

// -----

// transB=1 wants B as (N, K).
func.func @gemm_inner_transposed(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<3x4xf32> {
  %0 = "onnx.Gemm"(%a, %b) <{transB = 1 : i64}> : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x4xf32>
  func.return %0 : tensor<3x4xf32>
}
// CHECK: onnx.Gemm: inner dimensions differ: A [3, 4] (transA=0) and B [4, 5] (transB=1)

// -----

func.func @gemm_bias(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>, %c: tensor<3xf32>) -> tensor<3x5xf32> {
  %0 = "onnx.Gemm"(%a, %b, %c) : (tensor<3x4xf32>, tensor<4x5xf32>, tensor<3xf32>) -> tensor<3x5xf32>
  func.return %0 : tensor<3x5xf32>
}
// CHECK: onnx.Gemm: C [3] does not broadcast to (M, N) = [3, 5]

// -----

func.func @gemm_result(%a: tensor<3x4xf32>, %b: tensor<4x5xf32>) -> tensor<5x3xf32> {
  %0 = "onnx.Gemm"(%a, %b) : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<5x3xf32>
  func.return %0 : tensor<5x3xf32>
}
// CHECK: onnx.Gemm: Y has shape [5, 3], expected [3, 5]

// -----

func.func @gemm_types(%a: tensor<3x4xf32>, %b: tensor<4x5xf64>) -> tensor<3x5xf32> {
  %0 = "onnx.Gemm"(%a, %b) : (tensor<3x4xf32>, tensor<4x5xf64>) -> tensor<3x5xf32>
  func.return %0 : tensor<3x5xf32>
}
// CHECK: onnx.Gemm: A, B, C and Y must share one element type, got ['f32', 'f64']
