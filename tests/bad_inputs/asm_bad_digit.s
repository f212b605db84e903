# a bad digit in a number
load src=0x10g0 dst=GLB rows=1 row_bytes=64
halt
