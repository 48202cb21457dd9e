// RUN: opt-tool %s -p onnx-eliminate-redundant-nodes --split-input-file | filecheck %s

// Identity -> its input (here the graph input becomes the returned value).
// CHECK-LABEL: func.func @identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
// CHECK-NEXT:    func.return %x : tensor<2x3xf32>
func.func @identity(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.Identity"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}

// -----

// Inference Dropout (no training_mode; training_mode a constant false; unused mask) -> input.
// CHECK-LABEL: func.func @dropout(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
// CHECK-NEXT:    %[[E:.*]] = "onnx.Exp"(%x)
// CHECK-NEXT:    func.return %x, %[[E]], %x : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
func.func @dropout(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %r = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %f = "onnx.Constant"() <{value = dense<false> : tensor<i1>}> : () -> tensor<i1>
  %0 = "onnx.Dropout"(%x) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1, %m = "onnx.Dropout"(%x, %r, %f) <{operandSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<2x3xf32>, tensor<f32>, tensor<i1>) -> (tensor<2x3xf32>, tensor<2x3xi1>)
  %2 = "onnx.Exp"(%1) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %0, %2, %1 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Does NOT fire: training_mode is a constant true (Dropout is random then), and a
// Dropout whose mask is used (the mask would have to become a constant).
// CHECK-LABEL: func.func @dropout_kept(
// CHECK:         %[[D:.*]] = "onnx.Dropout"(%x, %r, %t)
// CHECK-NEXT:    %{{.*}}, %[[M:.*]] = "onnx.Dropout"(%[[D]])
// CHECK:         func.return %{{.*}}, %[[M]]
func.func @dropout_kept(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xi1>) {
  %r = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %t = "onnx.Constant"() <{value = dense<true> : tensor<i1>}> : () -> tensor<i1>
  %0 = "onnx.Dropout"(%x, %r, %t) <{operandSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<2x3xf32>, tensor<f32>, tensor<i1>) -> tensor<2x3xf32>
  %1, %m = "onnx.Dropout"(%0) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xi1>)
  func.return %1, %m : tensor<2x3xf32>, tensor<2x3xi1>
}

// -----

// Cast to the same element type -> input. Does NOT fire: a real conversion
// (f32 -> f16), nor ui8 -> i8 (unsigned is a distinct element type; the values change).
// CHECK-LABEL: func.func @cast(
// CHECK-NEXT:    %[[H:.*]] = "onnx.Cast"(%x) <{to = 10 : i64}> : (tensor<4xf32>) -> tensor<4xf16>
// CHECK-NEXT:    %[[S:.*]] = "onnx.Cast"(%u) <{to = 3 : i64}> : (tensor<4xui8>) -> tensor<4xi8>
// CHECK-NEXT:    func.return %x, %[[H]], %[[S]]
func.func @cast(%x: tensor<4xf32>, %u: tensor<4xui8>) -> (tensor<4xf32>, tensor<4xf16>, tensor<4xi8>) {
  %0 = "onnx.Cast"(%x) <{to = 1 : i64}> : (tensor<4xf32>) -> tensor<4xf32>
  %1 = "onnx.Cast"(%0) <{to = 10 : i64}> : (tensor<4xf32>) -> tensor<4xf16>
  %2 = "onnx.Cast"(%u) <{to = 3 : i64}> : (tensor<4xui8>) -> tensor<4xi8>
  func.return %0, %1, %2 : tensor<4xf32>, tensor<4xf16>, tensor<4xi8>
}

// -----

// Reshape / Flatten / Squeeze / Unsqueeze whose result type is the input type -> input.
// CHECK-LABEL: func.func @noop_reshapes(
// CHECK-NEXT:    func.return %x, %x, %x, %x : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
func.func @noop_reshapes(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %s = "onnx.Constant"() <{value = dense<[2, -1]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %e = "onnx.Constant"() <{value = dense<> : tensor<0xi64>}> : () -> tensor<0xi64>
  %0 = "onnx.Reshape"(%x, %s) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  %1 = "onnx.Flatten"(%x) <{axis = 1 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = "onnx.Squeeze"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = "onnx.Unsqueeze"(%x, %e) : (tensor<2x3xf32>, tensor<0xi64>) -> tensor<2x3xf32>
  func.return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// A chain Flatten -> Unsqueeze -> Reshape becomes one Reshape of the first input to the
// final static shape (a new i64 constant); the node keeps the last node's name.
// CHECK-LABEL: func.func @reshape_chain(
// CHECK-NEXT:    %[[S:.*]] = "onnx.Constant"() <{value = dense<[4, 6]> : tensor<2xi64>}> : () -> tensor<2xi64>
// CHECK-NEXT:    %[[R:.*]] = "onnx.Reshape"(%x, %[[S]]) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<4x6xf32>
// CHECK-NEXT:    func.return %[[R]] : tensor<4x6xf32>
func.func @reshape_chain(%x: tensor<2x3x4xf32>) -> tensor<4x6xf32> {
  %s = "onnx.Constant"() <{value = dense<[4, -1]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %a = "onnx.Constant"() <{value = dense<[1]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %0 = "onnx.Flatten"(%x) <{axis = 1 : i64}> : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  %1 = "onnx.Unsqueeze"(%0, %a) : (tensor<2x12xf32>, tensor<1xi64>) -> tensor<2x1x12xf32>
  %2 = "onnx.Reshape"(%1, %s) : (tensor<2x1x12xf32>, tensor<2xi64>) -> tensor<4x6xf32>
  func.return %2 : tensor<4x6xf32>
}

// -----

// A chain that ends in its first input's type (Squeeze of Unsqueeze) -> the input.
// CHECK-LABEL: func.func @reshape_chain_roundtrip(
// CHECK-NEXT:    func.return %x : tensor<2x3xf32>
func.func @reshape_chain_roundtrip(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = "onnx.Constant"() <{value = dense<[0, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %0 = "onnx.Unsqueeze"(%x, %a) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<1x2x3x1xf32>
  %1 = "onnx.Squeeze"(%0, %a) : (tensor<1x2x3x1xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  func.return %1 : tensor<2x3xf32>
}

// -----

// Does NOT fire: a Reshape of a Transpose is no chain (Transpose reorders the elements),
// and a Reshape whose input is a graph input has nothing to collapse with.
// CHECK-LABEL: func.func @reshape_not_chain(
// CHECK-NEXT:    %[[S:.*]] = "onnx.Constant"()
// CHECK-NEXT:    %[[T:.*]] = "onnx.Transpose"(%x)
// CHECK-NEXT:    %[[R:.*]] = "onnx.Reshape"(%[[T]], %[[S]])
// CHECK-NEXT:    func.return %[[R]]
func.func @reshape_not_chain(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  %s = "onnx.Constant"() <{value = dense<[6]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %0 = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %1 = "onnx.Reshape"(%0, %s) : (tensor<3x2xf32>, tensor<1xi64>) -> tensor<6xf32>
  func.return %1 : tensor<6xf32>
}

// -----

// Transpose of a Transpose -> one Transpose with the composed perm
// (out dim i = x dim p[q[i]]: p = [1, 2, 0], q = [1, 2, 0] -> [2, 0, 1]).
// CHECK-LABEL: func.func @transpose_compose(
// CHECK-NEXT:    %[[T:.*]] = "onnx.Transpose"(%x) <{perm = array<i64: 2, 0, 1>}> : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-NEXT:    func.return %[[T]] : tensor<4x2x3xf32>
func.func @transpose_compose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %0 = "onnx.Transpose"(%x) <{perm = array<i64: 1, 2, 0>}> : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %1 = "onnx.Transpose"(%0) <{perm = array<i64: 1, 2, 0>}> : (tensor<3x4x2xf32>) -> tensor<4x2x3xf32>
  func.return %1 : tensor<4x2x3xf32>
}

// -----

// Transposes that compose to the identity (explicit inverse perms; two default
// reversals) vanish, and so does a Transpose with the identity perm.
// CHECK-LABEL: func.func @transpose_identity(
// CHECK-NEXT:    func.return %x, %x, %x : tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>
func.func @transpose_identity(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>) {
  %0 = "onnx.Transpose"(%x) <{perm = array<i64: 1, 2, 0>}> : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %1 = "onnx.Transpose"(%0) <{perm = array<i64: 2, 0, 1>}> : (tensor<3x4x2xf32>) -> tensor<2x3x4xf32>
  %2 = "onnx.Transpose"(%x) : (tensor<2x3x4xf32>) -> tensor<4x3x2xf32>
  %3 = "onnx.Transpose"(%2) : (tensor<4x3x2xf32>) -> tensor<2x3x4xf32>
  %4 = "onnx.Transpose"(%x) <{perm = array<i64: 0, 1, 2>}> : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  func.return %1, %3, %4 : tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>
}

// -----

// Does NOT fire: a square Transpose keeps its type but swaps elements (perm [1, 0]
// is not the identity).
// CHECK-LABEL: func.func @transpose_square(
// CHECK-NEXT:    %[[T:.*]] = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}>
// CHECK-NEXT:    func.return %[[T]]
func.func @transpose_square(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %0 = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (tensor<3x3xf32>) -> tensor<3x3xf32>
  func.return %0 : tensor<3x3xf32>
}

// -----

// Expand to the input's own type -> input. Does NOT fire when it really broadcasts.
// CHECK-LABEL: func.func @expand(
// CHECK-NEXT:    %[[S:.*]] = "onnx.Constant"()
// CHECK-NEXT:    %[[E:.*]] = "onnx.Expand"(%y, %[[S]]) : (tensor<3x1xf32>, tensor<2xi64>) -> tensor<3x4xf32>
// CHECK-NEXT:    func.return %x, %[[E]]
func.func @expand(%x: tensor<3x4xf32>, %y: tensor<3x1xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>) {
  %s = "onnx.Constant"() <{value = dense<[1, 4]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %0 = "onnx.Expand"(%x, %s) : (tensor<3x4xf32>, tensor<2xi64>) -> tensor<3x4xf32>
  %1 = "onnx.Expand"(%y, %s) : (tensor<3x1xf32>, tensor<2xi64>) -> tensor<3x4xf32>
  func.return %0, %1 : tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// Concat of one input and Split into one output -> the input. Does NOT fire: a Concat
// of two inputs.
// CHECK-LABEL: func.func @concat_split(
// CHECK-NEXT:    %[[C:.*]] = "onnx.Concat"(%x, %x) <{axis = 0 : i64}>
// CHECK-NEXT:    func.return %x, %x, %[[C]]
func.func @concat_split(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<4x3xf32>) {
  %0 = "onnx.Concat"(%x) <{axis = 1 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = "onnx.Split"(%x) <{axis = 1 : i64, num_outputs = 1 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = "onnx.Concat"(%x, %x) <{axis = 0 : i64}> : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  func.return %0, %1, %2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<4x3xf32>
}

// -----

// Slices that cover the whole tensor (start 0 or a negative start that clamps to 0,
// step 1, absent steps) -> input.
// CHECK-LABEL: func.func @slice_full(
// CHECK-NEXT:    func.return %x, %x : tensor<2x4xf32>, tensor<2x4xf32>
func.func @slice_full(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %z = "onnx.Constant"() <{value = dense<[0]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %n = "onnx.Constant"() <{value = dense<[-10]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %big = "onnx.Constant"() <{value = dense<[9223372036854775807]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %ax = "onnx.Constant"() <{value = dense<[1]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %one = "onnx.Constant"() <{value = dense<[1]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %0 = "onnx.Slice"(%x, %z, %big, %ax, %one) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>}> : (tensor<2x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4xf32>
  %1 = "onnx.Slice"(%x, %n, %big, %ax) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}> : (tensor<2x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4xf32>
  func.return %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Does NOT fire: a full-length Slice with step -1 keeps the type but reverses the
// axis, and a Slice whose starts are not a constant.
// CHECK-LABEL: func.func @slice_kept(
// CHECK:         %[[R:.*]] = "onnx.Slice"(%x, %m1, %lo, %ax, %m1)
// CHECK-NEXT:    %[[D:.*]] = "onnx.Slice"(%x, %s, %big, %ax)
// CHECK-NEXT:    func.return %[[R]], %[[D]]
func.func @slice_kept(%x: tensor<2x4xf32>, %s: tensor<1xi64>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %m1 = "onnx.Constant"() <{value = dense<[-1]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %lo = "onnx.Constant"() <{value = dense<[-9223372036854775807]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %big = "onnx.Constant"() <{value = dense<[9223372036854775807]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %ax = "onnx.Constant"() <{value = dense<[1]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %0 = "onnx.Slice"(%x, %m1, %lo, %ax, %m1) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>}> : (tensor<2x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4xf32>
  %1 = "onnx.Slice"(%x, %s, %big, %ax) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 0>}> : (tensor<2x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4xf32>
  func.return %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Pad with all-zero constant pads -> input (any mode). Does NOT fire: pads [1, -1]
// (pad one in front, crop one at the back) keep the type but shift the data.
// CHECK-LABEL: func.func @pad(
// CHECK:         %[[P:.*]] = "onnx.Pad"(%x, %shift)
// CHECK-NEXT:    func.return %x, %x, %[[P]]
func.func @pad(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %zero = "onnx.Constant"() <{value = dense<0> : tensor<2xi64>}> : () -> tensor<2xi64>
  %shift = "onnx.Constant"() <{value = dense<[1, -1]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %0 = "onnx.Pad"(%x, %zero) <{operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<4xf32>, tensor<2xi64>) -> tensor<4xf32>
  %1 = "onnx.Pad"(%x, %zero) <{mode = "reflect", operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<4xf32>, tensor<2xi64>) -> tensor<4xf32>
  %2 = "onnx.Pad"(%x, %shift) <{operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<4xf32>, tensor<2xi64>) -> tensor<4xf32>
  func.return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Tile with all repeats 1 -> input. Does NOT fire: repeats [2, 1] really tile.
// CHECK-LABEL: func.func @tile(
// CHECK:         %[[T:.*]] = "onnx.Tile"(%x, %two)
// CHECK-NEXT:    func.return %x, %[[T]]
func.func @tile(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<4x3xf32>) {
  %ones = "onnx.Constant"() <{value = dense<1> : tensor<2xi64>}> : () -> tensor<2xi64>
  %two = "onnx.Constant"() <{value = dense<[2, 1]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %0 = "onnx.Tile"(%x, %ones) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  %1 = "onnx.Tile"(%x, %two) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x3xf32>
  func.return %0, %1 : tensor<2x3xf32>, tensor<4x3xf32>
}

// -----

// Identical constants merge into one (compared by type and bytes; weights in the table
// are compared by content), so cse can merge the identical ops that use them.
func.func @identical_constants(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %a = "onnx.Constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %b = "onnx.Constant"() <{value = dense<[1.0, 2.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %c = "onnx.Constant"() <{value = dense<[1.0, 3.0]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %y = "onnx.Add"(%x, %a) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %z = "onnx.Mul"(%b, %c) : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  func.return %y, %z : tensor<2xf32>, tensor<2xf32>
}
// CHECK-LABEL: func.func @identical_constants
// CHECK:         %a = "onnx.Constant"() <{value = dense<[1.000000e+00, 2.000000e+00]>
// CHECK-NEXT:    %c = "onnx.Constant"() <{value = dense<[1.000000e+00, 3.000000e+00]>
// CHECK-NEXT:    %y = "onnx.Add"(%x, %a)
// CHECK-NEXT:    %z = "onnx.Mul"(%a, %c)

// -----

// Flatten -> Softmax -> Reshape back to [2, 5, 1, 1]: one Softmax over axis 1 (the only
// flattened dim that is not 1). Over [2, 3, 4] two flattened dims are not 1: no change.
func.func @softmax_through_flatten(%x: tensor<2x5x1x1xf32>, %z: tensor<2x3x4xf32>) -> (tensor<2x5x1x1xf32>, tensor<2x3x4xf32>) {
  %s4 = "onnx.Constant"() <{value = dense<[2, 5, 1, 1]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %f = "onnx.Flatten"(%x) <{axis = 1 : i64}> : (tensor<2x5x1x1xf32>) -> tensor<2x5xf32>
  %s = "onnx.Softmax"(%f) <{axis = 1 : i64}> : (tensor<2x5xf32>) -> tensor<2x5xf32>
  %y = "onnx.Reshape"(%s, %s4) : (tensor<2x5xf32>, tensor<4xi64>) -> tensor<2x5x1x1xf32>
  %s3 = "onnx.Constant"() <{value = dense<[2, 3, 4]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %g = "onnx.Flatten"(%z) <{axis = 1 : i64}> : (tensor<2x3x4xf32>) -> tensor<2x12xf32>
  %t = "onnx.Softmax"(%g) <{axis = 1 : i64}> : (tensor<2x12xf32>) -> tensor<2x12xf32>
  %w = "onnx.Reshape"(%t, %s3) : (tensor<2x12xf32>, tensor<3xi64>) -> tensor<2x3x4xf32>
  func.return %y, %w : tensor<2x5x1x1xf32>, tensor<2x3x4xf32>
}
// CHECK-LABEL: func.func @softmax_through_flatten
// CHECK:         %y = "onnx.Softmax"(%x) <{axis = 1 : i64}> : (tensor<2x5x1x1xf32>) -> tensor<2x5x1x1xf32>
// CHECK:         %g = "onnx.Flatten"(%z)
// CHECK-NEXT:    %t = "onnx.Softmax"(%g)
// CHECK-NEXT:    %w = "onnx.Reshape"(%t, %s3)

// -----

// Does NOT fire: a no-op Reshape / Expand / Unsqueeze chain whose shape or axes are run-time
// values (graph inputs): their kernels check those values against the result type at run
// time, so the nodes stay.
// CHECK-LABEL: func.func @run_time_shape_kept(
// CHECK:         %[[R:.*]] = "onnx.Reshape"(%x, %s)
// CHECK-NEXT:    %[[E:.*]] = "onnx.Expand"(%[[R]], %s)
// CHECK-NEXT:    %[[U:.*]] = "onnx.Unsqueeze"(%[[E]], %a)
// CHECK-NEXT:    %[[Q:.*]] = "onnx.Squeeze"(%[[U]], %a)
// CHECK-NEXT:    func.return %[[Q]]
func.func @run_time_shape_kept(%x: tensor<2x3xf32>, %s: tensor<2xi64>, %a: tensor<1xi64>) -> tensor<2x3xf32> {
  %0 = "onnx.Reshape"(%x, %s) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  %1 = "onnx.Expand"(%0, %s) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  %2 = "onnx.Unsqueeze"(%1, %a) : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<1x2x3xf32>
  %3 = "onnx.Squeeze"(%2, %a) : (tensor<1x2x3xf32>, tensor<1xi64>) -> tensor<2x3xf32>
  func.return %3 : tensor<2x3xf32>
}
