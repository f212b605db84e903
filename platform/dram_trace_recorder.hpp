// `--dram-trace`: records every request that reaches the platform's DRAM target as a DRAMSys
// .stl trace (models/dram/stl_trace.hpp) while the platform runs.
//
// Clock: the DRAM's own clock (tCK of the DRAM config), counted from the start of the run
// (the DRAM timing model's origin), as DRAMSys's players count cycles of their clock: replay
// the file in DRAMSys with the player's clkMhz set to the DRAM clock (1 / tCK). An arrival
// between two clock edges is written as the next edge (rounded up). Order: the order in
// which the requests reached the DRAM model. Under temporal decoupling a request can reach
// the DRAM with an earlier time than the one before it; since a .stl's absolute cycles must
// not decrease, such a request is written with the previous request's cycle (the request
// order, which decides the row-buffer outcomes, is kept). A request whose bytes span channels
// is written as one line per run of bursts on one channel (DRAMSys routes a line to the
// channel of its start address).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "models/dram/stl_trace.hpp"

namespace savp {

namespace models {
class Dram;
}

class DramTraceRecorder {
 public:
  // Opens `path` (through a temporary file) and hooks into the DRAM. Throws savp::Error when
  // the file cannot be written.
  DramTraceRecorder(const std::string& path, models::Dram& dram);
  ~DramTraceRecorder();  // unhooks; without finish() the partial trace is removed
  DramTraceRecorder(const DramTraceRecorder&) = delete;
  DramTraceRecorder& operator=(const DramTraceRecorder&) = delete;

  // The run ended at end_ps (absolute simulation time): writes the end directive and
  // renames the trace into place.
  void finish(uint64_t end_ps);

  uint64_t requests() const { return writer_->requests(); }
  uint64_t clamped() const { return clamped_; }  // requests written at a later cycle

 private:
  uint64_t to_cycle(uint64_t ps) const;

  models::Dram& dram_;
  std::unique_ptr<dram::StlWriter> writer_;
  uint64_t origin_ps_ = 0, tck_ps_ = 1, last_cycle_ = 0, clamped_ = 0;
};

}  // namespace savp
