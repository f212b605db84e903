// What a run records besides its report (savp run / sim --trace, --trace-window,
// --trace-max-mb, --vcd). Plain data: platform/platform.hpp carries it in RunOptions.
#pragma once

#include <cstdint>
#include <string>

namespace savp {

struct TraceOptions {
  // Chrome / Perfetto trace-event JSON timeline (platform/trace/timeline_recorder.hpp); empty:
  // none.
  std::string timeline_path;
  // Only events that overlap [window_start_us, window_end_us] of simulated time, counted from
  // the run's start, are written; window_end_us <= 0 means "to the end of the run".
  double window_start_us = 0.0;
  double window_end_us = 0.0;
  // The timeline file stops growing at this size: recording stops (the run goes on), the
  // file's metadata says so and stays valid JSON.
  uint64_t max_bytes = uint64_t{256} << 20;
  // Width of the DRAM bandwidth counter's windows, in simulated us.
  double counter_window_us = 1.0;
  // SystemC VCD waveforms (platform/trace/vcd_recorder.hpp); empty: none. Only the first run
  // of a Platform can record one: SystemC trace files must exist before the simulation starts.
  std::string vcd_path;

  bool any() const { return !timeline_path.empty() || !vcd_path.empty(); }
};

}  // namespace savp
