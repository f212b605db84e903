# a compute whose packed weight stream is shorter than its header declares: 8 weights at 4 bits
# need 16 + 4 bytes, the instruction gives wlen=18
load src=DRAM+0x1000 dst=CHUNK0_WBUF rows=1 row_bytes=20 src_stride=20 dst_stride=20 signal=chunk0
compute chunk0 op=conv kind=mult k=1 c=8 oh=1 ow=1 ih=1 iw=1 wfmt=packed wlen=18 flags=no_bias wait=load
halt
.bytes 0x1000 1 4 0 0 8 0 0 0 8 0 0 0 0 0 0 0 0x21 0x43 0x65 0x07
