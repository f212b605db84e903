// Compressed weights end to end (issue 8): a 4-bit, 50%-sparse ResNet-20-hybrid is stored as
// bitmask streams, decoded by the chunks bit-exact with the reference executor, moves fewer DRAM
// bytes than the same network stored dense, and a corrupt stream in the image stops the run with
// a firmware fault naming the instruction.
#include <gtest/gtest.h>

#include <string>

#include "common/energy_table.hpp"
#include "common/errors.hpp"
#include "common/hw_config.hpp"
#include "firmware/isa.hpp"
#include "mapper/codegen.hpp"
#include "mapper/cost_model.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/reference_executor.hpp"
#include "platform/platform.hpp"

namespace savp::mapper {
namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

struct Mapped {
  Network net;
  QuantizedNetwork q;
  std::vector<int8_t> input;
  MappedNetwork m;
};

Mapped map_net(const HwConfig& hw, bool force_dense) {
  Mapped r;
  r.net = load_network(kSrc + "/configs/nets/resnet20-hybrid-sparse4.yaml");
  if (force_dense)
    for (Layer& l : r.net.layers) l.weight_format = WeightStorage::Dense;
  r.input = random_input(r.net, 1);
  r.q = quantize(r.net, 1, r.input);
  r.m = generate(r.q, hw, r.input);
  return r;
}

RunResult run(const HwConfig& hw, const Mapped& mp, bool functional = true) {
  Platform p(hw, load_energy_table(hw.energy_table));
  RunOptions ro;
  ro.functional = functional;
  return p.run(mp.m.image, ro);
}

void expect_bit_exact(const Mapped& mp, const RunResult& r) {
  const std::vector<std::vector<int8_t>> ref = run_reference(mp.q, mp.input);
  for (size_t i = 0; i < mp.net.layers.size(); ++i) {
    auto it = r.outputs.find(mp.net.layers[i].name);
    ASSERT_NE(it, r.outputs.end()) << mp.net.layers[i].name;
    ASSERT_EQ(it->second.size(), ref[i].size());
    for (size_t e = 0; e < ref[i].size(); ++e)
      ASSERT_EQ(static_cast<int8_t>(it->second[e]), ref[i][e])
          << "layer " << mp.net.layers[i].name << " element " << e;
  }
}

TEST(CompressE2E, SparseFourBitNetworkIsStoredAsBitmaskAndRunsBitExact) {
  const HwConfig hw = load_hw_config(kSrc + "/configs/hw/default.yaml");
  const Mapped c = map_net(hw, false);
  uint64_t raw = 0, stored = 0, compressed_computes = 0;
  for (size_t i = 0; i < c.net.layers.size(); ++i) {
    const LayerPlacement& p = c.m.layers[i];
    if (!c.net.layers[i].has_weights()) continue;
    // 50% zeros at 4 bits: a mask bit + 4 bits per non-zero = 3 bits per weight + headers,
    // so bitmask beats packed (4 bits per weight) and dense (8).
    EXPECT_EQ(p.weight_format, "bitmask") << p.layer;
    EXPECT_EQ(p.weight_stream_bits, 4u) << p.layer;
    EXPECT_LE(p.weight_nonzero * 2, p.weight_bytes_raw + 1) << p.layer;  // half pruned
    raw += p.weight_bytes_raw, stored += p.weight_bytes_stored;
  }
  for (const isa::Instruction& in : c.m.image.code)
    if (in.opcode() == isa::Opcode::Compute && in.get(isa::kWFormat) == 2) ++compressed_computes;
  EXPECT_GT(compressed_computes, 0u);
  // 270,896 weights; at 3 bits per weight the streams are 101,586 bytes plus 16-byte headers.
  EXPECT_EQ(raw, 270896u);
  EXPECT_GT(stored, raw * 3 / 8);
  EXPECT_LT(stored, raw * 3 / 8 + 16 * 200);

  const RunResult r = run(hw, c);
  expect_bit_exact(c, r);
  // Timing-only runs take the same time (the decoder's timing does not depend on the data).
  EXPECT_EQ(run(hw, c, false).cycles, r.cycles);

  // The same network stored dense: every weight byte crosses the DRAM, the weights are the
  // only difference in DRAM reads (same inputs and activations).
  const Mapped d = map_net(hw, true);
  for (const LayerPlacement& p : d.m.layers)
    if (!p.weight_format.empty()) {
      EXPECT_EQ(p.weight_format, "dense");
    }
  const RunResult rd = run(hw, d);
  expect_bit_exact(d, rd);
  EXPECT_LT(r.dram.read_bytes, rd.dram.read_bytes);
  // Not by the whole raw - stored difference: the latency search may spend some of the room
  // the smaller weights leave on tilings that re-load inputs (BENCHMARKS.md).
  EXPECT_GT(r.energy.by_component.at("decompress"), 0.0);
  EXPECT_EQ(rd.energy.by_component.at("decompress"), 0.0);
  EXPECT_LT(r.energy.by_component.at("dram"), rd.energy.by_component.at("dram"));

  // The cost model prices the decoder as the chunk does: its prediction stays close.
  uint64_t pred = 0;
  for (const LayerPrediction& lp : predict(c.m, c.q, hw)) pred += lp.predicted_cycles;
  EXPECT_NEAR(static_cast<double>(pred) / static_cast<double>(r.cycles), 1.0, 0.1);
}

TEST(CompressE2E, CorruptStreamInTheImageIsAFirmwareFault) {
  const HwConfig hw = load_hw_config(kSrc + "/configs/hw/default.yaml");
  Mapped c = map_net(hw, false);
  // The first bitmask stream of 4-bit weights: flip one payload bit.
  bool flipped = false;
  for (fw::Segment& s : c.m.image.segments)
    if (s.data.size() > 20 && s.data[0] == 2 && s.data[1] == 4 && s.data[2] == 0) {
      s.data[20] ^= 0x01;
      flipped = true;
      break;
    }
  ASSERT_TRUE(flipped);
  try {
    run(hw, c);
    FAIL() << "a corrupt weight stream ran to the end";
  } catch (const SimulationError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("firmware fault at instruction 0x"), std::string::npos) << what;
    EXPECT_NE(what.find("compressed weight stream"), std::string::npos) << what;
    EXPECT_NE(what.find("the stream is corrupt"), std::string::npos) << what;
  }
}

TEST(CompressE2E, WithoutDecompressorEverythingStaysDense) {
  HwConfig hw = load_hw_config(kSrc + "/configs/hw/default.yaml");
  for (ChunkConfig& cc : hw.chunks) cc.decompressor = DecompressorConfig{};
  const Mapped c = map_net(hw, false);
  for (const LayerPlacement& p : c.m.layers)
    if (!p.weight_format.empty()) {
      EXPECT_EQ(p.weight_format, "dense");
      EXPECT_EQ(p.weight_bytes_stored, p.weight_bytes_raw);
    }
  for (const isa::Instruction& in : c.m.image.code)
    if (in.opcode() == isa::Opcode::Compute) {
      EXPECT_EQ(in.get(isa::kWFormat), 0u);
    }
}

}  // namespace
}  // namespace savp::mapper
