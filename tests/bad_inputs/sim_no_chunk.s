# a compute on a chunk the platform does not have (the default platform has 3)
compute chunk7 op=maxpool kind=mult k=4 c=4 oh=1 ow=1 ih=2 iw=2 kh=2 kw=2 stride=2
halt
