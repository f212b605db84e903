// Recording a run (--trace timeline, --vcd waveforms) and reading it back (savp analyze), on a
// hand-built double-buffered conv pipeline whose instruction counts, tokens and bytes are
// known: the timeline must have a slice per executed instruction on its engine's track, and
// what analyze adds up from the slices must equal what the run report counted.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/errors.hpp"
#include "platform/trace/analysis.hpp"
#include "platform_test_util.hpp"

namespace savp {
namespace {

using isa::Opcode;
using nlohmann::json;
using test::mask;
using test::with_tokens;
namespace fs = std::filesystem;

constexpr int kLoad = isa::kEngineLoad;
constexpr int kStore = isa::kEngineStore;
const int kChunk0 = isa::chunk_engine(0);
constexpr uint32_t H = 6, W = 6, C = 4, K = 8, R = 3;
constexpr uint32_t kInBytes = H * W * C;   // 144 per tile
constexpr uint32_t kOutBytes = H * W * K;  // 288 per tile

// Weights once, then `tiles` conv tiles double-buffered in ibuf/obuf halves: load i waits for
// compute i-2 (its half is free), compute i waits for load i and store i-2, store i waits for
// compute i. A BARRIER after the first half of the tiles, HALT at the end.
fw::Image pipeline(int tiles) {
  fw::Image img;
  img.code_base = 0;
  img.segments = {{0x20000, std::vector<uint8_t>(K * R * R * C, 3)},
                  {0x30000, std::vector<uint8_t>(K * 4, 0)},
                  {0x100000, std::vector<uint8_t>(static_cast<size_t>(tiles) * 256, 1)}};
  const uint64_t ib = amap::chunk_buffer_base(0, amap::ChunkBuffer::Ibuf);
  const uint64_t wb = amap::chunk_buffer_base(0, amap::ChunkBuffer::Wbuf);
  const uint64_t ob = amap::chunk_buffer_base(0, amap::ChunkBuffer::Obuf);
  img.code.push_back(isa::make_dma(Opcode::Load, 0x20000, wb, 1, K * R * R * C, 0, 0));
  img.code.push_back(isa::make_dma(Opcode::Load, 0x30000, wb + 4096, 1, K * 4, 0, 0));
  for (int i = 0; i < tiles; ++i) {
    const uint32_t half = (i % 2) * 1024;
    img.code.push_back(
        with_tokens(isa::make_dma(Opcode::Load, 0x100000 + i * 256, ib + half, 1, kInBytes, 0, 0),
                    i >= 2 ? mask(kChunk0) : 0, mask(kChunk0)));
    isa::ComputeArgs a;
    a.kind = static_cast<uint8_t>(OpKind::Mult);
    a.k = K, a.c = C, a.oh = H, a.ow = W, a.ih = H, a.iw = W, a.kh = R, a.kw = R;
    a.pad_t = 1, a.pad_l = 1, a.multiplier = 1 << 12, a.shift = 16, a.bias = 4096;
    a.in = half, a.out = half;
    img.code.push_back(with_tokens(isa::make_compute(0, a),
                                   mask(kLoad) | (i >= 2 ? mask(kStore) : 0),
                                   mask(kStore) | (i + 2 < tiles ? mask(kLoad) : 0)));
    img.code.push_back(
        with_tokens(isa::make_dma(Opcode::Store, ob + half, 0x400000 + i * 512, 1, kOutBytes, 0, 0),
                    mask(kChunk0), i + 2 < tiles ? mask(kChunk0) : 0));
    if (i == tiles / 2 - 1) img.code.push_back(isa::make_sync(Opcode::Barrier));
  }
  img.code.push_back(isa::make_sync(Opcode::Halt));
  return img;
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in);  // throws if the file is not valid JSON
}

std::string tmp(const std::string& name) {
  return (fs::temp_directory_path() /
          ("savp_trace_" +
           std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "_" +
           name))
      .string();
}

int64_t ps(const json& us) { return static_cast<int64_t>(us.get<double>() * 1e6 + 0.5); }

RunOptions traced(const std::string& path) {
  RunOptions o;
  o.functional = false;
  o.image_name = "pipeline";
  o.trace.timeline_path = path;
  return o;
}

// The first run of a fresh platform, untraced. (Later runs on one platform start at another
// absolute time, which can change the interleaving of the decoupled engines: compare first
// runs.)
RunResult first_run(const HwConfig& hw, const fw::Image& img) {
  Platform p(hw, test::default_energy(hw));
  RunOptions o;
  o.functional = false;
  return p.run(img, o);
}

TEST(Timeline, HasATrackPerEngineASlicePerInstructionAndCountersThatAddUp) {
  HwConfig hw = test::default_hw();
  const int tiles = 16;
  const uint64_t plain_cycles = first_run(hw, pipeline(tiles)).cycles;
  Platform p(hw, test::default_energy(hw));
  const std::string path = tmp("t.json");
  RunResult r = p.run(pipeline(tiles), traced(path));
  EXPECT_EQ(r.cycles, plain_cycles);  // tracing changes no timing
  json t = read_json(path);
  ASSERT_TRUE(t["traceEvents"].is_array());
  std::map<int, std::string> names;
  std::map<int, std::vector<json>> slices;
  uint64_t read_bytes = 0, write_bytes = 0;
  std::map<std::string, std::vector<std::pair<int64_t, uint64_t>>> occupancy;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "thread_name") names[e["tid"]] = e["args"]["name"];
    if (e["ph"] == "X" && e["cat"] == "instr") slices[e["tid"]].push_back(e);
    if (e["ph"] == "C" && e["name"] == "dram bytes") {
      read_bytes += e["args"]["read_bytes"].get<uint64_t>();
      write_bytes += e["args"]["write_bytes"].get<uint64_t>();
    }
    const std::string n = e.value("name", "");
    if (e["ph"] == "C" && n.rfind("occupancy ", 0) == 0)
      occupancy[n.substr(10)].emplace_back(ps(e["ts"]), e["args"]["bytes"].get<uint64_t>());
  }
  // Tracks: the controller, the two DMA queues, every chunk of the config.
  ASSERT_EQ(names.size(), 3 + hw.chunks.size());
  EXPECT_EQ(names[1], "controller");
  EXPECT_EQ(names[2], "dma_load");
  EXPECT_EQ(names[3], "dma_store");
  for (size_t c = 0; c < hw.chunks.size(); ++c)
    EXPECT_EQ(names[4 + static_cast<int>(c)], hw.chunks[c].name);
  // One slice per executed instruction: engines as the report counts them, BARRIER + HALT on
  // the controller's track.
  uint64_t all = 0;
  for (const auto& [tid, v] : slices) all += v.size();
  EXPECT_EQ(all, r.simulator.instructions);
  EXPECT_EQ(slices[1].size(), 2u);
  EXPECT_EQ(slices[2].size(), 2u + tiles);
  EXPECT_EQ(slices[3].size(), static_cast<size_t>(tiles));
  EXPECT_EQ(slices[4].size(), static_cast<size_t>(tiles));
  for (size_t e = 0; e < r.engines.size(); ++e)
    EXPECT_EQ(slices[static_cast<int>(e) + 2].size(), r.engines[e].instructions)
        << r.engines[e].name;
  // Slices of one engine never overlap.
  for (auto& [tid, v] : slices) {
    std::sort(v.begin(), v.end(),
              [](const json& a, const json& b) { return ps(a["ts"]) < ps(b["ts"]); });
    for (size_t i = 1; i < v.size(); ++i)
      EXPECT_GE(ps(v[i]["ts"]), ps(v[i - 1]["ts"]) + ps(v[i - 1]["dur"])) << names[tid] << " " << i;
  }
  // Figures: a tile load moves 144 bytes DRAM -> ibuf; every conv waited on a token.
  EXPECT_EQ(slices[2][2]["args"]["bytes"], kInBytes);
  EXPECT_EQ(slices[2][2]["args"]["from"], "dram");
  EXPECT_EQ(slices[2][2]["args"]["to"], hw.chunks[0].name + ".ibuf");
  // A conv starts after its tile's load (the instruction just before it) or, when the load
  // was early, right after the previous conv.
  int waited = 0;
  for (const json& s : slices[4]) {
    EXPECT_EQ(s["name"], "conv");
    const json& a = s["args"];
    if (a["pred"] == "token") {
      ++waited;
      EXPECT_GT(a["stall_cycles"].get<int>(), 0);
      if (a["wait_on"] == "dma_load") {
        EXPECT_EQ(a["pred_i"].get<int>(), a["i"].get<int>() - 1) << s.dump();
        EXPECT_EQ(a["reason"], "dram");
      } else {
        EXPECT_EQ(a["wait_on"], "dma_store") << s.dump();
      }
    } else {
      EXPECT_EQ(a["pred"], "engine") << s.dump();
      EXPECT_EQ(a["pred_i"].get<int>(), a["i"].get<int>() - 3) << s.dump();
    }
  }
  EXPECT_GT(waited, 0);
  // The DRAM counter adds up to the run's bursts.
  EXPECT_EQ(read_bytes, r.dram.reads * hw.dram.burst_bytes());
  EXPECT_EQ(write_bytes, r.dram.writes * hw.dram.burst_bytes());
  // ibuf: at most two tiles wait (the double buffer), and all are consumed by the end; obuf:
  // every output is stored.
  for (const char* b : {".ibuf", ".obuf"}) {
    auto& v = occupancy[hw.chunks[0].name + b];
    ASSERT_FALSE(v.empty()) << b;
    uint64_t peak = 0;
    for (auto& [ts, bytes] : v) peak = std::max(peak, bytes);
    EXPECT_LE(peak, 2u * (b[1] == 'i' ? kInBytes : kOutBytes)) << b;
    EXPECT_GE(peak, b[1] == 'i' ? kInBytes : kOutBytes) << b;
    std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.first < b.first; });
    EXPECT_EQ(v.back().second, 0u) << b;
  }
  EXPECT_EQ(t["metadata"]["savp"]["truncated"], false);
  EXPECT_EQ(t["metadata"]["savp"]["halted"], true);

  // analyze adds the slices up to the report's figures.
  trace::TimelineAnalysis a = trace::analyze_timeline(path);
  EXPECT_EQ(a.cycles, r.cycles);
  ASSERT_EQ(a.engines.size(), r.engines.size());
  for (size_t e = 0; e < r.engines.size(); ++e) {
    EXPECT_EQ(a.engines[e].name, r.engines[e].name);
    EXPECT_EQ(a.engines[e].instructions, r.engines[e].instructions);
    EXPECT_EQ(a.engines[e].busy_cycles, r.engines[e].busy_cycles) << r.engines[e].name;
    EXPECT_EQ(a.engines[e].stall_cycles, r.engines[e].stall_cycles) << r.engines[e].name;
    EXPECT_EQ(a.engines[e].idle_cycles, r.engines[e].idle_cycles) << r.engines[e].name;
  }
  // The critical path runs from the start to HALT: its busy and waiting cycles make the run.
  EXPECT_TRUE(a.path_complete);
  ASSERT_FALSE(a.path.empty());
  EXPECT_EQ(a.path.back().engine, "controller");
  const double covered = static_cast<double>(a.path_busy_cycles + a.path_wait_cycles);
  EXPECT_NEAR(covered, static_cast<double>(r.cycles), 2.0 * static_cast<double>(a.path.size()));
  // The stalls come from the DRAM loads (the conv waiting) and the chunk (the DMAs waiting).
  ASSERT_FALSE(a.causes.empty());
  uint64_t cause_cycles = 0;
  for (const auto& c : a.causes) cause_cycles += c.cycles;
  EXPECT_NEAR(static_cast<double>(cause_cycles), static_cast<double>(a.stall_cycles),
              static_cast<double>(a.causes.size()));
  fs::remove(path);
}

TEST(Timeline, WindowKeepsOnlyTheEventsThatOverlapIt) {
  HwConfig hw = test::default_hw();
  const std::string full = tmp("full.json"), part = tmp("part.json");
  RunResult r, r2;
  RunOptions o = traced(part);
  {
    Platform p(hw, test::default_energy(hw));
    r = p.run(pipeline(16), traced(full));
  }
  {
    Platform p(hw, test::default_energy(hw));
    o.trace.window_start_us = r.latency_us / 4;
    o.trace.window_end_us = r.latency_us / 2;
    r2 = p.run(pipeline(16), o);
  }
  EXPECT_EQ(r2.cycles, r.cycles);
  const int64_t lo = static_cast<int64_t>(o.trace.window_start_us * 1e6);
  const int64_t hi = static_cast<int64_t>(o.trace.window_end_us * 1e6) + 1;
  auto count = [](const json& t) {
    size_t n = 0;
    for (const json& e : t["traceEvents"]) n += e["ph"] == "X";
    return n;
  };
  json t = read_json(part);
  size_t kept = 0;
  for (const json& e : t["traceEvents"]) {
    if (e["ph"] == "X") {
      ++kept;
      EXPECT_GE(ps(e["ts"]) + ps(e["dur"]), lo) << e.dump();
      EXPECT_LE(ps(e["ts"]), hi) << e.dump();
    } else if (e["ph"] == "C") {
      EXPECT_GE(ps(e["ts"]) + 1000000, lo) << e.dump();  // a DRAM window may start before
      EXPECT_LE(ps(e["ts"]), hi) << e.dump();
    }
  }
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept, count(read_json(full)));
  EXPECT_DOUBLE_EQ(t["metadata"]["savp"]["window_start_us"].get<double>(), o.trace.window_start_us);
  EXPECT_TRUE(trace::analyze_timeline(part).windowed);
  fs::remove(full);
  fs::remove(part);
}

TEST(Timeline, SizeCapStopsRecordingTheRunGoesOnAndTheFileStaysValid) {
  HwConfig hw = test::default_hw();
  const RunResult plain = first_run(hw, pipeline(200));
  Platform p(hw, test::default_energy(hw));
  const std::string path = tmp("cap.json");
  RunOptions o = traced(path);
  o.trace.max_bytes = 48 * 1024;
  testing::internal::CaptureStderr();
  RunResult r = p.run(pipeline(200), o);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(r.cycles, plain.cycles);
  EXPECT_LE(fs::file_size(path), o.trace.max_bytes);
  json t = read_json(path);
  EXPECT_EQ(t["metadata"]["savp"]["truncated"], true);
  EXPECT_GT(t["metadata"]["savp"]["dropped_events"].get<uint64_t>(), 0u);
  EXPECT_NE(t["metadata"]["savp"]["truncation_note"].get<std::string>().find("size limit"),
            std::string::npos);
  EXPECT_NE(err.find("warning"), std::string::npos) << err;
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_TRUE(trace::analyze_timeline(path).truncated);
  fs::remove(path);
}

TEST(Timeline, AFailedRunStillLeavesValidJsonSayingWhy) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  fw::Image img;  // the store waits for a token nobody sends
  img.code.push_back(with_tokens(isa::make_dma(Opcode::Store, amap::kGlbBase, 0x1000, 1, 64, 0, 0),
                                 mask(kChunk0), 0));
  img.code.push_back(isa::make_sync(Opcode::Halt));
  const std::string path = tmp("fail.json");
  RunOptions o = traced(path);
  o.trace.vcd_path = tmp("fail.vcd");
  test::expect_run_error<SimulationError>(p, img, {"deadlock"}, o);
  EXPECT_GT(fs::file_size(o.trace.vcd_path), 0u);
  fs::remove(o.trace.vcd_path);
  EXPECT_GT(p.run(pipeline(2)).cycles, 0u);  // the platform still runs
  json t = read_json(path);
  EXPECT_EQ(t["metadata"]["savp"]["halted"], false);
  EXPECT_NE(t["metadata"]["savp"]["note"].get<std::string>().find("deadlock"), std::string::npos);
  fs::remove(path);
}

TEST(Timeline, AnUnwritablePathIsAnErrorNamingIt) {
  HwConfig hw = test::default_hw();
  Platform p(hw, test::default_energy(hw));
  test::expect_run_error<Error>(p, pipeline(2), {"/nonexistent/dir/t.json", "cannot open"},
                                traced("/nonexistent/dir/t.json"));
  // The platform still runs.
  EXPECT_GT(p.run(pipeline(2)).cycles, 0u);
}

}  // namespace
}  // namespace savp
