// A layer split across several chunks of its kind: with two identical shift chunks every shift
// layer's output tiles are shared between them (by output-channel blocks or by row bands), the
// network stays bit-exact, and it runs faster than on one shift chunk.
#include <gtest/gtest.h>

#include <string>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "firmware/isa.hpp"
#include "mapper/codegen.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/reference_executor.hpp"
#include "platform/platform.hpp"

namespace savp::mapper {
namespace {

const std::string kSrc = SAVP_SOURCE_DIR;

HwConfig with_second_shift_chunk() {
  HwConfig hw = load_hw_config(kSrc + "/configs/hw/default.yaml");
  for (size_t c = 0; c < hw.chunks.size(); ++c)
    if (hw.chunks[c].kind == OpKind::Shift) {
      ChunkConfig second = hw.chunks[c];
      second.name = "shift1";
      hw.chunks.insert(hw.chunks.begin() + static_cast<long>(c) + 1, second);
      break;
    }
  hw.name = "two-shift";
  return hw;
}

uint64_t run_checked(const std::string& net_name, const HwConfig& hw, MappedNetwork* out) {
  const Network net = load_network(kSrc + "/configs/nets/" + net_name + ".yaml");
  const std::vector<int8_t> in = random_input(net, 4);
  const QuantizedNetwork q = quantize(net, 4, in);
  *out = generate(q, hw, in);
  Platform p(hw, load_energy_table(hw.energy_table));
  RunOptions ro;
  ro.functional = true;
  const RunResult r = p.run(out->image, ro);
  const std::vector<std::vector<int8_t>> ref = run_reference(q, in);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const auto it = r.outputs.find(net.layers[i].name);
    EXPECT_NE(it, r.outputs.end());
    if (it == r.outputs.end()) continue;
    for (size_t e = 0; e < ref[i].size(); ++e)
      if (static_cast<int8_t>(it->second.at(e)) != ref[i][e]) {
        ADD_FAILURE() << hw.name << ": layer " << net.layers[i].name << " element " << e;
        break;
      }
  }
  return r.cycles;
}

TEST(SplitE2E, ShiftLayersShareTwoShiftChunksBitExactAndFaster) {
  const HwConfig two = with_second_shift_chunk();
  const int s0 = two.chunk_index("shift0"), s1 = two.chunk_index("shift1");
  MappedNetwork m1, m2;
  const uint64_t one_chunk =
      run_checked("resnet20-shift", load_hw_config(kSrc + "/configs/hw/default.yaml"), &m1);
  const uint64_t two_chunks = run_checked("resnet20-shift", two, &m2);
  // Measured: 212,118 -> 166,307 cycles (the chunks share the DMA queues and the DRAM).
  EXPECT_LT(two_chunks, 0.95 * one_chunk) << one_chunk << " vs " << two_chunks;
  int split = 0;
  for (const LayerPlacement& p : m2.layers) {
    if (p.chunks.size() < 2) continue;
    ++split;
    EXPECT_EQ(p.chunks[0], s0) << p.layer;
    EXPECT_EQ(p.chunks[1], s1) << p.layer;
    // Both chunks compute within the layer's instructions.
    int on0 = 0, on1 = 0;
    for (uint64_t k = p.instr_range[0]; k < p.instr_range[1]; ++k) {
      const isa::Instruction& in = m2.image.code[k];
      if (in.opcode() != isa::Opcode::Compute) continue;
      on0 += in.engine() == isa::chunk_engine(s0);
      on1 += in.engine() == isa::chunk_engine(s1);
    }
    EXPECT_GT(on0, 0) << p.layer;
    EXPECT_GT(on1, 0) << p.layer;
  }
  EXPECT_GE(split, 18);  // every 3x3 shift conv of the 19 (the stem too)
}

TEST(SplitE2E, DifferentlySizedInstancesAreNotShared) {
  HwConfig two = with_second_shift_chunk();
  two.chunks[two.chunk_index("shift1")].ibuf.capacity_bytes /= 2;
  MappedNetwork m;
  run_checked("fmnist-shift", two, &m);
  for (const LayerPlacement& p : m.layers) EXPECT_LE(p.chunks.size(), 1u) << p.layer;
}

}  // namespace
}  // namespace savp::mapper
