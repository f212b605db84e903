// Mapper speed (issue 3: mapping ResNet-50 on the default platform takes at most 1 s): the code
// generator with the tiling search, the cross-layer overlap and the image layout
// (mapper::generate()), timed alone; the weights are quantized once, outside the timing.
// And the analytical cost model's speed (issue 3, anchor: MAESTRO's published ~170k designs
// per second): mapper::estimate() of every tiling candidate of every conv / linear layer, each
// a full estimate (the search itself stops a candidate early once it cannot win).
#include <benchmark/benchmark.h>

#include <map>
#include <string>

#include "common/hw_config.hpp"
#include "common/energy_table.hpp"
#include "mapper/codegen.hpp"
#include "mapper/codegen/layer_prep.hpp"
#include "mapper/tiling.hpp"
#include "mapper/quantized_network.hpp"

namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

struct Prepared {
  savp::HwConfig hw;
  savp::mapper::QuantizedNetwork q;
  std::vector<int8_t> input;
};

const Prepared& prepared(const std::string& net_name) {
  static std::map<std::string, Prepared> cache;
  auto it = cache.find(net_name);
  if (it == cache.end()) {
    Prepared p;
    p.hw = savp::load_hw_config(kSrc + "/configs/hw/default.yaml");
    const savp::mapper::Network net =
        savp::mapper::load_network(kSrc + "/configs/nets/" + net_name + ".yaml");
    p.input = savp::mapper::random_input(net, 1);
    p.q = savp::mapper::quantize(net, 1, p.input);
    it = cache.emplace(net_name, std::move(p)).first;
  }
  return it->second;
}

void map(benchmark::State& state, const std::string& net_name) {
  const Prepared& p = prepared(net_name);
  size_t instrs = 0;
  for (auto _ : state) {
    const savp::mapper::MappedNetwork m = savp::mapper::generate(p.q, p.hw, p.input);
    instrs = m.image.code.size();
    benchmark::DoNotOptimize(instrs);
  }
  state.counters["instructions"] = benchmark::Counter(static_cast<double>(instrs));
}

void BM_MapResNet50(benchmark::State& s) { map(s, "resnet50"); }
void BM_MapResNet20Hybrid(benchmark::State& s) { map(s, "resnet20-hybrid"); }
BENCHMARK(BM_MapResNet50)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MapResNet20Hybrid)->Unit(benchmark::kMillisecond);

// Every conv / linear layer's tiling problem on the default platform, with its candidates.
struct Problems {
  savp::EnergyTable table;
  std::vector<savp::mapper::LayerProblem> probs;
  std::vector<std::vector<savp::mapper::Tiling>> cands;
  size_t total = 0;
};

const Problems& problems(const std::string& net_name) {
  static std::map<std::string, Problems> cache;
  auto it = cache.find(net_name);
  if (it != cache.end()) return it->second;
  const Prepared& p = prepared(net_name);
  Problems& ps = cache[net_name];
  ps.table = savp::load_energy_table(p.hw.energy_table);
  for (const savp::mapper::Layer& l : p.q.net.layers) {
    if (!l.has_weights()) continue;
    const savp::ChunkConfig* found = nullptr;  // the layer's chunk, as the code generator picks
    for (const savp::ChunkConfig& c : p.hw.chunks)
      if (!found && c.kind == l.op) found = &c;
    if (!found) continue;
    const savp::ChunkConfig& cc = *found;
    savp::mapper::LayerProblem prob;
    prob.kind = savp::mapper::codegen::tile_kind(l);
    prob.g = savp::mapper::codegen::geometry(l);
    prob.cc = &cc;
    prob.hw = &p.hw;
    prob.prices = savp::mapper::energy_prices(p.hw, &ps.table, cc, l.weight_bits);
    prob.what = l.name;
    ps.cands.push_back(savp::mapper::enumerate_candidates(prob));
    ps.total += ps.cands.back().size();
    ps.probs.push_back(std::move(prob));
  }
  return ps;
}

void cost_model(benchmark::State& state, const std::string& net_name) {
  const Problems& ps = problems(net_name);
  for (auto _ : state)
    for (size_t i = 0; i < ps.probs.size(); ++i)
      for (const savp::mapper::Tiling& t : ps.cands[i])
        benchmark::DoNotOptimize(savp::mapper::estimate(ps.probs[i], t));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * ps.total));
  state.counters["mappings"] = benchmark::Counter(static_cast<double>(ps.total));
  state.counters["layers"] = benchmark::Counter(static_cast<double>(ps.probs.size()));
}

void BM_CostModelResNet50(benchmark::State& s) { cost_model(s, "resnet50"); }
void BM_CostModelResNet20Hybrid(benchmark::State& s) { cost_model(s, "resnet20-hybrid"); }
BENCHMARK(BM_CostModelResNet50)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CostModelResNet20Hybrid)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
