# two output regions with the same name
.output out 0x1000 64
.output out 0x2000 64
halt
