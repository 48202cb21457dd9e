// vector.shuffle (the 8 x 8 register transpose of lowering/loop_builder.transpose_8x8)
// is one LLVM shufflevector of its two operands with the mask as an <N x i32> constant.
// RUN: opt-tool %s --emit=llvm | filecheck %s
// RUN: opt-tool %s --emit=llvm | python3 -c "import sys, llvmlite.binding as l; l.parse_assembly(sys.stdin.read()).verify(); print('LLVM IR OK')" | filecheck %s --check-prefix=VERIFY

func.func private @interleave(%x: memref<2x8xf32>, %y: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = vector.load %x[%c0, %c0] : memref<2x8xf32>, vector<8xf32>
  %b = vector.load %x[%c1, %c0] : memref<2x8xf32>, vector<8xf32>
  %lo = vector.shuffle %a, %b [0, 8, 1, 9, 4, 12, 5, 13] : vector<8xf32>, vector<8xf32>
  vector.store %lo, %y[%c0] : memref<8xf32>, vector<8xf32>
  func.return
}
func.func @main(%x: memref<2x8xf32>, %y: memref<8xf32>) attributes {strata.entry, strata.args = ["input:x", "output:y"]} {
  func.call @interleave(%x, %y) : (memref<2x8xf32>, memref<8xf32>) -> ()
  func.return
}
// CHECK-LABEL: define internal void @"interleave"(
// CHECK:         [[A:%.*]] = load <8 x float>, ptr {{%.*}}, align 4
// CHECK:         [[B:%.*]] = load <8 x float>, ptr {{%.*}}, align 4
// CHECK-NEXT:    [[LO:%.*]] = shufflevector <8 x float> [[A]], <8 x float> [[B]], <8 x i32> <i32 0, i32 8, i32 1, i32 9, i32 4, i32 12, i32 5, i32 13>
// CHECK-NEXT:    store <8 x float> [[LO]], ptr {{%.*}}, align 4

// VERIFY: LLVM IR OK
