#include "platform/energy_model.hpp"

#include <algorithm>

namespace savp {

namespace {
constexpr double kUm2PerMm2 = 1e6;

int max_bits(const ChunkConfig& c) {
  return c.weight_bits.empty() ? 8 : *std::max_element(c.weight_bits.begin(), c.weight_bits.end());
}
}  // namespace

AreaReport platform_area(const HwConfig& hw, const EnergyTable& t) {
  AreaReport a;
  double pe = 0, sram = t.sram_area(hw.global_buffer.capacity_bytes);
  for (const ChunkConfig& c : hw.chunks) {
    // A PE is sized for the widest weight it supports.
    // Fold overlap adds a shadow register, its multiplexer and the output chain to every PE.
    const double pe_um2 =
        t.pe_area(c.kind, max_bits(c)) + (c.fold_overlap ? t.fold_overlap_pe_area_um2 : 0.0);
    pe += static_cast<double>(c.rows) * c.cols * pe_um2;
    sram += t.sram_area(c.ibuf.capacity_bytes) + t.sram_area(c.wbuf.capacity_bytes) +
            t.sram_area(c.obuf.capacity_bytes);
  }
  a.by_component["pe_arrays"] = pe / kUm2PerMm2;
  a.by_component["sram"] = sram / kUm2PerMm2;
  a.by_component["controller"] = t.controller_area_um2 / kUm2PerMm2;
  for (const auto& [k, v] : a.by_component) a.total_mm2 += v;
  return a;
}

void account_energy_and_area(const HwConfig& hw, const EnergyTable& t,
                             const ActivityCounts& act, RunResult& r) {
  EnergyReport& e = r.energy;
  e = EnergyReport{};
  double compute = 0, vector = 0, decompress = 0;
  for (size_t i = 0; i < hw.chunks.size() && i < act.chunks.size(); ++i) {
    const ChunkConfig& c = hw.chunks[i];
    double pj = 0;
    for (const auto& [bits, ops] : act.chunks[i].pe_ops_by_bits)
      pj += static_cast<double>(ops) * t.pe_op(c.kind, bits);
    pj += static_cast<double>(act.chunks[i].shadow_writes) * t.fold_overlap_pj_per_output;
    double vpj = static_cast<double>(act.chunks[i].vector_ops) * t.vector_op_pj;
    // Weight decompression at the wbuf read port (issue 8): pJ per decoded weight by format.
    double dpj = static_cast<double>(act.chunks[i].decompressed_packed) * t.decompress_packed_pj +
                 static_cast<double>(act.chunks[i].decompressed_bitmask) * t.decompress_bitmask_pj;
    compute += pj;
    vector += vpj;
    decompress += dpj;
    e.by_kind[to_string(c.kind)] += pj;
    e.by_engine[c.name] = pj + vpj + dpj;
  }
  double sram = 0;
  for (BufferReport& b : r.buffers) {
    // Every access moves one port-width word; the table's energy scales with the width.
    b.energy_pj = static_cast<double>(b.reads + b.writes) * t.sram_access(b.capacity_bytes, b.port_width_bytes);
    sram += b.energy_pj;
  }
  const std::string family = dram_family(hw.dram.preset);
  double dram = static_cast<double>(r.dram.read_bytes + r.dram.write_bytes) * 8.0 *
                    t.dram_bit(family) +
                static_cast<double>(r.dram.activates) * t.dram_activate(family);
  double noc = static_cast<double>(act.interconnect_bytes) * t.interconnect_pj_per_byte;
  double ctrl = static_cast<double>(act.controller_instructions) * t.controller_pj_per_instr;

  r.area = platform_area(hw, t);
  // Leakage: power x time. mW x us = nJ = 1e3 pJ.
  double sram_kib = hw.global_buffer.capacity_bytes / 1024.0;
  for (const ChunkConfig& c : hw.chunks)
    sram_kib += (c.ibuf.capacity_bytes + c.wbuf.capacity_bytes + c.obuf.capacity_bytes) / 1024.0;
  double leak_mw = sram_kib * t.sram_leakage_mw_per_kib +
                   r.area.by_component["pe_arrays"] * t.pe_leakage_mw_per_mm2;
  double leakage = leak_mw * r.latency_us * 1e3;

  e.by_component["compute"] = compute;
  e.by_component["vector"] = vector;
  e.by_component["decompress"] = decompress;
  e.by_component["sram"] = sram;
  e.by_component["dram"] = dram;
  e.by_component["interconnect"] = noc;
  e.by_component["controller"] = ctrl;
  e.by_component["leakage"] = leakage;
  for (const auto& [k, v] : e.by_component) e.total_pj += v;
}

}  // namespace savp
