// Runs a sweep: samples the points, filters them by the constraints, skips the points the
// database already holds, and runs the rest, in this process (jobs = 1) or in a pool of worker
// processes (jobs > 1), each result stored as it completes (explore/result_store.hpp).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "explore/sweep_spec.hpp"

namespace savp::explore {

struct SweepOptions {
  std::string db;
  unsigned jobs = 1;
  bool progress = false;  // redraw a progress line (done/total, rate, ETA) on `out`
};

struct SweepSummary {
  uint64_t sampled = 0;       // points the spec samples
  uint64_t rejected = 0;      // filtered out by the constraints
  uint64_t already_done = 0;  // found in the database
  uint64_t ran = 0;           // run now
  uint64_t failed_rows = 0;   // (point, network) rows of this session recorded as infeasible
  double seconds = 0;         // wall-clock time of the runs
};

// Throws savp::Error on bad input (nothing written), and when a worker failed (the points it
// did not finish are left for a rerun).
SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& opt, std::ostream& out);

}  // namespace savp::explore
