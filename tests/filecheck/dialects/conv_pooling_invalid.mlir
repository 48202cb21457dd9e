// Verifier errors of Conv, ConvTranspose, MaxPool, AveragePool and GlobalAveragePool.
// RUN: opt-tool %s --split-input-file --verify-diagnostics | filecheck %s

func.func @conv_rank(%x: tensor<4x8xf32>, %w: tensor<2x4xf32>) -> tensor<4x2xf32> {
  %0 = "onnx.Conv"(%x, %w) : (tensor<4x8xf32>, tensor<2x4xf32>) -> tensor<4x2xf32>
  func.return %0 : tensor<4x2xf32>
}
// CHECK: onnx.Conv: X must have rank >= 3, got rank 2 (tensor<4x8xf32>)

// -----

func.func @conv_int(%x: tensor<1x2x5x5xi32>, %w: tensor<3x2x3x3xi32>) -> tensor<1x3x3x3xi32> {
  %0 = "onnx.Conv"(%x, %w) : (tensor<1x2x5x5xi32>, tensor<3x2x3x3xi32>) -> tensor<1x3x3x3xi32>
  func.return %0 : tensor<1x3x3x3xi32>
}
// CHECK: onnx.Conv: X must have a floating-point element type, got i32

// -----

func.func @conv_channels(%x: tensor<1x4x5x5xf32>, %w: tensor<6x3x3x3xf32>) -> tensor<1x6x3x3xf32> {
  %0 = "onnx.Conv"(%x, %w) : (tensor<1x4x5x5xf32>, tensor<6x3x3x3xf32>) -> tensor<1x6x3x3xf32>
  func.return %0 : tensor<1x6x3x3xf32>
}
// CHECK: onnx.Conv: X has 4 channels but W [6, 3, 3, 3] with group=1 expects 3

// -----

// group=2: W is (M, C/group, kH, kW) = (?, 2, ...), and M must be divisible by 2.
func.func @conv_group_output(%x: tensor<1x4x5x5xf32>, %w: tensor<5x2x3x3xf32>) -> tensor<1x5x3x3xf32> {
  %0 = "onnx.Conv"(%x, %w) <{group = 2 : i64}> : (tensor<1x4x5x5xf32>, tensor<5x2x3x3xf32>) -> tensor<1x5x3x3xf32>
  func.return %0 : tensor<1x5x3x3xf32>
}
// CHECK: onnx.Conv: W output channels 5 are not divisible by group=2

// -----

func.func @conv_group_zero(%x: tensor<1x4x5x5xf32>, %w: tensor<4x4x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %0 = "onnx.Conv"(%x, %w) <{group = 0 : i64}> : (tensor<1x4x5x5xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  func.return %0 : tensor<1x4x3x3xf32>
}
// CHECK: onnx.Conv: group must be >= 1, got 0

// -----

func.func @conv_kernel_shape(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %0 = "onnx.Conv"(%x, %w) <{kernel_shape = array<i64: 2, 2>}> : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  func.return %0 : tensor<1x3x3x3xf32>
}
// CHECK: onnx.Conv: kernel_shape [2, 2] differs from W spatial dims [3, 3]

// -----

func.func @conv_strides_length(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %0 = "onnx.Conv"(%x, %w) <{strides = array<i64: 1, 1, 1>}> : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  func.return %0 : tensor<1x3x3x3xf32>
}
// CHECK: onnx.Conv: strides has 3 values, expected 2 for 2 spatial dims

// -----

func.func @conv_negative_pads(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32> {
  %0 = "onnx.Conv"(%x, %w) <{pads = array<i64: 0, -1, 0, 1>}> : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x3x3xf32>
  func.return %0 : tensor<1x3x3x3xf32>
}
// CHECK: onnx.Conv: pads values must be >= 0, got [0, -1, 0, 1]

// -----

func.func @conv_auto_pad(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x5x5xf32> {
  %0 = "onnx.Conv"(%x, %w) <{auto_pad = "SAME"}> : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x5x5xf32>
  func.return %0 : tensor<1x3x5x5xf32>
}
// CHECK: onnx.Conv: auto_pad must be one of NOTSET, SAME_UPPER, SAME_LOWER, VALID; got 'SAME'

// -----

// (5 + 2*1 - 3) / 2 + 1 = 3
func.func @conv_output_size(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x5x5xf32> {
  %0 = "onnx.Conv"(%x, %w) <{pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}> : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x5x5xf32>
  func.return %0 : tensor<1x3x5x5xf32>
}
// CHECK: onnx.Conv: Y spatial dim 0 is 5, expected 3 (X [1, 2, 5, 5])

// -----

func.func @conv_bias(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %b: tensor<2xf32>) -> tensor<1x3x3x3xf32> {
  %0 = "onnx.Conv"(%x, %w, %b) : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>, tensor<2xf32>) -> tensor<1x3x3x3xf32>
  func.return %0 : tensor<1x3x3x3xf32>
}
// CHECK: onnx.Conv: B has shape [2], expected [3]

// -----

func.func @conv_result_channels(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x4x3x3xf32> {
  %0 = "onnx.Conv"(%x, %w) : (tensor<1x2x5x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x4x3x3xf32>
  func.return %0 : tensor<1x4x3x3xf32>
}
// CHECK: onnx.Conv: Y [1, 4, 3, 3] must be (N, M, ...) = [1, 3, ...]

// -----

func.func @conv_weight_rank(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3xf32>) -> tensor<1x3x3x3xf32> {
  %0 = "onnx.Conv"(%x, %w) : (tensor<1x2x5x5xf32>, tensor<3x2x3xf32>) -> tensor<1x3x3x3xf32>
  func.return %0 : tensor<1x3x3x3xf32>
}
// CHECK: onnx.Conv: W must have rank 4, got rank 3 (tensor<3x2x3xf32>)

// -----

// ConvTranspose: W is (C, M/group, kH, kW).
func.func @convtranspose_channels(%x: tensor<1x4x3x3xf32>, %w: tensor<2x3x2x2xf32>) -> tensor<1x3x4x4xf32> {
  %0 = "onnx.ConvTranspose"(%x, %w) : (tensor<1x4x3x3xf32>, tensor<2x3x2x2xf32>) -> tensor<1x3x4x4xf32>
  func.return %0 : tensor<1x3x4x4xf32>
}
// CHECK: onnx.ConvTranspose: X has 4 channels but W [2, 3, 2, 2] expects 2

// -----

func.func @convtranspose_output_padding(%x: tensor<1x4x3x3xf32>, %w: tensor<4x3x2x2xf32>) -> tensor<1x3x4x4xf32> {
  %0 = "onnx.ConvTranspose"(%x, %w) <{output_padding = array<i64: 1>}> : (tensor<1x4x3x3xf32>, tensor<4x3x2x2xf32>) -> tensor<1x3x4x4xf32>
  func.return %0 : tensor<1x3x4x4xf32>
}
// CHECK: onnx.ConvTranspose: output_padding has 1 values, expected 2

// -----

// stride 2: (3 - 1) * 2 + 2 = 6
func.func @convtranspose_output_size(%x: tensor<1x4x3x3xf32>, %w: tensor<4x3x2x2xf32>) -> tensor<1x3x5x6xf32> {
  %0 = "onnx.ConvTranspose"(%x, %w) <{strides = array<i64: 2, 2>}> : (tensor<1x4x3x3xf32>, tensor<4x3x2x2xf32>) -> tensor<1x3x5x6xf32>
  func.return %0 : tensor<1x3x5x6xf32>
}
// CHECK: onnx.ConvTranspose: Y spatial dim 0 is 5, expected 6 (X [1, 4, 3, 3])

// -----

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
