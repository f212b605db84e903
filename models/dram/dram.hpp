// The DRAM as a TLM target: storage (dram_storage.hpp) separate from timing
// (dram_timing.hpp), as in DRAMSys. Each transaction's arrival time is the kernel time plus
// the initiator's annotated delay; the timing engine returns when its last data beat is done.
// b_transport must answer each request when it arrives, so the target decides requests in the
// order they reach it (DramTimingModel::access, first come first served) whatever
// dram.scheduler says; the FR-FCFS scheduler, which lets a later row hit overtake, serves
// `savp replay` (DramTimingModel::submit).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "common/hw_config.hpp"
#include "models/base/memory_target.hpp"
#include "models/dram/dram_storage.hpp"
#include "models/dram/dram_timing.hpp"

namespace savp::models {

class Dram : public MemoryTarget {
 public:
  Dram(sc_core::sc_module_name name, const DramConfig& cfg);

  dram::DramTimingModel& timing() { return timing_; }
  const dram::DramTimingModel& timing() const { return timing_; }
  dram::DramStorage& storage() { return storage_; }

  // Called for every timed request, in the order the requests reach the DRAM, with its
  // arrival time in ps (kernel time plus the initiator's annotated delay) as the timing engine
  // sees it. Under temporal decoupling arrivals need not increase from one request to the
  // next. nullptr: none (costs nothing).
  using RequestHook =
      std::function<void(uint64_t arrival_ps, uint64_t addr, unsigned len, bool is_write)>;
  void set_request_hook(RequestHook hook) { request_hook_ = std::move(hook); }

 protected:
  void read(uint64_t addr, uint8_t* dst, unsigned len, sc_core::sc_time& delay) override;
  void write(uint64_t addr, const uint8_t* src, unsigned len, sc_core::sc_time& delay) override;
  void debug_read(uint64_t addr, uint8_t* dst, unsigned len) override;
  void debug_write(uint64_t addr, const uint8_t* src, unsigned len) override;

 private:
  void timed(uint64_t addr, unsigned len, bool is_write, sc_core::sc_time& delay);

  dram::DramTimingModel timing_;
  dram::DramStorage storage_;
  RequestHook request_hook_;
};

}  // namespace savp::models
