// The DRAM as a TLM target: storage (dram_storage.hpp) separate from timing
// (dram_timing.hpp), as in DRAMSys. Each transaction's arrival time is the kernel time plus
// the initiator's annotated delay; the timing engine returns when its last data beat is done.
#pragma once

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

 protected:
  void read(uint64_t addr, uint8_t* dst, unsigned len, sc_core::sc_time& delay) override;
  void write(uint64_t addr, const uint8_t* src, unsigned len, sc_core::sc_time& delay) override;
  void debug_read(uint64_t addr, uint8_t* dst, unsigned len) override;
  void debug_write(uint64_t addr, const uint8_t* src, unsigned len) override;

 private:
  void timed(uint64_t addr, unsigned len, bool is_write, sc_core::sc_time& delay);

  dram::DramTimingModel timing_;
  dram::DramStorage storage_;
};

}  // namespace savp::models
