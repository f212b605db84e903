# a load from beyond the end of DRAM (2 GiB on the default platform)
load src=0x100000000 dst=GLB rows=1 row_bytes=64
halt
