# an output name with no closing quote
.output "result 0x1000 64
halt
