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

namespace savp::nas::search {
namespace {

namespace fs = std::filesystem;
const std::string kDir = std::string(SAVP_SOURCE_DIR) + "/configs/nas/";

fs::path temp_dir(const std::string& name) {
  fs::path d =
      fs::temp_directory_path() / ("savp_nas_eval_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

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
  EXPECT_EQ(m.weight_bytes, compressed_weight_bytes(net));

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

}  // namespace
}  // namespace savp::nas::search
