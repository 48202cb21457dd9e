// Verifier errors of BatchNormalization, LayerNormalization, Softmax, LogSoftmax and
// Dropout.
// RUN: opt-tool %s --split-input-file --verify-diagnostics | filecheck %s

func.func @batchnorm_scale(%x: tensor<1x3x4x4xf32>, %s: tensor<4xf32>, %b: tensor<3xf32>, %m: tensor<3xf32>, %v: tensor<3xf32>) -> tensor<1x3x4x4xf32> {
  %0 = "onnx.BatchNormalization"(%x, %s, %b, %m, %v) <{resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1x3x4x4xf32>, tensor<4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  func.return %0 : tensor<1x3x4x4xf32>
}
// CHECK: onnx.BatchNormalization: scale has shape [4], expected [3]

// -----

func.func @batchnorm_rank(%x: tensor<3xf32>, %s: tensor<3xf32>) -> tensor<3xf32> {
  %0 = "onnx.BatchNormalization"(%x, %s, %s, %s, %s) <{resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  func.return %0 : tensor<3xf32>
}
// CHECK: onnx.BatchNormalization: X must have rank >= 2, got rank 1 (tensor<3xf32>)

// -----

func.func @batchnorm_mean_type(%x: tensor<1x3x4x4xf32>, %s: tensor<3xf32>, %m: tensor<3xi32>) -> tensor<1x3x4x4xf32> {
  %0 = "onnx.BatchNormalization"(%x, %s, %s, %m, %s) <{resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xi32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  func.return %0 : tensor<1x3x4x4xf32>
}
// CHECK: onnx.BatchNormalization: input_mean must have a floating-point element type, got i32

// -----

func.func @batchnorm_training_mode(%x: tensor<1x3x4x4xf32>, %s: tensor<3xf32>) -> tensor<1x3x4x4xf32> {
  %0 = "onnx.BatchNormalization"(%x, %s, %s, %s, %s) <{training_mode = 5 : i64, resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1x3x4x4xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x4x4xf32>
  func.return %0 : tensor<1x3x4x4xf32>
}
// CHECK: onnx.BatchNormalization: training_mode must be 0 or 1, got 5

// -----

func.func @layernorm_axis(%x: tensor<2x3x4xf32>, %g: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %0 = "onnx.LayerNormalization"(%x, %g) <{axis = 3 : i64, resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<2x3x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  func.return %0 : tensor<2x3x4xf32>
}
// CHECK: onnx.LayerNormalization: axis 3 is out of range for rank 3

// -----

func.func @layernorm_scale(%x: tensor<2x3x4xf32>, %g: tensor<3xf32>) -> tensor<2x3x4xf32> {
  %0 = "onnx.LayerNormalization"(%x, %g) <{resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<2x3x4xf32>, tensor<3xf32>) -> tensor<2x3x4xf32>
  func.return %0 : tensor<2x3x4xf32>
}
// CHECK: onnx.LayerNormalization: Scale [3] does not broadcast to the normalized dims [4]

// -----

func.func @layernorm_mean_shape(%x: tensor<2x3x4xf32>, %g: tensor<4xf32>) -> tensor<2x3x4xf32> {
  %0, %1 = "onnx.LayerNormalization"(%x, %g) <{resultSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<2x3x4xf32>, tensor<4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3xf32>)
  func.return %0 : tensor<2x3x4xf32>
}
// CHECK: onnx.LayerNormalization: Mean has shape [2, 3], expected [2, 3, 1]

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.Softmax"(%x) <{axis = -3 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.Softmax: axis -3 is out of range for rank 2

// -----

func.func @softmax_int(%x: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %0 = "onnx.Softmax"(%x) : (tensor<2x3xi32>) -> tensor<2x3xi32>
  func.return %0 : tensor<2x3xi32>
}
// CHECK: onnx.Softmax: input must have a floating-point element type, got i32

// -----

func.func @logsoftmax_result(%x: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %0 = "onnx.LogSoftmax"(%x) : (tensor<2x3xf32>) -> tensor<2x1xf32>
  func.return %0 : tensor<2x1xf32>
}
// CHECK: onnx.LogSoftmax: input and output must have the same type, got tensor<2x3xf32> and tensor<2x1xf32>

// -----

func.func @dropout_ratio(%x: tensor<2x3xf32>, %r: tensor<2xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.Dropout"(%x, %r) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<2x3xf32>, tensor<2xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.Dropout: ratio must be a scalar, got shape [2]

// -----

func.func @dropout_mask(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0, %1 = "onnx.Dropout"(%x) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>)
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.Dropout: mask must have element type i1 (bool), got f32
