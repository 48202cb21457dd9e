// --emit=llvm --num-threads=2: an scf.parallel loop that does enough work (here
// 512 x 1024 elements) becomes a task of the model's thread pool. Its body is outlined
// into @<kernel>.par0(live-ins..., lo, hi), which runs the linear iterations [lo, hi)
// (delinearized into the loop's two induction variables); a trampoline .par0.task
// unpacks the live-ins from 8-byte slots; the kernel fills the slots and calls
// strata.parallel_for with the iteration count and the number of shares its work
// estimate allows. Constants are re-created in the body, the scratch buffer used only
// inside the loop becomes each thread's own alloca. A loop below the threshold (%small)
// stays an inline loop nest, and so does everything with --num-threads=1.
// RUN: opt-tool %s --emit=llvm --num-threads=2 | filecheck %s
// RUN: opt-tool %s --emit=llvm | filecheck %s --check-prefix=SERIAL
// RUN: opt-tool %s --emit=llvm --num-threads=2 | python3 -c "import sys, llvmlite.binding as l; l.parse_assembly(sys.stdin.read()).verify(); print('LLVM IR OK')" | filecheck %s --check-prefix=VERIFY

func.func private @k0_scale(%x: memref<512x1024xf32>, %y: memref<512x1024xf32>, %small: memref<4x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c512 = arith.constant 512 : index
  %c1024 = arith.constant 1024 : index
  %two = arith.constant 2.000000e+00 : f32
  %tmp = memref.alloca() : memref<1024xf32>
  "scf.parallel"(%c0, %c512, %c1) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> ({
  ^bb0(%i: index):
    scf.for %j = %c0 to %c1024 step %c1 {
      %v = memref.load %x[%i, %j] : memref<512x1024xf32>
      %w = arith.mulf %v, %two : f32
      memref.store %w, %tmp[%j] : memref<1024xf32>
    }
    scf.for %j = %c0 to %c1024 step %c1 {
      %t = memref.load %tmp[%j] : memref<1024xf32>
      memref.store %t, %y[%i, %j] : memref<512x1024xf32>
    }
    scf.reduce
  }) : (index, index, index) -> ()
  "scf.parallel"(%c0, %c0, %c4, %c4, %c1, %c1) <{operandSegmentSizes = array<i32: 2, 2, 2, 0>}> ({
  ^bb0(%a: index, %b: index):
    memref.store %two, %small[%a, %b] : memref<4x4xf32>
    scf.reduce
  }) : (index, index, index, index, index, index) -> ()
  func.return
}

func.func @main(%x: memref<512x1024xf32>, %y: memref<512x1024xf32>, %s: memref<4x4xf32>) attributes {strata.entry} {
  func.call @k0_scale(%x, %y, %s) : (memref<512x1024xf32>, memref<512x1024xf32>, memref<4x4xf32>) -> ()
  func.return
}

// The kernel: the live-ins %x and %y go to two slots; 512 iterations; then the small
// loop nest inline.
// CHECK-LABEL: define internal void @"k0_scale"(ptr %".1", ptr %".2", ptr %".3")
// CHECK:         [[SLOTS:%.*]] = alloca [2 x i64], align 8
// CHECK:         [[S0:%.*]] = getelementptr inbounds i64, ptr [[SLOTS]], i64 0
// CHECK-NEXT:    store ptr %".1", ptr [[S0]], align 8
// CHECK-NEXT:    [[S1:%.*]] = getelementptr inbounds i64, ptr [[SLOTS]], i64 1
// CHECK-NEXT:    store ptr %".2", ptr [[S1]], align 8
// CHECK-NEXT:    [[N:%.*]] = mul nsw i64 1, 512
// CHECK-NEXT:    call void @"strata.parallel_for"({{.*}} @"k0_scale.par0.task", ptr [[SLOTS]], i64 [[N]], i32 {{[0-9]+}})
// CHECK-NOT:     call
// CHECK:         store float 0x4000000000000000, ptr
// CHECK:         ret void
// The outlined body: plain pointer arguments, its own scratch row, iterations [lo, hi).
// CHECK-LABEL: define internal void @"k0_scale.par0"(ptr %".1", ptr %".2", i64 %".3", i64 %".4") noinline nounwind
// CHECK-NEXT:  {
// CHECK-NEXT:  entry:
// CHECK-NEXT:    [[TMP:%.*]] = alloca [1024 x float], align 64
// CHECK:         [[LIN:%.*]] = phi  i64 [%".3", %"body"]
// CHECK-NEXT:    icmp slt i64 [[LIN]], %".4"
// CHECK:         fmul float {{%.*}}, 0x4000000000000000
// CHECK-NEXT:    [[T:%.*]] = getelementptr inbounds float, ptr [[TMP]]
// CHECK:         getelementptr inbounds float, ptr %".2"
// The trampoline.
// CHECK-LABEL: define internal void @"k0_scale.par0.task"(ptr %".1", i64 %".2", i64 %".3")
// CHECK:         [[X:%.*]] = load ptr, ptr {{%.*}}, align 8
// CHECK:         [[Y:%.*]] = load ptr, ptr {{%.*}}, align 8
// CHECK-NEXT:    call void @"k0_scale.par0"(ptr [[X]], ptr [[Y]], i64 %".2", i64 %".3")
// The pool: its state, workers on pthreads, and the exported start/stop.
// CHECK:       @"strata.pool" = internal global [2560 x i8] zeroinitializer, align 64
// CHECK:       define internal ptr @"strata.pool.worker"(ptr %".1")
// CHECK:         cmpxchg ptr
// CHECK:       define internal void @"strata.parallel_for"(ptr %".1", ptr %".2", i64 %".3", i32 %".4")
// CHECK:       define i32 @"strata_pool_start"(i32 %".1")
// CHECK:         call i32 @"pthread_create"
// CHECK:       define void @"strata_pool_stop"()
// CHECK:         call i32 @"pthread_join"

// SERIAL-NOT:  parallel_for
// SERIAL-NOT:  .par0
// SERIAL-NOT:  strata.pool
// SERIAL:      define void @"strata_entry"

// VERIFY: LLVM IR OK
