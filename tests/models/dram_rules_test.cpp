// DRAMSys's command rules in the DRAM timing model (models/dram/dram_rules.hpp): LPDDR4's
// command lengths and command-edge offsets, tRPab before a refresh, the one-command-at-a-time
// command bus, the data-strobe delays, and start-address channel routing. Every expected time
// below is worked out by hand from DRAMSys's CheckerLPDDR4 / CheckerDDR4 and MemSpecLPDDR4 with
// the memspec numbers of JEDEC_8Gb_LPDDR4-3200_16bit (configs/dram/LPDDR4-3200.yaml).
#include "models/dram/dram_rules.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "common/hw_config.hpp"
#include "models/dram/dram_timing.hpp"
#include "tests/models/dram_test_configs.hpp"

namespace savp::dram {
namespace {

DramConfig lpddr4() { return test::lpddr4_3200(); }  // channel 0 used unless said
DramConfig ddr4() {
  DramConfig c = test::ddr4_2400();
  c.standard = "DDR4";
  return c;
}



constexpr uint64_t kLp = 625;  // LPDDR4-3200 tCK, ps
constexpr uint64_t kD4 = 833;  // DDR4-2400 tCK, ps

// LPDDR4 mapping [ro, ra, bg, ba, co, ch]: byte 0-4, channel 5, column burst 6-11, bank 12-14,
// row 15-30.
uint64_t lp_addr(uint32_t bank, uint32_t row, uint32_t channel = 0) {
  return (uint64_t{row} << 15) | (uint64_t{bank} << 12) | (uint64_t{channel} << 5);
}

struct Cmd {
  CommandKind kind;
  uint64_t cycle;
  uint32_t bank;
};

// Records the commands of a model into `out`, in tCK of `tck`.
void record(DramTimingModel& m, uint64_t tck, std::vector<Cmd>& out) {
  m.set_command_hook([&out, tck](const Command& c) {
    EXPECT_EQ(c.time_ps % tck, 0u) << "command off the clock grid";
    out.push_back({c.kind, c.time_ps / tck, c.where.bank});
  });
}

std::vector<uint64_t> times_of(const std::vector<Cmd>& cmds, CommandKind k) {
  std::vector<uint64_t> t;
  for (const Cmd& c : cmds)
    if (c.kind == k) t.push_back(c.cycle);
  return t;
}

TEST(DramRules, Lpddr4RulesFromTheMemspec) {
  const CommandRules r = command_rules(lpddr4());
  EXPECT_EQ(r.act_len, 4u);  // MemSpecLPDDR4: ACT, RD, WR 4 cycles; PRE, REF 2
  EXPECT_EQ(r.cas_len, 4u);
  EXPECT_EQ(r.pre_len, 2u);
  EXPECT_EQ(r.ref_len, 2u);
  EXPECT_EQ(r.act_to_pre, 70u);   // tRAS + 2
  EXPECT_EQ(r.pre_to_act, 27u);   // tRPpb - 2
  EXPECT_EQ(r.rd_to_pre, 14u);    // tRTP + BL/2 - 6
  EXPECT_EQ(r.wr_to_pre, 54u);    // WL + BL/2 + 1 + tWR + 2
  EXPECT_EQ(r.wr_to_rd_s, 39u);   // WL + 1 + BL/2 + tWTR
  EXPECT_EQ(r.prea_to_ref, 34u);  // tRPab
  EXPECT_EQ(r.act_to_ref, 99u);   // tRCpb + 2
  EXPECT_EQ(r.ref_to_act, 446u);  // tRFCab - 2
  EXPECT_EQ(r.rd_data, 37u);      // RL + tDQSCK + 3
  EXPECT_EQ(r.wr_data, 20u);      // WL + tDQSS + tDQS2DQ + 3
  // DDR4: one-cycle commands, the JEDEC parameters as they are.
  const CommandRules d = command_rules(ddr4());
  EXPECT_EQ(d.act_len + d.pre_len + d.cas_len + d.ref_len, 4u);
  EXPECT_EQ(d.pre_to_act, 16u);
  EXPECT_EQ(d.act_to_pre, 39u);
  EXPECT_EQ(d.wr_to_pre, 12u + 4u + 18u);
  EXPECT_EQ(d.prea_to_ref, 16u);  // tRP: DDR4 has no tRPab
  EXPECT_EQ(d.rd_data, 16u);
}

// Two row misses in one bank (both arrive at 0, fcfs): ACT 0, RD 29 (tRCD); PRE at
// max(ACT + tRAS + 2 = 70, RD + tRDPRE 14 = 43) = 70; ACT at max(PRE + tRPpb - 2 = 97,
// ACT + tRCpb = 97) = 97; RD 126. Read data ends RD + RL 28 + tDQSCK 6 + 3 + BL/2 8:
// 29 + 45 = 74 and 126 + 45 = 171. Then a write hit: WR at RD + tRDWR 30 = 156, its data
// ends 156 + WL 14 + tDQSS 1 + tDQS2DQ 2 + 3 + BL/2 8 = 184; a read hit after it waits
// tWRRD = WL + 1 + BL/2 + tWTR = 39: RD 195, data end 240.
TEST(DramRules, Lpddr4TwoRowMissesInOneBankThenWriteToRead) {
  std::vector<Cmd> cmds;
  DramTimingModel m(lpddr4());
  record(m, kLp, cmds);
  EXPECT_EQ(m.access(0, lp_addr(0, 0), 32, false), 74 * kLp);
  EXPECT_EQ(m.access(0, lp_addr(0, 1), 32, false), 171 * kLp);
  EXPECT_EQ(m.access(0, lp_addr(0, 1), 32, true), 184 * kLp);
  EXPECT_EQ(m.access(0, lp_addr(0, 1), 32, false), 240 * kLp);
  EXPECT_EQ(times_of(cmds, CommandKind::Act), (std::vector<uint64_t>{0, 97}));
  EXPECT_EQ(times_of(cmds, CommandKind::Pre), (std::vector<uint64_t>{70}));
  EXPECT_EQ(times_of(cmds, CommandKind::Rd), (std::vector<uint64_t>{29, 126, 195}));
  EXPECT_EQ(times_of(cmds, CommandKind::Wr), (std::vector<uint64_t>{156}));
}

// A write miss: ACT 0, WR 29, data ends 29 + 20 + 8 = 57 (MemSpecLPDDR4 WR interval end
// WL + tDQSS + tDQS2DQ + BL/2 + 3 tCK). A conflict after it precharges at WR + tWRPRE 54 = 83
// (> ACT + 70), ACT 110, RD 139, data end 184.
TEST(DramRules, Lpddr4WriteLatencyAndWriteToPrecharge) {
  std::vector<Cmd> cmds;
  DramTimingModel m(lpddr4());
  record(m, kLp, cmds);
  EXPECT_EQ(m.access(0, lp_addr(2, 5), 32, true), 57 * kLp);
  EXPECT_EQ(m.access(0, lp_addr(2, 6), 32, false), 184 * kLp);
  EXPECT_EQ(times_of(cmds, CommandKind::Pre), (std::vector<uint64_t>{83}));
}

// A refresh with an open bank: a read at 0 opens bank 3 (ACT 0, RD 29). The refresh falls due
// at tREFI = 6246: one PREA at 6246 (the bank may precharge from 70), REF tRPab = 34 later at
// 6280 (tRPpb would give 6275), the next ACT tRFCab - 2 = 446 after REF: a read arriving at
// 6246 activates at 6726, reads at 6755, data ends 6800.
TEST(DramRules, Lpddr4RefreshWithOpenBankUsesTRPab) {
  std::vector<Cmd> cmds;
  DramTimingModel m(lpddr4());
  record(m, kLp, cmds);
  m.access(0, lp_addr(3, 7), 32, false);
  EXPECT_EQ(m.access(6246 * kLp, lp_addr(3, 7), 32, false), 6800 * kLp);
  EXPECT_EQ(m.last_outcome(), RowOutcome::Miss);  // the refresh closed the row
  EXPECT_EQ(times_of(cmds, CommandKind::Pre), (std::vector<uint64_t>{6246}));
  // Channel 0's REF; channel 1's refresh (idle, no open bank) is accounted when due too.
  std::vector<uint64_t> refs = times_of(cmds, CommandKind::Ref);
  ASSERT_FALSE(refs.empty());
  EXPECT_EQ(refs.front(), 6280u);
  EXPECT_EQ(times_of(cmds, CommandKind::Act), (std::vector<uint64_t>{0, 6726}));
}

// DDR4 keeps tRP before REF: open bank at 0 (ACT 0, RD 16); at tREFI 9360 PREA, REF 16 later.
TEST(DramRules, Ddr4RefreshWithOpenBankUsesTRP) {
  std::vector<Cmd> cmds;
  DramTimingModel m(ddr4());
  record(m, kD4, cmds);
  m.access(0, 0, 64, false);
  m.advance_to(9360 * kD4);
  EXPECT_EQ(times_of(cmds, CommandKind::Pre), (std::vector<uint64_t>{9360}));
  EXPECT_EQ(times_of(cmds, CommandKind::Ref), (std::vector<uint64_t>{9376}));
}

// Five row misses to banks 0..4 at 0 with the real LPDDR4 numbers. ACTs tRRD = 16 apart: 0, 16,
// then 32 - but RD0 holds the command bus over [29, 33) - so 33 (DRAMSys: lastCommandOnBus + 1);
// ACT3 at 33 + 16 = 49 (RD1 holds [45, 49)); ACT4 at max(49 + 16, tFAW: ACT0 + 64) = 65 but RD2
// holds [62, 66): 66. RDs at ACT + 29 (>= previous RD + tCCD 8): 29, 45, 62, 78, 95; the last
// data ends 95 + 45 = 140 (138 without the command bus).
TEST(DramRules, Lpddr4CommandBusDelaysActivates) {
  std::vector<Cmd> cmds;
  DramTimingModel m(lpddr4());
  record(m, kLp, cmds);
  uint64_t last = 0;
  for (uint32_t b = 0; b < 5; ++b) last = m.access(0, lp_addr(b, 1), 32, false);
  EXPECT_EQ(last, 140 * kLp);
  EXPECT_EQ(times_of(cmds, CommandKind::Act), (std::vector<uint64_t>{0, 16, 33, 49, 66}));
  EXPECT_EQ(times_of(cmds, CommandKind::Rd), (std::vector<uint64_t>{29, 45, 62, 78, 95}));
}

// Four ACTs fill the tFAW window: with tRRD 8 the ACTs go at 0, 8, 16, 24 (RD0 at [29, 33)
// does not touch them) and the fifth waits for ACT0 + tFAW = 64 (DRAMSys: last4Activates
// front, stored as its last cycle 3, + tFAW - 3). RD4 at 93, data end 138.
TEST(DramRules, Lpddr4FourActivateWindow) {
  DramConfig c = lpddr4();
  c.timing.trrd_s = c.timing.trrd_l = 8;
  std::vector<Cmd> cmds;
  DramTimingModel m(c);
  record(m, kLp, cmds);
  uint64_t last = 0;
  for (uint32_t b = 0; b < 5; ++b) last = m.access(0, lp_addr(b, 1), 32, false);
  EXPECT_EQ(times_of(cmds, CommandKind::Act), (std::vector<uint64_t>{0, 8, 16, 24, 64}));
  EXPECT_EQ(last, 138 * kLp);
}

// Command-bus-bound: eight row misses to eight banks at 0 with no ACT-to-ACT limit (tRRD and
// tFAW 0): without a command bus all eight ACTs would go at 0. One command at a time, 4 cycles
// each: ACTs at 0, 4, ..., 24; the eighth finds [28, 32) cut by RD0 at [29, 33) and goes at 33.
// RDs (tCCD 8 apart) at 29, 37, ..., 85.
TEST(DramRules, Lpddr4CommandBusOneCommandAtATime) {
  DramConfig c = lpddr4();
  c.timing.trrd_s = c.timing.trrd_l = 0;
  c.timing.tfaw = 0;
  std::vector<Cmd> cmds;
  DramTimingModel m(c);
  record(m, kLp, cmds);
  for (uint32_t b = 0; b < 8; ++b) m.access(0, lp_addr(b, 0), 32, false);
  EXPECT_EQ(times_of(cmds, CommandKind::Act), (std::vector<uint64_t>{0, 4, 8, 12, 16, 20, 24, 33}));
  EXPECT_EQ(times_of(cmds, CommandKind::Rd),
            (std::vector<uint64_t>{29, 37, 45, 53, 61, 69, 77, 85}));
  // DDR4: one-cycle commands: the same eight misses activate 0..7 (tRRD 0, tFAW 0).
  DramConfig d = ddr4();
  d.timing.trrd_s = d.timing.trrd_l = 0;
  d.timing.tfaw = 0;
  std::vector<Cmd> c4;
  DramTimingModel m4(d);
  record(m4, kD4, c4);
  // DDR4 mapping [ro, ra, ba, co, bg, ch]: bank group bits 6-7, bank 15-16.
  for (uint32_t i = 0; i < 8; ++i)
    m4.access(0, (uint64_t{i % 4} << 6) | (uint64_t{i / 4} << 15), 64, false);
  EXPECT_EQ(times_of(c4, CommandKind::Act), (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

// DRAMSys routes a request by its start address: 64 bytes at 0 on LPDDR4 (32-byte channel
// interleave) are two bursts on channel 0 (column 0 twice, as the child transactions decode
// without the channel bits). Entered at 1 (ThinkDelayFw), ACT 1, RD 30 and 38, data ends
// 38 + 45 = 83. Split: one burst per channel in parallel, done at 30 + 45 = 75.
TEST(DramRules, StartAddressChannelRouting) {
  for (const auto& [routing, want] : {std::pair{DramChannelRouting::StartAddress, uint64_t{83}},
                                      std::pair{DramChannelRouting::Split, uint64_t{75}}}) {
    DramConfig c = lpddr4();
    c.scheduler = DramScheduler::FrFcfs;
    c.channel_routing = routing;
    DramTimingModel m(c);
    uint64_t done = 0;
    m.set_completion_hook([&](uint64_t, uint64_t, uint64_t d) { done = d; });
    m.submit(0, 0, 64, false, 0);
    m.drain();
    EXPECT_EQ(done, want * kLp) << static_cast<int>(routing);
    EXPECT_EQ(m.stats().reads, 2u);
  }
}

}  // namespace
}  // namespace savp::dram
