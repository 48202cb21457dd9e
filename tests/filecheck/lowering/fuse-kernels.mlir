// fuse-kernels: graph ops are grouped into strata.FusedKernel ops (one kernel each).
// Elementwise chains and trees with a common output shape fuse (smaller inputs are
// broadcast); a reduction-like op (Softmax, LayerNormalization, ReduceX) takes the
// elementwise consumers of its result as an epilogue. Each case below shows a group
// forming or a reason it must not (the pass also logs the reason in ctx.report).
// RUN: opt-tool %s -p fuse-kernels --split-input-file | filecheck %s
// RUN: opt-tool %s -p 'fuse-kernels{max-ops=2}' --split-input-file | filecheck %s --check-prefix=CAP

// A chain with a broadcast input: one group whose operands are the external inputs
// (each once), marked elementwise; the value the graph returns is the group's result.
func.func @chain(%x: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %s = "onnx.Add"(%x, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %r = "onnx.Relu"(%s) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %m = "onnx.Mul"(%r, %x) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %m : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @chain
// CHECK-NEXT:    %m = "strata.FusedKernel"(%x, %b) ({
// CHECK-NEXT:    ^bb0(%x_1: tensor<2x3xf32>, %b_1: tensor<3xf32>):
// CHECK-NEXT:      %s = "onnx.Add"(%x_1, %b_1)
// CHECK-NEXT:      %r = "onnx.Relu"(%s)
// CHECK-NEXT:      %m_1 = "onnx.Mul"(%r, %x_1)
// CHECK-NEXT:      "strata.KernelYield"(%m_1) : (tensor<2x3xf32>) -> ()
// CHECK-NEXT:    }) {strata.elementwise} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    func.return %m : tensor<2x3xf32>

// The size cap: with max-ops=2 only two of the three ops share a group.
// CAP-LABEL: func.func @chain
// CAP:         "strata.FusedKernel"
// CAP-NEXT:    ^bb0
// CAP-NEXT:      "onnx.Add"
// CAP-NEXT:      "onnx.Relu"
// CAP-NEXT:      "strata.KernelYield"
// CAP:         %m = "onnx.Mul"

// -----

// A tree whose intermediate %b is also returned: %b becomes a second group result
// (still computed once). %a cannot join: %a -> Transpose -> Sub would leave the
// group and come back (a cycle), so %a and the Transpose stay outside.
func.func @tree_cycle(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %a = "onnx.Sigmoid"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %b = "onnx.Tanh"(%y) : (tensor<4xf32>) -> tensor<4xf32>
  %c = "onnx.Add"(%a, %b) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %t = "onnx.Transpose"(%a) : (tensor<4xf32>) -> tensor<4xf32>
  %d = "onnx.Sub"(%c, %t) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return %d, %b : tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @tree_cycle
// CHECK-NEXT:    %a = "onnx.Sigmoid"(%x)
// CHECK-NEXT:    %t = "onnx.Transpose"(%a)
// CHECK-NEXT:    %b, %d = "strata.FusedKernel"(%y, %a, %t) ({
// CHECK-NEXT:    ^bb0(%y_1: tensor<4xf32>, %a_1: tensor<4xf32>, %t_1: tensor<4xf32>):
// CHECK-NEXT:      %b_1 = "onnx.Tanh"(%y_1)
// CHECK-NEXT:      %c = "onnx.Add"(%a_1, %b_1)
// CHECK-NEXT:      %d_1 = "onnx.Sub"(%c, %t_1)
// CHECK-NEXT:      "strata.KernelYield"(%b_1, %d_1)
// CHECK-NEXT:    }) {strata.elementwise}
// CHECK-NEXT:    func.return %d, %b : tensor<4xf32>, tensor<4xf32>

// -----

// A shape-changing op (Reshape) is not fusible: Exp and Neg stay one-op kernels.
func.func @reshape_between(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %shape = "onnx.Constant"() <{value = dense<[3, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %a = "onnx.Exp"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %r = "onnx.Reshape"(%a, %shape) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<3x2xf32>
  %n = "onnx.Neg"(%r) : (tensor<3x2xf32>) -> tensor<3x2xf32>
  func.return %n : tensor<3x2xf32>
}
// CHECK-LABEL: func.func @reshape_between
// CHECK-NOT:     strata.FusedKernel
// CHECK:         func.return

// -----

// A producer with a smaller (broadcast) output is not fused into its consumer: it
// would be recomputed for every element it is broadcast to (shape mismatch).
func.func @broadcast_producer(%x: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %e = "onnx.Exp"(%b) : (tensor<3xf32>) -> tensor<3xf32>
  %s = "onnx.Add"(%x, %e) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  func.return %s : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @broadcast_producer
// CHECK-NOT:     strata.FusedKernel
// CHECK:         func.return

// -----

// Softmax with a prologue (the Add producing its input, recomputed at each load) and
// an elementwise epilogue (Mul by a broadcast weight, Clip): one group, not marked
// elementwise.
func.func @softmax_prologue_epilogue(%x: tensor<2x8xf32>, %w: tensor<8xf32>) -> tensor<2x8xf32> {
  %a = "onnx.Add"(%x, %w) : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %p = "onnx.Softmax"(%a) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %m = "onnx.Mul"(%p, %w) : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %lo = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %c = "onnx.Clip"(%m, %lo) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  func.return %c : tensor<2x8xf32>
}
// CHECK-LABEL: func.func @softmax_prologue_epilogue
// CHECK-NEXT:    %lo = "onnx.Constant"()
// CHECK-NEXT:    %c = "strata.FusedKernel"(%x, %w, %lo) ({
// CHECK-NEXT:    ^bb0(%x_1: tensor<2x8xf32>, %w_1: tensor<8xf32>, %lo_1: tensor<f32>):
// CHECK-NEXT:      %a = "onnx.Add"(%x_1, %w_1)
// CHECK-NEXT:      %p = "onnx.Softmax"(%a)
// CHECK-NEXT:      %m = "onnx.Mul"(%p, %w_1)
// CHECK-NEXT:      %c_1 = "onnx.Clip"(%m, %lo_1)
// CHECK-NEXT:      "strata.KernelYield"(%c_1)
// CHECK-NEXT:    }) : (tensor<2x8xf32>, tensor<8xf32>, tensor<f32>) -> tensor<2x8xf32>

// -----

// A producer of a reduction's input whose value is needed elsewhere (returned here)
// is not recomputed inside the reduction: it must be stored anyway.
func.func @prologue_needed_elsewhere(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %e = "onnx.Exp"(%x) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %p = "onnx.Softmax"(%e) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  func.return %p, %e : tensor<2x8xf32>, tensor<2x8xf32>
}
// CHECK-LABEL: func.func @prologue_needed_elsewhere
// CHECK-NOT:     strata.FusedKernel
// CHECK:         func.return

// -----

// ReduceSumSquare + Sqrt over the same [2, 1] shape fuse (the axes constant is an
// operand of the group). ReduceMax -> Sub does not: the Sub iterates [2, 8], the
// reduction's result is [2, 1] (shape mismatch).
func.func @reduce(%x: tensor<2x8xf32>) -> (tensor<2x1xf32>, tensor<2x8xf32>) {
  %axes = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %s = "onnx.ReduceSumSquare"(%x, %axes) : (tensor<2x8xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %r = "onnx.Sqrt"(%s) : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %m = "onnx.ReduceMax"(%x, %axes) : (tensor<2x8xf32>, tensor<1xi64>) -> tensor<2x1xf32>
  %d = "onnx.Sub"(%x, %m) : (tensor<2x8xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>
  func.return %r, %d : tensor<2x1xf32>, tensor<2x8xf32>
}
// CHECK-LABEL: func.func @reduce
// CHECK:         %r = "strata.FusedKernel"(%x, %axes) ({
// CHECK-NEXT:    ^bb0(%x_1: tensor<2x8xf32>, %axes_1: tensor<1xi64>):
// CHECK-NEXT:      %s = "onnx.ReduceSumSquare"(%x_1, %axes_1)
// CHECK-NEXT:      %r_1 = "onnx.Sqrt"(%s)
// CHECK-NEXT:      "strata.KernelYield"(%r_1)
// CHECK-NEXT:    })
// CHECK-NEXT:    %m = "onnx.ReduceMax"(%x, %axes)
// CHECK-NEXT:    %d = "onnx.Sub"(%x, %m)

// -----

// Two reductions never share a kernel: the Add joins one of them (the first
// candidate), the other stays alone.
func.func @two_reductions(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %p = "onnx.Softmax"(%x) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %q = "onnx.LogSoftmax"(%x) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %s = "onnx.Add"(%p, %q) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  func.return %s : tensor<2x8xf32>
}
// CHECK-LABEL: func.func @two_reductions
// CHECK-NEXT:    %q = "onnx.LogSoftmax"(%x)
// CHECK-NEXT:    %s = "strata.FusedKernel"(%x, %q) ({
// CHECK-NEXT:    ^bb0(%x_1: tensor<2x8xf32>, %q_1: tensor<2x8xf32>):
// CHECK-NEXT:      %p = "onnx.Softmax"(%x_1)
// CHECK-NEXT:      %s_1 = "onnx.Add"(%p, %q_1)
