// Simulation speed in loosely-timed mode on one core (Google Benchmark): a long
// double-buffered firmware on the default platform, timing-only and functional.
// Counters: TLM transactions per second and simulated cycles per wall second.
#include <benchmark/benchmark.h>

#include <memory>

#include "bench/long_firmware.hpp"
#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "platform/platform.hpp"

namespace {

savp::Platform& platform() {
  static auto hw = savp::load_hw_config(std::string(SAVP_SOURCE_DIR) + "/configs/hw/default.yaml");
  static savp::Platform p(hw, savp::load_energy_table(hw.energy_table));
  return p;
}

void run(benchmark::State& state, bool functional) {
  savp::fw::Image img = savp::bench::long_firmware(static_cast<int>(state.range(0)));
  savp::RunOptions o;
  o.functional = functional;
  double trans = 0, cycles = 0, wall = 0;
  for (auto _ : state) {
    savp::RunResult r = platform().run(img, o);
    trans += r.simulator.transactions;
    cycles += r.cycles;
    wall += r.simulator.wall_seconds;
  }
  state.counters["transactions_per_s"] = benchmark::Counter(trans / wall);
  state.counters["sim_cycles_per_s"] = benchmark::Counter(cycles / wall);
  state.counters["transactions"] = benchmark::Counter(trans / state.iterations());
}

void BM_TimingOnly(benchmark::State& s) { run(s, false); }
void BM_Functional(benchmark::State& s) { run(s, true); }
BENCHMARK(BM_TimingOnly)->Arg(2000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Functional)->Arg(2000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
