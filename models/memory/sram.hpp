// An on-chip SRAM buffer: capacity, banks, port width and access latency from the config.
// One port for the interconnect (DMA traffic, timed per transaction) and DMI for the chunk
// that owns it (the chunk reports its operand traffic with add_local_traffic()).
#pragma once

#include <cstdint>
#include <vector>

#include "common/hw_config.hpp"
#include "models/base/memory_target.hpp"
#include "models/base/occupancy.hpp"

namespace savp::models {

struct SramStats {
  uint64_t reads = 0, writes = 0;            // accesses, in port-width words
  uint64_t read_bytes = 0, write_bytes = 0;
  void reset() { *this = SramStats{}; }
};

class Sram : public MemoryTarget {
 public:
  Sram(sc_core::sc_module_name name, const SramConfig& cfg, sc_core::sc_time cycle);

  const SramConfig& config() const { return cfg_; }
  const SramStats& stats() const { return stats_; }
  void reset_stats();
  uint8_t* data() { return mem_.data(); }
  // Operand traffic of the owning chunk, which reaches the array through DMI.
  void add_local_traffic(uint64_t read_bytes, uint64_t write_bytes);
  // Bytes per cycle over all banks.
  uint64_t bandwidth_bytes_per_cycle() const {
    return static_cast<uint64_t>(cfg_.banks) * cfg_.port_width_bytes;
  }

 protected:
  void read(uint64_t addr, uint8_t* dst, unsigned len, sc_core::sc_time& delay) override;
  void write(uint64_t addr, const uint8_t* src, unsigned len, sc_core::sc_time& delay) override;
  void debug_read(uint64_t addr, uint8_t* dst, unsigned len) override;
  void debug_write(uint64_t addr, const uint8_t* src, unsigned len) override;
  uint8_t* dmi_pointer() override { return mem_.data(); }
  sc_core::sc_time dmi_read_latency() const override { return cycle_ * cfg_.read_latency_cycles; }
  sc_core::sc_time dmi_write_latency() const override {
    return cycle_ * cfg_.write_latency_cycles;
  }

 private:
  uint64_t words_touched(uint64_t addr, unsigned len) const;
  sc_core::sc_time access(unsigned len, uint32_t latency_cycles, const sc_core::sc_time& delay);

  SramConfig cfg_;
  sc_core::sc_time cycle_;
  std::vector<uint8_t> mem_;
  Occupancy port_;
  SramStats stats_;
};

}  // namespace savp::models
