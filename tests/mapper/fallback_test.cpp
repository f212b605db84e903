// Operator-kind fallback: shift layers on a multiplier chunk when the config allows it, with
// weights converted exactly; errors naming the layer otherwise.
#include "mapper/fallback.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "common/arith.hpp"
#include "common/errors.hpp"
#include "mapper/codegen.hpp"
#include "mapper/reference_executor.hpp"

namespace savp::mapper {
namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

HwConfig hw_without_shift(bool allow) {
  HwConfig hw = load_hw_config(kSrc + "/configs/hw/default.yaml");
  hw.chunks.erase(std::remove_if(hw.chunks.begin(), hw.chunks.end(),
                                 [](const ChunkConfig& c) { return c.kind == OpKind::Shift; }),
                  hw.chunks.end());
  if (allow) hw.fallbacks.push_back({OpKind::Shift, OpKind::Mult});
  return hw;
}

// fmnist-shift with `bits`-wide shift weights.
QuantizedNetwork shift_net(uint32_t bits, std::vector<int8_t>* input) {
  Network net = load_network(kSrc + "/configs/nets/fmnist-shift.yaml");
  for (Layer& l : net.layers)
    if (l.has_weights() && l.op == OpKind::Shift) l.weight_bits = bits;
  *input = random_input(net, 5);
  return quantize(net, 5, *input);
}

TEST(Fallback, ShiftLayersBecomeExactMultiplierLayers) {
  std::vector<int8_t> in;
  QuantizedNetwork q = shift_net(4, &in);
  HwConfig hw = hw_without_shift(true);
  ASSERT_TRUE(needs_fallback(q, hw));
  QuantizedNetwork f = apply_fallbacks(q, hw);
  EXPECT_FALSE(needs_fallback(f, hw));
  int converted = 0;
  for (size_t i = 0; i < q.net.layers.size(); ++i) {
    const Layer& a = q.net.layers[i];
    if (!a.has_weights() || a.op != OpKind::Shift) continue;
    ++converted;
    EXPECT_EQ(f.net.layers[i].op, OpKind::Mult);
    EXPECT_EQ(f.net.layers[i].weight_bits, 8u);  // +2^6 = 64 needs 8 of the chunk's {8}
    for (size_t k = 0; k < q.params[i].weights.size(); ++k) {
      const int8_t w = q.params[i].weights[k], m = f.params[i].weights[k];
      // Same product for every activation, including the extremes.
      for (int x : {-128, -3, -1, 0, 1, 77, 127})
        ASSERT_EQ(arith::pe_term(OpKind::Shift, static_cast<int8_t>(x), w),
                  arith::pe_term(OpKind::Mult, static_cast<int8_t>(x), m))
            << a.name << " weight " << k;
    }
    EXPECT_EQ(f.params[i].bias, q.params[i].bias);
    EXPECT_EQ(f.params[i].multiplier, q.params[i].multiplier);
  }
  EXPECT_GT(converted, 0);
  // The converted network computes the same outputs as the original.
  EXPECT_EQ(run_reference(f, in), run_reference(q, in));
}

TEST(Fallback, WithoutTheConfigsConsentALayerWithoutAChunkIsAnError) {
  std::vector<int8_t> in;
  QuantizedNetwork q = shift_net(4, &in);
  try {
    generate(q, hw_without_shift(false), in);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("layer 'conv1'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("no shift chunk"), std::string::npos) << msg;
    EXPECT_NE(msg.find("fallback"), std::string::npos) << msg;
  }
}

TEST(Fallback, ExponentsTooLargeForTheMultiplierNameTheLayer) {
  std::vector<int8_t> in;
  QuantizedNetwork q = shift_net(5, &in);  // exponents up to 14: 2^14 is no int8
  try {
    generate(q, hw_without_shift(true), in);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cannot fall back to multiplier chunk 'mult0'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("8 bits"), std::string::npos) << msg;
  }
}

TEST(Fallback, GeneratedCodeRunsShiftLayersOnTheMultiplierChunk) {
  std::vector<int8_t> in;
  QuantizedNetwork q = shift_net(4, &in);
  HwConfig hw = hw_without_shift(true);
  MappedNetwork m = generate(q, hw, in);
  const int mult = hw.chunk_index("mult0");
  for (size_t i = 0; i < q.net.layers.size(); ++i)
    if (q.net.layers[i].has_weights()) {
      EXPECT_EQ(m.layers[i].chunk, mult) << q.net.layers[i].name;
    }
}

TEST(Fallback, ConfigRejectsInexactPairsAndUnknownKinds) {
  const std::string base = R"(
chunks:
  - {name: m0, kind: mult, rows: 4, cols: 4, ibuf: {capacity_bytes: 4096},
     wbuf: {capacity_bytes: 4096}, obuf: {capacity_bytes: 4096}}
global_buffer: {capacity_bytes: 65536}
dram: {preset: DDR4-2400}
)";
  HwConfig ok = parse_hw_config(base + "fallback: {shift: mult}\n", "t.yaml");
  ASSERT_EQ(ok.fallbacks.size(), 1u);
  EXPECT_EQ(ok.fallbacks[0].from, OpKind::Shift);
  EXPECT_EQ(ok.fallbacks[0].to, OpKind::Mult);
  try {
    parse_hw_config(base + "fallback: {adder: mult}\n", "t.yaml");
    FAIL();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("t.yaml:7"), std::string::npos) << msg;
    EXPECT_NE(msg.find("no exact fallback runs adder layers on a mult chunk"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("shift: mult"), std::string::npos) << msg;
  }
  EXPECT_THROW(parse_hw_config(base + "fallback: {divider: mult}\n", "t.yaml"), ConfigError);
}

}  // namespace
}  // namespace savp::mapper
