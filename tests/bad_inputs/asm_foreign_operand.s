# an operand of another opcode (a compute operand on a load)
load src=0 dst=GLB rows=1 row_bytes=64 kh=3
halt
