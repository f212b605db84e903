# an engine name that does not exist in wait=
nop chunk0 wait=load,chunk99
halt
