// The functional check (mapper/functional_check.hpp) that `savp run --functional` applies: the
// reference executor's outputs pass against themselves, and a deliberately corrupted element, a
// missing output region and a short region each give a message naming the layer (and element).
#include "mapper/functional_check.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/errors.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/reference_executor.hpp"

namespace savp::mapper {
namespace {

using Regions = std::map<std::string, std::vector<uint8_t>>;

struct Fixture {
  QuantizedNetwork q;
  std::vector<std::vector<int8_t>> ref;
  Regions regions;  // what a correct platform run leaves: every layer's output bytes
};

Fixture make() {
  Fixture f;
  Network net = parse_network(
      "name: t\ninput: {h: 6, w: 6, c: 2}\nlayers:\n"
      "  - {name: c1, type: conv, op: mult, out_channels: 4, kernel: 3, padding: 1}\n"
      "  - {name: c2, type: conv, op: adder, out_channels: 4, kernel: 3, stride: 2}\n"
      "  - {name: gap, type: global_avgpool}\n",
      "t.yaml");
  const std::vector<int8_t> in = random_input(net, 5);
  f.q = quantize(net, 5, in);
  f.ref = run_reference(f.q, in);
  for (size_t i = 0; i < net.layers.size(); ++i)
    f.regions[net.layers[i].name].assign(f.ref[i].begin(), f.ref[i].end());
  return f;
}

TEST(FunctionalCheck, CorrectOutputsPass) {
  Fixture f = make();
  FunctionalCheck c = check_outputs(f.q.net, f.ref, f.regions);
  EXPECT_TRUE(c.ok) << c.message;
  EXPECT_EQ(c.layers_checked, 3u);
  EXPECT_EQ(c.message, "");
}

TEST(FunctionalCheck, CorruptedElementNamesLayerElementAndValues) {
  Fixture f = make();
  // c2 is 2x2x4 = 16 elements; corrupt element 6 (and a later one, which must not be named).
  ASSERT_EQ(f.regions["c2"].size(), 16u);
  const int want = f.ref[1][6];
  const int got = want == 127 ? 126 : want + 1;
  f.regions["c2"][6] = static_cast<uint8_t>(static_cast<int8_t>(got));
  f.regions["c2"][9] ^= 0x40;
  FunctionalCheck c = check_outputs(f.q.net, f.ref, f.regions);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.layers_checked, 1u);  // c1 passed
  EXPECT_EQ(c.message, "functional check: layer 'c2' element 6 differs: got " +
                           std::to_string(got) + ", expected " + std::to_string(want));
  // The first layer in network order wins.
  f.regions["c1"][0] ^= 0x01;
  EXPECT_NE(check_outputs(f.q.net, f.ref, f.regions).message.find("layer 'c1' element 0"),
            std::string::npos);
}

TEST(FunctionalCheck, NegativeValuesPrintSigned) {
  Fixture f = make();
  f.ref[2][0] = -3;
  f.regions["gap"][0] = static_cast<uint8_t>(-5);
  EXPECT_EQ(check_outputs(f.q.net, f.ref, f.regions).message,
            "functional check: layer 'gap' element 0 differs: got -5, expected -3");
}

TEST(FunctionalCheck, MissingAndShortRegions) {
  Fixture f = make();
  Regions missing = f.regions;
  missing.erase("gap");
  FunctionalCheck c = check_outputs(f.q.net, f.ref, missing);
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.layers_checked, 2u);
  EXPECT_EQ(c.message, "functional check: layer 'gap' has no output region");
  Regions shorter = f.regions;
  shorter["c1"].resize(10);
  EXPECT_EQ(check_outputs(f.q.net, f.ref, shorter).message,
            "functional check: layer 'c1' output region has 10 bytes, expected 144");
}

TEST(FunctionalCheck, ReferenceOfAnotherNetworkIsAnError) {
  Fixture f = make();
  f.ref.pop_back();
  EXPECT_THROW(check_outputs(f.q.net, f.ref, f.regions), Error);
}

}  // namespace
}  // namespace savp::mapper
