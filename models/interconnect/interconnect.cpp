#include "models/interconnect/interconnect.hpp"

#include <algorithm>

#include "common/errors.hpp"

namespace savp::models {

Interconnect::Interconnect(sc_core::sc_module_name name, const InterconnectConfig& cfg,
                           sc_core::sc_time cycle)
    : sc_core::sc_module(name), in("in"), out("out"), cfg_(cfg), cycle_(cycle) {
  in.register_b_transport(this, &Interconnect::b_transport);
  in.register_transport_dbg(this, &Interconnect::transport_dbg);
  in.register_get_direct_mem_ptr(this, &Interconnect::get_direct_mem_ptr);
  out.register_invalidate_direct_mem_ptr(this, &Interconnect::invalidate_direct_mem_ptr);
}

void Interconnect::map(uint64_t base, uint64_t size, const std::string& region_name) {
  int target = static_cast<int>(regions_.size());
  for (const Region& r : regions_)
    if (base < r.base + r.size && r.base < base + size)
      throw Error("interconnect: region " + region_name + " overlaps " + r.name);
  regions_.push_back(Region{base, size, target, region_name, Occupancy{}});
  std::sort(regions_.begin(), regions_.end(),
            [](const Region& a, const Region& b) { return a.base < b.base; });
}

Interconnect::Region* Interconnect::find(uint64_t addr) {
  auto it = std::upper_bound(regions_.begin(), regions_.end(), addr,
                             [](uint64_t a, const Region& r) { return a < r.base; });
  if (it == regions_.begin()) return nullptr;
  --it;
  return addr - it->base < it->size ? &*it : nullptr;
}

const Interconnect::Region* Interconnect::find(uint64_t addr) const {
  return const_cast<Interconnect*>(this)->find(addr);
}

std::string Interconnect::region_of(uint64_t addr) const {
  const Region* r = find(addr);
  return r ? r->name : "";
}

void Interconnect::reset_stats() {
  stats_.reset();
  for (Region& r : regions_) r.link.reset();
}

void Interconnect::b_transport(int, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  uint64_t addr = trans.get_address();
  unsigned len = trans.get_data_length();
  Region* r = find(addr);
  if (r == nullptr || len > r->size - (addr - r->base)) {
    ++stats_.address_errors;
    trans.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  ++stats_.transactions;
  stats_.bytes += len;
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  const sc_core::sc_time hop = cycle_ * static_cast<double>(cfg_.latency_cycles);
  const sc_core::sc_time xfer = cycle_ * static_cast<double>(ceil_div(len, cfg_.width_bytes));
  trans.set_address(addr - r->base);
  if (trans.is_write()) {
    // Request and data cross the link, then the target accepts the write.
    sc_core::sc_time start = r->link.reserve(now + delay + hop, xfer);
    delay = start + xfer - now;
    out[r->target]->b_transport(trans, delay);
    delay += hop;  // the acknowledgement travels back
  } else {
    delay += hop;
    out[r->target]->b_transport(trans, delay);
    // The read data cross the link back.
    sc_core::sc_time start = r->link.reserve(now + delay, xfer);
    delay = start + xfer + hop - now;
  }
  trans.set_address(addr);
}

unsigned Interconnect::transport_dbg(int, tlm::tlm_generic_payload& trans) {
  uint64_t addr = trans.get_address();
  Region* r = find(addr);
  if (r == nullptr) return 0;
  // Never reach past the region, even where the target behind it is larger.
  const unsigned len = trans.get_data_length();
  const uint64_t room = r->size - (addr - r->base);
  if (len > room) trans.set_data_length(static_cast<unsigned>(room));
  trans.set_address(addr - r->base);
  unsigned n = out[r->target]->transport_dbg(trans);
  trans.set_address(addr);
  trans.set_data_length(len);
  return n;
}

bool Interconnect::get_direct_mem_ptr(int, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi) {
  uint64_t addr = trans.get_address();
  Region* r = find(addr);
  if (r == nullptr) return false;
  trans.set_address(addr - r->base);
  bool ok = out[r->target]->get_direct_mem_ptr(trans, dmi);
  trans.set_address(addr);
  if (ok) {
    dmi.set_start_address(dmi.get_start_address() + r->base);
    dmi.set_end_address(std::min<uint64_t>(dmi.get_end_address(), r->size - 1) + r->base);
  }
  return ok;
}

void Interconnect::invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end) {
  for (const Region& r : regions_) {
    if (r.target != id || start >= r.size) continue;
    // Clamp to the region before translating ("everything" is [0, ~0]).
    const uint64_t last = std::min<uint64_t>(end, r.size - 1);
    for (unsigned i = 0; i < in.size(); ++i)
      in[i]->invalidate_direct_mem_ptr(start + r.base, last + r.base);
  }
}

}  // namespace savp::models
