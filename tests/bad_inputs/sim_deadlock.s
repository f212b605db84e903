# a wait that can never be satisfied: chunk0 waits for a load token no load signals
nop chunk0 wait=load
halt
