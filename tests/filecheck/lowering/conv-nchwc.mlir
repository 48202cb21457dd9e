// Kernels of the blocked-layout ops. strata.ConvNCHWc: per (n, pair of output blocks,
// output row) the columns whose window lies inside the input go in tiles of 6 pixels whose 2 x 6 x 8 accumulators
// live in a small heap buffer; the reduction loops over (input block, kh, kw) load the
// 8 input lanes of x once per pixel, then an inner loop over the 8 output lanes does
// the FMAs (LLVM's loop vectorizer makes it one <8 x float> FMA per pixel and block, and
// SROA keeps the accumulators in registers). Border columns take the same body with one
// pixel and a clamped kw range. The epilogue applies the activation (Relu: maximumf).
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

func.func @main(%x: tensor<1x1x3x8x8xf32>, %w: tensor<2x1x3x3x8x8xf32>, %b: tensor<16xf32>) -> tensor<1x2x1x6x8xf32> attributes {strata.input_names = ["x", "w", "b"], strata.output_names = ["y"]} {
  %y = "strata.ConvNCHWc"(%x, %w, %b) <{kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, activation = "Relu", operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (tensor<1x1x3x8x8xf32>, tensor<2x1x3x3x8x8xf32>, tensor<16xf32>) -> tensor<1x2x1x6x8xf32> loc("conv1")
  func.return %y : tensor<1x2x1x6x8xf32>
}
// No padding and 6 output columns: exactly one tile per row, no border columns.
// CHECK-LABEL: func.func private @k0_ConvNCHWc_conv1(%x: memref<1x1x3x8x8xf32>, %w: memref<2x1x3x3x8x8xf32>, %b: memref<16xf32>, %y: memref<1x2x1x6x8xf32>)
// CHECK-NEXT:    [[ACC:%.*]] = memref.alloc() {alignment = 64 : i64} : memref<96xf32>
// Batch, then output blocks two at a time, then output rows.
// CHECK:         scf.for [[N:%.*]] =
// CHECK:         [[TWO:%.*]] = arith.constant 2 : index
// CHECK-NEXT:    [[STEP2:%.*]] = arith.constant 2 : index
// CHECK-NEXT:    scf.for [[MB:%.*]] = {{%.*}} to [[TWO]] step [[STEP2]] {
// CHECK:           scf.for [[OH:%.*]] =
// CHECK:             [[SIX:%.*]] = arith.constant 6 : index
// CHECK-NEXT:        [[STEP6:%.*]] = arith.constant 6 : index
// CHECK-NEXT:        scf.for [[OW:%.*]] = {{%.*}} to [[SIX]] step [[STEP6]] {
// Accumulators start as the bias of both blocks (12 = 2 blocks x 6 pixels per lane).
// CHECK:               scf.for [[L0:%.*]] =
// CHECK-COUNT-12:        memref.store {{%.*}}, [[ACC]]
// Reduction over input blocks, kh, kw (static ranges: no padding); 6 pixels x 8 lanes of x.
// CHECK:               scf.for [[ICB:%.*]] =
// CHECK:                 scf.for [[KH:%.*]] =
// CHECK:                   scf.for [[KW:%.*]] =
// CHECK-COUNT-48:            memref.load %x[[[N]], [[ICB]], {{%.*}}, {{%.*}}, {{%.*}}]
// The 8 output lanes: the weights of both blocks, 2 x 6 x 8 = 96 FMAs per lane.
// CHECK:                     scf.for [[LANE:%.*]] =
// CHECK-COUNT-12:              memref.load [[ACC]]
// CHECK:                       memref.load %w[[[MB]], [[ICB]], [[KH]], [[KW]], {{%.*}}, [[LANE]]]
// CHECK-NEXT:                  math.fma
// CHECK-COUNT-95:              math.fma
// CHECK-COUNT-12:              memref.store {{%.*}}, [[ACC]]
// Epilogue: Relu and the store of the tile.
// CHECK:               scf.for [[L2:%.*]] =
// CHECK:                 memref.load [[ACC]]
// CHECK-NEXT:            arith.constant 0.000000e+00 : f32
// CHECK-NEXT:            arith.maximumf
// CHECK-NEXT:            memref.store {{%.*}}, %y[
// CHECK:         memref.dealloc [[ACC]] : memref<96xf32>
// CHECK-NEXT:    func.return

// -----

// Padding 1 and 8 output columns: columns 1..6 make one tile; column 0 and 7 cross the
// padding and share one loop with one clamped single-pixel body (kw range with
// maxsi/minsi): j runs over 2 columns, j >= 1 maps to column j + 6. One output block:
// accumulators for one block and 6 pixels.
func.func @main(%x: tensor<1x1x2x8x8xf32>, %w: tensor<1x1x3x3x8x8xf32>) -> tensor<1x1x2x8x8xf32> attributes {strata.input_names = ["x", "w"], strata.output_names = ["y"]} {
  %y = "strata.ConvNCHWc"(%x, %w) <{kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x1x2x8x8xf32>, tensor<1x1x3x3x8x8xf32>) -> tensor<1x1x2x8x8xf32> loc("conv2")
  func.return %y : tensor<1x1x2x8x8xf32>
}
// CHECK-LABEL: func.func private @k0_ConvNCHWc_conv2
// CHECK-NEXT:    memref.alloc() {alignment = 64 : i64} : memref<48xf32>
// CHECK:         [[SIX:%.*]] = arith.constant 6 : index
// CHECK-NEXT:    scf.for {{%.*}} = {{%.*}} to {{%.*}} step [[SIX]] {
// CHECK:           [[RIGHT:%.*]] = arith.cmpi sge, [[J:%.*]], {{%.*}} : index
// CHECK-NEXT:      arith.constant 6 : index
// CHECK-NEXT:      [[R:%.*]] = arith.addi [[J]], {{%.*}} : index
// CHECK-NEXT:      [[OW:%.*]] = arith.select [[RIGHT]], [[R]], [[J]] : index
// CHECK:           arith.maxsi
// CHECK:         func.return

// -----

// ReorderToBlocked: full blocks in a loop, the last 4 channels of 12 copied and the
// padding lanes 4..7 set to zero; ReorderFromBlocked copies only the real lanes back.
func.func @main(%x: tensor<1x12x2x3xf32>) -> tensor<1x12x2x3xf32> attributes {strata.input_names = ["x"], strata.output_names = ["y"]} {
  %b = "strata.ReorderToBlocked"(%x) : (tensor<1x12x2x3xf32>) -> tensor<1x2x2x3x8xf32> loc("to")
  %y = "strata.ReorderFromBlocked"(%b) : (tensor<1x2x2x3x8xf32>) -> tensor<1x12x2x3xf32> loc("from")
  func.return %y : tensor<1x12x2x3xf32>
}
// CHECK-LABEL: func.func private @k0_ReorderToBlocked_to(%x: memref<1x12x2x3xf32>, %b: memref<1x2x2x3x8xf32>)
// CHECK-NEXT:    [[ZERO:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-COUNT-8: memref.store {{%.*}}, %b[{{.*}}] : memref<1x2x2x3x8xf32>
// Last block (block index 1): 4 real lanes, then 4 zero lanes.
// CHECK-COUNT-4: memref.load %x[
// CHECK:         [[C4:%.*]] = arith.constant 4 : index
// CHECK-NEXT:    memref.store [[ZERO]], %b[{{%.*}}, {{%.*}}, {{%.*}}, {{%.*}}, [[C4]]]
// CHECK-LABEL: func.func private @k1_ReorderFromBlocked_from(%b: memref<1x2x2x3x8xf32>, %y: memref<1x12x2x3xf32>)
// CHECK-COUNT-12: memref.store {{%.*}}, %y[
// CHECK-NOT:     memref.store
// CHECK:         func.return
