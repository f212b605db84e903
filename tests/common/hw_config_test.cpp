// Hardware-config loading: the shipped configs, DRAM presets and overrides, and one test per
// validation rule checking file, line:column, field and message (common/hw_config_load.cpp).
#include "common/hw_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/common/config_test_util.hpp"

namespace savp {
namespace {

using testutil::column_of;
using testutil::expect_config_error;
using testutil::replace_line;

const std::string kFile = "bad.yaml";

// A small valid config; tests replace single lines. Line numbers are fixed:
const std::string kBase =
    "name: t\n"                                                                    // 1
    "clock_mhz: 500\n"                                                             // 2
    "chunks:\n"                                                                    // 3
    "  - name: c0\n"                                                               // 4
    "    kind: mult\n"                                                             // 5
    "    rows: 4\n"                                                                // 6
    "    cols: 4\n"                                                                // 7
    "    dataflow: os\n"                                                           // 8
    "    weight_bits: [8]\n"                                                       // 9
    "    ibuf: {capacity_bytes: 1024, banks: 2, port_width_bytes: 8}\n"            // 10
    "    wbuf: {capacity_bytes: 1024, banks: 2, port_width_bytes: 8}\n"            // 11
    "    obuf: {capacity_bytes: 1024, banks: 2, port_width_bytes: 8}\n"            // 12
    "global_buffer: {capacity_bytes: 4096, banks: 2, port_width_bytes: 8}\n"       // 13
    "dram:\n"                                                                      // 14
    "  preset: TEST-1\n"                                                           // 15
    "  page_policy: open\n"                                                        // 16
    "interconnect: {width_bytes: 32, latency_cycles: 2}\n"                         // 17
    "dma: {burst_bytes: 64, max_outstanding: 8, setup_cycles: 4}\n"                // 18
    "controller: {fetch_block_instrs: 16, queue_depth: 32, dispatch_cycles: 1}\n"  // 19
    "simulation: {quantum_ns: 1000, functional: true}\n";                          // 20

// A DDR4-like preset (8 GiB: 1 ch x 1 rank x 16 banks x 64K rows x 1K cols x 8 bytes).
const std::string kPreset =
    "standard: DDR4\n"                              // 1
    "organization:\n"                               // 2
    "  channels: 1\n"                               // 3
    "  ranks: 1\n"                                  // 4
    "  bank_groups: 4\n"                            // 5
    "  banks_per_group: 4\n"                        // 6
    "  rows: 65536\n"                               // 7
    "  columns: 1024\n"                             // 8
    "  bus_width_bits: 64\n"                        // 9
    "  data_rate: 2\n"                              // 10
    "timing:\n"                                     // 11
    "  tck_ns: 0.833\n"                             // 12
    "  burst_length: 8\n"                           // 13
    "  cl: 16\n"                                    // 14
    "  cwl: 12\n"                                   // 15
    "  trcd: 16\n"                                  // 16
    "  trp: 16\n"                                   // 17
    "  tras: 39\n"                                  // 18
    "  tccd_s: 4\n"                                 // 19
    "  tccd_l: 6\n"                                 // 20
    "  trrd_s: 4\n"                                 // 21
    "  trrd_l: 6\n"                                 // 22
    "  tfaw: 26\n"                                  // 23
    "  twr: 18\n"                                   // 24
    "  twtr_s: 3\n"                                 // 25
    "  twtr_l: 9\n"                                 // 26
    "  trtp: 9\n"                                   // 27
    "  trtw: 0\n"                                   // 28
    "  trefi: 9360\n"                               // 29
    "  trfc: 421\n"                                 // 30
    "page_policy: closed\n"                         // 31
    "address_mapping: [ro, ra, ba, bg, co, ch]\n";  // 32

class HwConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { dram_dir_.write("TEST-1.yaml", kPreset); }

  HwConfig parse(const std::string& text) { return parse_hw_config(text, kFile, dram_dir_.str()); }

  // Parses `text`, expecting a ConfigError at (line, column of `token` on that line).
  void expect_error(const std::string& text, int line, const std::string& token,
                    const std::string& field, const std::string& message) {
    try {
      parse(text);
      ADD_FAILURE() << "no error for field " << field << " in:\n" << text;
    } catch (const ConfigError& e) {
      expect_config_error(e, kFile, line, column_of(text, line, token), field, message);
    }
  }

  testutil::TempDir dram_dir_{"dram"};
};

// ---- valid configs --------------------------------------------------------------------------

TEST_F(HwConfigTest, BaseLoadsWithPresetValues) {
  HwConfig c = parse(kBase);
  EXPECT_EQ(c.name, "t");
  EXPECT_EQ(c.source_file, kFile);
  EXPECT_DOUBLE_EQ(c.clock_mhz, 500.0);
  ASSERT_EQ(c.chunks.size(), 1u);
  EXPECT_EQ(c.chunks[0].name, "c0");
  EXPECT_EQ(c.chunks[0].kind, OpKind::Mult);
  EXPECT_EQ(c.chunks[0].rows, 4u);
  EXPECT_EQ(c.chunks[0].ibuf.banks, 2u);
  EXPECT_EQ(c.chunks[0].ibuf.read_latency_cycles, 1u);  // struct default kept
  EXPECT_EQ(c.global_buffer.capacity_bytes, 4096u);
  EXPECT_EQ(c.dram.preset, "TEST-1");
  EXPECT_EQ(c.dram.timing.cl, 16u);                 // from the preset (the struct default is 17)
  EXPECT_EQ(c.dram.page_policy, PagePolicy::Open);  // hw config overrides the preset's closed
  EXPECT_EQ(c.dram.capacity_bytes(), uint64_t{8} << 30);
}

TEST_F(HwConfigTest, OverridesReplaceSinglePresetValues) {
  std::string text = replace_line(kBase, 16,
                                  "  organization: {channels: 2, rows: 32768}\n"
                                  "  timing: {cl: 20, tck_ns: 0.625}\n"
                                  "  address_mapping: [ro, ba, bg, ra, co, ch]\n"
                                  "  scheduler_queue_depth: 4");
  HwConfig c = parse(text);
  EXPECT_EQ(c.dram.org.channels, 2u);
  EXPECT_EQ(c.dram.org.rows, 32768u);
  EXPECT_EQ(c.dram.org.columns, 1024u);  // from the preset
  EXPECT_EQ(c.dram.timing.cl, 20u);
  EXPECT_DOUBLE_EQ(c.dram.timing.tck_ns, 0.625);
  EXPECT_EQ(c.dram.timing.trcd, 16u);                 // from the preset
  EXPECT_EQ(c.dram.page_policy, PagePolicy::Closed);  // the preset's, not overridden now
  EXPECT_EQ(c.dram.address_mapping, (std::vector<std::string>{"ro", "ba", "bg", "ra", "co", "ch"}));
  EXPECT_EQ(c.dram.scheduler_queue_depth, 4u);
}

TEST_F(HwConfigTest, DefaultsForOptionalSections) {
  // Blank out dataflow, weight_bits and the optional sections (line numbers stay the same).
  std::string text = replace_line(kBase, 5, "    kind: shift");
  for (int l : {8, 9, 17, 18, 19, 20}) text = replace_line(text, l, "");
  HwConfig c = parse(text);
  EXPECT_EQ(c.chunks[0].weight_bits, std::vector<uint32_t>{4});  // shift default
  EXPECT_EQ(c.chunks[0].dataflow, Dataflow::OutputStationary);
  EXPECT_EQ(c.dma.burst_bytes, DmaConfig{}.burst_bytes);
  EXPECT_EQ(c.controller.queue_depth, ControllerConfig{}.queue_depth);
  EXPECT_DOUBLE_EQ(c.simulation.quantum_ns, 1000.0);
  EXPECT_EQ(parse(replace_line(kBase, 9, "")).chunks[0].weight_bits, std::vector<uint32_t>{8});
}

TEST(HwConfigShipped, DefaultConfig) {
  HwConfig c = load_hw_config(SAVP_SOURCE_DIR "/configs/hw/default.yaml");
  EXPECT_EQ(c.name, "default");
  EXPECT_DOUBLE_EQ(c.clock_mhz, 500.0);
  ASSERT_EQ(c.chunks.size(), 3u);
  const char* names[] = {"mult0", "shift0", "adder0"};
  const OpKind kinds[] = {OpKind::Mult, OpKind::Shift, OpKind::Adder};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c.chunks[i].name, names[i]);
    EXPECT_EQ(c.chunks[i].kind, kinds[i]);
    EXPECT_EQ(c.chunks[i].rows, 16u);
    EXPECT_EQ(c.chunks[i].cols, 16u);
    EXPECT_EQ(c.chunks[i].dataflow, Dataflow::OutputStationary);
    for (const SramConfig* s : {&c.chunks[i].ibuf, &c.chunks[i].wbuf, &c.chunks[i].obuf}) {
      EXPECT_EQ(s->capacity_bytes, 65536u);
      EXPECT_EQ(s->banks, 4u);
      EXPECT_EQ(s->port_width_bytes, 16u);
      EXPECT_EQ(s->read_latency_cycles, 1u);
    }
  }
  EXPECT_EQ(c.chunk_index("shift0"), 1);
  EXPECT_EQ(c.global_buffer.capacity_bytes, 512u * 1024);
  EXPECT_EQ(c.global_buffer.banks, 8u);
  EXPECT_EQ(c.global_buffer.read_latency_cycles, 2u);
  // LPDDR4-3200 preset values arrive.
  EXPECT_EQ(c.dram.preset, "LPDDR4-3200");
  EXPECT_DOUBLE_EQ(c.dram.timing.tck_ns, 0.625);
  EXPECT_EQ(c.dram.timing.burst_length, 16u);
  EXPECT_EQ(c.dram.timing.cl, 28u);
  EXPECT_EQ(c.dram.org.bus_width_bits, 16u);
  EXPECT_EQ(c.dram.org.channels, 2u);
  EXPECT_EQ(c.dram.page_policy, PagePolicy::Open);
  EXPECT_EQ(c.interconnect.width_bytes, 32u);
  EXPECT_EQ(c.dma.burst_bytes, 64u);
  EXPECT_EQ(c.dma.max_outstanding, 8u);
  EXPECT_EQ(c.dma.setup_cycles, 4u);
  EXPECT_EQ(c.controller.fetch_block_instrs, 16u);
  EXPECT_EQ(c.controller.queue_depth, 32u);
  EXPECT_DOUBLE_EQ(c.simulation.quantum_ns, 1000.0);
  EXPECT_TRUE(c.simulation.functional);
  EXPECT_TRUE(std::filesystem::is_regular_file(c.energy_table)) << c.energy_table;
  EXPECT_EQ(std::filesystem::path(c.energy_table).filename(), "45nm.yaml");
}

TEST(HwConfigShipped, EdgeSmallOverridesChannels) {
  HwConfig c = load_hw_config(SAVP_SOURCE_DIR "/configs/hw/edge-small.yaml");
  ASSERT_FALSE(c.chunks.empty());
  for (const auto& ch : c.chunks) EXPECT_EQ(ch.rows * ch.cols, 64u);
  EXPECT_EQ(c.dram.preset, "LPDDR4-3200");
  EXPECT_EQ(c.dram.org.channels, 1u);         // override
  EXPECT_EQ(c.dram.org.bus_width_bits, 16u);  // preset
  EXPECT_EQ(c.dram.capacity_bytes(), uint64_t{1} << 30);
}

TEST(HwConfigShipped, HbmLarge) {
  HwConfig c = load_hw_config(SAVP_SOURCE_DIR "/configs/hw/hbm-large.yaml");
  for (const auto& ch : c.chunks) EXPECT_EQ(ch.rows, 32u);
  EXPECT_EQ(c.dram.preset, "HBM2");
  EXPECT_EQ(c.dram.timing.burst_length, 4u);
  EXPECT_EQ(c.dram.org.channels, 16u);
  EXPECT_EQ(c.dram.capacity_bytes(), uint64_t{8} << 30);
  EXPECT_NEAR(c.dram.peak_bandwidth_gbps(), 256.0, 1e-9);
}

TEST(HwConfigShipped, PresetsFoundNextToConfigAndEnergyTableResolved) {
  testutil::TempDir root("tree");
  root.write("dram/TEST-1.yaml", kPreset);
  root.write("energy/e.yaml", "not: checked here\n");
  std::string text = kBase + "energy_table: ../energy/e.yaml\n";
  std::string path = root.write("hw/mine.yaml", text);
  HwConfig c = load_hw_config(path);
  EXPECT_EQ(c.dram.timing.cl, 16u);
  EXPECT_EQ(std::filesystem::path(c.energy_table),
            std::filesystem::weakly_canonical(root.path() / "energy/e.yaml"));
  // Text without a preset dir falls back to the source tree's presets.
  HwConfig s = parse_hw_config(replace_line(kBase, 15, "  preset: DDR4-2400"), "x.yaml");
  EXPECT_EQ(s.dram.preset, "DDR4-2400");
  EXPECT_EQ(s.dram.org.bank_groups, 4u);
}

TEST(HwConfigShipped, MissingFile) {
  try {
    load_hw_config("/nonexistent/savp.yaml");
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/savp.yaml"), std::string::npos);
  }
}

// ---- YAML-level errors ----------------------------------------------------------------------

TEST_F(HwConfigTest, SyntaxError) {
  std::string text = replace_line(kBase, 9, "    weight_bits: [8, 4");
  try {
    parse(text);
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.location().file, kFile);
    EXPECT_EQ(e.location().line, 10);  // yaml-cpp notices the unclosed '[' on the next line
    EXPECT_GT(e.location().column, 0);
    EXPECT_NE(std::string(e.what()).find("YAML syntax error"), std::string::npos);
  }
}

TEST_F(HwConfigTest, EmptyDocumentAndNonMapDocument) {
  try {
    parse("");
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("must be a map"), std::string::npos) << e.what();
  }
  expect_error("- a\n- b\n", 1, "-", "", "must be a map of fields, got a sequence");
}

TEST_F(HwConfigTest, UnknownKeys) {
  expect_error(replace_line(kBase, 2, "clok_mhz: 500"), 2, "clok_mhz", "clok_mhz",
               "unknown field 'clok_mhz'");
  expect_error(replace_line(kBase, 10, "    ibuf: {capacity_bytes: 1024, bank: 2}"), 10,
               "bank:", "chunks[0].ibuf.bank", "allowed: capacity_bytes, banks, port_width_bytes");
  expect_error(replace_line(kBase, 16, "  timing: {tcl: 3}"), 16, "tcl", "dram.timing.tcl",
               "unknown field");
  expect_error(replace_line(kBase, 16, "  organisation: {}"), 16, "organisation",
               "dram.organisation", "allowed: preset, organization");
}

TEST_F(HwConfigTest, DuplicateKey) {
  expect_error(replace_line(kBase, 8, "    rows: 8"), 8, "rows", "chunks[0].rows",
               "duplicate key 'rows' (first given at line 6, column 5)");
}

TEST_F(HwConfigTest, MissingRequiredField) {
  // The error points at the chunk's map (line 4, column 5: "name").
  expect_error(replace_line(kBase, 6, ""), 4, "name", "chunks[0].rows",
               "missing required field 'rows'");
  expect_error(replace_line(kBase, 15, ""), 16, "page_policy", "dram.preset",
               "missing required field 'preset'");
}

TEST_F(HwConfigTest, WrongTypes) {
  expect_error(replace_line(kBase, 6, "    rows: abc"), 6, "abc", "chunks[0].rows",
               "expected an unsigned integer, got 'abc'");
  expect_error(replace_line(kBase, 6, "    rows: -4"), 6, "-4", "chunks[0].rows",
               "expected an unsigned integer, got '-4' (negative)");
  expect_error(replace_line(kBase, 6, "    rows: 4.5"), 6, "4.5", "chunks[0].rows",
               "expected an unsigned integer");
  expect_error(replace_line(kBase, 6, "    rows: [4]"), 6, "[4]", "chunks[0].rows",
               "expected an unsigned integer, got a sequence");
  std::string seq = replace_line(kBase, 14, "dram: [a, b]");
  for (int l : {15, 16}) seq = replace_line(seq, l, "");
  expect_error(seq, 14, "[a", "dram", "expected a map, got a sequence");
  std::string map = replace_line(kBase, 3, "chunks: {a: 1}");
  for (int l = 4; l <= 12; ++l) map = replace_line(map, l, "");
  expect_error(map, 3, "{a", "chunks", "expected a sequence, got a map");
  expect_error(replace_line(kBase, 2, "clock_mhz: fast"), 2, "fast", "clock_mhz",
               "expected a finite number, got 'fast'");
  expect_error(replace_line(kBase, 20, "simulation: {functional: maybe}"), 20, "maybe",
               "simulation.functional", "expected a boolean");
  expect_error(replace_line(kBase, 4, "  - name:"), 4, "name", "chunks[0].name",
               "expected a string, got nothing (null)");
  expect_error(replace_line(kBase, 6, "    rows: 99999999999999999999999"), 6, "999",
               "chunks[0].rows", "expected an unsigned integer");
}

TEST_F(HwConfigTest, EnumChoices) {
  expect_error(replace_line(kBase, 5, "    kind: div"), 5, "div", "chunks[0].kind",
               "allowed: mult, shift, adder");
  expect_error(replace_line(kBase, 8, "    dataflow: rs"), 8, "rs", "chunks[0].dataflow",
               "allowed: ws, os, is");
  expect_error(replace_line(kBase, 16, "  page_policy: adaptive"), 16, "adaptive",
               "dram.page_policy", "allowed: open, closed");
}

// fold_overlap (double-buffered accumulators) exists only for output-stationary arrays.
TEST_F(HwConfigTest, FoldOverlapNeedsOutputStationary) {
  EXPECT_FALSE(parse(kBase).chunks[0].fold_overlap);  // off unless declared
  const std::string on = replace_line(kBase, 8, "    dataflow: os\n    fold_overlap: true");
  EXPECT_TRUE(parse(on).chunks[0].fold_overlap);
  // ws with fold_overlap: an error at the fold_overlap value (line 9 after the inserted line).
  expect_error(replace_line(kBase, 8, "    dataflow: ws\n    fold_overlap: true"), 9, "true",
               "chunks[0].fold_overlap", "allowed: false, or dataflow: os");
  expect_error(replace_line(kBase, 8, "    dataflow: is\n    fold_overlap: true"), 9, "true",
               "chunks[0].fold_overlap", "not dataflow is");
  // false is fine with any dataflow.
  EXPECT_EQ(parse(replace_line(kBase, 8, "    dataflow: ws\n    fold_overlap: false"))
                .chunks[0]
                .dataflow,
            Dataflow::WeightStationary);
  expect_error(replace_line(kBase, 8, "    dataflow: os\n    fold_overlap: sometimes"), 9,
               "sometimes", "chunks[0].fold_overlap", "expected a boolean");
}

// ---- top-level rules ------------------------------------------------------------------------

TEST_F(HwConfigTest, ClockMustBePositive) {
  expect_error(replace_line(kBase, 2, "clock_mhz: 0"), 2, "0", "clock_mhz", "greater than 0");
  expect_error(replace_line(kBase, 2, "clock_mhz: -100"), 2, "-100", "clock_mhz", "greater than 0");
}

TEST_F(HwConfigTest, ChunkCount) {
  std::string none = "chunks: []\n" + kBase.substr(kBase.find("global_buffer"));
  none = "name: t\n" + none;
  expect_error(none, 2, "[]", "chunks", "at least one chunk is required");

  std::string many = "chunks:\n";
  for (int i = 0; i < 15; ++i)
    many += "  - {name: c" + std::to_string(i) +
            ", kind: mult, rows: 4, cols: 4, ibuf: {capacity_bytes: 64}, wbuf: "
            "{capacity_bytes: 64}, obuf: {capacity_bytes: 64}}\n";
  many += kBase.substr(kBase.find("global_buffer"));
  expect_error(many, 2, "-", "chunks", "15 chunks given, but the ISA addresses at most 14");
}

TEST_F(HwConfigTest, DuplicateChunkNames) {
  std::string text = replace_line(
      kBase, 13,
      "  - {name: c0, kind: adder, rows: 4, cols: 4, ibuf: {capacity_bytes: 64}, wbuf: "
      "{capacity_bytes: 64}, obuf: {capacity_bytes: 64}}\n" +
          testutil::split_lines(kBase)[12]);
  expect_error(text, 13, "c0", "chunks[1].name",
               "duplicate chunk name 'c0' (first used at bad.yaml:4:11)");
}

TEST_F(HwConfigTest, ArrayShape) {
  expect_error(replace_line(kBase, 6, "    rows: 0"), 6, "0", "chunks[0].rows", "out of range");
  expect_error(replace_line(kBase, 7, "    cols: 0"), 7, "0", "chunks[0].cols", "allowed: 1..4096");
}

TEST_F(HwConfigTest, WeightBitsPerKind) {
  expect_error(replace_line(kBase, 9, "    weight_bits: [8, 3]"), 9, "3",
               "chunks[0].weight_bits[1]",
               "3-bit weights are not supported by a mult chunk (allowed: 2, 4, 8)");
  std::string shift = replace_line(kBase, 5, "    kind: shift");
  expect_error(replace_line(shift, 9, "    weight_bits: [8]"), 9, "8", "chunks[0].weight_bits[0]",
               "allowed: 2, 3, 4, 5, 6");
  EXPECT_EQ(parse(replace_line(shift, 9, "    weight_bits: [5, 6]")).chunks[0].weight_bits,
            (std::vector<uint32_t>{5, 6}));
  std::string adder = replace_line(kBase, 5, "    kind: adder");
  expect_error(replace_line(adder, 9, "    weight_bits: [6]"), 9, "6", "chunks[0].weight_bits[0]",
               "adder chunk");
  expect_error(replace_line(kBase, 9, "    weight_bits: []"), 9, "[]", "chunks[0].weight_bits",
               "at least one weight width");
  expect_error(replace_line(kBase, 9, "    weight_bits: [4, 4]"), 9, "4]",
               "chunks[0].weight_bits[1]", "listed twice");
}

// ---- SRAM rules -----------------------------------------------------------------------------

TEST_F(HwConfigTest, SramRules) {
  auto ibuf = [](const std::string& body) {
    return replace_line(kBase, 10, "    ibuf: {" + body + "}");
  };
  expect_error(ibuf("capacity_bytes: 0"), 10, "0", "chunks[0].ibuf.capacity_bytes",
               "capacity must be greater than 0");
  expect_error(ibuf("capacity_bytes: 1024, banks: 0"), 10, "0}", "chunks[0].ibuf.banks",
               "allowed: 1..1024");
  expect_error(ibuf("capacity_bytes: 1024, port_width_bytes: 0"), 10, "0}",
               "chunks[0].ibuf.port_width_bytes", "out of range");
  expect_error(ibuf("capacity_bytes: 1200, port_width_bytes: 12"), 10, "12}",
               "chunks[0].ibuf.port_width_bytes", "12 is not a power of two");
  expect_error(ibuf("capacity_bytes: 1000, banks: 2, port_width_bytes: 8"), 10, "1000",
               "chunks[0].ibuf.capacity_bytes",
               "capacity 1000 is not a multiple of banks * port_width_bytes = 16");
  expect_error(ibuf("capacity_bytes: 2147483648"), 10, "2147483648",
               "chunks[0].ibuf.capacity_bytes", "exceeds the 1 GiB address window");
  // 4x4 array: ibuf/wbuf need 4 * max(4, 4) = 16 bytes, obuf 4 * 4 * 4 = 64 bytes.
  expect_error(ibuf("capacity_bytes: 8, banks: 1, port_width_bytes: 8"), 10, "8,",
               "chunks[0].ibuf.capacity_bytes", "needs at least 16 bytes");
  EXPECT_NO_THROW(parse(ibuf("capacity_bytes: 16, banks: 1, port_width_bytes: 8")));
  expect_error(replace_line(kBase, 12, "    obuf: {capacity_bytes: 32, banks: 1}"), 12, "32",
               "chunks[0].obuf.capacity_bytes",
               "the int32 accumulators of a 4x4 array (4 * rows * cols) needs at least 64 bytes");
  expect_error(replace_line(kBase, 11, "    wbuf: 64"), 11, "64", "chunks[0].wbuf",
               "expected a map, got '64'");
}

TEST_F(HwConfigTest, GlobalBufferRules) {
  expect_error(replace_line(kBase, 13, "global_buffer: {capacity_bytes: 8, banks: 1}"), 13, "8,",
               "global_buffer.capacity_bytes", "needs at least 16 bytes");
  expect_error(
      replace_line(kBase, 13, "global_buffer: {capacity_bytes: 4096, port_width_bytes: 24}"), 13,
      "24", "global_buffer.port_width_bytes", "not a power of two");
  expect_error(replace_line(kBase, 13, "global_buffer: {capacity_bytes: 0}"), 13, "0",
               "global_buffer.capacity_bytes", "greater than 0");
}

// ---- DRAM rules -----------------------------------------------------------------------------

TEST_F(HwConfigTest, UnknownPresetListsAvailable) {
  dram_dir_.write("OTHER-2.yaml", kPreset);
  expect_error(replace_line(kBase, 15, "  preset: NOPE-1"), 15, "NOPE", "dram.preset",
               "unknown DRAM preset 'NOPE-1' (looked in ");
  try {
    parse(replace_line(kBase, 15, "  preset: ../x"));
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("allowed: OTHER-2, TEST-1"), std::string::npos)
        << e.what();
  }
}

TEST_F(HwConfigTest, OrganizationPowersOfTwo) {
  expect_error(replace_line(kBase, 16, "  organization: {rows: 1000}"), 16, "1000",
               "dram.organization.rows", "1000 is not a power of two");
  expect_error(replace_line(kBase, 16, "  organization: {banks_per_group: 3}"), 16, "3",
               "dram.organization.banks_per_group", "not a power of two");
  // The same rule inside a preset file is reported in that file.
  std::string bad = replace_line(kPreset, 7, "  rows: 60000");
  std::string preset = dram_dir_.write("BAD-1.yaml", bad);
  try {
    parse(replace_line(kBase, 15, "  preset: BAD-1"));
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    expect_config_error(e, preset, 7, 9, "organization.rows", "60000 is not a power of two");
  }
}

TEST_F(HwConfigTest, PresetMustBeComplete) {
  std::string preset = dram_dir_.write("PART-1.yaml", replace_line(kPreset, 14, ""));
  try {
    parse(replace_line(kBase, 15, "  preset: PART-1"));
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    expect_config_error(e, preset, 12, 3, "timing.cl", "missing required field 'cl'");
  }
}

TEST_F(HwConfigTest, AddressMappingPermutation) {
  expect_error(replace_line(kBase, 16, "  address_mapping: [ro, ra, ba, bg, co, co]"), 16, "co]",
               "dram.address_mapping[5]", "address field 'co' appears twice");
  expect_error(replace_line(kBase, 16, "  address_mapping: [ro, ra, ba, bg, co]"), 16, "[ro",
               "dram.address_mapping", "address field 'ch' is missing");
  expect_error(replace_line(kBase, 16, "  address_mapping: [ro, ra, ba, bg, co, xx]"), 16, "xx",
               "dram.address_mapping[5]", "allowed: ro, ra, bg, ba, co, ch");
}

TEST_F(HwConfigTest, DramCapacityLimit) {
  // 16 ranks x 8 GiB = 128 GiB > 64 GiB.
  expect_error(replace_line(kBase, 16, "  organization: {ranks: 16}"), 16, "{ranks",
               "dram.organization", "exceeds the 64 GiB DRAM address window");
  EXPECT_NO_THROW(parse(replace_line(kBase, 16, "  organization: {ranks: 8}")));  // 64 GiB
}

TEST_F(HwConfigTest, ImpossibleZeroTimings) {
  for (const char* f : {"burst_length", "cl", "trcd", "trp", "tras", "trefi", "trfc"}) {
    std::string text = replace_line(kBase, 16, std::string("  timing: {") + f + ": 0}");
    expect_error(text, 16, "0}", std::string("dram.timing.") + f, "out of range");
  }
  expect_error(replace_line(kBase, 16, "  timing: {tck_ns: 0}"), 16, "0}", "dram.timing.tck_ns",
               "greater than 0");
  EXPECT_NO_THROW(parse(replace_line(kBase, 16, "  timing: {trtw: 0, cwl: 0}")));
  expect_error(replace_line(kBase, 16, "  timing: {trfc: 9360}"), 16, "9360", "dram.timing.trfc",
               "must be shorter than tREFI");
}

TEST_F(HwConfigTest, SchedulerQueueDepth) {
  expect_error(replace_line(kBase, 16, "  scheduler_queue_depth: 0"), 16, "0",
               "dram.scheduler_queue_depth", "out of range");
}

// ---- interconnect, DMA, controller, simulation, energy table --------------------------------

TEST_F(HwConfigTest, InterconnectDmaControllerSimulation) {
  expect_error(replace_line(kBase, 17, "interconnect: {width_bytes: 0}"), 17, "0",
               "interconnect.width_bytes", "out of range");
  expect_error(replace_line(kBase, 18, "dma: {burst_bytes: 0}"), 18, "0", "dma.burst_bytes",
               "out of range");
  expect_error(replace_line(kBase, 18, "dma: {burst_bytes: 48}"), 18, "48", "dma.burst_bytes",
               "48 is not a power of two");
  expect_error(replace_line(kBase, 18, "dma: {max_outstanding: 0}"), 18, "0", "dma.max_outstanding",
               "out of range");
  expect_error(replace_line(kBase, 19, "controller: {fetch_block_instrs: 0}"), 19, "0",
               "controller.fetch_block_instrs", "out of range");
  expect_error(replace_line(kBase, 19, "controller: {queue_depth: 0}"), 19, "0",
               "controller.queue_depth", "out of range");
  expect_error(replace_line(kBase, 20, "simulation: {quantum_ns: 0}"), 20, "0",
               "simulation.quantum_ns", "greater than 0");
  expect_error(replace_line(kBase, 20, "simulation: {quantum_ns: -5}"), 20, "-5",
               "simulation.quantum_ns", "greater than 0");
}

TEST_F(HwConfigTest, EnergyTableMustExist) {
  std::string text = kBase + "energy_table: nowhere/none.yaml\n";
  expect_error(text, 21, "nowhere", "energy_table", "energy table 'nowhere/none.yaml' not found");
  // Relative to the source tree as if the config lived in configs/hw/.
  HwConfig c = parse(kBase + "energy_table: ../energy/45nm.yaml\n");
  EXPECT_TRUE(std::filesystem::is_regular_file(c.energy_table));
}

}  // namespace
}  // namespace savp
