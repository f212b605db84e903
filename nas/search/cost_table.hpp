// The hardware cost table of the differentiable mode (FBNet's latency lookup table, NASA's
// hardware cost): per (searchable block, choice) the latency and energy measured on the
// platform, so that the supernet's expected cost is a sum over the blocks of the Gumbel-softmax
// weights x table entries.
//
// Measured from per-layer figures of full runs (the platform's per-layer accounting,
// platform/run_result.hpp LayerReport): for each choice index j, one network whose every block
// takes choice j (blocks without it take choice 0) is simulated; a block's entry is the sum of
// its layers' cycles and energies. What is outside the blocks (stem, head, pool, classifier,
// DRAM and controller time between layers) is the `fixed` cost: the mean over those runs of the
// run's total minus its blocks' sums. So estimate(c) = fixed + sum of c's entries reproduces
// each calibration run exactly and other candidates within a few percent (the test states the
// bound; the blocks' neighbours change DMA overlap a little).
#pragma once

#include <string>
#include <vector>

#include "common/hw_config.hpp"
#include "nas/search/candidate.hpp"
#include "nas/search/evaluator.hpp"

namespace savp::nas::search {

struct CostEntry {
  std::string label;  // BlockChoice::label()
  bool ok = true;     // false: the choice does not run on this hardware here (then cost huge)
  double cycles = 0;
  double energy_uj = 0;
};

struct CostTable {
  std::string space;       // search space name
  std::string space_hash;  // SearchSpace::hash
  std::string hardware;    // hw config name
  std::string hardware_hash;
  double clock_mhz = 0;
  double fixed_cycles = 0;
  double fixed_energy_uj = 0;
  std::vector<std::vector<CostEntry>> blocks;  // [block][choice] as Layout::block_choices
  uint64_t runs = 0;                           // platform runs that measured it

  // fixed + the entries of c's block choices (skip costs nothing).
  double estimate_cycles(const Layout& layout, const Candidate& c) const;
  double estimate_energy_uj(const Layout& layout, const Candidate& c) const;
  double estimate_latency_ms(const Layout& layout, const Candidate& c) const {
    return estimate_cycles(layout, c) / (clock_mhz * 1000.0);
  }

  std::string to_json() const;
  // Throws savp::Error naming `origin` for malformed JSON or a table of another space / layout.
  static CostTable from_json(const std::string& text, const std::string& origin,
                             const Layout& layout);
};

CostTable measure_cost_table(const Layout& layout, PlatformEvaluator& evaluator,
                             const HwConfig& hw);
// Writes atomically / reads a table file.
void save_cost_table(const CostTable& t, const std::string& path);
CostTable load_cost_table(const std::string& path, const Layout& layout);

}  // namespace savp::nas::search
