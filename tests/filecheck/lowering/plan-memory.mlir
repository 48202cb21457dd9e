// RUN: opt-tool %s -p "convert-onnx-to-loops,dedupe-kernels,plan-memory{in_place=true}" --split-input-file | filecheck %s
// RUN: opt-tool %s -p convert-onnx-to-loops,dedupe-kernels,plan-memory --split-input-file | filecheck %s --check-prefix=DEFAULT
// (In-place reuse is opt-in: the default plan gives every buffer its own bytes while live;
// the DEFAULT lines check that on the chain below.)
// Every tensor here is 4x4xf32 = 64 bytes unless said otherwise, so offsets count in
// units of 64. Call positions: 0, 1, 2, ... in entry order.

// A chain x -> a -> b -> c -> out of Transposes (not elementwise: no in-place). a lives
// over calls [0,1], b [1,2], c [2,3]: a and c share offset 0, b sits at 64.

func.func @main(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %a = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = "onnx.Transpose"(%a) <{perm = array<i64: 1, 0>}> : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %c = "onnx.Transpose"(%b) <{perm = array<i64: 1, 0>}> : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %d = "onnx.Transpose"(%c) <{perm = array<i64: 1, 0>}> : (tensor<4x4xf32>) -> tensor<4x4xf32>
  func.return %d : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @main(%x: memref<4x4xf32>, %out0: memref<4x4xf32>, %arena: memref<128xi8>)
// CHECK-SAME:    strata.args = ["input:input0", "output:output0", "arena:128"]
// CHECK-SAME:    strata.arena_bytes = 128 : i64, strata.naive_bytes = 192 : i64, strata.lower_bound_bytes = 128 : i64
// CHECK-DAG:   %off0 = arith.constant 0 : index
// CHECK-DAG:   %off64 = arith.constant 64 : index
// CHECK-DAG:   %a = memref.view %arena[%off0][] : memref<128xi8> to memref<4x4xf32>
// CHECK-DAG:   %b = memref.view %arena[%off64][] : memref<128xi8> to memref<4x4xf32>
// CHECK-DAG:   %c = memref.view %arena[%off0][] : memref<128xi8> to memref<4x4xf32>
// CHECK-NOT:   memref.alloc
// CHECK-NOT:   memref.dealloc
// CHECK:       func.return

// -----

// The same chain of Relus: each Relu writes over its input, which dies at that call
// (in-place reuse), so a, b and c are one 64-byte buffer.

func.func @main(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %a = "onnx.Relu"(%x) : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = "onnx.Relu"(%a) : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %c = "onnx.Relu"(%b) : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %d = "onnx.Relu"(%c) : (tensor<4x4xf32>) -> tensor<4x4xf32>
  func.return %d : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @main(
// CHECK-SAME:    strata.arena_bytes = 64 : i64, strata.naive_bytes = 192 : i64, strata.lower_bound_bytes = 64 : i64
// CHECK-DAG:   %a = memref.view %arena[%off0][]
// CHECK-DAG:   %b = memref.view %arena[%off0][]
// CHECK-DAG:   %c = memref.view %arena[%off0][]
// Default (no in-place): a and c alternate at 0 and 64, b at the other: 128 bytes.
// DEFAULT:       func.func private @k0_Relu
// DEFAULT:       strata.arena_bytes = 128 : i64, strata.naive_bytes = 192 : i64, strata.lower_bound_bytes = 128 : i64

// -----

// A diamond: a = T(x); b = T(a); c = Neg(a); out = b + c. a lives [0,2], b [1,3],
// c [2,3]. Neg is elementwise and a dies at it: c takes a's bytes, so two buffers
// suffice (without in-place, a, b and c would all be live at call 2: 192 bytes).

func.func @main(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %a = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = "onnx.Transpose"(%a) <{perm = array<i64: 1, 0>}> : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %c = "onnx.Neg"(%a) : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %d = "onnx.Add"(%b, %c) : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  func.return %d : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @main(
// CHECK-SAME:    strata.arena_bytes = 128 : i64, strata.naive_bytes = 192 : i64, strata.lower_bound_bytes = 128 : i64
// CHECK-DAG:   %a = memref.view %arena[%[[A:.*]]][]
// CHECK-DAG:   %b = memref.view %arena[%[[B:.*]]][]
// CHECK-DAG:   %c = memref.view %arena[%[[A]]][]

// -----

// The same diamond with a Softmax (not elementwise: must NOT write over its input)
// instead of Neg: a, b and c are live together at call 2, three distinct offsets.

func.func @main(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %a = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = "onnx.Transpose"(%a) <{perm = array<i64: 1, 0>}> : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %c = "onnx.Softmax"(%a) : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %d = "onnx.Add"(%b, %c) : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  func.return %d : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @main(
// CHECK-SAME:    strata.arena_bytes = 192 : i64, strata.naive_bytes = 192 : i64, strata.lower_bound_bytes = 192 : i64
// CHECK-DAG:   %a = memref.view %arena[%off{{[0-9]+}}][]
// CHECK-DAG:   %b = memref.view %arena[%off{{[0-9]+}}][]
// CHECK-DAG:   %c = memref.view %arena[%off{{[0-9]+}}][]
// CHECK-DAG:   %off0 = arith.constant 0 : index
// CHECK-DAG:   %off64 = arith.constant 64 : index
// CHECK-DAG:   %off128 = arith.constant 128 : index

// -----

// In-place must NOT fire: b = Relu(a) cannot write over a, which is read again by the
// Add (a is still live); the graph input x is never written (a gets its own bytes);
// Cast to f64 changes the byte size (d gets 128 bytes of its own). The Add may write
// over a or b (both die there): it takes a, its first operand. Peak: a/c + d at call 3.

func.func @main(%x: tensor<4x4xf32>) -> tensor<4x4xf64> {
  %a = "onnx.Relu"(%x) : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = "onnx.Relu"(%a) : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %c = "onnx.Add"(%a, %b) : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %d = "onnx.Cast"(%c) <{to = 11 : i64}> : (tensor<4x4xf32>) -> tensor<4x4xf64>
  %e = "onnx.Neg"(%d) : (tensor<4x4xf64>) -> tensor<4x4xf64>
  func.return %e : tensor<4x4xf64>
}

// CHECK-LABEL: func.func @main(
// CHECK-SAME:    strata.arena_bytes = 192 : i64, strata.naive_bytes = 320 : i64, strata.lower_bound_bytes = 192 : i64
// CHECK-DAG:   %a = memref.view %arena[%[[A:.*]]][] : memref<192xi8> to memref<4x4xf32>
// CHECK-DAG:   %b = memref.view %arena[%[[B:.*]]][] : memref<192xi8> to memref<4x4xf32>
// CHECK-DAG:   %c = memref.view %arena[%[[A]]][] : memref<192xi8> to memref<4x4xf32>
// CHECK-DAG:   %d = memref.view %arena[%off{{[0-9]+}}][] : memref<192xi8> to memref<4x4xf64>

// -----

// A weight filled at run time (ConstantOfShape reads nothing but a constant) is moved
// down to just before its consumer, so it does not stay live across the chain: the
// peak is two 64-byte buffers, not three.

func.func @main(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %s = "onnx.Constant"() <{value = dense<4> : tensor<2xi64>}> : () -> tensor<2xi64>
  %w = "onnx.ConstantOfShape"(%s) <{value = dense<1.0> : tensor<1xf32>}> : (tensor<2xi64>) -> tensor<4x4xf32>
  %a = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = "onnx.Transpose"(%a) <{perm = array<i64: 1, 0>}> : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %c = "onnx.Add"(%b, %w) : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  func.return %c : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @main(
// CHECK-SAME:    strata.arena_bytes = 128 : i64, strata.naive_bytes = 192 : i64, strata.lower_bound_bytes = 128 : i64
// CHECK:       func.call @k1_Transpose(%a, %b)
// CHECK-NEXT:  func.call @k0_ConstantOfShape(
// CHECK-NEXT:  func.call @k{{[0-9]+}}_Add(

// -----

// Nothing to plan: the only kernel writes the graph output; no arena argument.

func.func @main(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %a = "onnx.Relu"(%x) : (tensor<4x4xf32>) -> tensor<4x4xf32>
  func.return %a : tensor<4x4xf32>
}

// CHECK-LABEL: func.func @main(%x: memref<4x4xf32>, %out0: memref<4x4xf32>)
// CHECK-NOT:     arena
// CHECK:         func.return

// -----

// A Reshape between two intermediates copies nothing: its output becomes a view of its
// input's buffer with the output's shape (collapse to one dim, expand), the call goes,
// the Reshape kernel with it, and the buffer lives until the view's last use (the
// Sigmoid): one 128-byte buffer where the copy needed two.

func.func @main(%x: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
  %a = "onnx.Relu"(%x) : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %s = "onnx.Constant"() {value = dense<[6, 4]> : tensor<2xi64>} : () -> tensor<2xi64>
  %b = "onnx.Reshape"(%a, %s) : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<6x4xf32>
  %y = "onnx.Sigmoid"(%b) : (tensor<6x4xf32>) -> tensor<6x4xf32>
  func.return %y : tensor<6x4xf32>
}

// CHECK-NOT:   func.func private @k{{[0-9]+}}_Reshape
// CHECK-LABEL: func.func @main(
// CHECK-SAME:    strata.arena_bytes = 128 : i64, strata.naive_bytes = 128 : i64
// CHECK:         %a = memref.view %arena[%off0][] : memref<128xi8> to memref<2x3x4xf32>
// CHECK-NEXT:    func.call @k0_Relu
// CHECK-NEXT:    [[FLAT:%.*]] = memref.collapse_shape %a {{\[}}[0 : i64, 1 : i64, 2 : i64]] : memref<2x3x4xf32> into memref<24xf32>
// CHECK-NEXT:    %b = memref.expand_shape [[FLAT]] {{\[}}[0 : i64, 1 : i64]] output_shape [6, 4] : memref<24xf32> into memref<6x4xf32>
// CHECK-NEXT:    func.call @k2_Sigmoid{{.*}}(%b, %out0)
