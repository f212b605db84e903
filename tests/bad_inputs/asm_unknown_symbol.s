# an undefined symbol in an operand
load src=INPUT dst=GLB rows=1 row_bytes=64
halt
