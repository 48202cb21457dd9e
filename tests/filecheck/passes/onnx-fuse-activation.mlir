// onnx-fuse-activation: the residual add, bias add, scalar scale and activation after a
// Conv / Gemm / MatMul fold into one strata.FusedConv / FusedGemm / FusedMatMul, which
// takes the result (and name) of the last op it replaces. Cases that must not fuse say why.
// RUN: opt-tool %s -p onnx-fuse-activation --split-input-file | filecheck %s

// Conv -> Add(residual of the Conv result's type) -> Relu: FusedConv(x, w, b, z = r).
func.func @conv_residual_relu(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x3x3xf32>, %b: tensor<2xf32>, %r: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %c = "onnx.Conv"(%x, %w, %b) <{pads = array<i64: 1, 1, 1, 1>}> : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %s = "onnx.Add"(%r, %c) : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = "onnx.Relu"(%s) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  func.return %y : tensor<1x2x4x4xf32>
}
// CHECK-LABEL: func.func @conv_residual_relu
// CHECK-NEXT:    %y = "strata.FusedConv"(%x, %w, %b, %r) <{pads = array<i64: 1, 1, 1, 1>, activation = "Relu", operandSegmentSizes = array<i32: 1, 1, 1, 1>}> : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
// CHECK-NEXT:    func.return %y : tensor<1x2x4x4xf32>

// -----

// Clip with constant bounds -> activation_params [min, max]; a Sum of two operands is a
// residual too.
func.func @conv_sum_clip(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %lo = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %hi = "onnx.Constant"() <{value = dense<6.0> : tensor<f32>}> : () -> tensor<f32>
  %c = "onnx.Conv"(%x, %w) : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %s = "onnx.Sum"(%c, %x) : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = "onnx.Clip"(%s, %lo, %hi) <{operandSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<1x2x4x4xf32>, tensor<f32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  func.return %y : tensor<1x2x4x4xf32>
}
// CHECK-LABEL: func.func @conv_sum_clip
// CHECK-NEXT:    %y = "strata.FusedConv"(%x, %w, %x) <{activation = "Clip", activation_params = array<f32: 0.000000e+00, 6.000000e+00>, operandSegmentSizes = array<i32: 1, 1, 0, 1>}>
// CHECK-NEXT:    func.return %y

// -----

// Conv -> Swish (what onnx-recompose-swish makes of x * Sigmoid(x)): alpha is the param.
func.func @conv_swish(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %c = "onnx.Conv"(%x, %w) : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %y = "onnx.Swish"(%c) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  func.return %y : tensor<1x2x4x4xf32>
}
// CHECK-LABEL: func.func @conv_swish
// CHECK-NEXT:    %y = "strata.FusedConv"(%x, %w) <{activation = "Swish", activation_params = array<f32: 1.000000e+00>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}>
// CHECK-NEXT:    func.return %y

// -----

// Gemm -> LeakyRelu: FusedGemm keeps Gemm's properties, alpha of LeakyRelu is the param.
func.func @gemm_leaky(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>, %c: tensor<4xf32>) -> tensor<2x4xf32> {
  %g = "onnx.Gemm"(%a, %b, %c) <{transB = 1 : i64, alpha = 2.0 : f32}> : (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %y = "onnx.LeakyRelu"(%g) <{alpha = 0.25 : f32}> : (tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @gemm_leaky
// CHECK-NEXT:    %y = "strata.FusedGemm"(%a, %b, %c) <{transB = 1 : i64, alpha = 2.000000e+00 : f32, activation = "LeakyRelu", activation_params = array<f32: 2.500000e-01>}>
// CHECK-NEXT:    func.return %y

// -----

// Batched MatMul / 4 -> + bias -> Gelu(tanh): one FusedMatMul(alpha = 0.25, bias, GeluTanh).
func.func @matmul_scale_bias_gelu(%a: tensor<2x3x4xf32>, %b: tensor<4x5xf32>) -> tensor<2x3x5xf32> {
  %four = "onnx.Constant"() <{value = dense<4.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %bias = "onnx.Constant"() <{value = dense<[1.0, 2.0, 3.0, 4.0, 5.0]> : tensor<5xf32>}> : () -> tensor<5xf32>
  %m = "onnx.MatMul"(%a, %b) : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
  %s = "onnx.Div"(%m, %four) : (tensor<2x3x5xf32>, tensor<1xf32>) -> tensor<2x3x5xf32>
  %t = "onnx.Add"(%bias, %s) : (tensor<5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %y = "onnx.Gelu"(%t) <{approximate = "tanh"}> : (tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  func.return %y : tensor<2x3x5xf32>
}
// CHECK-LABEL: func.func @matmul_scale_bias_gelu
// CHECK:         %bias = "onnx.Constant"
// CHECK-NEXT:    %y = "strata.FusedMatMul"(%a, %b, %bias) <{alpha = 2.500000e-01 : f32, activation = "GeluTanh"}> : (tensor<2x3x4xf32>, tensor<4x5xf32>, tensor<5xf32>) -> tensor<2x3x5xf32>
// CHECK-NEXT:    func.return %y

// -----

// Must NOT fuse:
// - %c is also returned (a graph output): the Relu still needs the unfused value;
// - the Clip's min is a function argument, not a constant;
// - the [1, 2, 4] bias would change the [2, 4] MatMul result's shape;
// - a scale after the bias (FusedMatMul computes alpha * matmul + bias);
// - an integer MatMul (fused ops are float-only).
func.func @no_fusion(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %lo: tensor<f32>, %a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %ia: tensor<2x3xi32>, %ib: tensor<3x4xi32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4xf32>, tensor<2x4xf32>, tensor<2x4xi32>) {
  %bias = "onnx.Constant"() <{value = dense<1.0> : tensor<1x2x4xf32>}> : () -> tensor<1x2x4xf32>
  %bias2 = "onnx.Constant"() <{value = dense<1.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  %two = "onnx.Constant"() <{value = dense<2.0> : tensor<f32>}> : () -> tensor<f32>
  %c = "onnx.Conv"(%x, %w) : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r = "onnx.Relu"(%c) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %c2 = "onnx.Conv"(%x, %w) : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %cl = "onnx.Clip"(%c2, %lo) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<1x2x4x4xf32>, tensor<f32>) -> tensor<1x2x4x4xf32>
  %m = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %mb = "onnx.Add"(%m, %bias) : (tensor<2x4xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %m2 = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %m2b = "onnx.Add"(%m2, %bias2) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %m2s = "onnx.Mul"(%m2b, %two) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %im = "onnx.MatMul"(%ia, %ib) : (tensor<2x3xi32>, tensor<3x4xi32>) -> tensor<2x4xi32>
  %ir = "onnx.Relu"(%im) : (tensor<2x4xi32>) -> tensor<2x4xi32>
  func.return %r, %c, %cl, %mb, %m2s, %ir : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4xf32>, tensor<2x4xf32>, tensor<2x4xi32>
}
// CHECK-LABEL: func.func @no_fusion
// CHECK:         %c = "onnx.Conv"
// CHECK-NEXT:    %r = "onnx.Relu"(%c)
// CHECK-NEXT:    %c2 = "onnx.Conv"
// CHECK-NEXT:    %cl = "onnx.Clip"(%c2, %lo)
// CHECK-NEXT:    %m = "onnx.MatMul"
// CHECK-NEXT:    %mb = "onnx.Add"(%m, %bias)
// CHECK-NEXT:    %m2b = "strata.FusedMatMul"(%a, %b, %bias2)
// CHECK-NEXT:    %m2s = "onnx.Mul"(%m2b, %two)
// CHECK-NEXT:    %im = "onnx.MatMul"
// CHECK-NEXT:    %ir = "onnx.Relu"(%im)
