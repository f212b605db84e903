// savp replay (platform/replay.hpp): a hand-worked trace on DDR4-2400, the end directive,
// relative timestamps, bad traces, and the JSON report.
#include "platform/replay.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "common/errors.hpp"
#include "models/dram/stl_trace.hpp"
#include "tests/models/dram_test_configs.hpp"

namespace savp {
namespace {

namespace fs = std::filesystem;

DramConfig ddr4_2400() {
  DramConfig c = test::ddr4_2400();
  c.scheduler_queue_depth = 16;
  return c;
}

std::string temp_file(const std::string& name, const std::string& text) {
  const std::string p =
      (fs::temp_directory_path() / ("savp_replay_" + std::to_string(::getpid()) + "_" + name))
          .string();
  std::ofstream(p) << text;
  return p;
}

// Bank 0 (bank group 0, bank 0), one request at a time so nothing overlaps:
//  cycle 0    read row 0 col 0: miss.     ACT 0, RD 16 (tRCD), data 32..36 (CL 16, BL8/2 = 4)
//  cycle 100  read row 0 col 1: hit.      RD 100, data 116..120                    -> 20 tCK
//  cycle 200  read row 1 col 0: conflict. PRE 200, ACT 216 (tRP), RD 232, data 248..252 -> 52
const char* kThree = "0: read 0x0\n100: read 0x100\n200: read 0x20000\n";

TEST(Replay, HandWorkedTraceOnDdr4) {
  const std::string p = temp_file("three.stl", kThree);
  ReplayOptions o;
  o.trace = p;
  ReplayResult r = replay_trace(ddr4_2400(), o);
  fs::remove(p);
  EXPECT_EQ(r.requests, 3u);
  EXPECT_EQ(r.read_requests, 3u);
  EXPECT_EQ(r.read_bytes, 3u * 64);
  EXPECT_EQ(r.row_hits, 1u);
  EXPECT_EQ(r.row_misses, 1u);
  EXPECT_EQ(r.row_conflicts, 1u);
  EXPECT_EQ(r.activates, 2u);
  EXPECT_EQ(r.precharges, 1u);
  EXPECT_EQ(r.refreshes, 0u);
  EXPECT_NEAR(r.total_time_ns, 252 * 0.833, 1e-6);
  EXPECT_NEAR(r.latency_mean_ns, 36 * 0.833, 1e-6);  // (36 + 20 + 52) / 3
  EXPECT_NEAR(r.latency_p50_ns, 36 * 0.833, 1e-6);
  EXPECT_NEAR(r.latency_p99_ns, 52 * 0.833, 1e-6);
  EXPECT_NEAR(r.latency_max_ns, 52 * 0.833, 1e-6);
  EXPECT_NEAR(r.bandwidth_gbps, 192 / (252 * 0.833), 1e-9);
  ASSERT_EQ(r.banks.size(), 16u);
  EXPECT_EQ(r.banks[0].hits, 1u);
  EXPECT_EQ(r.banks[0].misses, 1u);
  EXPECT_EQ(r.banks[0].conflicts, 1u);
  for (size_t b = 1; b < r.banks.size(); ++b)
    EXPECT_EQ(r.banks[b].hits + r.banks[b].misses + r.banks[b].conflicts, 0u);
  EXPECT_EQ(r.banks[5].bank_group, 1u);  // flat bank 5 = bank group 1, bank 1
  EXPECT_EQ(r.banks[5].bank, 1u);
}

TEST(Replay, RelativeTraceGivesTheSameResultAndEndDirectiveCountsIdleRefreshes) {
  // The same three requests with relative cycles, then a run end at cycle 20000: refreshes
  // fall due at 9360 and 18720 (tREFI) in the idle tail.
  const std::string p =
      temp_file("three.rstl", "0: read 0x0\n100: read 0x100\n100: read 0x20000\n# savp: end 20000\n");
  ReplayOptions o;
  o.trace = p;
  ReplayResult r = replay_trace(ddr4_2400(), o);
  fs::remove(p);
  EXPECT_EQ(r.row_conflicts, 1u);
  EXPECT_NEAR(r.total_time_ns, 252 * 0.833, 1e-6);
  EXPECT_EQ(r.end_cycle, 20000u);
  EXPECT_EQ(r.refreshes, 2u);
}

TEST(Replay, LateRequestsQueueBehindTheBusyBank) {
  // Two reads to different rows of bank 0 at the same cycle: the second is a conflict that
  // waits for tRAS of the first ACT (39) before its PRE: PRE 39, ACT 55, RD 71, done 71+20=91.
  const std::string p = temp_file("late.stl", "0: read 0x0\n0: read 0x20000\n");
  ReplayOptions o;
  o.trace = p;
  ReplayResult r = replay_trace(ddr4_2400(), o);
  fs::remove(p);
  EXPECT_NEAR(r.latency_max_ns, 91 * 0.833, 1e-6);
  EXPECT_NEAR(r.total_time_ns, 91 * 0.833, 1e-6);
}

TEST(Replay, BadTracesFailWithTheLine) {
  auto err = [](const std::string& name, const std::string& text) -> std::string {
    const std::string p = temp_file(name, text);
    ReplayOptions o;
    o.trace = p;
    try {
      replay_trace(ddr4_2400(), o);
    } catch (const Error& e) {
      fs::remove(p);
      return e.what();
    }
    fs::remove(p);
    return "";
  };
  // DDR4-2400 here is 8 GiB (0x200000000 bytes).
  std::string m = err("cap.stl", "0: read 0x0\n1: read 0x200000000\n");
  EXPECT_NE(m.find("cap.stl:2:9"), std::string::npos) << m;
  EXPECT_NE(m.find("beyond the DRAM capacity 0x200000000"), std::string::npos) << m;
  m = err("order.stl", "10: read 0x0\n9: read 0x40\n");
  EXPECT_NE(m.find("order.stl:2:1"), std::string::npos) << m;
  EXPECT_NE(m.find("out of order"), std::string::npos) << m;
  m = err("empty.stl", "# nothing\n");
  EXPECT_NE(m.find("holds no request"), std::string::npos) << m;
  ReplayOptions o;
  o.trace = "/nonexistent/x.stl";
  EXPECT_THROW(replay_trace(ddr4_2400(), o), Error);
}

TEST(Replay, JsonReportIsWrittenAtomically) {
  const std::string p = temp_file("three_json.stl", kThree);
  ReplayOptions o;
  o.trace = p;
  ReplayResult r = replay_trace(ddr4_2400(), o);
  fs::remove(p);
  const std::string out = temp_file("report.json", "");
  write_replay_report(r, out);
  EXPECT_FALSE(fs::exists(out + ".tmp"));
  std::ifstream in(out);
  nlohmann::json j = nlohmann::json::parse(in);
  fs::remove(out);
  EXPECT_EQ(j["requests"]["total"], 3);
  EXPECT_EQ(j["row_conflicts"], 1);
  EXPECT_EQ(j["banks"][0]["row_hits"], 1);
  EXPECT_NEAR(j["latency_ns"]["p99"].get<double>(), 52 * 0.833, 1e-6);
  EXPECT_THROW(write_replay_report(r, "/nonexistent/dir/r.json"), Error);
}

}  // namespace
}  // namespace savp
