// A constant B of the register-tiled GEMM is packed at compile time
// (lowering/operand_packing.py, matmul.pack_panels): convert-onnx-to-loops passes the
// kernel B' as [ceil(N / 16), K, 16] panels (24 columns: one full panel and an 8-column
// one, zero-padded), the kernel reads them in place (no per-call copy into a stack
// panel), and the original [K, N] weight is no longer an argument of the entry.
// With pack_weights=false the kernel copies each panel out of B per call, as before.
// RUN: opt-tool %s -p 'convert-onnx-to-loops{cpu=znver3}' | filecheck %s
// RUN: opt-tool %s -p 'convert-onnx-to-loops{cpu=znver3 pack_weights=false}' | filecheck %s --check-prefix=UNPACKED

func.func @main(%a: tensor<20x40xf32>) -> tensor<20x24xf32> {
  %w = "onnx.Constant"() <{value = dense<5.000000e-01> : tensor<40x24xf32>}> : () -> tensor<40x24xf32> loc("fc_w")
  %y = "onnx.MatMul"(%a, %w) : (tensor<20x40xf32>, tensor<40x24xf32>) -> tensor<20x24xf32> loc("fc")
  func.return %y : tensor<20x24xf32>
}
// CHECK-LABEL: func.func private @k0_MatMul_fc(%a: memref<20x40xf32>, %w: memref<2x40x16xf32>, %y: memref<20x24xf32>)
// CHECK:         "scf.parallel"
// Only the accumulator tile is on the stack: no panel buffer, no copy loop.
// CHECK-NEXT:    ^bb0([[J0:%.*]]: index):
// CHECK-NEXT:      memref.alloca() {alignment = 64 : i64} : memref<96xf32>
// CHECK-NOT:       memref.alloca
// CHECK:           [[P:%.*]] = arith.divui [[J0]], {{%.*}} : index
// The 6-row vector tile reads the panel's row k as two vector<8xf32> in place.
// CHECK:           scf.for [[K:%.*]] = {{.*}} iter_args(
// CHECK-NEXT:        arith.constant 0 : index
// CHECK-NEXT:        vector.load %w[[[P]], [[K]], {{%.*}}] : memref<2x40x16xf32>, vector<8xf32>
// CHECK-NEXT:        arith.constant 8 : index
// CHECK-NEXT:        vector.load %w[[[P]], [[K]], {{%.*}}] : memref<2x40x16xf32>, vector<8xf32>
// CHECK-NOT:       memref.store {{.*}} : memref<640xf32>
// The 8-column tail reads panel 1.
// CHECK:         memref.load %w[{{%.*}}, {{%.*}}, {{%.*}}] : memref<2x40x16xf32>
// CHECK-LABEL: func.func @main(%a: memref<20x40xf32>, %out0: memref<20x24xf32>, %w_panels: memref<2x40x16xf32>)
// CHECK-SAME:    strata.args = ["input:input0", "output:output0", "weight:const_fc_w.panels"]
// CHECK-NEXT:    func.call @k0_MatMul_fc(%a, %w_panels, %out0)

// UNPACKED-LABEL: func.func private @k0_MatMul_fc(%a: memref<20x40xf32>, %w: memref<40x24xf32>, %y: memref<20x24xf32>)
// UNPACKED:         memref.alloca() {alignment = 64 : i64} : memref<96xf32>
// UNPACKED-NEXT:    [[PANEL:%.*]] = memref.alloca() {alignment = 64 : i64} : memref<640xf32>
// UNPACKED:         memref.load %w[{{%.*}}, {{%.*}}] : memref<40x24xf32>
// UNPACKED:         memref.store {{%.*}}, [[PANEL]][{{%.*}}] : memref<640xf32>
// UNPACKED-LABEL: func.func @main(%a: memref<20x40xf32>, %out0: memref<20x24xf32>, %w: memref<40x24xf32>)
// UNPACKED-SAME:    strata.args = ["input:input0", "output:output0", "weight:const_fc_w"]
