# an unknown mnemonic
lod src=0 dst=GLB rows=1 row_bytes=64
halt
