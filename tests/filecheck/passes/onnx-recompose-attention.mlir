// onnx-recompose-attention: Softmax of a scaled (Mul / Div by a scalar constant) and/or
// masked (Add) input becomes strata.ScaledMaskedSoftmax; MatMul(Softmax(MatMul(Q, K_t)
// ...), V) becomes strata.Attention (a Transpose making K_t stays a separate op). Each
// case shows a pattern firing or a reason it must not.
// RUN: opt-tool %s -p onnx-recompose-attention --split-input-file | filecheck %s

// The torch export: Transpose(K), MatMul, Div(sqrt d), Add(mask), Softmax, MatMul ->
// Attention(Q, K_t, V, mask) with scale = 1 / sqrt(8).
func.func @attention(%q: tensor<2x4x8xf32>, %k: tensor<2x4x8xf32>, %v: tensor<2x4x6xf32>, %mask: tensor<4x4xf32>) -> tensor<2x4x6xf32> {
  %c = "onnx.Constant"() <{value = dense<2.828427> : tensor<f32>}> : () -> tensor<f32>
  %kt = "onnx.Transpose"(%k) <{perm = array<i64: 0, 2, 1>}> : (tensor<2x4x8xf32>) -> tensor<2x8x4xf32>
  %s = "onnx.MatMul"(%q, %kt) : (tensor<2x4x8xf32>, tensor<2x8x4xf32>) -> tensor<2x4x4xf32>
  %sc = "onnx.Div"(%s, %c) : (tensor<2x4x4xf32>, tensor<f32>) -> tensor<2x4x4xf32>
  %sm = "onnx.Add"(%sc, %mask) : (tensor<2x4x4xf32>, tensor<4x4xf32>) -> tensor<2x4x4xf32>
  %p = "onnx.Softmax"(%sm) <{axis = -1 : i64}> : (tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %y = "onnx.MatMul"(%p, %v) : (tensor<2x4x4xf32>, tensor<2x4x6xf32>) -> tensor<2x4x6xf32>
  func.return %y : tensor<2x4x6xf32>
}
// CHECK-LABEL: func.func @attention
// CHECK-NEXT:    %kt = "onnx.Transpose"(%k) <{perm = array<i64: 0, 2, 1>}> : (tensor<2x4x8xf32>) -> tensor<2x8x4xf32>
// CHECK-NEXT:    %y = "strata.Attention"(%q, %kt, %v, %mask) <{scale = 0.353553385 : f32}> : (tensor<2x4x8xf32>, tensor<2x8x4xf32>, tensor<2x4x6xf32>, tensor<4x4xf32>) -> tensor<2x4x6xf32>
// CHECK-NEXT:    func.return %y : tensor<2x4x6xf32>

// -----

// No scale, no mask, K_t a plain argument: Attention with scale 1 and no mask.
func.func @plain(%q: tensor<3x8xf32>, %kt: tensor<8x5xf32>, %v: tensor<5x2xf32>) -> tensor<3x2xf32> {
  %s = "onnx.MatMul"(%q, %kt) : (tensor<3x8xf32>, tensor<8x5xf32>) -> tensor<3x5xf32>
  %p = "onnx.Softmax"(%s) : (tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = "onnx.MatMul"(%p, %v) : (tensor<3x5xf32>, tensor<5x2xf32>) -> tensor<3x2xf32>
  func.return %y : tensor<3x2xf32>
}
// CHECK-LABEL: func.func @plain
// CHECK-NEXT:    %y = "strata.Attention"(%q, %kt, %v) <{scale = 1.000000e+00 : f32}> : (tensor<3x8xf32>, tensor<8x5xf32>, tensor<5x2xf32>) -> tensor<3x2xf32>
// CHECK-NEXT:    func.return %y : tensor<3x2xf32>

// -----

// Scale and mask without the MatMuls around: ScaledMaskedSoftmax (the constant on the
// left of the Mul, the mask on the left of the Add).
func.func @softmax(%x: tensor<2x4xf32>, %mask: tensor<1x4xf32>) -> tensor<2x4xf32> {
  %c = "onnx.Constant"() <{value = dense<0.125> : tensor<f32>}> : () -> tensor<f32>
  %sc = "onnx.Mul"(%c, %x) : (tensor<f32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %sm = "onnx.Add"(%mask, %sc) : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %p = "onnx.Softmax"(%sm) <{axis = 1 : i64}> : (tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return %p : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @softmax
// CHECK-NEXT:    %p = "strata.ScaledMaskedSoftmax"(%x, %mask) <{scale = 1.250000e-01 : f32, axis = -1 : i64}> : (tensor<2x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %p : tensor<2x4xf32>

// -----

// Not fired: the softmax is over axis 0, not the last axis.
func.func @wrong_axis(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %c = "onnx.Constant"() <{value = dense<0.125> : tensor<f32>}> : () -> tensor<f32>
  %sc = "onnx.Mul"(%x, %c) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %p = "onnx.Softmax"(%sc) <{axis = 0 : i64}> : (tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return %p : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @wrong_axis
// CHECK-NEXT:    %c = "onnx.Constant"
// CHECK-NEXT:    %sc = "onnx.Mul"(%x, %c)
// CHECK-NEXT:    %p = "onnx.Softmax"(%sc) <{axis = 0 : i64}>

// -----

// Not fired: the scaled scores are also returned (an intermediate with another use);
// neither the softmax nor the attention is formed.
func.func @scores_returned(%q: tensor<3x8xf32>, %kt: tensor<8x5xf32>, %v: tensor<5x2xf32>) -> (tensor<3x2xf32>, tensor<3x5xf32>) {
  %c = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %s = "onnx.MatMul"(%q, %kt) : (tensor<3x8xf32>, tensor<8x5xf32>) -> tensor<3x5xf32>
  %sc = "onnx.Mul"(%s, %c) : (tensor<3x5xf32>, tensor<f32>) -> tensor<3x5xf32>
  %p = "onnx.Softmax"(%sc) : (tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = "onnx.MatMul"(%p, %v) : (tensor<3x5xf32>, tensor<5x2xf32>) -> tensor<3x2xf32>
  func.return %y, %sc : tensor<3x2xf32>, tensor<3x5xf32>
}
// CHECK-LABEL: func.func @scores_returned
// CHECK-NOT:     strata.
// CHECK:         func.return %y, %sc

// -----

// Only the Attention is not formed when the probabilities are also returned; the
// softmax chain still becomes one ScaledMaskedSoftmax.
func.func @probs_returned(%q: tensor<3x8xf32>, %kt: tensor<8x5xf32>, %v: tensor<5x2xf32>) -> (tensor<3x2xf32>, tensor<3x5xf32>) {
  %c = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %s = "onnx.MatMul"(%q, %kt) : (tensor<3x8xf32>, tensor<8x5xf32>) -> tensor<3x5xf32>
  %sc = "onnx.Mul"(%s, %c) : (tensor<3x5xf32>, tensor<f32>) -> tensor<3x5xf32>
  %p = "onnx.Softmax"(%sc) : (tensor<3x5xf32>) -> tensor<3x5xf32>
  %y = "onnx.MatMul"(%p, %v) : (tensor<3x5xf32>, tensor<5x2xf32>) -> tensor<3x2xf32>
  func.return %y, %p : tensor<3x2xf32>, tensor<3x5xf32>
}
// CHECK-LABEL: func.func @probs_returned
// CHECK-NEXT:    %s = "onnx.MatMul"(%q, %kt)
// CHECK-NEXT:    %p = "strata.ScaledMaskedSoftmax"(%s) <{scale = 5.000000e-01 : f32, axis = -1 : i64}>
// CHECK-NEXT:    %y = "onnx.MatMul"(%p, %v)
