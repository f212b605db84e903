# conv_adder.s: one 3x3 AdderNet convolution on chunk2, the adder chunk of
# configs/hw/default.yaml. Each PE step accumulates -|x - w| (common/arith.hpp).
#
#   input   10 x 10 x 16 (H x W x C, int8 in [0, 127])
#   weights 16 x 3 x 3 x 16 (int8 in [-64, 63])
#   bias    16 x int32
#   output  8 x 8 x 16  (stride 1, no padding, ReLU, int8)
#
# No padding on purpose: with an adder kernel a padded zero still contributes -|0 - w|
# (AdderNet pads before the L1 distance), so a border pixel's sum differs from an
# interior one; a valid convolution keeps every output a sum of exactly 144 terms.
# Same token protocol as conv_mult.s, on chunk2.

.equ IN       DRAM+0x10000
.equ W        DRAM+0x11000
.equ BIAS     DRAM+0x12000
.equ OUT      DRAM+0x13000
.equ IN_BYTES 10*10*16
.equ W_BYTES  16*144
.equ W_BIAS   0x900

.output adder_out OUT 1024 8x8x16

load src=IN dst=CHUNK2_IBUF rows=1 row_bytes=IN_BYTES signal=chunk2
load src=W dst=CHUNK2_WBUF rows=1 row_bytes=W_BYTES signal=chunk2
load src=BIAS dst=CHUNK2_WBUF+W_BIAS rows=1 row_bytes=64 signal=chunk2
nop chunk2 wait=load
nop chunk2 wait=load
# Requantization: with x ~ U[0,127] and w ~ U[-64,63], E|x - w| ~ 70, so a 144-term sum is
# about -10,200; for this data the channel means lie between -9,560 and -10,870 and a
# channel's sums spread +-330 around its mean. The biases below are minus each channel's
# mean (rounded to 10), as a folded batch norm would set them (AdderNet needs that shift),
# and m / 2^shift = 2^30 / 2^33 = 1/8 maps +-330 to +-41 LSB: about half the outputs are
# positive and a 3-sigma sum just reaches 127 (in this draw: 48% positive, largest 122).
compute chunk2 op=conv kind=adder k=16 c=16 oh=8 ow=8 ih=10 iw=10 kh=3 kw=3 stride=1 \
    pad_t=0 pad_l=0 wbits=8 abits=8 obits=8 m=1073741824 shift=33 \
    in=0 w=0 bias=W_BIAS out=0 flags=relu wait=load signal=store
store src=CHUNK2_OBUF dst=OUT rows=1 row_bytes=1024 wait=chunk2
barrier
halt

.random IN IN_BYTES 21 0 127
.random W W_BYTES 22 -64 63
.int32 BIAS  10290 10600 9810 10430 10510 10360 9720 9710 \
             9560 10370 10870 10400 10500 9650 9760 10150
