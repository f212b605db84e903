# the same operand twice
load src=0 src=64 dst=GLB rows=1 row_bytes=64
halt
