// onnx-recompose-swish: x * Sigmoid(x) becomes onnx.Swish, x * Sigmoid(a x) onnx.Swish
// {alpha = a}, x * HardSigmoid(x) (alpha 1/6, beta 0.5) and torch's x * relu6(x + 3) / 6
// onnx.HardSwish, in any grouping of the product. Each case shows a pattern firing or a
// reason it must not.
// RUN: opt-tool %s -p onnx-recompose-swish --split-input-file | filecheck %s
// RUN: opt-tool %s -p onnx-recompose-swish --split-input-file --stats 2>&1 >/dev/null | filecheck %s --check-prefix=STATS

// SiLU as torch exports it: Sigmoid(x), Mul(x, s). x keeps its other use.
func.func @silu(%x: tensor<1x4x3x3xf32>) -> (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) {
  %s = "onnx.Sigmoid"(%x) : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %y = "onnx.Mul"(%x, %s) : (tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  func.return %y, %x : tensor<1x4x3x3xf32>, tensor<1x4x3x3xf32>
}
// CHECK-LABEL: func.func @silu
// CHECK-NEXT:    %y = "onnx.Swish"(%x) <{alpha = 1.000000e+00 : f32}> : (tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
// CHECK-NEXT:    func.return %y, %x

// -----

// QuickGelu: x * Sigmoid(1.702 x), operands in the other order.
func.func @quick_gelu(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %a = "onnx.Constant"() <{value = dense<1.702> : tensor<f32>}> : () -> tensor<f32>
  %ax = "onnx.Mul"(%a, %x) : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %s = "onnx.Sigmoid"(%ax) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %y = "onnx.Mul"(%s, %x) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  func.return %y : tensor<2x8xf32>
}
// CHECK-LABEL: func.func @quick_gelu
// CHECK-NEXT:    %y = "onnx.Swish"(%x) <{alpha = 1.702000e+00 : f32}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT:    func.return %y

// -----

// x * HardSigmoid(x) with torch's alpha = 1/6 -> HardSwish.
func.func @hard_sigmoid_form(%x: tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32> {
  %h = "onnx.HardSigmoid"(%x) <{alpha = 0.166666672 : f32, beta = 5.000000e-01 : f32}> : (tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  %y = "onnx.Mul"(%x, %h) : (tensor<1x8x2x2xf32>, tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  func.return %y : tensor<1x8x2x2xf32>
}
// CHECK-LABEL: func.func @hard_sigmoid_form
// CHECK-NEXT:    %y = "onnx.HardSwish"(%x) : (tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
// CHECK-NEXT:    func.return %y

// -----

// x * relu6(x + 3) / 6: Add, Clip(0, 6), Mul, Div by 6 -> HardSwish.
func.func @relu6_div(%x: tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32> {
  %three = "onnx.Constant"() <{value = dense<3.0> : tensor<f32>}> : () -> tensor<f32>
  %zero = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %six = "onnx.Constant"() <{value = dense<6.0> : tensor<f32>}> : () -> tensor<f32>
  %a = "onnx.Add"(%x, %three) : (tensor<1x8x2x2xf32>, tensor<f32>) -> tensor<1x8x2x2xf32>
  %c = "onnx.Clip"(%a, %zero, %six) <{operandSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<1x8x2x2xf32>, tensor<f32>, tensor<f32>) -> tensor<1x8x2x2xf32>
  %m = "onnx.Mul"(%x, %c) : (tensor<1x8x2x2xf32>, tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
  %y = "onnx.Div"(%m, %six) : (tensor<1x8x2x2xf32>, tensor<f32>) -> tensor<1x8x2x2xf32>
  func.return %y : tensor<1x8x2x2xf32>
}
// CHECK-LABEL: func.func @relu6_div
// CHECK-NEXT:    %y = "onnx.HardSwish"(%x) : (tensor<1x8x2x2xf32>) -> tensor<1x8x2x2xf32>
// CHECK-NEXT:    func.return %y

// -----

// The same with the division already a Mul by 1/6 (onnx-simplify-algebra's form), on the
// Clip side of the product.
func.func @relu6_mul_sixth(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %three = "onnx.Constant"() <{value = dense<3.0> : tensor<f32>}> : () -> tensor<f32>
  %zero = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %six = "onnx.Constant"() <{value = dense<6.0> : tensor<f32>}> : () -> tensor<f32>
  %sixth = "onnx.Constant"() <{value = dense<0.166666672> : tensor<f32>}> : () -> tensor<f32>
  %a = "onnx.Add"(%three, %x) : (tensor<f32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %c = "onnx.Clip"(%a, %zero, %six) <{operandSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<4x4xf32>, tensor<f32>, tensor<f32>) -> tensor<4x4xf32>
  %g = "onnx.Mul"(%c, %sixth) : (tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
  %y = "onnx.Mul"(%g, %x) : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  func.return %y : tensor<4x4xf32>
}
// CHECK-LABEL: func.func @relu6_mul_sixth
// CHECK-NEXT:    %y = "onnx.HardSwish"(%x) : (tensor<4x4xf32>) -> tensor<4x4xf32>
// CHECK-NEXT:    func.return %y

// -----

// Must not fire: the Sigmoid is also returned; the sigmoid is of another tensor (the
// squeeze-excite scale); HardSigmoid with ONNX's default alpha 0.2; relu6 without / 6.
func.func @no_match(%x: tensor<8xf32>, %z: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %s = "onnx.Sigmoid"(%x) : (tensor<8xf32>) -> tensor<8xf32>
  %y1 = "onnx.Mul"(%x, %s) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %sz = "onnx.Sigmoid"(%z) : (tensor<8xf32>) -> tensor<8xf32>
  %y2 = "onnx.Mul"(%x, %sz) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %h = "onnx.HardSigmoid"(%x) : (tensor<8xf32>) -> tensor<8xf32>
  %y3 = "onnx.Mul"(%x, %h) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %three = "onnx.Constant"() <{value = dense<3.0> : tensor<f32>}> : () -> tensor<f32>
  %zero = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %six = "onnx.Constant"() <{value = dense<6.0> : tensor<f32>}> : () -> tensor<f32>
  %a = "onnx.Add"(%x, %three) : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %c = "onnx.Clip"(%a, %zero, %six) <{operandSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<8xf32>, tensor<f32>, tensor<f32>) -> tensor<8xf32>
  %y4 = "onnx.Mul"(%x, %c) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  func.return %y1, %y2, %y3, %y4, %s : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}
// CHECK-LABEL: func.func @no_match
// CHECK-NOT:     onnx.Swish
// CHECK-NOT:     onnx.HardSwish
// CHECK:         func.return

// STATS:      pattern fired  | times
// STATS:      RecomposeSwish |     5
// STATS:      pattern not fired | why
// STATS-DAG:  RecomposeSwish    | HardSigmoid alpha 0.2, beta 0.5 is not 1/6, 0.5
// STATS-DAG:  RecomposeSwish    | an intermediate has another use or is a graph output
// STATS-DAG:  RecomposeSwish    | no division by 6
