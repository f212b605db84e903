# an expression that overflows 64-bit arithmetic
.equ BIG 0x7fffffffffffffff
load src=BIG*2 dst=GLB rows=1 row_bytes=64
halt
