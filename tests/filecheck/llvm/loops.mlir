// --emit=llvm on IR that is already at the loop level (written by hand: func, scf,
// arith, math, memref) translates it directly. With a strata.entry function, every
// function is internal and the strata_entry(argv) wrapper is the only external symbol.
// Multi-dim memrefs are flattened with row-major index arithmetic; llvmlite parses and
// verifies the result.
// RUN: opt-tool %s --emit=llvm | filecheck %s
// RUN: opt-tool %s --emit=llvm | python3 -c "import sys, llvmlite.binding as l; l.parse_assembly(sys.stdin.read()).verify(); print('LLVM IR OK')" | filecheck %s --check-prefix=VERIFY

func.func private @k0_rowsum(%x: memref<3x8xf32>, %y: memref<3xf32>) {
  %zero = arith.constant 0.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c3 step %c1 {
    %sum = scf.for %j = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %j] : memref<3x8xf32>
      %e = math.exp %v : f32
      %t = math.tanh %e : f32
      %next = arith.addf %acc, %t : f32
      scf.yield %next : f32
    }
    %r = math.sqrt %sum : f32
    memref.store %r, %y[%i] : memref<3xf32>
  }
  func.return
}
func.func @helper(%y: memref<3xf32>) {
  func.return
}
func.func @main(%x: memref<3x8xf32>, %y: memref<3xf32>) attributes {strata.entry, strata.args = ["input:x", "output:y"]} {
  func.call @k0_rowsum(%x, %y) : (memref<3x8xf32>, memref<3xf32>) -> ()
  func.return
}

// CHECK-LABEL: define internal void @"k0_rowsum"(
// CHECK-SAME:    ptr [[X:%.*]], ptr [[Y:%.*]]) nounwind
// Outer loop: only the induction variable.
// CHECK:       for.header:
// CHECK-NEXT:    [[I:%.*]] = phi i64 [0, %"body"], [[[INEXT:%.*]], %"for.exit.1"]
// CHECK-NEXT:    [[IC:%.*]] = icmp slt i64 [[I]], 3
// Inner loop: the induction variable and the iter_arg.
// CHECK:       for.header.1:
// CHECK-NEXT:    [[J:%.*]] = phi i64 [0, %"for.body"], [[[JNEXT:%.*]], %"for.body.1"]
// CHECK-NEXT:    [[ACC:%.*]] = phi float [{{ *}}0x0, %"for.body"], [[[ACCNEXT:%.*]], %"for.body.1"]
// CHECK-NEXT:    [[JC:%.*]] = icmp slt i64 [[J]], 8
// CHECK:       for.body.1:
// CHECK-NEXT:    [[ROW:%.*]] = mul nsw i64 [[I]], 8
// CHECK-NEXT:    [[OFF:%.*]] = add nsw i64 [[ROW]], [[J]]
// CHECK-NEXT:    [[P:%.*]] = getelementptr inbounds float, ptr [[X]], i64 [[OFF]]
// CHECK-NEXT:    [[V:%.*]] = load float, ptr [[P]], align 4
// CHECK-NEXT:    [[E:%.*]] = call float @"llvm.exp.f32"(float [[V]])
// CHECK-NEXT:    [[T:%.*]] = call float @"llvm.tanh.f32"(float [[E]])
// CHECK-NEXT:    [[ACCNEXT]] = fadd float [[ACC]], [[T]]
// CHECK-NEXT:    [[JNEXT]] = add nsw i64 [[J]], 1
// CHECK:       for.exit.1:
// CHECK-NEXT:    [[R:%.*]] = call float @"llvm.sqrt.f32"(float [[ACC]])
// CHECK-NEXT:    [[Q:%.*]] = getelementptr inbounds float, ptr [[Y]], i64 [[I]]
// CHECK-NEXT:    store float [[R]], ptr [[Q]], align 4
// CHECK-NEXT:    [[INEXT]] = add nsw i64 [[I]], 1

// CHECK-LABEL: define internal void @"helper"(ptr
// CHECK-LABEL: define internal void @"main"(ptr
// CHECK-LABEL: define void @"strata_entry"(ptr %"argv")
// CHECK:         call void @"main"(ptr {{%.*}}, ptr {{%.*}})
// CHECK-NOT:   define

// VERIFY: LLVM IR OK
