# two .code directives
.code 0x0
.code 0x1000
halt
