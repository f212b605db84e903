// The differentiable mode's hardware cost table: measured per (block, choice), consistent with
// full measurements of candidates, saved and loaded as JSON.
#include "nas/search/cost_table.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "common/file_io.hpp"

namespace savp::nas::search {
namespace {

namespace fs = std::filesystem;
const std::string kDir = std::string(SAVP_SOURCE_DIR) + "/configs/nas/";

TEST(CostTable, SumOfChoicesMatchesMeasuredTotals) {
  const SearchSpace s = load_search_space(kDir + "fmnist.yaml");
  const Layout l(s);
  const HwConfig hw = decode_hardware(l, baseline_candidate(l, OpKind::Mult));
  PlatformEvaluator ev({1, "latency", ""});
  const CostTable t = measure_cost_table(l, ev, hw);
  EXPECT_EQ(t.runs, 19u);  // the most choices any block has
  ASSERT_EQ(t.blocks.size(), 7u);
  for (size_t b = 0; b < t.blocks.size(); ++b)
    for (const CostEntry& e : t.blocks[b]) {
      ASSERT_TRUE(e.ok) << b << " " << e.label;
      if (e.label == "skip") {
        EXPECT_EQ(e.cycles, 0);
      } else {
        EXPECT_GT(e.cycles, 0) << b << " " << e.label;
        EXPECT_GT(e.energy_uj, 0);
      }
    }
  // Larger blocks cost more: e6 over e1 on the same kind and kernel (block 1 at 28x28).
  EXPECT_GT(t.blocks[1][2].cycles, t.blocks[1][0].cycles);  // mult_k3_e6 > mult_k3_e1
  EXPECT_GT(t.fixed_cycles, 0);

  // Consistency: on random candidates, fixed + the sum over the blocks' entries vs the
  // candidate's own measured total. Bounds: 5 % cycles, 8 % energy (what a layer costs depends a
  // little on its neighbours: DMA overlap across layer boundaries, DRAM row state). Measured: 1.6 %
  // / 4.1 %.
  uint64_t rng = 99;
  double worst_c = 0, worst_e = 0;
  for (int i = 0; i < 12; ++i) {
    const Candidate c = random_candidate(l, rng);
    const HwMeasurement m = ev.evaluate(decode_network(l, c), hw);
    ASSERT_TRUE(m.ok);
    worst_c = std::max(worst_c, std::fabs(t.estimate_cycles(l, c) / m.cycles - 1));
    worst_e = std::max(worst_e, std::fabs(t.estimate_energy_uj(l, c) / m.energy_uj - 1));
    EXPECT_NEAR(t.estimate_latency_ms(l, c), t.estimate_cycles(l, c) / (hw.clock_mhz * 1000),
                1e-12);
  }
  std::printf(
      "cost table vs measured totals, 12 random fmnist candidates: worst cycles %.2f%%, "
      "worst energy %.2f%%\n",
      100 * worst_c, 100 * worst_e);
  EXPECT_LT(worst_c, 0.05);
  EXPECT_LT(worst_e, 0.08);
}

TEST(CostTable, SavesAndLoads) {
  const SearchSpace s = load_search_space(kDir + "tiny.yaml");
  const Layout l(s);
  const HwConfig hw = decode_hardware(l, baseline_candidate(l, OpKind::Mult));
  PlatformEvaluator ev({1, "latency", ""});
  const CostTable t = measure_cost_table(l, ev, hw);
  const fs::path p =
      fs::temp_directory_path() / ("savp_cost_" + std::to_string(::getpid()) + ".json");
  save_cost_table(t, p.string());
  const CostTable u = load_cost_table(p.string(), l);
  ASSERT_EQ(u.blocks.size(), t.blocks.size());
  for (size_t b = 0; b < t.blocks.size(); ++b)
    for (size_t k = 0; k < t.blocks[b].size(); ++k) {
      EXPECT_EQ(u.blocks[b][k].label, t.blocks[b][k].label);
      EXPECT_EQ(u.blocks[b][k].cycles, t.blocks[b][k].cycles);
      EXPECT_EQ(u.blocks[b][k].energy_uj, t.blocks[b][k].energy_uj);
    }
  EXPECT_EQ(u.fixed_cycles, t.fixed_cycles);
  const SearchSpace other = load_search_space(kDir + "fmnist.yaml");
  const Layout lo(other);
  EXPECT_THROW(load_cost_table(p.string(), lo), Error);  // another space
  write_file_atomic(p.string(), "{\"format\": \"savp-nas-cost-table\"");
  try {
    load_cost_table(p.string(), l);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad cost table"), std::string::npos);
  }
  fs::remove(p);
}

}  // namespace
}  // namespace savp::nas::search
