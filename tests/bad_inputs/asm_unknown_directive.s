# a directive that does not exist
.rept 4
halt
