// fuse-kernels: graph ops are grouped into strata.FusedKernel ops (one kernel each).
// Elementwise chains and trees with a common output shape fuse (smaller inputs are
// broadcast); a reduction-like op (Softmax, LayerNormalization, ReduceX) or a pooling
// op takes the elementwise consumers of its result as an epilogue and the producers of
// its input as a prologue; a Conv / MatMul / Gemm (or their fused forms) takes an
// epilogue only. Each case below shows a group
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

// -----

// Conv -> Add(residual graph input) -> Sigmoid: one group around the Conv; the Conv's
// result is used only inside, so only the Sigmoid's is a group result. Not marked
// elementwise (the memory planner must not write the output over an input).
func.func @conv_epilogue(%x: tensor<1x2x4x4xf32>, %r: tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<3x2x1x1xf32>}> : () -> tensor<3x2x1x1xf32>
  %c = "onnx.Conv"(%x, %w) : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>) -> tensor<1x3x4x4xf32>
  %a = "onnx.Add"(%c, %r) : (tensor<1x3x4x4xf32>, tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  %y = "onnx.Sigmoid"(%a) : (tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
  func.return %y : tensor<1x3x4x4xf32>
}
// CHECK-LABEL: func.func @conv_epilogue
// CHECK-NEXT:    %w = "onnx.Constant"()
// CHECK-NEXT:    %y = "strata.FusedKernel"(%x, %w, %r) ({
// CHECK-NEXT:    ^bb0(%x_1: tensor<1x2x4x4xf32>, %w_1: tensor<3x2x1x1xf32>, %r_1: tensor<1x3x4x4xf32>):
// CHECK-NEXT:      %c = "onnx.Conv"(%x_1, %w_1)
// CHECK-NEXT:      %a = "onnx.Add"(%c, %r_1)
// CHECK-NEXT:      %y_1 = "onnx.Sigmoid"(%a)
// CHECK-NEXT:      "strata.KernelYield"(%y_1)
// CHECK-NEXT:    }) : (tensor<1x2x4x4xf32>, tensor<3x2x1x1xf32>, tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32>
// CHECK-NEXT:    func.return %y

// -----

// A producer never joins a MatMul (each input element is read many times: it would be
// recomputed N times), so the Relu stays alone; the MatMul's Tanh consumer joins it,
// and the MatMul's result, also returned, is a second group result.
func.func @matmul_no_prologue(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %r = "onnx.Relu"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %m = "onnx.MatMul"(%r, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %t = "onnx.Tanh"(%m) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return %t, %m : tensor<2x4xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func @matmul_no_prologue
// CHECK-NEXT:    %r = "onnx.Relu"(%a)
// CHECK-NEXT:    %m, %t = "strata.FusedKernel"(%r, %b) ({
// CHECK-NEXT:    ^bb0(%r_1: tensor<2x3xf32>, %b_1: tensor<3x4xf32>):
// CHECK-NEXT:      %m_1 = "onnx.MatMul"(%r_1, %b_1)
// CHECK-NEXT:      %t_1 = "onnx.Tanh"(%m_1)
// CHECK-NEXT:      "strata.KernelYield"(%m_1, %t_1)
// CHECK-NEXT:    })
// CHECK-NEXT:    func.return %t, %m

// -----

// A Gemm's epilogue keeps its element type: the Cast to i32 does not join (the Gemm
// stores, and may accumulate, into an output buffer of its own type). A consumer with
// a larger (broadcast) shape does not join either (shape mismatch).
func.func @gemm_refusals(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %z: tensor<5x2x4xf32>) -> (tensor<2x4xi32>, tensor<5x2x4xf32>) {
  %g = "onnx.Gemm"(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %i = "onnx.Cast"(%g) <{to = 6 : i64}> : (tensor<2x4xf32>) -> tensor<2x4xi32>
  %s = "onnx.Add"(%g, %z) : (tensor<2x4xf32>, tensor<5x2x4xf32>) -> tensor<5x2x4xf32>
  func.return %i, %s : tensor<2x4xi32>, tensor<5x2x4xf32>
}
// CHECK-LABEL: func.func @gemm_refusals
// CHECK-NOT:     strata.FusedKernel
// CHECK:         func.return

// -----

// A graph-level fused op (strata.FusedConv: conv + residual + Relu) takes a Mul by a
// graph input as a further epilogue.
func.func @fused_conv_epilogue(%x: tensor<1x2x3x3xf32>, %z: tensor<1x2x3x3xf32>, %s: tensor<1x2x1x1xf32>) -> tensor<1x2x3x3xf32> {
  %w = "onnx.Constant"() <{value = dense<0.5> : tensor<2x2x1x1xf32>}> : () -> tensor<2x2x1x1xf32>
  %y = "strata.FusedConv"(%x, %w, %z) <{activation = "Relu", operandSegmentSizes = array<i32: 1, 1, 0, 1>}> : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %m = "onnx.Mul"(%y, %s) : (tensor<1x2x3x3xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  func.return %m : tensor<1x2x3x3xf32>
}
// CHECK-LABEL: func.func @fused_conv_epilogue
// CHECK:         %m = "strata.FusedKernel"(%x, %w, %z, %s) ({
// CHECK-NEXT:    ^bb0(%x_1: tensor<1x2x3x3xf32>, %w_1: tensor<2x2x1x1xf32>, %z_1: tensor<1x2x3x3xf32>, %s_1: tensor<1x2x1x1xf32>):
// CHECK-NEXT:      %y = "strata.FusedConv"(%x_1, %w_1, %z_1)
// CHECK-NEXT:      %m_1 = "onnx.Mul"(%y, %s_1)
// CHECK-NEXT:      "strata.KernelYield"(%m_1)

// -----

// Pooling takes elementwise producers as a prologue (recomputed at each window tap)
// and consumers as an epilogue: Add -> Relu -> MaxPool -> Neg is one group. The second
// MaxPool has an Indices output (a second stored result): never an anchor.
func.func @pool(%x: tensor<1x2x4x4xf32>, %b: tensor<2x1x1xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xi64>) {
  %a = "onnx.Add"(%x, %b) : (tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r = "onnx.Relu"(%a) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %p = "onnx.MaxPool"(%r) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %n = "onnx.Neg"(%p) : (tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %e = "onnx.Exp"(%x) : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %q, %qi = "onnx.MaxPool"(%e) <{kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>}> : (tensor<1x2x4x4xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x2x2x2xi64>)
  func.return %n, %q, %qi : tensor<1x2x2x2xf32>, tensor<1x2x2x2xf32>, tensor<1x2x2x2xi64>
}
// CHECK-LABEL: func.func @pool
// CHECK-NEXT:    %n = "strata.FusedKernel"(%x, %b) ({
// CHECK-NEXT:    ^bb0(%x_1: tensor<1x2x4x4xf32>, %b_1: tensor<2x1x1xf32>):
// CHECK-NEXT:      %a = "onnx.Add"(%x_1, %b_1)
// CHECK-NEXT:      %r = "onnx.Relu"(%a)
// CHECK-NEXT:      %p = "onnx.MaxPool"(%r)
// CHECK-NEXT:      %n_1 = "onnx.Neg"(%p)
// CHECK-NEXT:      "strata.KernelYield"(%n_1)
// CHECK-NEXT:    })
// CHECK-NEXT:    %e = "onnx.Exp"(%x)
// CHECK-NEXT:    %q, %qi = "onnx.MaxPool"(%e)

// -----

// A Conv feeding a reduction: two anchors never share a kernel; the Relu consumer of
// the ReduceMean joins it.
func.func @conv_then_reduction(%x: tensor<1x2x3x3xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x1x3x3xf32> {
  %axes = "onnx.Constant"() <{value = dense<1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %c = "onnx.Conv"(%x, %w) : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %m = "onnx.ReduceMean"(%c, %axes) : (tensor<1x2x3x3xf32>, tensor<1xi64>) -> tensor<1x1x3x3xf32>
  %r = "onnx.Relu"(%m) : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  func.return %r : tensor<1x1x3x3xf32>
}
// CHECK-LABEL: func.func @conv_then_reduction
// CHECK:         %c = "onnx.Conv"(%x, %w)
// CHECK-NEXT:    %r = "strata.FusedKernel"(%c, %axes) ({
// CHECK-NEXT:    ^bb0(%c_1: tensor<1x2x3x3xf32>, %axes_1: tensor<1xi64>):
// CHECK-NEXT:      %m = "onnx.ReduceMean"(%c_1, %axes_1)
// CHECK-NEXT:      %r_1 = "onnx.Relu"(%m)

// -----

// window-anchors=false (the cuda target: its Triton generator has no Conv or windowed
// pooling group kernel) leaves the Conv alone but still gives the MatMul its epilogue.
// RUN: opt-tool %s -p 'fuse-kernels{window-anchors=false}' --split-input-file | filecheck %s --check-prefix=NOWIN
func.func @window_anchors(%x: tensor<1x2x3x3xf32>, %w: tensor<2x2x1x1xf32>, %a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> (tensor<1x2x3x3xf32>, tensor<2x4xf32>) {
  %c = "onnx.Conv"(%x, %w) : (tensor<1x2x3x3xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x3x3xf32>
  %r = "onnx.Relu"(%c) : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %m = "onnx.MatMul"(%a, %b) : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %t = "onnx.Relu"(%m) : (tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return %r, %t : tensor<1x2x3x3xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func @window_anchors
// CHECK-NEXT:    %r = "strata.FusedKernel"(%x, %w)
// CHECK:           %c = "onnx.Conv"
// CHECK-NEXT:      %r_1 = "onnx.Relu"(%c)
// CHECK:         %t = "strata.FusedKernel"(%a, %b)
// NOWIN-LABEL: func.func @window_anchors
// NOWIN-NEXT:    %c = "onnx.Conv"(%x, %w)
// NOWIN-NEXT:    %r = "onnx.Relu"(%c)
// NOWIN-NEXT:    %t = "strata.FusedKernel"(%a, %b)
// NOWIN-NEXT:    ^bb0
// NOWIN-NEXT:      %m = "onnx.MatMul"
// NOWIN-NEXT:      %t_1 = "onnx.Relu"(%m)
