# conv_mult.s: one 3x3 convolution with fused ReLU on chunk0 (the multiplier chunk of
# configs/hw/default.yaml: 16x16 PEs, output-stationary, 64 KiB ibuf / wbuf / obuf).
#
#   input   8 x 8 x 16  (H x W x C, int8, post-ReLU values in [0, 127])
#   weights 16 x 3 x 3 x 16 (K x KH x KW x C, int8 in [-64, 63])
#   bias    16 x int32
#   output  8 x 8 x 16  (stride 1, pad 1, ReLU, int8)
#
# Token protocol (firmware/README.md): the three loads each signal chunk0; chunk0 pops one
# load token per instruction that waits on it, so two nops absorb the weight and bias tokens
# and the compute pops the third (all three loads done: an engine completes its queue in
# order). The compute signals the store engine; the store waits on chunk0.

.equ IN      DRAM+0x10000      # 1024 bytes
.equ W       DRAM+0x11000      # 2304 bytes = 16*3*3*16
.equ BIAS    DRAM+0x12000      # 64 bytes = 16 int32
.equ OUT     DRAM+0x13000      # 1024 bytes
.equ IN_BYTES 8*128            # 8 rows of 8 pixels x 16 channels
.equ W_BYTES  16*144
.equ W_BIAS   0x900            # wbuf offset of the bias, right after the 2304 weight bytes

.code 0x0
.output conv_out OUT 1024 8x8x16

# Input: copied row by row (8 rows of 128 bytes) to show the 2D DMA form.
load src=IN dst=CHUNK0_IBUF rows=8 row_bytes=128 src_stride=128 dst_stride=128 signal=chunk0
load src=W dst=CHUNK0_WBUF rows=1 row_bytes=W_BYTES signal=chunk0
load src=BIAS dst=CHUNK0_WBUF+W_BIAS rows=1 row_bytes=64 signal=chunk0
nop chunk0 wait=load           # first load token
nop chunk0 wait=load           # second load token
# Requantization: a pre-activation sums 144 products of x in [0,127] and w in [-64,63];
# its standard deviation is about sqrt(144 * E[x^2] * E[w^2]) = sqrt(144 * 5376 * 1365)
# ~ 32,500. m / 2^shift = 1431655765 / 2^41 = 1/1536 maps that to ~21 LSB, so half the
# outputs are clamped to 0 by the ReLU and none comes near 127 (in this draw: 47% positive,
# largest 51, standard deviation of the positive half 19).
compute chunk0 op=conv kind=mult k=16 c=16 oh=8 ow=8 ih=8 iw=8 kh=3 kw=3 stride=1 \
    pad_t=1 pad_l=1 wbits=8 abits=8 obits=8 m=1431655765 shift=41 \
    in=0 w=0 bias=W_BIAS out=0 flags=relu wait=load signal=store
store src=CHUNK0_OBUF dst=OUT rows=1 row_bytes=1024 wait=chunk0
barrier
halt

.random IN IN_BYTES 1 0 127
.random W W_BYTES 2 -64 63
.int32 BIAS  -512 0 512 1024 -1024 256 -256 0 2048 -2048 128 -128 64 -64 32 -32
