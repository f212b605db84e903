// Records one run as a Chrome / Perfetto timeline (platform/trace/timeline_writer.hpp), fed
// by the models' observers. Layout (process 1 is the platform):
//  - one track (thread) per engine: "controller" (tid 1), then each engine at tid engine + 2
//    ("dma_load", "dma_store", each chunk), named by "M" thread_name events;
//  - an "X" slice (cat "instr") per executed instruction: on its engine's track from its start
//    to its finish, named by its opcode (DMA: "load"/"store") or compute op ("conv", ...);
//    BARRIER and HALT are zero-length slices on the controller's track at the time the
//    engines drained. Arguments: "i" (instruction index in the image), "layer" (when the run
//    has layer spans), "cycles", the figures of the instruction (DMA: "bytes", "rows",
//    "row_bytes", "from", "to"; COMPUTE: "tile" shape, "wbits"), and why it started when it
//    did: "stall_us"/"stall_cycles" (ready, but waiting on dependency tokens), "wait_on" (the
//    engine whose token came last), "reason" ("dram": a DMA instruction that moved DRAM data,
//    "dma": a DMA between on-chip buffers, "token": another chunk), "pred" ("token": the
//    producer of that token, "engine": the previous instruction on the same engine,
//    "dispatch": the controller dispatched it late, "drain": a barrier waiting for the
//    engines) and "pred_i" (the predecessor's instruction index, for "token", "engine" and
//    "drain"). Token edges that stalled an instruction are also drawn as flow events ("s"/"f").
//  - "C" counters: "dram bytes" (read_bytes, write_bytes moved per counter window, from the
//    DRAM's RD/WR commands) and "occupancy <buffer>" (bytes of data written into the buffer,
//    by a DMA or a compute, and not yet read by a compute or a DMA: what waits in the buffer).
// Only events that overlap the trace window are written. Timestamps count from the run's start.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "common/hw_config.hpp"
#include "firmware/isa.hpp"
#include "models/dram/dram_timing.hpp"
#include "platform/platform.hpp"
#include "platform/trace/timeline_writer.hpp"

namespace savp::trace {

class TimelineRecorder {
 public:
  // Opens the file and writes the track names. `code` is the image's code (for the barriers),
  // `layers` the run's layer spans (may be empty).
  TimelineRecorder(const TraceOptions& opt, const HwConfig& hw, const std::string& image_name,
                   const std::vector<std::string>& engine_names,
                   const std::vector<isa::Instruction>& code, uint64_t code_base,
                   const std::vector<LayerSpan>& layers, sc_core::sc_time run_start,
                   sc_core::sc_time cycle);
  ~TimelineRecorder();

  // The controller's observer (models/controller/controller.hpp).
  void instruction(int engine, uint64_t pc, const isa::Instruction& in, sc_core::sc_time ready,
                   sc_core::sc_time start, sc_core::sc_time finish);
  // The DRAM timing model's command hook.
  void dram_command(const dram::Command& c);
  // Writes what is pending and closes the file with the run's metadata. `note` says how the
  // run ended when it did not halt.
  void finish(sc_core::sc_time run_end, bool halted, const std::string& note);

  bool truncated() const { return writer_.truncated(); }

 private:
  struct Buffer;
  struct Produced {
    uint64_t index;
    int64_t finish_ps;
    bool dram;  // a DMA instruction that moved DRAM data
  };
  int64_t ps(sc_core::sc_time t) const;  // from the run's start
  bool in_window(int64_t start_ps, int64_t end_ps) const;
  void slice(int tid, const std::string& name, int64_t start_ps, int64_t end_ps,
             const std::string& args);
  void barriers_done();
  void flush_dram(int64_t upto_ps);
  void dram_counter(int64_t window, uint64_t rd, uint64_t wr);
  Buffer* buffer_at(uint64_t addr);
  void buffer_write(Buffer* b, uint64_t lo, uint64_t hi, int64_t t_ps);
  void buffer_read(Buffer* b, uint64_t lo, uint64_t hi, int64_t t_ps);
  std::string where(uint64_t addr);

  TraceOptions opt_;
  TimelineWriter writer_;
  std::string hw_name_, image_name_;
  double clock_mhz_;
  std::vector<std::string> engines_;
  uint64_t code_base_;
  int64_t res_ps_;  // picoseconds per sc_time tick
  sc_core::sc_time run_start_;
  int64_t cycle_ps_;
  int64_t win_lo_ps_, win_hi_ps_;
  std::vector<int> layer_of_;
  std::vector<std::string> layer_names_;
  std::vector<uint64_t> barrier_index_;  // BARRIER/HALT indices in code order
  std::vector<bool> is_halt_;
  std::vector<uint64_t> seg_expected_, seg_seen_;
  std::vector<int64_t> seg_finish_;
  std::vector<uint64_t> seg_last_;  // the index of the latest-finishing instruction
  size_t next_barrier_ = 0;
  int64_t last_barrier_ps_ = 0;
  int64_t last_barrier_index_ = -1;
  std::vector<int64_t> last_finish_ps_;
  std::vector<int64_t> last_index_;
  std::vector<std::deque<Produced>> channels_;  // [src * n + dst]: the shadow of the tokens
  // DRAM bytes per counter window, not yet written (windows end in order).
  int64_t counter_ps_;
  uint32_t burst_bytes_;
  std::deque<std::pair<uint64_t, uint64_t>> dram_win_;
  int64_t dram_first_ = 0;      // window index of dram_win_.front()
  int64_t dram_last_out_ = -2;  // last window written
  bool dram_last_zero_ = true;
  std::vector<std::unique_ptr<Buffer>> buffers_;
  uint64_t flows_ = 0;
  bool finished_ = false;
};

}  // namespace savp::trace
