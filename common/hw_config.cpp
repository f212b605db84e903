#include "common/hw_config.hpp"

#include <cctype>

namespace savp {

bool is_plain_name(const std::string& s) {
  if (s.empty() || s[0] == '.') return false;
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

const char* to_string(OpKind k) {
  switch (k) {
    case OpKind::Mult: return "mult";
    case OpKind::Shift: return "shift";
    case OpKind::Adder: return "adder";
  }
  return "?";
}

const char* to_string(Dataflow d) {
  switch (d) {
    case Dataflow::WeightStationary: return "ws";
    case Dataflow::OutputStationary: return "os";
    case Dataflow::InputStationary: return "is";
  }
  return "?";
}

const char* to_string(PagePolicy p) { return p == PagePolicy::Open ? "open" : "closed"; }

uint64_t DramConfig::capacity_bytes() const {
  return static_cast<uint64_t>(org.channels) * org.ranks * org.bank_groups *
         org.banks_per_group * org.rows * org.columns * (org.bus_width_bits / 8);
}

uint32_t DramConfig::burst_bytes() const {
  return org.bus_width_bits / 8 * timing.burst_length;
}

double DramConfig::peak_bandwidth_gbps() const {
  // bytes per transfer * transfers per second, over all channels.
  double transfers_per_ns = org.data_rate / timing.tck_ns;
  return org.channels * (org.bus_width_bits / 8.0) * transfers_per_ns;
}

int HwConfig::chunk_index(const std::string& n) const {
  for (size_t i = 0; i < chunks.size(); ++i)
    if (chunks[i].name == n) return static_cast<int>(i);
  return -1;
}

}  // namespace savp

namespace savp {

bool DecompressorConfig::supports_bits(uint32_t b) const {
  for (uint32_t x : packed_bits)
    if (x == b) return true;
  return false;
}

}  // namespace savp
