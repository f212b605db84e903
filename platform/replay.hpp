// `savp replay`: plays a DRAMSys .stl / .rstl trace (models/dram/stl_trace.hpp) against the
// platform's DRAM timing model (the same model, configuration, address mapping and page
// policy as the DRAM behind the platform's interconnect) and reports total time, the latency
// distribution, bandwidth and the row-buffer outcomes per bank.
//
// Timestamps are DRAM tCK cycles (what `--dram-trace` writes; in DRAMSys terms the player's
// clkMhz is the DRAM clock). Request i arrives at cycle_i * tCK and enters the controller
// as dram.scheduler says (frfcfs: DRAMSys's front end and bank-wise request buffers; fcfs:
// when the controller has room, scheduler_queue_depth; see traces/README.md): the model never
// waits on a request that is late, it issues it as soon as the DRAM allows. The trace is
// streamed, so the memory used does not grow with its length.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/hw_config.hpp"

namespace savp {

struct ReplayOptions {
  std::string trace;         // .stl (absolute cycles) or .rstl (relative)
  uint32_t default_bytes = 0;  // length of a line without "(<bytes>)"; 0 = one DRAM burst
  // How a request spanning channels is routed; unset: by its start address under frfcfs
  // (DRAMSys's arbiter), split burst by burst under fcfs (the platform's DRAM target).
  std::optional<DramChannelRouting> channel_routing;
};

struct ReplayBank {
  uint32_t channel = 0, rank = 0, bank_group = 0, bank = 0;
  uint64_t hits = 0, misses = 0, conflicts = 0;
};

struct ReplayResult {
  std::string trace, preset, page_policy;
  std::string channel_routing;  // "split" or "start_address"
  double tck_ns = 0.0;
  uint64_t requests = 0, read_requests = 0, write_requests = 0;
  uint64_t reads = 0, writes = 0;  // bursts (column commands)
  uint64_t read_bytes = 0, write_bytes = 0;
  uint64_t activates = 0, precharges = 0, refreshes = 0;
  uint64_t row_hits = 0, row_misses = 0, row_conflicts = 0;
  uint64_t last_arrival_cycle = 0;  // of the trace
  uint64_t end_cycle = 0;           // `# savp: end` when present, else when the last data is done
  // From cycle 0 to the end of the last request's data (DRAMSys's simulated time).
  double total_time_ns = 0.0;
  double bandwidth_gbps = 0.0, peak_bandwidth_gbps = 0.0;  // bytes over total_time_ns
  // Per request: data done - arrival. Percentiles are nearest-rank from a histogram exact
  // below 4096 tCK and within 1/2048 above.
  double latency_mean_ns = 0.0, latency_p50_ns = 0.0, latency_p99_ns = 0.0,
         latency_max_ns = 0.0;
  std::vector<ReplayBank> banks;  // every bank, by channel, rank, bank group, bank
  double wall_seconds = 0.0;
};

// Throws savp::Error when the trace cannot be read, dram::TraceError (file, line, field,
// what is allowed) on a bad line, ConfigError on a bad DRAM config.
ReplayResult replay_trace(const DramConfig& dram, const ReplayOptions& opt);

nlohmann::json replay_json(const ReplayResult& r);
std::string replay_text(const ReplayResult& r);
// Writes replay_json(r) to path through a temporary file renamed into place.
void write_replay_report(const ReplayResult& r, const std::string& path);

}  // namespace savp
