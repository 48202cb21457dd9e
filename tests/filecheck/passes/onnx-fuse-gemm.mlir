// onnx-fuse-gemm: 2-D MatMul + bias Add becomes Gemm, [1, 0] Transposes of a
// MatMul/Gemm operand fold into transA/transB, and a scalar constant Mul/Div of a
// MatMul/Gemm result folds into alpha (and beta). Each case shows a pattern firing or a
// reason it must not fire. The Gemm takes the result (and name) of the op it replaces.
// RUN: opt-tool %s -p onnx-fuse-gemm --split-input-file | filecheck %s

// MatMul + Add of a [N] bias -> Gemm(A, B, bias) (alpha = beta = 1, left out).
func.func @matmul_add(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %bias: tensor<4xf32>) -> tensor<2x4xf32> {
  %m = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Add"(%m, %bias) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @matmul_add
// CHECK-NEXT:    %y = "onnx.Gemm"(%a, %b, %bias) : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %y : tensor<2x4xf32>

// -----

// The bias first, shaped [M, 1] (broadcasts along N): still Gemm(A, B, bias).
func.func @bias_first_column(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %bias: tensor<2x1xf32>) -> tensor<2x4xf32> {
  %m = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Add"(%bias, %m) : (tensor<2x1xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @bias_first_column
// CHECK-NEXT:    %y = "onnx.Gemm"(%a, %b, %bias) : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<2x1xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %y : tensor<2x4xf32>

// -----

// Transposes of A and B fold into a MatMul (-> Gemm without C, transA = transB = 1);
// a Gemm with transB = 1 reading a Transpose gets transB toggled back to 0 (left out).
// %bt is also returned, so that Transpose stays.
func.func @transpose(%at: tensor<3x2xf32>, %bt: tensor<4x3xf32>, %w: tensor<3x4xf32>, %c: tensor<4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x4xf32>) {
  %ta = "onnx.Transpose"(%at) <{perm = array<i64: 1, 0>}> : (tensor<3x2xf32>) -> tensor<2x3xf32>
  %tb = "onnx.Transpose"(%bt) : (tensor<4x3xf32>) -> tensor<3x4xf32>
  %m = "onnx.MatMul"(%ta, %tb) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %tw = "onnx.Transpose"(%w) <{perm = array<i64: 1, 0>}> : (tensor<3x4xf32>) -> tensor<4x3xf32>
  %g = "onnx.Gemm"(%ta, %tw, %c) <{transB = 1 : i64, alpha = 2.0 : f32}> : (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  func.return %m, %g, %tb : tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x4xf32>
}
// CHECK-LABEL: func.func @transpose
// CHECK-NEXT:    %tb = "onnx.Transpose"(%bt) : (tensor<4x3xf32>) -> tensor<3x4xf32>
// CHECK-NEXT:    %m = "onnx.Gemm"(%at, %bt) <{transA = 1 : i64, transB = 1 : i64}> : (tensor<3x2xf32>, tensor<4x3xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    %g = "onnx.Gemm"(%at, %w, %c) <{alpha = 2.000000e+00 : f32, transA = 1 : i64}> : (tensor<3x2xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %m, %g, %tb : tensor<2x4xf32>, tensor<2x4xf32>, tensor<3x4xf32>

// -----

// MatMul * 4 (constant first) -> Gemm(alpha = 4); Gemm(C, alpha = 2, beta = 3) / 2 ->
// alpha = 1 (left out), beta = 1.5.
func.func @scale(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %c: tensor<1x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %four = "onnx.Constant"() <{value = dense<4.0> : tensor<f32>}> : () -> tensor<f32>
  %two = "onnx.Constant"() <{value = dense<2.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %m = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Mul"(%four, %m) : (tensor<f32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %g = "onnx.Gemm"(%a, %b, %c) <{alpha = 2.0 : f32, beta = 3.0 : f32}> : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
  %z = "onnx.Div"(%g, %two) : (tensor<2x4xf32>, tensor<1xf32>) -> tensor<2x4xf32>
  func.return %y, %z : tensor<2x4xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func @scale
// CHECK-NEXT:    %y = "onnx.Gemm"(%a, %b) <{alpha = 4.000000e+00 : f32}> : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    %z = "onnx.Gemm"(%a, %b, %c) <{beta = 1.500000e+00 : f32}> : (tensor<2x3xf32>, tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %y, %z : tensor<2x4xf32>, tensor<2x4xf32>

// -----

// All three: MatMul(Transpose(X), W) + b, then * 0.5 -> one Gemm (transA, alpha, beta).
func.func @chain(%x: tensor<3x2xf32>, %w: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  %half = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %xt = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (tensor<3x2xf32>) -> tensor<2x3xf32>
  %m = "onnx.MatMul"(%xt, %w) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %s = "onnx.Add"(%m, %b) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Mul"(%s, %half) : (tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  func.return %y : tensor<2x4xf32>
}
// CHECK-LABEL: func.func @chain
// CHECK-NEXT:    %y = "onnx.Gemm"(%x, %w, %b) <{alpha = 5.000000e-01 : f32, beta = 5.000000e-01 : f32, transA = 1 : i64}> : (tensor<3x2xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    func.return %y : tensor<2x4xf32>

// -----

// Does NOT fire: a batched (3-D) MatMul is not a Gemm; an integer MatMul (Gemm is used
// for floats only); the MatMul result %m3 is also returned (a second use: the graph
// still needs the value without the bias).
func.func @no_fire_kinds(%a: tensor<2x2x3xf32>, %b: tensor<3x4xf32>, %bias: tensor<4xf32>, %ia: tensor<2x3xi32>, %ib: tensor<3x4xi32>, %ibias: tensor<4xi32>, %a2: tensor<2x3xf32>) -> (tensor<2x2x4xf32>, tensor<2x4xi32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %m = "onnx.MatMul"(%a, %b) : (tensor<2x2x3xf32>, tensor<3x4xf32>) -> tensor<2x2x4xf32>
  %y = "onnx.Add"(%m, %bias) : (tensor<2x2x4xf32>, tensor<4xf32>) -> tensor<2x2x4xf32>
  %im = "onnx.MatMul"(%ia, %ib) : (tensor<2x3xi32>, tensor<3x4xi32>) -> tensor<2x4xi32>
  %iy = "onnx.Add"(%im, %ibias) : (tensor<2x4xi32>, tensor<4xi32>) -> tensor<2x4xi32>
  %m3 = "onnx.MatMul"(%a2, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %y3 = "onnx.Add"(%m3, %bias) : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  func.return %y, %iy, %y3, %m3 : tensor<2x2x4xf32>, tensor<2x4xi32>, tensor<2x4xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func @no_fire_kinds
// CHECK-NEXT:    %m = "onnx.MatMul"(%a, %b)
// CHECK-NEXT:    %y = "onnx.Add"(%m, %bias)
// CHECK-NEXT:    %im = "onnx.MatMul"(%ia, %ib)
// CHECK-NEXT:    %iy = "onnx.Add"(%im, %ibias)
// CHECK-NEXT:    %m3 = "onnx.MatMul"(%a2, %b)
// CHECK-NEXT:    %y3 = "onnx.Add"(%m3, %bias)
// CHECK-NEXT:    func.return

// -----

// Does NOT fire: a [1, 2, 4] bias makes the Add result 1x2x4, not the MatMul's 2x4 (the
// Gemm result type would change); a Mul by a [2, 4] constant is not a scalar scale;
// Div with the constant as dividend (s / Y) is not a scale of Y; a Transpose with perm
// [0, 1] is not a transpose of the operand.
func.func @no_fire_shapes(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %bias3: tensor<1x2x4xf32>, %id: tensor<2x3xf32>) -> (tensor<1x2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %two = "onnx.Constant"() <{value = dense<2.0> : tensor<f32>}> : () -> tensor<f32>
  %k = "onnx.Constant"() <{value = dense<2.0> : tensor<2x4xf32>}> : () -> tensor<2x4xf32>
  %m = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %y = "onnx.Add"(%m, %bias3) : (tensor<2x4xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
  %m2 = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %y2 = "onnx.Mul"(%m2, %k) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %m3 = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %y3 = "onnx.Div"(%two, %m3) : (tensor<f32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  %t = "onnx.Transpose"(%id) <{perm = array<i64: 0, 1>}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %m4 = "onnx.MatMul"(%t, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  func.return %y, %y2, %y3, %m4 : tensor<1x2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func @no_fire_shapes
// CHECK:         %m = "onnx.MatMul"(%a, %b)
// CHECK-NEXT:    %y = "onnx.Add"(%m, %bias3)
// CHECK-NEXT:    %m2 = "onnx.MatMul"(%a, %b)
// CHECK-NEXT:    %y2 = "onnx.Mul"(%m2, %k)
// CHECK-NEXT:    %m3 = "onnx.MatMul"(%a, %b)
// CHECK-NEXT:    %y3 = "onnx.Div"(%two, %m3)
// CHECK-NEXT:    %t = "onnx.Transpose"(%id)
// CHECK-NEXT:    %m4 = "onnx.MatMul"(%t, %b)
// CHECK-NEXT:    func.return
