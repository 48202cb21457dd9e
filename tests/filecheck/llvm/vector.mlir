// 1-D vectors (the AVX2 GEMM tile's accumulators, lowering/kernels/matmul.py): a
// vector.load / vector.store is one LLVM load / store of <8 x float> at the first
// element's address (element alignment), vector.broadcast a bitcast to <1 x float>
// shuffled by an all-zero mask, vector.fma a call of llvm.fma.v8f32; vectors carried by an
// scf.for are phis of <8 x float>.
// RUN: opt-tool %s --emit=llvm | filecheck %s
// RUN: opt-tool %s --emit=llvm | python3 -c "import sys, llvmlite.binding as l; l.parse_assembly(sys.stdin.read()).verify(); print('LLVM IR OK')" | filecheck %s --check-prefix=VERIFY

func.func private @axpy(%x: memref<4x16xf32>, %y: memref<16xf32>, %a: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %av = vector.broadcast %a : f32 to vector<8xf32>
  %init = vector.load %y[%c8] : memref<16xf32>, vector<8xf32>
  %sum = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %init) -> (vector<8xf32>) {
    %xv = vector.load %x[%i, %c8] : memref<4x16xf32>, vector<8xf32>
    %next = vector.fma %av, %xv, %acc : vector<8xf32>
    scf.yield %next : vector<8xf32>
  }
  vector.store %sum, %y[%c8] : memref<16xf32>, vector<8xf32>
  func.return
}
func.func @main(%x: memref<4x16xf32>, %y: memref<16xf32>) attributes {strata.entry, strata.args = ["input:x", "output:y"]} {
  %a = arith.constant 2.0 : f32
  func.call @axpy(%x, %y, %a) : (memref<4x16xf32>, memref<16xf32>, f32) -> ()
  func.return
}
// CHECK-LABEL: define internal void @"axpy"(
// CHECK-SAME:    ptr [[X:%.*]], ptr [[Y:%.*]], float [[A:%.*]]) nounwind
// CHECK:         [[ONE:%.*]] = bitcast float [[A]] to <1 x float>
// CHECK-NEXT:    [[AV:%.*]] = shufflevector <1 x float> [[ONE]], <1 x float> <float undef>, <8 x i32> {{<(i32 0, ){7}i32 0>}}
// CHECK-NEXT:    [[YP:%.*]] = getelementptr inbounds float, ptr [[Y]], i64 8
// CHECK-NEXT:    [[INIT:%.*]] = load <8 x float>, ptr [[YP]], align 4
// CHECK:         [[ACC:%.*]] = phi {{ *}}<8 x float> {{\[}}[[INIT]], {{.*}}]
// CHECK:         [[XV:%.*]] = load <8 x float>, ptr {{%.*}}, align 4
// CHECK-NEXT:    [[NEXT:%.*]] = call <8 x float> @"llvm.fma.v8f32"(<8 x float> [[AV]], <8 x float> [[XV]], <8 x float> [[ACC]])
// CHECK:         store <8 x float> {{%.*}}, ptr {{%.*}}, align 4
// CHECK:       declare <8 x float> @"llvm.fma.v8f32"(<8 x float> {{%.*}}, <8 x float> {{%.*}}, <8 x float> {{%.*}})

// VERIFY: LLVM IR OK
