// onnx-fuse-conv-bn: BatchNormalization, per-channel Add and per-channel Mul after a
// Conv fold into the Conv's W and B. Each case shows a pattern firing or a reason it
// must not fire. The fused Conv keeps the Conv's properties and takes the result (and
// name) of the op it replaces; the old Conv and unused constants are removed.
// RUN: opt-tool %s -p onnx-fuse-conv-bn --split-input-file | filecheck %s

// Conv (with B) -> BatchNormalization: f = scale / sqrt(var + eps) = [2/1, 4/2] = [2, 2];
// W' = W * f = [2, 4]; B' = (B - mean) * f + bias = (1 - 0.5) * 2 + 0.5, (1 - 2) * 2 + 1.
func.func @conv_bn(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = "onnx.Constant"() <{value = dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>}> : () -> tensor<2x1x1x1xf32>
  %cb = "onnx.Constant"() <{value = dense<[1.0, 1.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %s = "onnx.Constant"() <{value = dense<[2.0, 4.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %b = "onnx.Constant"() <{value = dense<[0.5, 1.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %m = "onnx.Constant"() <{value = dense<[0.5, 2.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %v = "onnx.Constant"() <{value = dense<[0.0, 3.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %y = "onnx.Conv"(%x, %w, %cb) <{group = 2 : i64, strides = array<i64: 2, 2>}> : (tensor<1x2x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %z = "onnx.BatchNormalization"(%y, %s, %b, %m, %v) <{epsilon = 1.0 : f32, resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  func.return %z : tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @conv_bn
// CHECK-NEXT:    %w_fused = "onnx.Constant"() <{value = dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}4.000000e+00]]]]> : tensor<2x1x1x1xf32>}>
// CHECK-NEXT:    %cb_fused = "onnx.Constant"() <{value = dense<[1.500000e+00, -1.000000e+00]> : tensor<2xf32>}>
// CHECK-NEXT:    %z = "onnx.Conv"(%x, %w_fused, %cb_fused) <{group = 2 : i64, strides = array<i64: 2, 2>}> : (tensor<1x2x4x4xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NEXT:    func.return %z : tensor<1x2x2x2xf32>

// -----

// Conv without B -> BatchNormalization (B = 0): B' = -mean * f + bias.
func.func @conv_bn_no_bias(%x: tensor<1x1x3xf32>) -> tensor<1x2x3xf32> {
  %w = "onnx.Constant"() <{value = dense<[[[1.0]], [[-1.0]]]> : tensor<2x1x1xf32>}> : () -> tensor<2x1x1xf32>
  %s = "onnx.Constant"() <{value = dense<[1.0, 3.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %b = "onnx.Constant"() <{value = dense<[0.25, 0.5]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %m = "onnx.Constant"() <{value = dense<[1.0, 1.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %v = "onnx.Constant"() <{value = dense<[3.0, 8.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %y = "onnx.Conv"(%x, %w) : (tensor<1x1x3xf32>, tensor<2x1x1xf32>) -> tensor<1x2x3xf32>
  %z = "onnx.BatchNormalization"(%y, %s, %b, %m, %v) <{epsilon = 1.0 : f32, resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1x2x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3xf32>
  func.return %z : tensor<1x2x3xf32>
}
// CHECK-LABEL: func.func @conv_bn_no_bias
// CHECK-NEXT:    %w_fused = "onnx.Constant"() <{value = dense<{{\[\[\[}}5.000000e-01]], {{\[\[}}-1.000000e+00]]]> : tensor<2x1x1xf32>}>
// CHECK-NEXT:    %b_fused = "onnx.Constant"() <{value = dense<[-2.500000e-01, -5.000000e-01]> : tensor<2xf32>}>
// CHECK-NEXT:    %z = "onnx.Conv"(%x, %w_fused, %b_fused) : (tensor<1x1x3xf32>, tensor<2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3xf32>
// CHECK-NEXT:    func.return %z : tensor<1x2x3xf32>

// -----

// Conv -> Add of a per-channel constant, either operand order: B' = B + c (B = 0 when
// absent). [2x1x1] and [1x2x1x1] both broadcast only along the channel axis.
func.func @conv_add(%x: tensor<1x2x2x2xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = "onnx.Constant"() <{value = dense<[[[[1.0]], [[0.0]]], [[[0.0]], [[1.0]]]]> : tensor<2x2x1x1xf32>}> : () -> tensor<2x2x1x1xf32>
  %cb = "onnx.Constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %c = "onnx.Constant"() <{value = dense<[[[0.5]], [[-1.0]]]> : tensor<2x1x1xf32>}> : () -> tensor<2x1x1xf32>
  %c4 = "onnx.Constant"() <{value = dense<[[[[3.0]], [[4.0]]]]> : tensor<1x2x1x1xf32>}> : () -> tensor<1x2x1x1xf32>
  %y = "onnx.Conv"(%x, %w, %cb) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %a = "onnx.Add"(%y, %c) : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %y2 = "onnx.Conv"(%x, %w) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %a2 = "onnx.Add"(%c4, %y2) : (tensor<1x2x1x1xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  func.return %a, %a2 : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @conv_add
// CHECK-NEXT:    %w = "onnx.Constant"()
// CHECK-NEXT:    %cb_fused = "onnx.Constant"() <{value = dense<[1.500000e+00, 1.000000e+00]> : tensor<2xf32>}>
// CHECK-NEXT:    %a = "onnx.Conv"(%x, %w, %cb_fused) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NEXT:    %b_fused = "onnx.Constant"() <{value = dense<[3.000000e+00, 4.000000e+00]> : tensor<2xf32>}>
// CHECK-NEXT:    %a2 = "onnx.Conv"(%x, %w, %b_fused) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NEXT:    func.return %a, %a2
// CHECK-NOT:     onnx.Add

// -----

// Conv -> Mul by a per-channel constant: W' = W * s per output channel, B' = B * s.
// A Conv without B stays without B; a scalar constant is per-channel too.
func.func @conv_mul(%x: tensor<1x2x2x2xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = "onnx.Constant"() <{value = dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>}> : () -> tensor<2x2x1x1xf32>
  %cb = "onnx.Constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %s = "onnx.Constant"() <{value = dense<[[[[2.0]], [[-0.5]]]]> : tensor<1x2x1x1xf32>}> : () -> tensor<1x2x1x1xf32>
  %k = "onnx.Constant"() <{value = dense<3.0> : tensor<f32>}> : () -> tensor<f32>
  %y = "onnx.Conv"(%x, %w, %cb) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %p = "onnx.Mul"(%y, %s) : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %y2 = "onnx.Conv"(%x, %w) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %p2 = "onnx.Mul"(%y2, %k) : (tensor<1x2x2x2xf32>, tensor<f32>) -> tensor<1x2x2x2xf32>
  func.return %p, %p2 : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @conv_mul
// CHECK-NEXT:    %w_fused = "onnx.Constant"() <{value = dense<{{\[\[\[\[}}2.000000e+00]], {{\[\[}}4.000000e+00]]], {{\[\[\[}}-1.500000e+00]], {{\[\[}}-2.000000e+00]]]]> : tensor<2x2x1x1xf32>}>
// CHECK-NEXT:    %cb_fused = "onnx.Constant"() <{value = dense<[2.000000e+00, -1.000000e+00]> : tensor<2xf32>}>
// CHECK-NEXT:    %p = "onnx.Conv"(%x, %w_fused, %cb_fused) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NEXT:    %w_fused_1 = "onnx.Constant"() <{value = dense<{{\[\[\[\[}}3.000000e+00]], {{\[\[}}6.000000e+00]]], {{\[\[\[}}9.000000e+00]], {{\[\[}}1.200000e+01]]]]> : tensor<2x2x1x1xf32>}>
// CHECK-NEXT:    %p2 = "onnx.Conv"(%x, %w_fused_1) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NEXT:    func.return %p, %p2

// -----

// A chain Conv -> BatchNormalization -> Mul -> Add folds down to one Conv:
// BN: f = [1, 1], B' = [1, 2] - [1, 1] + [0, 0] = [0, 1]; Mul by [2, 3]: W' = [2, 3],
// B' = [0, 3]; Add [1, 1]: B' = [1, 4].
func.func @chain(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %w = "onnx.Constant"() <{value = dense<[[[[1.0]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>}> : () -> tensor<2x1x1x1xf32>
  %cb = "onnx.Constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %zero = "onnx.Constant"() <{value = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %s = "onnx.Constant"() <{value = dense<[[[2.0]], [[3.0]]]> : tensor<2x1x1xf32>}> : () -> tensor<2x1x1xf32>
  %c = "onnx.Constant"() <{value = dense<1.0> : tensor<1x2x1x1xf32>}> : () -> tensor<1x2x1x1xf32>
  %y = "onnx.Conv"(%x, %w, %cb) : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %bn = "onnx.BatchNormalization"(%y, %one, %zero, %one, %zero) <{epsilon = 1.0 : f32, resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %mul = "onnx.Mul"(%bn, %s) : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %add = "onnx.Add"(%mul, %c) : (tensor<1x2x2x2xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  func.return %add : tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @chain
// CHECK-NEXT:    %w_fused = "onnx.Constant"() <{value = dense<{{\[\[\[\[}}2.000000e+00]]], {{\[\[\[}}3.000000e+00]]]]> : tensor<2x1x1x1xf32>}>
// CHECK-NEXT:    %cb_fused = "onnx.Constant"() <{value = dense<[1.000000e+00, 4.000000e+00]> : tensor<2xf32>}>
// CHECK-NEXT:    %add = "onnx.Conv"(%x, %w_fused, %cb_fused) : (tensor<1x1x2x2xf32>, tensor<2x1x1x1xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
// CHECK-NEXT:    func.return %add : tensor<1x2x2x2xf32>

// -----

// Must not fire: the Conv result has a second use (it is also returned), so the
// unfused value is still needed.
func.func @conv_two_uses(%x: tensor<1x2x2x2xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = "onnx.Constant"() <{value = dense<1.0> : tensor<2x2x1x1xf32>}> : () -> tensor<2x2x1x1xf32>
  %c = "onnx.Constant"() <{value = dense<[[[0.5]], [[-1.0]]]> : tensor<2x1x1xf32>}> : () -> tensor<2x1x1xf32>
  %y = "onnx.Conv"(%x, %w) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %a = "onnx.Add"(%y, %c) : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x2xf32>
  func.return %a, %y : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @conv_two_uses
// CHECK:         %y = "onnx.Conv"(%x, %w) :
// CHECK-NEXT:    %a = "onnx.Add"(%y, %c)
// CHECK-NEXT:    func.return %a, %y

// -----

// Must not fire: W is a graph input, not a constant (nothing to fold into), and a
// BatchNormalization parameter (the mean) is a graph input.
func.func @not_constant(%x: tensor<1x2x2x2xf32>, %w: tensor<2x2x1x1xf32>, %m: tensor<2xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w2 = "onnx.Constant"() <{value = dense<1.0> : tensor<2x2x1x1xf32>}> : () -> tensor<2x2x1x1xf32>
  %k = "onnx.Constant"() <{value = dense<[2.0, 3.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %s = "onnx.Constant"() <{value = dense<[[[2.0]], [[3.0]]]> : tensor<2x1x1xf32>}> : () -> tensor<2x1x1xf32>
  %y = "onnx.Conv"(%x, %w) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %p = "onnx.Mul"(%y, %s) : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %y2 = "onnx.Conv"(%x, %w2) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %bn = "onnx.BatchNormalization"(%y2, %k, %k, %m, %k) <{resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  func.return %p, %bn : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @not_constant
// CHECK:         %y = "onnx.Conv"(%x, %w) :
// CHECK-NEXT:    %p = "onnx.Mul"(%y, %s)
// CHECK-NEXT:    %y2 = "onnx.Conv"(%x, %w2) :
// CHECK-NEXT:    %bn = "onnx.BatchNormalization"(%y2, %k, %k, %m, %k)
// CHECK-NEXT:    func.return %p, %bn

// -----

// Must not fire: the constants broadcast along a non-channel axis: [2] lies along the
// last spatial axis, [2x1x1x1] along the batch axis (and grows the result type),
// [1x1x2x1] along a spatial axis.
func.func @not_per_channel(%x: tensor<1x2x2x2xf32>) -> (tensor<1x2x2x2xf32>, tensor<2x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = "onnx.Constant"() <{value = dense<1.0> : tensor<2x2x1x1xf32>}> : () -> tensor<2x2x1x1xf32>
  %v = "onnx.Constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %n = "onnx.Constant"() <{value = dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>}> : () -> tensor<2x1x1x1xf32>
  %h = "onnx.Constant"() <{value = dense<[[[[1.0], [2.0]]]]> : tensor<1x1x2x1xf32>}> : () -> tensor<1x1x2x1xf32>
  %y1 = "onnx.Conv"(%x, %w) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %a = "onnx.Add"(%y1, %v) : (tensor<1x2x2x2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %y2 = "onnx.Conv"(%x, %w) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %b = "onnx.Add"(%y2, %n) : (tensor<1x2x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<2x2x2x2xf32>
  %y3 = "onnx.Conv"(%x, %w) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %p = "onnx.Mul"(%y3, %h) : (tensor<1x2x2x2xf32>, tensor<1x1x2x1xf32>) -> tensor<1x2x2x2xf32>
  func.return %a, %b, %p : tensor<1x2x2x2xf32>, tensor<2x2x2x2xf32>, tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @not_per_channel
// CHECK:         %y1 = "onnx.Conv"(%x, %w) :
// CHECK-NEXT:    %a = "onnx.Add"(%y1, %v)
// CHECK-NEXT:    %y2 = "onnx.Conv"(%x, %w) :
// CHECK-NEXT:    %b = "onnx.Add"(%y2, %n)
// CHECK-NEXT:    %y3 = "onnx.Conv"(%x, %w) :
// CHECK-NEXT:    %p = "onnx.Mul"(%y3, %h)
// CHECK-NEXT:    func.return %a, %b, %p

// -----

// Must not fire: BatchNormalization in training mode (it normalizes with the batch
// statistics, not the constants) and an Add of two Conv results (no constant).
func.func @training_and_no_constant(%x: tensor<1x2x2x2xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) {
  %w = "onnx.Constant"() <{value = dense<1.0> : tensor<2x2x1x1xf32>}> : () -> tensor<2x2x1x1xf32>
  %k = "onnx.Constant"() <{value = dense<[2.0, 3.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %y = "onnx.Conv"(%x, %w) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %bn = "onnx.BatchNormalization"(%y, %k, %k, %k, %k) <{training_mode = 1 : i64, resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %y1 = "onnx.Conv"(%x, %w) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %y2 = "onnx.Conv"(%x, %w) : (tensor<1x2x2x2xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %a = "onnx.Add"(%y1, %y2) : (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  func.return %bn, %a : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @training_and_no_constant
// CHECK:         %y = "onnx.Conv"(%x, %w) :
// CHECK-NEXT:    %bn = "onnx.BatchNormalization"(%y, %k, %k, %k, %k) <{training_mode = 1 : i64
// CHECK-NEXT:    %y1 = "onnx.Conv"(%x, %w) :
// CHECK-NEXT:    %y2 = "onnx.Conv"(%x, %w) :
// CHECK-NEXT:    %a = "onnx.Add"(%y1, %y2)
// CHECK-NEXT:    func.return %bn, %a

// -----

// BatchNormalization -> Mul(per-channel) -> Add(per-channel): the scale and shift fold
// into the BatchNormalization's scale and bias (2 * [1, 2] and 2 * [3, 4] + [10, 20]).
func.func @bn_mul_add(%x: tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %s = "onnx.Constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %b = "onnx.Constant"() <{value = dense<[3.0, 4.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %m = "onnx.Constant"() <{value = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %v = "onnx.Constant"() <{value = dense<1.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %k = "onnx.Constant"() <{value = dense<2.0> : tensor<2x1x1xf32>}> : () -> tensor<2x1x1xf32>
  %t = "onnx.Constant"() <{value = dense<[[[10.0]], [[20.0]]]> : tensor<2x1x1xf32>}> : () -> tensor<2x1x1xf32>
  %bn = "onnx.BatchNormalization"(%x, %s, %b, %m, %v) <{resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<1x2x2x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x2x2xf32>
  %p = "onnx.Mul"(%bn, %k) : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x2xf32>
  %y = "onnx.Add"(%p, %t) : (tensor<1x2x2x2xf32>, tensor<2x1x1xf32>) -> tensor<1x2x2x2xf32>
  func.return %y : tensor<1x2x2x2xf32>
}
// CHECK-LABEL: func.func @bn_mul_add
// CHECK-DAG:     "onnx.Constant"() <{value = dense<[2.000000e+00, 4.000000e+00]> : tensor<2xf32>}>
// CHECK-DAG:     "onnx.Constant"() <{value = dense<[1.600000e+01, 2.800000e+01]> : tensor<2xf32>}>
// CHECK:         %y = "onnx.BatchNormalization"(%x,
// CHECK-NOT:     onnx.Mul
// CHECK-NOT:     onnx.Add
// CHECK:         func.return %y
