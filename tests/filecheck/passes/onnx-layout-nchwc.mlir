// onnx-layout-nchwc: convolution regions move to the blocked NCHWc layout (here with block=8, AVX2; onnx-layout-nchwc-block16.mlir has block 16).
// A blocked conv gets its W reordered once into a blocked constant [Mb, ICB, KH, KW,
// ICL, 8] and its bias padded to Mb*8; the region grows through Relu (folded into the
// conv), pooling and elementwise ops; ReorderToBlocked/ReorderFromBlocked stay only at
// the region's borders, and a From -> To pair between two blocked ops cancels.
// RUN: opt-tool %s -p "onnx-layout-nchwc{block=8}" --split-input-file | filecheck %s
// RUN: opt-tool %s -p "onnx-layout-nchwc{block=8}" --split-input-file --stats 2>&1 >/dev/null | filecheck %s --check-prefix=STATS

// Conv -> Relu -> MaxPool -> Conv: one region. Relu becomes the first conv's activation,
// the pool is blocked, 16 output channels make two blocks.
func.func @region(%x: tensor<1x8x6x6xf32>) -> tensor<1x16x3x3xf32> {
  %w1 = "onnx.Constant"() <{value = dense<0.5> : tensor<8x8x3x3xf32>}> : () -> tensor<8x8x3x3xf32>
  %b1 = "onnx.Constant"() <{value = dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>}> : () -> tensor<8xf32>
  %w2 = "onnx.Constant"() <{value = dense<0.25> : tensor<16x8x1x1xf32>}> : () -> tensor<16x8x1x1xf32>
  %c = "onnx.Conv"(%x, %w1, %b1) <{pads = array<i64: 1, 1, 1, 1>}> : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  %r = "onnx.Relu"(%c) : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %p = "onnx.MaxPool"(%r) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32>
  %y = "onnx.Conv"(%p, %w2) : (tensor<1x8x3x3xf32>, tensor<16x8x1x1xf32>) -> tensor<1x16x3x3xf32>
  func.return %y : tensor<1x16x3x3xf32>
}
// CHECK-LABEL: func.func @region
// CHECK-NEXT:    %x_nchwc = "strata.ReorderToBlocked"(%x) : (tensor<1x8x6x6xf32>) -> tensor<1x1x6x6x8xf32>
// CHECK-NEXT:    %w1_nchwc = "onnx.Constant"() <{value = dense_resource<{{.*}}> : tensor<1x1x3x3x8x8xf32>}>
// CHECK-NEXT:    %b1_nchwc = "onnx.Constant"() <{value = dense<[1.000000e+00, 2.000000e+00, {{.*}}]> : tensor<8xf32>}>
// CHECK-NEXT:    %c_nchwc = "strata.ConvNCHWc"(%x_nchwc, %w1_nchwc, %b1_nchwc) <{kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "Relu", operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (tensor<1x1x6x6x8xf32>, tensor<1x1x3x3x8x8xf32>, tensor<8xf32>) -> tensor<1x1x6x6x8xf32>
// CHECK-NEXT:    %p_nchwc = "strata.MaxPoolNCHWc"(%c_nchwc) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = 0 : i64}> : (tensor<1x1x6x6x8xf32>) -> tensor<1x1x3x3x8xf32>
// CHECK-NEXT:    %w2_nchwc = "onnx.Constant"() <{value = dense_resource<{{.*}}> : tensor<2x1x1x1x8x8xf32>}>
// CHECK-NEXT:    %y_nchwc = "strata.ConvNCHWc"(%p_nchwc, %w2_nchwc) <{{{.*}}operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x1x3x3x8xf32>, tensor<2x1x1x1x8x8xf32>) -> tensor<1x2x3x3x8xf32>
// CHECK-NEXT:    %y = "strata.ReorderFromBlocked"(%y_nchwc) : (tensor<1x2x3x3x8xf32>) -> tensor<1x16x3x3xf32>
// CHECK-NEXT:    func.return %y : tensor<1x16x3x3xf32>

// -----

// Few input channels (3 < 8): the conv reads the NCHW input directly (ICL = 1, no
// reorder in, W is [Mb, C, KH, KW, 1, 8]); 12 output channels are padded to 16 and the
// final reorder drops the padding. Sigmoid (a second use of the conv result keeps it
// out of the conv's epilogue) and the residual Add run on blocked tensors.
func.func @nchw_input_and_padding(%x: tensor<1x3x4x4xf32>) -> tensor<1x12x4x4xf32> {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<12x3x1x1xf32>}> : () -> tensor<12x3x1x1xf32>
  %c = "onnx.Conv"(%x, %w) : (tensor<1x3x4x4xf32>, tensor<12x3x1x1xf32>) -> tensor<1x12x4x4xf32>
  %s = "onnx.Sigmoid"(%c) : (tensor<1x12x4x4xf32>) -> tensor<1x12x4x4xf32>
  %y = "onnx.Add"(%s, %c) : (tensor<1x12x4x4xf32>, tensor<1x12x4x4xf32>) -> tensor<1x12x4x4xf32>
  func.return %y : tensor<1x12x4x4xf32>
}
// CHECK-LABEL: func.func @nchw_input_and_padding
// CHECK-NEXT:    %w_nchwc = "onnx.Constant"() <{value = dense_resource<{{.*}}> : tensor<2x3x1x1x1x8xf32>}>
// CHECK-NEXT:    %c_nchwc = "strata.ConvNCHWc"(%x, %w_nchwc) {{.*}} : (tensor<1x3x4x4xf32>, tensor<2x3x1x1x1x8xf32>) -> tensor<1x2x4x4x8xf32>
// CHECK-NEXT:    %s = "onnx.Sigmoid"(%c_nchwc) : (tensor<1x2x4x4x8xf32>) -> tensor<1x2x4x4x8xf32>
// CHECK-NEXT:    %y = "onnx.Add"(%s, %c_nchwc) : (tensor<1x2x4x4x8xf32>, tensor<1x2x4x4x8xf32>) -> tensor<1x2x4x4x8xf32>
// CHECK-NEXT:    %y_1 = "strata.ReorderFromBlocked"(%y) : (tensor<1x2x4x4x8xf32>) -> tensor<1x12x4x4xf32>
// CHECK-NEXT:    func.return %y_1 : tensor<1x12x4x4xf32>

// -----

// Two regions joined through a value that is also a graph output: the middle
// ReorderFromBlocked stays for the output, the second conv reads the blocked value
// (the From -> To pair cancels). Conv -> Add(other) becomes the second conv's residual z.
func.func @cancel_and_residual(%x: tensor<1x8x4x4xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<8x8x1x1xf32>}> : () -> tensor<8x8x1x1xf32>
  %a = "onnx.Conv"(%x, %w) : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %b = "onnx.Conv"(%a, %w) : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %y = "onnx.Add"(%b, %a) : (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  func.return %y, %a : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>
}
// CHECK-LABEL: func.func @cancel_and_residual
// CHECK-NEXT:    %x_nchwc = "strata.ReorderToBlocked"(%x)
// CHECK-NEXT:    %w_nchwc = "onnx.Constant"()
// CHECK-NEXT:    %a_nchwc = "strata.ConvNCHWc"(%x_nchwc, %w_nchwc)
// CHECK-NEXT:    %a = "strata.ReorderFromBlocked"(%a_nchwc)
// CHECK-NEXT:    %w_nchwc_1 = "onnx.Constant"()
// CHECK-NEXT:    %b_nchwc = "strata.ConvNCHWc"(%a_nchwc, %w_nchwc_1, %a_nchwc) <{{{.*}}operandSegmentSizes = array<i32: 1, 1, 0, 1>}>
// CHECK-NEXT:    %y = "strata.ReorderFromBlocked"(%b_nchwc)
// CHECK-NEXT:    func.return %y, %a

// -----

// Not blocked: a grouped conv with 2 channels per group (group = 8: the blocked kernel
// would sum whole 8-channel blocks, 8x the grouped work) and a conv with 4 output
// channels (a block would be half padding); nothing around them changes.
func.func @not_blocked(%x: tensor<1x16x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %wg = "onnx.Constant"() <{value = dense<0.5> : tensor<16x2x3x3xf32>}> : () -> tensor<16x2x3x3xf32>
  %w4 = "onnx.Constant"() <{value = dense<0.5> : tensor<4x16x1x1xf32>}> : () -> tensor<4x16x1x1xf32>
  %d = "onnx.Conv"(%x, %wg) <{group = 8 : i64, pads = array<i64: 1, 1, 1, 1>}> : (tensor<1x16x4x4xf32>, tensor<16x2x3x3xf32>) -> tensor<1x16x4x4xf32>
  %r = "onnx.Relu"(%d) : (tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %y = "onnx.Conv"(%r, %w4) : (tensor<1x16x4x4xf32>, tensor<4x16x1x1xf32>) -> tensor<1x4x4x4xf32>
  func.return %y : tensor<1x4x4x4xf32>
}
// CHECK-LABEL: func.func @not_blocked
// CHECK-NOT:     strata.
// CHECK:         %d = "onnx.Conv"(%x, %wg) <{group = 8 : i64
// CHECK-NEXT:    %r = "onnx.Relu"(%d)
// CHECK-NEXT:    %y = "onnx.Conv"(%r, %w4)
// CHECK-NEXT:    func.return %y
// The reasons are logged (opt-tool --stats prints them after the last split).
// STATS-DAG:     BlockConv | grouped conv with too few channels per group for the blocked kernel
// STATS-DAG:     BlockConv | fewer than 8 output channels

// -----

// Depthwise 3x3 (group = C = M = 12, padded to 2 blocks) -> Relu: a DepthwiseConvNCHWc
// with W [Cb, KH, KW, 8] (zero in the 4 padding lanes), the bias padded to 16, Relu
// folded in.
func.func @depthwise(%x: tensor<1x12x5x5xf32>) -> tensor<1x12x3x3xf32> {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<12x1x3x3xf32>}> : () -> tensor<12x1x3x3xf32>
  %b = "onnx.Constant"() <{value = dense<1.0> : tensor<12xf32>}> : () -> tensor<12xf32>
  %d = "onnx.Conv"(%x, %w, %b) <{group = 12 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}> : (tensor<1x12x5x5xf32>, tensor<12x1x3x3xf32>, tensor<12xf32>) -> tensor<1x12x3x3xf32>
  %y = "onnx.Relu"(%d) : (tensor<1x12x3x3xf32>) -> tensor<1x12x3x3xf32>
  func.return %y : tensor<1x12x3x3xf32>
}
// CHECK-LABEL: func.func @depthwise
// CHECK-NEXT:    %x_nchwc = "strata.ReorderToBlocked"(%x) : (tensor<1x12x5x5xf32>) -> tensor<1x2x5x5x8xf32>
// CHECK-NEXT:    %w_nchwc = "onnx.Constant"() <{value = dense_resource<{{.*}}> : tensor<2x3x3x8xf32>}>
// CHECK-NEXT:    %b_nchwc = "onnx.Constant"() <{value = dense<[1.000000e+00, {{.*}}, 0.000000e+00]> : tensor<16xf32>}>
// CHECK-NEXT:    %d_nchwc = "strata.DepthwiseConvNCHWc"(%x_nchwc, %w_nchwc, %b_nchwc) <{kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "Relu", operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (tensor<1x2x5x5x8xf32>, tensor<2x3x3x8xf32>, tensor<16xf32>) -> tensor<1x2x3x3x8xf32>
// CHECK-NEXT:    %y = "strata.ReorderFromBlocked"(%d_nchwc) : (tensor<1x2x3x3x8xf32>) -> tensor<1x12x3x3xf32>
// CHECK-NEXT:    func.return %y

// -----

// A grouped 1x1 conv with 6 -> 28 channels per group (ShuffleNet's, group = 4): a dense
// ConvNCHWc with block-diagonal W (zero between groups); group_channels = [Cg, Mg] lets
// the kernel skip each output block's input blocks outside its groups.
func.func @grouped(%x: tensor<1x24x4x4xf32>) -> tensor<1x112x4x4xf32> {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<112x6x1x1xf32>}> : () -> tensor<112x6x1x1xf32>
  %y = "onnx.Conv"(%x, %w) <{group = 4 : i64}> : (tensor<1x24x4x4xf32>, tensor<112x6x1x1xf32>) -> tensor<1x112x4x4xf32>
  func.return %y : tensor<1x112x4x4xf32>
}
// CHECK-LABEL: func.func @grouped
// CHECK-NEXT:    %x_nchwc = "strata.ReorderToBlocked"(%x) : (tensor<1x24x4x4xf32>) -> tensor<1x3x4x4x8xf32>
// CHECK-NEXT:    %w_nchwc = "onnx.Constant"() <{value = dense_resource<{{.*}}> : tensor<14x3x1x1x8x8xf32>}>
// CHECK-NEXT:    %y_nchwc = "strata.ConvNCHWc"(%x_nchwc, %w_nchwc) <{{{.*}}group_channels = array<i64: 6, 28>{{.*}}}> : (tensor<1x3x4x4x8xf32>, tensor<14x3x1x1x8x8xf32>) -> tensor<1x14x4x4x8xf32>
// CHECK-NEXT:    %y = "strata.ReorderFromBlocked"(%y_nchwc)
// CHECK-NEXT:    func.return %y

// -----

// A channel Concat of two blocked branches (8 + 16 channels, both multiples of 8)
// becomes a Concat of whole blocks along the block axis: the region goes on. A
// 4-channel input would put padding lanes between channels: that Concat stays NCHW.
func.func @concat(%x: tensor<1x8x4x4xf32>, %z: tensor<1x4x4x4xf32>) -> (tensor<1x24x4x4xf32>, tensor<1x12x4x4xf32>) {
  %w1 = "onnx.Constant"() <{value = dense<0.5> : tensor<8x8x1x1xf32>}> : () -> tensor<8x8x1x1xf32>
  %w2 = "onnx.Constant"() <{value = dense<0.25> : tensor<16x8x1x1xf32>}> : () -> tensor<16x8x1x1xf32>
  %a = "onnx.Conv"(%x, %w1) : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %b = "onnx.Conv"(%x, %w2) : (tensor<1x8x4x4xf32>, tensor<16x8x1x1xf32>) -> tensor<1x16x4x4xf32>
  %cat = "onnx.Concat"(%a, %b) <{axis = 1 : i64}> : (tensor<1x8x4x4xf32>, tensor<1x16x4x4xf32>) -> tensor<1x24x4x4xf32>
  %odd = "onnx.Concat"(%a, %z) <{axis = 1 : i64}> : (tensor<1x8x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x12x4x4xf32>
  func.return %cat, %odd : tensor<1x24x4x4xf32>, tensor<1x12x4x4xf32>
}
// CHECK-LABEL: func.func @concat
// CHECK:         %cat_nchwc = "onnx.Concat"(%{{.*}}, %{{.*}}) <{axis = 1 : i64}> : (tensor<1x1x4x4x8xf32>, tensor<1x2x4x4x8xf32>) -> tensor<1x3x4x4x8xf32>
// CHECK-NEXT:    %cat = "strata.ReorderFromBlocked"(%cat_nchwc) : (tensor<1x3x4x4x8xf32>) -> tensor<1x24x4x4xf32>
// CHECK:         %odd = "onnx.Concat"(%a, %z) <{axis = 1 : i64}> : (tensor<1x8x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x12x4x4xf32>

// -----

// An inference BatchNormalization of a blocked value becomes a blocked Mul and Add by
// per-channel constants (f = scale / sqrt(var + eps) = 2 / sqrt(4) = 1 here, shift =
// bias - mean * f = 3 - 1 = 2), so the region goes on into the next conv.
func.func @batchnorm(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<8x8x1x1xf32>}> : () -> tensor<8x8x1x1xf32>
  %s = "onnx.Constant"() <{value = dense<2.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %b = "onnx.Constant"() <{value = dense<3.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %m = "onnx.Constant"() <{value = dense<1.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %v = "onnx.Constant"() <{value = dense<4.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %c = "onnx.Conv"(%x, %w) : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %n = "onnx.BatchNormalization"(%c, %s, %b, %m, %v) <{epsilon = 0.0 : f32, resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  %y = "onnx.Conv"(%n, %w) : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  func.return %y : tensor<1x8x4x4xf32>
}
// CHECK-LABEL: func.func @batchnorm
// CHECK-NOT:     onnx.BatchNormalization
// CHECK:         %bn_scale_nchwc = "onnx.Constant"() <{value = dense<1.000000e+00> : tensor<1x1x1x8xf32>}>
// CHECK:         %bn_shift_nchwc = "onnx.Constant"() <{value = dense<2.000000e+00> : tensor<1x1x1x8xf32>}>
// CHECK:         %[[M:.*]] = "onnx.Mul"(%c_nchwc, %bn_scale_nchwc) : (tensor<1x1x4x4x8xf32>, tensor<1x1x1x8xf32>) -> tensor<1x1x4x4x8xf32>
// CHECK-NEXT:    %{{.*}} = "onnx.Add"(%[[M]], %bn_shift_nchwc)
// CHECK-NOT:     strata.ReorderFromBlocked"(%c_nchwc)
// CHECK:         "strata.ConvNCHWc"
// CHECK:         func.return

// -----

// ShuffleNet's channel shuffle (Reshape [1, 2, 8, 3, 3] -> Transpose [0, 2, 1, 3, 4] ->
// Reshape back) between two blocked convs: a ChannelShuffleNCHWc on the blocked tensor,
// the region goes on into the depthwise conv. The same shuffle of 12 channels (blocks
// would mix padding lanes) stays NCHW; the reason is logged.
func.func @shuffle(%x: tensor<1x16x3x3xf32>) -> (tensor<1x16x3x3xf32>, tensor<1x12x3x3xf32>) {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<16x16x1x1xf32>}> : () -> tensor<16x16x1x1xf32>
  %wd = "onnx.Constant"() <{value = dense<0.25> : tensor<16x1x3x3xf32>}> : () -> tensor<16x1x3x3xf32>
  %w12 = "onnx.Constant"() <{value = dense<0.5> : tensor<12x16x1x1xf32>}> : () -> tensor<12x16x1x1xf32>
  %s1 = "onnx.Constant"() <{value = dense<[1, 2, 8, 3, 3]> : tensor<5xi64>}> : () -> tensor<5xi64>
  %s2 = "onnx.Constant"() <{value = dense<[1, 16, 3, 3]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %s3 = "onnx.Constant"() <{value = dense<[1, 2, 6, 3, 3]> : tensor<5xi64>}> : () -> tensor<5xi64>
  %s4 = "onnx.Constant"() <{value = dense<[1, 12, 3, 3]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %a = "onnx.Conv"(%x, %w) : (tensor<1x16x3x3xf32>, tensor<16x16x1x1xf32>) -> tensor<1x16x3x3xf32>
  %h = "onnx.Reshape"(%a, %s1) : (tensor<1x16x3x3xf32>, tensor<5xi64>) -> tensor<1x2x8x3x3xf32>
  %t = "onnx.Transpose"(%h) <{perm = array<i64: 0, 2, 1, 3, 4>}> : (tensor<1x2x8x3x3xf32>) -> tensor<1x8x2x3x3xf32>
  %q = "onnx.Reshape"(%t, %s2) : (tensor<1x8x2x3x3xf32>, tensor<4xi64>) -> tensor<1x16x3x3xf32>
  %y = "onnx.Conv"(%q, %wd) <{group = 16 : i64, pads = array<i64: 1, 1, 1, 1>}> : (tensor<1x16x3x3xf32>, tensor<16x1x3x3xf32>) -> tensor<1x16x3x3xf32>
  %b = "onnx.Conv"(%x, %w12) : (tensor<1x16x3x3xf32>, tensor<12x16x1x1xf32>) -> tensor<1x12x3x3xf32>
  %h2 = "onnx.Reshape"(%b, %s3) : (tensor<1x12x3x3xf32>, tensor<5xi64>) -> tensor<1x2x6x3x3xf32>
  %t2 = "onnx.Transpose"(%h2) <{perm = array<i64: 0, 2, 1, 3, 4>}> : (tensor<1x2x6x3x3xf32>) -> tensor<1x6x2x3x3xf32>
  %q2 = "onnx.Reshape"(%t2, %s4) : (tensor<1x6x2x3x3xf32>, tensor<4xi64>) -> tensor<1x12x3x3xf32>
  func.return %y, %q2 : tensor<1x16x3x3xf32>, tensor<1x12x3x3xf32>
}
// CHECK-LABEL: func.func @shuffle
// CHECK:         %a_nchwc = "strata.ConvNCHWc"
// CHECK-NEXT:    %q_nchwc = "strata.ChannelShuffleNCHWc"(%a_nchwc) <{channels = 16 : i64, group = 2 : i64}> : (tensor<1x2x3x3x8xf32>) -> tensor<1x2x3x3x8xf32>
// CHECK-NOT:     onnx.Transpose"(%h)
// CHECK:         %y_nchwc = "strata.DepthwiseConvNCHWc"(%q_nchwc,
// CHECK:         %b = "strata.ReorderFromBlocked"
// CHECK-NEXT:    %h2 = "onnx.Reshape"(%b, %s3)
// CHECK-NEXT:    %t2 = "onnx.Transpose"(%h2)
// CHECK-NEXT:    %q2 = "onnx.Reshape"(%t2, %s4)
// STATS:         BlockChannelShuffle | channel shuffle of a channel count that is not a multiple of the block 8
// -----

// A squeeze-excite block (EfficientNet's): ReduceMean over H, W -> reducing 1x1 conv (16
// -> 4 channels, padded to one block: its input is blocked and it makes one pixel) ->
// Swish -> expanding 1x1 conv -> Sigmoid -> channel scale of the block's input. All of it
// stays blocked: the mean is a blocked GlobalAveragePool, the activations fold into the
// convs, the [1, 16, 1, 1] gate multiplies the blocked tensor lane for lane; the only
// reorders are the model's input and output.
func.func @squeeze_excite(%x: tensor<1x16x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w = "onnx.Constant"() <{value = dense<0.125> : tensor<16x16x1x1xf32>}> : () -> tensor<16x16x1x1xf32>
  %axes = "onnx.Constant"() <{value = dense<[2, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %wr = "onnx.Constant"() <{value = dense<0.25> : tensor<4x16x1x1xf32>}> : () -> tensor<4x16x1x1xf32>
  %br = "onnx.Constant"() <{value = dense<0.5> : tensor<4xf32>}> : () -> tensor<4xf32>
  %we = "onnx.Constant"() <{value = dense<0.5> : tensor<16x4x1x1xf32>}> : () -> tensor<16x4x1x1xf32>
  %wo = "onnx.Constant"() <{value = dense<0.5> : tensor<8x16x1x1xf32>}> : () -> tensor<8x16x1x1xf32>
  %c = "onnx.Conv"(%x, %w) : (tensor<1x16x4x4xf32>, tensor<16x16x1x1xf32>) -> tensor<1x16x4x4xf32>
  %m = "onnx.ReduceMean"(%c, %axes) <{keepdims = 1 : i64}> : (tensor<1x16x4x4xf32>, tensor<2xi64>) -> tensor<1x16x1x1xf32>
  %r = "onnx.Conv"(%m, %wr, %br) : (tensor<1x16x1x1xf32>, tensor<4x16x1x1xf32>, tensor<4xf32>) -> tensor<1x4x1x1xf32>
  %rs = "onnx.Swish"(%r) : (tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32>
  %e = "onnx.Conv"(%rs, %we) : (tensor<1x4x1x1xf32>, tensor<16x4x1x1xf32>) -> tensor<1x16x1x1xf32>
  %g = "onnx.Sigmoid"(%e) : (tensor<1x16x1x1xf32>) -> tensor<1x16x1x1xf32>
  %s = "onnx.Mul"(%c, %g) : (tensor<1x16x4x4xf32>, tensor<1x16x1x1xf32>) -> tensor<1x16x4x4xf32>
  %y = "onnx.Conv"(%s, %wo) : (tensor<1x16x4x4xf32>, tensor<8x16x1x1xf32>) -> tensor<1x8x4x4xf32>
  func.return %y : tensor<1x8x4x4xf32>
}
// CHECK-LABEL: func.func @squeeze_excite
// CHECK-NEXT:    %x_nchwc = "strata.ReorderToBlocked"(%x)
// CHECK-NEXT:    %w_nchwc = "onnx.Constant"
// CHECK-NEXT:    %c_nchwc = "strata.ConvNCHWc"(%x_nchwc, %w_nchwc)
// CHECK-NEXT:    %m_nchwc = "strata.GlobalAveragePoolNCHWc"(%c_nchwc) : (tensor<1x2x4x4x8xf32>) -> tensor<1x2x1x1x8xf32>
// CHECK-NEXT:    %wr_nchwc = "onnx.Constant"() <{value = dense_resource<{{.*}}> : tensor<1x2x1x1x8x8xf32>}>
// CHECK-NEXT:    %br_nchwc = "onnx.Constant"() <{value = dense<[5.000000e-01, 5.000000e-01, 5.000000e-01, 5.000000e-01, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]> : tensor<8xf32>}>
// CHECK-NEXT:    %r_nchwc = "strata.ConvNCHWc"(%m_nchwc, %wr_nchwc, %br_nchwc) <{{{.*}}activation = "Swish", activation_params = array<f32: 1.000000e+00>{{.*}}}> : (tensor<1x2x1x1x8xf32>, tensor<1x2x1x1x8x8xf32>, tensor<8xf32>) -> tensor<1x1x1x1x8xf32>
// CHECK-NEXT:    %we_nchwc = "onnx.Constant"
// CHECK-NEXT:    %e_nchwc = "strata.ConvNCHWc"(%r_nchwc, %we_nchwc) <{{{.*}}activation = "Sigmoid"{{.*}}}> : (tensor<1x1x1x1x8xf32>, tensor<2x1x1x1x8x8xf32>) -> tensor<1x2x1x1x8xf32>
// CHECK-NEXT:    %s = "onnx.Mul"(%c_nchwc, %e_nchwc) : (tensor<1x2x4x4x8xf32>, tensor<1x2x1x1x8xf32>) -> tensor<1x2x4x4x8xf32>
// CHECK-NEXT:    %wo_nchwc = "onnx.Constant"
// CHECK-NEXT:    %y_nchwc = "strata.ConvNCHWc"(%s, %wo_nchwc)
// CHECK-NEXT:    %y = "strata.ReorderFromBlocked"(%y_nchwc)
// CHECK-NEXT:    func.return %y
