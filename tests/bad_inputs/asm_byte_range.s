# a .bytes value outside [-128, 255]
.bytes 0x1000 1 256
halt
