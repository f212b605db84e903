// The DRAM presets the DRAM model tests use, written out field by field so a test states the
// numbers it works its expected times from (the shipped files are configs/dram/*.yaml; tests
// that load those go through load_hw_config instead).
#pragma once

#include "common/hw_config.hpp"

namespace savp::test {

// configs/dram/DDR4-2400.yaml: x64, 4 BG x 4 banks, 64K rows, 1K columns, BL8, tCK 0.833 ns;
// mapping [ro, ra, ba, co, bg, ch]: bits 0-5 byte in burst, 6-7 bank group, 8-14 column
// (burst index), 15-16 bank, 17-32 row. `standard` is left empty (the generic rules); tests of
// DDR4's own command rules set it.
inline DramConfig ddr4_2400() {
  DramConfig c;
  c.preset = "DDR4-2400";
  c.org = DramOrganization{1, 1, 4, 4, 65536, 1024, 64, 2};
  DramTiming& t = c.timing;
  t.tck_ns = 0.833, t.burst_length = 8, t.cl = 16, t.cwl = 12;
  t.trcd = 16, t.trp = 16, t.tras = 39;
  t.tccd_s = 4, t.tccd_l = 6, t.trrd_s = 4, t.trrd_l = 6, t.tfaw = 26;
  t.twr = 18, t.twtr_s = 3, t.twtr_l = 9, t.trtp = 9, t.trtw = 10;
  t.trefi = 9360, t.trfc = 420;
  c.page_policy = PagePolicy::Open;
  c.address_mapping = {"ro", "ra", "ba", "co", "bg", "ch"};
  return c;
}

// configs/dram/LPDDR4-3200.yaml: 2 x16 channels, 8 banks, 64K rows, 1K columns, BL16,
// tCK 0.625 ns, DRAMSys's LPDDR4 rules (tRPab, strobe delays).
inline DramConfig lpddr4_3200() {
  DramConfig c;
  c.preset = "LPDDR4-3200";
  c.standard = "LPDDR4";
  c.org = DramOrganization{2, 1, 1, 8, 65536, 1024, 16, 2};
  DramTiming& t = c.timing;
  t.tck_ns = 0.625, t.burst_length = 16, t.cl = 28, t.cwl = 14;
  t.trcd = 29, t.trp = 29, t.tras = 68;
  t.tccd_s = t.tccd_l = 8, t.trrd_s = t.trrd_l = 16, t.tfaw = 64;
  t.twr = 29, t.twtr_s = t.twtr_l = 16, t.trtp = 12, t.trtw = 30;
  t.trefi = 6246, t.trfc = 448;
  t.trpab = 34, t.tdqsck = 6, t.tdqss = 1, t.tdqs2dq = 2;
  c.address_mapping = {"ro", "ra", "bg", "ba", "co", "ch"};
  return c;
}

}  // namespace savp::test
