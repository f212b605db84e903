// Mapper speed (issue 3: mapping ResNet-50 on the default platform takes at most 1 s): the code
// generator with the tiling search, the cross-layer overlap and the image layout
// (mapper::generate()), timed alone; the weights are quantized once, outside the timing.
#include <benchmark/benchmark.h>

#include <map>
#include <string>

#include "common/hw_config.hpp"
#include "mapper/codegen.hpp"
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

}  // namespace

BENCHMARK_MAIN();
