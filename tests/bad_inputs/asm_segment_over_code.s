# a data segment over the code
.bytes 0x20 1 2 3 4
halt
