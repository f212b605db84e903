// libFuzzer target: hardware configs (common/hw_config_load.cpp) from YAML text. DRAM presets
// resolve from the source tree's configs/dram/, as for a config outside the tree.
#include "common/errors.hpp"
#include "common/hw_config.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    savp::HwConfig hw = savp::parse_hw_config(savp::fuzz::text_of(data, size), "fuzz.yaml");
    // A config that loads is usable: the derived figures must be defined and positive.
    if (hw.clock_mhz <= 0 || !(hw.cycle_ns() > 0)) savp::fuzz::fail("non-positive clock");
    if (hw.dram.capacity_bytes() == 0 || hw.dram.burst_bytes() == 0 ||
        !(hw.dram.peak_bandwidth_gbps() > 0))
      savp::fuzz::fail("a loaded DRAM config has zero capacity, burst or bandwidth");
    for (const savp::ChunkConfig& c : hw.chunks)
      if (hw.chunk_index(c.name) < 0) savp::fuzz::fail("chunk_index misses a chunk", c.name);
  } catch (const savp::Error&) {
  }
  return 0;
}
