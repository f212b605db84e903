// Runs one design point: its hardware config against every network of the sweep, in this
// process (map, predict, simulate timing-only; the sequence of savp run). Independent of how
// points are distributed (in-process, worker processes, MPI ranks): a distributor hands it
// points and stores the rows it returns.
//
// Each point elaborates one Platform (SystemC: one kernel per process at a time; a Platform
// made after the previous one was destroyed gets a fresh kernel context) and runs every
// network's firmware on it. The networks are loaded and quantized once, in the constructor:
// their weights depend on the network and the seed only, not on the hardware.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/energy_table.hpp"
#include "explore/result_store.hpp"
#include "explore/sweep_spec.hpp"
#include "mapper/codegen.hpp"
#include "mapper/network.hpp"
#include "mapper/quantized_network.hpp"
#include "platform/platform.hpp"

namespace savp::explore {

// The full resolved hardware config (every field, presets and defaults applied) as JSON.
std::string config_json(const HwConfig& hw);

// One network mapped (objective, energy prices), predicted and simulated timing-only on a
// long-lived platform: the sequence of savp run --timing-only, shared by the sweep's points and
// the NAS evaluator (nas/search/). `platform` is built from `hw` on first use (after mapping
// succeeded); the caller keeps it for the next network on the same hardware, and should drop
// it when this throws (savp::Error: the network does not fit, or a firmware fault).
struct NetworkRun {
  RunResult run;                         // with per-layer figures (run.layers)
  std::map<std::string, double> values;  // the ResultRow figures: cycles, latency_ms, energy_uj,
                                         // edp_uj_ms, area_mm2, predicted_cycles, dram_*, ...
};
NetworkRun run_network(std::unique_ptr<Platform>& platform, const mapper::QuantizedNetwork& q,
                       const std::vector<int8_t>& input, const HwConfig& hw, const EnergyTable& et,
                       mapper::Objective objective);

class PointRunner {
 public:
  explicit PointRunner(const SweepSpec& spec);

  // One row per network. A network that cannot be mapped or simulated on this point gives a
  // row with ok = false and the reason (an infeasible point is a result, not a sweep error).
  std::vector<ResultRow> run(const Point& p, const HwConfig& hw);

  const std::vector<std::string>& network_names() const { return names_; }

 private:
  struct Net {
    mapper::Network net;
    std::vector<int8_t> input;
    mapper::QuantizedNetwork q;
  };
  const SweepSpec& spec_;
  mapper::Objective objective_;
  std::vector<std::unique_ptr<Net>> nets_;
  std::vector<std::string> names_;
  std::map<std::string, EnergyTable> energy_;  // by path
};

}  // namespace savp::explore
