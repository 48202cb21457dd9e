// Verifier errors of Pad, Resize, Constant, ConstantOfShape and Range.
// RUN: opt-tool %s --split-input-file --verify-diagnostics | filecheck %s

func.func @pad_mode(%x: tensor<2x3xf32>, %p: tensor<4xi64>) -> tensor<4x5xf32> {
  %0 = "onnx.Pad"(%x, %p) <{mode = "symmetric", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<4x5xf32>
  func.return %0 : tensor<4x5xf32>
}
// CHECK: onnx.Pad: mode must be one of constant, reflect, edge, wrap; got 'symmetric'

// -----

func.func @pad_pads_length(%x: tensor<2x3xf32>, %p: tensor<2xi64>) -> tensor<4x5xf32> {
  %0 = "onnx.Pad"(%x, %p) <{operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x5xf32>
  func.return %0 : tensor<4x5xf32>
}
// CHECK: onnx.Pad: pads has 2 entries, expected 4

// -----

func.func @pad_pads_with_axes(%x: tensor<2x3xf32>, %p: tensor<4xi64>, %axes: tensor<1xi64>) -> tensor<2x5xf32> {
  %0 = "onnx.Pad"(%x, %p, %axes) <{operandSegmentSizes = array<i32: 1, 1, 0, 1>}> : (tensor<2x3xf32>, tensor<4xi64>, tensor<1xi64>) -> tensor<2x5xf32>
  func.return %0 : tensor<2x5xf32>
}
// CHECK: onnx.Pad: pads has 4 entries, expected 2

// -----

func.func @pad_constant_value(%x: tensor<2x3xf32>, %p: tensor<4xi64>, %c: tensor<f64>) -> tensor<4x5xf32> {
  %0 = "onnx.Pad"(%x, %p, %c) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (tensor<2x3xf32>, tensor<4xi64>, tensor<f64>) -> tensor<4x5xf32>
  func.return %0 : tensor<4x5xf32>
}
// CHECK: onnx.Pad: data, constant_value and output must share one element type, got ['f32', 'f64']

// -----

func.func @pad_rank(%x: tensor<2x3xf32>, %p: tensor<4xi64>) -> tensor<20xf32> {
  %0 = "onnx.Pad"(%x, %p) <{operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<20xf32>
  func.return %0 : tensor<20xf32>
}
// CHECK: onnx.Pad: output must have rank 2, got rank 1 (tensor<20xf32>)

// -----

func.func @resize_both(%x: tensor<1x1x2x2xf32>, %s: tensor<4xf32>, %z: tensor<4xi64>) -> tensor<1x1x4x4xf32> {
  %0 = "onnx.Resize"(%x, %s, %z) <{operandSegmentSizes = array<i32: 1, 0, 1, 1>}> : (tensor<1x1x2x2xf32>, tensor<4xf32>, tensor<4xi64>) -> tensor<1x1x4x4xf32>
  func.return %0 : tensor<1x1x4x4xf32>
}
// CHECK: onnx.Resize: only one of scales and sizes may be given

// -----

func.func @resize_neither(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32> {
  %0 = "onnx.Resize"(%x) <{operandSegmentSizes = array<i32: 1, 0, 0, 0>}> : (tensor<1x1x2x2xf32>) -> tensor<1x1x4x4xf32>
  func.return %0 : tensor<1x1x4x4xf32>
}
// CHECK: onnx.Resize: one of scales and sizes must be given

// -----

func.func @resize_mode(%x: tensor<1x1x2x2xf32>, %s: tensor<4xf32>) -> tensor<1x1x4x4xf32> {
  %0 = "onnx.Resize"(%x, %s) <{mode = "bilinear", operandSegmentSizes = array<i32: 1, 0, 1, 0>}> : (tensor<1x1x2x2xf32>, tensor<4xf32>) -> tensor<1x1x4x4xf32>
  func.return %0 : tensor<1x1x4x4xf32>
}
// CHECK: onnx.Resize: mode must be one of nearest, linear, cubic; got 'bilinear'

// -----

func.func @resize_scales_count(%x: tensor<1x1x2x2xf32>, %s: tensor<2xf32>) -> tensor<1x1x4x4xf32> {
  %0 = "onnx.Resize"(%x, %s) <{operandSegmentSizes = array<i32: 1, 0, 1, 0>}> : (tensor<1x1x2x2xf32>, tensor<2xf32>) -> tensor<1x1x4x4xf32>
  func.return %0 : tensor<1x1x4x4xf32>
}
// CHECK: onnx.Resize: scales/sizes has 2 entries, expected 4

// -----

func.func @resize_axes(%x: tensor<1x1x2x2xf32>, %s: tensor<2xf32>) -> tensor<1x1x4x4xf32> {
  %0 = "onnx.Resize"(%x, %s) <{axes = array<i64: 2, -2>, operandSegmentSizes = array<i32: 1, 0, 1, 0>}> : (tensor<1x1x2x2xf32>, tensor<2xf32>) -> tensor<1x1x4x4xf32>
  func.return %0 : tensor<1x1x4x4xf32>
}
// CHECK: onnx.Resize: axes [2, -2] has duplicates

// -----

func.func @resize_scales_int(%x: tensor<1x1x2x2xf32>, %s: tensor<4xi64>) -> tensor<1x1x4x4xf32> {
  %0 = "onnx.Resize"(%x, %s) <{operandSegmentSizes = array<i32: 1, 0, 1, 0>}> : (tensor<1x1x2x2xf32>, tensor<4xi64>) -> tensor<1x1x4x4xf32>
  func.return %0 : tensor<1x1x4x4xf32>
}
// CHECK: onnx.Resize: scales must have a floating-point element type, got i64

// -----

func.func @constant_type() -> tensor<3xf32> {
  %0 = "onnx.Constant"() <{value = dense<[1, 2, 3]> : tensor<3xi64>}> : () -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}
// CHECK: onnx.Constant: value type tensor<3xi64> differs from result type tensor<3xf32>

// -----

func.func @constant_of_shape_value(%s: tensor<2xi64>) -> tensor<2x3xf32> {
  %0 = "onnx.ConstantOfShape"(%s) <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : (tensor<2xi64>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.ConstantOfShape: value must hold exactly one element, got tensor<2xf32>

// -----

func.func @constant_of_shape_default(%s: tensor<2xi64>) -> tensor<2x3xi32> {
  %0 = "onnx.ConstantOfShape"(%s) : (tensor<2xi64>) -> tensor<2x3xi32>
  func.return %0 : tensor<2x3xi32>
}
// CHECK: onnx.ConstantOfShape: output must be f32 when value is absent, got i32

// -----

func.func @constant_of_shape_rank(%s: tensor<3xi64>) -> tensor<2x3xf32> {
  %0 = "onnx.ConstantOfShape"(%s) : (tensor<3xi64>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.ConstantOfShape: output must have rank 3, got rank 2 (tensor<2x3xf32>)

// -----

func.func @range_not_scalar(%a: tensor<2xi64>, %b: tensor<i64>) -> tensor<5xi64> {
  %0 = "onnx.Range"(%a, %b, %b) : (tensor<2xi64>, tensor<i64>, tensor<i64>) -> tensor<5xi64>
  func.return %0 : tensor<5xi64>
}
// CHECK: onnx.Range: start must be a scalar, got shape [2]

// -----

func.func @range_types(%a: tensor<i64>, %b: tensor<f32>) -> tensor<5xi64> {
  %0 = "onnx.Range"(%a, %b, %a) : (tensor<i64>, tensor<f32>, tensor<i64>) -> tensor<5xi64>
  func.return %0 : tensor<5xi64>
}
// CHECK: onnx.Range: start, limit, delta and output must share one element type, got ['f32', 'i64']
