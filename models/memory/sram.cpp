#include "models/memory/sram.hpp"

#include <cstring>

namespace savp::models {

Sram::Sram(sc_core::sc_module_name name, const SramConfig& cfg, sc_core::sc_time cycle)
    : MemoryTarget(name, cfg.capacity_bytes), cfg_(cfg), cycle_(cycle), mem_(cfg.capacity_bytes) {}

void Sram::reset_stats() {
  stats_.reset();
  port_.reset();
}

// Time of one DMA-side access: the banks move banks*port_width bytes per cycle, then the
// access latency. Returns the new delay (relative to now) at which the data is done.
sc_core::sc_time Sram::access(unsigned len, uint32_t latency_cycles,
                              const sc_core::sc_time& delay) {
  sc_core::sc_time now = sc_core::sc_time_stamp();
  uint64_t cycles = ceil_div(len, bandwidth_bytes_per_cycle());
  sc_core::sc_time start = port_.reserve(now + delay, cycle_ * static_cast<double>(cycles));
  return start - now + cycle_ * static_cast<double>(cycles + latency_cycles);
}

// Port-width words an access touches: a misaligned access spans one more word.
uint64_t Sram::words_touched(uint64_t addr, unsigned len) const {
  const uint64_t w = cfg_.port_width_bytes;
  return len == 0 ? 0 : (addr + len - 1) / w - addr / w + 1;
}

void Sram::read(uint64_t addr, uint8_t* dst, unsigned len, sc_core::sc_time& delay) {
  std::memcpy(dst, mem_.data() + addr, len);
  stats_.reads += words_touched(addr, len);
  stats_.read_bytes += len;
  delay = access(len, cfg_.read_latency_cycles, delay);
}

void Sram::write(uint64_t addr, const uint8_t* src, unsigned len, sc_core::sc_time& delay) {
  std::memcpy(mem_.data() + addr, src, len);
  stats_.writes += words_touched(addr, len);
  stats_.write_bytes += len;
  delay = access(len, cfg_.write_latency_cycles, delay);
}

void Sram::debug_read(uint64_t addr, uint8_t* dst, unsigned len) {
  std::memcpy(dst, mem_.data() + addr, len);
}

void Sram::debug_write(uint64_t addr, const uint8_t* src, unsigned len) {
  std::memcpy(mem_.data() + addr, src, len);
}

void Sram::add_local_traffic(uint64_t read_bytes, uint64_t write_bytes) {
  stats_.reads += ceil_div(read_bytes, cfg_.port_width_bytes);
  stats_.writes += ceil_div(write_bytes, cfg_.port_width_bytes);
  stats_.read_bytes += read_bytes;
  stats_.write_bytes += write_bytes;
}

}  // namespace savp::models
