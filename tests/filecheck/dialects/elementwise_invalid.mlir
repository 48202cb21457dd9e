// Verifier errors of the elementwise ops: unary math/activations, binary arithmetic,
// variadic Max/Min, Clip, comparisons and logic, Where and Cast. Each case holds one
// invalid op; the message starts with the op name.
//
// RUN: opt-tool %s --split-input-file --verify-diagnostics | filecheck %s

func.func @add_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.Add"(%a, %b) : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.Add: shapes [2, 3], [4] do not broadcast

// -----

func.func @sub_mixed_types(%a: tensor<2x3xf32>, %b: tensor<2x3xi32>) -> tensor<2x3xf32> {
  %0 = "onnx.Sub"(%a, %b) : (tensor<2x3xf32>, tensor<2x3xi32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.Sub: A, B and C must share one element type, got ['f32', 'i32']

// -----

func.func @mul_wrong_result_shape(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) -> tensor<3x3xf32> {
  %0 = "onnx.Mul"(%a, %b) : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<3x3xf32>
  func.return %0 : tensor<3x3xf32>
}
// CHECK: onnx.Mul: result shape [3, 3] is not the broadcast shape [2, 3]

// -----

func.func @div_bool(%a: tensor<4xi1>, %b: tensor<4xi1>) -> tensor<4xi1> {
  %0 = "onnx.Div"(%a, %b) : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  func.return %0 : tensor<4xi1>
}
// CHECK: onnx.Div: A must have a numeric (integer or floating-point) element type, got i1

// -----

func.func @pow_result_type(%x: tensor<4xf32>, %y: tensor<4xi32>) -> tensor<4xi32> {
  %0 = "onnx.Pow"(%x, %y) : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xi32>
  func.return %0 : tensor<4xi32>
}
// CHECK: onnx.Pow: X and Z must share one element type, got ['f32', 'i32']

// -----

func.func @sqrt_int(%x: tensor<4xi32>) -> tensor<4xi32> {
  %0 = "onnx.Sqrt"(%x) : (tensor<4xi32>) -> tensor<4xi32>
  func.return %0 : tensor<4xi32>
}
// CHECK: onnx.Sqrt: X must have a floating-point element type, got i32

// -----

func.func @relu_bool(%x: tensor<4xi1>) -> tensor<4xi1> {
  %0 = "onnx.Relu"(%x) : (tensor<4xi1>) -> tensor<4xi1>
  func.return %0 : tensor<4xi1>
}
// CHECK: onnx.Relu: X must have a numeric (integer or floating-point) element type, got i1

// -----

func.func @exp_result_shape(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = "onnx.Exp"(%x) : (tensor<2x3xf32>) -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}
// CHECK: onnx.Exp: input and result must have the same type, got tensor<2x3xf32> and tensor<3x2xf32>

// -----

func.func @tanh_result_type(%x: tensor<4xf32>) -> tensor<4xf64> {
  %0 = "onnx.Tanh"(%x) : (tensor<4xf32>) -> tensor<4xf64>
  func.return %0 : tensor<4xf64>
}
// CHECK: onnx.Tanh: input and output must share one element type, got ['f32', 'f64']

// -----

func.func @leaky_relu_int_alpha(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "onnx.LeakyRelu"(%x) <{alpha = 2 : i64}> : (tensor<4xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
// An IRDL constraint (alpha is a FloatAttr): xDSL's message, the annotation names the op.
// CHECK: 2 : i64 should be of base attribute float
// CHECK: "onnx.LeakyRelu"(%x) <{alpha = 2 : i64}>
// CHECK-NEXT: ^^^
// CHECK-NEXT: Operation does not verify: 2 : i64 should be of base attribute float

// -----

func.func @unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  %0 = "onnx.Erf"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  func.return %0 : tensor<*xf32>
}
// Every operand and result is a ranked tensor (an IRDL constraint, reported in the
// words of the op's own checks).
// CHECK: onnx.Erf: input must be a ranked tensor, got tensor<*xf32>

// -----

func.func @max_no_inputs() -> tensor<4xf32> {
  %0 = "onnx.Max"() : () -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
// CHECK: onnx.Max: needs at least one input

// -----

func.func @min_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<2xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.Min"(%a, %b) : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.Min: shapes [2, 3], [2] do not broadcast

// -----

func.func @clip_tensor_bound(%x: tensor<4xf32>, %lo: tensor<2xf32>) -> tensor<4xf32> {
  %0 = "onnx.Clip"(%x, %lo) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<4xf32>, tensor<2xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
// CHECK: onnx.Clip: min must be a scalar, got shape [2]

// -----

func.func @clip_bound_type(%x: tensor<4xf32>, %hi: tensor<f64>) -> tensor<4xf32> {
  %0 = "onnx.Clip"(%x, %hi) <{operandSegmentSizes = array<i32: 1, 0, 1>}> : (tensor<4xf32>, tensor<f64>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
// CHECK: onnx.Clip: input, min, max and output must share one element type, got ['f32', 'f64']

// -----

func.func @equal_result_not_bool(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "onnx.Equal"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return %0 : tensor<4xf32>
}
// CHECK: onnx.Equal: C must have element type i1 (bool), got f32

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
// CHECK: onnx.Not: X must have element type i1 (bool), got f32

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
