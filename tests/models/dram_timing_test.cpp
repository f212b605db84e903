// DRAM timing engine and storage (models/dram), tested against numbers worked out by hand.
// The configs are built here from the numbers of configs/dram/*.yaml (not through the YAML
// loader, which is tested on its own).
#include "models/dram/dram_timing.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "common/errors.hpp"
#include "common/hw_config.hpp"
#include "models/dram/dram_storage.hpp"
#include "tests/models/dram_test_configs.hpp"

namespace savp::dram {
namespace {

using test::ddr4_2400;
using test::lpddr4_3200;



// configs/dram/HBM2.yaml: 2 pseudo-channels x64, 4 BG x 4 banks, 32K rows, 128 columns, BL4.
DramConfig hbm2() {
  DramConfig c;
  c.preset = "HBM2";
  c.org = DramOrganization{2, 1, 4, 4, 32768, 128, 64, 2};
  DramTiming& t = c.timing;
  t.tck_ns = 1.0, t.burst_length = 4, t.cl = 17, t.cwl = 7;
  t.trcd = 12, t.trp = 14, t.tras = 28;
  t.tccd_s = 2, t.tccd_l = 3, t.trrd_s = 4, t.trrd_l = 6, t.tfaw = 16;
  t.twr = 14, t.twtr_s = 4, t.twtr_l = 9, t.trtp = 5, t.trtw = 18;
  t.trefi = 3900, t.trfc = 220;
  c.address_mapping = {"ro", "ra", "ba", "co", "bg", "ch"};
  return c;
}

constexpr uint64_t kTck = 833;  // DDR4-2400 tCK in ps (0.833 ns)
uint64_t cyc(uint64_t n) { return n * kTck; }

DecodedAddress at(uint32_t bg, uint32_t ba, uint32_t row, uint32_t col = 0) {
  DecodedAddress d;
  d.bank_group = bg;
  d.bank = ba;
  d.row = row;
  d.column = col;
  return d;
}

struct StreamResult {
  double efficiency;  // bytes / span / peak
  uint64_t span_ps;
  uint64_t last_done_ps;
};

// `total` bytes read sequentially from 0 in burst-size requests, request i arriving at
// i * step_ps (0: all at time 0).
StreamResult read_stream(DramTimingModel& m, uint64_t total, uint64_t step_ps) {
  const uint32_t bb = m.config().burst_bytes();
  for (uint64_t a = 0, i = 0; a < total; a += bb, ++i) m.access(i * step_ps, a, bb, false);
  const DramStats& s = m.stats();
  StreamResult r;
  r.span_ps = s.last_done_ps - s.first_arrival_ps;
  r.last_done_ps = s.last_done_ps;
  r.efficiency = static_cast<double>(total) / r.span_ps / m.peak_bandwidth_bytes_per_ps();
  return r;
}

constexpr uint64_t kStreamBytes = 4ull << 20;

// ---- bandwidth: sequential streams, refresh included ------------------------------------

// Peaks: DDR4 8 bytes x 2 per 833 ps (19.2 GB/s); LPDDR4 2 channels x 2 bytes x 2 per 625 ps
// (12.8 GB/s); HBM2 2 pseudo-channels x 8 bytes x 2 per 1000 ps (32 GB/s). 4 MiB lasts some
// 220, 330 and 130 us: dozens of tREFI, so refresh is part of the figure.
TEST(DramTiming, SequentialStreamsReachNinetyPercentOfPeak) {
  const std::tuple<const char*, DramConfig, double> cases[] = {
      {"DDR4-2400", ddr4_2400(), 16.0 / 833},
      {"LPDDR4-3200", lpddr4_3200(), 8.0 / 625},
      {"HBM2", hbm2(), 32.0 / 1000}};
  for (const auto& [name, cfg, peak] : cases) {
    SCOPED_TRACE(name);
    DramTimingModel m(cfg);
    EXPECT_DOUBLE_EQ(m.peak_bandwidth_bytes_per_ps(), peak);
    StreamResult r = read_stream(m, kStreamBytes, 0);  // all queued at time 0
    EXPECT_GE(r.efficiency, 0.90);
    EXPECT_LE(r.efficiency, 1.0);
    EXPECT_GE(m.stats().refreshes, 20u);
    EXPECT_EQ(m.stats().reads, kStreamBytes / cfg.burst_bytes());
    EXPECT_EQ(m.stats().read_bytes, kStreamBytes);
    // Arriving back to back at the peak rate: one burst per burst_bytes / peak.
    DramTimingModel b(cfg);
    const auto step = static_cast<uint64_t>(std::llround(cfg.burst_bytes() / peak));
    EXPECT_GE(read_stream(b, kStreamBytes, step).efficiency, 0.90);
  }
}

// ---- row-buffer latencies ------------------------------------------------------------------

TEST(DramTiming, HitMissConflictLatenciesDDR4) {
  DramTimingModel m(ddr4_2400());
  const uint64_t row0 = m.encode(at(0, 0, 0)), row1 = m.encode(at(0, 0, 1));
  // Miss (bank precharged): ACT at 0, RD at tRCD = 16, data 32..36 tCK.
  EXPECT_EQ(m.access(0, row0, 64, false), cyc(16 + 16 + 4));
  EXPECT_EQ(m.last_outcome(), RowOutcome::Miss);
  // Hit 1 us later (well after tRAS): RD at arrival, data CL + BL/2 = 20 tCK later.
  const uint64_t t1 = 1'000'000;
  const uint64_t hit = m.access(t1, row0 + 64 * 4, 64, false) - t1;  // same bank, next column
  EXPECT_EQ(m.last_outcome(), RowOutcome::Hit);
  EXPECT_EQ(hit, cyc(16 + 4));
  // Conflict: PRE at arrival, ACT tRP later, RD tRCD after that: 16 + 16 + 16 + 4 = 52 tCK.
  const uint64_t t2 = 2'000'000;
  const uint64_t conflict = m.access(t2, row1, 64, false) - t2;
  EXPECT_EQ(m.last_outcome(), RowOutcome::Conflict);
  EXPECT_EQ(conflict, cyc(52));
  EXPECT_EQ(conflict - hit, cyc(16 + 16));  // tRP + tRCD
  const DramStats& s = m.stats();
  EXPECT_EQ(s.row_hits, 1u);
  EXPECT_EQ(s.row_misses, 1u);
  EXPECT_EQ(s.row_conflicts, 1u);
  EXPECT_EQ(s.activates, 2u);
  EXPECT_EQ(s.precharges, 1u);
  EXPECT_EQ(s.banks[0].hits, 1u);
  EXPECT_EQ(s.max_latency_ps, cyc(52));
  EXPECT_EQ(s.total_latency_ps, cyc(36 + 20 + 52));
  EXPECT_EQ(s.data_bus_busy_ps, cyc(3 * 4));
}

TEST(DramTiming, FourActivateWindowDDR4) {
  DramTimingModel m(ddr4_2400());
  std::vector<Command> cmds;
  m.set_command_hook([&](const Command& c) { cmds.push_back(c); });
  // Five reads at time 0 to five closed banks: bank groups 0,1,2,3 then group 0 again.
  const DecodedAddress banks[] = {at(0, 0, 0), at(1, 0, 0), at(2, 0, 0), at(3, 0, 0), at(0, 1, 0)};
  uint64_t done = 0;
  for (const auto& d : banks) done = m.access(0, m.encode(d), 64, false);
  std::vector<uint64_t> acts;
  for (const auto& c : cmds)
    if (c.kind == CommandKind::Act) acts.push_back(c.time_ps);
  // ACTs 0, 4, 8, 12 (tRRD_S = 4, other groups); the fifth would be allowed at 16 by tRRD_S
  // and at 6 by tRRD_L (group 0's ACT at 0), but tFAW = 26 after the first ACT holds it to 26.
  ASSERT_EQ(acts.size(), 5u);
  EXPECT_EQ(acts[0], cyc(0));
  EXPECT_EQ(acts[1], cyc(4));
  EXPECT_EQ(acts[2], cyc(8));
  EXPECT_EQ(acts[3], cyc(12));
  EXPECT_EQ(acts[4], cyc(26));
  EXPECT_GE(acts[4] - acts[0], cyc(26));
  // Its RD at 26 + tRCD = 42 (the bus is free from 48 - CL), data 58..62.
  EXPECT_EQ(done, cyc(62));
}

TEST(DramTiming, ActivateToActivateSameAndOtherBankGroup) {
  DramTimingModel m(ddr4_2400());
  std::vector<uint64_t> acts;
  m.set_command_hook([&](const Command& c) {
    if (c.kind == CommandKind::Act) acts.push_back(c.time_ps);
  });
  // Same bank group: tRRD_L = 6 apart.
  m.access(0, m.encode(at(0, 0, 0)), 64, false);
  m.access(0, m.encode(at(0, 1, 0)), 64, false);
  // 1 us later, other bank groups: tRRD_S = 4 apart.
  const uint64_t t = 1'000'000;
  m.access(t, m.encode(at(1, 2, 0)), 64, false);
  m.access(t, m.encode(at(2, 2, 0)), 64, false);
  ASSERT_EQ(acts.size(), 4u);
  EXPECT_EQ(acts[1] - acts[0], cyc(6));
  EXPECT_EQ(acts[2], t);
  EXPECT_EQ(acts[3] - acts[2], cyc(4));
}

TEST(DramTiming, ColumnToColumnSameAndOtherBankGroup) {
  DramTimingModel m(ddr4_2400());
  // Open rows in (bg0, ba0), (bg0, ba1) and (bg1, ba0) first.
  for (const auto& d : {at(0, 0, 0), at(0, 1, 0), at(1, 0, 0)}) m.access(0, m.encode(d), 64, false);
  // Two hits in the same bank group arriving together: RD at T and T + tCCD_L = 6, the second's
  // data ends at T + 6 + CL + 4 = T + 26.
  const uint64_t t = 1'000'000;
  EXPECT_EQ(m.access(t, m.encode(at(0, 0, 0, 8)), 64, false), t + cyc(20));
  EXPECT_EQ(m.access(t, m.encode(at(0, 1, 0, 8)), 64, false), t + cyc(26));
  EXPECT_EQ(m.last_outcome(), RowOutcome::Hit);
  // Other bank groups: RD at U and U + tCCD_S = 4 (data back to back): U + 24.
  const uint64_t u = 2'000'000;
  EXPECT_EQ(m.access(u, m.encode(at(0, 0, 0, 16)), 64, false), u + cyc(20));
  EXPECT_EQ(m.access(u, m.encode(at(1, 0, 0, 16)), 64, false), u + cyc(24));
}

TEST(DramTiming, WriteToReadAndReadToWriteTurnarounds) {
  DramTimingModel m(ddr4_2400());
  for (const auto& d : {at(0, 0, 0), at(1, 0, 0)}) m.access(0, m.encode(d), 64, false);
  // WR (hit) at T: data T+12..T+16 (CWL 12). A read of the same bank group waits tWTR_L = 9
  // after the write data: RD at T+25, data T+41..T+45.
  const uint64_t t = 1'000'000;
  EXPECT_EQ(m.access(t, m.encode(at(0, 0, 0, 8)), 64, true), t + cyc(16));
  EXPECT_EQ(m.access(t, m.encode(at(0, 0, 0, 16)), 64, false), t + cyc(45));
  // Same with the read in another bank group: tWTR_S = 3, RD at T+19, data T+35..T+39.
  const uint64_t u = 2'000'000;
  EXPECT_EQ(m.access(u, m.encode(at(0, 0, 0, 24)), 64, true), u + cyc(16));
  EXPECT_EQ(m.access(u, m.encode(at(1, 0, 0, 24)), 64, false), u + cyc(39));
  // RD at V then WR: tRTW = 10, WR at V+10, data V+22..V+26.
  const uint64_t v = 3'000'000;
  EXPECT_EQ(m.access(v, m.encode(at(0, 0, 0, 32)), 64, false), v + cyc(20));
  EXPECT_EQ(m.access(v, m.encode(at(1, 0, 0, 32)), 64, true), v + cyc(26));
  // Write recovery: a conflict right after a write waits for PRE at data end + tWR.
  // WR at W (hit): data W+12..W+16, PRE at W+16+18 = W+34, ACT W+50, RD W+66, data to W+86.
  const uint64_t w = 4'000'000;
  m.access(w, m.encode(at(0, 0, 0, 40)), 64, true);
  EXPECT_EQ(m.access(w, m.encode(at(0, 0, 5)), 64, false), w + cyc(86));
  EXPECT_EQ(m.stats().writes, 4u);
  EXPECT_EQ(m.stats().write_bytes, 4u * 64);
}

TEST(DramTiming, ClosedPageNeverHits) {
  DramConfig c = ddr4_2400();
  c.page_policy = PagePolicy::Closed;
  DramTimingModel m(c);
  const uint64_t a = m.encode(at(2, 1, 7));
  // Each access: ACT, RD with auto-precharge, so the next one is a miss again: tRCD+CL+BL/2.
  EXPECT_EQ(m.access(0, a, 64, false), cyc(36));
  const uint64_t t = 1'000'000;
  EXPECT_EQ(m.access(t, a, 64, false), t + cyc(36));
  EXPECT_EQ(m.stats().row_hits, 0u);
  EXPECT_EQ(m.stats().row_misses, 2u);
  EXPECT_EQ(m.stats().row_conflicts, 0u);
  EXPECT_EQ(m.stats().precharges, 2u);
  // Back to back: the auto-precharge goes at ACT + tRAS = 39, the next ACT at 39 + tRP = 55
  // (= tRC), RD at 71, data to 91.
  const uint64_t u = 2'000'000;
  m.access(u, a, 64, false);
  EXPECT_EQ(m.access(u, a, 64, false), u + cyc(91));
  EXPECT_EQ(m.stats().row_hits, 0u);
}

// ---- refresh ---------------------------------------------------------------------------------

TEST(DramTiming, RefreshClosesRowsAndBlocksTheRank) {
  DramTimingModel m(ddr4_2400());
  std::vector<Command> refs;
  m.set_command_hook([&](const Command& c) {
    if (c.kind == CommandKind::Ref) refs.push_back(c);
  });
  const uint64_t refi = cyc(9360), rfc = cyc(420);
  const uint64_t a = m.encode(at(0, 0, 3));
  EXPECT_EQ(m.access(0, a, 64, false), cyc(36));  // miss, row 3 left open
  // At 2.5 tREFI: refreshes due at tREFI (PRE of the open row at tREFI, REF at tREFI + tRP)
  // and at 2 tREFI happened; the row was closed, so this is a miss again.
  const uint64_t t = 2 * refi + refi / 2;
  EXPECT_EQ(m.access(t, a, 64, false), t + cyc(36));
  EXPECT_EQ(m.last_outcome(), RowOutcome::Miss);
  EXPECT_EQ(m.stats().refreshes, 2u);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].time_ps, refi + cyc(16));
  EXPECT_EQ(refs[1].time_ps, 2 * refi);
  // Arriving 100 tCK after the third refresh fell due: PRE of the open row at 3 tREFI, REF at
  // +tRP, the rank is blocked for tRFC, then ACT, RD, data: 3 tREFI + 16 + 420 + 16 + 16 + 4.
  const uint64_t u = 3 * refi + cyc(100);
  EXPECT_EQ(m.access(u, a, 64, false), 3 * refi + cyc(16) + rfc + cyc(36));
  EXPECT_EQ(m.stats().refreshes, 3u);
  EXPECT_EQ(m.stats().precharges, 2u);
  // Idle until 10.5 tREFI: refreshes are accounted lazily, none skipped.
  m.advance_to(10 * refi + refi / 2);
  EXPECT_EQ(m.stats().refreshes, 10u);
  EXPECT_EQ(refs.size(), 10u);
  EXPECT_EQ(refs.back().time_ps, 10 * refi);
  // A long idle gap (about 1 ms) without a hook: counted in one step.
  m.set_command_hook(nullptr);
  m.advance_to(128 * refi);
  EXPECT_EQ(m.stats().refreshes, 128u);
}

TEST(DramTiming, RefreshDuringAStream) {
  DramConfig c = ddr4_2400();
  DramTimingModel with(c);
  c.timing.trefi = 0;  // refresh off
  DramTimingModel without(c);
  const uint64_t bytes = 1ull << 20;  // ~55 us at 19.2 GB/s: about 7 tREFI
  StreamResult r = read_stream(with, bytes, 0);
  StreamResult r0 = read_stream(without, bytes, 0);
  const uint64_t refi = cyc(9360), rfc = cyc(420);
  const uint64_t n = with.stats().refreshes;
  EXPECT_GE(n, 6u);
  EXPECT_EQ(without.stats().refreshes, 0u);
  // Each refresh in the stream costs at least tRFC, and at most tRFC plus closing the open
  // rows (tRTP + tRP) and reopening one (tRCD + CL) and a little command slack (tRAS).
  EXPECT_GE(r.span_ps - r0.span_ps, n * rfc);
  EXPECT_LE(r.span_ps - r0.span_ps, n * (rfc + cyc(9 + 16 + 16 + 16 + 39)));
  // After accounting up to the end, exactly one refresh per elapsed tREFI.
  with.advance_to(r.last_done_ps);
  EXPECT_EQ(with.stats().refreshes, r.last_done_ps / refi);
}

// ---- robustness --------------------------------------------------------------------------

TEST(DramTiming, NonMonotonicArrivalsAreServed) {
  DramTimingModel m(ddr4_2400());
  const uint64_t arrivals[] = {5'000'000, 3'000'000, 4'000'000, 4'999'000, 1'000, 9'000'000};
  uint64_t addr = 0;
  for (uint64_t t : arrivals) {
    const uint64_t done = m.access(t, addr, 256, addr % 128 == 0);
    EXPECT_GE(done, t + cyc(16 + 4));  // never faster than a hit
    EXPECT_LT(done, t + 100'000'000);
    addr += 4096 * 64 + 64;
  }
  EXPECT_EQ(m.stats().requests, 6u);
  EXPECT_EQ(m.stats().first_arrival_ps, 1'000u);
}

TEST(DramTiming, PartialAndUnalignedRequestsCostWholeBursts) {
  DramTimingModel m(ddr4_2400());
  m.access(0, 10, 1, false);  // one byte: one burst
  EXPECT_EQ(m.stats().reads, 1u);
  m.access(0, 60, 8, false);  // bytes 60..67 straddle two bursts
  EXPECT_EQ(m.stats().reads, 3u);
  EXPECT_EQ(m.stats().read_bytes, 9u);
  EXPECT_EQ(m.access(7, 0, 0, false), 7u);  // zero bytes: nothing
  EXPECT_EQ(m.stats().requests, 2u);
  EXPECT_THROW(m.access(0, m.capacity() - 32, 64, false), SimulationError);
  EXPECT_THROW(m.access(0, m.capacity(), 1, false), SimulationError);
}

TEST(DramTiming, ResetStartsAFreshRun) {
  DramTimingModel m(ddr4_2400());
  read_stream(m, 1 << 16, 0);
  m.reset_stats(50'000'000);
  EXPECT_EQ(m.stats().reads, 0u);
  EXPECT_EQ(m.stats().refreshes, 0u);
  ASSERT_EQ(m.stats().banks.size(), 16u);
  // Rows closed: a read of address 0 is a miss again, and no refresh is due before
  // origin + tREFI.
  const uint64_t t = 50'000'000 + 1000;
  EXPECT_EQ(m.access(t, 0, 64, false), t + cyc(36));
  EXPECT_EQ(m.last_outcome(), RowOutcome::Miss);
  EXPECT_EQ(m.stats().refreshes, 0u);
}

// ---- address mapping -------------------------------------------------------------------

TEST(DramTiming, AddressDecodingRoundTrip) {
  DramTimingModel m(ddr4_2400());
  // [ro, ra, ba, co, bg, ch], 64-byte bursts: bits 0-5 offset (3 of them the column within
  // the burst), bg = bits 6-7, co = bits 8-14 (128 bursts per 1K-column row), ba = bits
  // 15-16, ra and ch take no bits, ro = bits 17-32; capacity 2^33 = 8 GiB.
  EXPECT_EQ(m.capacity(), 8ull << 30);
  DecodedAddress d = m.decode(0x40);
  EXPECT_EQ(d.bank_group, 1u);
  EXPECT_EQ(d.column, 0u);
  d = m.decode(0x100);
  EXPECT_EQ(d.bank_group, 0u);
  EXPECT_EQ(d.column, 8u);
  // row 5, bank 2, burst 3, bank group 1, byte 0x18 (bus word 3):
  // 5 << 17 | 2 << 15 | 3 << 8 | 1 << 6 | 0x18 = 0xA0000 + 0x10000 + 0x300 + 0x40 + 0x18.
  d = m.decode(0xB0358);
  EXPECT_EQ(d.row, 5u);
  EXPECT_EQ(d.bank, 2u);
  EXPECT_EQ(d.bank_group, 1u);
  EXPECT_EQ(d.column, 3u * 8 + 3);
  EXPECT_EQ(d.channel, 0u);
  EXPECT_EQ(d.rank, 0u);
  EXPECT_EQ(m.encode(d), 0xB0358u);
  EXPECT_EQ(m.flat_bank(d), 1u * 4 + 2);
  d = m.decode(m.capacity() - 1);
  EXPECT_EQ(d.row, 65535u);
  EXPECT_EQ(d.column, 1023u);
  EXPECT_EQ(m.flat_bank(d), 15u);
  EXPECT_THROW(m.decode(m.capacity()), SimulationError);
  EXPECT_THROW(m.encode(at(4, 0, 0)), SimulationError);

  // LPDDR4 [ro, ra, bg, ba, co, ch], 32-byte bursts: ch = bit 5, co = bits 6-11, ba = 12-14,
  // ro = 15-30 (2 GiB).
  DramTimingModel l(lpddr4_3200());
  EXPECT_EQ(l.capacity(), 2ull << 30);
  d = l.decode(0x20);
  EXPECT_EQ(d.channel, 1u);
  EXPECT_EQ(d.column, 0u);
  d = l.decode((7u << 15) | (3u << 12) | (9u << 6) | (1u << 5) | 0x6);
  EXPECT_EQ(d.row, 7u);
  EXPECT_EQ(d.bank, 3u);
  EXPECT_EQ(d.column, 9u * 16 + 3);
  EXPECT_EQ(d.channel, 1u);
  EXPECT_EQ(l.flat_bank(d), 8u + 3);
  EXPECT_EQ(l.encode(d), (7u << 15) | (3u << 12) | (9u << 6) | (1u << 5) | 0x6);
}

TEST(DramTiming, InvalidConfigsThrow) {
  DramConfig c = ddr4_2400();
  c.address_mapping = {"ro", "ra", "ba", "co", "bg"};  // ch missing
  EXPECT_THROW(DramTimingModel{c}, ConfigError);
  c.address_mapping = {"ro", "ra", "ba", "co", "bg", "co"};  // co twice
  EXPECT_THROW(DramTimingModel{c}, ConfigError);
  c.address_mapping = {"ro", "ra", "ba", "co", "bg", "xx"};  // unknown
  EXPECT_THROW(DramTimingModel{c}, ConfigError);
  c = ddr4_2400();
  c.org.rows = 60000;  // not a power of two
  try {
    DramTimingModel m(c);
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.field(), "organization.rows");
  }
  c = ddr4_2400();
  c.org.bus_width_bits = 12;
  EXPECT_THROW(DramTimingModel{c}, ConfigError);
  c = ddr4_2400();
  c.timing.tck_ns = 0;
  EXPECT_THROW(DramTimingModel{c}, ConfigError);
  c = ddr4_2400();
  c.timing.trfc = c.timing.trefi;
  EXPECT_THROW(DramTimingModel{c}, ConfigError);
}

// The presets hold the numbers the tests above use (read with yaml-cpp directly, not through
// the config loader), and every preset makes a valid model.
using OrgField = uint32_t DramOrganization::*;
using TimingField = uint32_t DramTiming::*;
#define ORG(m) \
  { #m, &DramOrganization::m }
#define TIM(m) \
  { #m, &DramTiming::m }
const std::pair<const char*, OrgField> kOrgKeys[] = {
    ORG(channels), ORG(ranks),   ORG(bank_groups),    ORG(banks_per_group),
    ORG(rows),     ORG(columns), ORG(bus_width_bits), ORG(data_rate)};
const std::pair<const char*, TimingField> kTimingKeys[] = {
    TIM(burst_length), TIM(cl),     TIM(cwl),    TIM(trcd),   TIM(trp),   TIM(tras),
    TIM(tccd_s),       TIM(tccd_l), TIM(trrd_s), TIM(trrd_l), TIM(tfaw),  TIM(twr),
    TIM(twtr_s),       TIM(twtr_l), TIM(trtp),   TIM(trtw),   TIM(trefi), TIM(trfc),
    TIM(trpab),        TIM(tdqsck), TIM(tdqss),  TIM(tdqs2dq)};
#undef ORG
#undef TIM

DramConfig read_preset(const std::string& name) {
  YAML::Node y = YAML::LoadFile(std::string(SAVP_SOURCE_DIR) + "/configs/dram/" + name + ".yaml");
  DramConfig c;
  for (const auto& [k, f] : kOrgKeys) c.org.*f = y["organization"][k].as<uint32_t>();
  for (const auto& [k, f] : kTimingKeys) c.timing.*f = y["timing"][k].as<uint32_t>(0);
  c.standard = y["standard"].as<std::string>();
  c.timing.tck_ns = y["timing"]["tck_ns"].as<double>();
  c.page_policy =
      y["page_policy"].as<std::string>() == "open" ? PagePolicy::Open : PagePolicy::Closed;
  c.address_mapping = y["address_mapping"].as<std::vector<std::string>>();
  return c;
}

TEST(DramTiming, PresetFilesMatchTheTestConfigs) {
  const std::pair<const char*, DramConfig> presets[] = {
      {"DDR4-2400", ddr4_2400()}, {"LPDDR4-3200", lpddr4_3200()}, {"HBM2", hbm2()}};
  for (const auto& [name, want] : presets) {
    SCOPED_TRACE(name);
    const DramConfig got = read_preset(name);
    for (const auto& [k, f] : kOrgKeys) EXPECT_EQ(got.org.*f, want.org.*f) << k;
    for (const auto& [k, f] : kTimingKeys) EXPECT_EQ(got.timing.*f, want.timing.*f) << k;
    EXPECT_DOUBLE_EQ(got.timing.tck_ns, want.timing.tck_ns);
    EXPECT_EQ(got.address_mapping, want.address_mapping);
    EXPECT_EQ(got.standard == "LPDDR4", want.standard == "LPDDR4");
    EXPECT_EQ(got.page_policy, PagePolicy::Open);
  }
  // 4 x 2 Gb x16 devices: 1 GiB.
  EXPECT_EQ(DramTimingModel(read_preset("DDR3-1600")).capacity(), 1ull << 30);
}

// ---- storage -------------------------------------------------------------------------------

TEST(DramStorage, SparseWriteReadBack) {
  DramStorage s(8ull << 30);  // 8 GiB: nothing allocated up front
  EXPECT_EQ(s.capacity(), 8ull << 30);
  EXPECT_EQ(s.allocated_bytes(), 0u);
  uint8_t buf[16];
  s.read(5ull << 30, buf, sizeof buf);  // never written: zeros, still nothing allocated
  for (uint8_t b : buf) EXPECT_EQ(b, 0);
  EXPECT_EQ(s.allocated_bytes(), 0u);

  // A write across a page boundary touches two pages.
  std::vector<uint8_t> data(100);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i + 1);
  const uint64_t a = 7 * DramStorage::kDefaultPageBytes - 50;
  s.write(a, data.data(), data.size());
  EXPECT_EQ(s.allocated_bytes(), 2 * DramStorage::kDefaultPageBytes);
  std::vector<uint8_t> back(120);
  s.read(a - 10, back.data(), back.size());
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(back[i], 0);
  for (size_t i = 0; i < 100; ++i) EXPECT_EQ(back[10 + i], i + 1);
  for (size_t i = 110; i < 120; ++i) EXPECT_EQ(back[i], 0);

  // The last byte of the capacity, and page_ptr for direct access.
  const uint8_t x = 0xA5;
  s.write(s.capacity() - 1, &x, 1);
  uint8_t* p = s.page_ptr(s.capacity() - 1);
  EXPECT_EQ(p[(s.capacity() - 1) - s.page_base(s.capacity() - 1)], 0xA5);
  p[0] = 0x3C;
  uint8_t y = 0;
  s.read(s.page_base(s.capacity() - 1), &y, 1);
  EXPECT_EQ(y, 0x3C);
  EXPECT_EQ(s.allocated_bytes(), 3 * DramStorage::kDefaultPageBytes);

  s.clear();
  s.read(a, &y, 1);
  EXPECT_EQ(y, 0);
  EXPECT_EQ(s.allocated_bytes(), 0u);
}

TEST(DramStorage, BeyondCapacityThrows) {
  DramStorage s(1 << 20);
  uint8_t b[8] = {};
  EXPECT_THROW(s.read(1 << 20, b, 1), SimulationError);
  EXPECT_THROW(s.write((1 << 20) - 4, b, 8), SimulationError);
  EXPECT_THROW(s.page_ptr(1 << 20), SimulationError);
  EXPECT_THROW(s.read(UINT64_MAX - 2, b, 8), SimulationError);  // no wrap-around
  try {
    s.write(0x100004, b, 1);
    FAIL() << "no SimulationError";
  } catch (const SimulationError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("0x100004"), std::string::npos) << what;
    EXPECT_NE(what.find("0x100000"), std::string::npos) << what;
  }
  EXPECT_NO_THROW(s.write((1 << 20) - 8, b, 8));
  EXPECT_THROW(DramStorage(1 << 20, 1000), std::invalid_argument);
}

}  // namespace
}  // namespace savp::dram
