// convert-onnx-to-loops on elementwise ops: one private kernel per op over memrefs
// (operand buffers, then result buffers), a loop nest over the result shape with
// static bounds (every dim but the innermost in one scf.parallel, whose iterations may
// run on different threads; the innermost a serial scf.for), broadcast operands indexed with a constant 0 on their size-1 dims
// (and without the missing leading dims), scalars loaded with no index.
//
// Comparisons store i1 (cmpf ordered predicates for floats, cmpi for integers), Where
// is an arith.select on the loaded condition, Not an xori with true, and Cast picks the
// conversion from the graph-level types: fptosi / sitofp, uitofp for bool and unsigned
// sources, fptoui for unsigned results, cmpf une 0 for float -> bool.
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

func.func @main(%x: tensor<2x3xf32>, %b: tensor<1x3xf32>) -> tensor<2x3xf32> attributes {strata.input_names = ["x", "b"], strata.output_names = ["y"]} {
  %y = "onnx.Mul"(%x, %b) : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  func.return %y : tensor<2x3xf32>
}
// CHECK-LABEL: func.func private @k0_Mul(%x: memref<2x3xf32>, %b: memref<1x3xf32>, %y: memref<2x3xf32>)
// CHECK-SAME:      strata.onnx_op = "Mul"
// CHECK-NEXT:    [[LO0:%.*]] = arith.constant 0 : index
// CHECK-NEXT:    [[HI0:%.*]] = arith.constant 2 : index
// CHECK-NEXT:    [[ST0:%.*]] = arith.constant 1 : index
// CHECK-NEXT:    "scf.parallel"([[LO0]], [[HI0]], [[ST0]])
// CHECK-NEXT:    ^bb0([[I:%.*]]: index):
// CHECK-NEXT:      [[LO1:%.*]] = arith.constant 0 : index
// CHECK-NEXT:      [[HI1:%.*]] = arith.constant 3 : index
// CHECK-NEXT:      [[ST1:%.*]] = arith.constant 1 : index
// CHECK-NEXT:      scf.for [[J:%.*]] = [[LO1]] to [[HI1]] step [[ST1]] {
// CHECK-NEXT:        [[A:%.*]] = memref.load %x[[[I]], [[J]]] : memref<2x3xf32>
// CHECK-NEXT:        [[ZERO:%.*]] = arith.constant 0 : index
// CHECK-NEXT:        [[B:%.*]] = memref.load %b[[[ZERO]], [[J]]] : memref<1x3xf32>
// CHECK-NEXT:        [[R:%.*]] = arith.mulf [[A]], [[B]] : f32
// CHECK-NEXT:        memref.store [[R]], %y[[[I]], [[J]]] : memref<2x3xf32>
// CHECK-NEXT:      }
// CHECK-NEXT:      scf.reduce
// CHECK-NEXT:    })
// CHECK-NEXT:    func.return

// -----

// Lower-rank and scalar operands: [3] is indexed by the last loop only, a rank-0
// tensor is loaded with no index.
func.func @main(%x: tensor<2x3xf32>, %v: tensor<3xf32>, %s: tensor<f32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %add = "onnx.Add"(%x, %v) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %sub = "onnx.Sub"(%x, %s) : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  func.return %add, %sub : tensor<2x3xf32>, tensor<2x3xf32>
}
// CHECK-LABEL: func.func private @k0_Add(%x: memref<2x3xf32>, %v: memref<3xf32>, %add: memref<2x3xf32>)
// CHECK:           ^bb0([[I:%.*]]: index):
// CHECK:             scf.for [[J:%.*]] = {{.*}} {
// CHECK-NEXT:          [[A:%.*]] = memref.load %x[[[I]], [[J]]] : memref<2x3xf32>
// CHECK-NEXT:          [[B:%.*]] = memref.load %v[[[J]]] : memref<3xf32>
// CHECK-NEXT:          [[R:%.*]] = arith.addf [[A]], [[B]] : f32
// CHECK-NEXT:          memref.store [[R]], %add[[[I]], [[J]]]
// CHECK-LABEL: func.func private @k1_Sub(%x: memref<2x3xf32>, %s: memref<f32>, %sub: memref<2x3xf32>)
// CHECK:           "scf.parallel"
// CHECK:             scf.for [[J:%.*]] = {{.*}} {
// CHECK-NEXT:          [[A:%.*]] = memref.load %x[{{.*}}, [[J]]] : memref<2x3xf32>
// CHECK-NEXT:          [[B:%.*]] = memref.load %s[] : memref<f32>
// CHECK-NEXT:          arith.subf [[A]], [[B]] : f32

// -----

// Integer Div: the divisor is made safe (0 and -1 become 1, x / -1 is computed as
// 0 - x), so the machine code never traps; the column vector [2, 1] is broadcast with
// a constant 0 on its second dim.
func.func @main(%i: tensor<2x3xi32>, %j: tensor<2x1xi32>) -> tensor<2x3xi32> {
  %q = "onnx.Div"(%i, %j) : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
  func.return %q : tensor<2x3xi32>
}
// CHECK-LABEL: func.func private @k0_Div(%i: memref<2x3xi32>, %j: memref<2x1xi32>, %q: memref<2x3xi32>)
// CHECK:           ^bb0([[I:%.*]]: index):
// CHECK:             scf.for [[J:%.*]] = {{.*}} {
// CHECK-NEXT:          [[A:%.*]] = memref.load %i[[[I]], [[J]]] : memref<2x3xi32>
// CHECK-NEXT:          [[ZERO:%.*]] = arith.constant 0 : index
// CHECK-NEXT:          [[B:%.*]] = memref.load %j[[[I]], [[ZERO]]] : memref<2x1xi32>
// CHECK:               [[IS0:%.*]] = arith.cmpi eq, [[B]], %{{.*}} : i32
// CHECK:               [[ISM1:%.*]] = arith.cmpi eq, [[B]], %{{.*}} : i32
// CHECK-NEXT:          [[BAD:%.*]] = arith.ori [[IS0]], [[ISM1]] : i1
// CHECK-NEXT:          [[SAFE:%.*]] = arith.select [[BAD]], %{{.*}}, [[B]] : i32
// CHECK-NEXT:          [[QUOT:%.*]] = arith.divsi [[A]], [[SAFE]] : i32
// CHECK:               [[NEG:%.*]] = arith.subi %{{.*}}, [[A]] : i32
// CHECK-NEXT:          [[RES:%.*]] = arith.select %{{.*}}, [[NEG]], [[QUOT]] : i32
// CHECK-NEXT:          memref.store [[RES]], %q[[[I]], [[J]]] : memref<2x3xi32>

// -----

// Unary math and activations: Relu is a max with 0, f32 Sigmoid is 1 / (1 + exp(-x))
// with an `afn` exp (math-polynomial-approximation gives it ends that make the formula
// overflow-safe), Erf/Tanh/Exp/Log/Sqrt/Abs/Pow map to the math dialect.
func.func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %relu = "onnx.Relu"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %sigmoid = "onnx.Sigmoid"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %erf = "onnx.Erf"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %tanh = "onnx.Tanh"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %exp = "onnx.Exp"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %log = "onnx.Log"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %sqrt = "onnx.Sqrt"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %neg = "onnx.Neg"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %abs = "onnx.Abs"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %pow = "onnx.Pow"(%x, %x) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return %relu, %sigmoid, %erf, %tanh, %exp, %log, %sqrt, %neg, %abs, %pow : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func private @k0_Relu(%x: memref<4xf32>, %relu: memref<4xf32>)
// CHECK:           [[V:%.*]] = memref.load %x[[[I:%.*]]] : memref<4xf32>
// CHECK-NEXT:      [[Z:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      [[R:%.*]] = arith.maximumf [[V]], [[Z]] : f32
// CHECK-NEXT:      memref.store [[R]], %relu[[[I]]] : memref<4xf32>
// CHECK-LABEL: func.func private @k1_Sigmoid(
// CHECK:           [[V:%.*]] = memref.load %x
// CHECK:           [[NEG:%.*]] = arith.negf [[V]] : f32
// CHECK-NEXT:      [[E:%.*]] = math.exp [[NEG]] fastmath<afn> : f32
// CHECK-NEXT:      [[D:%.*]] = arith.addf {{%.*}}, [[E]] : f32
// CHECK-NEXT:      arith.divf {{%.*}}, [[D]] : f32
// CHECK-LABEL: func.func private @k2_Erf(
// CHECK:           math.erf %{{.*}} : f32
// CHECK-LABEL: func.func private @k3_Tanh(
// CHECK:           math.tanh %{{.*}} : f32
// CHECK-LABEL: func.func private @k4_Exp(
// CHECK:           math.exp %{{.*}} : f32
// CHECK-LABEL: func.func private @k5_Log(
// CHECK:           math.log %{{.*}} : f32
// CHECK-LABEL: func.func private @k6_Sqrt(
// CHECK:           math.sqrt %{{.*}} : f32
// CHECK-LABEL: func.func private @k7_Neg(
// CHECK:           arith.negf %{{.*}} : f32
// CHECK-LABEL: func.func private @k8_Abs(
// CHECK:           math.absf %{{.*}} : f32
// CHECK-LABEL: func.func private @k9_Pow(
// CHECK:           math.powf %{{.*}}, %{{.*}} : f32

// -----

// LeakyRelu selects alpha * x below 0; Clip with only a min bound is one maximumf with
// the bound loaded once before the loop; variadic Max folds its (broadcast) inputs.
func.func @main(%x: tensor<4xf32>, %lo: tensor<f32>, %y: tensor<1xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %leaky = "onnx.LeakyRelu"(%x) <{alpha = 0.2 : f32}> : (tensor<4xf32>) -> tensor<4xf32>
  %clip = "onnx.Clip"(%x, %lo) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %max = "onnx.Max"(%x, %y, %lo) : (tensor<4xf32>, tensor<1xf32>, tensor<f32>) -> tensor<4xf32>
  func.return %leaky, %clip, %max : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
// CHECK-LABEL: func.func private @k0_LeakyRelu(%x: memref<4xf32>, %leaky: memref<4xf32>)
// CHECK:           [[V:%.*]] = memref.load %x
// CHECK-NEXT:      [[Z:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      [[NEG:%.*]] = arith.cmpf olt, [[V]], [[Z]] : f32
// CHECK-NEXT:      [[ALPHA:%.*]] = arith.constant 2.000000e-01 : f32
// CHECK-NEXT:      [[SCALED:%.*]] = arith.mulf [[V]], [[ALPHA]] : f32
// CHECK-NEXT:      arith.select [[NEG]], [[SCALED]], [[V]] : f32
// CHECK-LABEL: func.func private @k1_Clip(%x: memref<4xf32>, %lo: memref<f32>, %clip: memref<4xf32>)
// CHECK-NEXT:      [[LO:%.*]] = memref.load %lo[] : memref<f32>
// CHECK:           scf.for
// CHECK-NEXT:        [[V:%.*]] = memref.load %x
// CHECK-NEXT:        [[R:%.*]] = arith.maximumf [[V]], [[LO]] : f32
// CHECK-NEXT:        memref.store [[R]], %clip
// CHECK-LABEL: func.func private @k2_Max(%x: memref<4xf32>, %y: memref<1xf32>, %lo: memref<f32>, %max: memref<4xf32>)
// CHECK:             [[A:%.*]] = memref.load %x[[[I:%.*]]] : memref<4xf32>
// CHECK-NEXT:        [[ZERO:%.*]] = arith.constant 0 : index
// CHECK-NEXT:        [[B:%.*]] = memref.load %y[[[ZERO]]] : memref<1xf32>
// CHECK-NEXT:        [[C:%.*]] = memref.load %lo[] : memref<f32>
// CHECK-NEXT:        [[AB:%.*]] = arith.maximumf [[A]], [[B]] : f32
// CHECK-NEXT:        [[ABC:%.*]] = arith.maximumf [[AB]], [[C]] : f32
// CHECK-NEXT:        memref.store [[ABC]], %max[[[I]]] : memref<4xf32>

// -----

func.func @main(%x: tensor<2x3xf32>, %y: tensor<3xf32>, %i: tensor<2x3xi64>, %j: tensor<2x3xi64>) -> (tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>) {
  %lt = "onnx.Less"(%x, %y) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %sel = "onnx.Where"(%lt, %x, %y) : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %not = "onnx.Not"(%lt) : (tensor<2x3xi1>) -> tensor<2x3xi1>
  %eq = "onnx.Equal"(%i, %j) : (tensor<2x3xi64>, tensor<2x3xi64>) -> tensor<2x3xi1>
  %gt = "onnx.Greater"(%x, %y) : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  func.return %lt, %sel, %not, %eq, %gt : tensor<2x3xi1>, tensor<2x3xf32>, tensor<2x3xi1>, tensor<2x3xi1>, tensor<2x3xi1>
}
// CHECK-LABEL: func.func private @k0_Less(%x: memref<2x3xf32>, %y: memref<3xf32>, %lt: memref<2x3xi1>)
// CHECK:             [[A:%.*]] = memref.load %x[[[I:%.*]], [[J:%.*]]] : memref<2x3xf32>
// CHECK-NEXT:        [[B:%.*]] = memref.load %y[[[J]]] : memref<3xf32>
// CHECK-NEXT:        [[C:%.*]] = arith.cmpf olt, [[A]], [[B]] : f32
// CHECK-NEXT:        memref.store [[C]], %lt[[[I]], [[J]]] : memref<2x3xi1>
// CHECK-LABEL: func.func private @k1_Where(%lt: memref<2x3xi1>, %x: memref<2x3xf32>, %y: memref<3xf32>, %sel: memref<2x3xf32>)
// CHECK:             [[C:%.*]] = memref.load %lt[[[I:%.*]], [[J:%.*]]] : memref<2x3xi1>
// CHECK-NEXT:        [[A:%.*]] = memref.load %x[[[I]], [[J]]] : memref<2x3xf32>
// CHECK-NEXT:        [[B:%.*]] = memref.load %y[[[J]]] : memref<3xf32>
// CHECK-NEXT:        [[R:%.*]] = arith.select [[C]], [[A]], [[B]] : f32
// CHECK-NEXT:        memref.store [[R]], %sel[[[I]], [[J]]] : memref<2x3xf32>
// CHECK-LABEL: func.func private @k2_Not(%lt: memref<2x3xi1>, %not: memref<2x3xi1>)
// CHECK:             [[A:%.*]] = memref.load %lt
// CHECK-NEXT:        [[T:%.*]] = arith.constant true
// CHECK-NEXT:        [[R:%.*]] = arith.xori [[A]], [[T]] : i1
// CHECK-NEXT:        memref.store [[R]], %not
// CHECK-LABEL: func.func private @k3_Equal(%i: memref<2x3xi64>, %j: memref<2x3xi64>, %eq: memref<2x3xi1>)
// CHECK:             arith.cmpi eq, {{%.*}}, {{%.*}} : i64
// CHECK-LABEL: func.func private @k4_Greater(
// CHECK:             arith.cmpf ogt, {{%.*}}, {{%.*}} : f32

// -----

func.func @main(%x: tensor<3xf32>, %i: tensor<3xi64>, %b: tensor<3xi1>, %u: tensor<3xui8>) -> (tensor<3xi32>, tensor<3xf32>, tensor<3xi1>, tensor<3xf32>, tensor<3xf32>, tensor<3xui8>, tensor<3xf64>) {
  %f2i = "onnx.Cast"(%x) <{to = 6 : i64}> : (tensor<3xf32>) -> tensor<3xi32>
  %i2f = "onnx.Cast"(%i) <{to = 1 : i64}> : (tensor<3xi64>) -> tensor<3xf32>
  %f2b = "onnx.Cast"(%x) <{to = 9 : i64}> : (tensor<3xf32>) -> tensor<3xi1>
  %b2f = "onnx.Cast"(%b) <{to = 1 : i64}> : (tensor<3xi1>) -> tensor<3xf32>
  %u2f = "onnx.Cast"(%u) <{to = 1 : i64}> : (tensor<3xui8>) -> tensor<3xf32>
  %f2u = "onnx.Cast"(%x) <{to = 2 : i64}> : (tensor<3xf32>) -> tensor<3xui8>
  %f2d = "onnx.Cast"(%x) <{to = 11 : i64}> : (tensor<3xf32>) -> tensor<3xf64>
  func.return %f2i, %i2f, %f2b, %b2f, %u2f, %f2u, %f2d : tensor<3xi32>, tensor<3xf32>, tensor<3xi1>, tensor<3xf32>, tensor<3xf32>, tensor<3xui8>, tensor<3xf64>
}
// CHECK-LABEL: func.func private @k0_Cast(%x: memref<3xf32>, %f2i: memref<3xi32>)
// CHECK:           [[V:%.*]] = memref.load %x
// CHECK-NEXT:      [[R:%.*]] = arith.fptosi [[V]] : f32 to i32
// CHECK-NEXT:      memref.store [[R]], %f2i
// CHECK-LABEL: func.func private @k1_Cast(%i: memref<3xi64>, %i2f: memref<3xf32>)
// CHECK:           arith.sitofp {{%.*}} : i64 to f32
// CHECK-LABEL: func.func private @k2_Cast(%x: memref<3xf32>, %f2b: memref<3xi1>)
// CHECK:           [[V:%.*]] = memref.load %x
// CHECK-NEXT:      [[Z:%.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      [[R:%.*]] = arith.cmpf une, [[V]], [[Z]] : f32
// CHECK-NEXT:      memref.store [[R]], %f2b
// CHECK-LABEL: func.func private @k3_Cast(%b: memref<3xi1>, %b2f: memref<3xf32>)
// CHECK:           arith.uitofp {{%.*}} : i1 to f32
// Unsigned element types become signless at the buffer level (ui8 -> i8).
// CHECK-LABEL: func.func private @k4_Cast(%u: memref<3xi8>, %u2f: memref<3xf32>)
// CHECK:           arith.uitofp {{%.*}} : i8 to f32
// CHECK-LABEL: func.func private @k5_Cast(%x: memref<3xf32>, %f2u: memref<3xi8>)
// CHECK:           arith.fptoui {{%.*}} : f32 to i8
// CHECK-LABEL: func.func private @k6_Cast(%x: memref<3xf32>, %f2d: memref<3xf64>)
// CHECK:           arith.extf {{%.*}} : f32 to f64
