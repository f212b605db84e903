// `savp replay` under the two DRAM schedulers (dram.scheduler), on the shipped sample traces
// and presets: FR-FCFS (the default, DRAMSys's) turns the interleaved streams of rw_mix.stl into
// row hits, and plays a one-burst request at an unaligned address as the one burst holding it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "common/hw_config.hpp"
#include "platform/replay.hpp"

namespace savp {
namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

// configs/hw/default.yaml, with its DRAM preset replaced by `preset`.
DramConfig dram_of(const std::string& preset, DramScheduler s) {
  std::ifstream f(kSrc + "/configs/hw/default.yaml");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string text = ss.str();
  const std::string key = "preset: LPDDR4-3200";
  const size_t at = text.find(key);
  EXPECT_NE(at, std::string::npos);
  text.replace(at, key.size(), "preset: " + preset);
  HwConfig hw = parse_hw_config(text, "default.yaml");
  EXPECT_EQ(hw.dram.scheduler, DramScheduler::FrFcfs);  // the loader's default
  hw.dram.scheduler = s;
  return hw.dram;
}

ReplayResult replay(const DramConfig& d, const std::string& trace) {
  ReplayOptions o;
  o.trace = kSrc + "/traces/" + trace;
  return replay_trace(d, o);
}

TEST(ReplayScheduler, FrFcfsTurnsInterleavedStreamsIntoRowHits) {
  for (const char* preset : {"LPDDR4-3200", "DDR4-2400"}) {
    SCOPED_TRACE(preset);
    const ReplayResult fr = replay(dram_of(preset, DramScheduler::FrFcfs), "rw_mix.stl");
    const ReplayResult fc = replay(dram_of(preset, DramScheduler::Fcfs), "rw_mix.stl");
    // The three streams share one bank: first come first served conflicts on every request.
    EXPECT_EQ(fc.row_hits, 0u);
    EXPECT_GT(fr.row_hits, 3000u);  // of 4096
    EXPECT_LT(fr.total_time_ns, 0.5 * fc.total_time_ns);
    // Never faster than the trace's own pace: the last of 4096 arrives at cycle 6 * 4095.
    EXPECT_GT(fr.total_time_ns, 6 * 4095 * fr.tck_ns);
    EXPECT_EQ(fr.requests, 4096u);
    EXPECT_EQ(fr.reads + fr.writes, 4096u);
  }
}

TEST(ReplayScheduler, OneBurstRequestsAreTheBurstHoldingTheAddressUnderFrFcfs) {
  // seq_read.stl steps by 32 bytes; a DDR4-2400 burst is 64: under fcfs every other request
  // straddles two bursts, under frfcfs each is one burst, as DRAMSys decodes it.
  const ReplayResult fr = replay(dram_of("DDR4-2400", DramScheduler::FrFcfs), "seq_read.stl");
  const ReplayResult fc = replay(dram_of("DDR4-2400", DramScheduler::Fcfs), "seq_read.stl");
  EXPECT_EQ(fr.reads, 4096u);
  EXPECT_EQ(fc.reads, 4096u + 2048u);
  EXPECT_LT(fr.total_time_ns, fc.total_time_ns);
  // LPDDR4-3200's burst is 32 bytes: nothing to align, the two agree on the bursts.
  EXPECT_EQ(replay(dram_of("LPDDR4-3200", DramScheduler::FrFcfs), "seq_read.stl").reads, 4096u);
}

}  // namespace
}  // namespace savp
