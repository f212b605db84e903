// Per-action energies and per-component areas (DESIGN.md "Energy and area"), loaded from
// configs/energy/*.yaml, in which every number cites its source. Energy of a run =
// sum over components of action counts x these per-action energies.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/hw_config.hpp"

namespace savp {

struct EnergyTable {
  std::string source_file;
  double technology_nm = 45.0;

  // One PE step (one accumulate of x (.) w into the int32 accumulator), in pJ, for an
  // operator kind and weight bit width; linear interpolation between the listed widths,
  // clamped at the ends. Keyed [kind][bits].
  std::map<int, double> pe_op_pj[kNumOpKinds];
  double vector_op_pj = 0.0;  // one element of pooling / residual add (compare or add)

  // SRAM: pJ per access of `ref_access_bytes`, by capacity (log-linear interpolation).
  uint32_t sram_ref_access_bytes = 8;
  std::map<uint64_t, double> sram_access_pj;  // capacity_bytes -> pJ per reference access
  std::map<uint64_t, double> sram_area_um2;   // capacity_bytes -> um^2
  double sram_leakage_mw_per_kib = 0.0;

  // DRAM: pJ per bit moved, and per activate, by standard family ("ddr4", "lpddr4", "hbm2").
  std::map<std::string, double> dram_pj_per_bit;
  std::map<std::string, double> dram_activate_pj;

  double interconnect_pj_per_byte = 0.0;
  std::map<int, double> pe_area_um2[kNumOpKinds];  // by weight bits
  double pe_leakage_mw_per_mm2 = 0.0;
  double controller_area_um2 = 0.0;  // controller + DMA engines
  double controller_pj_per_instr = 0.0;
  // One weight decoded by a chunk's decompressor (issue 8), per stream format; 0 if the table
  // has no `decompress_pj_per_weight`.
  double decompress_packed_pj = 0.0, decompress_bitmask_pj = 0.0;
  // Fold overlap (ChunkConfig::fold_overlap): the shadow register, its multiplexer and the output
  // chain added to every PE of such an array (um^2), and one finished sum handed to the shadow
  // register (pJ); 0 if the table has no `fold_overlap`.
  double fold_overlap_pe_area_um2 = 0.0, fold_overlap_pj_per_output = 0.0;

  double pe_op(OpKind kind, int weight_bits) const;
  double pe_area(OpKind kind, int weight_bits) const;
  // Energy of one access moving `bytes` bytes to/from an SRAM of `capacity_bytes`.
  double sram_access(uint64_t capacity_bytes, uint32_t bytes) const;
  double sram_area(uint64_t capacity_bytes) const;
  double dram_bit(const std::string& family) const;      // throws ConfigError if unknown
  double dram_activate(const std::string& family) const;
};

// Throws ConfigError (file:line:column, field, allowed) on a malformed table.
EnergyTable load_energy_table(const std::string& path);

// DRAM standard family of a preset name: "DDR4-2400" -> "ddr4", "LPDDR4-3200" -> "lpddr4".
std::string dram_family(const std::string& preset);

}  // namespace savp
