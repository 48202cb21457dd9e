// Conv lowers to loops over (N, group, output channel in group, output spatial...),
// all but the last in one scf.parallel,
// with the bias as the initial accumulator and inner reduction loops over the input
// channels of the group and the kernel window; padding is handled by clamping the
// window loop bounds (maxsi/minsi), so no load is ever out of bounds.
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

func.func @main(%x: tensor<1x4x5x5xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x3x3xf32> attributes {strata.input_names = ["x", "w", "b"], strata.output_names = ["y"]} {
  %y = "onnx.Conv"(%x, %w, %b) <{group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>}> : (tensor<1x4x5x5xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>) -> tensor<1x6x3x3xf32> loc("conv1")
  func.return %y : tensor<1x6x3x3xf32>
}
// CHECK-LABEL: func.func private @k0_Conv_conv1(%x: memref<1x4x5x5xf32>, %w: memref<6x2x3x3xf32>, %b: memref<6xf32>, %y: memref<1x6x3x3xf32>)
// CHECK-SAME:      attributes {strata.onnx_node = "conv1", strata.onnx_op = "Conv"}
// (N, group, channel, output row) are one scf.parallel (independent outputs), the
// output columns a serial loop inside it.
// CHECK:         [[HN:%.*]] = arith.constant 1 : index
// CHECK-NEXT:    [[HG:%.*]] = arith.constant 2 : index
// CHECK-NEXT:    [[HM:%.*]] = arith.constant 3 : index
// CHECK-NEXT:    [[HOH:%.*]] = arith.constant 3 : index
// CHECK:         "scf.parallel"({{%.*}}, {{%.*}}, {{%.*}}, {{%.*}}, [[HN]], [[HG]], [[HM]], [[HOH]],
// CHECK-NEXT:    ^bb0([[N:%.*]]: index, [[G:%.*]]: index, [[M:%.*]]: index, [[OH:%.*]]: index):
// CHECK:                 [[HOW:%.*]] = arith.constant 3 : index
// CHECK-NEXT:            arith.constant 1 : index
// CHECK-NEXT:            scf.for [[OW:%.*]] = {{%.*}} to [[HOW]] step
// Output channel = group * 3 + m; the group's first input channel = group * 2.
// CHECK-NEXT:              [[MPG:%.*]] = arith.constant 3 : index
// CHECK-NEXT:              [[GM:%.*]] = arith.muli [[G]], [[MPG]] : index
// CHECK-NEXT:              [[OC:%.*]] = arith.addi [[GM]], [[M]] : index
// CHECK-NEXT:              [[CPG:%.*]] = arith.constant 2 : index
// CHECK-NEXT:              [[C0:%.*]] = arith.muli [[G]], [[CPG]] : index
// CHECK-NEXT:              [[BIAS:%.*]] = memref.load %b[[[OC]]] : memref<6xf32>
// Window rows: ih0 = oh * 2 - 1; kh runs over [max(0, -ih0), max(min(3, 5 - ih0), that)).
// CHECK-NEXT:              [[S:%.*]] = arith.constant 2 : index
// CHECK-NEXT:              [[OHS:%.*]] = arith.muli [[OH]], [[S]] : index
// CHECK-NEXT:              [[MP:%.*]] = arith.constant -1 : index
// CHECK-NEXT:              [[IH0:%.*]] = arith.addi [[OHS]], [[MP]] : index
// CHECK:                   [[KHLO:%.*]] = arith.maxsi %{{.*}}, %{{.*}} : index
// CHECK-NEXT:              [[H:%.*]] = arith.constant 5 : index
// CHECK-NEXT:              [[ROOM:%.*]] = arith.subi [[H]], [[IH0]] : index
// CHECK-NEXT:              [[K:%.*]] = arith.constant 3 : index
// CHECK-NEXT:              [[MIN:%.*]] = arith.minsi [[K]], [[ROOM]] : index
// CHECK-NEXT:              [[KHHI:%.*]] = arith.maxsi [[MIN]], [[KHLO]] : index
// CHECK:                   [[KWLO:%.*]] = arith.maxsi
// CHECK:                   [[KWHI:%.*]] = arith.maxsi
// CHECK-NEXT:              arith.constant 2 : index
// CHECK-NEXT:              arith.muli [[OH]]
// CHECK-NEXT:              arith.constant -1 : index
// CHECK-NEXT:              [[IHB:%.*]] = arith.addi
// CHECK-NEXT:              arith.constant 2 : index
// CHECK-NEXT:              arith.muli [[OW]]
// CHECK-NEXT:              arith.constant -1 : index
// CHECK-NEXT:              [[IWB:%.*]] = arith.addi
// CHECK-NEXT:              [[CL:%.*]] = arith.constant 0 : index
// CHECK-NEXT:              [[HC:%.*]] = arith.constant 2 : index
// CHECK-NEXT:              [[CS:%.*]] = arith.constant 1 : index
// CHECK-NEXT:              [[ACC:%.*]] = scf.for [[C:%.*]] = [[CL]] to [[HC]] step [[CS]] iter_args([[A0:%.*]] = [[BIAS]]) -> (f32) {
// CHECK-NEXT:                arith.constant 1 : index
// CHECK-NEXT:                [[R1:%.*]] = scf.for [[KH:%.*]] = [[KHLO]] to [[KHHI]] step {{%.*}} iter_args([[A1:%.*]] = [[A0]]) -> (f32) {
// CHECK-NEXT:                  arith.constant 1 : index
// CHECK-NEXT:                  [[R2:%.*]] = scf.for [[KW:%.*]] = [[KWLO]] to [[KWHI]] step {{%.*}} iter_args([[A2:%.*]] = [[A1]]) -> (f32) {
// CHECK-NEXT:                    [[IH:%.*]] = arith.addi [[IHB]], [[KH]] : index
// CHECK-NEXT:                    [[IW:%.*]] = arith.addi [[IWB]], [[KW]] : index
// CHECK-NEXT:                    [[IC:%.*]] = arith.addi [[C0]], [[C]] : index
// CHECK-NEXT:                    [[XV:%.*]] = memref.load %x[[[N]], [[IC]], [[IH]], [[IW]]] : memref<1x4x5x5xf32>
// CHECK-NEXT:                    [[WV:%.*]] = memref.load %w[[[OC]], [[C]], [[KH]], [[KW]]] : memref<6x2x3x3xf32>
// CHECK-NEXT:                    [[P:%.*]] = arith.mulf [[XV]], [[WV]] : f32
// CHECK-NEXT:                    [[NEXT:%.*]] = arith.addf [[A2]], [[P]] : f32
// CHECK-NEXT:                    scf.yield [[NEXT]] : f32
// CHECK-NEXT:                  }
// CHECK-NEXT:                  scf.yield [[R2]] : f32
// CHECK-NEXT:                }
// CHECK-NEXT:                scf.yield [[R1]] : f32
// CHECK-NEXT:              }
// CHECK-NEXT:              memref.store [[ACC]], %y[[[N]], [[OC]], [[OH]], [[OW]]] : memref<1x6x3x3xf32>

// -----

// ConvTranspose scatters: Y is zeroed, then every (input pixel, kernel tap) pair adds
// x * w into Y; with pads the input loops are bounded so the target stays inside Y.
func.func @main(%x: tensor<1x2x3x3xf32>, %w: tensor<2x3x3x3xf32>) -> tensor<1x3x5x5xf32> {
  %y = "onnx.ConvTranspose"(%x, %w) <{strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>}> : (tensor<1x2x3x3xf32>, tensor<2x3x3x3xf32>) -> tensor<1x3x5x5xf32>
  func.return %y : tensor<1x3x5x5xf32>
}
// CHECK-LABEL: func.func private @k0_ConvTranspose(%x: memref<1x2x3x3xf32>, %w: memref<2x3x3x3xf32>, %y: memref<1x3x5x5xf32>)
// CHECK:         [[ZERO:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK:         memref.store [[ZERO]], %y[
// CHECK:         [[WV:%.*]] = memref.load %w[
// CHECK:         scf.for [[I:%.*]] = [[ILO:%.*]] to [[IHI:%.*]] step
// CHECK:           scf.for [[J:%.*]] = [[JLO:%.*]] to [[JHI:%.*]] step
// CHECK:             [[OLD:%.*]] = memref.load %y[
// CHECK-NEXT:        [[XV:%.*]] = memref.load %x[{{.*}}, [[I]], [[J]]] : memref<1x2x3x3xf32>
// CHECK-NEXT:        [[P:%.*]] = arith.mulf [[XV]], [[WV]] : f32
// CHECK-NEXT:        [[NEW:%.*]] = arith.addf [[OLD]], [[P]] : f32
// CHECK-NEXT:        memref.store [[NEW]], %y[
