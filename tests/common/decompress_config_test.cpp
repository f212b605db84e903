// The weight decompressor in the hw config, its energy in the table, and its timing
// (issue 8: common/hw_config.hpp DecompressorConfig, common/tile_timing.hpp decompress_cost).
#include <gtest/gtest.h>

#include "common/energy_table.hpp"
#include "common/errors.hpp"
#include "common/hw_config.hpp"
#include "common/tile_timing.hpp"

namespace savp {
namespace {

TEST(DecompressorConfig, ShippedDefaultHasOnePerChunk) {
  const HwConfig c = load_hw_config(SAVP_SOURCE_DIR "/configs/hw/default.yaml");
  ASSERT_EQ(c.chunks.size(), 3u);
  for (const ChunkConfig& cc : c.chunks) {
    EXPECT_TRUE(cc.decompressor.packed) << cc.name;
    EXPECT_TRUE(cc.decompressor.bitmask) << cc.name;
    EXPECT_EQ(cc.decompressor.weights_per_cycle, 16u);
    EXPECT_EQ(cc.decompressor.latency_cycles, 2u);
  }
  EXPECT_EQ(c.chunks[0].decompressor.packed_bits, (std::vector<uint32_t>{2, 4, 8}));
  EXPECT_EQ(c.chunks[1].decompressor.packed_bits, (std::vector<uint32_t>{2, 3, 4, 5, 6}));
  EXPECT_TRUE(c.chunks[1].decompressor.supports_bits(5));
  EXPECT_FALSE(c.chunks[0].decompressor.supports_bits(5));
}

const char* kBase = R"(chunks:
  - {name: m, kind: mult, rows: 4, cols: 4, ibuf: {capacity_bytes: 4096}, wbuf: {capacity_bytes: 4096}, obuf: {capacity_bytes: 4096}, DEC}
global_buffer: {capacity_bytes: 65536}
dram: {preset: DDR4-2400}
)";

HwConfig with(const std::string& dec) {
  std::string s = kBase;
  s.replace(s.find("DEC"), 3, dec);
  return parse_hw_config(s, "t.yaml");
}

TEST(DecompressorConfig, ParsesAndRejectsBadValues) {
  const HwConfig c = with("decompressor: {formats: bitmask, packed_bits: [8, 2]}");
  EXPECT_FALSE(c.chunks[0].decompressor.packed);
  EXPECT_TRUE(c.chunks[0].decompressor.bitmask);
  EXPECT_EQ(c.chunks[0].decompressor.packed_bits, (std::vector<uint32_t>{2, 8}));  // sorted
  EXPECT_EQ(c.chunks[0].decompressor.weights_per_cycle, 1u);
  // No decompressor: dense only.
  std::string plain = kBase;
  plain.replace(plain.find(", DEC"), 5, "");
  EXPECT_FALSE(parse_hw_config(plain, "t.yaml").chunks[0].decompressor.present());
  for (const char* bad :
       {"decompressor: {formats: [], packed_bits: [4]}",
        "decompressor: {formats: [packed, packed], packed_bits: [4]}",
        "decompressor: {formats: [zip], packed_bits: [4]}",
        "decompressor: {formats: [packed], packed_bits: [1]}",
        "decompressor: {formats: [packed], packed_bits: [4, 4]}",
        "decompressor: {formats: [packed]}",
        "decompressor: {formats: [packed], packed_bits: [4], weights_per_cycle: 0}",
        "decompressor: {formats: [packed], packed_bits: [4], speed: 3}"})
    EXPECT_THROW(with(bad), ConfigError) << bad;
}

TEST(DecompressorConfig, EnergyTableHasItsPricePerWeight) {
  const EnergyTable t = load_energy_table(SAVP_SOURCE_DIR "/configs/energy/45nm.yaml");
  EXPECT_DOUBLE_EQ(t.decompress_packed_pj, 0.024);   // one 8-bit shift [SAN]
  EXPECT_DOUBLE_EQ(t.decompress_bitmask_pj, 0.054);  // + one 8-bit add [H14]
}

TEST(DecompressCost, PipelinedWithTheArray) {
  DecompressorConfig d;
  d.packed = true;
  d.weights_per_cycle = 16;
  d.latency_cycles = 2;
  // 1000 weight reads at 16 per cycle: 63 decode cycles, under 100 compute cycles: +2 fill.
  DecompressCost c = decompress_cost(d, 100, 1000);
  EXPECT_EQ(c.decode_cycles, 63u);
  EXPECT_EQ(c.cycles, 102u);
  EXPECT_EQ(c.stall_cycles, 2u);
  // 4000 reads: the decoder paces the tile (250 cycles) + fill.
  c = decompress_cost(d, 100, 4000);
  EXPECT_EQ(c.cycles, 252u);
  EXPECT_EQ(c.stall_cycles, 152u);
}

}  // namespace
}  // namespace savp
