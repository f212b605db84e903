// Writes the long benchmark firmware as an image file, for whole-process runs of
// `savp sim` (bench/sim_speed.sh). Usage: make_long_image TILES OUT.img
#include <cstdio>
#include <cstdlib>

#include "bench/long_firmware.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s TILES OUT.img\n", argv[0]);
    return 2;
  }
  savp::fw::write_image(savp::bench::long_firmware(std::atoi(argv[1])), argv[2]);
  return 0;
}
