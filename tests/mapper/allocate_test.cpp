// The chunk allocator (mapper/allocate.hpp): on a small synthetic hybrid network whose shift
// layers do 4x the work of its mult layer, the heavier chunk gets more PEs, the budget holds,
// and the choice is the optimum of a brute force over every combination of a small candidate
// set, each mapped and predicted on its own (no cache). Plus the placement rules (unused
// chunks dropped), the mapping network's equivalence with quantize()'s, the YAML it writes and
// the errors.
#include "mapper/allocate.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <limits>
#include <tuple>

#include "common/errors.hpp"
#include "mapper/quantized_network.hpp"

namespace savp::mapper {
namespace {

namespace fs = std::filesystem;
const std::string kSrc = SAVP_SOURCE_DIR;

// One mult conv and four shift convs of the same size (16x16x16 -> 16, 3x3): the shift chunk
// has exactly 4x the mult chunk's MACs (4 x 16*16*16*9*16 = 4 x 589,824).
Network synthetic() {
  return parse_network(R"(
name: syn
input: {h: 16, w: 16, c: 16}
defaults: {weight_bits: {mult: 8, shift: 5, adder: 8}}
layers:
  - {name: m1, type: conv, op: mult, out_channels: 16, kernel: 3, padding: 1, relu: true}
  - {name: s1, type: conv, op: shift, out_channels: 16, kernel: 3, padding: 1, relu: true}
  - {name: s2, type: conv, op: shift, out_channels: 16, kernel: 3, padding: 1, relu: true}
  - {name: s3, type: conv, op: shift, out_channels: 16, kernel: 3, padding: 1, relu: true}
  - {name: s4, type: conv, op: shift, out_channels: 16, kernel: 3, padding: 1, relu: true}
)",
                       "syn.yaml");
}

// The default platform's chunks, buffers and memory (an adder chunk the network does not use).
HwConfig default_hw() { return load_hw_config(kSrc + "/configs/hw/default.yaml"); }

AllocateOptions small_options(uint64_t budget) {
  AllocateOptions o;
  o.pe_budget = budget;
  o.row_dims = {4, 8, 16};
  o.col_dims = {4, 8, 16};
  return o;
}

TEST(Allocate, HeavierChunkGetsMorePesWithinTheBudget) {
  const Network net = synthetic();
  for (uint64_t budget : {96u, 160u, 320u}) {
    const Allocation a = allocate(net, default_hw(), small_options(budget));
    ASSERT_EQ(a.chunks.size(), 2u);
    EXPECT_EQ(a.chunks[0].name, "mult0");
    EXPECT_EQ(a.chunks[1].name, "shift0");
    EXPECT_EQ(a.chunks[0].layers, std::vector<std::string>{"m1"});
    EXPECT_EQ(a.chunks[1].layers.size(), 4u);
    EXPECT_GT(a.chunks[1].shape.pes(), a.chunks[0].shape.pes()) << "budget " << budget;
    EXPECT_LE(a.pes, budget);
    EXPECT_EQ(a.pes, a.chunks[0].shape.pes() + a.chunks[1].shape.pes());
    EXPECT_EQ(a.bottleneck_cycles, std::max(a.chunks[0].cycles, a.chunks[1].cycles));
    EXPECT_EQ(a.total_cycles, a.chunks[0].cycles + a.chunks[1].cycles);
  }
}

TEST(Allocate, UnusedChunksAreDroppedAndTheConfigMaps) {
  const Allocation a = allocate(synthetic(), default_hw(), small_options(320));
  EXPECT_EQ(a.dropped, std::vector<std::string>{"adder0"});
  ASSERT_EQ(a.hw.chunks.size(), 2u);
  EXPECT_EQ(a.hw.chunks[0].rows, a.chunks[0].shape.rows);
  EXPECT_EQ(a.hw.chunks[1].cols, a.chunks[1].shape.cols);
  // The reported cycles are those of mapping the chosen config, and the cached cost of the
  // chosen shapes agrees with them.
  const ChunkLoad l = chunk_load(mapping_network(synthetic(), a.hw, 1), a.hw);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(l.cycles[i], a.chunks[i].cycles);
    bool found = false;
    for (const ShapeCost& s : a.candidates[i].shapes)
      if (s.shape == a.chunks[i].shape) {
        found = true;
        EXPECT_TRUE(s.mapped && s.feasible);
        EXPECT_EQ(s.cycles, a.chunks[i].cycles);
        EXPECT_LE(s.lower_bound, s.cycles);
      }
    EXPECT_TRUE(found);
  }
}

// Every combination of the candidate shapes within the budget, mapped and predicted directly:
// the allocator's choice has the smallest bottleneck, and among those the smallest total.
TEST(Allocate, MatchesABruteForceOverTheCandidates) {
  const Network net = synthetic();
  const HwConfig hw = default_hw();
  for (uint64_t budget : {96u, 320u}) {
    const AllocateOptions opt = small_options(budget);
    const Allocation a = allocate(net, hw, opt);
    HwConfig reduced = hw;
    reduced.chunks.pop_back();  // adder0: no layer runs there
    const QuantizedNetwork q = mapping_network(net, reduced, 1);
    const std::vector<ArrayShape> shapes = candidate_shapes(reduced.chunks[0], hw, opt);
    ASSERT_EQ(shapes.size(), 9u);  // {4, 8, 16}^2, aspect ratio <= 4
    std::tuple<uint64_t, uint64_t> best{std::numeric_limits<uint64_t>::max(), 0};
    size_t combos = 0;
    for (const ArrayShape& m : shapes)
      for (const ArrayShape& s : shapes) {
        if (m.pes() + s.pes() > budget) continue;
        HwConfig c = reduced;
        c.chunks[0].rows = m.rows, c.chunks[0].cols = m.cols;
        c.chunks[1].rows = s.rows, c.chunks[1].cols = s.cols;
        const ChunkLoad l = chunk_load(q, c);
        const uint64_t worst = std::max(l.cycles[0], l.cycles[1]);
        // Nothing beats the allocator's bottleneck.
        EXPECT_GE(worst, a.bottleneck_cycles) << m.str() << " + " << s.str();
        best = std::min(best, std::make_tuple(worst, l.cycles[0] + l.cycles[1]));
        ++combos;
      }
    EXPECT_GT(combos, 4u);
    EXPECT_EQ(std::get<0>(best), a.bottleneck_cycles) << "budget " << budget;
    EXPECT_EQ(std::get<1>(best), a.total_cycles) << "budget " << budget;
    // Pruning maps fewer shapes and finds the same allocation.
    AllocateOptions all = opt;
    all.prune = false;
    const Allocation b = allocate(net, hw, all);
    EXPECT_EQ(b.bottleneck_cycles, a.bottleneck_cycles);
    EXPECT_EQ(b.total_cycles, a.total_cycles);
    EXPECT_EQ(b.shapes_mapped, b.shapes);
    EXPECT_LE(a.shapes_mapped, b.shapes_mapped);
  }
}

TEST(Allocate, MappingNetworkTimesLikeTheQuantizedOne) {
  const Network net = load_network(kSrc + "/configs/nets/resnet20-hybrid.yaml");
  const HwConfig hw = default_hw();
  const ChunkLoad z = chunk_load(mapping_network(net, hw, 1), hw);
  const ChunkLoad r = chunk_load(quantize(net, 1, random_input(net, 1)), hw);
  EXPECT_EQ(z.cycles, r.cycles);
  EXPECT_EQ(z.layers, r.layers);
  // Pools and residual adds count on chunk 0 (mult0), where the code generator puts them.
  EXPECT_GT(z.vector_ops[0], 0u);
  EXPECT_EQ(z.vector_ops[1], 0u);
  EXPECT_EQ(z.vector_ops[2], 0u);
}

TEST(Allocate, CandidateShapesFollowTheBufferRules) {
  HwConfig hw = default_hw();
  AllocateOptions o;
  o.row_dims = {4, 8, 16, 32, 64};
  o.col_dims = {4, 8, 16, 32, 64};
  ChunkConfig c = hw.chunks[0];
  c.obuf.capacity_bytes = 4 * 256;  // at most 256 int32 accumulators
  const std::vector<ArrayShape> s = candidate_shapes(c, hw, o);
  ASSERT_FALSE(s.empty());
  for (const ArrayShape& x : s) {
    EXPECT_LE(x.pes(), 256u) << x.str();
    EXPECT_LE(std::max(x.rows, x.cols), 4 * std::min(x.rows, x.cols)) << x.str();
  }
  EXPECT_EQ(s.front(), (ArrayShape{4, 4}));
  EXPECT_EQ(s.back().pes(), 256u);
  for (size_t i = 1; i < s.size(); ++i) EXPECT_LE(s[i - 1].pes(), s[i].pes());
}

void expect_error(const std::function<void()>& f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning '" << part << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(Allocate, BadBudgetsAreClearErrors) {
  const Network net = synthetic();
  const HwConfig hw = default_hw();
  expect_error([&] { allocate(net, hw, small_options(0)); }, "must be a positive");
  // Two chunks used, 4x4 at the least: 32 PEs.
  expect_error([&] { allocate(net, hw, small_options(31)); }, "give --pe-budget 32 or more");
  EXPECT_EQ(allocate(net, hw, small_options(32)).pes, 32u);
  AllocateOptions o = small_options(320);
  o.area_budget_mm2 = 1.0;
  expect_error([&] { allocate(net, hw, o); }, "needs the platform's area model");
  o.area_budget_mm2 = -1.0;
  expect_error([&] { allocate(net, hw, o); }, "area budget must be a positive");
  o = small_options(320);
  o.col_dims = {0};
  expect_error([&] { allocate(net, hw, o); }, "outside 1..4096");
}

// An area model with round numbers: 1 mm^2 per chunk plus 0.01 mm^2 per PE.
double toy_area(const HwConfig& hw) {
  double a = 0;
  for (const ChunkConfig& c : hw.chunks) a += 1.0 + 0.01 * c.rows * c.cols;
  return a;
}

TEST(Allocate, AreaBudgetBindsAndTooSmallOneNamesTheMinimum) {
  const Network net = synthetic();
  AllocateOptions o = small_options(640);
  o.area_mm2 = toy_area;
  const Allocation free = allocate(net, default_hw(), o);
  o.area_budget_mm2 = 2.0 + 0.01 * 200;  // at most 200 PEs, below what the PE budget allows
  const Allocation tight = allocate(net, default_hw(), o);
  EXPECT_LE(tight.area_mm2, o.area_budget_mm2);
  EXPECT_LE(tight.pes, 200u);
  EXPECT_GT(free.pes, 200u);
  EXPECT_GE(tight.bottleneck_cycles, free.bottleneck_cycles);
  o.area_budget_mm2 = 2.0;  // below 2 chunks of 4x4 (2.32)
  expect_error([&] { allocate(net, default_hw(), o); }, "2.320 mm^2");
}

TEST(Allocate, WritesAConfigThatLoads) {
  const fs::path dir = fs::temp_directory_path() / "savp_allocate_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const Allocation a = allocate(synthetic(), default_hw(), small_options(320));
  const std::string yaml = allocation_yaml(a, kSrc + "/configs/hw/default.yaml", "syn-alloc",
                                           "line one\nline two", dir.string());
  EXPECT_EQ(yaml.rfind("# line one\n# line two\n", 0), 0u) << yaml;
  const std::string out = (dir / "out.yaml").string();
  write_hw_yaml(yaml, out);
  EXPECT_FALSE(fs::exists(out + ".tmp"));
  const HwConfig back = load_hw_config(out);
  EXPECT_EQ(back.name, "syn-alloc");
  ASSERT_EQ(back.chunks.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.chunks[i].name, a.chunks[i].name);
    EXPECT_EQ(back.chunks[i].rows, a.chunks[i].shape.rows);
    EXPECT_EQ(back.chunks[i].cols, a.chunks[i].shape.cols);
    EXPECT_EQ(back.chunks[i].obuf.capacity_bytes, a.hw.chunks[i].obuf.capacity_bytes);
  }
  EXPECT_EQ(fs::path(back.energy_table), fs::path(default_hw().energy_table));
  EXPECT_EQ(back.dram.preset, "LPDDR4-3200");
  // The same config maps the network to the same cycles.
  const ChunkLoad l = chunk_load(mapping_network(synthetic(), back, 1), back);
  EXPECT_EQ(l.cycles[1], a.chunks[1].cycles);
  // No folder: an error, and nothing left behind.
  expect_error([&] { write_hw_yaml(yaml, (dir / "missing" / "x.yaml").string()); }, "cannot write");
  // Text that does not load is refused and not written.
  expect_error([&] { write_hw_yaml("name: x\n", (dir / "bad.yaml").string()); }, "does not load");
  EXPECT_FALSE(fs::exists(dir / "bad.yaml"));
  EXPECT_FALSE(fs::exists(dir / "bad.yaml.tmp"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace savp::mapper
