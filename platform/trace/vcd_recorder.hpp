// Waveforms of one run through SystemC's own VCD tracing (sc_create_vcd_trace_file /
// sc_trace), readable by GTKWave: per engine a `<engine>_busy` bit, per DRAM bank a
// `bank<N>_state` (0 precharged, 1 a row open, 2 refreshing), per token channel the firmware
// uses a `tokens_<src>_to_<dst>` depth (signalled, not yet consumed), and per DMA queue
// `<dma>_inflight` (bursts issued, not yet done).
//
// The models run temporally decoupled: the observers report changes ahead of the kernel's
// time. The recorder queues each change with its time and one SystemC thread writes the
// signals when the kernel reaches that time (a change reported for a time the kernel has
// already passed is written at once and counted in late_changes()).
//
// SystemC only accepts new signals and trace files before the simulation starts, so a VCD
// can be recorded only by the first run of a Platform (platform/platform.hpp); the file is
// closed at the end of that run.
#pragma once

#include <memory>
#include <queue>
#include <string>
#include <systemc>
#include <utility>
#include <vector>

#include "common/hw_config.hpp"
#include "firmware/isa.hpp"
#include "models/dram/dram_timing.hpp"

namespace savp::trace {

class VcdRecorder : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(VcdRecorder);
  // `channels`: the (src, dst) token channels to show. Throws savp::Error when the
  // simulation has already started or the file cannot be created.
  VcdRecorder(sc_core::sc_module_name name, const std::string& path, const HwConfig& hw,
              const std::vector<std::string>& engine_names,
              const std::vector<std::pair<int, int>>& channels);
  ~VcdRecorder() override;

  // The controller's observer.
  void instruction(int engine, const isa::Instruction& in, sc_core::sc_time ready,
                   sc_core::sc_time start, sc_core::sc_time finish);
  // A DMA queue's burst observer (engine 0: load, 1: store).
  void dma_burst(int engine, sc_core::sc_time issue, sc_core::sc_time done);
  // The DRAM timing model's command hook.
  void dram_command(const dram::Command& c);
  // Closes the file (after the run); later changes are ignored. Throws savp::Error if the
  // file cannot be finished.
  void close();

  uint64_t late_changes() const { return late_; }
  const std::string& path() const { return path_; }

 private:
  struct Change {
    sc_core::sc_time at;
    uint64_t seq;
    int sig;
    int value;
    bool delta;  // add `value` instead of setting it
    bool operator>(const Change& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  int add_signal(const std::string& name, bool is_bit);
  void change(sc_core::sc_time at, int sig, int value, bool delta);
  void apply_thread();

  std::string path_, base_;
  sc_core::sc_trace_file* tf_ = nullptr;
  std::vector<std::unique_ptr<sc_core::sc_signal<bool>>> bits_;
  std::vector<std::unique_ptr<sc_core::sc_signal<int>>> ints_;
  std::vector<std::pair<bool, size_t>> sigs_;  // is_bit, index into bits_ / ints_
  std::vector<int> values_;
  int busy0_ = 0, bank0_ = 0, inflight0_ = 0;
  std::vector<int> channel_sig_;  // [src * n + dst] -> signal, -1: not shown
  int engines_ = 0;
  DramOrganization org_;
  sc_core::sc_time trfc_;
  std::priority_queue<Change, std::vector<Change>, std::greater<Change>> pending_;
  uint64_t seq_ = 0, late_ = 0;
  sc_core::sc_event added_;
  bool open_ = false;
};

}  // namespace savp::trace
