# redefining a built-in symbol
.equ GLB 0x100
halt
