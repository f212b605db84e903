// Candidates: the gene layout, hashing, decoding to the network IR and to network YAML that
// the mapper's loader reads back to the same network.
#include "nas/search/candidate.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "common/splitmix64.hpp"

namespace savp::nas::search {
namespace {

const std::string kDir = std::string(SAVP_SOURCE_DIR) + "/configs/nas/";

void expect_same(const mapper::Network& a, const mapper::Network& b) {
  ASSERT_EQ(a.layers.size(), b.layers.size());
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.input, b.input);
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const mapper::Layer &x = a.layers[i], &y = b.layers[i];
    SCOPED_TRACE(x.name);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.op, y.op);
    EXPECT_EQ(x.inputs, y.inputs);
    EXPECT_EQ(x.out_channels, y.out_channels);
    EXPECT_EQ(x.kernel_h, y.kernel_h);
    EXPECT_EQ(x.stride_h, y.stride_h);
    EXPECT_EQ(x.pad_h, y.pad_h);
    EXPECT_EQ(x.groups, y.groups);
    EXPECT_EQ(x.relu, y.relu);
    EXPECT_EQ(x.batch_norm, y.batch_norm);
    EXPECT_EQ(x.weight_bits, y.weight_bits);
    EXPECT_EQ(x.act_bits, y.act_bits);
    EXPECT_EQ(x.sparsity, y.sparsity);
    EXPECT_EQ(x.in_shape, y.in_shape);
    EXPECT_EQ(x.out_shape, y.out_shape);
  }
}

TEST(Candidate, LayoutOfTheFmnistSkeleton) {
  const SearchSpace s = load_search_space(kDir + "fmnist.yaml");
  const Layout l(s);
  ASSERT_EQ(l.blocks().size(), 7u);
  ASSERT_EQ(l.genes().size(), 7u);  // one op gene per block; no bits / sparsity / hw genes
  // Block 0: 16 -> 16, stride 1: skip allowed (3 ops x 2 kernels x 3 expansions + skip).
  EXPECT_TRUE(l.blocks()[0].identity_ok);
  EXPECT_EQ(l.block_choices(0).size(), 19u);
  EXPECT_TRUE(l.block_choices(0).back().skip);
  // Block 1: 16 -> 24, stride 2, 28x28 in: no skip.
  EXPECT_FALSE(l.blocks()[1].identity_ok);
  EXPECT_EQ(l.blocks()[1].stride, 2u);
  EXPECT_EQ(l.blocks()[1].in_h, 28u);
  EXPECT_EQ(l.block_choices(1).size(), 18u);
  EXPECT_EQ(l.blocks()[2].in_h, 14u);
  EXPECT_EQ(l.blocks()[6].in_h, 4u);  // 28 -> 14 -> 7 -> 4
  EXPECT_EQ(l.block_choices(1)[0].label(), "mult_k3_e1");
  EXPECT_EQ(l.block_choices(1)[17].label(), "adder_k5_e6");
  // 19^4 x 18^3 candidates.
  EXPECT_NEAR(l.log10_size(), 4 * std::log10(19.0) + 3 * std::log10(18.0), 1e-9);
}

TEST(Candidate, DecodeBuildsMbconvBlocks) {
  const SearchSpace s = load_search_space(kDir + "fmnist.yaml");
  const Layout l(s);
  const Candidate base = baseline_candidate(l, OpKind::Shift);  // shift k3 e3 everywhere
  const mapper::Network n = decode_network(l, base, "x");
  // stem + 7 blocks x (expand, dw, project) + 3 residual adds (blocks 0, 2, 4, 6: 4 adds) + head,
  // pool, fc.
  EXPECT_EQ(n.layers.size(), 1u + 21u + 4u + 3u);
  const mapper::Layer& e1 = n.layer("b1_expand");
  EXPECT_EQ(e1.op, OpKind::Shift);
  EXPECT_EQ(e1.out_channels, 48u);  // 16 x 3
  EXPECT_TRUE(e1.relu);
  const mapper::Layer& d1 = n.layer("b1_dw");
  EXPECT_TRUE(d1.is_depthwise());
  EXPECT_EQ(d1.stride_h, 2u);
  EXPECT_EQ(d1.out_shape, (mapper::Shape{14, 14, 48}));
  const mapper::Layer& p1 = n.layer("b1_project");
  EXPECT_FALSE(p1.relu);
  EXPECT_EQ(p1.out_shape, (mapper::Shape{14, 14, 24}));
  EXPECT_EQ(n.index_of("b1_add"), -1);  // 16 -> 24: no residual
  EXPECT_EQ(n.layer("b2_add").inputs, (std::vector<std::string>{"b2_project", "b1_project"}));
  EXPECT_EQ(n.layer("stem").op, OpKind::Mult);
  EXPECT_EQ(n.layer("b3_dw").weight_bits, 5u);  // shift's one level
  EXPECT_EQ(n.output().out_shape, (mapper::Shape{1, 1, 10}));
  EXPECT_EQ(n.layer("head").in_shape, (mapper::Shape{4, 4, 64}));

  // Expansion 1 drops the expand conv; skip drops the whole block (block 2 is 24 -> 24).
  Candidate c = base;
  c.genes[l.op_gene(1)] = 0;                              // mult_k3_e1
  c.genes[l.op_gene(2)] = l.block_choices(2).size() - 1;  // skip
  const mapper::Network m = decode_network(l, c);
  EXPECT_EQ(m.index_of("b1_expand"), -1);
  EXPECT_EQ(m.layer("b1_dw").in_shape.c, 16u);
  EXPECT_EQ(m.layer("b1_dw").op, OpKind::Mult);
  EXPECT_EQ(m.index_of("b2_dw"), -1);
  EXPECT_EQ(m.layer("b3_expand").inputs[0], "b1_project");
  EXPECT_EQ(m.name, "fmnist-" + c.hash());
}

TEST(Candidate, NetworkYamlRoundTrips) {
  for (const char* spec : {"fmnist.yaml", "fmnist-codesign.yaml", "tiny.yaml"}) {
    const SearchSpace s = load_search_space(kDir + spec);
    const Layout l(s);
    uint64_t rng = 42;
    for (int i = 0; i < 20; ++i) {
      const Candidate c = random_candidate(l, rng);
      SCOPED_TRACE(std::string(spec) + " [" + c.str() + "]");
      const mapper::Network n = decode_network(l, c);
      const std::string text = network_yaml(l, c);
      expect_same(mapper::parse_network(text, "rt.yaml"), n);
    }
  }
}

TEST(Candidate, BitsAndSparsityGenes) {
  const SearchSpace s = load_search_space(kDir + "fmnist-codesign.yaml");
  const Layout l(s);
  EXPECT_EQ(l.genes().size(), 7u * 3 + 4);  // op, bits, sparsity per block; 4 hw parameters
  Candidate c = baseline_candidate(l, OpKind::Adder);
  EXPECT_EQ(c.genes[l.bits_gene(3)], 1u);  // the highest level: adder 8 bits
  c.genes[l.bits_gene(3)] = 0;
  c.genes[l.sparsity_gene(3)] = 1;
  const mapper::Network n = decode_network(l, c);
  EXPECT_EQ(n.layer("b3_dw").weight_bits, 4u);
  EXPECT_EQ(n.layer("b3_project").sparsity, 0.5);
  EXPECT_EQ(n.layer("b2_project").sparsity, 0.0);
}

TEST(Candidate, HashIsStableAndDistinguishes) {
  Candidate a{{1, 2, 3}}, b{{1, 23}}, c{{1, 2, 3}};
  EXPECT_EQ(a.hash(), c.hash());
  EXPECT_NE(a.hash(), b.hash());  // the separator: "1","2","3" != "1","23"
  // FNV-1a 64 over "1", 0xff, "2", 0xff, "3", 0xff (worked out once; must never change, the
  // caches and checkpoints store it).
  uint64_t h = 0xcbf29ce484222325ull;
  for (const char* s : {"1", "2", "3"}) {
    for (const char* p = s; *p; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 0x100000001b3ull;
    h = (h ^ 0xff) * 0x100000001b3ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  EXPECT_EQ(a.hash(), buf);
}

TEST(Candidate, BadGenesAreErrors) {
  const SearchSpace s = load_search_space(kDir + "tiny.yaml");
  const Layout l(s);
  EXPECT_THROW(decode_network(l, Candidate{{0}}), Error);
  try {
    decode_network(l, Candidate{{0, 99}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("b1.op"), std::string::npos) << e.what();
  }
}

TEST(Candidate, CompressedWeightBytesByHand) {
  const SearchSpace s = load_search_space(kDir + "tiny.yaml");
  const Layout l(s);
  // tiny: 8x8x1 -> stem 3x3x1x8 mult 8b; block 0 (8 -> 16, s2) mult k3 e1: dw 3x3x8, project
  // 1x1x8x16; block 1 skip; pool; fc 16 -> 4 mult.
  Candidate c{{0, static_cast<uint32_t>(l.block_choices(1).size() - 1)}};
  const mapper::Network n = decode_network(l, c);
  const uint64_t expect = (72 + 4 * 8) + (72 + 4 * 8) + (128 + 4 * 16) + (64 + 4 * 4);
  EXPECT_EQ(compressed_weight_bytes(n), expect);
  // Half-sparse 5-bit layer of 10 weights: 5 nonzero x 5 bits + 10-bit bitmap = 35 bits -> 5
  // bytes, plus 2 biases.
  mapper::Network m = n;
  m.layers = {n.layers[0]};
  m.layers[0].out_channels = 2;
  m.layers[0].kernel_h = m.layers[0].kernel_w = 1;
  m.layers[0].pad_h = m.layers[0].pad_w = 0;
  m.layers[0].in_shape.c = 5;
  m.layers[0].weight_bits = 5;
  m.layers[0].sparsity = 0.5;
  EXPECT_EQ(m.layers[0].weight_count(), 10u);
  EXPECT_EQ(compressed_weight_bytes(m), 5u + 8u);
}

TEST(Candidate, HardwareGenesEditTheConfig) {
  const SearchSpace s = load_search_space(kDir + "fmnist-codesign.yaml");
  const Layout l(s);
  Candidate c = baseline_candidate(l, OpKind::Mult);
  c.genes[l.hw_gene(1)] = 2;  // chunks[shift0].cols: 32
  c.genes[l.hw_gene(3)] = 0;  // global buffer 256 KiB
  const HwConfig hw = decode_hardware(l, c);
  EXPECT_EQ(hw.chunks[hw.chunk_index("shift0")].cols, 32u);
  EXPECT_EQ(hw.chunks[hw.chunk_index("mult0")].cols, 8u);  // first value
  EXPECT_EQ(hw.global_buffer.capacity_bytes, 262144u);
  EXPECT_EQ(hardware_params_json(l, c),
            "{\"chunks[mult0].cols\":8,\"chunks[shift0].cols\":32,\"chunks[adder0].cols\":8,"
            "\"global_buffer.capacity_bytes\":262144}");
}

}  // namespace
}  // namespace savp::nas::search
