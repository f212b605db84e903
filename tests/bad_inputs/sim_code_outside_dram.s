# code placed beyond the end of DRAM
.code 0x800000000
halt
