// The platform evaluator: in-process measurements equal a direct savp-run-style run, the cache
// answers repeats without a platform call, persists across evaluators, and refuses a corrupt
// file.
#include "nas/search/evaluator.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/file_io.hpp"
#include "explore/point_runner.hpp"
#include "mapper/codegen.hpp"
#include "mapper/quantized_network.hpp"
#include "nas/search/candidate.hpp"
#include "tests/nas_search/temp_dir.hpp"

namespace savp::nas::search {
namespace {

namespace fs = std::filesystem;
const std::string kDir = std::string(SAVP_SOURCE_DIR) + "/configs/nas/";

fs::path temp_dir(const std::string& name) { return test::temp_dir("savp_nas_eval_", name); }

TEST(Evaluator, MeasuresAsARunAndCaches) {
  const SearchSpace s = load_search_space(kDir + "tiny.yaml");
  const Layout l(s);
  const HwConfig hw = decode_hardware(l, baseline_candidate(l, OpKind::Mult));
  const mapper::Network net = decode_network(l, baseline_candidate(l, OpKind::Shift));
  PlatformEvaluator ev({3, "latency", ""});
  const HwMeasurement m = ev.evaluate(net, hw);
  ASSERT_TRUE(m.ok) << m.error;
  EXPECT_EQ(ev.platform_calls(), 1u);
  EXPECT_EQ(ev.cache_hits(), 0u);
  EXPECT_GT(m.cycles, 0);
  // Latency is the simulated time (it may end between controller clock edges): cycles at
  // the clock within a fraction of a percent.
  EXPECT_NEAR(m.latency_ms, m.cycles / (hw.clock_mhz * 1000.0), 1e-3 * m.latency_ms);
  EXPECT_GT(m.energy_uj, 0);
  // Weight bytes are the mapper's streams for the quantized weights, plus int32 biases.
  {
    const auto input = mapper::random_input(net, 3);
    const auto q = mapper::quantize(net, 3, input);
    const mapper::MappedNetwork mapped = mapper::generate(q, hw, input);
    uint64_t stored = 0;
    for (const auto& p : mapped.layers) stored += p.weight_bytes_stored;
    uint64_t biases = 0;
    for (const auto& ly : net.layers) biases += 4 * ly.bias_count();
    EXPECT_EQ(m.weight_bytes, stored + biases);
  }

  // A repeat is a cache hit with identical figures.
  const HwMeasurement again = ev.evaluate(net, hw);
  EXPECT_EQ(ev.platform_calls(), 1u);
  EXPECT_EQ(ev.cache_hits(), 1u);
  EXPECT_EQ(again.cycles, m.cycles);
  EXPECT_EQ(again.energy_uj, m.energy_uj);

  // The name does not matter, the structure and the hardware do.
  mapper::Network renamed = net;
  renamed.name = "other";
  ev.evaluate(renamed, hw);
  EXPECT_EQ(ev.cache_hits(), 2u);
  HwConfig wide = hw;
  wide.chunks[wide.chunk_index("shift0")].cols = 32;
  const HwMeasurement w = ev.evaluate(net, wide);
  EXPECT_EQ(ev.platform_calls(), 2u);
  ASSERT_TRUE(w.ok);
  EXPECT_NE(PlatformEvaluator::hardware_hash(wide), PlatformEvaluator::hardware_hash(hw));
  // And back on the first hardware: still cached, no platform call.
  ev.evaluate(net, hw);
  EXPECT_EQ(ev.platform_calls(), 2u);
}

TEST(Evaluator, SameCyclesAsTheSweepRunner) {
  const SearchSpace s = load_search_space(kDir + "tiny.yaml");
  const Layout l(s);
  const HwConfig hw = decode_hardware(l, baseline_candidate(l, OpKind::Mult));
  const mapper::Network net = decode_network(l, baseline_candidate(l, OpKind::Mult));
  double cycles = 0, energy = 0;
  {
    std::unique_ptr<Platform> p;
    const auto input = mapper::random_input(net, 5);
    const auto q = mapper::quantize(net, 5, input);
    const EnergyTable et = load_energy_table(hw.energy_table);
    const explore::NetworkRun r =
        explore::run_network(p, q, input, hw, et, mapper::Objective::Latency);
    cycles = r.values.at("cycles");
    energy = r.values.at("energy_uj");
  }
  PlatformEvaluator ev({5, "latency", ""});
  const HwMeasurement m = ev.evaluate(net, hw);
  EXPECT_EQ(m.cycles, cycles);
  EXPECT_DOUBLE_EQ(m.energy_uj, energy);
}

TEST(Evaluator, FiguresDoNotDependOnThePlatformsHistory) {
  // The first run on a fresh platform once gave 5499 cycles for tiny's all-shift network and
  // every later run 5524 (models/controller: fixed there): a resumed search (fresh platform)
  // would then measure differently from an uninterrupted one.
  const SearchSpace s = load_search_space(kDir + "tiny.yaml");
  const Layout l(s);
  const HwConfig hw = decode_hardware(l, baseline_candidate(l, OpKind::Mult));
  const mapper::Network a = decode_network(l, baseline_candidate(l, OpKind::Shift));
  const mapper::Network m = decode_network(l, baseline_candidate(l, OpKind::Mult));
  HwMeasurement fresh_a, fresh_m;
  {
    PlatformEvaluator ev({7, "latency", ""});
    fresh_a = ev.evaluate(a, hw, true);
  }
  {
    PlatformEvaluator ev({7, "latency", ""});
    fresh_m = ev.evaluate(m, hw, true);
  }
  PlatformEvaluator ev({7, "latency", ""});
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(ev.evaluate(m, hw, true).cycles, fresh_m.cycles);
    const HwMeasurement x = ev.evaluate(a, hw, true);  // `layers` always simulates
    EXPECT_EQ(x.cycles, fresh_a.cycles);
    EXPECT_EQ(x.energy_uj, fresh_a.energy_uj);
  }
  EXPECT_EQ(ev.platform_calls(), 6u);
}

TEST(Evaluator, CachePersistsAndResumes) {
  const fs::path dir = temp_dir("persist");
  const std::string path = (dir / "cache.json").string();
  const SearchSpace s = load_search_space(kDir + "tiny.yaml");
  const Layout l(s);
  const HwConfig hw = decode_hardware(l, baseline_candidate(l, OpKind::Mult));
  const mapper::Network a = decode_network(l, baseline_candidate(l, OpKind::Mult));
  const mapper::Network b = decode_network(l, baseline_candidate(l, OpKind::Shift));
  HwMeasurement ma;
  {
    PlatformEvaluator ev({1, "latency", path});
    ma = ev.evaluate(a, hw);
    ev.evaluate(b, hw);
    ev.save();
  }
  PlatformEvaluator ev({1, "latency", path});
  EXPECT_EQ(ev.cache_size(), 2u);
  HwMeasurement got;
  ASSERT_TRUE(ev.cached(a, hw, &got));
  EXPECT_EQ(got.cycles, ma.cycles);
  EXPECT_EQ(got.energy_uj, ma.energy_uj);  // bit-identical through the JSON file
  ev.evaluate(a, hw);
  EXPECT_EQ(ev.platform_calls(), 0u);
  EXPECT_EQ(ev.cache_hits(), 1u);
  // Another seed is another experiment: refused, not silently mixed.
  EXPECT_THROW(PlatformEvaluator({2, "latency", path}), Error);
  fs::remove_all(dir);
}

TEST(Evaluator, CorruptCacheIsAClearError) {
  const fs::path dir = temp_dir("corrupt");
  const std::string path = (dir / "cache.json").string();
  for (const std::string& text :
       {std::string("{\"format\": \"savp-nas-eval-cache\", \"vers"), std::string("[1, 2]"),
        std::string("{\"format\": \"savp-nas-eval-cache\", \"version\": 1, "
                    "\"seed\": 1, \"objective\": \"latency\", "
                    "\"entries\": {\"k\": {\"ok\": 3}}}")}) {
    write_file_atomic(path, text);
    try {
      PlatformEvaluator ev({1, "latency", path});
      FAIL() << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("corrupt evaluation cache"), std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    }
  }
  fs::remove_all(dir);
}

TEST(Evaluator, ANetworkThatDoesNotFitIsAResult) {
  const SearchSpace s = load_search_space(kDir + "tiny.yaml");
  const Layout l(s);
  HwConfig hw = decode_hardware(l, baseline_candidate(l, OpKind::Mult));
  hw.chunks.erase(hw.chunks.begin() + hw.chunk_index("shift0"));
  hw.fallbacks.clear();
  const mapper::Network net = decode_network(l, baseline_candidate(l, OpKind::Shift));
  PlatformEvaluator ev({1, "latency", ""});
  const HwMeasurement m = ev.evaluate(net, hw);
  EXPECT_FALSE(m.ok);
  EXPECT_NE(m.error.find("shift"), std::string::npos) << m.error;
  EXPECT_EQ(m.weight_bytes, compressed_weight_bytes(net));
  // Cached like any result, and the evaluator keeps working afterwards.
  ev.evaluate(net, hw);
  EXPECT_EQ(ev.platform_calls(), 1u);
  const HwConfig ok_hw = decode_hardware(l, baseline_candidate(l, OpKind::Mult));
  EXPECT_TRUE(ev.evaluate(net, ok_hw).ok);
}

// Issue 8: the budget's figure is the true stored size. tiny's all-mult candidate (stem 72,
// b0 dw 72 + project 128, b1 expand 16x48 = 768 + dw 432 + project 768, fc 64 weights) with
// its two blocks at 4 bits and 75% sparse: the mapper stores those layers as bitmask streams,
// a mask bit and 4 bits per kept weight, so the measured bytes fall well below the dense
// 8-bit figure and close to the estimate (which leaves out the 16-byte stream headers).
TEST(Evaluator, WeightBytesAreTheCompressedStreams) {
  const SearchSpace s = parse_search_space(R"(
input: {h: 8, w: 8, c: 1}
classes: 4
skeleton:
  stem: {channels: 8, kernel: 3, stride: 1, op: mult}
  stages:
    - {channels: 16, stride: 2, blocks: 2}
choices:
  ops: [mult]
  kernels: [3]
  expansions: [1, 3]
  weight_bits: {mult: [4, 8], shift: [4, 5], adder: [4, 8]}
  sparsity: [0.0, 0.75]
training:
  phases:
    - {train: [mult], epochs: 1}
search:
  objectives: [accuracy, energy_uj]
hardware:
  config: configs/hw/default.yaml
baselines: {ops: [mult], kernel: 3, expansion: 3}
)",
                                           "udc-tiny.yaml");
  const Layout l(s);
  Candidate dense = baseline_candidate(l, OpKind::Mult);  // 8 bits, sparsity 0
  Candidate packed = dense;
  for (uint32_t b = 0; b < 2; ++b) {
    packed.genes[l.bits_gene(b)] = 0;
    packed.genes[l.sparsity_gene(b)] = 1;
  }
  const HwConfig hw = decode_hardware(l, dense);
  PlatformEvaluator ev({1, "latency", ""});
  const mapper::Network nd = decode_network(l, dense), np = decode_network(l, packed);
  const HwMeasurement md = ev.evaluate(nd, hw), mp = ev.evaluate(np, hw);
  ASSERT_TRUE(md.ok && mp.ok) << md.error << mp.error;
  // Dense 8-bit mult weights are stored as they are: one byte each (+ biases).
  uint64_t weights = 0, biases = 0;
  for (const auto& ly : nd.layers) weights += ly.weight_count(), biases += 4 * ly.bias_count();
  EXPECT_EQ(md.weight_bytes, weights + biases);
  // Compressed: at least the estimate (the payload), at most the estimate plus one 16-byte
  // header per weight block of each compressed layer, and far below dense.
  const uint64_t est = compressed_weight_bytes(np);
  EXPECT_GE(mp.weight_bytes, est);
  EXPECT_LT(mp.weight_bytes, est + 16 * 64);
  EXPECT_LT(mp.weight_bytes, md.weight_bytes * 6 / 10);
}

}  // namespace
}  // namespace savp::nas::search
