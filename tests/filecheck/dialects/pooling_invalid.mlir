// Verifier errors of MaxPool, AveragePool and GlobalAveragePool.
// (`-p dce` makes opt-tool verify; see elementwise_invalid.mlir.)
// RUN: opt-tool %s --split-input-file --verify-diagnostics -p dce | filecheck %s

func.func @maxpool_no_kernel(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = "onnx.MaxPool"(%x) : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  func.return %0 : tensor<1x2x2x2xf32>
}
// CHECK: property 'kernel_shape' expected in operation 'onnx.MaxPool'

// -----

func.func @maxpool_kernel_length(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = "onnx.MaxPool"(%x) <{kernel_shape = array<i64: 2>}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  func.return %0 : tensor<1x2x2x2xf32>
}
// CHECK: onnx.MaxPool: kernel_shape has 1 values, expected 2 for 2 spatial dims

// -----

func.func @maxpool_kernel_zero(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = "onnx.MaxPool"(%x) <{kernel_shape = array<i64: 0, 2>}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  func.return %0 : tensor<1x2x2x2xf32>
}
// CHECK: onnx.MaxPool: kernel_shape values must be >= 1, got [0, 2]

// -----

func.func @maxpool_ceil_mode(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = "onnx.MaxPool"(%x) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode = 2 : i64}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  func.return %0 : tensor<1x2x2x2xf32>
}
// CHECK: onnx.MaxPool: ceil_mode must be 0 or 1, got 2

// -----

// (4 - 2) / 1 + 1 = 3
func.func @maxpool_output_size(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = "onnx.MaxPool"(%x) <{kernel_shape = array<i64: 2, 2>}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  func.return %0 : tensor<1x2x2x2xf32>
}
// CHECK: onnx.MaxPool: Y spatial dim 0 is 2, expected 3 (X [1, 2, 4, 4])

// -----

func.func @maxpool_channels(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x2x2xf32> {
  %0 = "onnx.MaxPool"(%x) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x2x4x4xf32>) -> tensor<1x3x2x2xf32>
  func.return %0 : tensor<1x3x2x2xf32>
}
// CHECK: onnx.MaxPool: Y [1, 3, 2, 2] must keep N and C of X [1, 2, 4, 4]

// -----

func.func @maxpool_indices_type(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0, %1 = "onnx.MaxPool"(%x) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>)
  func.return %0 : tensor<1x2x2x2xf32>
}
// CHECK: onnx.MaxPool: Indices must have element type i32 or i64, got f32

// -----

func.func @averagepool_int(%x: tensor<1x2x4x4xi32>) -> tensor<1x2x2x2xi32> {
  %0 = "onnx.AveragePool"(%x) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x2x4x4xi32>) -> tensor<1x2x2x2xi32>
  func.return %0 : tensor<1x2x2x2xi32>
}
// CHECK: onnx.AveragePool: X must have a floating-point element type, got i32

// -----

func.func @averagepool_count_include_pad(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = "onnx.AveragePool"(%x) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, count_include_pad = 3 : i64}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  func.return %0 : tensor<1x2x2x2xf32>
}
// CHECK: onnx.AveragePool: count_include_pad must be 0 or 1, got 3

// -----

func.func @averagepool_rank(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2xf32> {
  %0 = "onnx.AveragePool"(%x) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x2xf32>
  func.return %0 : tensor<1x2x2xf32>
}
// CHECK: onnx.AveragePool: Y must have rank 4, got rank 3 (tensor<1x2x2xf32>)

// -----

func.func @global_average_pool_shape(%x: tensor<1x2x4x4xf32>) -> tensor<1x2xf32> {
  %0 = "onnx.GlobalAveragePool"(%x) : (tensor<1x2x4x4xf32>) -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}
// CHECK: onnx.GlobalAveragePool: Y has shape [1, 2], expected [1, 2, 1, 1]

// -----

func.func @global_average_pool_rank(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = "onnx.GlobalAveragePool"(%x) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return %0 : tensor<2x4xf32>
}
// CHECK: onnx.GlobalAveragePool: X must have rank >= 3, got rank 2 (tensor<2x4xf32>)
