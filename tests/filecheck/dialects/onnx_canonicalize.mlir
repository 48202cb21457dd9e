// xDSL's canonicalize on onnx ops: every onnx op has the OnnxCanonicalization trait,
// which hands canonicalize the op's patterns (dialects/onnx/canonicalization.py): the
// exact local identities that onnx-simplify-algebra also runs. The cases below show
// them firing under canonicalize alone; the last two show what must not fire there.
// RUN: opt-tool %s -p canonicalize --split-input-file | filecheck %s
// The not-exact identities are onnx-simplify-algebra's alone:
// RUN: opt-tool %s -p onnx-simplify-algebra --split-input-file | filecheck %s --check-prefix=ALGEBRA

// Constants hoisted to the right of commutative ops; Sub is not commutative.
func.func @hoist(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>, %b: tensor<2x3xi1>) -> (tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %c = "onnx.Constant"() <{value = dense<[1.5, 2.5, 3.5]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %t = "onnx.Constant"() <{value = dense<true> : tensor<1xi1>}> : () -> tensor<1xi1>
  %add = "onnx.Add"(%c, %x) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %or = "onnx.Or"(%t, %b) : (tensor<1xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %min = "onnx.Min"(%c, %x, %y) : (tensor<3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %sub = "onnx.Sub"(%c, %x) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %add, %or, %min, %sub : tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xf32>
}
// CHECK-LABEL: func.func @hoist
// CHECK:         %add = "onnx.Add"(%x, %c) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    %or = "onnx.Or"(%b, %t) : (tensor<2x3xi1>, tensor<1xi1>) -> tensor<2x3xi1>
// CHECK-NEXT:    %min = "onnx.Min"(%x, %y, %c) : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    %sub = "onnx.Sub"(%c, %x) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>

// -----

// Identity elements fold to the input, and the chain composes: 0 + x is hoisted and
// folded, then * 1, - 0, / 1, Pow 1, and Neg(Neg) leave the graph input itself.
func.func @identities(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %z = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %onei = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64>
  %a = "onnx.Add"(%z, %x) : (tensor<f32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %m = "onnx.Mul"(%one, %a) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %s = "onnx.Sub"(%m, %z) : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %d = "onnx.Div"(%s, %one) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %p = "onnx.Pow"(%d, %onei) : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  %n1 = "onnx.Neg"(%p) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %n2 = "onnx.Neg"(%n1) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %n2 : tensor<2x3xf32>
}
// CHECK-LABEL: func.func @identities
// CHECK-NEXT:    func.return %x : tensor<2x3xf32>

// -----

// Integer zeros (x * 0, Sub(x, x)) become constants of the result type;
// Pow(x, 2) -> Mul(x, x); Relu(Relu) and Abs(Abs) keep one op.
func.func @rewrites(%i: tensor<2x3xi32>, %j: tensor<5xi64>, %x: tensor<4xf32>) -> (tensor<2x3xi32>, tensor<5xi64>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %z = "onnx.Constant"() <{value = dense<0> : tensor<i32>}> : () -> tensor<i32>
  %two = "onnx.Constant"() <{value = dense<2.0> : tensor<f32>}> : () -> tensor<f32>
  %mz = "onnx.Mul"(%i, %z) : (tensor<2x3xi32>, tensor<i32>) -> tensor<2x3xi32>
  %ss = "onnx.Sub"(%j, %j) : (tensor<5xi64>, tensor<5xi64>) -> tensor<5xi64>
  %sq = "onnx.Pow"(%x, %two) : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %r1 = "onnx.Relu"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %r2 = "onnx.Relu"(%r1) : (tensor<4xf32>) -> tensor<4xf32>
  %a1 = "onnx.Abs"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %a2 = "onnx.Abs"(%a1) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %mz, %ss, %sq, %r2, %a2 : tensor<2x3xi32>, tensor<5xi64>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @rewrites
// CHECK-NEXT:    %mz = "onnx.Constant"() <{value = dense<0> : tensor<2x3xi32>}> : () -> tensor<2x3xi32>
// CHECK-NEXT:    %ss = "onnx.Constant"() <{value = dense<0> : tensor<5xi64>}> : () -> tensor<5xi64>
// CHECK-NEXT:    %sq = "onnx.Mul"(%x, %x) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK-NEXT:    %r1 = "onnx.Relu"(%x)
// CHECK-NEXT:    %a1 = "onnx.Abs"(%x)
// CHECK-NEXT:    func.return %mz, %ss, %sq, %r1, %a1

// -----

// Must not fire under canonicalize:
// - Div by a constant -> Mul by its reciprocal and Pow(x, 0.5) -> Sqrt(x) may change a
//   value (rounding of 1/c; pow vs sqrt at -inf and -0.0), so only onnx-simplify-algebra
//   does them (canonicalize also runs when a user disables that pass);
// - float x * 0 and x - x (NaN, inf, -0.0);
// - an identity whose constant broadcasts x (3xf32) to a bigger type (2x3xf32);
// - ops without patterns (Sigmoid(Sigmoid(x)) is no identity).
func.func @not_fired(%x: tensor<2x3xf32>, %v: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %c = "onnx.Constant"() <{value = dense<[2.0, 4.0, 8.0]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %half = "onnx.Constant"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>
  %zf = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %z23 = "onnx.Constant"() <{value = dense<0.0> : tensor<2x3xf32>}> : () -> tensor<2x3xf32>
  %div = "onnx.Div"(%x, %c) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %rt = "onnx.Pow"(%x, %half) : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %mz = "onnx.Mul"(%x, %zf) : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %ss = "onnx.Sub"(%x, %x) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %grow = "onnx.Add"(%v, %z23) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %s1 = "onnx.Sigmoid"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %s2 = "onnx.Sigmoid"(%s1) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %div, %rt, %mz, %ss, %grow, %s2 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}
// CHECK-LABEL: func.func @not_fired
// CHECK:         %div = "onnx.Div"(%x, %c)
// CHECK-NEXT:    %rt = "onnx.Pow"(%x, %half)
// CHECK-NEXT:    %mz = "onnx.Mul"(%x, %zf)
// CHECK-NEXT:    %ss = "onnx.Sub"(%x, %x)
// CHECK-NEXT:    %grow = "onnx.Add"(%v, %z23)
// CHECK-NEXT:    %s1 = "onnx.Sigmoid"(%x)
// CHECK-NEXT:    %s2 = "onnx.Sigmoid"(%s1)
// CHECK-NEXT:    func.return %div, %rt, %mz, %ss, %grow, %s2
// ALGEBRA-LABEL: func.func @not_fired
// ALGEBRA:         %div = "onnx.Mul"(%x, %c_reciprocal)
// ALGEBRA-NEXT:    %rt = "onnx.Sqrt"(%x)
// ALGEBRA-NEXT:    %mz = "onnx.Mul"(%x, %zf)
// ALGEBRA-NEXT:    %ss = "onnx.Sub"(%x, %x)

// -----

// Must not fire under canonicalize: xDSL hands its patterns no context, so they have no
// weight table: a dense_resource constant is not known to be zero, and integer zeros of
// more than 16 elements cannot be made inline. onnx-simplify-algebra runs the same
// patterns with the compile's weight table and makes the 5x5 zeros (the dense_resource
// here has no data in that table either: the IR was read without its weights).
func.func @no_weight_table(%x: tensor<2x3xf32>, %i: tensor<5x5xi32>) -> (tensor<2x3xf32>, tensor<5x5xi32>) {
  %w = "onnx.Constant"() <{value = dense_resource<w> : tensor<2x3xf32>}> : () -> tensor<2x3xf32>
  %z = "onnx.Constant"() <{value = dense<0> : tensor<i32>}> : () -> tensor<i32>
  %e = "onnx.Add"(%w, %x) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %big = "onnx.Mul"(%i, %z) : (tensor<5x5xi32>, tensor<i32>) -> tensor<5x5xi32>
  func.return %e, %big : tensor<2x3xf32>, tensor<5x5xi32>
}
// CHECK-LABEL: func.func @no_weight_table
// CHECK:         %e = "onnx.Add"(%x, %w)
// CHECK-NEXT:    %big = "onnx.Mul"(%i, %z)
// CHECK-NEXT:    func.return %e, %big
// ALGEBRA-LABEL: func.func @no_weight_table
// ALGEBRA:         %e = "onnx.Add"(%x, %w)
// ALGEBRA-NEXT:    %big = "onnx.Constant"() <{value = dense_resource<{{.*}}> : tensor<5x5xi32>}>
// ALGEBRA-NEXT:    func.return %e, %big
