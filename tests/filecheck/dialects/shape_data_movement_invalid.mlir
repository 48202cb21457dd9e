// Verifier errors of Reshape, Flatten, Squeeze, Unsqueeze, Expand, Shape, Identity,
// Transpose, Concat, Split, Slice, Gather and Tile.
// RUN: opt-tool %s --split-input-file --verify-diagnostics | filecheck %s

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
// CHECK: onnx.Identity: input and output must share one element type, got ['f16', 'f32']

// -----

func.func @transpose_duplicate_perm(%x: tensor<2x3x4xf32>) -> tensor<2x2x4xf32> {
  %0 = "onnx.Transpose"(%x) <{perm = array<i64: 0, 0, 2>}> : (tensor<2x3x4xf32>) -> tensor<2x2x4xf32>
  func.return %0 : tensor<2x2x4xf32>
}
// CHECK: onnx.Transpose: perm [0, 0, 2] is not a permutation of the 3 dims of data

// -----

func.func @transpose_perm_length(%x: tensor<2x3x4xf32>) -> tensor<3x2xf32> {
  %0 = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (tensor<2x3x4xf32>) -> tensor<3x2xf32>
  func.return %0 : tensor<3x2xf32>
}
// CHECK: onnx.Transpose: perm [1, 0] is not a permutation of the 3 dims of data

// -----

func.func @transpose_result(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = "onnx.Transpose"(%x) : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  func.return %0 : tensor<2x3x4xf32>
}
// CHECK: onnx.Transpose: transposed has shape [2, 3, 4], expected [4, 3, 2]

// -----

func.func @concat_axis(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x6xf32> {
  %0 = "onnx.Concat"(%a, %b) <{axis = 2 : i64}> : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  func.return %0 : tensor<2x6xf32>
}
// CHECK: onnx.Concat: axis 2 is out of range for rank 2

// -----

func.func @concat_other_dim(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) -> tensor<2x6xf32> {
  %0 = "onnx.Concat"(%a, %b) <{axis = 1 : i64}> : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  func.return %0 : tensor<2x6xf32>
}
// CHECK: onnx.Concat: input 1 [3, 3] differs from concat_result [2, 6] in dim 0

// -----

func.func @concat_sum(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) -> tensor<2x6xf32> {
  %0 = "onnx.Concat"(%a, %b) <{axis = -1 : i64}> : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<2x6xf32>
  func.return %0 : tensor<2x6xf32>
}
// CHECK: onnx.Concat: concat_result dim 1 is 6, the inputs sum to 7

// -----

func.func @concat_types(%a: tensor<2x3xf32>, %b: tensor<2x3xi64>) -> tensor<2x6xf32> {
  %0 = "onnx.Concat"(%a, %b) <{axis = 1 : i64}> : (tensor<2x3xf32>, tensor<2x3xi64>) -> tensor<2x6xf32>
  func.return %0 : tensor<2x6xf32>
}
// CHECK: onnx.Concat: inputs and concat_result must share one element type, got ['f32', 'i64']

// -----

func.func @split_sum(%x: tensor<2x6xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %0, %1 = "onnx.Split"(%x) <{axis = 1 : i64, num_outputs = 2 : i64}> : (tensor<2x6xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>)
  func.return %0, %1 : tensor<2x2xf32>, tensor<2x2xf32>
}
// CHECK: onnx.Split: outputs sum to 4 along axis 1, input has 6

// -----

func.func @split_num_outputs(%x: tensor<2x6xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0, %1 = "onnx.Split"(%x) <{axis = 1 : i64, num_outputs = 3 : i64}> : (tensor<2x6xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>)
  func.return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}
// CHECK: onnx.Split: num_outputs is 3 but the op has 2 outputs

// -----

func.func @split_both(%x: tensor<2x6xf32>, %s: tensor<2xi64>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0, %1 = "onnx.Split"(%x, %s) <{axis = 1 : i64, num_outputs = 2 : i64}> : (tensor<2x6xf32>, tensor<2xi64>) -> (tensor<2x3xf32>, tensor<2x3xf32>)
  func.return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}
// CHECK: onnx.Split: split and num_outputs cannot both be given

// -----

func.func @split_sizes_length(%x: tensor<2x6xf32>, %s: tensor<3xi64>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0, %1 = "onnx.Split"(%x, %s) <{axis = 1 : i64}> : (tensor<2x6xf32>, tensor<3xi64>) -> (tensor<2x3xf32>, tensor<2x3xf32>)
  func.return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}
// CHECK: onnx.Split: split has 3 entries for 2 outputs

// -----

func.func @slice_lengths(%x: tensor<4x4xf32>, %s: tensor<1xi64>, %e: tensor<2xi64>) -> tensor<2x4xf32> {
  %0 = "onnx.Slice"(%x, %s, %e) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<4x4xf32>, tensor<1xi64>, tensor<2xi64>) -> tensor<2x4xf32>
  func.return %0 : tensor<2x4xf32>
}
// CHECK: onnx.Slice: starts, ends, axes and steps differ in length: {'starts': 1, 'ends': 2}

// -----

func.func @slice_rank(%x: tensor<4x4xf32>, %s: tensor<1xi64>) -> tensor<2xf32> {
  %0 = "onnx.Slice"(%x, %s, %s) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<4x4xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
// CHECK: onnx.Slice: output must have rank 2, got rank 1 (tensor<2xf32>)

// -----

func.func @gather_float_indices(%x: tensor<4x3xf32>, %i: tensor<2xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.Gather"(%x, %i) : (tensor<4x3xf32>, tensor<2xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.Gather: indices must have element type i32 or i64, got f32

// -----

func.func @gather_axis(%x: tensor<4x3xf32>, %i: tensor<2xi64>) -> tensor<2x3xf32> {
  %0 = "onnx.Gather"(%x, %i) <{axis = -3 : i64}> : (tensor<4x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.Gather: axis -3 is out of range for rank 2

// -----

func.func @gather_shape(%x: tensor<4x3xf32>, %i: tensor<2x2xi64>) -> tensor<2x3xf32> {
  %0 = "onnx.Gather"(%x, %i) : (tensor<4x3xf32>, tensor<2x2xi64>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.Gather: output has shape [2, 3], expected [2, 2, 3]

// -----

func.func @tile_repeats(%x: tensor<2x3xf32>, %r: tensor<3xi64>) -> tensor<4x3xf32> {
  %0 = "onnx.Tile"(%x, %r) : (tensor<2x3xf32>, tensor<3xi64>) -> tensor<4x3xf32>
  func.return %0 : tensor<4x3xf32>
}
// CHECK: onnx.Tile: repeats has 3 entries for a rank-2 input

// -----

func.func @tile_multiple(%x: tensor<2x3xf32>, %r: tensor<2xi64>) -> tensor<4x4xf32> {
  %0 = "onnx.Tile"(%x, %r) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x4xf32>
  func.return %0 : tensor<4x4xf32>
}
// CHECK: onnx.Tile: output dim 1 (4) is not a multiple of input dim 3
