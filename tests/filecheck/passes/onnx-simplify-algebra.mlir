// onnx-simplify-algebra: algebraic identities on onnx ops. Each case shows one
// pattern firing and, where it matters, the cases where it must not fire (in the same
// function, with the reason). Types of replaced values never change; ops left without
// uses (the identity constants, the inner op of a folded chain) are removed.
// RUN: opt-tool %s -p onnx-simplify-algebra --split-input-file | filecheck %s

// Constants are hoisted to the right of commutative ops (Max/Min: every constant
// after the other operands, in order). Sub is not commutative: it is left alone.
func.func @hoist(%x: tensor<2x3xf32>, %y: tensor<2x3xf32>, %b: tensor<2x3xi1>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %c = "onnx.Constant"() <{value = dense<[1.5, 2.5, 3.5]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %t = "onnx.Constant"() <{value = dense<true> : tensor<1xi1>}> : () -> tensor<1xi1>
  %add = "onnx.Add"(%c, %x) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %mul = "onnx.Mul"(%c, %x) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %eq = "onnx.Equal"(%c, %x) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  %and = "onnx.And"(%t, %b) : (tensor<1xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %max = "onnx.Max"(%c, %x, %c, %y) : (tensor<3xf32>, tensor<2x3xf32>, tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %sub = "onnx.Sub"(%c, %x) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %add, %mul, %eq, %and, %max, %sub : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xf32>
}
// CHECK-LABEL: func.func @hoist
// CHECK:         %add = "onnx.Add"(%x, %c) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    %mul = "onnx.Mul"(%x, %c) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    %eq = "onnx.Equal"(%x, %c) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
// CHECK-NEXT:    %and = "onnx.And"(%b, %t) : (tensor<2x3xi1>, tensor<1xi1>) -> tensor<2x3xi1>
// CHECK-NEXT:    %max = "onnx.Max"(%x, %y, %c, %c) : (tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    %sub = "onnx.Sub"(%c, %x) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>

// -----

// x + 0 and 0 + x -> x (floats and integers), even through a broadcast zero that
// keeps x's type.
// Must not fire: zeros of shape 2x3 broadcast x (3xf32) to 2x3xf32, so the result
// is not x's type.
func.func @add_zero(%x: tensor<2x3xf32>, %i: tensor<4xi32>, %v: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<4xi32>, tensor<2x3xf32>) {
  %z = "onnx.Constant"() <{value = dense<0.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %zi = "onnx.Constant"() <{value = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %z23 = "onnx.Constant"() <{value = dense<0.0> : tensor<2x3xf32>}> : () -> tensor<2x3xf32>
  %a = "onnx.Add"(%x, %z) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %b = "onnx.Add"(%zi, %i) : (tensor<1xi32>, tensor<4xi32>) -> tensor<4xi32>
  %grow = "onnx.Add"(%v, %z23) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %a, %b, %grow : tensor<2x3xf32>, tensor<4xi32>, tensor<2x3xf32>
}
// CHECK-LABEL: func.func @add_zero
// CHECK-NEXT:    %z23 = "onnx.Constant"() <{value = dense<0.000000e+00> : tensor<2x3xf32>}>
// CHECK-NEXT:    %grow = "onnx.Add"(%v, %z23) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    func.return %x, %i, %grow : tensor<2x3xf32>, tensor<4xi32>, tensor<2x3xf32>

// -----

// x - 0 -> x.
// Must not fire: 0 - x is -x, not x; and x - 1 is no identity.
func.func @sub_zero(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %z = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<f32>}> : () -> tensor<f32>
  %a = "onnx.Sub"(%x, %z) : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %neg = "onnx.Sub"(%z, %x) : (tensor<f32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %dec = "onnx.Sub"(%x, %one) : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  func.return %a, %neg, %dec : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}
// CHECK-LABEL: func.func @sub_zero
// CHECK:         %neg = "onnx.Sub"(%z, %x)
// CHECK-NEXT:    %dec = "onnx.Sub"(%x, %one)
// CHECK-NEXT:    func.return %x, %neg, %dec

// -----

// x * 1, 1 * x and x / 1 -> x.
// Must not fire: 1 / x is a reciprocal, not x; x * 1 where the ones (2x3) broadcast
// x (3xi64) to a bigger shape.
func.func @mul_div_one(%x: tensor<2x3xf32>, %i: tensor<3xi64>) -> (tensor<2x3xf32>, tensor<3xi64>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xi64>) {
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<2x3xf32>}> : () -> tensor<2x3xf32>
  %onei = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64>
  %ones23 = "onnx.Constant"() <{value = dense<1> : tensor<2x3xi64>}> : () -> tensor<2x3xi64>
  %a = "onnx.Mul"(%x, %one) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %b = "onnx.Mul"(%onei, %i) : (tensor<i64>, tensor<3xi64>) -> tensor<3xi64>
  %c = "onnx.Div"(%x, %one) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %recip = "onnx.Div"(%one, %x) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %grow = "onnx.Mul"(%i, %ones23) : (tensor<3xi64>, tensor<2x3xi64>) -> tensor<2x3xi64>
  func.return %a, %b, %c, %recip, %grow : tensor<2x3xf32>, tensor<3xi64>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xi64>
}
// CHECK-LABEL: func.func @mul_div_one
// CHECK-NOT:     onnx.Constant{{.*}}tensor<i64>
// CHECK:         %recip = "onnx.Div"(%one, %x)
// CHECK-NEXT:    %grow = "onnx.Mul"(%i, %ones23)
// CHECK-NEXT:    func.return %x, %i, %x, %recip, %grow

// -----

// Integer x * 0 and 0 * x -> zeros of the result type (which may be the broadcast
// shape), unsigned too.
// Must not fire for floats: NaN * 0 and inf * 0 are NaN and -1 * 0 is -0.0.
func.func @mul_zero(%i: tensor<2x3xi32>, %u: tensor<4xui8>, %x: tensor<2x3xf32>) -> (tensor<2x3xi32>, tensor<4xui8>, tensor<2x3xf32>) {
  %z = "onnx.Constant"() <{value = dense<0> : tensor<i32>}> : () -> tensor<i32>
  %zu = "onnx.Constant"() <{value = dense<0> : tensor<1xui8>}> : () -> tensor<1xui8>
  %zf = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %a = "onnx.Mul"(%z, %i) : (tensor<i32>, tensor<2x3xi32>) -> tensor<2x3xi32> loc("mul_a")
  %b = "onnx.Mul"(%u, %zu) : (tensor<4xui8>, tensor<1xui8>) -> tensor<4xui8>
  %f = "onnx.Mul"(%x, %zf) : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  func.return %a, %b, %f : tensor<2x3xi32>, tensor<4xui8>, tensor<2x3xf32>
}
// CHECK-LABEL: func.func @mul_zero
// CHECK-NEXT:    %zf = "onnx.Constant"() <{value = dense<0.000000e+00> : tensor<f32>}>
// CHECK-NEXT:    %a = "onnx.Constant"() <{value = dense<0> : tensor<2x3xi32>}> : () -> tensor<2x3xi32>
// CHECK-NEXT:    %b = "onnx.Constant"() <{value = dense<0> : tensor<4xui8>}> : () -> tensor<4xui8>
// CHECK-NEXT:    %f = "onnx.Mul"(%x, %zf) : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
// CHECK-NEXT:    func.return %a, %b, %f

// -----

// Integer Sub(x, x) -> zeros.
// Must not fire for floats (inf - inf and NaN - NaN are NaN), nor for two different
// values.
func.func @sub_self(%i: tensor<5xi64>, %j: tensor<5xi64>, %x: tensor<5xf32>) -> (tensor<5xi64>, tensor<5xi64>, tensor<5xf32>) {
  %a = "onnx.Sub"(%i, %i) : (tensor<5xi64>, tensor<5xi64>) -> tensor<5xi64>
  %b = "onnx.Sub"(%i, %j) : (tensor<5xi64>, tensor<5xi64>) -> tensor<5xi64>
  %f = "onnx.Sub"(%x, %x) : (tensor<5xf32>, tensor<5xf32>) -> tensor<5xf32>
  func.return %a, %b, %f : tensor<5xi64>, tensor<5xi64>, tensor<5xf32>
}
// CHECK-LABEL: func.func @sub_self
// CHECK-NEXT:    %a = "onnx.Constant"() <{value = dense<0> : tensor<5xi64>}> : () -> tensor<5xi64>
// CHECK-NEXT:    %b = "onnx.Sub"(%i, %j)
// CHECK-NEXT:    %f = "onnx.Sub"(%x, %x)
// CHECK-NEXT:    func.return %a, %b, %f

// -----

// Div(x, c) with a float constant c -> Mul(x, 1/c) (not exact: 1/c is rounded to f32).
// Must not fire: c has a zero (x / 0 is inf or NaN, 1/0 is no constant); integer
// division (truncating, not a multiply).
func.func @div_const(%x: tensor<2x3xf32>, %i: tensor<3xi32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xi32>) {
  %c = "onnx.Constant"() <{value = dense<[2.0, 4.0, 0.5]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %c0 = "onnx.Constant"() <{value = dense<[2.0, 0.0, 0.5]> : tensor<3xf32>}> : () -> tensor<3xf32>
  %ci = "onnx.Constant"() <{value = dense<3> : tensor<i32>}> : () -> tensor<i32>
  %d = "onnx.Div"(%x, %c) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32> loc("div_node")
  %d0 = "onnx.Div"(%x, %c0) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %di = "onnx.Div"(%i, %ci) : (tensor<3xi32>, tensor<i32>) -> tensor<3xi32>
  func.return %d, %d0, %di : tensor<2x3xf32>, tensor<2x3xf32>, tensor<3xi32>
}
// CHECK-LABEL: func.func @div_const
// CHECK:         %c_reciprocal = "onnx.Constant"() <{value = dense<[5.000000e-01, 2.500000e-01, 2.000000e+00]> : tensor<3xf32>}>
// CHECK-NEXT:    %d = "onnx.Mul"(%x, %c_reciprocal) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    %d0 = "onnx.Div"(%x, %c0)
// CHECK-NEXT:    %di = "onnx.Div"(%i, %ci)

// -----

// Pow(x, 2) -> Mul(x, x); Pow(x, 0.5) -> Sqrt(x); Pow(x, 1) -> x (any exponent type).
// Must not fire: Pow(x, 3) (no pattern); integer Pow(i, 2) (computed in f64 and
// converted, which differs from a wrapping multiply on overflow); an exponent of 2s
// that broadcasts x (3xf32) to 2x3xf32.
func.func @pow(%x: tensor<2x3xf32>, %i: tensor<4xi32>, %v: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<4xi32>, tensor<2x3xf32>) {
  %two = "onnx.Constant"() <{value = dense<2.0> : tensor<f32>}> : () -> tensor<f32>
  %half = "onnx.Constant"() <{value = dense<0.5> : tensor<1xf32>}> : () -> tensor<1xf32>
  %one = "onnx.Constant"() <{value = dense<1> : tensor<i64>}> : () -> tensor<i64>
  %three = "onnx.Constant"() <{value = dense<3.0> : tensor<f32>}> : () -> tensor<f32>
  %twoi = "onnx.Constant"() <{value = dense<2> : tensor<i32>}> : () -> tensor<i32>
  %two23 = "onnx.Constant"() <{value = dense<2.0> : tensor<2x3xf32>}> : () -> tensor<2x3xf32>
  %sq = "onnx.Pow"(%x, %two) : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %rt = "onnx.Pow"(%x, %half) : (tensor<2x3xf32>, tensor<1xf32>) -> tensor<2x3xf32>
  %id = "onnx.Pow"(%x, %one) : (tensor<2x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  %cube = "onnx.Pow"(%x, %three) : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  %isq = "onnx.Pow"(%i, %twoi) : (tensor<4xi32>, tensor<i32>) -> tensor<4xi32>
  %grow = "onnx.Pow"(%v, %two23) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %sq, %rt, %id, %cube, %isq, %grow : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>, tensor<4xi32>, tensor<2x3xf32>
}
// CHECK-LABEL: func.func @pow
// CHECK:         %sq = "onnx.Mul"(%x, %x) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    %rt = "onnx.Sqrt"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT:    %cube = "onnx.Pow"(%x, %three)
// CHECK-NEXT:    %isq = "onnx.Pow"(%i, %twoi)
// CHECK-NEXT:    %grow = "onnx.Pow"(%v, %two23)
// CHECK-NEXT:    func.return %sq, %rt, %x, %cube, %isq, %grow

// -----

// Neg(Neg(x)) -> x; Relu(Relu(x)) -> Relu(x); Abs(Abs(x)) -> Abs(x). A chain of
// three Negs leaves one Neg of the input.
// Must not fire: Neg(Abs(x)) and Abs(Neg(x)) mix two different ops.
func.func @unary_chains(%x: tensor<4xf32>, %i: tensor<4xi8>) -> (tensor<4xf32>, tensor<4xi8>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %n1 = "onnx.Neg"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %n2 = "onnx.Neg"(%n1) : (tensor<4xf32>) -> tensor<4xf32>
  %m1 = "onnx.Neg"(%i) : (tensor<4xi8>) -> tensor<4xi8>
  %m2 = "onnx.Neg"(%m1) : (tensor<4xi8>) -> tensor<4xi8>
  %m3 = "onnx.Neg"(%m2) : (tensor<4xi8>) -> tensor<4xi8>
  %r1 = "onnx.Relu"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %r2 = "onnx.Relu"(%r1) : (tensor<4xf32>) -> tensor<4xf32>
  %a1 = "onnx.Abs"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %a2 = "onnx.Abs"(%a1) : (tensor<4xf32>) -> tensor<4xf32>
  %na = "onnx.Neg"(%a1) : (tensor<4xf32>) -> tensor<4xf32>
  %an = "onnx.Abs"(%n1) : (tensor<4xf32>) -> tensor<4xf32>
  func.return %n2, %m3, %r2, %a2, %na, %an : tensor<4xf32>, tensor<4xi8>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func @unary_chains
// CHECK-NEXT:    %n1 = "onnx.Neg"(%x)
// CHECK-NEXT:    [[NEG:%m[0-9]]] = "onnx.Neg"(%i)
// CHECK-NEXT:    %r1 = "onnx.Relu"(%x)
// CHECK-NEXT:    %a1 = "onnx.Abs"(%x)
// CHECK-NEXT:    %na = "onnx.Neg"(%a1)
// CHECK-NEXT:    %an = "onnx.Abs"(%n1)
// CHECK-NEXT:    func.return %x, [[NEG]], %r1, %a1, %na, %an

// -----

// Patterns compose: 0 + x is hoisted to x + 0 and folded; the chain collapses to the
// graph input, which is then returned directly (same type, so the output keeps it).
// Must not fire: a dense_resource constant whose data is not in the weight table (the
// IR was read without its weights) is not known to be zero, so x + w stays (hoisted).
func.func @compose(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %z = "onnx.Constant"() <{value = dense<0.0> : tensor<f32>}> : () -> tensor<f32>
  %one = "onnx.Constant"() <{value = dense<1.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %w = "onnx.Constant"() <{value = dense_resource<w> : tensor<2x3xf32>}> : () -> tensor<2x3xf32>
  %a = "onnx.Add"(%z, %x) : (tensor<f32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %b = "onnx.Mul"(%one, %a) : (tensor<3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %c = "onnx.Neg"(%b) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %d = "onnx.Neg"(%c) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %e = "onnx.Add"(%w, %x) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %d, %e : tensor<2x3xf32>, tensor<2x3xf32>
}
// CHECK-LABEL: func.func @compose
// CHECK-NEXT:    %w = "onnx.Constant"() <{value = dense_resource<w> : tensor<2x3xf32>}>
// CHECK-NEXT:    %e = "onnx.Add"(%x, %w)
// CHECK-NEXT:    func.return %x, %e : tensor<2x3xf32>, tensor<2x3xf32>
