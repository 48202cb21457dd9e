// onnx-recompose-norms: decomposed LayerNorm chains (ReduceMean/Sub/square/ReduceMean/
// Add eps/Sqrt/Div [* gamma] [+ beta]) become onnx.LayerNormalization, RMSNorm chains
// (square/ReduceMean/Add eps/Sqrt/Div or Mul by Reciprocal [* gamma]) become
// strata.RMSNormalization; each case shows a pattern firing or a reason it must not.
// RUN: opt-tool %s -p onnx-recompose-norms --split-input-file | filecheck %s

// The torch export form -> LayerNormalization(x, gamma, beta), epsilon from the constant.
func.func @layer_norm(%x: tensor<2x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  %ax = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %two = "onnx.Constant"() <{value = dense<2.0> : tensor<f32>}> : () -> tensor<f32>
  %eps = "onnx.Constant"() <{value = dense<1.0e-05> : tensor<f32>}> : () -> tensor<f32>
  %m = "onnx.ReduceMean"(%x, %ax) : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %d = "onnx.Sub"(%x, %m) : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %sq = "onnx.Pow"(%d, %two) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %v = "onnx.ReduceMean"(%sq, %ax) : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %ve = "onnx.Add"(%v, %eps) : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %s = "onnx.Sqrt"(%ve) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %n = "onnx.Div"(%d, %s) : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %y1 = "onnx.Mul"(%n, %g) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Add"(%y1, %b) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @layer_norm
// CHECK-NEXT:    %y = "onnx.LayerNormalization"(%x, %g, %b) <{axis = -1 : i64, epsilon = 1.000000e-05 : f32, resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %y : tensor<2x4xf32>

// -----

// Mul(d, d), Mul by Reciprocal(Sqrt), eps first in the Add, no gamma / beta: a ones
// gamma is made, no beta.
func.func @layer_norm_bare(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %ax = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %eps = "onnx.Constant"() <{value = dense<1.0e-06> : tensor<1xf32>}> : () -> tensor<1xf32>
  %m = "onnx.ReduceMean"(%x, %ax) : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1xf32>
  %d = "onnx.Sub"(%x, %m) : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %sq = "onnx.Mul"(%d, %d) : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %v = "onnx.ReduceMean"(%sq, %ax) : (tensor<3x4xf32>, tensor<1xi64>) -> tensor<3x1xf32>
  %ve = "onnx.Add"(%eps, %v) : (tensor<1xf32>, tensor<3x1xf32>) -> tensor<3x1xf32>
  %s = "onnx.Sqrt"(%ve) : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %r = "onnx.Reciprocal"(%s) : (tensor<3x1xf32>) -> tensor<3x1xf32>
  %y = "onnx.Mul"(%d, %r) : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  func.return %y : tensor<3x4xf32>
}
// CHECK-LABEL: func.func @layer_norm_bare
// CHECK-NEXT:    %y_gamma = "onnx.Constant"() <{value = dense<1.000000e+00> : tensor<4xf32>}> : () -> tensor<4xf32>
// CHECK-NEXT:    %y = "onnx.LayerNormalization"(%x, %y_gamma) <{axis = -1 : i64, epsilon = 1.000000e-06 : f32, resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
// CHECK-NEXT:    func.return %y : tensor<3x4xf32>

// -----

// Not fired: the variance is also returned (an intermediate with another use), so
// neither a LayerNorm nor an RMSNorm of x - mean is formed.
func.func @variance_returned(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x1xf32>) {
  %ax = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %eps = "onnx.Constant"() <{value = dense<1.0e-05> : tensor<f32>}> : () -> tensor<f32>
  %m = "onnx.ReduceMean"(%x, %ax) : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %d = "onnx.Sub"(%x, %m) : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %sq = "onnx.Mul"(%d, %d) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %v = "onnx.ReduceMean"(%sq, %ax) : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %ve = "onnx.Add"(%v, %eps) : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %s = "onnx.Sqrt"(%ve) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %y = "onnx.Div"(%d, %s) : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  func.return %y, %v : tensor<2x4xf32>, tensor<2x1xf32>
}
// CHECK-LABEL: func.func @variance_returned
// CHECK-NOT:     LayerNormalization
// CHECK-NOT:     RMSNormalization
// CHECK:         %y = "onnx.Div"(%d, %s)

// -----

// Not fired: the statistics are over axis 1 of a rank-3 tensor, not the last axis.
func.func @wrong_axis(%x: tensor<2x4x3xf32>) -> tensor<2x4x3xf32> {
  %ax = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %eps = "onnx.Constant"() <{value = dense<1.0e-05> : tensor<f32>}> : () -> tensor<f32>
  %m = "onnx.ReduceMean"(%x, %ax) : (tensor<2x4x3xf32>, tensor<1xi64>) -> tensor<2x1x3xf32>
  %d = "onnx.Sub"(%x, %m) : (tensor<2x4x3xf32>, tensor<2x1x3xf32>) -> tensor<2x4x3xf32>
  %sq = "onnx.Mul"(%d, %d) : (tensor<2x4x3xf32>, tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
  %v = "onnx.ReduceMean"(%sq, %ax) : (tensor<2x4x3xf32>, tensor<1xi64>) -> tensor<2x1x3xf32>
  %ve = "onnx.Add"(%v, %eps) : (tensor<2x1x3xf32>, tensor<f32>) -> tensor<2x1x3xf32>
  %s = "onnx.Sqrt"(%ve) : (tensor<2x1x3xf32>) -> tensor<2x1x3xf32>
  %y = "onnx.Div"(%d, %s) : (tensor<2x4x3xf32>, tensor<2x1x3xf32>) -> tensor<2x4x3xf32>
  func.return %y : tensor<2x4x3xf32>
}
// CHECK-LABEL: func.func @wrong_axis
// CHECK-NOT:     Normalization
// CHECK:         %y = "onnx.Div"(%d, %s)

// -----

// RMSNorm: x * Reciprocal(Sqrt(mean(x^2) + eps)) * gamma (gamma first) -> RMSNormalization.
func.func @rms_norm(%x: tensor<2x4xf32>, %g: tensor<4xf32>) -> tensor<2x4xf32> {
  %ax = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %two = "onnx.Constant"() <{value = dense<2> : tensor<i64>}> : () -> tensor<i64>
  %eps = "onnx.Constant"() <{value = dense<1.0e-06> : tensor<f32>}> : () -> tensor<f32>
  %sq = "onnx.Pow"(%x, %two) : (tensor<2x4xf32>, tensor<i64>) -> tensor<2x4xf32>
  %v = "onnx.ReduceMean"(%sq, %ax) : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %ve = "onnx.Add"(%v, %eps) : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %s = "onnx.Sqrt"(%ve) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %r = "onnx.Reciprocal"(%s) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %n = "onnx.Mul"(%x, %r) : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  %y = "onnx.Mul"(%g, %n) : (tensor<4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @rms_norm
// CHECK-NEXT:    %y = "strata.RMSNormalization"(%x, %g) <{axis = -1 : i64, epsilon = 1.000000e-06 : f32}> : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %y : tensor<2x4xf32>

// -----

// Not fired: eps is a function argument, not a constant.
func.func @rms_eps_not_constant(%x: tensor<2x4xf32>, %eps: tensor<f32>) -> tensor<2x4xf32> {
  %ax = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %sq = "onnx.Mul"(%x, %x) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %v = "onnx.ReduceMean"(%sq, %ax) : (tensor<2x4xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %ve = "onnx.Add"(%v, %eps) : (tensor<2x1xf32>, tensor<f32>) -> tensor<2x1xf32>
  %s = "onnx.Sqrt"(%ve) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %y = "onnx.Div"(%x, %s) : (tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @rms_eps_not_constant
// CHECK-NOT:     RMSNormalization
// CHECK:         %y = "onnx.Div"(%x, %s)
