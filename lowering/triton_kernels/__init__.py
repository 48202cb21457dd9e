"""The Triton generator's parts (the driver is lowering/to_triton.py): what a program
is (program.py), kernel text and coordinates (text.py), elementwise bodies (bodies.py)
and the helpers they call (helpers.py), the generator and its core families
(generator.py: pointwise, matmul, attention, copies), and one module per further
family: row kernels (row.py), convolutions (conv.py), pooling (pool.py), data movement
(data_movement.py), normalizations without statistics (normalization.py), TopK
(select.py)."""
