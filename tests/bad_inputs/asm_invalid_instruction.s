# an instruction that fails isa::validate (a conv with zero output channels)
compute chunk0 op=conv kind=mult k=0 c=16 oh=8 ow=8 ih=8 iw=8
halt
