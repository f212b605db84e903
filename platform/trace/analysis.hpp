// `savp analyze`: where the time of a run went, from the timeline it recorded with --trace
// (platform/trace/timeline_recorder.hpp describes the events and their arguments).
//  - per engine: busy (executing), stall (an instruction was ready but waited on dependency
//    tokens) and idle cycles, as the run report counts them;
//  - per layer: its span, its chunk's busy and stall cycles, the DMA queues' busy cycles;
//  - the top stall causes: stalled engine x the engine whose token came last x why ("dram":
//    the token came from a DMA instruction that moved DRAM data, "dma": a DMA between on-chip
//    buffers, "token": another chunk);
//  - the critical path: from the instruction that finished last, back through what each
//    instruction waited for (the token that came last, the previous instruction on its
//    engine, a barrier draining the engines, or the controller's dispatch), to the start.
// The file is read as a stream (a huge timeline is never held whole in memory; the slices'
// figures are).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace savp::trace {

struct EngineBreakdown {
  std::string name;
  uint64_t instructions = 0;
  uint64_t busy_cycles = 0, stall_cycles = 0, idle_cycles = 0;
};

struct LayerBreakdown {
  std::string name;
  std::string chunk;  // the chunk its COMPUTEs ran on ("-": none)
  uint64_t instructions = 0;
  uint64_t cycles = 0;  // earliest start to latest finish of its instructions
  uint64_t compute_busy_cycles = 0, compute_stall_cycles = 0;
  uint64_t load_busy_cycles = 0, store_busy_cycles = 0;
  uint64_t stall_cycles = 0;  // all its instructions' token waits
  std::string top_cause;      // "mult0 on dma_load (dram)", or "-"
};

struct StallCause {
  std::string engine;   // the engine that waited
  std::string wait_on;  // the engine whose token came last
  std::string reason;   // dram, dma, token
  uint64_t cycles = 0;
  uint64_t count = 0;  // instructions
};

// Consecutive critical-path instructions on one engine in one layer.
struct PathSegment {
  std::string engine, layer;
  std::string via;  // how the path entered it: token, engine, drain, dispatch, start
  uint64_t first_index = 0, last_index = 0, instructions = 0;
  uint64_t busy_cycles = 0;  // executing
  uint64_t wait_cycles = 0;  // between a predecessor's finish and the next start
  double start_us = 0, end_us = 0;
};

// The critical path's time in one layer: cycles executing on each engine, and between.
struct PathLayer {
  std::string layer;
  std::vector<std::pair<std::string, uint64_t>> busy_cycles;  // engine -> cycles, path order
  uint64_t wait_cycles = 0;
  uint64_t instructions = 0;
};

struct TimelineAnalysis {
  std::string file, hw, image;
  double clock_mhz = 0;
  uint64_t cycles = 0;  // the run's, from the metadata
  double end_us = 0;
  bool halted = false, truncated = false, windowed = false;
  uint64_t slices = 0, barriers = 0;
  std::vector<EngineBreakdown> engines;
  std::vector<LayerBreakdown> layers;
  uint64_t stall_cycles = 0;
  std::vector<StallCause> causes;      // largest first
  std::vector<PathSegment> path;       // in time order
  std::vector<PathLayer> path_layers;  // in time order (a layer the path returns to repeats)
  uint64_t path_instructions = 0, path_busy_cycles = 0, path_wait_cycles = 0;
  bool path_complete = false;  // reached the run's start (not cut by a window or truncation)
};

// Reads a timeline. Throws savp::Error naming the file (and line and column for malformed
// JSON, the event's position for a malformed event) when it is not a savp timeline.
TimelineAnalysis analyze_timeline(const std::string& path);

nlohmann::json analysis_json(const TimelineAnalysis& a);
// Readable tables; at most `max_path_rows` critical-path rows (the JSON has all).
std::string analysis_text(const TimelineAnalysis& a, size_t max_path_rows = 40);

}  // namespace savp::trace
