# a code base that is not a multiple of 8
.code 0x1004
halt
