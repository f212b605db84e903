# a compute whose input tile runs past the end of the chunk's 64 KiB ibuf
compute chunk0 op=conv kind=mult k=16 c=16 oh=8 ow=8 ih=8 iw=8 in=0xffc0 w=0 out=0
halt
