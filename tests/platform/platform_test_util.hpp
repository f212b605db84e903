// Helpers for platform tests: the shipped default config and small hand-built images.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "firmware/address_map.hpp"
#include "firmware/image.hpp"
#include "firmware/isa.hpp"
#include "platform/platform.hpp"

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

// Runs `img`, expecting it to throw `E` whose message contains every one of `phrases`.
template <typename E>
void expect_run_error(Platform& p, const fw::Image& img, std::initializer_list<std::string> phrases,
                      const RunOptions& opt = {}) {
  try {
    p.run(img, opt);
    ADD_FAILURE() << "expected the run to fail";
  } catch (const E& e) {
    std::string m = e.what();
    for (const std::string& want : phrases)
      EXPECT_NE(m.find(want), std::string::npos) << "missing '" << want << "' in: " << m;
  }
}

}  // namespace savp::test
