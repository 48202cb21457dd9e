// Data movement ops are pure index arithmetic: Transpose loads with permuted loop
// indices, Concat / Split copy each part (one memcpy per row before the axis) at a
// constant offset, Slice maps index i to start + i * step, Gather loads the index, wraps negatives and tests
// it against [0, dim): only then is the slice behind it copied; otherwise the kernel
// records the failure in its status words (atomic exchanges; only the first failure
// stores its value) and the call raises.
//
// Shape-level ops on static shapes: onnx.Shape / Size store constants (the importer
// folds them away for ONNX models; here they are written directly), Reshape copies in
// row-major order (the source index rebuilt with divui / remui), Expand and Tile read
// the input at index 0 / index mod dim, Identity and Dropout (inference) copy,
// ConstantOfShape fills, Range computes start + i * delta from the loaded scalars.
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

func.func @main(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  %tr = "onnx.Transpose"(%x) <{perm = array<i64: 2, 0, 1>}> : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
  func.return %tr : tensor<4x2x3xf32>
}
// perm (2, 0, 1) keeps input dims 0, 1 together: both sides collapse to a 2-D
// transpose [6, 4] -> [4, 6]. The last dim moves, so the output dim that is the
// source's contiguous one (4 long, less than one 16-wide tile) is unrolled inside the
// loop over the output's last dim: each step reads 4 neighbours of one source row.
// CHECK-LABEL: func.func private @k0_Transpose(%x: memref<2x3x4xf32>, %tr: memref<4x2x3xf32>)
// CHECK-NEXT:    [[X:%.*]] = memref.collapse_shape %x {{\[}}[0 : i64, 1 : i64], [2 : i64]] : memref<2x3x4xf32> into memref<6x4xf32>
// CHECK-NEXT:    [[T:%.*]] = memref.collapse_shape %tr {{\[}}[0 : i64], [1 : i64, 2 : i64]] : memref<4x2x3xf32> into memref<4x6xf32>
// CHECK:         scf.for [[J:%.*]] = {{%.*}} to {{%.*}} step
// CHECK-NEXT:      [[C0:%.*]] = arith.constant 0 : index
// CHECK-NEXT:      [[V0:%.*]] = memref.load [[X]][[[J]], [[C0]]] : memref<6x4xf32>
// CHECK-NEXT:      [[D0:%.*]] = arith.constant 0 : index
// CHECK-NEXT:      memref.store [[V0]], [[T]][[[D0]], [[J]]] : memref<4x6xf32>
// CHECK:           [[C3:%.*]] = arith.constant 3 : index
// CHECK-NEXT:      [[V3:%.*]] = memref.load [[X]][[[J]], [[C3]]] : memref<6x4xf32>
// CHECK-NEXT:      [[D3:%.*]] = arith.constant 3 : index
// CHECK-NEXT:      memref.store [[V3]], [[T]][[[D3]], [[J]]] : memref<4x6xf32>

// -----

func.func @main(%x: tensor<2x3x4xf32>, %y: tensor<2x5x4xf32>) -> tensor<2x8x4xf32> {
  %cat = "onnx.Concat"(%x, %y) <{axis = 1 : i64}> : (tensor<2x3x4xf32>, tensor<2x5x4xf32>) -> tensor<2x8x4xf32>
  func.return %cat : tensor<2x8x4xf32>
}
// CHECK-LABEL: func.func private @k0_Concat(%x: memref<2x3x4xf32>, %y: memref<2x5x4xf32>, %cat: memref<2x8x4xf32>)
// Both sides are seen as [dims before the axis, the rest]: each part's row is one
// contiguous run of the output's row, copied as one memcpy (memref.copy of two
// subviews), the rows a parallel loop; %y's run starts after %x's 3 x 4 elements.
// CHECK-NEXT:    [[CAT:%.*]] = memref.collapse_shape %cat {{\[}}[0 : i64], [1 : i64, 2 : i64]] : memref<2x8x4xf32> into memref<2x32xf32>
// CHECK-NEXT:    [[X:%.*]] = memref.collapse_shape %x {{\[}}[0 : i64], [1 : i64, 2 : i64]] : memref<2x3x4xf32> into memref<2x12xf32>
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[I:%.*]]: index):
// CHECK-NEXT:      [[XS:%.*]] = memref.subview [[X]][[[I]], 0] [1, 12] [1, 1] : memref<2x12xf32> to memref<1x12xf32, strided<[12, 1], offset: ?>>
// CHECK-NEXT:      [[CS:%.*]] = memref.subview [[CAT]][[[I]], 0] [1, 12] [1, 1] : memref<2x32xf32> to memref<1x12xf32, strided<[32, 1], offset: ?>>
// CHECK-NEXT:      "memref.copy"([[XS]], [[CS]])
// CHECK:         [[Y:%.*]] = memref.collapse_shape %y {{\[}}[0 : i64], [1 : i64, 2 : i64]] : memref<2x5x4xf32> into memref<2x20xf32>
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[I:%.*]]: index):
// CHECK-NEXT:      [[YS:%.*]] = memref.subview [[Y]][[[I]], 0] [1, 20] [1, 1] : memref<2x20xf32> to memref<1x20xf32, strided<[20, 1], offset: ?>>
// CHECK-NEXT:      [[CS:%.*]] = memref.subview [[CAT]][[[I]], 12] [1, 20] [1, 1] : memref<2x32xf32> to memref<1x20xf32, strided<[32, 1], offset: ?>>
// CHECK-NEXT:      "memref.copy"([[YS]], [[CS]])

// -----

func.func @main(%x: tensor<2x3x4xf32>) -> (tensor<2x1x4xf32>, tensor<2x2x4xf32>) {
  %split = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %s0, %s1 = "onnx.Split"(%x, %split) <{axis = 1 : i64}> : (tensor<2x3x4xf32>, tensor<2xi64>) -> (tensor<2x1x4xf32>, tensor<2x2x4xf32>)
  func.return %s0, %s1 : tensor<2x1x4xf32>, tensor<2x2x4xf32>
}
// CHECK-LABEL: func.func private @k0_Split(%x: memref<2x3x4xf32>, %split: memref<2xi64>, %s0: memref<2x1x4xf32>, %s1: memref<2x2x4xf32>)
// CHECK-NEXT:    [[X:%.*]] = memref.collapse_shape %x {{\[}}[0 : i64], [1 : i64, 2 : i64]] : memref<2x3x4xf32> into memref<2x12xf32>
// CHECK-NEXT:    [[S0:%.*]] = memref.collapse_shape %s0 {{\[}}[0 : i64], [1 : i64, 2 : i64]] : memref<2x1x4xf32> into memref<2x4xf32>
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[I:%.*]]: index):
// CHECK-NEXT:      [[XS:%.*]] = memref.subview [[X]][[[I]], 0] [1, 4] [1, 1]
// CHECK-NEXT:      [[SS:%.*]] = memref.subview [[S0]][[[I]], 0] [1, 4] [1, 1]
// CHECK-NEXT:      "memref.copy"([[XS]], [[SS]])
// CHECK:         [[S1:%.*]] = memref.collapse_shape %s1
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[I:%.*]]: index):
// CHECK-NEXT:      [[XS:%.*]] = memref.subview [[X]][[[I]], 4] [1, 8] [1, 1]
// CHECK-NEXT:      [[SS:%.*]] = memref.subview [[S1]][[[I]], 0] [1, 8] [1, 1]
// CHECK-NEXT:      "memref.copy"([[XS]], [[SS]])

// -----

// A part longer than 4096 elements (PARALLEL_CHUNK) is copied in parallel chunks of
// that many, then its tail: [1, 32, 56, 56] is 24 chunks and 2048 elements.
func.func @main(%x: tensor<1x64x56x56xf32>, %y: tensor<1x32x56x56xf32>) -> tensor<1x96x56x56xf32> {
  %cat = "onnx.Concat"(%x, %y) <{axis = 1 : i64}> : (tensor<1x64x56x56xf32>, tensor<1x32x56x56xf32>) -> tensor<1x96x56x56xf32>
  func.return %cat : tensor<1x96x56x56xf32>
}
// CHECK-LABEL: func.func private @k0_Concat(
// CHECK:         [[CAT:%.*]] = memref.collapse_shape %cat {{.*}} into memref<1x301056xf32>
// CHECK:         [[X:%.*]] = memref.collapse_shape %x {{.*}} into memref<1x200704xf32>
// CHECK:         [[N:%.*]] = arith.constant 49 : index
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[R:%.*]]: index, [[C:%.*]]: index):
// CHECK-NEXT:      [[CHUNK:%.*]] = arith.constant 4096 : index
// CHECK-NEXT:      [[AT:%.*]] = arith.muli [[C]], [[CHUNK]] : index
// CHECK-NEXT:      [[XS:%.*]] = memref.subview [[X]][[[R]], [[AT]]] [1, 4096] [1, 1]
// CHECK-NEXT:      [[CS:%.*]] = memref.subview [[CAT]][[[R]], [[AT]]] [1, 4096] [1, 1]
// CHECK-NEXT:      "memref.copy"([[XS]], [[CS]])
// CHECK:         [[Y:%.*]] = memref.collapse_shape %y {{.*}} into memref<1x100352xf32>
// CHECK:         [[N:%.*]] = arith.constant 24 : index
// CHECK:         "scf.parallel"
// CHECK:           [[OFF:%.*]] = arith.constant 200704 : index
// CHECK-NEXT:      [[AT:%.*]] = arith.addi {{%.*}}, [[OFF]] : index
// CHECK-NEXT:      [[CS:%.*]] = memref.subview [[CAT]][{{%.*}}, [[AT]]] [1, 4096] [1, 1]
// CHECK:         "scf.parallel"
// CHECK:           memref.subview [[Y]][{{%.*}}, 98304] [1, 2048] [1, 1]
// CHECK-NEXT:      memref.subview [[CAT]][{{%.*}}, 299008] [1, 2048] [1, 1]

// -----

// starts [1, 3], ends [3, 0], axes [1, 2], steps [1, -2]: dim 1 reads i + 1, dim 2
// reads 3 - 2 * i.
func.func @main(%x: tensor<2x3x4xf32>) -> tensor<2x2x2xf32> {
  %st = "onnx.Constant"() <{value = dense<[1, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %en = "onnx.Constant"() <{value = dense<[3, 0]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %ax = "onnx.Constant"() <{value = dense<[1, 2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %sp = "onnx.Constant"() <{value = dense<[1, -2]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %sl = "onnx.Slice"(%x, %st, %en, %ax, %sp) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1>}> : (tensor<2x3x4xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<2x2x2xf32>
  func.return %sl : tensor<2x2x2xf32>
}
// CHECK-LABEL: func.func private @k0_Slice(%x: memref<2x3x4xf32>, %st: memref<2xi64>, %en: memref<2xi64>, %ax: memref<2xi64>, %sp: memref<2xi64>, %sl: memref<2x2x2xf32>)
// CHECK:         scf.for [[I:%.*]] =
// CHECK:           scf.for [[J:%.*]] =
// CHECK:             scf.for [[K:%.*]] =
// CHECK-NEXT:          [[ONE:%.*]] = arith.constant 1 : index
// CHECK-NEXT:          [[J1:%.*]] = arith.addi [[J]], [[ONE]] : index
// CHECK-NEXT:          [[STEP:%.*]] = arith.constant -2 : index
// CHECK-NEXT:          [[KS:%.*]] = arith.muli [[K]], [[STEP]] : index
// CHECK-NEXT:          [[START:%.*]] = arith.constant 3 : index
// CHECK-NEXT:          [[K1:%.*]] = arith.addi [[KS]], [[START]] : index
// CHECK-NEXT:          [[V:%.*]] = memref.load %x[[[I]], [[J1]], [[K1]]] : memref<2x3x4xf32>
// CHECK-NEXT:          memref.store [[V]], %sl[[[I]], [[J]], [[K]]] : memref<2x2x2xf32>

// -----

func.func @main(%x: tensor<2x3x4xf32>, %idx: tensor<2xi64>) -> tensor<2x2x4xf32> {
  %ga = "onnx.Gather"(%x, %idx) <{axis = 1 : i64}> : (tensor<2x3x4xf32>, tensor<2xi64>) -> tensor<2x2x4xf32>
  func.return %ga : tensor<2x2x4xf32>
}
// CHECK-LABEL: func.func private @k0_Gather(%x: memref<2x3x4xf32>, %idx: memref<2xi64>, %ga: memref<2x2x4xf32>, %status: memref<1xi64>, %check0: memref<2xi64>)
// CHECK:         scf.for [[I:%.*]] =
// CHECK:           scf.for [[J:%.*]] =
// CHECK-NEXT:        [[RAW:%.*]] = memref.load %idx[[[J]]] : memref<2xi64>
// CHECK-NEXT:        [[IX:%.*]] = arith.index_cast [[RAW]] : i64 to index
// CHECK-NEXT:        [[ZERO:%.*]] = arith.constant 0 : index
// CHECK-NEXT:        [[NEG:%.*]] = arith.cmpi slt, [[IX]], [[ZERO]] : index
// CHECK-NEXT:        [[DIM:%.*]] = arith.constant 3 : index
// CHECK-NEXT:        [[WRAP:%.*]] = arith.addi [[IX]], [[DIM]] : index
// CHECK-NEXT:        [[SEL:%.*]] = arith.select [[NEG]], [[WRAP]], [[IX]] : index
// CHECK-NEXT:        [[DIM2:%.*]] = arith.constant 3 : index
// CHECK-NEXT:        [[OK:%.*]] = arith.cmpi ult, [[SEL]], [[DIM2]] : index
// CHECK-NEXT:        scf.if [[OK]] {
// CHECK:               scf.for [[K:%.*]] =
// CHECK-NEXT:            [[V:%.*]] = memref.load %x[[[I]], [[SEL]], [[K]]] : memref<2x3x4xf32>
// CHECK-NEXT:            memref.store [[V]], %ga[[[I]], [[J]], [[K]]] : memref<2x2x4xf32>
// CHECK:             } else {
// CHECK-NEXT:          [[ONE:%.*]] = arith.constant 1 : i64
// CHECK-NEXT:          [[W0:%.*]] = arith.constant 0 : index
// CHECK-NEXT:          "memref.atomic_rmw"([[ONE]], %status, [[W0]]) <{kind = 2 : i64}>
// CHECK-NEXT:          [[F0:%.*]] = arith.constant 0 : index
// CHECK-NEXT:          [[WAS:%.*]] = "memref.atomic_rmw"([[ONE]], %check0, [[F0]]) <{kind = 2 : i64}>
// CHECK-NEXT:          [[Z:%.*]] = arith.constant 0 : i64
// CHECK-NEXT:          [[FIRST:%.*]] = arith.cmpi eq, [[WAS]], [[Z]] : i64
// CHECK-NEXT:          scf.if [[FIRST]] {
// CHECK-NEXT:            [[F1:%.*]] = arith.constant 1 : index
// CHECK-NEXT:            "memref.atomic_rmw"([[RAW]], %check0, [[F1]]) <{kind = 2 : i64}>
// CHECK-NEXT:          }
// CHECK-NEXT:        }
// The entry passes views of its status argument, and names the check site.
// CHECK-LABEL: func.func @main(%x: memref<2x3x4xf32>, %idx: memref<2xi64>, %out0: memref<2x2x4xf32>, %status: memref<24xi8>)
// CHECK-SAME:    strata.args = ["input:input0", "input:input1", "output:output0", "status:24"]
// CHECK-SAME:    strata.status_sites = [["Gather", "{{.*}}", "index {value} is out of range for axis 1 of size 3 (valid: from -3 to 2)"]]
// CHECK:         [[S0:%.*]] = memref.view %status[{{%.*}}][] : memref<24xi8> to memref<1xi64>
// CHECK:         [[S1:%.*]] = memref.view %status[{{%.*}}][] : memref<24xi8> to memref<2xi64>
// CHECK-NEXT:    func.call @k0_Gather(%x, %idx, %out0, [[S0]], [[S1]])

// -----

func.func @main(%x: tensor<2x3xf32>) -> (tensor<2xi64>, tensor<1xi64>, tensor<i64>) {
  %shape = "onnx.Shape"(%x) : (tensor<2x3xf32>) -> tensor<2xi64>
  %last = "onnx.Shape"(%x) <{start = -1 : i64}> : (tensor<2x3xf32>) -> tensor<1xi64>
  %size = "onnx.Size"(%x) : (tensor<2x3xf32>) -> tensor<i64>
  func.return %shape, %last, %size : tensor<2xi64>, tensor<1xi64>, tensor<i64>
}
// CHECK-LABEL: func.func private @k0_Shape(%x: memref<2x3xf32>, %shape: memref<2xi64>)
// CHECK-NEXT:    [[D0:%.*]] = arith.constant 2 : i64
// CHECK-NEXT:    [[I0:%.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.store [[D0]], %shape[[[I0]]] : memref<2xi64>
// CHECK-NEXT:    [[D1:%.*]] = arith.constant 3 : i64
// CHECK-NEXT:    [[I1:%.*]] = arith.constant 1 : index
// CHECK-NEXT:    memref.store [[D1]], %shape[[[I1]]] : memref<2xi64>
// CHECK-NEXT:    func.return
// CHECK-LABEL: func.func private @k1_Shape(%x: memref<2x3xf32>, %last: memref<1xi64>)
// CHECK-NEXT:    [[D:%.*]] = arith.constant 3 : i64
// CHECK-NEXT:    [[I:%.*]] = arith.constant 0 : index
// CHECK-NEXT:    memref.store [[D]], %last[[[I]]] : memref<1xi64>
// CHECK-NEXT:    func.return
// CHECK-LABEL: func.func private @k2_Size(%x: memref<2x3xf32>, %size: memref<i64>)
// CHECK-NEXT:    [[N:%.*]] = arith.constant 6 : i64
// CHECK-NEXT:    memref.store [[N]], %size[] : memref<i64>
// CHECK-NEXT:    func.return

// -----

func.func @main(%x: tensor<2x3xf32>, %e: tensor<3x1xf32>) -> (tensor<6xf32>, tensor<2x3x4xf32>, tensor<4x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %s = "onnx.Constant"() <{value = dense<-1> : tensor<1xi64>}> : () -> tensor<1xi64>
  %flat = "onnx.Reshape"(%x, %s) : (tensor<2x3xf32>, tensor<1xi64>) -> tensor<6xf32>
  %es = "onnx.Constant"() <{value = dense<[2, 3, 4]> : tensor<3xi64>}> : () -> tensor<3xi64>
  %expand = "onnx.Expand"(%e, %es) : (tensor<3x1xf32>, tensor<3xi64>) -> tensor<2x3x4xf32>
  %reps = "onnx.Constant"() <{value = dense<[2, 1]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %tile = "onnx.Tile"(%x, %reps) : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x3xf32>
  %id = "onnx.Identity"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %drop = "onnx.Dropout"(%x) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return %flat, %expand, %tile, %id, %drop : tensor<6xf32>, tensor<2x3x4xf32>, tensor<4x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}
// CHECK-LABEL: func.func private @k0_Reshape(%x: memref<2x3xf32>, %s: memref<1xi64>, %flat: memref<6xf32>)
// CHECK:         [[H:%.*]] = arith.constant 6 : index
// CHECK-NEXT:    arith.constant 1 : index
// CHECK-NEXT:    scf.for [[I:%.*]] = {{%.*}} to [[H]] step
// CHECK-NEXT:      [[C3:%.*]] = arith.constant 3 : index
// CHECK-NEXT:      [[ROW:%.*]] = arith.divui [[I]], [[C3]] : index
// CHECK-NEXT:      [[C3B:%.*]] = arith.constant 3 : index
// CHECK-NEXT:      [[COL:%.*]] = arith.remui [[I]], [[C3B]] : index
// CHECK-NEXT:      [[V:%.*]] = memref.load %x[[[ROW]], [[COL]]] : memref<2x3xf32>
// CHECK-NEXT:      memref.store [[V]], %flat[[[I]]] : memref<6xf32>
// CHECK-LABEL: func.func private @k1_Expand(%e: memref<3x1xf32>, %es: memref<3xi64>, %expand: memref<2x3x4xf32>)
// CHECK:         scf.for [[I:%.*]] =
// CHECK:           scf.for [[J:%.*]] =
// CHECK:             scf.for [[K:%.*]] =
// CHECK-NEXT:          [[Z:%.*]] = arith.constant 0 : index
// CHECK-NEXT:          [[V:%.*]] = memref.load %e[[[J]], [[Z]]] : memref<3x1xf32>
// CHECK-NEXT:          memref.store [[V]], %expand[[[I]], [[J]], [[K]]] : memref<2x3x4xf32>
// CHECK-LABEL: func.func private @k2_Tile(%x: memref<2x3xf32>, %reps: memref<2xi64>, %tile: memref<4x3xf32>)
// CHECK:         [[H:%.*]] = arith.constant 4 : index
// CHECK-NEXT:    arith.constant 1 : index
// CHECK-NEXT:    scf.for [[I:%.*]] = {{%.*}} to [[H]] step
// CHECK:           scf.for [[J:%.*]] =
// CHECK-NEXT:        [[D:%.*]] = arith.constant 2 : index
// CHECK-NEXT:        [[SRC:%.*]] = arith.remui [[I]], [[D]] : index
// CHECK-NEXT:        [[V:%.*]] = memref.load %x[[[SRC]], [[J]]] : memref<2x3xf32>
// CHECK-NEXT:        memref.store [[V]], %tile[[[I]], [[J]]] : memref<4x3xf32>
// CHECK-LABEL: func.func private @k3_Identity(%x: memref<2x3xf32>, %id: memref<2x3xf32>)
// CHECK:             [[V:%.*]] = memref.load %x[[[I:%.*]], [[J:%.*]]]
// CHECK-NEXT:        memref.store [[V]], %id[[[I]], [[J]]]
// CHECK-LABEL: func.func private @k4_Dropout(%x: memref<2x3xf32>, %drop: memref<2x3xf32>)
// CHECK:             [[V:%.*]] = memref.load %x[[[I:%.*]], [[J:%.*]]]
// CHECK-NEXT:        memref.store [[V]], %drop[[[I]], [[J]]]

// -----

func.func @main(%start: tensor<i64>) -> (tensor<3xi64>, tensor<2x3xf32>) {
  %limit = "onnx.Constant"() <{value = dense<10> : tensor<i64>}> : () -> tensor<i64>
  %delta = "onnx.Constant"() <{value = dense<3> : tensor<i64>}> : () -> tensor<i64>
  %range = "onnx.Range"(%start, %limit, %delta) : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %cshape = "onnx.Constant"() <{value = dense<[2, 3]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %fill = "onnx.ConstantOfShape"(%cshape) <{value = dense<1.5> : tensor<1xf32>}> : (tensor<2xi64>) -> tensor<2x3xf32>
  func.return %range, %fill : tensor<3xi64>, tensor<2x3xf32>
}
// CHECK-LABEL: func.func private @k0_Range(%start: memref<i64>, %limit: memref<i64>, %delta: memref<i64>, %range: memref<3xi64>)
// CHECK-NEXT:    [[S:%.*]] = memref.load %start[] : memref<i64>
// CHECK-NEXT:    [[D:%.*]] = memref.load %delta[] : memref<i64>
// CHECK-NEXT:    arith.constant 0 : index
// CHECK-NEXT:    [[H:%.*]] = arith.constant 3 : index
// CHECK-NEXT:    arith.constant 1 : index
// CHECK-NEXT:    scf.for [[I:%.*]] = {{%.*}} to [[H]] step
// CHECK-NEXT:      [[II:%.*]] = arith.index_cast [[I]] : index to i64
// CHECK-NEXT:      [[OFF:%.*]] = arith.muli [[II]], [[D]] : i64
// CHECK-NEXT:      [[V:%.*]] = arith.addi [[S]], [[OFF]] : i64
// CHECK-NEXT:      memref.store [[V]], %range[[[I]]] : memref<3xi64>
// CHECK-LABEL: func.func private @k1_ConstantOfShape(%cshape: memref<2xi64>, %fill: memref<2x3xf32>)
// CHECK-NEXT:    [[V:%.*]] = arith.constant 1.500000e+00 : f32
// CHECK:         scf.for [[I:%.*]] =
// CHECK:           scf.for [[J:%.*]] =
// CHECK-NEXT:        memref.store [[V]], %fill[[[I]], [[J]]] : memref<2x3xf32>

// -----

// A Transpose that keeps the last dim last copies whole rows: f32 rows as vectors of
// the target's width (8 on AVX2, 16 on AVX-512), loaded from the permuted row of x.
func.func @main(%x: tensor<1x2x3x64xf32>) -> tensor<1x3x2x64xf32> {
  %t = "onnx.Transpose"(%x) <{perm = array<i64: 0, 2, 1, 3>}> : (tensor<1x2x3x64xf32>) -> tensor<1x3x2x64xf32>
  func.return %t : tensor<1x3x2x64xf32>
}
// CHECK-LABEL: func.func private @k0_Transpose(%x: memref<1x2x3x64xf32>, %t: memref<1x3x2x64xf32>)
// CHECK:         "scf.parallel"
// CHECK-NEXT:    ^bb0([[N:%.*]]: index, [[I:%.*]]: index, [[J:%.*]]: index):
// CHECK:           scf.for [[K:%.*]] = {{%.*}} to {{%.*}} step {{%.*}} {
// CHECK-NEXT:        [[V:%.*]] = vector.load %x[[[N]], [[J]], [[I]], [[K]]] : memref<1x2x3x64xf32>, vector<{{8|16}}xf32>
// CHECK-NEXT:        vector.store [[V]], %t[[[N]], [[I]], [[J]], [[K]]] : memref<1x3x2x64xf32>, vector<{{8|16}}xf32>
// CHECK-NOT:       memref.load

// -----

// A Transpose whose last dim moves, on f32 with whole 8 x 8 blocks: each block is 8
// vector loads along x's rows, 24 vector.shuffle (transpose_8x8) and 8 vector stores
// along the output's rows; the parallel loop runs over blocks of 8 output rows.
func.func @main(%x: tensor<8x16xf32>) -> tensor<16x8xf32> {
  %t = "onnx.Transpose"(%x) <{perm = array<i64: 1, 0>}> : (tensor<8x16xf32>) -> tensor<16x8xf32>
  func.return %t : tensor<16x8xf32>
}
// CHECK-LABEL: func.func private @k0_Transpose(%x: memref<8x16xf32>, %t: memref<16x8xf32>)
// CHECK:         "scf.parallel"
// CHECK:           scf.for
// CHECK-COUNT-8:     vector.load %x[{{.*}}] : memref<8x16xf32>, vector<8xf32>
// CHECK-COUNT-24:    vector.shuffle {{.*}} : vector<8xf32>, vector<8xf32>
// CHECK-COUNT-8:     vector.store {{.*}}, %t[{{.*}}] : memref<16x8xf32>, vector<8xf32>
// CHECK-NOT:       memref.store
