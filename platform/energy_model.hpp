// Energy and area of a run: action counts x per-action energies from the energy table
// (DESIGN.md "Energy and area"). The breakdown is kept by component, operator kind and chunk.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "platform/run_result.hpp"

namespace savp {

struct ChunkActivity {
  std::map<int, uint64_t> pe_ops_by_bits;  // weight bits -> accumulate steps
  uint64_t vector_ops = 0;
  uint64_t decompressed_packed = 0, decompressed_bitmask = 0;  // weights its decompressor decoded
  uint64_t shadow_writes = 0;  // sums handed to shadow registers (fold_overlap arrays)
};

struct ActivityCounts {
  std::vector<ChunkActivity> chunks;  // in config order
  uint64_t interconnect_bytes = 0;
  uint64_t controller_instructions = 0;
};

// Fills result.energy and result.area. Needs result.latency_us, result.buffers (access
// counts and widths) and result.dram.
void account_energy_and_area(const HwConfig& hw, const EnergyTable& table,
                             const ActivityCounts& activity, RunResult& result);

// Area alone (no run needed), in mm^2, with its breakdown.
AreaReport platform_area(const HwConfig& hw, const EnergyTable& table);

}  // namespace savp
