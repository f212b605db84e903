// Loading and lookup of the per-action energy / area table (common/energy_table.hpp).
//
// YAML layout (configs/energy/45nm.yaml is the reference; every key below is required):
//   technology_nm: 45
//   pe_op_pj:    {mult: {BITS: PJ, ...}, shift: {...}, adder: {...}}
//   vector_op_pj: PJ
//   sram: {ref_access_bytes: N, access_pj: {CAPACITY_BYTES: PJ, ...},
//          area_um2: {CAPACITY_BYTES: UM2, ...}, leakage_mw_per_kib: MW}
//   dram: {pj_per_bit: {FAMILY: PJ, ...}, activate_pj: {FAMILY: PJ, ...}}
//   interconnect_pj_per_byte: PJ
//   pe_area_um2: {mult: {BITS: UM2, ...}, shift: {...}, adder: {...}}
//   pe_leakage_mw_per_mm2: MW
//   controller_area_um2: UM2
//   controller_pj_per_instr: PJ
//
// Lookups:
//   pe_op / pe_area: linear in bits between listed widths, clamped at the ends.
//   sram_access: pJ per reference access is linear in log2(capacity) between listed
//     capacities (clamped at the ends: extrapolating the log-linear fit would go negative for
//     tiny arrays), times bytes / ref_access_bytes.
//   sram_area: linear in capacity between listed capacities; outside them, the nearest
//     point's area per byte (area grows in proportion to bits).
#include "common/energy_table.hpp"

#include <cctype>
#include <cmath>
#include <iterator>

#include "common/errors.hpp"
#include "common/yaml_util.hpp"

namespace savp {

namespace {

using yaml::Map;
using yaml::Value;

const std::vector<std::string> kKindKeys{"mult", "shift", "adder"};  // OpKind order

// {BITS: value} with BITS in 1..64 and values > 0.
std::map<int, double> read_bits_table(const Value& v) {
  Map m = v.as_map();
  if (m.size() == 0) v.fail("at least one bit width is required");
  std::map<int, double> out;
  for (const auto& [k, val] : m.entries()) {
    const int bits = static_cast<int>(k.as_uint(1, 64));
    if (out.count(bits)) k.fail("bit width " + std::to_string(bits) + " is listed twice");
    out[bits] = val.as_positive_double();
  }
  return out;
}

void read_kind_tables(const Value& v, std::map<int, double> (&out)[kNumOpKinds]) {
  Map m = v.as_map();
  m.check_keys(kKindKeys);
  for (int k = 0; k < kNumOpKinds; ++k) out[k] = read_bits_table(m.at(kKindKeys[k]));
}

std::map<uint64_t, double> read_capacity_table(const Value& v) {
  Map m = v.as_map();
  if (m.size() == 0) v.fail("at least one capacity is required");
  std::map<uint64_t, double> out;
  for (const auto& [k, val] : m.entries()) {
    const uint64_t cap = k.as_uint(1);
    if (out.count(cap)) k.fail("capacity " + std::to_string(cap) + " is listed twice");
    out[cap] = val.as_positive_double();
  }
  return out;
}

std::map<std::string, double> read_family_table(const Value& v, bool positive) {
  Map m = v.as_map();
  if (m.size() == 0) v.fail("at least one DRAM family is required");
  std::map<std::string, double> out;
  for (const auto& [k, val] : m.entries()) {
    const std::string name = k.text();
    bool lower = !name.empty();
    for (char c : name)
      lower = lower && (std::islower(static_cast<unsigned char>(c)) ||
                        std::isdigit(static_cast<unsigned char>(c)));
    if (!lower)
      k.fail("DRAM family '" + name + "' must be lower-case letters and digits",
             "e.g. ddr4, lpddr4, hbm2 (dram_family() of a preset name)");
    out[name] = positive ? val.as_positive_double() : val.as_double_min(0.0);
  }
  return out;
}

// Linear interpolation over a sorted map, clamped at the ends.
template <class K>
double interp_clamped(const std::map<K, double>& t, double x) {
  if (t.empty()) return 0.0;
  if (x <= static_cast<double>(t.begin()->first)) return t.begin()->second;
  if (x >= static_cast<double>(t.rbegin()->first)) return t.rbegin()->second;
  auto hi = t.begin();
  while (static_cast<double>(hi->first) < x) ++hi;
  if (static_cast<double>(hi->first) == x) return hi->second;
  auto lo = std::prev(hi);
  double x0 = static_cast<double>(lo->first), x1 = static_cast<double>(hi->first);
  return lo->second + (hi->second - lo->second) * (x - x0) / (x1 - x0);
}

std::string known_keys(const std::map<std::string, double>& t) {
  std::vector<std::string> k;
  for (const auto& e : t) k.push_back(e.first);
  return yaml::join(k);
}

}  // namespace

double EnergyTable::pe_op(OpKind kind, int weight_bits) const {
  return interp_clamped(pe_op_pj[static_cast<int>(kind)], weight_bits);
}

double EnergyTable::pe_area(OpKind kind, int weight_bits) const {
  return interp_clamped(pe_area_um2[static_cast<int>(kind)], weight_bits);
}

double EnergyTable::sram_access(uint64_t capacity_bytes, uint32_t bytes) const {
  if (sram_access_pj.empty() || capacity_bytes == 0 || sram_ref_access_bytes == 0) return 0.0;
  // Interpolate in log2(capacity): build the table in log space on the fly (a handful of points).
  std::map<double, double> logt;
  for (const auto& e : sram_access_pj) logt[std::log2(static_cast<double>(e.first))] = e.second;
  double per_ref = interp_clamped(logt, std::log2(static_cast<double>(capacity_bytes)));
  return per_ref * static_cast<double>(bytes) / sram_ref_access_bytes;
}

double EnergyTable::sram_area(uint64_t capacity_bytes) const {
  if (sram_area_um2.empty()) return 0.0;
  const auto& first = *sram_area_um2.begin();
  const auto& last = *sram_area_um2.rbegin();
  const double c = static_cast<double>(capacity_bytes);
  if (c <= static_cast<double>(first.first)) return first.second * c / first.first;
  if (c >= static_cast<double>(last.first)) return last.second * c / last.first;
  return interp_clamped(sram_area_um2, c);
}

double EnergyTable::dram_bit(const std::string& family) const {
  auto it = dram_pj_per_bit.find(family);
  if (it == dram_pj_per_bit.end())
    throw ConfigError(SourceLocation{source_file, 0, 0}, "dram.pj_per_bit",
                      "no energy per bit for DRAM family '" + family + "'",
                      known_keys(dram_pj_per_bit));
  return it->second;
}

double EnergyTable::dram_activate(const std::string& family) const {
  auto it = dram_activate_pj.find(family);
  if (it == dram_activate_pj.end())
    throw ConfigError(SourceLocation{source_file, 0, 0}, "dram.activate_pj",
                      "no activate energy for DRAM family '" + family + "'",
                      known_keys(dram_activate_pj));
  return it->second;
}

EnergyTable load_energy_table(const std::string& path) {
  Map m = yaml::load_file(path).as_map();
  m.check_keys({"technology_nm", "pe_op_pj", "vector_op_pj", "sram", "dram",
                "interconnect_pj_per_byte", "pe_area_um2", "pe_leakage_mw_per_mm2",
                "controller_area_um2", "controller_pj_per_instr", "decompress_pj_per_weight",
                "fold_overlap"});
  EnergyTable t;
  t.source_file = path;
  t.technology_nm = m.at("technology_nm").as_positive_double();
  read_kind_tables(m.at("pe_op_pj"), t.pe_op_pj);
  t.vector_op_pj = m.at("vector_op_pj").as_double_min(0.0);

  Map sram = m.at("sram").as_map();
  sram.check_keys({"ref_access_bytes", "access_pj", "area_um2", "leakage_mw_per_kib"});
  t.sram_ref_access_bytes = sram.at("ref_access_bytes").as_uint32(1, 4096);
  t.sram_access_pj = read_capacity_table(sram.at("access_pj"));
  t.sram_area_um2 = read_capacity_table(sram.at("area_um2"));
  t.sram_leakage_mw_per_kib = sram.at("leakage_mw_per_kib").as_double_min(0.0);

  Map dram = m.at("dram").as_map();
  dram.check_keys({"pj_per_bit", "activate_pj"});
  t.dram_pj_per_bit = read_family_table(dram.at("pj_per_bit"), true);
  t.dram_activate_pj = read_family_table(dram.at("activate_pj"), false);

  t.interconnect_pj_per_byte = m.at("interconnect_pj_per_byte").as_double_min(0.0);
  read_kind_tables(m.at("pe_area_um2"), t.pe_area_um2);
  t.pe_leakage_mw_per_mm2 = m.at("pe_leakage_mw_per_mm2").as_double_min(0.0);
  t.controller_area_um2 = m.at("controller_area_um2").as_double_min(0.0);
  t.controller_pj_per_instr = m.at("controller_pj_per_instr").as_double_min(0.0);
  if (auto d = m.find("decompress_pj_per_weight")) {
    Map dm = d->as_map();
    dm.check_keys({"packed", "bitmask"});
    t.decompress_packed_pj = dm.at("packed").as_double_min(0.0);
    t.decompress_bitmask_pj = dm.at("bitmask").as_double_min(0.0);
  }
  if (auto f = m.find("fold_overlap")) {
    Map fm = f->as_map();
    fm.check_keys({"pe_area_um2", "pj_per_output"});
    t.fold_overlap_pe_area_um2 = fm.at("pe_area_um2").as_double_min(0.0);
    t.fold_overlap_pj_per_output = fm.at("pj_per_output").as_double_min(0.0);
  }
  return t;
}

std::string dram_family(const std::string& preset) {
  std::string f = preset.substr(0, preset.find('-'));
  for (char& c : f) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return f;
}

}  // namespace savp
