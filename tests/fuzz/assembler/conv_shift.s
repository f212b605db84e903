# conv_shift.s: one 3x3 shift convolution (DeepShift-style weights) on chunk1, the shift
# chunk of configs/hw/default.yaml.
#
#   input   8 x 8 x 16  (H x W x C, int8 in [0, 127])
#   weights 16 x 3 x 3 x 16 shift weights of 4 bits: each byte is 0 (zero weight) or
#           +-(e+1) for +-2^e, e in [0, 6] (common/arith.hpp), drawn by .shiftw
#   bias    16 x int32
#   output  8 x 8 x 16  (stride 1, pad 1, ReLU, int8)
#
# Same token protocol as conv_mult.s, on chunk1.

.equ IN      DRAM+0x10000
.equ W       DRAM+0x11000
.equ BIAS    DRAM+0x12000
.equ OUT     DRAM+0x13000
.equ W_BYTES 16*144
.equ W_BIAS  0x900

.output shift_out OUT 1024 8x8x16

load src=IN dst=CHUNK1_IBUF rows=1 row_bytes=1024 signal=chunk1
load src=W dst=CHUNK1_WBUF rows=1 row_bytes=W_BYTES signal=chunk1
load src=BIAS dst=CHUNK1_WBUF+W_BIAS rows=1 row_bytes=64 signal=chunk1
nop chunk1 wait=load
nop chunk1 wait=load
# Requantization: a term is +-(x << e) with |x| ~ 64 on average and E[4^e] over e in [0, 6]
# ~ 780, so a sum of 144 random-sign terms has a standard deviation of about
# sqrt(144 * 5376 * 780 * 14/15) ~ 23,700. m / 2^shift = 2^30 / 2^40 = 1/1024 maps that to
# ~23 LSB (the zero-padded borders make it ~15 in this draw: 42% positive, largest 42); the
# layer's scale 2^p_min of DeepShift is folded into m (arith.hpp).
compute chunk1 op=conv kind=shift k=16 c=16 oh=8 ow=8 ih=8 iw=8 kh=3 kw=3 stride=1 \
    pad_t=1 pad_l=1 wbits=4 abits=8 obits=8 m=1073741824 shift=40 \
    in=0 w=0 bias=W_BIAS out=0 flags=relu wait=load signal=store
store src=CHUNK1_OBUF dst=OUT rows=1 row_bytes=1024 wait=chunk1
barrier
halt

.random IN 1024 11 0 127
.shiftw W W_BYTES 12 4
.int32 BIAS  0 1000 -1000 2000 -2000 500 -500 0 0 250 -250 4000 -4000 100 -100 0
