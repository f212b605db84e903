// The analytical cost model against the simulation (issue 3, "Correctness"): on the shipped
// hybrid networks the predicted total is within 10% of the simulated total, and the platform's
// per-layer accounting (RunOptions::layers) is consistent.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "mapper/codegen.hpp"
#include "mapper/cost_model.hpp"
#include "mapper/quantized_network.hpp"
#include "platform/platform.hpp"
#include "platform/report.hpp"

namespace savp::mapper {
namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

void check_network(const std::string& net_name) {
  const HwConfig hw = load_hw_config(kSrc + "/configs/hw/default.yaml");
  Network net = load_network(kSrc + "/configs/nets/" + net_name + ".yaml");
  std::vector<int8_t> input = random_input(net, 1);
  QuantizedNetwork q = quantize(net, 1, input);
  MappedNetwork m = generate(q, hw, input);
  const std::vector<LayerPrediction> pred = predict(m, q, hw);
  ASSERT_EQ(pred.size(), net.layers.size());
  RunOptions ro;
  ro.functional = false;
  ro.image_name = net_name;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerPlacement& p = m.layers[i];
    if (p.chunk < 0) continue;
    ro.layers.push_back(LayerSpan{net.layers[i].name, to_string(net.layers[i].type),
                                  p.instr_range[0], p.instr_range[1], pred[i].predicted_cycles,
                                  pred[i].roofline_cycles});
  }
  Platform platform(hw, load_energy_table(hw.energy_table));
  RunResult r = platform.run(m.image, ro);
  ASSERT_EQ(r.layers.size(), ro.layers.size());

  uint64_t predicted = 0, sum_cycles = 0, sum_compute = 0;
  double sum_energy = 0;
  for (const LayerReport& l : r.layers) {
    EXPECT_GT(l.cycles, 0u) << l.name;
    EXPECT_LE(l.compute_cycles, l.cycles) << l.name;
    EXPECT_EQ(l.stall_cycles, l.cycles - l.compute_cycles) << l.name;
    EXPECT_GE(l.cycles, l.roofline_cycles) << l.name;
    predicted += l.predicted_cycles;
    sum_cycles += l.cycles;
    sum_compute += l.compute_cycles;
    sum_energy += l.energy_pj;
  }
  EXPECT_EQ(r.totals.predicted_cycles, predicted);
  EXPECT_EQ(r.totals.cycles, r.cycles);
  EXPECT_EQ(r.totals.compute_cycles, sum_compute);
  // Layers are separated by barriers, except that a layer's last stores run after its barrier
  // (MapOptions::overlap_layers), overlapping the next layer's first tile: a few percent.
  EXPECT_LE(sum_cycles, r.cycles + r.cycles / 20);
  // The layers' energies split the run's energy.
  EXPECT_NEAR(sum_energy, r.energy.total_pj, 1e-6 * r.energy.total_pj);
  // The chunks' busy cycles are the layers' compute cycles.
  uint64_t busy = 0;
  for (const EngineReport& e : r.engines)
    if (e.kind != "dma") busy += e.busy_cycles;
  EXPECT_NEAR(static_cast<double>(busy), static_cast<double>(sum_compute), r.layers.size());

  const double err = (static_cast<double>(predicted) - static_cast<double>(r.cycles)) /
                     static_cast<double>(r.cycles);
  std::printf("%s: predicted %llu, simulated %llu cycles, error %+.2f%%\n", net_name.c_str(),
              static_cast<unsigned long long>(predicted),
              static_cast<unsigned long long>(r.cycles), 100.0 * err);
  EXPECT_LT(std::fabs(err), 0.10) << net_name;

  const auto j = report_json(r);
  ASSERT_TRUE(j.contains("layers"));
  ASSERT_TRUE(j.contains("totals"));
  EXPECT_EQ(j["layers"].size(), r.layers.size());
  for (const char* k : {"cycles", "compute_cycles", "stall_cycles", "predicted_cycles",
                        "roofline_cycles", "energy_pj", "pe_utilization"}) {
    EXPECT_TRUE(j["layers"][0].contains(k)) << k;
    EXPECT_TRUE(j["totals"].contains(k)) << k;
  }
  const std::string text = report_text(r);
  EXPECT_NE(text.find("predicted"), std::string::npos);
  EXPECT_NE(text.find(r.layers.front().name), std::string::npos);
}

TEST(CostModelE2E, FmnistHybridWithin10Percent) { check_network("fmnist-hybrid"); }
TEST(CostModelE2E, Resnet20HybridWithin10Percent) { check_network("resnet20-hybrid"); }
TEST(CostModelE2E, MbconvFbnetWithin10Percent) { check_network("mbconv-fbnet"); }
TEST(CostModelE2E, Resnet50Within10Percent) { check_network("resnet50"); }

TEST(CostModelE2E, NoSpansNoLayers) {
  const HwConfig hw = load_hw_config(kSrc + "/configs/hw/default.yaml");
  Network net = load_network(kSrc + "/configs/nets/fmnist-hybrid.yaml");
  std::vector<int8_t> input = random_input(net, 1);
  QuantizedNetwork q = quantize(net, 1, input);
  MappedNetwork m = generate(q, hw, input);
  Platform platform(hw, load_energy_table(hw.energy_table));
  RunOptions ro;
  ro.functional = false;
  RunResult r = platform.run(m.image, ro);
  EXPECT_TRUE(r.layers.empty());
  EXPECT_FALSE(report_json(r).contains("layers"));
}

}  // namespace
}  // namespace savp::mapper
