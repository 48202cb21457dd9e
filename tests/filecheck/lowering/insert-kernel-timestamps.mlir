// RUN: opt-tool %s -p convert-onnx-to-loops,dedupe-kernels,plan-memory,insert-kernel-timestamps | filecheck %s
// RUN: opt-tool %s -p convert-onnx-to-loops,dedupe-kernels,plan-memory,insert-kernel-timestamps --emit=llvm | filecheck %s --check-prefix=LLVM
// The profiled entry (CompiledModel.profile): a clock reading before the first kernel
// call and after each one, into 16-byte slots of a new last argument; the kernels and
// their call order do not change.

func.func @main(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %a = "onnx.Relu"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("relu_a")
  %b = "onnx.Sigmoid"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("sig")
  %c = "onnx.Relu"(%b) : (tensor<2x3xf32>) -> tensor<2x3xf32> loc("relu_b")
  func.return %c : tensor<2x3xf32>
}

// CHECK:      func.func @main(%x: memref<2x3xf32>, %out0: memref<2x3xf32>, %arena: memref<128xi8>, %timestamps: memref<64xi8>)
// CHECK-SAME:   strata.args = ["input:input0", "output:output0", "arena:128", "timestamps:4"]
// CHECK:        %clock_monotonic = arith.constant 1 : i32
// CHECK:        %t0 = memref.view %timestamps[%{{.*}}][] : memref<64xi8> to memref<2xi64>
// CHECK-NEXT:   func.call @clock_gettime(%clock_monotonic, %t0) : (i32, memref<2xi64>) -> i32
// CHECK-NEXT:   func.call @k0_Relu_relu_a(%x, %a)
// CHECK-NEXT:   %[[O1:.*]] = arith.constant 16 : index
// CHECK-NEXT:   %t1 = memref.view %timestamps[%[[O1]]][]
// CHECK-NEXT:   func.call @clock_gettime(%clock_monotonic, %t1)
// CHECK-NEXT:   func.call @k1_Sigmoid_sig(%a, %b)
// CHECK:        func.call @clock_gettime(%clock_monotonic, %t2)
// CHECK-NEXT:   func.call @k0_Relu_relu_a(%b, %out0)
// CHECK:        func.call @clock_gettime(%clock_monotonic, %t3)
// CHECK-NEXT:   func.return
// CHECK:      func.func private @clock_gettime(i32, memref<2xi64>) -> i32

// LLVM:       define internal void @"main"(ptr %".1", ptr %".2", ptr %".3", ptr %"[[TS:.*]]")
// LLVM:         call i32 @"clock_gettime"(i32 1, ptr
// LLVM-NEXT:    call void @"k0_Relu_relu_a"
// LLVM:         getelementptr inbounds i8, ptr %"[[TS]]", i64 16
// LLVM-NEXT:    call i32 @"clock_gettime"(i32 1, ptr
// LLVM-NEXT:    call void @"k1_Sigmoid_sig"
// LLVM:       declare i32 @"clock_gettime"(i32 %".1", ptr %".2")
