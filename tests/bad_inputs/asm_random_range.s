# a .random range that is empty (LO > HI)
.random 0x1000 16 1 5 -5
halt
