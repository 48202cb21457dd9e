// onnx-layout-nchwc with block=16 (AVX-512: one zmm of f32 per channel block, as
// onnxruntime's MLAS): blocked types end in 16, W is [Mb, ICB, KH, KW, 16, 16], the
// bias is padded to Mb*16 (24 output channels: two blocks, 8 padding lanes), and a conv
// whose input has fewer than 16 channels reads it as NCHW (ICL = 1).
// RUN: opt-tool %s -p "onnx-layout-nchwc{block=16}" --split-input-file | filecheck %s
// RUN: not opt-tool %s -p "onnx-layout-nchwc{block=12}" 2>&1 | filecheck %s --check-prefix=BAD

func.func @region16(%x: tensor<1x16x6x6xf32>) -> tensor<1x24x3x3xf32> {
  %w1 = "onnx.Constant"() <{value = dense<0.5> : tensor<16x16x3x3xf32>}> : () -> tensor<16x16x3x3xf32>
  %w2 = "onnx.Constant"() <{value = dense<0.25> : tensor<24x16x1x1xf32>}> : () -> tensor<24x16x1x1xf32>
  %b2 = "onnx.Constant"() <{value = dense<1.0> : tensor<24xf32>}> : () -> tensor<24xf32>
  %c = "onnx.Conv"(%x, %w1) <{pads = array<i64: 1, 1, 1, 1>}> : (tensor<1x16x6x6xf32>, tensor<16x16x3x3xf32>) -> tensor<1x16x6x6xf32>
  %r = "onnx.Relu"(%c) : (tensor<1x16x6x6xf32>) -> tensor<1x16x6x6xf32>
  %p = "onnx.MaxPool"(%r) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x16x6x6xf32>) -> tensor<1x16x3x3xf32>
  %y = "onnx.Conv"(%p, %w2, %b2) : (tensor<1x16x3x3xf32>, tensor<24x16x1x1xf32>, tensor<24xf32>) -> tensor<1x24x3x3xf32>
  func.return %y : tensor<1x24x3x3xf32>
}
// CHECK-LABEL: func.func @region16
// CHECK-NEXT:    %x_nchwc = "strata.ReorderToBlocked"(%x) : (tensor<1x16x6x6xf32>) -> tensor<1x1x6x6x16xf32>
// CHECK-NEXT:    %w1_nchwc = "onnx.Constant"() <{value = dense_resource<{{.*}}> : tensor<1x1x3x3x16x16xf32>}>
// CHECK-NEXT:    %c_nchwc = "strata.ConvNCHWc"(%x_nchwc, %w1_nchwc) <{{{.*}}activation = "Relu"{{.*}}}> : (tensor<1x1x6x6x16xf32>, tensor<1x1x3x3x16x16xf32>) -> tensor<1x1x6x6x16xf32>
// CHECK-NEXT:    %p_nchwc = "strata.MaxPoolNCHWc"(%c_nchwc) {{.*}} : (tensor<1x1x6x6x16xf32>) -> tensor<1x1x3x3x16xf32>
// CHECK-NEXT:    %w2_nchwc = "onnx.Constant"() <{value = dense_resource<{{.*}}> : tensor<2x1x1x1x16x16xf32>}>
// CHECK-NEXT:    %b2_nchwc = "onnx.Constant"() <{value = dense_resource<{{.*}}> : tensor<32xf32>}>
// CHECK-NEXT:    %y_nchwc = "strata.ConvNCHWc"(%p_nchwc, %w2_nchwc, %b2_nchwc) {{.*}} -> tensor<1x2x3x3x16xf32>
// CHECK-NEXT:    %y = "strata.ReorderFromBlocked"(%y_nchwc) : (tensor<1x2x3x3x16xf32>) -> tensor<1x24x3x3xf32>
// CHECK-NEXT:    func.return %y : tensor<1x24x3x3xf32>

// BAD: onnx-layout-nchwc: block must be one of 8, 16, got 12

// -----

// 8 input channels (fewer than a block of 16): the conv reads the NCHW x, W [1, 8, 3, 3, 1, 16].
func.func @narrow_input(%x: tensor<1x8x6x6xf32>) -> tensor<1x16x6x6xf32> {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<16x8x3x3xf32>}> : () -> tensor<16x8x3x3xf32>
  %y = "onnx.Conv"(%x, %w) <{pads = array<i64: 1, 1, 1, 1>}> : (tensor<1x8x6x6xf32>, tensor<16x8x3x3xf32>) -> tensor<1x16x6x6xf32>
  func.return %y : tensor<1x16x6x6xf32>
}
// CHECK-LABEL: func.func @narrow_input
// CHECK-NEXT:    %w_nchwc = "onnx.Constant"() <{value = dense_resource<{{.*}}> : tensor<1x8x3x3x1x16xf32>}>
// CHECK-NEXT:    %y_nchwc = "strata.ConvNCHWc"(%x, %w_nchwc) {{.*}} : (tensor<1x8x6x6xf32>, tensor<1x8x3x3x1x16xf32>) -> tensor<1x1x6x6x16xf32>
// CHECK-NEXT:    %y = "strata.ReorderFromBlocked"(%y_nchwc) : (tensor<1x1x6x6x16xf32>) -> tensor<1x16x6x6xf32>
