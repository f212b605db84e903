# Every directive and expression form once (seed for fuzz_assembler).
.equ A DRAM+0x800
.equ B (A-3)*2+0x10
.code 0x40
.bytes A 1 -2 255 0x7f
.int32 B+0x40 -1 2147483647 0xffffffff
.random 0x1000 16 7 -8 7
.shiftw 0x2000 8 3 5
.incbin 0x3000 "README.md"
.output "out \"q\"" 0x4000 64 4x4x4
.output plain 0x5000 8
.inst 0x5 0 0 0 0 0 0 0
nop load wait=store signal=chunk0
load src=A dst=GLB rows=2 row_bytes=16 src_stride=16 dst_stride=32 flags=0x10
compute chunk1 op=dwconv kind=shift k=4 c=4 oh=2 ow=2 ih=2 iw=2 kh=1 kw=1 wbits=5 in=0 w=0 out=0 flags=relu|no_bias
store src=CHUNK1_OBUF dst=0x4000 rows=1 row_bytes=64 wait=chunk1 ; comment
barrier
halt
