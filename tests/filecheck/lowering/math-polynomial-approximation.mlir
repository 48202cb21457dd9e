// math-polynomial-approximation: f32 math.exp, math.tanh and math.erf become arith and
// math ops LLVM vectorizes (no libm call): exp as round(x log2 e), a two-part ln 2
// reduction, a degree-5 polynomial by FMAs and 2^n built in the exponent bits (as two
// factors), with selects for overflow, underflow and NaN; tanh and erf as clamped
// rational functions x P(x^2) / Q(x^2). f64 keeps its math ops (libm).
// RUN: opt-tool %s --split-input-file -p math-polynomial-approximation | filecheck %s

func.func @k(%x: f32, %d: f64) -> (f32, f32, f32, f64) {
  %e = math.exp %x : f32
  %t = math.tanh %x : f32
  %r = math.erf %x : f32
  %e64 = math.exp %d : f64
  func.return %e, %t, %r, %e64 : f32, f32, f32, f64
}
// CHECK-LABEL: func.func @k(%x: f32, %d: f64)
// CHECK-NOT:     math.exp %x
// exp: clamp, n = roundeven(x * log2 e), r = x - n * ln 2 in two FMAs.
// CHECK:         [[LOG2E:%.*]] = arith.constant 1.44269502{{.*}} : f32
// CHECK-NEXT:    [[XL:%.*]] = arith.mulf {{%.*}}, [[LOG2E]] : f32
// CHECK-NEXT:    [[N:%.*]] = math.roundeven [[XL]] : f32
// CHECK-NEXT:    [[C1:%.*]] = arith.constant -0.693359375 : f32
// CHECK-NEXT:    [[R1:%.*]] = math.fma [[N]], [[C1]], {{%.*}} : f32
// CHECK-COUNT-6: math.fma
// 2^n as two exponent-field factors.
// CHECK:         [[NI:%.*]] = arith.fptosi [[N]] : f32 to i32
// CHECK:         arith.shrsi [[NI]]
// CHECK:         arith.shli
// CHECK:         arith.bitcast {{%.*}} : i32 to f32
// CHECK:         arith.shli
// CHECK:         arith.bitcast {{%.*}} : i32 to f32
// Overflow to +inf, underflow to 0, NaN passes.
// CHECK:         arith.constant 0x7f800000 : f32
// CHECK:         arith.cmpf uno, %x, %x : f32
// tanh: clamp to 7.9, odd numerator over even denominator, x itself when tiny.
// CHECK:         arith.constant 7.90531
// CHECK:         arith.divf
// CHECK:         math.absf %x : f32
// erf: clamp to 4.
// CHECK:         arith.constant 4.000000e+00 : f32
// CHECK:         arith.divf
// f64 is left alone.
// CHECK:         math.exp %d : f64
// CHECK-NOT:     math.tanh
// CHECK-NOT:     math.erf

// -----

// An exp with the `afn` flag (Swish's and Sigmoid's) takes exp_f32_for_swish: clamped
// to [-87.34, 88], n and its integer from one FMA with 1.5 * 2^23 (no roundeven, no
// fptosi), one 2^n factor, +inf above 88, and no NaN select.
func.func @afn(%x: f32) -> f32 {
  %e = math.exp %x fastmath<afn> : f32
  func.return %e : f32
}
// CHECK-LABEL: func.func @afn(%x: f32)
// CHECK-NOT:     math.exp
// CHECK:         [[HI:%.*]] = arith.constant 8.800000e+01 : f32
// CHECK:         [[LOG2E:%.*]] = arith.constant 1.44269502{{.*}} : f32
// CHECK-NEXT:    [[MAGIC:%.*]] = arith.constant 0x4B400000 : f32
// CHECK-NEXT:    [[T:%.*]] = math.fma {{%.*}}, [[LOG2E]], [[MAGIC]] : f32
// CHECK-NOT:     math.roundeven
// CHECK-NOT:     arith.fptosi
// CHECK:         arith.bitcast [[T]] : f32 to i32
// CHECK:         arith.shli
// CHECK:         arith.bitcast {{%.*}} : i32 to f32
// CHECK-NOT:     arith.shli
// CHECK:         arith.cmpf ogt, %x, {{%.*}} : f32
// CHECK-NOT:     arith.cmpf uno
// CHECK:         func.return
