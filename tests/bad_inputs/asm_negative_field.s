# a negative value in an (unsigned) instruction field
load src=0 dst=GLB rows=-1 row_bytes=64
halt
