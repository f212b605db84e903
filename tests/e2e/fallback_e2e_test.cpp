// A shift network on a platform without a shift chunk whose config allows the shift -> mult
// fallback: simulated with functional chunks, every layer bit-exact with the reference executor
// of the original (shift) network.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "mapper/codegen.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/reference_executor.hpp"
#include "platform/platform.hpp"

namespace savp::mapper {
namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

TEST(FallbackE2E, ShiftNetworkOnMultiplierChunkIsBitExact) {
  HwConfig hw = load_hw_config(kSrc + "/configs/hw/default.yaml");
  hw.chunks.erase(std::remove_if(hw.chunks.begin(), hw.chunks.end(),
                                 [](const ChunkConfig& c) { return c.kind == OpKind::Shift; }),
                  hw.chunks.end());
  hw.fallbacks.push_back({OpKind::Shift, OpKind::Mult});
  Network net = load_network(kSrc + "/configs/nets/fmnist-shift.yaml");
  for (Layer& l : net.layers)
    if (l.has_weights() && l.op == OpKind::Shift) l.weight_bits = 4;
  std::vector<int8_t> in = random_input(net, 9);
  QuantizedNetwork q = quantize(net, 9, in);
  MappedNetwork m = generate(q, hw, in);
  Platform p(hw, load_energy_table(hw.energy_table));
  RunOptions ro;
  ro.functional = true;
  RunResult r = p.run(m.image, ro);
  const std::vector<std::vector<int8_t>> ref = run_reference(q, in);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const auto it = r.outputs.find(net.layers[i].name);
    ASSERT_NE(it, r.outputs.end()) << net.layers[i].name;
    ASSERT_EQ(it->second.size(), ref[i].size());
    for (size_t e = 0; e < ref[i].size(); ++e)
      ASSERT_EQ(static_cast<int8_t>(it->second[e]), ref[i][e])
          << net.layers[i].name << " element " << e;
  }
  EXPECT_GT(r.cycles, 0u);
}

}  // namespace
}  // namespace savp::mapper
