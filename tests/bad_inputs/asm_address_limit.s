# a data segment that ends beyond 2^48
.bytes 0xffffffffffff 1 2
halt
