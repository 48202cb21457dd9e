// Verifier errors of Transpose, Concat, Split, Slice, Gather and Tile.
// (`-p dce` makes opt-tool verify; see elementwise_invalid.mlir.)
// RUN: opt-tool %s --split-input-file --verify-diagnostics -p dce | filecheck %s

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
