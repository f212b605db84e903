# a value that does not fit its 48-bit field
load src=0x1000000000000 dst=GLB rows=1 row_bytes=64
halt
