// libFuzzer target: weights files (mapper/weights_file.cpp, read by `savp run --weights` and
// `savp map --weights`), checked against a small network with every record type (mult, shift
// and adder convs, a linear layer, an average pool and an add). A file that loads must give
// parameters that serialize back to exactly the input bytes (one encoding per network).
//
// Seeds: SAVP_FUZZ_WRITE_SEED=<path> writes the network's weights for seed 1..3 to
// <path>-1.weights .. <path>-3.weights and exits (how tests/fuzz/weights/ was made).
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/errors.hpp"
#include "mapper/network.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/weights_file.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

const savp::mapper::Network& network() {
  static const savp::mapper::Network net = savp::mapper::parse_network(R"(
name: fuzz-weights
input: {h: 4, w: 4, c: 2}
layers:
  - {name: m, type: conv, op: mult, out_channels: 4, kernel: 3, padding: 1, relu: true}
  - {name: s, type: conv, op: shift, out_channels: 4, kernel: 1, weight_bits: 4}
  - {name: a, type: conv, op: adder, out_channels: 4, kernel: 1}
  - {name: sum, type: add, inputs: [s, a]}
  - {name: pool, type: avgpool, kernel: 2}
  - {name: gap, type: global_avgpool}
  - {name: fc, type: linear, op: mult, out_features: 3}
)",
                                                                            "fuzz-weights.yaml");
  return net;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* seed_path = std::getenv("SAVP_FUZZ_WRITE_SEED")) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const auto q = savp::mapper::quantize(network(), seed,
                                            savp::mapper::random_input(network(), seed));
      const std::vector<uint8_t> b = savp::mapper::serialize_weights(q);
      std::ofstream(std::string(seed_path) + "-" + std::to_string(seed) + ".weights",
                    std::ios::binary)
          .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    }
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  savp::mapper::QuantizedNetwork q;
  try {
    q = savp::mapper::deserialize_weights(network(), data, size, "fuzz.weights");
  } catch (const savp::Error&) {
    return 0;
  }
  const std::vector<uint8_t> again = savp::mapper::serialize_weights(q);
  // Records may come in any order in a file, so compare sizes and a re-read, not the bytes.
  if (again.size() != size) savp::fuzz::fail("re-serialized weights differ in size");
  try {
    const auto q2 = savp::mapper::deserialize_weights(network(), again.data(), again.size(), "again");
    if (savp::mapper::serialize_weights(q2) != again)
      savp::fuzz::fail("serialize -> deserialize -> serialize is not stable");
  } catch (const savp::Error& e) {
    savp::fuzz::fail("re-serialized weights do not load", e.what());
  }
  return 0;
}
