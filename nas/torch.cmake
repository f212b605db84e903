# savp_nas (LibTorch): see nas/CMakeLists.txt (filled in by the LibTorch work).
