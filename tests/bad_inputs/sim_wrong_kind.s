# a shift compute on the multiplier chunk
compute chunk0 op=conv kind=shift k=4 c=4 oh=1 ow=1 ih=1 iw=1 wbits=4 in=0 w=0 out=0
halt
