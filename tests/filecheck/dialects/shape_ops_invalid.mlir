// Verifier errors of Reshape, Flatten, Squeeze, Unsqueeze, Expand, Shape and Identity.
// (`-p dce` makes opt-tool verify; see elementwise_invalid.mlir.)
// RUN: opt-tool %s --split-input-file --verify-diagnostics -p dce | filecheck %s

func.func @reshape_elements(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> tensor<4x2xf32> {
  %0 = "onnx.Reshape"(%x, %s) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x2xf32>
  func.return %0 : tensor<4x2xf32>
}
// CHECK: onnx.Reshape: reshaped has 8 elements but data has 6

// -----

func.func @reshape_shape_length(%x: tensor<2x3xf32>, %s: tensor<3xi64>) -> tensor<3x2xf32> {
  %0 = "onnx.Reshape"(%x, %s) : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}
// CHECK: onnx.Reshape: reshaped must have rank 3, got rank 2 (tensor<3x2xf32>)

// -----

func.func @reshape_shape_type(%x: tensor<2x3xf32>, %s: tensor<2xf32>) -> tensor<3x2xf32> {
  %0 = "onnx.Reshape"(%x, %s) : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}
// CHECK: onnx.Reshape: shape must have element type i32 or i64, got f32

// -----

func.func @reshape_allowzero(%x: tensor<2x3xf32>, %s: tensor<2xi64>) -> tensor<3x2xf32> {
  %0 = "onnx.Reshape"(%x, %s) <{allowzero = -1 : i64}> : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}
// CHECK: onnx.Reshape: allowzero must be 0 or 1, got -1

// -----

func.func @flatten_axis(%x: tensor<2x3x4xf32>) -> tensor<24x1xf32> {
  %0 = "onnx.Flatten"(%x) <{axis = 4 : i64}> : (tensor<2x3x4xf32>) -> tensor<24x1xf32>
  func.return %0 : tensor<24x1xf32>
}
// CHECK: onnx.Flatten: axis 4 is out of range for rank 3

// -----

func.func @flatten_shape(%x: tensor<2x3x4xf32>) -> tensor<2x12xf32> {
  %0 = "onnx.Flatten"(%x) <{axis = 2 : i64}> : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  func.return %0 : tensor<2x12xf32>
}
// CHECK: onnx.Flatten: output has shape [2, 12], expected [6, 4]

// -----

func.func @squeeze_all(%x: tensor<1x3x1xf32>) -> tensor<1x3xf32> {
  %0 = "onnx.Squeeze"(%x) : (tensor<1x3x1xf32>) -> tensor<1x3xf32>
  func.return %0 : tensor<1x3xf32>
}
// CHECK: onnx.Squeeze: squeezed has shape [1, 3], expected [3]

// -----

func.func @squeeze_axes(%x: tensor<1x3x1xf32>, %axes: tensor<2xi64>) -> tensor<1x3xf32> {
  %0 = "onnx.Squeeze"(%x, %axes) : (tensor<1x3x1xf32>, tensor<2xi64>) -> tensor<1x3xf32>
  func.return %0 : tensor<1x3xf32>
}
// CHECK: onnx.Squeeze: squeezed must have rank 1, got rank 2 (tensor<1x3xf32>)

// -----

func.func @unsqueeze_rank(%x: tensor<3xf32>, %axes: tensor<2xi64>) -> tensor<1x3xf32> {
  %0 = "onnx.Unsqueeze"(%x, %axes) : (tensor<3xf32>, tensor<2xi64>) -> tensor<1x3xf32>
  func.return %0 : tensor<1x3xf32>
}
// CHECK: onnx.Unsqueeze: expanded must have rank 3, got rank 2 (tensor<1x3xf32>)

// -----

func.func @expand_no_broadcast(%x: tensor<3x2xf32>, %s: tensor<2xi64>) -> tensor<3x4xf32> {
  %0 = "onnx.Expand"(%x, %s) : (tensor<3x2xf32>, tensor<2xi64>) -> tensor<3x4xf32>
  func.return %0 : tensor<3x4xf32>
}
// CHECK: onnx.Expand: input [3, 2] does not broadcast to output [3, 4]

// -----

func.func @expand_rank(%x: tensor<3x1xf32>, %s: tensor<3xi64>) -> tensor<3x4xf32> {
  %0 = "onnx.Expand"(%x, %s) : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  func.return %0 : tensor<3x4xf32>
}
// CHECK: onnx.Expand: output rank 2 is not max(input rank 2, shape length 3)

// -----

func.func @shape_result_type(%x: tensor<2x3xf32>) -> tensor<2xi32> {
  %0 = "onnx.Shape"(%x) : (tensor<2x3xf32>) -> tensor<2xi32>
  func.return %0 : tensor<2xi32>
}
// CHECK: onnx.Shape: shape must have element type i64, got i32

// -----

func.func @shape_slice(%x: tensor<2x3x4xf32>) -> tensor<3xi64> {
  %0 = "onnx.Shape"(%x) <{start = 1 : i64}> : (tensor<2x3x4xf32>) -> tensor<3xi64>
  func.return %0 : tensor<3xi64>
}
// CHECK: onnx.Shape: shape has shape [3], expected [2]

// -----

func.func @identity_type(%x: tensor<2x3xf32>) -> tensor<2x3xf16> {
  %0 = "onnx.Identity"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf16>
  func.return %0 : tensor<2x3xf16>
}
// CHECK: onnx.Identity: input and output must have the same type, got tensor<2x3xf32> and tensor<2x3xf16>
