// libFuzzer target: network descriptions (mapper/network_load.cpp, mapper/network.cpp: shape
// inference and checks) from YAML text.
#include "common/errors.hpp"
#include "mapper/network.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    savp::mapper::Network net =
        savp::mapper::parse_network(savp::fuzz::text_of(data, size), "fuzz.yaml");
    if (net.layers.empty()) savp::fuzz::fail("a network without layers loaded");
  } catch (const savp::Error&) {
  }
  return 0;
}
