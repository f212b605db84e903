// Code generation without the platform: valid instructions, disjoint DRAM regions, tiles that
// fit the buffers, and the errors a user can hit.
#include "mapper/codegen.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "common/errors.hpp"
#include "firmware/isa.hpp"
#include "mapper/quantized_network.hpp"

namespace savp::mapper {
namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

HwConfig default_hw() { return load_hw_config(kSrc + "/configs/hw/default.yaml"); }

MappedNetwork map_net(const std::string& name, const HwConfig& hw,
                      QuantizedNetwork* out = nullptr) {
  Network net = load_network(kSrc + "/configs/nets/" + name + ".yaml");
  std::vector<int8_t> in = random_input(net, 3);
  QuantizedNetwork q = quantize(net, 3, in);
  MappedNetwork m = generate(q, hw, in);
  if (out) *out = q;
  return m;
}

class CodegenNets : public ::testing::TestWithParam<std::string> {};

TEST_P(CodegenNets, ValidInstructionsDisjointRegionsAndFittingTiles) {
  HwConfig hw = default_hw();
  QuantizedNetwork q;
  MappedNetwork m = map_net(GetParam(), hw, &q);
  EXPECT_EQ(fw::check_image(m.image), "");
  for (size_t i = 0; i < m.image.code.size(); ++i)
    ASSERT_EQ(isa::validate(m.image.code[i], static_cast<int>(hw.chunks.size())), "")
        << "instruction " << i;
  EXPECT_EQ(m.image.code.back().opcode(), isa::Opcode::Halt);
  // Regions: code, segments and (non-aliased) outputs are disjoint and 64-byte aligned.
  std::vector<std::pair<uint64_t, uint64_t>> r{{m.image.code_base, m.image.code_end()}};
  for (const auto& s : m.image.segments) r.emplace_back(s.addr, s.end());
  for (size_t i = 0; i < q.net.layers.size(); ++i) {
    if (q.net.layers[i].type == LayerType::Flatten) continue;
    r.emplace_back(m.layers[i].out_addr, m.layers[i].out_addr + m.layers[i].out_bytes);
  }
  std::sort(r.begin(), r.end());
  for (size_t i = 0; i < r.size(); ++i) {
    EXPECT_EQ(r[i].first % 64, 0u);
    if (i > 0) {
      EXPECT_LE(r[i - 1].second, r[i].first) << "regions overlap at " << r[i].first;
    }
  }
  EXPECT_LE(r.back().second, hw.dram.capacity_bytes());
  // Every layer has a placement; tiles fit the buffers of their chunk; compute kinds match.
  ASSERT_EQ(m.layers.size(), q.net.layers.size());
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const LayerPlacement& p = m.layers[i];
    EXPECT_EQ(p.layer, q.net.layers[i].name);
    ASSERT_EQ(p.instr_range.size(), 2u);
    if (p.chunk < 0) continue;
    const ChunkConfig& c = hw.chunks[p.chunk];
    EXPECT_LE(p.ibuf_bytes, c.ibuf.capacity_bytes) << p.layer;
    EXPECT_LE(p.wbuf_bytes, c.wbuf.capacity_bytes) << p.layer;
    EXPECT_LE(p.obuf_bytes, c.obuf.capacity_bytes) << p.layer;
    if (q.net.layers[i].has_weights()) {
      EXPECT_EQ(c.kind, q.net.layers[i].op) << p.layer;
    }
    for (uint64_t k = p.instr_range[0]; k < p.instr_range[1]; ++k) {
      const isa::Instruction& in = m.image.code[k];
      if (in.opcode() == isa::Opcode::Compute) {
        EXPECT_EQ(in.engine(), isa::chunk_engine(p.chunk));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shipped, CodegenNets,
                         ::testing::Values("fmnist-mult", "fmnist-shift", "fmnist-adder",
                                           "fmnist-hybrid", "resnet20-mult", "resnet20-shift",
                                           "resnet20-adder", "resnet20-hybrid", "mbconv-fbnet",
                                           "resnet50"),
                         [](const auto& info) {
                           std::string s = info.param;
                           std::replace(s.begin(), s.end(), '-', '_');
                           return s;
                         });

TEST(Codegen, TokensBalancePerEngine) {
  // Every signal on a channel is consumed by exactly one wait on it.
  HwConfig hw = default_hw();
  MappedNetwork m = map_net("resnet20-hybrid", hw);
  std::vector<int64_t> ch(isa::kMaxEngines * isa::kMaxEngines, 0);
  for (const auto& in : m.image.code) {
    for (int o = 0; o < isa::kMaxEngines; ++o) {
      if (in.signal_mask() >> o & 1) ++ch[in.engine() * isa::kMaxEngines + o];
      if (in.wait_mask() >> o & 1) --ch[o * isa::kMaxEngines + in.engine()];
    }
  }
  for (int64_t v : ch) EXPECT_EQ(v, 0);
}

TEST(Codegen, DoubleBufferedLayersAlternateBufferHalves) {
  // ResNet-20-hybrid's 32x32 convs have several row bands: their tiles go to alternating
  // halves of the ibuf so the next band loads while this one computes, and rotate through the
  // obuf slots (Tiling::oslots: as many as fit, a power of two from 2 to 8).
  HwConfig hw = default_hw();
  QuantizedNetwork q;
  MappedNetwork m = map_net("resnet20-hybrid", hw, &q);
  int db_layers = 0, many_slots = 0;
  for (const LayerPlacement& p : m.layers) {
    if (!p.double_buffered) continue;
    ++db_layers;
    const ChunkConfig& c = hw.chunks[p.chunk];
    std::vector<uint64_t> ins, outs;
    for (uint64_t k = p.instr_range[0]; k < p.instr_range[1]; ++k) {
      const isa::Instruction& in = m.image.code[k];
      if (in.opcode() != isa::Opcode::Compute) continue;
      ins.push_back(in.get(isa::kInAddr));
      outs.push_back(in.get(isa::kOutAddr));
    }
    ASSERT_GE(ins.size(), 2u) << p.layer;
    // Output-channel block outer: every step loads its input into the other half; band outer:
    // the blocks of one band share the band's input half.
    const Layer& l = q.net.layers[&p - m.layers.data()];
    const uint64_t kblocks = (l.out_shape.c + p.tile_k - 1) / p.tile_k;
    const uint32_t slots = p.out_slots;
    ASSERT_TRUE(slots == 2 || slots == 4 || slots == 8) << p.layer << " " << slots;
    const uint64_t stride = c.obuf.capacity_bytes / slots / 64 * 64;
    EXPECT_GE(stride, p.obuf_bytes - (slots - 1) * stride) << p.layer;  // a tile fits its slot
    if (slots > 2) ++many_slots;
    // A layer after another on its chunk may start in slot 1 (the slots' low bit swapped).
    const uint64_t flip = outs[0] / stride;
    ASSERT_LE(flip, 1u) << p.layer;
    for (size_t i = 0; i < ins.size(); ++i) {
      const uint64_t half = p.loop_order == LoopOrder::KBlockOuter ? i % 2 : i / kblocks % 2;
      EXPECT_EQ(ins[i], half ? c.ibuf.capacity_bytes / 2 / 64 * 64 : 0) << p.layer << " " << i;
      if (p.tile_c == q.net.layers[&p - m.layers.data()].in_shape.c) {
        EXPECT_EQ(outs[i], ((i % slots) ^ flip) * stride) << p.layer << " " << i;
      }
    }
  }
  EXPECT_GE(db_layers, 10);
  EXPECT_GE(many_slots, 4);  // the 16x16 and 8x8 convs' small tiles
}

TEST(Codegen, LayerWithoutAChunkOfItsKindIsAnErrorNamingIt) {
  HwConfig hw = default_hw();
  hw.chunks.erase(std::remove_if(hw.chunks.begin(), hw.chunks.end(),
                                 [](const ChunkConfig& c) { return c.kind == OpKind::Shift; }),
                  hw.chunks.end());
  try {
    map_net("fmnist-shift", hw);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("conv1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("shift"), std::string::npos) << msg;
  }
}

TEST(Codegen, NoTileFitsNamesTheLayerAndTheBufferSize) {
  HwConfig hw = default_hw();
  for (auto& c : hw.chunks) c.ibuf.capacity_bytes = 16;  // less than one 28-pixel input row
  try {
    map_net("fmnist-mult", hw);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("conv1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("ibuf needs at least"), std::string::npos) << msg;
  }
}

TEST(Codegen, SmallBuffersSplitInputChannelsWithPartialSums) {
  HwConfig hw = default_hw();
  for (auto& c : hw.chunks) c.wbuf.capacity_bytes = 2048;
  QuantizedNetwork q;
  MappedNetwork m = map_net("resnet20-mult", hw, &q);
  bool partial = false;
  for (const auto& in : m.image.code)
    if (in.opcode() == isa::Opcode::Compute && (in.flags() & isa::kFlagOutPartial)) partial = true;
  EXPECT_TRUE(partial);
  for (const auto& p : m.layers) EXPECT_LE(p.wbuf_bytes, 2048u) << p.layer;
}

}  // namespace
}  // namespace savp::mapper
