// memref.atomic_rmw (the status words of run-time checks, lowering/runtime_checks.py)
// becomes one LLVM atomicrmw on the element's address: `assign` (kind 2) is an
// exchange, monotonic ordering (the words are read after the call has returned).
// RUN: opt-tool %s --emit=llvm | filecheck %s
// RUN: opt-tool %s --emit=llvm | python3 -c "import sys, llvmlite.binding as l; l.parse_assembly(sys.stdin.read()).verify(); print('LLVM IR OK')" | filecheck %s --check-prefix=VERIFY

func.func private @report(%rec: memref<2xi64>, %v: i64) {
  %c1 = arith.constant 1 : index
  %old = "memref.atomic_rmw"(%v, %rec, %c1) <{kind = 2 : i64}> : (i64, memref<2xi64>, index) -> i64
  %sum = "memref.atomic_rmw"(%v, %rec, %c1) <{kind = 1 : i64}> : (i64, memref<2xi64>, index) -> i64
  func.return
}
func.func @main(%rec: memref<2xi64>) attributes {strata.entry, strata.args = ["input:rec"]} {
  %v = arith.constant 7 : i64
  func.call @report(%rec, %v) : (memref<2xi64>, i64) -> ()
  func.return
}
// CHECK-LABEL: define internal void @"report"(
// CHECK-SAME:    ptr [[REC:%.*]], i64 [[V:%.*]]) nounwind
// CHECK:         [[P:%.*]] = getelementptr inbounds i64, ptr [[REC]], i64 1
// CHECK-NEXT:    {{%.*}} = atomicrmw xchg ptr [[P]], i64 [[V]] monotonic
// CHECK:         {{%.*}} = atomicrmw add ptr {{%.*}}, i64 [[V]] monotonic

// VERIFY: LLVM IR OK
