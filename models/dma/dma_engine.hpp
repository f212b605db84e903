// A DMA queue engine: 2D strided copies between any two platform addresses, split into
// bursts of at most `burst_bytes` (never crossing a burst-aligned boundary of the source),
// with up to `max_outstanding` bursts in flight: burst i may not issue before burst
// i - max_outstanding has completed. Each burst is a read transaction followed, when the
// data arrive, by a write transaction, both through the interconnect.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <functional>
#include <vector>

#include "common/hw_config.hpp"
#include "models/controller/engine.hpp"

namespace savp::models {

struct DmaStats {
  uint64_t instructions = 0;
  uint64_t bursts = 0;
  uint64_t bytes = 0;
  uint64_t transactions = 0;
  void reset() { *this = DmaStats{}; }
};

// Observer of each burst, for traces: (issue time, src, dst, bytes, done time).
using DmaObserver = std::function<void(sc_core::sc_time, uint64_t, uint64_t, uint32_t,
                                       sc_core::sc_time)>;

class DmaEngine : public sc_core::sc_module, public Engine {
 public:
  tlm_utils::simple_initiator_socket<DmaEngine> out;

  DmaEngine(sc_core::sc_module_name name, const DmaConfig& cfg, sc_core::sc_time cycle,
            std::string label);

  std::string engine_label() const override { return label_; }
  sc_core::sc_time execute(const isa::Instruction& in, sc_core::sc_time start) override;

  const DmaStats& stats() const { return stats_; }
  void reset_stats() { stats_.reset(); }
  void set_observer(DmaObserver obs) { observer_ = std::move(obs); }

 private:
  // One transaction; returns its absolute completion time. Throws on an address error.
  sc_core::sc_time transact(tlm::tlm_command cmd, uint64_t addr, uint32_t len,
                            sc_core::sc_time at);

  DmaConfig cfg_;
  sc_core::sc_time cycle_;
  std::string label_;
  std::vector<uint8_t> buf_;
  std::vector<sc_core::sc_time> inflight_;  // completion times, ring of max_outstanding
  tlm::tlm_generic_payload trans_;
  DmaStats stats_;
  DmaObserver observer_;
};

}  // namespace savp::models
