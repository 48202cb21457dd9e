// XFAIL: *
// BUG (tools/opt_tool.py): opt-tool never verifies the module it parsed. Its pass
// pipeline callback (OptTool.setup_pipeline) only verifies when `previous is not None`,
// i.e. after a pass has run; xDSL's PassPipeline calls it with previous=None before the
// first pass and when there are no passes, which is where xdsl-opt verifies the input.
// So `opt-tool bad.mlir` prints invalid IR and exits 0, `--verify-diagnostics` without
// -p reports nothing, and `-p convert-onnx-to-loops` lowers an invalid graph to loops
// (here an Add of [2, 3] and [4] that reads %b with the wrong index) instead of
// reporting the verifier error. The other dialect tests add `-p dce` to get verified.
//
// RUN: opt-tool %s --split-input-file --verify-diagnostics | filecheck %s
// RUN: opt-tool %s --split-input-file --verify-diagnostics -p convert-onnx-to-loops | filecheck %s

func.func @main(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  %0 = "onnx.Add"(%a, %b) : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
// CHECK: onnx.Add: shapes [2, 3], [4] do not broadcast

// -----

func.func @main(%x: tensor<4xi32>) -> tensor<4xi32> {
  %0 = "onnx.Sqrt"(%x) : (tensor<4xi32>) -> tensor<4xi32>
  func.return %0 : tensor<4xi32>
}
// CHECK: onnx.Sqrt: input must have a floating-point element type, got i32
