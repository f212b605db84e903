// --vcd waveforms (parsed back as GTKWave would read them) and savp analyze's errors on
// input that is not a savp timeline.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/errors.hpp"
#include "platform/trace/analysis.hpp"
#include "platform_test_util.hpp"

namespace savp {
namespace {

using isa::Opcode;
using test::mask;
using test::with_tokens;
namespace fs = std::filesystem;

std::string tmp(const std::string& name) {
  return (fs::temp_directory_path() /
          ("savp_vcd_" +
           std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
           name))
      .string();
}

// Loads then stores `tiles` tiles through the global buffer (load i -> store i tokens).
fw::Image copies(int tiles, uint32_t tile) {
  fw::Image img;
  img.segments.push_back({0x100000, std::vector<uint8_t>(tile * tiles, 5)});
  for (int i = 0; i < tiles; ++i) {
    const uint64_t g = amap::kGlbBase + (i % 2) * tile;
    img.code.push_back(
        with_tokens(isa::make_dma(Opcode::Load, 0x100000 + i * tile, g, 1, tile, 0, 0), 0,
                    mask(isa::kEngineStore)));
    img.code.push_back(
        with_tokens(isa::make_dma(Opcode::Store, g, 0x200000 + i * tile, 1, tile, 0, 0),
                    mask(isa::kEngineLoad), 0));
  }
  img.code.push_back(isa::make_sync(Opcode::Halt));
  return img;
}

// A minimal VCD reader: the variables ($var ... id name ...) and every value change in time
// order. Fails the test on anything a VCD may not contain.
struct Vcd {
  std::string timescale;
  std::map<std::string, std::string> id_of;                               // name -> id
  std::map<std::string, std::vector<std::pair<uint64_t, long>>> changes;  // id -> (t, value)
};

Vcd parse_vcd(const std::string& path) {
  std::ifstream in(path);
  Vcd v;
  std::string tok;
  bool defs = true;
  uint64_t now = 0;
  bool have_time = false;
  while (in >> tok) {
    if (defs) {
      if (tok == "$timescale") {
        std::string a;
        while (in >> a && a != "$end") v.timescale += a;
      } else if (tok == "$var") {
        std::string type, width, id, name, rest;
        in >> type >> width >> id >> name;
        while (in >> rest && rest != "$end") {
        }
        v.id_of[name] = id;
      } else if (tok == "$enddefinitions") {
        defs = false;
      }
      continue;
    }
    if (tok == "$comment") {
      while (in >> tok && tok != "$end") {
      }
      continue;
    }
    if (tok == "$end" || tok == "$dumpvars") continue;
    if (tok[0] == '#') {
      const uint64_t t = std::stoull(tok.substr(1));
      EXPECT_TRUE(!have_time || t > now) << "time goes back at " << tok;
      now = t;
      have_time = true;
    } else if (tok[0] == 'b') {
      std::string id;
      in >> id;
      v.changes[id].emplace_back(now, std::stol(tok.substr(1), nullptr, 2));
    } else if (tok[0] == '0' || tok[0] == '1') {
      v.changes[tok.substr(1)].emplace_back(now, tok[0] - '0');
    } else {
      ADD_FAILURE() << "unexpected VCD token " << tok;
      break;
    }
  }
  EXPECT_FALSE(defs) << "no $enddefinitions";
  return v;
}

// Time a signal spent at non-zero values, up to `end`.
uint64_t high_time(const std::vector<std::pair<uint64_t, long>>& ch, uint64_t end) {
  uint64_t total = 0, since = 0;
  long val = 0;
  for (auto [t, v] : ch) {
    if (val != 0) total += t - since;
    val = v;
    since = t;
  }
  if (val != 0) total += end - since;
  return total;
}

TEST(Vcd, RecordsBusySignalsBankStatesAndQueuesOfTheFirstRun) {
  HwConfig hw = test::default_hw();
  const std::string path = tmp("w.vcd");
  const fw::Image img = copies(12, 2048);
  RunResult plain;
  {
    Platform p(hw, test::default_energy(hw));
    plain = p.run(img);
  }
  Platform p(hw, test::default_energy(hw));
  RunOptions o;
  o.trace.vcd_path = path;
  RunResult r = p.run(img, o);
  EXPECT_EQ(r.cycles, plain.cycles);  // recording does not change the timing
  Vcd v = parse_vcd(path);
  EXPECT_EQ(v.timescale, "1ps");
  for (const char* n : {"dma_load_busy", "dma_store_busy", "bank0_state", "dma_load_inflight",
                        "tokens_dma_load_to_dma_store"})
    EXPECT_TRUE(v.id_of.count(n)) << n;
  for (size_t c = 0; c < hw.chunks.size(); ++c)
    EXPECT_TRUE(v.id_of.count(hw.chunks[c].name + "_busy")) << hw.chunks[c].name;
  // The busy bits are high exactly as long as the report's busy cycles say.
  const uint64_t cycle_ps = static_cast<uint64_t>(hw.cycle_ns() * 1000 + 0.5);
  const uint64_t end = static_cast<uint64_t>(r.latency_us * 1e6 + 0.5);
  for (int e : {isa::kEngineLoad, isa::kEngineStore}) {
    const std::string n = r.engines[e].name + "_busy";
    const double high = static_cast<double>(high_time(v.changes[v.id_of[n]], end));
    EXPECT_NEAR(high / cycle_ps, static_cast<double>(r.engines[e].busy_cycles), 1.0) << n;
  }
  // Some bank opened a row; the load queue had bursts in flight, at most max_outstanding.
  bool opened = false;
  for (uint32_t b = 0; b < 16; ++b)
    for (auto [t, val] : v.changes[v.id_of["bank" + std::to_string(b) + "_state"]])
      opened = opened || val == 1;
  EXPECT_TRUE(opened);
  long peak = 0;
  for (auto [t, val] : v.changes[v.id_of["dma_load_inflight"]]) peak = std::max(peak, val);
  EXPECT_GE(peak, 1);
  EXPECT_LE(peak, static_cast<long>(hw.dma.max_outstanding));
  // A token is signalled by each load and consumed by its store: ends at 0.
  ASSERT_FALSE(v.changes[v.id_of["tokens_dma_load_to_dma_store"]].empty());
  EXPECT_EQ(v.changes[v.id_of["tokens_dma_load_to_dma_store"]].back().second, 0);

  // SystemC takes waveforms only before the simulation starts: a second VCD is refused with
  // a message saying so, and the platform still runs without one.
  RunOptions again;
  again.trace.vcd_path = tmp("again.vcd");
  test::expect_run_error<Error>(p, img, {"again.vcd", "first run"}, again);
  EXPECT_GT(p.run(img).cycles, 0u);
  fs::remove(path);
  EXPECT_FALSE(fs::exists(again.trace.vcd_path));
}

TEST(Vcd, APlatformThatAlreadyRanCannotStartOne) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  const fw::Image img = copies(2, 256);
  p.run(img);
  RunOptions o;
  o.trace.vcd_path = tmp("late.vcd");
  test::expect_run_error<Error>(p, img, {"late.vcd", "first run"}, o);
  EXPECT_GT(p.run(img).cycles, 0u);
  fs::remove(o.trace.vcd_path);
}

void expect_analyze_error(const std::string& path, std::initializer_list<std::string> phrases) {
  try {
    trace::analyze_timeline(path);
    ADD_FAILURE() << "expected an error for " << path;
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path), std::string::npos) << m;
    for (const std::string& want : phrases)
      EXPECT_NE(m.find(want), std::string::npos) << "missing '" << want << "' in: " << m;
  }
}

std::vector<std::string> g_written;  // removed at the end of the test

std::string write(const std::string& name, const std::string& text) {
  const std::string p = tmp(name);
  std::ofstream(p) << text;
  g_written.push_back(p);
  return p;
}

TEST(Analyze, RejectsWhatIsNotASavpTimelineNamingTheFileAndLine) {
  expect_analyze_error(tmp("missing.json"), {"cannot open"});
  expect_analyze_error(write("text.json", "{\"traceEvents\": [\n  {\"ph\": \"M\"},\n  oops\n]}"),
                       {":3:", "not valid JSON"});
  expect_analyze_error(write("array.json", "[1, 2, 3]"), {"traceEvents"});
  expect_analyze_error(write("other.json", "{\"traceEvents\": []}"), {"not a savp timeline"});
  expect_analyze_error(
      write("noval.json",
            "{\"traceEvents\": "
            "[{\"ph\":\"X\",\"cat\":\"instr\",\"tid\":2,\"dur\":1,\"args\":{\"i\":0}}],"
            "\"metadata\":{\"savp\":{\"format\":\"savp-timeline\",\"clock_mhz\":500,"
            "\"cycle_ps\":2000,\"run_end_us\":1}}}"),
      {"traceEvents[0]", "\"ts\""});
  expect_analyze_error(write("scalar.json", "{\"traceEvents\": [1]}"), {"traceEvents[0]"});

  // A real timeline cut in half: truncated, with the line where it ends.
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  const std::string full = tmp("full.json");
  RunOptions o;
  o.trace.timeline_path = full;
  p.run(copies(8, 1024), o);
  std::ifstream in(full);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  const std::string half = text.substr(0, text.size() / 2);
  const size_t lines = static_cast<size_t>(std::count(half.begin(), half.end(), '\n')) + 1;
  expect_analyze_error(write("half.json", half), {"truncated", ":" + std::to_string(lines) + ":"});
  fs::remove(full);
  for (const std::string& f : g_written) fs::remove(f);
}

}  // namespace
}  // namespace savp
