# an .incbin of an endless device (never read forever)
.incbin 0x1000 "/dev/zero"
halt
