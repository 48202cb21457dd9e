// The loop level (one kernel per op, unplanned) to LLVM IR: every kernel and the
// entry's body are `internal`, `strata_entry(ptr argv)` is the one exported symbol (it
// loads each buffer pointer from its argv slot, in strata.args order, and calls @main,
// which stays a call: noinline); scf.for becomes a header block with phis (the
// induction variable and each iter_arg), math.exp an llvm.exp intrinsic, i1 buffers are
// bytes (zext to i8 on store, trunc on load), intermediates of an unplanned entry come
// from aligned_alloc(64, n) rounded up to a multiple of 64 and are freed; llvmlite
// parses and verifies it.
// RUN: opt-tool %s -p convert-onnx-to-loops --emit=llvm | filecheck %s
// RUN: opt-tool %s -p convert-onnx-to-loops --emit=llvm | python3 -c "import sys, llvmlite.binding as l; l.parse_assembly(sys.stdin.read()).verify(); print('LLVM IR OK')" | filecheck %s --check-prefix=VERIFY
// --emit=llvm on the graph level lowers as compile() does: fuse-kernels makes Less+Where
// and Exp+ReduceSum one kernel each, and nothing is left to allocate (the fused
// intermediates live in registers, so plan-memory adds no arena argument).
// RUN: opt-tool %s --emit=llvm | filecheck %s --check-prefix=PLANNED
// PLANNED:     define internal void @"k0_FusedKernel"(ptr %".1", ptr %".2", ptr %".3")
// PLANNED:     define internal void @"k1_FusedKernel"(ptr %".1", ptr %".2")
// PLANNED:     define internal void @"main"({{.*}}) noinline nounwind
// PLANNED-NOT: aligned_alloc
// PLANNED:     define void @"strata_entry"(ptr %"argv")

func.func @main(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<f32>) attributes {strata.input_names = ["x", "y"], strata.output_names = ["sel", "sum"]} {
  %lt = "onnx.Less"(%x, %y) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %sel = "onnx.Where"(%lt, %x, %y) : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %e = "onnx.Exp"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %sum = "onnx.ReduceSum"(%e) <{keepdims = 0 : i64}> : (tensor<4xf32>) -> tensor<f32>
  func.return %sel, %sum : tensor<4xf32>, tensor<f32>
}

// CHECK-LABEL: define internal void @"k0_Less"(
// CHECK-SAME:    ptr [[X:%.*]], ptr [[Y:%.*]], ptr [[LT:%.*]]) nounwind
// CHECK:       for.header:
// CHECK-NEXT:    [[I:%.*]] = phi i64 [0, %"body"], [[[NEXT:%.*]], %"for.body"]
// CHECK-NEXT:    [[COND:%.*]] = icmp slt i64 [[I]], 4
// CHECK-NEXT:    br i1 [[COND]], label %"for.body", label %"for.exit"
// CHECK:       for.body:
// CHECK:         [[C:%.*]] = fcmp olt float
// CHECK-NEXT:    [[P:%.*]] = getelementptr inbounds i8, ptr [[LT]], i64 [[I]]
// CHECK-NEXT:    [[B:%.*]] = zext i1 [[C]] to i8
// CHECK-NEXT:    store i8 [[B]], ptr [[P]], align 1
// CHECK-NEXT:    [[NEXT]] = add nsw i64 [[I]], 1

// CHECK-LABEL: define internal void @"k1_Where"(
// CHECK-SAME:    ptr [[LT:%.*]], ptr {{%.*}}, ptr {{%.*}}, ptr {{%.*}}) nounwind
// CHECK:         [[P:%.*]] = getelementptr inbounds i8, ptr [[LT]], i64 [[I:%.*]]
// CHECK-NEXT:    [[B:%.*]] = load i8, ptr [[P]], align 1
// CHECK-NEXT:    [[C:%.*]] = trunc i8 [[B]] to i1
// CHECK:         select i1 [[C]], float

// CHECK-LABEL: define internal void @"k2_Exp"(
// CHECK:         call float @"llvm.exp.f32"(float

// The ReduceSum accumulator is a phi next to the induction variable; the sum is stored
// after the loop.
// CHECK-LABEL: define internal void @"k3_ReduceSum"(
// CHECK-SAME:    ptr [[E:%.*]], ptr [[OUT:%.*]]) nounwind
// CHECK:       for.header:
// CHECK-NEXT:    [[I:%.*]] = phi i64 [0, %"body"], [[[INEXT:%.*]], %"for.body"]
// CHECK-NEXT:    [[ACC:%.*]] = phi float [{{ *}}0x0, %"body"], [[[ACCNEXT:%.*]], %"for.body"]
// CHECK:       for.body:
// CHECK:         [[V:%.*]] = load float, ptr {{%.*}}, align 4
// CHECK-NEXT:    [[ACCNEXT]] = fadd float [[ACC]], [[V]]
// CHECK:       for.exit:
// CHECK-NEXT:    store float [[ACC]], ptr [[OUT]], align 4
// CHECK-NEXT:    ret void

// CHECK-LABEL: define internal void @"main"(
// CHECK-SAME:    ptr [[X:%.*]], ptr [[Y:%.*]], ptr [[SEL:%.*]], ptr [[SUM:%.*]]) noinline nounwind
// 4 bytes of i1 -> aligned_alloc(64, 64); 4 floats -> 16 bytes -> 64.
// CHECK:         [[LTBUF:%.*]] = call ptr @"aligned_alloc"(i64 64, i64 64)
// CHECK-NEXT:    call void @"k0_Less"(ptr [[X]], ptr [[Y]], ptr [[LTBUF]])
// CHECK-NEXT:    call void @"k1_Where"(ptr [[LTBUF]], ptr [[X]], ptr [[Y]], ptr [[SEL]])
// CHECK-NEXT:    [[EBUF:%.*]] = call ptr @"aligned_alloc"(i64 64, i64 64)
// CHECK-NEXT:    call void @"k2_Exp"(ptr [[X]], ptr [[EBUF]])
// CHECK-NEXT:    call void @"k3_ReduceSum"(ptr [[EBUF]], ptr [[SUM]])
// CHECK-NEXT:    call void @"free"(ptr [[LTBUF]])
// CHECK-NEXT:    call void @"free"(ptr [[EBUF]])
// CHECK-NEXT:    ret void

// CHECK-DAG:   declare float @"llvm.exp.f32"(float
// CHECK-DAG:   declare ptr @"aligned_alloc"(i64 {{.*}}, i64
// CHECK-DAG:   declare void @"free"(ptr

// CHECK-LABEL: define void @"strata_entry"(ptr %"argv") nounwind
// CHECK-NEXT:  {
// CHECK-NEXT:  entry:
// CHECK-NEXT:    [[S0:%.*]] = getelementptr inbounds ptr, ptr %"argv", i64 0
// CHECK-NEXT:    [[A0:%.*]] = load ptr, ptr [[S0]], align 8
// CHECK-NEXT:    [[S1:%.*]] = getelementptr inbounds ptr, ptr %"argv", i64 1
// CHECK-NEXT:    [[A1:%.*]] = load ptr, ptr [[S1]], align 8
// CHECK-NEXT:    [[S2:%.*]] = getelementptr inbounds ptr, ptr %"argv", i64 2
// CHECK-NEXT:    [[A2:%.*]] = load ptr, ptr [[S2]], align 8
// CHECK-NEXT:    [[S3:%.*]] = getelementptr inbounds ptr, ptr %"argv", i64 3
// CHECK-NEXT:    [[A3:%.*]] = load ptr, ptr [[S3]], align 8
// CHECK-NEXT:    call void @"main"(ptr [[A0]], ptr [[A1]], ptr [[A2]], ptr [[A3]])
// CHECK-NEXT:    ret void

// VERIFY: LLVM IR OK
