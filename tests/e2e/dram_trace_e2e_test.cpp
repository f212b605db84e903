// DRAM traces end to end (issue 5): `savp run` / `savp sim` with --dram-trace, `savp replay`
// reproducing the run's DRAM statistics exactly, the shipped sample traces, and bad traces
// giving one clear message with the line number and exit status 1.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/e2e/savp_cli.hpp"

namespace {

using namespace savp::test;

namespace fs = std::filesystem;
const std::string kHw = kSrc + "/configs/hw/default.yaml";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

class DramTraceE2e : public TempDirTest {
 protected:
  DramTraceE2e() : TempDirTest("savp_dtrace_" + std::to_string(::getpid()) + "_") {}
};

// Within rel (a fraction) of each other: the row statistics of a run whose decoupled engines
// reached the DRAM out of time order (see traces/README.md: a .stl cannot go back in time,
// so such requests are replayed at the previous request's cycle).
void expect_close(const nlohmann::json& a, const nlohmann::json& b, double rel,
                  const char* what) {
  const double x = a.get<double>(), y = b.get<double>();
  EXPECT_LE(std::abs(x - y), rel * std::max(x, y) + 0.5)
      << what << ": run " << x << ", replay " << y;
}

// Traffic is reproduced exactly; row hits / misses / conflicts and commands within 0.5%
// (conflicts, a few hundred, within 2%).
void expect_close_dram_stats(const nlohmann::json& run_dram, const nlohmann::json& rep) {
  EXPECT_EQ(run_dram["read_bytes"], rep["bytes"]["read"]);
  EXPECT_EQ(run_dram["write_bytes"], rep["bytes"]["write"]);
  EXPECT_EQ(run_dram["reads"], rep["bursts"]["reads"]);
  EXPECT_EQ(run_dram["writes"], rep["bursts"]["writes"]);
  expect_close(run_dram["row_hits"], rep["row_hits"], 0.005, "row hits");
  expect_close(run_dram["row_misses"], rep["row_misses"], 0.005, "row misses");
  expect_close(run_dram["row_conflicts"], rep["row_conflicts"], 0.02, "row conflicts");
  expect_close(run_dram["activates"], rep["commands"]["activates"], 0.005, "activates");
  expect_close(run_dram["refreshes"], rep["commands"]["refreshes"], 0.005, "refreshes");
}

// The run's DRAM statistics (report "dram") equal the replay's, bank by bank.
void expect_same_dram_stats(const nlohmann::json& run_dram, const nlohmann::json& rep) {
  EXPECT_EQ(run_dram["row_hits"], rep["row_hits"]);
  EXPECT_EQ(run_dram["row_misses"], rep["row_misses"]);
  EXPECT_EQ(run_dram["row_conflicts"], rep["row_conflicts"]);
  EXPECT_EQ(run_dram["activates"], rep["commands"]["activates"]);
  EXPECT_EQ(run_dram["precharges"], rep["commands"]["precharges"]);
  EXPECT_EQ(run_dram["refreshes"], rep["commands"]["refreshes"]);
  EXPECT_EQ(run_dram["read_bytes"], rep["bytes"]["read"]);
  EXPECT_EQ(run_dram["write_bytes"], rep["bytes"]["write"]);
  EXPECT_EQ(run_dram["reads"], rep["bursts"]["reads"]);
  EXPECT_EQ(run_dram["writes"], rep["bursts"]["writes"]);
  ASSERT_EQ(run_dram["banks"].size(), rep["banks"].size());
  for (size_t b = 0; b < rep["banks"].size(); ++b) {
    EXPECT_EQ(run_dram["banks"][b]["hits"], rep["banks"][b]["row_hits"]) << "bank " << b;
    EXPECT_EQ(run_dram["banks"][b]["misses"], rep["banks"][b]["row_misses"]) << "bank " << b;
    EXPECT_EQ(run_dram["banks"][b]["conflicts"], rep["banks"][b]["row_conflicts"]) << "bank " << b;
  }
}

TEST_F(DramTraceE2e, ReplayOfAResNet20HybridRunReproducesItsDramTraffic) {
  for (const char* name : {"r20.stl", "r20.rstl"}) {
    const std::string trace = path(name), run_rep = path("run.json"), rep = path("replay.json");
    Result r = run("run --hw " + kHw + " --net " + kSrc +
                   "/configs/nets/resnet20-hybrid.yaml --timing-only --dram-trace " + trace +
                   " --report " + run_rep);
    ASSERT_EQ(r.status, 0) << r.out;
    ASSERT_TRUE(fs::exists(trace));
    EXPECT_FALSE(fs::exists(trace + ".tmp"));
    Result p = run("replay --hw " + kHw + " --stl " + trace + " --report " + rep);
    ASSERT_EQ(p.status, 0) << p.out;
    EXPECT_NE(p.out.find("latency mean"), std::string::npos) << p.out;
    const nlohmann::json run_dram = read_json(run_rep)["dram"];
    const nlohmann::json replay = read_json(rep);
    EXPECT_GT(run_dram["row_hits"].get<uint64_t>(), 1000u);   // a real workload
    EXPECT_GT(run_dram["refreshes"].get<uint64_t>(), 10u);    // over many tREFI
    expect_close_dram_stats(run_dram, replay);
  }
}

TEST_F(DramTraceE2e, SimRecordsAFirmwareExample) {
  const std::string img = path("conv_mult.img"), trace = path("conv.stl");
  const std::string run_rep = path("sim.json"), rep = path("replay.json");
  ASSERT_EQ(run("asm " + kSrc + "/firmware/examples/conv_mult.s -o " + img).status, 0);
  Result s = run("sim --hw " + kHw + " --image " + img + " --dram-trace " + trace +
                 " --report " + run_rep);
  ASSERT_EQ(s.status, 0) << s.out;
  Result p = run("replay --hw " + kHw + " --stl " + trace + " --report " + rep);
  ASSERT_EQ(p.status, 0) << p.out;
  expect_same_dram_stats(read_json(run_rep)["dram"], read_json(rep));
  // LPDDR4-3200 interleaves the two channels every 32-byte burst (bit 5): every line stays in
  // one burst, so DRAMSys (routing a line by its start address) serves it where the platform
  // did; the run's 64-byte DMA bursts each became two lines.
  std::ifstream in(trace);
  std::string line;
  uint64_t lines = 0, bytes = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    uint64_t len = 32;
    const size_t open = line.find('(');
    if (open != std::string::npos) len = std::stoull(line.substr(open + 1));
    const uint64_t addr = std::stoull(line.substr(line.find("0x") + 2), nullptr, 16);
    EXPECT_LE(addr % 32 + len, 32u) << line;
    ++lines;
    bytes += len;
  }
  const nlohmann::json run_dram = read_json(run_rep)["dram"];
  EXPECT_EQ(bytes,
            run_dram["read_bytes"].get<uint64_t>() + run_dram["write_bytes"].get<uint64_t>());
  // Each line lies in one burst and the run counted the bursts each request touched.
  EXPECT_EQ(lines, run_dram["reads"].get<uint64_t>() + run_dram["writes"].get<uint64_t>());
}

TEST_F(DramTraceE2e, ShippedSampleTracesReplayOnTheShippedConfigs) {
  for (const char* t : {"seq_read.stl", "random_read.stl", "tile2d_read.stl", "rw_mix.stl",
                        "resnet20_hybrid.rstl"}) {
    const std::string rep = path(std::string(t) + ".json");
    Result p = run("replay --hw " + kHw + " --stl " + kSrc + "/traces/" + t + " --report " + rep);
    ASSERT_EQ(p.status, 0) << t << ": " << p.out;
    const nlohmann::json j = read_json(rep);
    EXPECT_GT(j["requests"]["total"].get<uint64_t>(), 1000u) << t;
    EXPECT_GT(j["total_time_ns"].get<double>(), 0.0) << t;
    EXPECT_LE(j["bandwidth_gbps"].get<double>(), j["peak_bandwidth_gbps"].get<double>()) << t;
  }
  // The sequential trace hits open rows almost always; the random one almost never.
  Result s = run("replay --json --hw " + kHw + " --stl " + kSrc + "/traces/seq_read.stl");
  Result r = run("replay --json --hw " + kHw + " --stl " + kSrc + "/traces/random_read.stl");
  const nlohmann::json js = nlohmann::json::parse(s.out), jr = nlohmann::json::parse(r.out);
  EXPECT_GT(js["row_hits"].get<double>(), 0.9 * js["requests"]["total"].get<double>());
  EXPECT_LT(jr["row_hits"].get<double>(), 0.1 * jr["requests"]["total"].get<double>());
}

TEST_F(DramTraceE2e, BadTracesGiveTheLineAndExitOne) {
  struct Case {
    std::string text, want;
  };
  const Case cases[] = {
      {"0: read 0x0\n1: reed 0x40\n", "bad.stl:2:4: field 'command'"},
      {"0: read 0x0\n1: read\n", "bad.stl:2:8: field 'address': is missing"},
      {"5: read 0x0\n4: read 0x40\n", "bad.stl:2:1: field 'timestamp'"},
      {"0: read 0x0\n1: read 0x80000000\n", "beyond the DRAM capacity 0x80000000"},
  };
  for (const Case& c : cases) {
    const std::string t = path("bad.stl");
    std::ofstream(t) << c.text;
    Result p = run("replay --hw " + kHw + " --stl " + t + " --report " + path("r.json"));
    EXPECT_EQ(p.status, 1) << p.out;
    EXPECT_NE(p.out.find("savp: error: "), std::string::npos) << p.out;
    EXPECT_NE(p.out.find(c.want), std::string::npos) << p.out;
    EXPECT_FALSE(fs::exists(path("r.json")));
  }
  Result m = run("replay --hw " + kHw + " --stl " + path("missing.stl"));
  EXPECT_EQ(m.status, 1) << m.out;
  EXPECT_NE(m.out.find("cannot open DRAM trace"), std::string::npos) << m.out;
  // An unwritable --dram-trace fails before the run, with exit status 1.
  Result w = run("run --hw " + kHw + " --net " + kSrc +
                 "/configs/nets/fmnist-mult.yaml --timing-only --dram-trace /nonexistent/d/x.stl");
  EXPECT_EQ(w.status, 1) << w.out;
  EXPECT_NE(w.out.find("cannot write DRAM trace"), std::string::npos) << w.out;
}

}  // namespace
