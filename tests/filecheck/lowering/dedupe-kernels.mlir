// RUN: opt-tool %s -p convert-onnx-to-loops,dedupe-kernels | filecheck %s
// Two Relu ops on the same type lower to identical kernels (they differ only in name
// and SSA names): one is kept, both calls use it, and it names both ONNX nodes.
// The Sigmoid kernel differs and stays.

func.func @main(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = "onnx.Relu"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("relu_a")
  %b = "onnx.Sigmoid"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("sig")
  %c = "onnx.Relu"(%b) : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("relu_b")
  func.return %c : tensor<2x3xf32>
}

// CHECK:     func.func private @k0_Relu_relu_a({{.*}}) attributes {strata.onnx_node = "relu_a,relu_b", strata.onnx_op = "Relu", strata.elementwise}
// CHECK:     func.func private @k1_Sigmoid_sig(
// CHECK-NOT: func.func private @k2_Relu_relu_b
// CHECK:     func.func @main(
// Each call of a merged kernel keeps the ONNX node it runs, the kernel names both.
// CHECK:       func.call @k0_Relu_relu_a({{.*}}) {strata.onnx_node = "relu_a", strata.onnx_op = "Relu"}
// CHECK:       func.call @k1_Sigmoid_sig({{[^{]*}}) :
// CHECK:       func.call @k0_Relu_relu_a({{.*}}) {strata.onnx_node = "relu_b", strata.onnx_op = "Relu"}
