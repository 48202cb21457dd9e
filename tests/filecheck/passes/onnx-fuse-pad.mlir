// onnx-fuse-pad: a constant Pad of the spatial axes folds into the pads of the Conv /
// AveragePool(count_include_pad = 1) (zero value) or MaxPool (-inf value) reading it.
// The consumer keeps its result type; a Pad nothing else reads is removed.
// RUN: opt-tool %s -p onnx-fuse-pad --split-input-file | filecheck %s

// Pad [1, 2] / [2, 1] on H, W (value absent = 0) + Conv pads [1, 0, 0, 1] -> pads [2, 2, 2, 2].
func.func @pad_conv(%x: tensor<1x2x4x4xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x6x6xf32> {
  %p = "onnx.Constant"() <{value = dense<[0, 0, 1, 2, 0, 0, 2, 1]> : tensor<8xi64>}> : () -> tensor<8xi64>
  %xp = "onnx.Pad"(%x, %p) <{operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x2x4x4xf32>, tensor<8xi64>) -> tensor<1x2x7x7xf32>
  %y = "onnx.Conv"(%xp, %w) <{pads = array<i64: 1, 0, 0, 1>}> : (tensor<1x2x7x7xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x6x6xf32>
  func.return %y : tensor<1x3x6x6xf32>
}
// CHECK-LABEL: func.func @pad_conv
// CHECK-NEXT:    %y = "onnx.Conv"(%x, %w) <{pads = array<i64: 2, 2, 2, 2>}> : (tensor<1x2x4x4xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x6x6xf32>
// CHECK-NEXT:    func.return %y

// -----

// Pad with axes [-2, -1] and an explicit 0 -> AveragePool(count_include_pad = 1);
// Pad(-inf) -> MaxPool (-inf written as the hex blob "0x000080FF": xDSL reads a bare
// hex float literal as an integer).
func.func @pad_pools(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x3x3xf32>) {
  %p = "onnx.Constant"() <{value = dense<1> : tensor<4xi64>}> : () -> tensor<4xi64>
  %axes = "onnx.Constant"() <{value = dense<[-2, -1]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %zero = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %ninf = "onnx.Constant"() <{value = dense<"0x000080FF"> : tensor<f32>}> : () -> tensor<f32>
  %xp = "onnx.Pad"(%x, %p, %zero, %axes) <{operandSegmentSizes = array<i32: 1, 1, 1, 1>}> : (tensor<1x2x4x4xf32>, tensor<4xi64>, tensor<f32>, tensor<2xi64>) -> tensor<1x2x6x6xf32>
  %a = "onnx.AveragePool"(%xp) <{kernel_shape = array<i64: 3, 3>, count_include_pad = 1 : i64}> : (tensor<1x2x6x6xf32>) -> tensor<1x2x4x4xf32>
  %xm = "onnx.Pad"(%x, %p, %ninf, %axes) <{operandSegmentSizes = array<i32: 1, 1, 1, 1>}> : (tensor<1x2x4x4xf32>, tensor<4xi64>, tensor<f32>, tensor<2xi64>) -> tensor<1x2x6x6xf32>
  %m = "onnx.MaxPool"(%xm) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x2x6x6xf32>) -> tensor<1x2x3x3xf32>
  func.return %a, %m : tensor<1x2x4x4xf32>, tensor<1x2x3x3xf32>
}
// CHECK-LABEL: func.func @pad_pools
// CHECK:         %a = "onnx.AveragePool"(%x) <{kernel_shape = array<i64: 3, 3>, count_include_pad = 1 : i64, pads = array<i64: 1, 1, 1, 1>}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
// CHECK-NEXT:    %m = "onnx.MaxPool"(%x) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x3x3xf32>
// CHECK-NEXT:    func.return %a, %m

// -----

// Must NOT fold:
// - reflect padding is not zero padding;
// - pad value 1 is not 0;
// - a Pad of the channel axis cannot become window padding;
// - AveragePool with count_include_pad = 0 would stop counting the padded zeros;
// - MaxPool after a zero Pad: a 0 would win the max of an all-negative window, which
//   pool padding (skipped taps) never does;
// - Conv with auto_pad SAME_UPPER has no explicit pads to add to.
func.func @no_fold(%x: tensor<1x2x4x4xf32>, %w: tensor<3x2x3x3xf32>, %w4: tensor<3x4x3x3xf32>) -> (tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>, tensor<1x4x5x5xf32>, tensor<1x2x5x5xf32>, tensor<1x2x5x5xf32>, tensor<1x3x6x6xf32>) {
  %p = "onnx.Constant"() <{value = dense<[0, 0, 1, 1, 0, 0, 1, 1]> : tensor<8xi64>}> : () -> tensor<8xi64>
  %pc = "onnx.Constant"() <{value = dense<[0, 1, 0, 0, 0, 1, 1, 1]> : tensor<8xi64>}> : () -> tensor<8xi64>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %xr = "onnx.Pad"(%x, %p) <{mode = "reflect", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x2x4x4xf32>, tensor<8xi64>) -> tensor<1x2x6x6xf32>
  %y1 = "onnx.Conv"(%xr, %w) : (tensor<1x2x6x6xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x4x4xf32>
  %x1 = "onnx.Pad"(%x, %p, %one) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (tensor<1x2x4x4xf32>, tensor<8xi64>, tensor<f32>) -> tensor<1x2x6x6xf32>
  %y2 = "onnx.Conv"(%x1, %w) : (tensor<1x2x6x6xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x4x4xf32>
  %xc = "onnx.Pad"(%x, %pc) <{operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x2x4x4xf32>, tensor<8xi64>) -> tensor<1x4x5x5xf32>
  %y3 = "onnx.AveragePool"(%xc) <{kernel_shape = array<i64: 1, 1>, count_include_pad = 1 : i64}> : (tensor<1x4x5x5xf32>) -> tensor<1x4x5x5xf32>
  %x0 = "onnx.Pad"(%x, %p) <{operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x2x4x4xf32>, tensor<8xi64>) -> tensor<1x2x6x6xf32>
  %y4 = "onnx.AveragePool"(%x0) <{kernel_shape = array<i64: 2, 2>}> : (tensor<1x2x6x6xf32>) -> tensor<1x2x5x5xf32>
  %y5 = "onnx.MaxPool"(%x0) <{kernel_shape = array<i64: 2, 2>}> : (tensor<1x2x6x6xf32>) -> tensor<1x2x5x5xf32>
  %y6 = "onnx.Conv"(%x0, %w) <{auto_pad = "SAME_UPPER"}> : (tensor<1x2x6x6xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x6x6xf32>
  func.return %y1, %y2, %y3, %y4, %y5, %y6 : tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>, tensor<1x4x5x5xf32>, tensor<1x2x5x5xf32>, tensor<1x2x5x5xf32>, tensor<1x3x6x6xf32>
}
// CHECK-LABEL: func.func @no_fold
// CHECK:         %y1 = "onnx.Conv"(%xr, %w)
// CHECK:         %y2 = "onnx.Conv"(%x1, %w)
// CHECK:         %y3 = "onnx.AveragePool"(%xc)
// CHECK:         %y4 = "onnx.AveragePool"(%x0)
// CHECK-NEXT:    %y5 = "onnx.MaxPool"(%x0)
// CHECK-NEXT:    %y6 = "onnx.Conv"(%x0, %w)
