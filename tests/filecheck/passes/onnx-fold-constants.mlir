// onnx-fold-constants: an onnx op whose operands are all onnx.Constant is evaluated
// at compile time (onnx.reference) and replaced by onnx.Constant ops of exactly its
// result types, at its location. Constants left without uses are removed; results of
// more than 16 elements go to the weight table (dense_resource), never into the IR.
// RUN: opt-tool %s -p onnx-fold-constants --split-input-file | filecheck %s
// RUN: opt-tool %s -p 'onnx-fold-constants{max-elements=16}' --split-input-file | filecheck %s --check-prefix=LIMIT
// RUN: opt-tool %s -p 'onnx-fold-constants{max_elements=16}' --split-input-file | filecheck %s --check-prefix=LIMIT

// Add of two constants (with broadcasting) folds to its value; the node name of the
// Add becomes the constant's location.
func.func @add() -> tensor<2x3xf32> {
  %a = "onnx.Constant"() <{value = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>}> : () -> tensor<2x3xf32>
  %b = "onnx.Constant"() <{value = dense<[0.5, 0.25, -1.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %sum = "onnx.Add"(%a, %b) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32> loc("add_node")
  func.return %sum : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @add
// CHECK-NEXT:    %sum = "onnx.Constant"() <{value = dense<{{\[}}[1.500000e+00, 2.250000e+00, 2.000000e+00], [4.500000e+00, 5.250000e+00, 5.000000e+00]]> : tensor<2x3xf32>}> : () -> tensor<2x3xf32>
// CHECK-NEXT:    func.return %sum : tensor<2x3xf32>
// LIMIT-LABEL: func.func @add
// LIMIT-NEXT:    %sum = "onnx.Constant"()

// -----

// A chain of arithmetic on constants (Mul, Sub, Cast, Reshape, Neg) folds to one
// constant; every intermediate constant goes away.
func.func @chain() -> tensor<4xi32> {
  %x = "onnx.Constant"() <{value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>}> : () -> tensor<2x2xf32>
  %two = "onnx.Constant"() <{value = dense<2.0> : tensor<f32>}> : () -> tensor<f32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %shape = "onnx.Constant"() <{value = dense<[4]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %m = "onnx.Mul"(%x, %two) : (tensor<2x2xf32>, tensor<f32>) -> tensor<2x2xf32>
  %s = "onnx.Sub"(%m, %one) : (tensor<2x2xf32>, tensor<f32>) -> tensor<2x2xf32>
  %n = "onnx.Neg"(%s) : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %c = "onnx.Cast"(%n) <{to = 6 : i64}> : (tensor<2x2xf32>) -> tensor<2x2xi32>
  %r = "onnx.Reshape"(%c, %shape) : (tensor<2x2xi32>, tensor<1xi64>) -> tensor<4xi32>
  func.return %r : tensor<4xi32>
}
// CHECK-LABEL: func.func @chain
// CHECK-NEXT:    %r = "onnx.Constant"() <{value = dense<[-1, -3, -5, -7]> : tensor<4xi32>}> : () -> tensor<4xi32>
// CHECK-NEXT:    func.return %r : tensor<4xi32>

// -----

// Must not fire: %x is a function argument, so the Add has a non-constant operand
// (and the constant feeding it stays).
func.func @non_constant(%x: tensor<3xf32>) -> tensor<3xf32> {
  %b = "onnx.Constant"() <{value = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %y = "onnx.Add"(%x, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  func.return %y : tensor<3xf32>
}
// CHECK-LABEL: func.func @non_constant
// CHECK-NEXT:    %b = "onnx.Constant"()
// CHECK-NEXT:    %y = "onnx.Add"(%x, %b) : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT:    func.return %y

// -----

// An Expand of constants to 4x8 (32 elements) folds under the default limit (65536;
// to a dense_resource, being over 16 elements) but must not fire with max-elements=16:
// the result would exceed the limit, so the Expand and its operands stay.
func.func @expand() -> tensor<4x8xf32> {
  %v = "onnx.Constant"() <{value = dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>}> : () -> tensor<8xf32>
  %shape = "onnx.Constant"() <{value = dense<[4, 8]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %e = "onnx.Expand"(%v, %shape) : (tensor<8xf32>, tensor<2xi64>) -> tensor<4x8xf32>
  func.return %e : tensor<4x8xf32>
}
// CHECK-LABEL: func.func @expand
// CHECK-NEXT:    %e = "onnx.Constant"() <{value = dense_resource<{{.*}}> : tensor<4x8xf32>}> : () -> tensor<4x8xf32>
// CHECK-NEXT:    func.return %e
// LIMIT-LABEL: func.func @expand
// LIMIT-NEXT:    %v = "onnx.Constant"()
// LIMIT-NEXT:    %shape = "onnx.Constant"()
// LIMIT-NEXT:    %e = "onnx.Expand"(%v, %shape) : (tensor<8xf32>, tensor<2xi64>) -> tensor<4x8xf32>
// LIMIT-NEXT:    func.return %e

// -----

// Transpose of a 20-element inline constant folds; the 20-element result goes to the
// weight table (dense_resource named after the node: its location), not into the IR text.
func.func @transpose() -> tensor<5x4xf32> {
  %w = "onnx.Constant"() <{value = dense<[[0.0, 1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0, 9.0], [10.0, 11.0, 12.0, 13.0, 14.0], [15.0, 16.0, 17.0, 18.0, 19.0]]> : tensor<4x5xf32>}> : () -> tensor<4x5xf32>
  %t = "onnx.Transpose"(%w) <{perm = array<i64: 1, 0>}> : (tensor<4x5xf32>) -> tensor<5x4xf32> loc("transpose_node")
  func.return %t : tensor<5x4xf32>
}
// CHECK-LABEL: func.func @transpose
// CHECK-NEXT:    %t = "onnx.Constant"() <{value = dense_resource<transpose_node> : tensor<5x4xf32>}> : () -> tensor<5x4xf32>
// CHECK-NEXT:    func.return %t : tensor<5x4xf32>

// -----

// Multiple results: a Split of a constant folds to one constant per result.
// Must not fire: the Gather's indices are out of range, so the evaluator fails and
// the op is left as it is (an evaluation error never fails the pass).
func.func @split_and_bad_gather() -> (tensor<2xi64>, tensor<3xi64>, tensor<2xf32>) {
  %x = "onnx.Constant"() <{value = dense<[1, 2, 3, 4, 5]> : tensor<5xi64>}> : () -> tensor<5xi64>
  %sizes = "onnx.Constant"() <{value = dense<[2, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %p, %q = "onnx.Split"(%x, %sizes) <{axis = 0 : i64}> : (tensor<5xi64>, tensor<2xi64>) -> (tensor<2xi64>, tensor<3xi64>)
  %d = "onnx.Constant"() <{value = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %i = "onnx.Constant"() <{value = dense<[0, 7]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %g = "onnx.Gather"(%d, %i) <{axis = 0 : i64}> : (tensor<3xf32>, tensor<2xi64>) -> tensor<2xf32>
  func.return %p, %q, %g : tensor<2xi64>, tensor<3xi64>, tensor<2xf32>
}
// CHECK-LABEL: func.func @split_and_bad_gather
// CHECK-NEXT:    %p = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
// CHECK-NEXT:    %q = "onnx.Constant"() <{value = dense<[3, 4, 5]> : tensor<3xi64>}> : () -> tensor<3xi64>
// CHECK-NEXT:    %d = "onnx.Constant"()
// CHECK-NEXT:    %i = "onnx.Constant"()
// CHECK-NEXT:    %g = "onnx.Gather"(%d, %i) <{axis = 0 : i64}> : (tensor<3xf32>, tensor<2xi64>) -> tensor<2xf32>
// CHECK-NEXT:    func.return %p, %q, %g

// -----

// A fill above max-elements folds when it is only a weight (MatMul's B, here through a
// Reshape): it is in memory at run time anyway, and folding moves the fill from every
// inference to compile time. The same fill feeding an Add stays an op.
func.func @weight_fill(%x: tensor<2x300xf32>, %x2: tensor<300x300xf32>) -> (tensor<2x300xf32>, tensor<300x300xf32>) {
  %s = "onnx.Constant"() <{value = dense<[90000]> : tensor<1xi64>}> : () -> tensor<1xi64>
  %k = "onnx.Constant"() <{value = dense<[300, 300]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %f = "onnx.ConstantOfShape"(%s) <{value = dense<5.000000e-01> : tensor<1xf32>}> : (tensor<1xi64>) -> tensor<90000xf32>
  %w = "onnx.Reshape"(%f, %k) : (tensor<90000xf32>, tensor<2xi64>) -> tensor<300x300xf32>
  %y = "onnx.MatMul"(%x, %w) : (tensor<2x300xf32>, tensor<300x300xf32>) -> tensor<2x300xf32>
  %g = "onnx.ConstantOfShape"(%k) <{value = dense<5.000000e-01> : tensor<1xf32>}> : (tensor<2xi64>) -> tensor<300x300xf32>
  %b = "onnx.Add"(%x2, %g) : (tensor<300x300xf32>, tensor<300x300xf32>) -> tensor<300x300xf32>
  func.return %y, %b : tensor<2x300xf32>, tensor<300x300xf32>
}
// CHECK-LABEL: func.func @weight_fill
// CHECK:         %w = "onnx.Constant"() <{value = dense_resource<{{.*}}>}> : () -> tensor<300x300xf32>
// CHECK-NOT:     "onnx.Reshape"
// CHECK:         %y = "onnx.MatMul"(%x, %w)
// CHECK-NEXT:    %g = "onnx.ConstantOfShape"(%k)
// CHECK-NEXT:    %b = "onnx.Add"(%x2, %g)
