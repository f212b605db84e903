// The chunk pipeline over a batch (savp run --batch): every input's every layer bit-exact with
// the reference executor, tokens balanced, and the pipeline faster per input than running the
// inputs one after another.
#include <gtest/gtest.h>

#include <string>

#include "common/energy_table.hpp"
#include "common/errors.hpp"
#include "common/hw_config.hpp"
#include "firmware/isa.hpp"
#include "mapper/codegen.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/reference_executor.hpp"
#include "platform/platform.hpp"

namespace savp::mapper {
namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

struct BatchRun {
  uint64_t cycles = 0;
  size_t instructions = 0;
};

// Maps `batch` inputs of `net_name`, runs them functionally, checks every input's layers.
BatchRun run_batch(const std::string& net_name, uint32_t batch) {
  const HwConfig hw = load_hw_config(kSrc + "/configs/hw/default.yaml");
  const Network net = load_network(kSrc + "/configs/nets/" + net_name + ".yaml");
  std::vector<std::vector<int8_t>> inputs;
  for (uint32_t b = 0; b < batch; ++b) inputs.push_back(random_input(net, 11 + b));
  const QuantizedNetwork q = quantize(net, 11, inputs[0]);
  const MappedNetwork m = generate(q, hw, inputs);
  EXPECT_EQ(m.batch, batch);
  EXPECT_EQ(m.image.outputs.size(), net.layers.size() * batch);
  // Every signal on a channel is consumed by exactly one wait on it.
  std::vector<int64_t> ch(isa::kMaxEngines * isa::kMaxEngines, 0);
  for (const auto& in : m.image.code)
    for (int o = 0; o < isa::kMaxEngines; ++o) {
      if (in.signal_mask() >> o & 1) ++ch[in.engine() * isa::kMaxEngines + o];
      if (in.wait_mask() >> o & 1) --ch[o * isa::kMaxEngines + in.engine()];
    }
  for (int64_t v : ch) EXPECT_EQ(v, 0);
  Platform p(hw, load_energy_table(hw.energy_table));
  RunOptions ro;
  ro.functional = true;
  const RunResult r = p.run(m.image, ro);
  for (uint32_t b = 0; b < batch; ++b) {
    const std::vector<std::vector<int8_t>> ref = run_reference(q, inputs[b]);
    for (size_t i = 0; i < net.layers.size(); ++i) {
      const std::string name =
          b == 0 ? net.layers[i].name : net.layers[i].name + "#" + std::to_string(b);
      const auto it = r.outputs.find(name);
      if (it == r.outputs.end()) {
        ADD_FAILURE() << "no output region " << name;
        continue;
      }
      EXPECT_EQ(it->second.size(), ref[i].size()) << name;
      for (size_t e = 0; e < ref[i].size() && e < it->second.size(); ++e)
        if (static_cast<int8_t>(it->second[e]) != ref[i][e]) {
          ADD_FAILURE() << net_name << " input " << b << " layer " << net.layers[i].name
                        << " element " << e;
          break;
        }
    }
  }
  return {r.cycles, m.image.code.size()};
}

TEST(BatchE2E, FmnistHybridEveryInputBitExact) {
  // Five small layers: the stages barely overlap and share the DMA queues, so the pipeline
  // gains little here (measured: 41,963 cycles vs 3 x 14,339); it must not lose much either.
  const BatchRun one = run_batch("fmnist-hybrid", 1), three = run_batch("fmnist-hybrid", 3);
  EXPECT_LT(three.cycles, 1.1 * 3 * one.cycles);
}

TEST(BatchE2E, ResNet20HybridPipelinesTheChunks) {
  // Shift, adder and multiplier layers of different inputs overlap: clearly less than four
  // single runs (measured: 156,511 vs 210,775 cycles per input).
  const BatchRun one = run_batch("resnet20-hybrid", 1), four = run_batch("resnet20-hybrid", 4);
  EXPECT_LT(four.cycles, 0.9 * 4 * one.cycles) << one.cycles << " " << four.cycles;
  EXPECT_GT(four.instructions, 3 * one.instructions);
}

TEST(BatchE2E, MbconvBatchOfTwoBitExact) { run_batch("mbconv-fbnet", 2); }

TEST(BatchE2E, BatchOptionMustMatchTheInputs) {
  const HwConfig hw = load_hw_config(kSrc + "/configs/hw/default.yaml");
  const Network net = load_network(kSrc + "/configs/nets/fmnist-mult.yaml");
  const std::vector<int8_t> in = random_input(net, 1);
  const QuantizedNetwork q = quantize(net, 1, in);
  MapOptions o;
  o.batch = 2;
  EXPECT_THROW(generate(q, hw, in, o), Error);
  EXPECT_THROW(generate(q, hw, std::vector<std::vector<int8_t>>{}), Error);
  EXPECT_THROW(generate(q, hw, std::vector<std::vector<int8_t>>{in, std::vector<int8_t>(3)}),
               Error);
}

}  // namespace
}  // namespace savp::mapper
