# two data segments that overlap
.bytes 0x1000 1 2 3 4
.bytes 0x1002 5 6
halt
