// The tiling search end to end: under every objective, and with every loop order forced, the
// generated firmware runs on the platform bit-exact with the reference executor; the objectives
// order the simulated runs as they order the estimates (latency: fewest cycles, energy: least
// DRAM traffic and energy).
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "mapper/codegen.hpp"
#include "mapper/functional_check.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/reference_executor.hpp"
#include "platform/platform.hpp"

namespace savp::mapper {
namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

struct Outcome {
  uint64_t cycles = 0;
  double energy_pj = 0;
  uint64_t dram_bytes = 0;
  std::map<LoopOrder, int> orders;  // layers per chosen loop order
};

Outcome run_bit_exact(const std::string& net_name, const MapOptions& opt_in) {
  const HwConfig hw = load_hw_config(kSrc + "/configs/hw/default.yaml");
  const EnergyTable et = load_energy_table(hw.energy_table);
  MapOptions opt = opt_in;
  opt.energy = &et;
  Network net = load_network(kSrc + "/configs/nets/" + net_name + ".yaml");
  std::vector<int8_t> input = random_input(net, 1);
  QuantizedNetwork q = quantize(net, 1, input);
  MappedNetwork m = generate(q, hw, input, opt);
  Platform p(hw, et);
  RunOptions ro;
  ro.functional = true;
  ro.image_name = net_name;
  RunResult r = p.run(m.image, ro);
  const FunctionalCheck fc = check_outputs(net, run_reference(q, input), r.outputs);
  EXPECT_TRUE(fc.ok) << net_name << " (" << to_string(opt.objective) << "): " << fc.message;
  Outcome out;
  out.cycles = r.cycles;
  out.energy_pj = r.energy.total_pj;
  out.dram_bytes = r.dram.read_bytes + r.dram.write_bytes;
  for (const LayerPlacement& pl : m.layers)
    if (pl.tile_rows > 0) ++out.orders[pl.loop_order];
  return out;
}

MapOptions with(Objective o) {
  MapOptions m;
  m.objective = o;
  return m;
}

TEST(TilingE2E, SmallNetsBitExactUnderEveryObjective) {
  for (const char* net : {"fmnist-mult", "fmnist-shift", "fmnist-adder", "fmnist-hybrid"})
    for (Objective o : {Objective::Latency, Objective::Energy, Objective::Edp})
      run_bit_exact(net, with(o));
}

TEST(TilingE2E, Resnet20HybridObjectivesBitExactAndOrdered) {
  const Outcome lat = run_bit_exact("resnet20-hybrid", with(Objective::Latency));
  const Outcome en = run_bit_exact("resnet20-hybrid", with(Objective::Energy));
  std::printf("resnet20-hybrid latency objective: %llu cycles, %.3f uJ, %llu DRAM bytes\n",
              static_cast<unsigned long long>(lat.cycles), lat.energy_pj * 1e-6,
              static_cast<unsigned long long>(lat.dram_bytes));
  std::printf("resnet20-hybrid energy objective:  %llu cycles, %.3f uJ, %llu DRAM bytes\n",
              static_cast<unsigned long long>(en.cycles), en.energy_pj * 1e-6,
              static_cast<unsigned long long>(en.dram_bytes));
  EXPECT_LT(lat.cycles, en.cycles);
  EXPECT_LT(en.energy_pj, lat.energy_pj);
  EXPECT_LT(en.dram_bytes, lat.dram_bytes);
}

TEST(TilingE2E, EveryLoopOrderBitExact) {
  // Forcing an order applies it to every layer that has candidates of that order (ResNet-20's
  // 16- and 32-channel stages have several output-channel blocks and bands).
  for (LoopOrder lo : {LoopOrder::KBlockOuter, LoopOrder::BandOuter, LoopOrder::WeightsResident}) {
    MapOptions m;
    m.only_order = lo;
    Outcome r = run_bit_exact("resnet20-hybrid", m);
    EXPECT_GT(r.orders[lo], 0) << to_string(lo);
  }
}

}  // namespace
}  // namespace savp::mapper
