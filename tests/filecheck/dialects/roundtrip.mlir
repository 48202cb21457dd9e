// Valid ops of every family parse, verify and print back in generic form; printing
// the printed form again gives the same text (properties stay properties, optional
// operands keep their segment sizes, absent defaults stay absent).
// RUN: opt-tool %s --print-op-generic | filecheck %s
// RUN: opt-tool %s --print-op-generic | opt-tool --print-op-generic | filecheck %s

// CHECK-LABEL: "func.func"() <{sym_name = "elementwise"
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x3xi1>, %lo: tensor<f32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xi64>, tensor<2x3xf32>, tensor<2x3xf32>) {
  // CHECK: %[[ADD:.*]] = "onnx.Add"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = "onnx.Add"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK-NEXT: "onnx.LeakyRelu"(%[[ADD]]) <{alpha = 1.000000e-01 : f32}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = "onnx.LeakyRelu"(%0) <{alpha = 0.1 : f32}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK-NEXT: "onnx.Less"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %2 = "onnx.Less"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  // CHECK-NEXT: "onnx.Where"(%c, %a, %b) : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %3 = "onnx.Where"(%c, %a, %b) : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK-NEXT: "onnx.Cast"(%a) <{to = 7 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xi64>
  %4 = "onnx.Cast"(%a) <{to = 7 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xi64>
  // CHECK-NEXT: "onnx.Clip"(%a, %lo) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %5 = "onnx.Clip"(%a, %lo) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  // CHECK-NEXT: "onnx.Max"(%a, %b, %lo) : (tensor<2x3xf32>, tensor<3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %6 = "onnx.Max"(%a, %b, %lo) : (tensor<2x3xf32>, tensor<3xf32>, tensor<f32>) -> tensor<2x3xf32>
  func.return %1, %3, %2, %5, %4, %6, %0 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xi64>, tensor<2x3xf32>, tensor<2x3xf32>
}

// CHECK-LABEL: "func.func"() <{sym_name = "nn"
func.func @nn(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %bias: tensor<6xf32>, %g: tensor<3x4xf32>, %h: tensor<5x4xf32>) -> (tensor<1x6x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xi64>, tensor<3x5xf32>, tensor<1x4x8x8xf32>) {
  // CHECK: "onnx.Conv"(%x, %w, %bias) <{group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}> : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  %0 = "onnx.Conv"(%x, %w, %bias) <{group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}> : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  // CHECK-NEXT: "onnx.MaxPool"(%x) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x4x8x8xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xi64>)
  %1, %2 = "onnx.MaxPool"(%x) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x4x8x8xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xi64>)
  // CHECK-NEXT: "onnx.Gemm"(%g, %h) <{transB = 1 : i64, alpha = 5.000000e-01 : f32}> : (tensor<3x4xf32>, tensor<5x4xf32>) -> tensor<3x5xf32>
  %3 = "onnx.Gemm"(%g, %h) <{transB = 1 : i64, alpha = 0.5 : f32}> : (tensor<3x4xf32>, tensor<5x4xf32>) -> tensor<3x5xf32>
  // CHECK-NEXT: "onnx.Softmax"(%x) <{axis = 1 : i64}> : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %4 = "onnx.Softmax"(%x) <{axis = 1 : i64}> : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  func.return %0, %1, %2, %3, %4 : tensor<1x6x4x4xf32>, tensor<1x4x4x4xf32>, tensor<1x4x4x4xi64>, tensor<3x5xf32>, tensor<1x4x8x8xf32>
}

// CHECK-LABEL: "func.func"() <{sym_name = "normalization"
func.func @normalization(%x: tensor<2x5x8xf32>, %s: tensor<8xf32>, %bx: tensor<1x3x2x2xf32>, %c: tensor<3xf32>) -> (tensor<2x5x8xf32>, tensor<2x5x1xf32>, tensor<1x3x2x2xf32>) {
  // CHECK: "onnx.LayerNormalization"(%x, %s) <{epsilon = 1.000000e-05 : f32, resultSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<2x5x8xf32>, tensor<8xf32>) -> (tensor<2x5x8xf32>, tensor<2x5x1xf32>)
  %0, %1 = "onnx.LayerNormalization"(%x, %s) <{epsilon = 1.0e-05 : f32, resultSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<2x5x8xf32>, tensor<8xf32>) -> (tensor<2x5x8xf32>, tensor<2x5x1xf32>)
  // CHECK-NEXT: "onnx.BatchNormalization"(%bx, %c, %c, %c, %c) <{resultSegmentSizes = array<i32: 1, 0, 0>}>
  %2 = "onnx.BatchNormalization"(%bx, %c, %c, %c, %c) <{resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1x3x2x2xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x3x2x2xf32>
  func.return %0, %1, %2 : tensor<2x5x8xf32>, tensor<2x5x1xf32>, tensor<1x3x2x2xf32>
}

// CHECK-LABEL: "func.func"() <{sym_name = "tensors"
func.func @tensors(%x: tensor<2x3x4xf32>, %i: tensor<2xi64>) -> (tensor<6x4xf32>, tensor<2x1xf32>, tensor<4x3x2xf32>, tensor<2x3x1xf32>, tensor<2x3x3xf32>, tensor<2x2x4xf32>, tensor<2x5x8xf32>) {
  // CHECK: %[[SHAPE:.*]] = "onnx.Constant"() <{value = dense<[6, 4]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %shape = "onnx.Constant"() <{value = dense<[6, 4]> : tensor<2xi64>}> : () -> tensor<2xi64>
  // CHECK-NEXT: "onnx.Reshape"(%x, %[[SHAPE]]) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  %0 = "onnx.Reshape"(%x, %shape) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  // CHECK-NEXT: %[[AXES:.*]] = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %axes = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  // CHECK-NEXT: "onnx.ReduceMean"(%x, %[[AXES]]) <{keepdims = 0 : i64}> : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2xf32>
  %1 = "onnx.ReduceMean"(%x, %axes) <{keepdims = 0 : i64}> : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2xf32>
  // CHECK-NEXT: "onnx.Unsqueeze"
  %2 = "onnx.Unsqueeze"(%1, %i) : (tensor<2xf32>, tensor<2xi64>) -> tensor<2x1x1xf32>
  // CHECK-NEXT: "onnx.Squeeze"(%{{.*}}) : (tensor<2x1x1xf32>) -> tensor<2xf32>
  %3 = "onnx.Squeeze"(%2) : (tensor<2x1x1xf32>) -> tensor<2xf32>
  // CHECK-NEXT: "onnx.Flatten"(%{{.*}}) <{axis = 1 : i64}> : (tensor<2xf32>) -> tensor<2x1xf32>
  %4 = "onnx.Flatten"(%3) <{axis = 1 : i64}> : (tensor<2xf32>) -> tensor<2x1xf32>
  // CHECK-NEXT: "onnx.Transpose"(%x) : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  %5 = "onnx.Transpose"(%x) : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  // CHECK-NEXT: "onnx.Split"(%x) <{axis = -1 : i64, num_outputs = 2 : i64}> : (tensor<2x3x4xf32>) -> (tensor<2x3x2xf32>, tensor<2x3x2xf32>)
  %6, %7 = "onnx.Split"(%x) <{axis = -1 : i64, num_outputs = 2 : i64}> : (tensor<2x3x4xf32>) -> (tensor<2x3x2xf32>, tensor<2x3x2xf32>)
  // CHECK-NEXT: "onnx.Slice"(%x, %i, %i) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<2x3x4xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x3x1xf32>
  %8 = "onnx.Slice"(%x, %i, %i) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<2x3x4xf32>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x3x1xf32>
  // CHECK-NEXT: "onnx.Slice"(%x, %i, %i, %i) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}> : (tensor<2x3x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x3x0xf32>
  // CHECK-NEXT: "onnx.Concat"(%{{.*}}, %{{.*}}, %{{.*}}) <{axis = 2 : i64}> : (tensor<2x3x2xf32>, tensor<2x3x1xf32>, tensor<2x3x0xf32>) -> tensor<2x3x3xf32>
  %e = "onnx.Slice"(%x, %i, %i, %i) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}> : (tensor<2x3x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x3x0xf32>
  %9 = "onnx.Concat"(%6, %8, %e) <{axis = 2 : i64}> : (tensor<2x3x2xf32>, tensor<2x3x1xf32>, tensor<2x3x0xf32>) -> tensor<2x3x3xf32>
  // CHECK-NEXT: "onnx.Gather"(%x, %i) <{axis = 1 : i64}> : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x2x4xf32>
  %10 = "onnx.Gather"(%x, %i) <{axis = 1 : i64}> : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x2x4xf32>
  // CHECK-NEXT: %[[PADS:.*]] = "onnx.Constant"() <{value = dense<[0, 1, 2, 0, 1, 2]> : tensor<6xi64>}> : () -> tensor<6xi64>
  %pads = "onnx.Constant"() <{value = dense<[0, 1, 2, 0, 1, 2]> : tensor<6xi64>}> : () -> tensor<6xi64>
  // CHECK-NEXT: "onnx.Pad"(%x, %[[PADS]]) <{mode = "edge", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<2x3x4xf32>, tensor<6xi64>) -> tensor<2x5x8xf32>
  %11 = "onnx.Pad"(%x, %pads) <{mode = "edge", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<2x3x4xf32>, tensor<6xi64>) -> tensor<2x5x8xf32>
  func.return %0, %4, %5, %8, %9, %10, %11 : tensor<6x4xf32>, tensor<2x1xf32>, tensor<4x3x2xf32>, tensor<2x3x1xf32>, tensor<2x3x3xf32>, tensor<2x2x4xf32>, tensor<2x5x8xf32>
}
