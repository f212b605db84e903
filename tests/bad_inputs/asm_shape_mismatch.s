# an output shape that is not positive decimal dimensions
.output out 0x1000 64 4x0x4
halt
