// Kernels of the blocked-layout ops. strata.ConvNCHWc: per (n, pair of output blocks,
// output row) — one scf.parallel over the three, each iteration with its own stack
// buffer of 2 x 6 x 8 accumulators — the columns whose window lies inside the input go
// in tiles of 6 pixels; the reduction loops over (input block, kh, kw) load the
// 8 input lanes of x once per pixel, then one weight vector per block and input lane does
// the FMAs as vector<8xf32> accumulators carried through those loops (on AVX2 and
// AVX-512; a lane loop for LLVM's vectorizer elsewhere). Border columns take the same body with one
// pixel and a clamped kw range. The epilogue applies the activation (Relu: maximumf).
// RUN: opt-tool %s --split-input-file -p "convert-onnx-to-loops{cpu=znver5}" | filecheck %s
// RUN: opt-tool %s --split-input-file -p "convert-onnx-to-loops{cpu=znver3}" | filecheck %s --check-prefix=AVX2

func.func @main(%x: tensor<1x1x3x8x8xf32>, %w: tensor<2x1x3x3x8x8xf32>, %b: tensor<16xf32>) -> tensor<1x2x1x6x8xf32> attributes {strata.input_names = ["x", "w", "b"], strata.output_names = ["y"]} {
  %y = "strata.ConvNCHWc"(%x, %w, %b) <{kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, activation = "Relu", operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (tensor<1x1x3x8x8xf32>, tensor<2x1x3x3x8x8xf32>, tensor<16xf32>) -> tensor<1x2x1x6x8xf32> loc("conv1")
  func.return %y : tensor<1x2x1x6x8xf32>
}
// No padding and 6 output columns: exactly one tile per row, no border columns.
// CHECK-LABEL: func.func private @k0_ConvNCHWc_conv1(%x: memref<1x1x3x8x8xf32>, %w: memref<2x1x3x3x8x8xf32>, %b: memref<16xf32>, %y: memref<1x2x1x6x8xf32>)
// One parallel loop over (n, pairs of output blocks, output rows):
// CHECK:         [[TWO:%.*]] = arith.constant 2 : index
// CHECK-NEXT:    [[ROWS:%.*]] = arith.constant 1 : index
// CHECK-NEXT:    {{%.*}} = arith.constant 1 : index
// CHECK-NEXT:    [[STEP2:%.*]] = arith.constant 2 : index
// CHECK-NEXT:    {{%.*}} = arith.constant 1 : index
// CHECK-NEXT:    "scf.parallel"({{%.*}}, {{%.*}}, {{%.*}}, {{%.*}}, [[TWO]], [[ROWS]], {{%.*}}, [[STEP2]], {{%.*}})
// CHECK-NEXT:    ^bb0([[N:%.*]]: index, [[MB:%.*]]: index, [[OH:%.*]]: index):
// CHECK-NEXT:      [[ACC:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<96xf32>
// The 2 x 6 accumulators start as the bias vectors and are carried as vector<8xf32>
// values through the reduction loops over (input block, kh, kw) (explicit_conv_tiles):
// CHECK-COUNT-12:  vector.load %b[{{%.*}}] : memref<16xf32>, vector<8xf32>
// CHECK:           scf.for [[ICB:%.*]] = {{.*}} iter_args({{.*}}) -> ({{(vector<8xf32>, ){11}vector<8xf32>}})
// CHECK:             scf.for [[KH:%.*]] = {{.*}} iter_args
// CHECK:               scf.for [[KW:%.*]] = {{.*}} iter_args
// each step loads the 8 input lanes of x once per pixel (48 values), then per input
// lane one weight vector per block and one broadcast per pixel feed 12 FMAs:
// CHECK-COUNT-48:        memref.load %x[[[N]], [[ICB]], {{%.*}}, {{%.*}}, {{%.*}}]
// CHECK:                 vector.load %w[[[MB]], [[ICB]], [[KH]], [[KW]], {{%.*}}, {{%.*}}] : memref<2x1x3x3x8x8xf32>, vector<8xf32>
// CHECK-NEXT:            arith.constant 0 : index
// CHECK-NEXT:            arith.constant 0 : index
// CHECK-NEXT:            vector.load %w
// CHECK-NEXT:            vector.broadcast
// CHECK-NEXT:            vector.fma
// CHECK-NEXT:            vector.fma
// CHECK-COUNT-94:        vector.fma
// CHECK:                 scf.yield
// The tile goes to the stack buffer once; the epilogue (Relu: maximumf) is a lane loop:
// CHECK-COUNT-12:  vector.store {{%.*}}, [[ACC]][{{%.*}}] : memref<96xf32>, vector<8xf32>
// CHECK:           scf.for [[L2:%.*]] =
// CHECK:             memref.load [[ACC]]
// CHECK-NEXT:        arith.constant 0.000000e+00 : f32
// CHECK-NEXT:        arith.maximumf
// CHECK:             memref.store {{%.*}}, %y[
// CHECK:           scf.reduce
// CHECK-NEXT:    })
// CHECK-NEXT:    func.return

// -----

// Padding 1 and 8 output columns, one output block: with 32 registers the tile is 1 block
// x 12 pixels, so the 8 columns make one tile; with 16 (AVX2) 1 x 6, so two tiles of 4.
// Every tile here touches a border column (0 or 7), so it is masked: each x value is
// loaded at its column clamped into x (maxsi/minsi) and replaced by 0 where the column
// lies in the padding (select on the column's range check). Nothing outside x is read,
// and no column runs in a single-pixel tile. The two AVX2 tiles share one loop.
func.func @main(%x: tensor<1x1x2x8x8xf32>, %w: tensor<1x1x3x3x8x8xf32>) -> tensor<1x1x2x8x8xf32> attributes {strata.input_names = ["x", "w"], strata.output_names = ["y"]} {
  %y = "strata.ConvNCHWc"(%x, %w) <{kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x1x2x8x8xf32>, tensor<1x1x3x3x8x8xf32>) -> tensor<1x1x2x8x8xf32> loc("conv2")
  func.return %y : tensor<1x1x2x8x8xf32>
}
// CHECK-LABEL: func.func private @k0_ConvNCHWc_conv2
// CHECK:         memref.alloca() {alignment = 64 : i64} : memref<96xf32>
// CHECK-NOT:       arith.constant 4 : index
// CHECK:                 [[GE:%.*]] = arith.cmpi sge, [[IW:%.*]], {{%.*}} : index
// CHECK-NEXT:            arith.constant 8 : index
// CHECK-NEXT:            [[LT:%.*]] = arith.cmpi slt, [[IW]]
// CHECK-NEXT:            [[OK:%.*]] = arith.andi [[GE]], [[LT]] : i1
// CHECK-NEXT:            arith.constant 0 : index
// CHECK-NEXT:            [[LO:%.*]] = arith.maxsi [[IW]]
// CHECK-NEXT:            arith.constant 7 : index
// CHECK-NEXT:            [[COL:%.*]] = arith.minsi [[LO]]
// CHECK:                 [[V:%.*]] = memref.load %x[{{%.*}}, {{%.*}}, {{%.*}}, [[COL]], {{%.*}}]
// CHECK:                 arith.select [[OK]], [[V]], {{%.*}} : f32
// CHECK:         func.return
// AVX2-LABEL: func.func private @k0_ConvNCHWc_conv2
// AVX2:         memref.alloca() {alignment = 64 : i64} : memref<48xf32>
// AVX2:           [[EIGHT:%.*]] = arith.constant 8 : index
// AVX2-NEXT:      [[FOUR:%.*]] = arith.constant 4 : index
// AVX2-NEXT:      scf.for {{%.*}} = {{%.*}} to [[EIGHT]] step [[FOUR]] {

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

// -----

// strata.DepthwiseConvNCHWc (lanes are channels): per (n, block, output row), 8-pixel
// tiles over the columns whose window is inside the input (1..8 here, pads 1), the kw
// taps unrolled (3 taps x 8 pixels = 24 vector FMAs a kh step), kh clamped per row; the two border
// columns 0 and 9 in one single-pixel loop with kw clamped too (padding never read).
func.func @main(%x: tensor<1x1x4x10x8xf32>, %w: tensor<1x3x3x8xf32>, %b: tensor<8xf32>) -> tensor<1x1x4x10x8xf32> attributes {strata.input_names = ["x", "w", "b"], strata.output_names = ["y"]} {
  %y = "strata.DepthwiseConvNCHWc"(%x, %w, %b) <{kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, activation = "Relu", operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (tensor<1x1x4x10x8xf32>, tensor<1x3x3x8xf32>, tensor<8xf32>) -> tensor<1x1x4x10x8xf32> loc("dw1")
  func.return %y : tensor<1x1x4x10x8xf32>
}
// CHECK-LABEL: func.func private @k0_DepthwiseConvNCHWc_dw1(%x: memref<1x1x4x10x8xf32>, %w: memref<1x3x3x8xf32>, %b: memref<8xf32>, %y: memref<1x1x4x10x8xf32>)
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[N:%.*]]: index, [[CB:%.*]]: index, [[OH:%.*]]: index):
// CHECK-NEXT:      [[ACC:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<64xf32>
// kh clamped to the rows inside x:
// CHECK:           [[KH_LO:%.*]] = arith.maxsi
// CHECK:           arith.minsi
// CHECK-NEXT:      [[KH_HI:%.*]] = arith.maxsi
// The 8 pixels' accumulators (vector<8xf32>, explicit_conv_tiles) start as the bias
// vector and are carried through the kh loop; per tap one w vector, and per pixel one
// x vector and one FMA (3 taps x 8 pixels):
// CHECK:           [[BIAS:%.*]] = vector.load %b[{{%.*}}] : memref<8xf32>, vector<8xf32>
// CHECK:           {{.*}} = scf.for [[KH:%.*]] = [[KH_LO]] to [[KH_HI]] step {{%.*}} iter_args([[A0:%[0-9]+]] = [[BIAS]], {{.*}}) -> ({{(vector<8xf32>, ){7}vector<8xf32>}})
// CHECK:             vector.load %w[[[CB]], [[KH]], {{%.*}}, {{%.*}}] : memref<1x3x3x8xf32>, vector<8xf32>
// CHECK:             vector.load %x[[[N]], [[CB]], {{%.*}}, {{%.*}}, {{%.*}}] : memref<1x1x4x10x8xf32>, vector<8xf32>
// CHECK-NEXT:        vector.fma {{%.*}}, {{%.*}}, [[A0]] : vector<8xf32>
// CHECK-COUNT-23:    vector.fma
// CHECK-NOT:         vector.fma
// CHECK:             scf.yield
// CHECK-COUNT-8:   vector.store {{%.*}}, [[ACC]][{{%.*}}] : memref<64xf32>, vector<8xf32>
// the epilogue's lane loop (Relu):
// CHECK:           scf.for
// CHECK-COUNT-8:     arith.maximumf
// The border columns, one at a time, kw clamped too (the column index selected):
// CHECK:           scf.for
// CHECK:             arith.select
// CHECK:             scf.for [[KH2:%.*]] = [[KH_LO]] to [[KH_HI]] step {{%.*}} iter_args
// CHECK-NEXT:          arith.constant 1 : index
// CHECK-NEXT:          scf.for [[KW2:%.*]] = [[KW_LO:%.*]] to [[KW_HI:%.*]] step {{%.*}} iter_args
// CHECK:                 vector.load %w[[[CB]], [[KH2]], [[KW2]], {{%.*}}]
// CHECK:                 vector.fma
// CHECK-NOT:             vector.fma
// CHECK:             arith.maximumf
// CHECK-NOT:     memref.dealloc

// -----

// A grouped conv as a dense ConvNCHWc (group_channels = [Cg, Mg] = [6, 8]: 4 groups,
// input blocks straddle groups): per pair of output blocks mb0, mb0 + 1 the reduction
// runs only over input blocks [min(g_lo * 6 / 8, 3), min(ceil((g_hi + 1) * 6 / 8), 3))
// with g_lo = mb0 * 8 / 8 and g_hi = (mb0 * 8 + 15) / 8: W is zero outside them.
func.func @main(%x: tensor<1x3x2x2x8xf32>, %w: tensor<4x3x1x1x8x8xf32>) -> tensor<1x4x2x2x8xf32> attributes {strata.input_names = ["x", "w"], strata.output_names = ["y"]} {
  %y = "strata.ConvNCHWc"(%x, %w) <{kernel_shape = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group_channels = array<i64: 6, 8>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x3x2x2x8xf32>, tensor<4x3x1x1x8x8xf32>) -> tensor<1x4x2x2x8xf32> loc("g1")
  func.return %y : tensor<1x4x2x2x8xf32>
}
// CHECK-LABEL: func.func private @k0_ConvNCHWc_g1
// A pointwise conv runs over its 2 x 2 pixels as one row of 4 (x and y viewed as
// [n, blocks, rows, pixels, 8], the same buffers).
// CHECK:         [[XF:%.*]] = memref.collapse_shape %x {{\[}}[0 : i64], [1 : i64], [2 : i64, 3 : i64], [4 : i64]] : memref<1x3x2x2x8xf32> into memref<1x3x4x8xf32>
// CHECK-NEXT:    [[XR:%.*]] = memref.expand_shape [[XF]] {{.*}} output_shape [1, 3, 1, 4, 8] : memref<1x3x4x8xf32> into memref<1x3x1x4x8xf32>
// CHECK:         memref.expand_shape {{.*}} into memref<1x4x1x4x8xf32>
// CHECK:         ^bb0([[N:%.*]]: index, [[MB:%.*]]: index, [[OH:%.*]]: index):
// CHECK:           [[M8:%.*]] = arith.muli [[MB]], {{%.*}} : index
// CHECK-NEXT:      [[C8:%.*]] = arith.constant 8 : index
// CHECK-NEXT:      [[GLO:%.*]] = arith.floordivsi [[M8]], [[C8]] : index
// CHECK:           [[GHI:%.*]] = arith.floordivsi
// CHECK:           arith.muli [[GLO]]
// CHECK:           [[LO:%.*]] = arith.minsi
// CHECK:           arith.addi [[GHI]]
// CHECK:           [[HI:%.*]] = arith.minsi
// CHECK:           scf.for [[ICB:%.*]] = [[LO]] to [[HI]] step
// CHECK:             memref.load [[XR]][{{%.*}}, [[ICB]],

// -----

// strata.ChannelShuffleNCHWc (24 channels, 3 groups of 8): per (n, output block) the 8
// source (block, lane) pairs of output channels c = cb * 8 + lane are computed once
// (src = (c mod 3) * 8 + c / 3), then one H x W loop copies 8 lanes per pixel.
func.func @main(%x: tensor<1x3x2x2x8xf32>) -> tensor<1x3x2x2x8xf32> attributes {strata.input_names = ["x"], strata.output_names = ["y"]} {
  %y = "strata.ChannelShuffleNCHWc"(%x) <{channels = 24 : i64, group = 3 : i64}> : (tensor<1x3x2x2x8xf32>) -> tensor<1x3x2x2x8xf32> loc("sh1")
  func.return %y : tensor<1x3x2x2x8xf32>
}
// CHECK-LABEL: func.func private @k0_ChannelShuffleNCHWc_sh1(%x: memref<1x3x2x2x8xf32>, %y: memref<1x3x2x2x8xf32>)
// CHECK:         ^bb0([[N:%.*]]: index, [[CB:%.*]]: index):
// CHECK-COUNT-8:     arith.remsi
// CHECK:             scf.for [[H:%.*]] =
// CHECK:               scf.for [[W:%.*]] =
// CHECK:                 [[V:%.*]] = memref.load %x[[[N]], {{%.*}}, [[H]], [[W]], {{%.*}}]
// CHECK:                 memref.store [[V]], %y[[[N]], [[CB]], [[H]], [[W]], {{%.*}}]
// CHECK-COUNT-7:         memref.store
// CHECK-NOT:             memref.store
// CHECK:         func.return

// -----

// Column tiles are balanced: 26 columns (a 1x1 conv, no border, one output block) make
// tiles whose widths differ by at most one. With 16 registers (AVX2, tiles of up to 6)
// one tile of 6 and a loop of four tiles of 5 (not four of 6 and two single columns):
// the 6-pixel body stores 6 accumulators per lane, the 5-pixel one 5. With 32 (tiles of
// up to 12) a loop of two tiles of 9 and one of 8.
func.func @main(%x: tensor<1x1x1x26x8xf32>, %w: tensor<1x1x1x1x8x8xf32>) -> tensor<1x1x1x26x8xf32> attributes {strata.input_names = ["x", "w"], strata.output_names = ["y"]} {
  %y = "strata.ConvNCHWc"(%x, %w) <{kernel_shape = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x1x1x26x8xf32>, tensor<1x1x1x1x8x8xf32>) -> tensor<1x1x1x26x8xf32> loc("c26")
  func.return %y : tensor<1x1x1x26x8xf32>
}
// CHECK-LABEL: func.func private @k0_ConvNCHWc_c26
// CHECK:           memref.alloca() {alignment = 64 : i64} : memref<96xf32>
// CHECK:           [[HI:%.*]] = arith.constant 18 : index
// CHECK-NEXT:      [[NINE:%.*]] = arith.constant 9 : index
// CHECK-NEXT:      scf.for {{%.*}} = {{%.*}} to [[HI]] step [[NINE]] {
// CHECK:             scf.for {{.*}} iter_args({{.*}}) -> ({{(vector<8xf32>, ){8}vector<8xf32>}})
// CHECK:             }
// CHECK-COUNT-9:     vector.store {{%.*}}, {{%.*}} : memref<96xf32>, vector<8xf32>
// AVX2-LABEL: func.func private @k0_ConvNCHWc_c26
// AVX2:             memref.expand_shape {{.*}} into memref<1x1x1x26x8xf32>
// AVX2:             [[YR:%.*]] = memref.expand_shape {{.*}} into memref<1x1x1x26x8xf32>
// The accumulators are vector<8xf32> values carried through the
// reduction loops (explicit_conv_tiles), stored to the stack tile once, then the
// epilogue's lane loop stores y.
// AVX2:             scf.for {{.*}} iter_args({{.*}}) -> ({{(vector<8xf32>, ){5}vector<8xf32>}})
// AVX2:             }
// AVX2-COUNT-6:     vector.store {{%.*}}, [[ACC:%.*]][{{%.*}}] : memref<48xf32>, vector<8xf32>
// AVX2:             scf.for
// AVX2-COUNT-6:       memref.store {{%.*}}, [[YR]][
// AVX2-NEXT:        }
// AVX2-NEXT:        [[LO:%.*]] = arith.constant 6 : index
// AVX2-NEXT:        [[HI:%.*]] = arith.constant 26 : index
// AVX2-NEXT:        [[FIVE:%.*]] = arith.constant 5 : index
// AVX2-NEXT:        scf.for [[OW:%.*]] = [[LO]] to [[HI]] step [[FIVE]] {
// AVX2:               scf.for {{.*}} iter_args({{.*}}) -> ({{(vector<8xf32>, ){4}vector<8xf32>}})
// AVX2:               }
// AVX2-COUNT-5:       vector.store {{%.*}}, [[ACC]][
// AVX2:               scf.for
// AVX2-COUNT-5:         memref.store {{%.*}}, [[YR]][
// AVX2-NEXT:          }

// -----

// The register tile follows the target's register file: 2 blocks x 6 pixels with 32
// vector registers (znver5, AVX-512), 2 x 5 with 16 (znver3, AVX2 - the x values of 6
// pixels beside 12 accumulators spill there). 20 columns: four tiles of 5 either way.
func.func @main(%x: tensor<1x2x1x20x8xf32>, %w: tensor<2x2x1x1x8x8xf32>) -> tensor<1x2x1x20x8xf32> attributes {strata.input_names = ["x", "w"], strata.output_names = ["y"]} {
  %y = "strata.ConvNCHWc"(%x, %w) <{kernel_shape = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x2x1x20x8xf32>, tensor<2x2x1x1x8x8xf32>) -> tensor<1x2x1x20x8xf32> loc("c20")
  func.return %y : tensor<1x2x1x20x8xf32>
}
// CHECK-LABEL: func.func private @k0_ConvNCHWc_c20
// CHECK:         memref.alloca() {alignment = 64 : i64} : memref<96xf32>
// CHECK:         [[LO:%.*]] = arith.constant 0 : index
// CHECK-NEXT:    [[HI:%.*]] = arith.constant 20 : index
// CHECK-NEXT:    [[FIVE:%.*]] = arith.constant 5 : index
// CHECK-NEXT:    scf.for {{%.*}} = [[LO]] to [[HI]] step [[FIVE]] {
// AVX2-LABEL: func.func private @k0_ConvNCHWc_c20
// AVX2:         memref.alloca() {alignment = 64 : i64} : memref<80xf32>
// AVX2:         [[HI:%.*]] = arith.constant 20 : index
// AVX2-NEXT:    [[FIVE:%.*]] = arith.constant 5 : index
// AVX2-NEXT:    scf.for {{%.*}} = {{%.*}} to [[HI]] step [[FIVE]] {
// AVX2-COUNT-10:  vector.store {{%.*}}, {{%.*}} : memref<80xf32>, vector<8xf32>
// AVX2-NOT:       vector.store

// -----

// Four output blocks: with 32 registers the tile takes all four (4 blocks x 4 pixels:
// each x broadcast feeds 4 weight vectors; 16 accumulators, alloca of 4 x 4 x 8), so
// the parallel loop steps over output blocks by 4 and 8 columns make two tiles of 4.
// With 16 registers (AVX2) it stays 2 blocks x 5 pixels (8 columns: tiles of 4).
func.func @main(%x: tensor<1x2x1x8x8xf32>, %w: tensor<4x2x1x1x8x8xf32>) -> tensor<1x4x1x8x8xf32> attributes {strata.input_names = ["x", "w"], strata.output_names = ["y"]} {
  %y = "strata.ConvNCHWc"(%x, %w) <{kernel_shape = array<i64: 1, 1>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<1x2x1x8x8xf32>, tensor<4x2x1x1x8x8xf32>) -> tensor<1x4x1x8x8xf32> loc("c4b")
  func.return %y : tensor<1x4x1x8x8xf32>
}
// CHECK-LABEL: func.func private @k0_ConvNCHWc_c4b
// CHECK:         [[FOUR:%.*]] = arith.constant 4 : index
// CHECK:         [[STEP4:%.*]] = arith.constant 4 : index
// CHECK:         "scf.parallel"({{%.*}}, {{%.*}}, {{%.*}}, {{%.*}}, [[FOUR]], {{%.*}}, {{%.*}}, [[STEP4]], {{%.*}})
// CHECK:           memref.alloca() {alignment = 64 : i64} : memref<128xf32>
// CHECK:           [[COLS:%.*]] = arith.constant 8 : index
// CHECK-NEXT:      [[TILE:%.*]] = arith.constant 4 : index
// CHECK-NEXT:      scf.for {{%.*}} = {{%.*}} to [[COLS]] step [[TILE]] {
// CHECK:             scf.for {{.*}} iter_args({{.*}}) -> ({{(vector<8xf32>, ){15}vector<8xf32>}})
// CHECK-COUNT-128:       vector.fma
// CHECK:             }
// CHECK-COUNT-16:    vector.store {{%.*}}, {{%.*}} : memref<128xf32>, vector<8xf32>
// AVX2-LABEL: func.func private @k0_ConvNCHWc_c4b
// AVX2:           memref.alloca() {alignment = 64 : i64} : memref<80xf32>

// -----

// MaxPoolNCHWc, 3x3 stride 2 pad 1: per output pixel the 9 taps are unrolled (no loop
// over taps: straight-line code the SLP vectorizer turns into vector loads, selects and
// maxima). Each tap loads the 8 lanes at a position clamped into x (maxsi/minsi) and
// takes -inf where the tap lies in the padding (arith.select on the row and column
// checks); a tap never in the padding (row 1 / column 1 of the window here: 2 * o
// for o in 0..1 lies inside 4) has no check. 9 x 8 loads, 8 stores.
func.func @main(%x: tensor<1x1x4x4x8xf32>) -> tensor<1x1x2x2x8xf32> attributes {strata.input_names = ["x"], strata.output_names = ["y"]} {
  %y = "strata.MaxPoolNCHWc"(%x) <{kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>}> : (tensor<1x1x4x4x8xf32>) -> tensor<1x1x2x2x8xf32> loc("pool")
  func.return %y : tensor<1x1x2x2x8xf32>
}
// CHECK-LABEL: func.func private @k0_MaxPoolNCHWc_pool
// CHECK:         "scf.parallel"
// CHECK:           scf.for
// CHECK-NOT:         scf.for
// CHECK:             arith.cmpi sge
// CHECK:             arith.cmpi slt
// CHECK:             [[LO:%.*]] = arith.maxsi
// CHECK:             [[H:%.*]] = arith.minsi [[LO]]
// CHECK:             arith.andi
// CHECK:             [[V:%.*]] = memref.load %x[{{%.*}}, {{%.*}}, [[H]], {{%.*}}, {{%.*}}]
// CHECK-NEXT:        arith.select {{%.*}}, [[V]], {{%.*}} : f32
// CHECK-NOT:         scf.for
// The first tap starts the maximum, the next ones combine into it.
// CHECK:             [[S:%.*]] = arith.select {{%.*}}, {{%.*}}, {{%.*}} : f32
// CHECK:             arith.maximumf {{%.*}}, {{%.*}} : f32
// CHECK-NOT:         scf.for
// CHECK-COUNT-8:     memref.store {{%.*}}, %y
// CHECK-NEXT:      }
