// FR-FCFS scheduling of the DRAM timing engine (models/dram/dram_timing.hpp, submit/drain),
// against times worked out by hand on DDR4-2400 (tCK 833 ps; tRCD = tRP = CL = 16, tRAS 39,
// tRTP 9, tCCD_L 6, BL8 = 4 tCK of data). Under FR-FCFS a request enters the controller one
// tCK after it arrives (DRAMSys's ThinkDelayFw).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "common/hw_config.hpp"
#include "models/dram/dram_timing.hpp"
#include "tests/models/dram_test_configs.hpp"

namespace savp::dram {
namespace {

DramConfig ddr4_2400(DramScheduler s, uint32_t buffer = 8) {
  DramConfig c = test::ddr4_2400();
  c.scheduler = s;
  c.request_buffer_size = buffer;
  return c;
}

uint64_t cyc(uint64_t n) { return n * 833; }

// Bank group 0, bank 0: `row`, burst `col`.
uint64_t addr(const DramTimingModel& m, uint32_t row, uint32_t col) {
  DecodedAddress d;
  d.row = row;
  d.column = col * 8;
  return m.encode(d);
}

struct Played {
  std::vector<uint64_t> order;  // tags in completion order
  std::vector<uint64_t> done;   // by tag
  uint64_t last_done = 0;
};

// Submits (arrival tCK, row, burst column) reads tagged 0, 1, ... and drains.
Played play(DramTimingModel& m, const std::vector<std::array<uint64_t, 3>>& reqs) {
  Played r;
  r.done.assign(reqs.size(), 0);
  m.set_completion_hook([&](uint64_t tag, uint64_t, uint64_t done) {
    r.order.push_back(tag);
    r.done[tag] = done;
    r.last_done = std::max(r.last_done, done);
  });
  for (size_t i = 0; i < reqs.size(); ++i)
    m.submit(cyc(reqs[i][0]), addr(m, static_cast<uint32_t>(reqs[i][1]),
                                   static_cast<uint32_t>(reqs[i][2])),
             64, false, i);
  m.drain();
  return r;
}

// Two rows interleaved in one bank, all four at time 0: A0 B0 A1 B1.
const std::vector<std::array<uint64_t, 3>> kInterleaved = {{0, 0, 0}, {0, 1, 0}, {0, 0, 1},
                                                           {0, 1, 1}};

TEST(DramScheduler, FrFcfsServesRowHitsFirst) {
  DramTimingModel m(ddr4_2400(DramScheduler::FrFcfs));
  const Played r = play(m, kInterleaved);
  // All enter at 1. A0 misses: ACT 1, RD 17, data 33..37. B0 conflicts: its PRE could go at
  // max(ACT + tRAS, RD + tRTP) = 40, and A1 (row 0) is buffered by then, so A1 goes first:
  // RD at 17 + tCCD_L = 23, data 39..43. Then B0: PRE 40, ACT 56, RD 72, data 88..92; B1 hits:
  // RD 78, data 94..98.
  EXPECT_EQ(r.done, (std::vector<uint64_t>{cyc(37), cyc(92), cyc(43), cyc(98)}));
  EXPECT_EQ(r.order, (std::vector<uint64_t>{0, 2, 1, 3}));  // out of order
  EXPECT_EQ(m.stats().row_hits, 2u);
  EXPECT_EQ(m.stats().row_misses, 1u);
  EXPECT_EQ(m.stats().row_conflicts, 1u);
  EXPECT_EQ(m.stats().activates, 2u);
  EXPECT_EQ(m.stats().requests, 4u);
  EXPECT_EQ(m.stats().last_done_ps, cyc(98));
  EXPECT_EQ(m.pending_bursts(), 0u);
}

TEST(DramScheduler, FcfsServesInArrivalOrder) {
  DramTimingModel m(ddr4_2400(DramScheduler::Fcfs));
  const Played r = play(m, kInterleaved);
  // A0 miss: ACT 0, RD 16, data 32..36. B0: PRE 39 (tRAS), ACT 55, RD 71, data 87..91.
  // A1: PRE 94 (ACT 55 + tRAS), ACT 110, RD 126, data 142..146. B1: PRE 149, ACT 165, RD 181,
  // data 197..201.
  EXPECT_EQ(r.done, (std::vector<uint64_t>{cyc(36), cyc(91), cyc(146), cyc(201)}));
  EXPECT_EQ(r.order, (std::vector<uint64_t>{0, 1, 2, 3}));
  EXPECT_EQ(m.stats().row_hits, 0u);
  EXPECT_EQ(m.stats().row_conflicts, 3u);
}

// A hit is served before the conflict only if it is in the buffer when the PRE would issue
// (at 40): arriving at 39 it enters at 40 and goes first, arriving at 40 it is too late.
TEST(DramScheduler, HitMustBeBufferedBeforeThePrecharge) {
  {
    DramTimingModel m(ddr4_2400(DramScheduler::FrFcfs));
    const Played r = play(m, {{0, 0, 0}, {0, 1, 0}, {39, 0, 1}});
    EXPECT_EQ(r.order, (std::vector<uint64_t>{0, 2, 1}));
    EXPECT_EQ(m.stats().row_hits, 1u);
    // The hit: RD at its entry 40 (after 17 + tCCD_L), data 56..60; it pushes the PRE to
    // RD + tRTP = 49: ACT 65, RD 81, data 97..101.
    EXPECT_EQ(r.done, (std::vector<uint64_t>{cyc(37), cyc(101), cyc(60)}));
  }
  {
    DramTimingModel m(ddr4_2400(DramScheduler::FrFcfs));
    const Played r = play(m, {{0, 0, 0}, {0, 1, 0}, {40, 0, 1}});
    EXPECT_EQ(r.order, (std::vector<uint64_t>{0, 1, 2}));
    EXPECT_EQ(m.stats().row_hits, 0u);
    EXPECT_EQ(m.stats().row_conflicts, 2u);
  }
}

// A0 B0 B1 A1 at time 0. With 8 entries per bank A1 is buffered and overtakes B0. With 2,
// B1 waits for A0's RD (17) to enter and A1 waits for B0's RD, so B0 is decided without A1:
// A1 ends up a conflict.
TEST(DramScheduler, RequestBufferBoundsTheReordering) {
  const std::vector<std::array<uint64_t, 3>> reqs = {{0, 0, 0}, {0, 1, 0}, {0, 1, 1}, {0, 0, 1}};
  DramTimingModel big(ddr4_2400(DramScheduler::FrFcfs, 8));
  const Played a = play(big, reqs);
  EXPECT_EQ(a.order, (std::vector<uint64_t>{0, 3, 1, 2}));
  EXPECT_EQ(big.stats().row_hits, 2u);
  EXPECT_EQ(big.stats().row_conflicts, 1u);
  DramTimingModel small(ddr4_2400(DramScheduler::FrFcfs, 2));
  const Played b = play(small, reqs);
  EXPECT_EQ(b.order, (std::vector<uint64_t>{0, 1, 2, 3}));
  EXPECT_EQ(small.stats().row_hits, 1u);
  EXPECT_EQ(small.stats().row_conflicts, 2u);
  // B0: PRE 40, ACT 56, RD 72, data 88..92; B1 hit: RD 78, data 94..98; A1 enters at B0's RD
  // (72), PRE at max(ACT 56 + tRAS, 78 + tRTP) = 95, ACT 111, RD 127, data 143..147.
  EXPECT_EQ(b.done, (std::vector<uint64_t>{cyc(37), cyc(92), cyc(98), cyc(147)}));
  EXPECT_GT(b.last_done, a.last_done);
}

// access() (the platform's blocking path) is unchanged by the scheduler option: it decides
// each request when it arrives.
TEST(DramScheduler, AccessDecidesAtArrival) {
  DramTimingModel m(ddr4_2400(DramScheduler::FrFcfs));
  uint64_t done[4];
  for (size_t i = 0; i < 4; ++i)
    done[i] = m.access(0, addr(m, static_cast<uint32_t>(kInterleaved[i][1]),
                               static_cast<uint32_t>(kInterleaved[i][2])),
                       64, false);
  EXPECT_EQ(done[3], cyc(201));  // as FCFS above
}

TEST(DramScheduler, DecreasingArrivalsAreRejected) {
  DramTimingModel m(ddr4_2400(DramScheduler::FrFcfs));
  m.submit(cyc(10), 0, 64, false, 0);
  EXPECT_THROW(m.submit(cyc(9), 64, 64, false, 1), SimulationError);
  EXPECT_THROW(m.submit(cyc(10), m.capacity(), 64, false, 2), SimulationError);
  m.drain();
  EXPECT_EQ(m.stats().requests, 1u);
}

TEST(DramScheduler, MultiBurstRequestCompletesOnceWithItsLastBurst) {
  DramTimingModel m(ddr4_2400(DramScheduler::FrFcfs));
  std::vector<uint64_t> done;
  m.set_completion_hook([&](uint64_t, uint64_t, uint64_t d) { done.push_back(d); });
  m.submit(0, 0, 256, false, 7);  // 4 bursts, one per bank group (mapping [.. co bg ch])
  m.drain();
  ASSERT_EQ(done.size(), 1u);
  // Entry 1; ACTs at 1, 5, 9, 13 (tRRD_S 4); RDs 17, 21, 25, 29; last data 45..49.
  EXPECT_EQ(done[0], cyc(49));
  EXPECT_EQ(m.stats().reads, 4u);
  EXPECT_EQ(m.stats().requests, 1u);
}

// ---- the hardware config option --------------------------------------------------------------

std::string default_hw_text() {
  std::ifstream f(std::string(SAVP_SOURCE_DIR) + "/configs/hw/default.yaml");
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string with_dram_line(const std::string& line) {
  std::string t = default_hw_text();
  const std::string key = "  scheduler_queue_depth: 16\n";
  const size_t at = t.find(key);
  EXPECT_NE(at, std::string::npos);
  return t.replace(at, key.size(), key + line + "\n");
}

TEST(DramScheduler, HwConfigOption) {
  const HwConfig d = parse_hw_config(default_hw_text(), "default.yaml");
  EXPECT_EQ(d.dram.scheduler, DramScheduler::FrFcfs);  // DRAMSys's default
  EXPECT_EQ(d.dram.request_buffer_size, 8u);
  const HwConfig f =
      parse_hw_config(with_dram_line("  scheduler: fcfs\n  request_buffer_size: 4"), "t.yaml");
  EXPECT_EQ(f.dram.scheduler, DramScheduler::Fcfs);
  EXPECT_EQ(f.dram.request_buffer_size, 4u);
  EXPECT_STREQ(to_string(f.dram.scheduler), "fcfs");
  try {
    parse_hw_config(with_dram_line("  scheduler: fifo"), "t.yaml");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("t.yaml:"), std::string::npos) << w;
    EXPECT_NE(w.find("dram.scheduler"), std::string::npos) << w;
    EXPECT_NE(w.find("frfcfs"), std::string::npos) << w;
  }
  EXPECT_THROW(parse_hw_config(with_dram_line("  request_buffer_size: 0"), "t.yaml"), ConfigError);
}

}  // namespace
}  // namespace savp::dram
