// The top level: builds every model from a hardware config, binds them, and runs firmware
// images on them. SystemC allows one simulation kernel per process, so a process
// elaborates one Platform and runs many images on it (load, reset statistics, run until
// HALT); a Platform made after an earlier one was destroyed gets a fresh kernel context.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "firmware/image.hpp"
#include "platform/run_result.hpp"
#include "platform/trace/trace_options.hpp"

namespace savp {

// A layer's instructions [first, last) in the image's code, for per-layer accounting. Plain
// data so platform/ does not depend on the mapper; predicted / roofline cycles are copied to
// the report as given.
struct LayerSpan {
  std::string name;
  std::string op;
  uint64_t first = 0, last = 0;
  uint64_t predicted_cycles = 0, roofline_cycles = 0;
};

// The mapper's weight storage of one layer span (issue 8; LayerReport's weight fields).
struct LayerWeights {
  std::string format;  // "dense", "packed", "bitmask"; empty: no weights
  uint64_t raw_bytes = 0, stored_bytes = 0;
};

struct RunOptions {
  bool functional = true;       // compute real outputs on the chunks
  double max_sim_time_us = 0;   // stop a run that simulates longer (0 = no limit)
  // Stop a run that takes longer than this in wall-clock seconds (0 = no limit): the kernel
  // then runs in slices of simulated time and the clock is checked between them.
  double max_wall_s = 0;
  std::string image_name;       // for the report
  std::vector<LayerSpan> layers;  // when non-empty, RunResult::layers is filled
  std::vector<LayerWeights> layer_weights;  // empty, or one per entry of `layers`
  TraceOptions trace;           // --trace timeline, --vcd waveforms (platform/trace/)
  // When set, every request that reaches the DRAM is written here in DRAMSys's .stl format
  // (.rstl: relative timestamps), in DRAM tCK cycles from the start of the run
  // (models/dram/stl_trace.hpp, traces/README.md).
  std::string dram_trace;
};

class Platform {
 public:
  Platform(const HwConfig& hw, const EnergyTable& energy);
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  // Runs an image to HALT. Throws SimulationError on a firmware fault or deadlock (with the
  // instruction address and the engines' states) and FirmwareError if the image does not
  // fit the platform (code or data outside DRAM, a chunk the platform lacks).
  RunResult run(const fw::Image& image, const RunOptions& options = {});

  const HwConfig& config() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace savp
