// Code generation end to end: every shipped network that runs in a few seconds is quantized,
// mapped to firmware, run on the default platform with functional chunks, and every layer's
// output region is compared byte for byte with the reference executor.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "firmware/image.hpp"
#include "mapper/codegen.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/reference_executor.hpp"
#include "platform/platform.hpp"

namespace savp::mapper {
namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

HwConfig default_hw() { return load_hw_config(kSrc + "/configs/hw/default.yaml"); }

// Returns the cycles of the run.
uint64_t run_bit_exact(const std::string& net_name, const HwConfig& hw = default_hw(),
                       int corrupt_segment = -1) {
  Network net = load_network(kSrc + "/configs/nets/" + net_name + ".yaml");
  const uint64_t seed = 1;
  std::vector<int8_t> input = random_input(net, seed);
  QuantizedNetwork q = quantize(net, seed, input);
  MappedNetwork m = generate(q, hw, input);
  EXPECT_EQ(fw::check_image(m.image), "");
  if (corrupt_segment >= 0) m.image.segments.at(corrupt_segment).data[0] ^= 0x5a;
  std::vector<std::vector<int8_t>> ref = run_reference(q, input);
  Platform p(hw, load_energy_table(hw.energy_table));
  RunOptions ro;
  ro.functional = true;
  ro.image_name = net_name;
  RunResult r = p.run(m.image, ro);
  EXPECT_GT(r.cycles, 0u);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const std::string& name = net.layers[i].name;
    auto it = r.outputs.find(name);
    if (it == r.outputs.end()) {
      ADD_FAILURE() << "no output region for layer " << name;
      return 0;
    }
    const std::vector<uint8_t>& got = it->second;
    EXPECT_EQ(got.size(), ref[i].size()) << name;
    for (size_t e = 0; e < got.size() && e < ref[i].size(); ++e) {
      if (static_cast<int8_t>(got[e]) != ref[i][e]) {
        ADD_FAILURE() << net_name << " on " << hw.name << ": layer '" << name << "' element " << e
                      << ": got " << int{static_cast<int8_t>(got[e])} << ", expected "
                      << int{ref[i][e]};
        return 0;
      }
    }
  }
  std::cout << "[ cycles   ] " << net_name << ": " << r.cycles << " cycles, " << m.image.code.size()
            << " instructions (" << hw.name << ")\n";
  return r.cycles;
}

// Small buffers: many row bands, output-channel blocks and input-channel splits with int32
// partial sums in the obuf.
HwConfig tiny_hw() {
  HwConfig hw = default_hw();
  hw.name = "tiny-buffers";
  for (ChunkConfig& c : hw.chunks) {
    c.ibuf.capacity_bytes = 2048;
    c.wbuf.capacity_bytes = 1024;
    c.obuf.capacity_bytes = 2048;
  }
  return hw;
}

TEST(CodegenE2E, FmnistMultBitExact) { run_bit_exact("fmnist-mult"); }
TEST(CodegenE2E, FmnistShiftBitExact) { run_bit_exact("fmnist-shift"); }
TEST(CodegenE2E, FmnistAdderBitExact) { run_bit_exact("fmnist-adder"); }
TEST(CodegenE2E, FmnistHybridBitExact) { run_bit_exact("fmnist-hybrid"); }
TEST(CodegenE2E, Resnet20HybridBitExact) { run_bit_exact("resnet20-hybrid"); }
TEST(CodegenE2E, Resnet20MultBitExact) { run_bit_exact("resnet20-mult"); }
TEST(CodegenE2E, Resnet20ShiftBitExact) { run_bit_exact("resnet20-shift"); }
TEST(CodegenE2E, Resnet20AdderBitExact) { run_bit_exact("resnet20-adder"); }
TEST(CodegenE2E, MbconvFbnetBitExact) { run_bit_exact("mbconv-fbnet"); }
TEST(CodegenE2E, Resnet50BitExact) { run_bit_exact("resnet50"); }
TEST(CodegenE2E, EdgeSmallBitExact) {
  HwConfig hw = load_hw_config(kSrc + "/configs/hw/edge-small.yaml");
  run_bit_exact("fmnist-hybrid", hw);
  run_bit_exact("resnet20-hybrid", hw);
  run_bit_exact("mbconv-fbnet", hw);
}
TEST(CodegenE2E, TinyBuffersBitExact) {
  run_bit_exact("fmnist-hybrid", tiny_hw());
  run_bit_exact("resnet20-hybrid", tiny_hw());
}
TEST(CodegenE2E, CorruptedWeightsAreDetected) {
  // Segment 1 holds the first conv's weights: flipping a byte must change some output.
  EXPECT_NONFATAL_FAILURE(run_bit_exact("fmnist-mult", default_hw(), 1), "element");
}

// The CLI: `savp run --functional` maps, simulates and checks every layer.
TEST(CodegenE2E, SavpRunFunctionalReportsBitExactLayers) {
  const std::string cmd = std::string(SAVP_BINARY_DIR) + "/app/savp run --hw " + kSrc +
                          "/configs/hw/default.yaml --net " + kSrc +
                          "/configs/nets/fmnist-hybrid.yaml --functional 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;
  EXPECT_NE(out.find("functional check: 5 layers bit-exact"), std::string::npos) << out;
  EXPECT_NE(out.find("conv1"), std::string::npos) << out;
}

}  // namespace
}  // namespace savp::mapper
