// The on-chip interconnect: routes transactions by the platform address map
// (firmware/address_map.hpp), translating to each target's local addresses, and adds its
// latency (each direction) and the transfer time of the data over a link of `width_bytes`
// per cycle; each target has its own link (a crossbar), so traffic to different targets
// overlaps while traffic to one target serialises. DMI requests are routed and translated.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/multi_passthrough_target_socket.h>

#include <string>
#include <vector>

#include "common/hw_config.hpp"
#include "models/base/occupancy.hpp"

namespace savp::models {

struct InterconnectStats {
  uint64_t transactions = 0;
  uint64_t bytes = 0;
  uint64_t address_errors = 0;
  void reset() { *this = InterconnectStats{}; }
};

class Interconnect : public sc_core::sc_module {
 public:
  tlm_utils::multi_passthrough_target_socket<Interconnect> in;
  tlm_utils::multi_passthrough_initiator_socket<Interconnect> out;

  Interconnect(sc_core::sc_module_name name, const InterconnectConfig& cfg,
               sc_core::sc_time cycle);

  // Maps [base, base + size) to the target bound at out[index]. Call during elaboration,
  // in the order the targets are bound.
  void map(uint64_t base, uint64_t size, const std::string& region_name);
  // Name of the region holding `addr`, or "" if none.
  std::string region_of(uint64_t addr) const;

  const InterconnectStats& stats() const { return stats_; }
  void reset_stats();

 private:
  struct Region {
    uint64_t base, size;
    int target;
    std::string name;
    Occupancy link;
  };
  Region* find(uint64_t addr);
  const Region* find(uint64_t addr) const;

  void b_transport(int id, tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned transport_dbg(int id, tlm::tlm_generic_payload& trans);
  bool get_direct_mem_ptr(int id, tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  void invalidate_direct_mem_ptr(int id, sc_dt::uint64 start, sc_dt::uint64 end);

  InterconnectConfig cfg_;
  sc_core::sc_time cycle_;
  std::vector<Region> regions_;  // sorted by base
  InterconnectStats stats_;
};

}  // namespace savp::models
