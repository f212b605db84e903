// The shipped examples (firmware/examples/*.s): they assemble, round-trip through the image
// format and the disassembler, their token protocol never deadlocks and leaves no token
// behind, double buffering really overlaps, and a functional reference run (program order
// and many token-respecting orders) gives the same, sensibly requantized outputs.
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <random>
#include <stdexcept>

#include "common/arith.hpp"
#include "firmware/address_map.hpp"
#include "firmware/assembler.hpp"
#include "firmware/disassembler.hpp"

namespace savp::fw {
namespace {

using isa::Instruction;
using isa::Opcode;

const char* const kExamples[] = {"conv_mult.s", "conv_shift.s", "conv_adder.s", "double_buffer.s"};
constexpr int kDefaultChunks = 3;              // configs/hw/default.yaml: mult, shift, adder
constexpr uint64_t kBufBytes = 64 * 1024;      // each chunk's ibuf / wbuf / obuf there
constexpr uint64_t kDramModelBytes = 1 << 20;  // enough DRAM for the examples' layouts

std::string example_path(const std::string& name) {
  return std::string(SAVP_SOURCE_DIR) + "/firmware/examples/" + name;
}

// A functional model of the default platform, just enough for the examples: DMA copies and
// conv tiles computed with common/arith.hpp (zero padding contributes x = 0 terms).
struct Machine {
  std::vector<uint8_t> dram = std::vector<uint8_t>(kDramModelBytes);
  std::array<std::array<std::vector<uint8_t>, 3>, kDefaultChunks> buf;

  explicit Machine(const Image& img) {
    for (auto& c : buf)
      for (auto& b : c) b.assign(kBufBytes, 0);
    for (const Segment& s : img.segments)
      std::copy(s.data.begin(), s.data.end(), at(s.addr, s.data.size()));
  }
  uint8_t* at(uint64_t addr, uint64_t len) {
    if (addr + len <= dram.size()) return dram.data() + addr;
    if (addr >= amap::kChunkBase) {
      uint64_t chunk = (addr - amap::kChunkBase) / amap::kChunkStride;
      uint64_t off = (addr - amap::kChunkBase) % amap::kChunkStride;
      uint64_t which = off / amap::kWbufOffset, inner = off % amap::kWbufOffset;
      if (chunk < kDefaultChunks && which < 3 && inner + len <= kBufBytes)
        return buf[chunk][which].data() + inner;
    }
    throw std::runtime_error("access outside the modelled memories at " + std::to_string(addr));
  }
  uint8_t* local(int chunk, int which, uint64_t off, uint64_t len) {
    if (off + len > kBufBytes) throw std::runtime_error("compute operand outside its buffer");
    return buf[chunk][which].data() + off;
  }
  void execute(const Instruction& in) {
    if (in.opcode() == Opcode::Load || in.opcode() == Opcode::Store) {
      uint64_t n = in.get(isa::kRowBytes);
      for (uint64_t r = 0; r < in.get(isa::kRows); ++r) {
        const uint8_t* src = at(in.get(isa::kSrcAddr) + r * in.get(isa::kSrcStride), n);
        std::copy(src, src + n, at(in.get(isa::kDstAddr) + r * in.get(isa::kDstStride), n));
      }
    } else if (in.opcode() == Opcode::Compute) {
      conv(in);
    }
  }
  void conv(const Instruction& in) {
    if (in.compute_op() != isa::ComputeOp::Conv) throw std::runtime_error("only conv modelled");
    int chunk = in.engine() - isa::kFirstChunkEngine;
    auto f = [&](const isa::Field& x) { return static_cast<int64_t>(in.get(x)); };
    int64_t K = f(isa::kK), C = f(isa::kC), OH = f(isa::kOh), OW = f(isa::kOw), IH = f(isa::kIh),
            IW = f(isa::kIw), KH = f(isa::kKh), KW = f(isa::kKw), S = f(isa::kStride);
    auto kind = static_cast<OpKind>(in.get(isa::kKind));
    const auto* x = reinterpret_cast<const int8_t*>(local(chunk, 0, f(isa::kInAddr), IH * IW * C));
    const auto* w =
        reinterpret_cast<const int8_t*>(local(chunk, 1, f(isa::kWAddr), K * KH * KW * C));
    const uint8_t* bias = local(chunk, 1, f(isa::kBiasAddr), 4 * K);
    auto* out = reinterpret_cast<int8_t*>(local(chunk, 2, f(isa::kOutAddr), OH * OW * K));
    bool relu = in.flags() & isa::kFlagRelu;
    for (int64_t oy = 0; oy < OH; ++oy)
      for (int64_t ox = 0; ox < OW; ++ox)
        for (int64_t k = 0; k < K; ++k) {
          int32_t acc = 0;
          if (!(in.flags() & isa::kFlagNoBias))
            acc = static_cast<int32_t>(bias[4 * k] | bias[4 * k + 1] << 8 | bias[4 * k + 2] << 16 |
                                       uint32_t(bias[4 * k + 3]) << 24);
          for (int64_t ky = 0; ky < KH; ++ky)
            for (int64_t kx = 0; kx < KW; ++kx) {
              int64_t iy = oy * S - f(isa::kPadT) + ky, ix = ox * S - f(isa::kPadL) + kx;
              bool inside = iy >= 0 && iy < IH && ix >= 0 && ix < IW;
              for (int64_t c = 0; c < C; ++c) {
                int8_t xv = inside ? x[(iy * IW + ix) * C + c] : 0;
                acc = arith::pe_accumulate(kind, acc, xv, w[((k * KH + ky) * KW + kx) * C + c]);
              }
            }
          out[(oy * OW + ox) * K + k] = arith::requantize(
              acc, static_cast<int32_t>(f(isa::kMultiplier)), static_cast<int>(f(isa::kShift)),
              static_cast<int>(f(isa::kOBits)), relu);
        }
  }
  std::map<std::string, std::vector<uint8_t>> outputs(const Image& img) {
    std::map<std::string, std::vector<uint8_t>> r;
    for (const OutputRegion& o : img.outputs) {
      const uint8_t* p = at(o.addr, o.bytes);
      r[o.name].assign(p, p + o.bytes);
    }
    return r;
  }
};

// Runs the program as the controller would: instructions go in program order to per-engine
// queues, each engine runs its queue in order, an instruction starts once it can pop a token
// from every channel in its wait mask, and pushes one to every channel in its signal mask when
// it finishes; barrier and halt wait for everything before them. `seed` < 0 runs in program
// order ignoring tokens (the reference); otherwise the next instruction is picked at random
// among the ready ones. Also computes the makespan with unit-time DMA and compute and free
// nops (token channels carry finish times), which does not depend on the pick order.
struct RunResult {
  std::map<std::string, std::vector<uint8_t>> outputs;
  int makespan = 0;
};

RunResult run(const Image& img, int seed) {
  Machine m(img);
  RunResult res;
  if (seed < 0) {
    for (const Instruction& in : img.code) m.execute(in);
    res.outputs = m.outputs(img);
    return res;
  }
  std::mt19937 rng(static_cast<unsigned>(seed));
  using Channel = std::vector<int>;                                          // FIFO of finish times
  std::array<std::array<Channel, isa::kMaxEngines>, isa::kMaxEngines> chan;  // [src][dst]
  std::array<int, isa::kMaxEngines> free_at{};
  int phase_start = 0;
  size_t pc = 0;
  while (pc < img.code.size()) {
    std::array<std::vector<const Instruction*>, isa::kMaxEngines> queue;
    std::array<size_t, isa::kMaxEngines> head{};
    size_t left = 0;
    for (; pc < img.code.size(); ++pc) {
      Opcode op = img.code[pc].opcode();
      if (op == Opcode::Barrier || op == Opcode::Halt) break;
      queue[img.code[pc].engine()].push_back(&img.code[pc]);
      ++left;
    }
    for (int& t : free_at) t = std::max(t, phase_start);
    for (; left > 0; --left) {
      std::vector<int> ready;
      for (int e = 0; e < isa::kMaxEngines; ++e) {
        if (head[e] == queue[e].size()) continue;
        uint32_t wait = queue[e][head[e]]->wait_mask();
        bool ok = true;
        for (int s = 0; s < isa::kMaxEngines; ++s)
          if ((wait >> s & 1) && chan[s][e].empty()) ok = false;
        if (ok) ready.push_back(e);
      }
      if (ready.empty()) {
        std::string where;
        for (int e = 0; e < isa::kMaxEngines; ++e)
          if (head[e] < queue[e].size())
            where += " " + isa::engine_name(e) + ": " + disassemble_instruction(*queue[e][head[e]]);
        throw std::runtime_error("deadlock; blocked heads:" + where);
      }
      int e = ready[rng() % ready.size()];
      const Instruction& in = *queue[e][head[e]++];
      int start = free_at[e];
      for (int s = 0; s < isa::kMaxEngines; ++s)
        if (in.wait_mask() >> s & 1) {
          start = std::max(start, chan[s][e].front());
          chan[s][e].erase(chan[s][e].begin());
        }
      m.execute(in);
      int end = start + (in.opcode() == Opcode::Nop ? 0 : 1);
      free_at[e] = end;
      res.makespan = std::max(res.makespan, end);
      for (int d = 0; d < isa::kMaxEngines; ++d)
        if (in.signal_mask() >> d & 1) chan[e][d].push_back(end);
    }
    phase_start = res.makespan;
    if (pc < img.code.size() && img.code[pc].opcode() == Opcode::Halt) break;
    ++pc;  // past the barrier
  }
  for (int s = 0; s < isa::kMaxEngines; ++s)
    for (int d = 0; d < isa::kMaxEngines; ++d)
      if (!chan[s][d].empty())
        throw std::runtime_error(std::to_string(chan[s][d].size()) + " tokens left on " +
                                 isa::engine_name(s) + " -> " + isa::engine_name(d));
  res.outputs = m.outputs(img);
  return res;
}

class Example : public ::testing::TestWithParam<const char*> {};

TEST_P(Example, AssemblesAndRoundTrips) {
  Image img = assemble_file(example_path(GetParam()));
  ASSERT_FALSE(img.code.empty());
  EXPECT_EQ(img.code.back().opcode(), Opcode::Halt);
  for (size_t i = 0; i < img.code.size(); ++i)
    EXPECT_EQ(isa::validate(img.code[i], kDefaultChunks), "") << "instruction " << i;
  std::vector<uint8_t> bytes = serialize(img);
  Image back = deserialize(bytes.data(), bytes.size(), GetParam());
  EXPECT_EQ(back, img);
  std::string text = disassemble(back);
  Image again = assemble(text, std::string(GetParam()) + ".dis");
  EXPECT_EQ(again, img);
  EXPECT_EQ(serialize(again), bytes);
  EXPECT_EQ(disassemble(again), text);  // canonical: disasm(asm(disasm(x))) == disasm(x)
  EXPECT_EQ(assemble(disassemble(img, {true, true}), "addr.s"), img);
  EXPECT_EQ(text.find(".inst"), std::string::npos) << "an example needs the raw form";
}

TEST_P(Example, TokensNeverDeadlockAndOutputsAreSensible) {
  Image img = assemble_file(example_path(GetParam()));
  RunResult ref;
  ASSERT_NO_THROW(ref = run(img, -1));
  ASSERT_FALSE(ref.outputs.empty());
  for (int seed = 0; seed < 40; ++seed) {
    RunResult r;
    try {
      r = run(img, seed);
    } catch (const std::exception& e) {
      FAIL() << GetParam() << " seed " << seed << ": " << e.what();
    }
    EXPECT_EQ(r.outputs, ref.outputs) << GetParam() << ": a race, seed " << seed;
  }
  for (const auto& [name, bytes] : ref.outputs) {
    size_t positive = 0, saturated = 0;
    std::vector<bool> seen(256);
    for (uint8_t b : bytes) {
      auto v = static_cast<int8_t>(b);
      positive += v > 0;
      saturated += v == 127;
      seen[b] = true;
    }
    size_t distinct = std::count(seen.begin(), seen.end(), true);
    // ReLU outputs of a centred pre-activation: about half positive, few saturated.
    EXPECT_GT(positive, bytes.size() / 4) << name;
    EXPECT_LT(saturated, bytes.size() / 20) << name;
    EXPECT_GT(distinct, 20u) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(Firmware, Example, ::testing::ValuesIn(kExamples), [](const auto& info) {
  std::string n = info.param;
  return n.substr(0, n.find('.'));
});

TEST(Examples, DoubleBufferingOverlapsLoadComputeAndStore) {
  Image img = assemble_file(example_path("double_buffer.s"));
  // Unit-time DMA and compute: weights and bias take 2 steps, then 8 tiles of
  // load -> compute -> store. Serialized that is 2 + 3 * 8 = 26 steps; pipelined, a new tile
  // enters every step: 2 + 8 + 2 (fill and drain) = 12.
  EXPECT_EQ(run(img, 0).makespan, 12);
  Image single = assemble_file(example_path("conv_mult.s"));
  EXPECT_EQ(run(single, 0).makespan, 5);  // 3 loads, compute, store: nothing to overlap
}

TEST(Examples, ABrokenProtocolIsCaught) {
  // Dropping the prologue nops of double_buffer.s leaves load 0 waiting for a token that
  // never comes; the scheduler must report the deadlock, not hang.
  Image img = assemble_file(example_path("double_buffer.s"));
  std::vector<Instruction> code;
  for (const Instruction& in : img.code)
    if (!(in.opcode() == Opcode::Nop && in.signal_mask() != 0)) code.push_back(in);
  img.code = code;
  EXPECT_THROW(run(img, 0), std::runtime_error);
}

}  // namespace
}  // namespace savp::fw
