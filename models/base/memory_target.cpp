#include "models/base/memory_target.hpp"

#include <algorithm>

namespace savp::models {

MemoryTarget::MemoryTarget(sc_core::sc_module_name name, uint64_t size_bytes)
    : sc_core::sc_module(name), in("in"), size_(size_bytes) {
  in.register_b_transport(this, &MemoryTarget::b_transport);
  in.register_transport_dbg(this, &MemoryTarget::transport_dbg);
  in.register_get_direct_mem_ptr(this, &MemoryTarget::get_direct_mem_ptr);
}

void MemoryTarget::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  uint64_t addr = trans.get_address();
  unsigned len = trans.get_data_length();
  if (trans.get_byte_enable_ptr() != nullptr) {
    trans.set_response_status(tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE);
    return;
  }
  if (addr >= size_ || len > size_ - addr) {
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (trans.is_read())
    read(addr, trans.get_data_ptr(), len, delay);
  else if (trans.is_write())
    write(addr, trans.get_data_ptr(), len, delay);
  trans.set_dmi_allowed(dmi_pointer() != nullptr);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
}

unsigned MemoryTarget::transport_dbg(tlm::tlm_generic_payload& trans) {
  uint64_t addr = trans.get_address();
  if (addr >= size_) return 0;
  unsigned len = static_cast<unsigned>(std::min<uint64_t>(trans.get_data_length(), size_ - addr));
  if (trans.is_read())
    debug_read(addr, trans.get_data_ptr(), len);
  else if (trans.is_write())
    debug_write(addr, trans.get_data_ptr(), len);
  trans.set_response_status(tlm::TLM_OK_RESPONSE);
  return len;
}

bool MemoryTarget::get_direct_mem_ptr(tlm::tlm_generic_payload&, tlm::tlm_dmi& dmi) {
  uint8_t* p = dmi_pointer();
  if (p == nullptr) return false;
  dmi.set_dmi_ptr(p);
  dmi.set_start_address(0);
  dmi.set_end_address(size_ - 1);
  dmi.allow_read_write();
  dmi.set_read_latency(dmi_read_latency());
  dmi.set_write_latency(dmi_write_latency());
  return true;
}

void MemoryTarget::load(uint64_t addr, const uint8_t* src, uint64_t len) {
  while (len > 0) {
    unsigned n = static_cast<unsigned>(std::min<uint64_t>(len, 1u << 20));
    debug_write(addr, src, n);
    addr += n;
    src += n;
    len -= n;
  }
}

void MemoryTarget::dump(uint64_t addr, uint8_t* dst, uint64_t len) {
  while (len > 0) {
    unsigned n = static_cast<unsigned>(std::min<uint64_t>(len, 1u << 20));
    debug_read(addr, dst, n);
    addr += n;
    dst += n;
    len -= n;
  }
}

}  // namespace savp::models

// libsystemc.so refers to sc_main (its own main() would call it). savp has its own main()
// and drives the kernel with sc_start() from the platform, so this is never called; it only
// satisfies the link of every program that uses the models.
int sc_main(int, char**) { return 0; }
