// savp run / sim --trace / --vcd and savp analyze as a user runs them: the timeline of
// ResNet-20-hybrid holds a slice per executed instruction, and analyze adds the slices up to
// the run report's per-engine and per-layer figures; bad input gives one clear message.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/savp_cli.hpp"

namespace {

using namespace savp::test;

namespace fs = std::filesystem;
using nlohmann::json;

class Trace : public TempDirTest {
 protected:
  Trace() : TempDirTest("savp_trace_e2e_") {}
};

json load(const std::string& p) {
  std::ifstream in(p);
  return json::parse(in);
}

TEST_F(Trace, ResNet20HybridTimelineAndAnalyzeAgreeWithTheReport) {
  const std::string t = path("t.json"), v = path("w.vcd"), rep = path("r.json");
  Result r = run("run --hw " + kSrc + "/configs/hw/default.yaml --net " + kSrc +
                 "/configs/nets/resnet20-hybrid.yaml --timing-only --report " + rep + " --trace " +
                 t + " --vcd " + v);
  ASSERT_EQ(r.status, 0) << r.out;
  const json report = load(rep);
  const json tl = load(t);
  uint64_t slices = 0;
  for (const json& e : tl["traceEvents"]) slices += e["ph"] == "X" && e["cat"] == "instr";
  EXPECT_EQ(slices, report["simulator"]["instructions"].get<uint64_t>());
  {
    std::ifstream in(v);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("$enddefinitions"), std::string::npos);
    EXPECT_NE(text.find("mult0_busy"), std::string::npos);
  }

  Result a = run("analyze --json " + t);
  ASSERT_EQ(a.status, 0) << a.out;
  const json an = json::parse(a.out);
  EXPECT_EQ(an["cycles"], report["cycles"]);
  ASSERT_EQ(an["engines"].size(), report["engines"].size());
  for (size_t e = 0; e < report["engines"].size(); ++e) {
    const json& want = report["engines"][e];
    const json& got = an["engines"][e];
    EXPECT_EQ(got["name"], want["name"]);
    for (const char* k : {"instructions", "busy_cycles", "stall_cycles", "idle_cycles"})
      EXPECT_EQ(got[k], want[k]) << want["name"] << " " << k;
  }
  // Per layer: the span and the chunk's compute cycles as the report counts them.
  std::map<std::string, json> layers;
  for (const json& l : an["layers"]) layers[l["name"]] = l;
  ASSERT_EQ(layers.size(), report["layers"].size());
  for (const json& want : report["layers"]) {
    const json& got = layers[want["name"]];
    EXPECT_EQ(got["cycles"], want["cycles"]) << want["name"];
    EXPECT_EQ(got["compute_busy_cycles"], want["compute_cycles"]) << want["name"];
    EXPECT_EQ(got["chunk"], want["chunk"]) << want["name"];
    EXPECT_EQ(got["instructions"], want["instructions"]) << want["name"];
  }
  // The critical path reaches the run's start and accounts for the run's cycles.
  const json& cp = an["critical_path"];
  EXPECT_TRUE(cp["complete"].get<bool>());
  const double covered = cp["busy_cycles"].get<double>() + cp["wait_cycles"].get<double>();
  EXPECT_NEAR(covered, report["cycles"].get<double>(), 0.01 * report["cycles"].get<double>());
  EXPECT_FALSE(an["stall_causes"].empty());

  Result text = run("analyze " + t);
  ASSERT_EQ(text.status, 0) << text.out;
  for (const char* want : {"engines", "layers", "top stall causes", "critical path", "s1b1_conv1"})
    EXPECT_NE(text.out.find(want), std::string::npos) << want << "\n" << text.out;
}

TEST_F(Trace, SimOfAnAssembledExampleRecordsAWindowedTimeline) {
  const std::string img = path("conv.img"), t = path("t.json");
  ASSERT_EQ(run("asm " + kSrc + "/firmware/examples/double_buffer.s -o " + img).status, 0);
  Result r = run("sim --hw " + kSrc + "/configs/hw/default.yaml --image " + img +
                 " --timing-only --trace " + t + " --trace-window 0.5:2 --trace-max-mb 1");
  ASSERT_EQ(r.status, 0) << r.out;
  const json tl = load(t);
  EXPECT_DOUBLE_EQ(tl["metadata"]["savp"]["window_start_us"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(tl["metadata"]["savp"]["window_end_us"].get<double>(), 2.0);
  for (const json& e : tl["traceEvents"])
    if (e["ph"] == "X") {
      EXPECT_GE(e["ts"].get<double>() + e["dur"].get<double>(), 0.5 - 1e-9) << e.dump();
      EXPECT_LE(e["ts"].get<double>(), 2.0 + 1e-9) << e.dump();
    }
  Result a = run("analyze " + t);
  EXPECT_EQ(a.status, 0) << a.out;
  EXPECT_NE(a.out.find("windowed"), std::string::npos) << a.out;
}

TEST_F(Trace, BadInputGivesOneClearMessageAndExitStatus1) {
  const std::string hw = " --hw " + kSrc + "/configs/hw/default.yaml --net " + kSrc +
                         "/configs/nets/fmnist-hybrid.yaml --timing-only";
  struct Case {
    std::string args, want;
  };
  const std::string notjson = path("notjson.json");
  std::ofstream(notjson) << "{\"traceEvents\": [\n  {\"ph\": \"X\"}, nope\n]}\n";
  const std::string other = path("other.json");
  std::ofstream(other) << "{\"hello\": 1}";
  for (const Case& c : std::vector<Case>{
           {"analyze " + path("missing.json"), path("missing.json") + ": cannot open"},
           {"analyze " + notjson, notjson + ":2:"},
           {"analyze " + other, other + ": not a trace-event file"},
           {"run" + hw + " --trace " + path("t.json") + " --trace-window 5", "--trace-window '5'"},
           {"run" + hw + " --trace " + path("t.json") + " --trace-window 9:3", "after the start"},
           {"run" + hw + " --trace-window 1:3", "needs --trace"},
           {"run" + hw + " --trace " + path("no/such/dir/t.json"), "cannot open"},
       }) {
    Result r = run(c.args);
    EXPECT_EQ(r.status, 1) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.want), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_EQ(r.out.find("internal error"), std::string::npos) << r.out;
  }
}

}  // namespace
