// With num_outputs, ONNX fixes every output size: ceil(dim / num_outputs) each, the
// last one smaller (3 into 2 -> [2, 1]); the verifier rejects any other sizes.
// RUN: opt-tool %s --split-input-file --verify-diagnostics | filecheck %s

func.func @split_uneven(%x: tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<2x2xf32>) {
  %0, %1 = "onnx.Split"(%x) <{axis = 1 : i64, num_outputs = 2 : i64}> : (tensor<2x3xf32>) -> (tensor<2x1xf32>, tensor<2x2xf32>)
  func.return %0, %1 : tensor<2x1xf32>, tensor<2x2xf32>
}
// Any verifier error on this op will do (its wording is up to the fix).
// CHECK: onnx.Split:
