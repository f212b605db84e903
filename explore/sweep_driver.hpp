// Runs a sweep: samples the points, filters them by the constraints, skips the points the
// database already holds, and runs the rest, in this process (jobs = 1) or in a pool of worker
// processes (jobs > 1), each result stored as it completes (explore/result_store.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "explore/result_store.hpp"
#include "explore/sweep_spec.hpp"

namespace savp::explore {

struct SweepOptions {
  std::string db;
  unsigned jobs = 1;
  bool progress = false;  // redraw a progress line (done/total, rate, ETA) on `out`
  double lock_wait_s = kDefaultLockWaitS;  // how long to wait for another process's DB lock
};

struct SweepSummary {
  uint64_t sampled = 0;       // points the spec samples
  uint64_t rejected = 0;      // filtered out by the constraints
  uint64_t already_done = 0;  // found in the database
  uint64_t ran = 0;           // run now
  uint64_t failed_rows = 0;   // (point, network) rows of this session recorded as infeasible
  double seconds = 0;         // wall-clock time of the runs
  bool root = true;           // false on MPI ranks other than 0 (they print nothing)
  unsigned ranks = 0;         // MPI ranks of the run (0: not under MPI)
};

// A point that passed the constraints, with its resolved hardware config.
struct Planned {
  Point point;
  HwConfig hw;
};

// Samples the spec's points, resolves and validates each, and keeps those that pass the
// constraints (in sample order). Throws savp::Error on bad input and when the constraints
// reject every point. Deterministic: every MPI rank computes the same plan from the same spec.
std::vector<Planned> plan_sweep(const SweepSpec& spec, SweepSummary& sum);

class PointRunner;

// plan_sweep, and the networks loaded and quantized for the runs (explore/point_runner.hpp),
// prepared on two threads at once (both are serial start-up that every worker waits for; the
// thread has ended when this returns, so the caller may fork). A bad spec is reported before
// a bad network, as if the two ran one after the other.
struct Prepared {
  std::vector<Planned> plan;
  std::unique_ptr<PointRunner> runner;
};
Prepared prepare_sweep(const SweepSpec& spec, SweepSummary& sum);

// Indices into `plan` of the points the database does not hold completely; counts the others in
// sum.already_done.
std::vector<uint32_t> pending_points(const std::set<uint32_t>& done,
                                     const std::vector<Planned>& plan, SweepSummary& sum);

// (point, network) rows recorded as infeasible.
uint64_t count_failed(const std::vector<ResultRow>& rows);

// "12/40 points  3.1 points/s  ETA 9 s", redrawn in place at most 5 times a second.
class SweepProgress {
 public:
  SweepProgress(std::ostream& out, bool on, uint64_t total);
  void step(uint64_t done);
  void finish();

 private:
  std::ostream& out_;
  bool on_;
  uint64_t total_, done_ = 0;
  std::chrono::steady_clock::time_point start_, last_{};
};

// Throws savp::Error on bad input (nothing written), and when a worker failed (the points it
// did not finish are left for a rerun).
SweepSummary run_sweep(const SweepSpec& spec, const SweepOptions& opt, std::ostream& out);

}  // namespace savp::explore
