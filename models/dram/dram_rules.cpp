#include "models/dram/dram_rules.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace savp::dram {

namespace {

// Default RD-to-WR command spacing when timing.trtw is 0: RL + BL/2 - WL + 2 tCK, the 2 tCK
// being the bus turnaround of JESD79-4 (DDR4) section 4.25 "Read to Write".
constexpr uint32_t kJedecReadToWriteTurnaroundCycles = 2;

// JESD209-4 (LPDDR4) command lengths in tCK, as DRAMSys MemSpecLPDDR4 sets them: ACT (ACT-1 +
// ACT-2), RD/WR (RD-1/WR-1 + CAS-2) are two 2-cycle CA words, PRE and REF one.
constexpr uint32_t kLpddr4ActCycles = 4, kLpddr4CasCycles = 4, kLpddr4PreCycles = 2,
                   kLpddr4RefCycles = 2;
// JESD209-4 "write to read" and "write to precharge": the write's tWTR / tWR count from one
// tCK after the last data beat (DRAMSys CheckerLPDDR4: tWRRD = WL + tCK + BL/2 + tWTR,
// tWRPRE = WL + BL/2 + tCK + tWR + 2 tCK, the last 2 tCK being the CAS-to-PRE length step).
constexpr uint32_t kLpddr4WriteRecoveryExtraCycles = 1;
// JESD209-4 "read to precharge" = BL/2 + max(8, nRTP) - 8 between last edges; DRAMSys
// CheckerLPDDR4 tRDPRE = tRTP + BL/2 - 6 tCK between command starts (-8 + the 2 tCK of the
// 4- vs 2-cycle commands).
constexpr uint32_t kLpddr4ReadToPreOffsetCycles = 8;

uint32_t sub0(uint32_t a, uint32_t b) { return a > b ? a - b : 0; }

CommandRules jedec_ddr(const DramConfig& cfg) {
  const DramTiming& t = cfg.timing;
  CommandRules r;
  r.burst = t.burst_length / cfg.org.data_rate;
  r.act_to_col = t.trcd;
  r.act_to_pre = t.tras;
  r.pre_to_act = t.trp;
  r.act_to_act_bank = t.tras + t.trp;
  r.rd_to_pre = t.trtp;
  r.wr_to_pre = t.cwl + r.burst + t.twr;
  r.wr_to_rd_s = t.cwl + r.burst + t.twtr_s;
  r.wr_to_rd_l = t.cwl + r.burst + t.twtr_l;
  const uint32_t rd_to_bus_free = t.cl + r.burst + kJedecReadToWriteTurnaroundCycles;
  r.rd_to_wr = t.trtw != 0 ? t.trtw : sub0(rd_to_bus_free, t.cwl);
  r.ccd_s = t.tccd_s, r.ccd_l = t.tccd_l;
  r.rrd_s = t.trrd_s, r.rrd_l = t.trrd_l, r.faw = t.tfaw;
  r.prea_to_ref = t.trpab != 0 ? t.trpab : t.trp;
  r.pre_to_ref = t.trp;
  r.act_to_ref = t.tras + t.trp;
  r.ref_to_act = t.trfc;
  r.refi = t.trefi;
  r.rd_data = t.cl + t.tdqsck;
  r.wr_data = t.cwl + t.tdqss + t.tdqs2dq;
  return r;
}

CommandRules lpddr4(const DramConfig& cfg) {
  const DramTiming& t = cfg.timing;
  CommandRules r = jedec_ddr(cfg);
  r.act_len = kLpddr4ActCycles;
  r.cas_len = kLpddr4CasCycles;
  r.pre_len = kLpddr4PreCycles;
  r.ref_len = kLpddr4RefCycles;
  const uint32_t act_pre = r.act_len - r.pre_len;  // 2
  const uint32_t act_ref = r.act_len - r.ref_len;  // 2
  r.act_to_pre = t.tras + act_pre;                 // CheckerLPDDR4: tRAS + 2 tCK
  r.pre_to_act = sub0(t.trp, act_pre);             // tRPpb - 2 tCK
  r.act_to_act_bank = t.tras + t.trp;              // tRCpb
  r.rd_to_pre = sub0(t.trtp + r.burst + (r.cas_len - r.pre_len), kLpddr4ReadToPreOffsetCycles);
  r.wr_to_pre = t.cwl + r.burst + kLpddr4WriteRecoveryExtraCycles + t.twr + (r.cas_len - r.pre_len);
  r.wr_to_rd_s = t.cwl + kLpddr4WriteRecoveryExtraCycles + r.burst + t.twtr_s;
  r.wr_to_rd_l = t.cwl + kLpddr4WriteRecoveryExtraCycles + r.burst + t.twtr_l;
  r.act_to_ref = t.tras + t.trp + act_ref;        // tRCpb + 2 tCK
  r.ref_to_act = sub0(t.trfc, act_ref);           // tRFCab - 2 tCK
  r.rd_data = t.cl + t.tdqsck + (r.cas_len - 1);  // RL + tDQSCK + 3 tCK
  r.wr_data = t.cwl + t.tdqss + t.tdqs2dq + (r.cas_len - 1);
  return r;
}

}  // namespace

CommandRules command_rules(const DramConfig& cfg) {
  std::string s = cfg.standard;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  if (s == "LPDDR4") return lpddr4(cfg);
  return jedec_ddr(cfg);
}

}  // namespace savp::dram
