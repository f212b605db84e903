#include "models/dram/dram.hpp"

namespace savp::models {

Dram::Dram(sc_core::sc_module_name name, const DramConfig& cfg)
    : MemoryTarget(name, cfg.capacity_bytes()), timing_(cfg), storage_(cfg.capacity_bytes()) {}

void Dram::timed(uint64_t addr, unsigned len, bool is_write, sc_core::sc_time& delay) {
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const uint64_t now_ps = now.value() / sc_core::sc_time(1, sc_core::SC_PS).value();
  const uint64_t arrival_ps = (now + delay).value() / sc_core::sc_time(1, sc_core::SC_PS).value();
  if (request_hook_) request_hook_(arrival_ps, addr, len, is_write);
  uint64_t done_ps = timing_.access(arrival_ps, addr, len, is_write);
  delay = sc_core::sc_time(static_cast<double>(done_ps - now_ps), sc_core::SC_PS);
}

void Dram::read(uint64_t addr, uint8_t* dst, unsigned len, sc_core::sc_time& delay) {
  storage_.read(addr, dst, len);
  timed(addr, len, false, delay);
}

void Dram::write(uint64_t addr, const uint8_t* src, unsigned len, sc_core::sc_time& delay) {
  storage_.write(addr, src, len);
  timed(addr, len, true, delay);
}

void Dram::debug_read(uint64_t addr, uint8_t* dst, unsigned len) { storage_.read(addr, dst, len); }

void Dram::debug_write(uint64_t addr, const uint8_t* src, unsigned len) {
  storage_.write(addr, src, len);
}

}  // namespace savp::models
