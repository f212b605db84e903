# defining a symbol twice
.equ A 1
.equ A 2
halt
