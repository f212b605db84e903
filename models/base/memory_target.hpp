// The TLM plumbing every memory-like model shares (anchor: VCML's `peripheral`): socket
// binding, b_transport dispatch, DMI bookkeeping and debug transport live here, so SRAM and
// DRAM models only say how long an access takes and where the bytes are.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <string>

namespace savp::models {

class MemoryTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<MemoryTarget> in;  // from the interconnect

  MemoryTarget(sc_core::sc_module_name name, uint64_t size_bytes);
  uint64_t size() const { return size_; }

 protected:
  // Moves `len` bytes at local address `addr` (already range-checked) and adds the access
  // time to `delay`. `delay` on entry is the initiator's local-time offset.
  virtual void read(uint64_t addr, uint8_t* dst, unsigned len, sc_core::sc_time& delay) = 0;
  virtual void write(uint64_t addr, const uint8_t* src, unsigned len, sc_core::sc_time& delay) = 0;
  // Untimed access for loading images and reading results.
  virtual void debug_read(uint64_t addr, uint8_t* dst, unsigned len) = 0;
  virtual void debug_write(uint64_t addr, const uint8_t* src, unsigned len) = 0;
  // A pointer to contiguous backing store for DMI, or nullptr when there is none.
  virtual uint8_t* dmi_pointer() { return nullptr; }
  virtual sc_core::sc_time dmi_read_latency() const { return sc_core::SC_ZERO_TIME; }
  virtual sc_core::sc_time dmi_write_latency() const { return sc_core::SC_ZERO_TIME; }

 public:
  void load(uint64_t addr, const uint8_t* src, uint64_t len);  // debug write, any length
  void dump(uint64_t addr, uint8_t* dst, uint64_t len);         // debug read, any length

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(tlm::tlm_generic_payload& trans);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);

  uint64_t size_;
};

}  // namespace savp::models
