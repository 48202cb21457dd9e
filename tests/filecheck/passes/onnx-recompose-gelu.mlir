// onnx-recompose-gelu: x * 0.5 * (1 + erf(x / sqrt 2)) becomes onnx.Gelu and
// x * 0.5 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))) onnx.Gelu{approximate = "tanh"},
// in any grouping of the product; constants must be within 1e-4 relative. Each case
// shows a pattern firing or a reason it must not.
// RUN: opt-tool %s -p onnx-recompose-gelu --split-input-file | filecheck %s

// The torch export: Div(x, sqrt 2), Erf, Add 1, Mul x, Mul 0.5 -> Gelu.
func.func @gelu_torch(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %s2 = "onnx.Constant"() <{value = dense<1.41421354> : tensor<f32>}> : () -> tensor<f32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %half = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %t = "onnx.Div"(%x, %s2) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %e = "onnx.Erf"(%t) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %p = "onnx.Add"(%e, %one) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %m = "onnx.Mul"(%x, %p) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Mul"(%m, %half) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @gelu_torch
// CHECK-NEXT:    %y = "onnx.Gelu"(%x) : (tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %y : tensor<2x4xf32>

// -----

// Mul by 1/sqrt 2 (what onnx-simplify-algebra makes of the Div), 0.5 applied first.
func.func @gelu_half_first(%x: tensor<8xf32>) -> tensor<8xf32> {
  %r2 = "onnx.Constant"() <{value = dense<0.707106769> : tensor<f32>}> : () -> tensor<f32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %half = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %t = "onnx.Mul"(%x, %r2) : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %e = "onnx.Erf"(%t) : (tensor<8xf32>) -> tensor<8xf32>
  %p = "onnx.Add"(%one, %e) : (tensor<f32>, tensor<8xf32>) -> tensor<8xf32>
  %h = "onnx.Mul"(%x, %half) : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y = "onnx.Mul"(%h, %p) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  func.return %y : tensor<8xf32>
}
// CHECK-LABEL: func.func @gelu_half_first
// CHECK-NEXT:    %y = "onnx.Gelu"(%x) : (tensor<8xf32>) -> tensor<8xf32>
// CHECK-NEXT:    func.return %y : tensor<8xf32>

// -----

// FastGELU with x^3 as Mul(x, Mul(x, x)) -> Gelu approximate = "tanh".
func.func @fast_gelu(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %c = "onnx.Constant"() <{value = dense<0.797884583> : tensor<f32>}> : () -> tensor<f32>
  %c2 = "onnx.Constant"() <{value = dense<0.044715> : tensor<f32>}> : () -> tensor<f32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %half = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %xx = "onnx.Mul"(%x, %x) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %x3 = "onnx.Mul"(%x, %xx) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %k = "onnx.Mul"(%c2, %x3) : (tensor<f32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %w = "onnx.Add"(%x, %k) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %u = "onnx.Mul"(%w, %c) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %th = "onnx.Tanh"(%u) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %p = "onnx.Add"(%th, %one) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %ph = "onnx.Mul"(%p, %half) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %y = "onnx.Mul"(%x, %ph) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @fast_gelu
// CHECK-NEXT:    %y = "onnx.Gelu"(%x) <{approximate = "tanh"}> : (tensor<2x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %y : tensor<2x4xf32>

// -----

// Not fired: the divisor 1.5 is not sqrt 2 within 1e-4.
func.func @wrong_constant(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %s2 = "onnx.Constant"() <{value = dense<1.5> : tensor<f32>}> : () -> tensor<f32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %half = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %t = "onnx.Div"(%x, %s2) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %e = "onnx.Erf"(%t) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %p = "onnx.Add"(%e, %one) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %m = "onnx.Mul"(%x, %p) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Mul"(%m, %half) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @wrong_constant
// CHECK-NOT:     onnx.Gelu
// CHECK:         func.return %y

// -----

// Not fired: the Erf result is also returned (an intermediate with another use).
func.func @extra_use(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %s2 = "onnx.Constant"() <{value = dense<1.41421354> : tensor<f32>}> : () -> tensor<f32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %half = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %t = "onnx.Div"(%x, %s2) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %e = "onnx.Erf"(%t) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %p = "onnx.Add"(%e, %one) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %m = "onnx.Mul"(%x, %p) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Mul"(%m, %half) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  func.return %y, %e : tensor<2x4xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func @extra_use
// CHECK-NOT:     onnx.Gelu
// CHECK:         func.return %y, %e

// -----

// Not fired: the product is x * 0.5 * (1 + erf(z / sqrt 2)) of another tensor z.
func.func @other_x(%x: tensor<2x4xf32>, %z: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %s2 = "onnx.Constant"() <{value = dense<1.41421354> : tensor<f32>}> : () -> tensor<f32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %half = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %t = "onnx.Div"(%z, %s2) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %e = "onnx.Erf"(%t) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  %p = "onnx.Add"(%e, %one) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %m = "onnx.Mul"(%x, %p) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Mul"(%m, %half) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @other_x
// CHECK-NOT:     onnx.Gelu
// CHECK:         func.return %y
