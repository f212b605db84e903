# a compute without its required op=
compute chunk0 kind=mult k=16 c=16 oh=8 ow=8 ih=8 iw=8
halt
