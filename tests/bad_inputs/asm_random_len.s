# a .random longer than 2^30 bytes
.random 0x1000 0x40000001 1 0 1
halt
