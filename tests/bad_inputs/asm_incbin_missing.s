# an .incbin of a file that does not exist
.incbin 0x1000 "no-such-file.bin"
halt
