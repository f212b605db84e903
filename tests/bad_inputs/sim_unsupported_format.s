# bitmask weights on a chunk without a decompressor (tests/bad_inputs/valid_hw.yaml)
compute chunk0 op=conv kind=mult k=1 c=8 oh=1 ow=1 ih=1 iw=1 wfmt=bitmask wlen=24 flags=no_bias
halt
