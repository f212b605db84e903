// Helpers for platform tests: the shipped default config and small hand-built images.
#pragma once

#include <string>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "firmware/address_map.hpp"
#include "firmware/image.hpp"
#include "firmware/isa.hpp"

namespace savp::test {

inline HwConfig default_hw() {
  return load_hw_config(std::string(SAVP_SOURCE_DIR) + "/configs/hw/default.yaml");
}
inline EnergyTable default_energy(const HwConfig& hw) { return load_energy_table(hw.energy_table); }

inline uint32_t mask(int engine) { return 1u << engine; }

inline isa::Instruction with_tokens(isa::Instruction in, uint32_t wait, uint32_t signal) {
  in.set(isa::kWaitMask, wait);
  in.set(isa::kSignalMask, signal);
  return in;
}

}  // namespace savp::test
