// The first run on a freshly elaborated Platform must time exactly like every later run of the
// same image (regression: the initialization phase ran the controller's fetch thread before
// some engine threads reached their first wait, so the first run interleaved the DMA queues
// differently, e.g. 5,499 instead of 5,524 cycles for the small MBConv network below).
#include <gtest/gtest.h>

#include <string>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "mapper/codegen.hpp"
#include "mapper/network.hpp"
#include "mapper/quantized_network.hpp"
#include "platform/platform.hpp"

namespace savp {
namespace {

// A search-space candidate (configs/nas/tiny.yaml, all-shift blocks): a load and a store that
// reach the DRAM at the same simulated time, so their order decides the timing.
const char* kNet = R"(name: tiny-shift
input: {h: 8, w: 8, c: 1, act_bits: 8}
layers:
  - {name: stem, type: conv, op: mult, out_channels: 8, kernel: 3, padding: 1, relu: true, batch_norm: true}
  - {name: b0_expand, type: conv, op: shift, out_channels: 24, kernel: 1, relu: true, batch_norm: true, weight_bits: 5}
  - {name: b0_dw, type: conv, op: shift, out_channels: 24, kernel: 3, stride: 2, padding: 1, groups: 24, relu: true, batch_norm: true, weight_bits: 5}
  - {name: b0_project, type: conv, op: shift, out_channels: 16, kernel: 1, batch_norm: true, weight_bits: 5}
  - {name: b1_expand, type: conv, op: shift, out_channels: 48, kernel: 1, relu: true, batch_norm: true, weight_bits: 5}
  - {name: b1_dw, type: conv, op: shift, out_channels: 48, kernel: 3, padding: 1, groups: 48, relu: true, batch_norm: true, weight_bits: 5}
  - {name: b1_project, type: conv, op: shift, out_channels: 16, kernel: 1, batch_norm: true, weight_bits: 5}
  - {name: b1_add, type: add, inputs: [b1_project, b0_project]}
  - {name: pool, type: global_avgpool}
  - {name: fc, type: linear, op: mult, out_features: 4}
)";

TEST(Repeatable, FirstRunOnANewPlatformTimesLikeEveryLaterRun) {
  const HwConfig hw = load_hw_config(std::string(SAVP_SOURCE_DIR) + "/configs/hw/default.yaml");
  const mapper::Network net = mapper::parse_network(kNet, "tiny-shift.yaml");
  const std::vector<int8_t> input = mapper::random_input(net, 1);
  const mapper::QuantizedNetwork q = mapper::quantize(net, 1, input);
  const mapper::MappedNetwork m = mapper::generate(q, hw, input);
  Platform p(hw, load_energy_table(hw.energy_table));
  RunOptions ro;
  ro.functional = false;
  const RunResult first = p.run(m.image, ro);
  const RunResult second = p.run(m.image, ro);
  const RunResult third = p.run(m.image, ro);
  EXPECT_EQ(first.cycles, second.cycles);
  EXPECT_EQ(second.cycles, third.cycles);
  ASSERT_EQ(first.engines.size(), second.engines.size());
  for (size_t e = 0; e < first.engines.size(); ++e) {
    EXPECT_EQ(first.engines[e].busy_cycles, second.engines[e].busy_cycles) << first.engines[e].name;
    EXPECT_EQ(first.engines[e].stall_cycles, second.engines[e].stall_cycles) << first.engines[e].name;
  }
  EXPECT_DOUBLE_EQ(first.energy.total_pj, second.energy.total_pj);
}

}  // namespace
}  // namespace savp
