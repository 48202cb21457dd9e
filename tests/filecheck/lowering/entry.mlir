// The graph function becomes the entry @main (strata.entry) over buffers: graph
// inputs, then graph outputs, then every used constant (as a weight pointer), in the
// order strata.args lists them. Intermediates are memref.alloc'ed (64-byte aligned)
// before their producer and freed at the end; a graph output produced by an op is
// written in place; an output that is an input or a constant is copied by an extra
// kernel; an operand used twice is passed once.
// RUN: opt-tool %s --split-input-file -p convert-onnx-to-loops | filecheck %s

func.func @main(%x: tensor<2x4xf32>) -> (tensor<2x5xf32>, tensor<2x4xf32>, tensor<4xf32>) attributes {strata.input_names = ["x"], strata.output_names = ["y", "x_out", "c_out"]} {
  %w = "onnx.Constant"() <{value = dense<5.000000e-01> : tensor<4x5xf32>}> : () -> tensor<4x5xf32> loc("fc_w")
  %c = "onnx.Constant"() <{value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>}> : () -> tensor<4xf32> loc("c")
  %unused = "onnx.Constant"() <{value = dense<1.0> : tensor<4xf32>}> : () -> tensor<4xf32> loc("unused")
  %h = "onnx.MatMul"(%x, %w) : (tensor<2x4xf32>, tensor<4x5xf32>) -> tensor<2x5xf32> loc("fc")
  %r = "onnx.Relu"(%h) : (tensor<2x5xf32>) -> tensor<2x5xf32> loc("act")
  %y = "onnx.Add"(%r, %r) : (tensor<2x5xf32>, tensor<2x5xf32>) -> tensor<2x5xf32> loc("double")
  func.return %y, %x, %c : tensor<2x5xf32>, tensor<2x4xf32>, tensor<4xf32>
}
// Kernels are named k<index>_<op>_<node name> and carry the node; an elementwise
// kernel (an op with the Elementwise trait, a copy) is marked strata.elementwise.
// CHECK-LABEL: func.func private @k0_MatMul_fc(%x: memref<2x4xf32>, %w: memref<4x5xf32>, %h: memref<2x5xf32>)
// CHECK-SAME:      attributes {strata.onnx_node = "fc", strata.onnx_op = "MatMul"}
// CHECK-LABEL: func.func private @k1_Relu_act(%h: memref<2x5xf32>, %r: memref<2x5xf32>)
// CHECK-SAME:      attributes {strata.onnx_node = "act", strata.onnx_op = "Relu", strata.elementwise}
// CHECK-LABEL: func.func private @k2_Add_double(%r: memref<2x5xf32>, %y: memref<2x5xf32>)
// CHECK:         memref.load %r[[[I:%.*]], [[J:%.*]]]
// CHECK-NEXT:    memref.load %r[[[I]], [[J]]]
// CHECK-LABEL: func.func private @k3_copy_output(%x: memref<2x4xf32>, %out1: memref<2x4xf32>)
// CHECK-SAME:      attributes {strata.onnx_op = "Identity", strata.elementwise}
// CHECK:           [[V:%.*]] = memref.load %x[[[I:%.*]], [[J:%.*]]] : memref<2x4xf32>
// CHECK-NEXT:      memref.store [[V]], %out1[[[I]], [[J]]] : memref<2x4xf32>
// CHECK-LABEL: func.func private @k4_copy_output(%c: memref<4xf32>, %out2: memref<4xf32>)
// CHECK-LABEL: func.func @main(%x: memref<2x4xf32>, %out0: memref<2x5xf32>, %out1: memref<2x4xf32>, %out2: memref<4xf32>, %w: memref<4x5xf32>, %c: memref<4xf32>)
// CHECK-SAME:      attributes {strata.entry, strata.args = ["input:x", "output:y", "output:x_out", "output:c_out", "weight:const_fc_w", "weight:const_c"]}
// CHECK-NEXT:    [[H:%.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x5xf32>
// CHECK-NEXT:    func.call @k0_MatMul_fc(%x, %w, [[H]]) : (memref<2x4xf32>, memref<4x5xf32>, memref<2x5xf32>) -> ()
// CHECK-NEXT:    [[R:%.*]] = memref.alloc() {alignment = 64 : i64} : memref<2x5xf32>
// CHECK-NEXT:    func.call @k1_Relu_act([[H]], [[R]]) : (memref<2x5xf32>, memref<2x5xf32>) -> ()
// CHECK-NEXT:    func.call @k2_Add_double([[R]], %out0) : (memref<2x5xf32>, memref<2x5xf32>) -> ()
// CHECK-NEXT:    func.call @k3_copy_output(%x, %out1) : (memref<2x4xf32>, memref<2x4xf32>) -> ()
// CHECK-NEXT:    func.call @k4_copy_output(%c, %out2) : (memref<4xf32>, memref<4xf32>) -> ()
// CHECK-NEXT:    memref.dealloc [[H]] : memref<2x5xf32>
// CHECK-NEXT:    memref.dealloc [[R]] : memref<2x5xf32>
// CHECK-NEXT:    func.return
// CHECK-NEXT:  }
// CHECK-NOT:   func.func

// -----

// Without strata.input_names / output_names the args are numbered; a value returned
// twice is written by its kernel into the first output and copied into the second; a
// dense_resource constant passes its handle as the weight name.
func.func @main(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = "onnx.Constant"() <{value = dense_resource<blob> : tensor<2x4xf32>}> : () -> tensor<2x4xf32>
  %y = "onnx.Add"(%x, %w) : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  func.return %y, %y : tensor<2x4xf32>, tensor<2x4xf32>
}
// CHECK-LABEL: func.func private @k0_Add(%x: memref<2x4xf32>, %w: memref<2x4xf32>, %y: memref<2x4xf32>)
// CHECK-SAME:      strata.onnx_node = "<unnamed>"
// CHECK-LABEL: func.func private @k1_copy_output(%y: memref<2x4xf32>, %out1: memref<2x4xf32>)
// CHECK-LABEL: func.func @main(%x: memref<2x4xf32>, %out0: memref<2x4xf32>, %out1: memref<2x4xf32>, %w: memref<2x4xf32>)
// CHECK-SAME:      attributes {strata.entry, strata.args = ["input:input0", "output:output0", "output:output1", "weight:blob"]}
// CHECK-NEXT:    func.call @k0_Add(%x, %w, %out0)
// CHECK-NEXT:    func.call @k1_copy_output(%out0, %out1)
// CHECK-NEXT:    func.return
