// The ISA tables, encoder/decoder and validator (firmware/isa.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>

#include "common/errors.hpp"
#include "firmware/isa.hpp"

namespace savp::isa {
namespace {

const std::vector<Field> kHeader{kOpcode, kEngine, kFlags, kWaitMask, kSignalMask};

std::vector<Field> all_fields(Opcode op) {
  std::vector<Field> f = kHeader;
  for (const Field& x : operand_fields(op)) f.push_back(x);
  return f;
}

uint64_t max_of(const Field& f) { return (uint64_t{1} << f.width) - 1; }

// A well-formed 3x3 conv tile on chunk0: the base the validate cases below break one way each.
Instruction good_conv() {
  Instruction in;
  in.set(kOpcode, static_cast<uint64_t>(Opcode::Compute));
  in.set(kEngine, chunk_engine(0));
  in.set(kComputeOp, static_cast<uint64_t>(ComputeOp::Conv));
  in.set(kKind, 0);
  for (const Field* f : {&kK, &kC, &kOh, &kOw, &kIh, &kIw}) in.set(*f, 8);
  for (const Field* f : {&kKh, &kKw}) in.set(*f, 3);
  in.set(kStride, 1);
  for (const Field* f : {&kWBits, &kABits, &kOBits}) in.set(*f, 8);
  in.set(kMultiplier, 1);
  return in;
}

TEST(Isa, FieldsOfEachOpcodeAreDisjointAndFitTheirWord) {
  for (int o = 0; o < kNumOpcodes; ++o) {
    std::array<uint64_t, kInstrWords> used{};
    for (const Field& f : all_fields(static_cast<Opcode>(o))) {
      ASSERT_LT(f.word, kInstrWords) << f.name;
      ASSERT_LE(f.lsb + f.width, 64) << f.name;
      uint64_t mask = max_of(f) << f.lsb;
      EXPECT_EQ(used[f.word] & mask, 0u) << f.name << " overlaps another field";
      used[f.word] |= mask;
    }
  }
}

TEST(Isa, EveryFieldAtItsMaximumRoundTripsAndTouchesNothingElse) {
  for (int o = 0; o < kNumOpcodes; ++o) {
    std::vector<Field> fields = all_fields(static_cast<Opcode>(o));
    for (const Field& f : fields) {
      Instruction in;
      in.set(f, max_of(f));
      uint8_t bytes[kInstrBytes];
      encode(in, bytes);
      Instruction back = decode(bytes);
      EXPECT_EQ(back, in) << f.name;
      EXPECT_EQ(back.get(f), max_of(f)) << f.name;
      for (const Field& g : fields)
        if (g.name != f.name) {
          EXPECT_EQ(back.get(g), 0u) << f.name << " leaked into " << g.name;
        }
    }
    // All at once, each with a distinct pattern (alternating bits cut to the width).
    Instruction in;
    for (const Field& f : fields) in.set(f, 0xA5A5A5A5A5A5A5A5ull & max_of(f));
    uint8_t bytes[kInstrBytes];
    encode(in, bytes);
    Instruction back = decode(bytes);
    for (const Field& f : fields) EXPECT_EQ(back.get(f), 0xA5A5A5A5A5A5A5A5ull & max_of(f));
  }
}

TEST(Isa, EncodingIsLittleEndianWords) {
  Instruction in;
  in.words[0] = 0x0807060504030201ull;
  in.words[7] = 0xF0E0D0C0B0A09080ull;
  uint8_t b[kInstrBytes];
  encode(in, b);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(b[i], i + 1);
  EXPECT_EQ(b[56], 0x80);
  EXPECT_EQ(b[63], 0xF0);
}

TEST(Isa, SetRejectsValuesThatDoNotFit) {
  for (int o = 0; o < kNumOpcodes; ++o)
    for (const Field& f : all_fields(static_cast<Opcode>(o))) {
      Instruction in;
      EXPECT_THROW(in.set(f, max_of(f) + 1), FirmwareError) << f.name;
      EXPECT_NO_THROW(in.set(f, max_of(f))) << f.name;
    }
  Instruction in;
  try {
    in.set(kRows, uint64_t{1} << 32);
    FAIL();
  } catch (const FirmwareError& e) {
    EXPECT_NE(std::string(e.what()).find("'rows' (32 bits)"), std::string::npos) << e.what();
  }
}

TEST(Isa, EngineNames) {
  EXPECT_EQ(engine_name(kEngineLoad), "load");
  EXPECT_EQ(engine_name(kEngineStore), "store");
  EXPECT_EQ(engine_name(chunk_engine(13)), "chunk13");
  for (int e = 0; e < kMaxEngines; ++e) EXPECT_EQ(parse_engine_name(engine_name(e)), e);
  for (const char* bad : {"chunk14", "chunk", "chunkx", "Load", "chunk100", "", "dma"})
    EXPECT_EQ(parse_engine_name(bad), -1) << bad;
}

TEST(Isa, BuildersAndValidInstructions) {
  Instruction l = make_dma(Opcode::Load, 0x100, 0x2000000000ull, 4, 64, 128, 64);
  EXPECT_EQ(l.engine(), kEngineLoad);
  EXPECT_EQ(validate(l), "");
  Instruction s = make_dma(Opcode::Store, 0x100, 0x200, 1, 64, 0, 0);
  EXPECT_EQ(s.engine(), kEngineStore);
  EXPECT_EQ(validate(s), "");
  EXPECT_EQ(validate(make_sync(Opcode::Halt)), "");
  EXPECT_EQ(validate(make_sync(Opcode::Barrier)), "");
  EXPECT_EQ(validate(make_sync(Opcode::Nop, chunk_engine(2)), 3), "");
  EXPECT_EQ(validate(good_conv()), "");
  EXPECT_EQ(validate(good_conv(), 1), "");
  Instruction add = good_conv();  // an add needs no input window
  add.set(kComputeOp, static_cast<uint64_t>(ComputeOp::Add));
  for (const Field* f : {&kC, &kKh, &kKw, &kIh, &kIw, &kStride}) add.set(*f, 0);
  EXPECT_EQ(validate(add), "");
}

struct BadCase {
  const char* what;
  std::function<void(Instruction&)> breaks;
  int num_chunks;
  const char* expect;  // substring of validate's message
};

TEST(Isa, ValidateCatchesEachMalformedCase) {
  const std::vector<BadCase> cases = {
      {"unknown opcode", [](Instruction& i) { i.set(kOpcode, 6); }, -1, "unknown opcode 6"},
      {"load on store engine",
       [](Instruction& i) { i = make_dma(Opcode::Load, 0, 0, 1, 1, 0, 0), i.set(kEngine, 1); }, -1,
       "load must go to engine load, not store"},
      {"store on load engine",
       [](Instruction& i) { i = make_dma(Opcode::Store, 0, 0, 1, 1, 0, 0), i.set(kEngine, 0); }, -1,
       "store must go to engine store"},
      {"zero rows", [](Instruction& i) { i = make_dma(Opcode::Load, 0, 0, 0, 1, 0, 0); }, -1,
       "zero rows"},
      {"zero row_bytes", [](Instruction& i) { i = make_dma(Opcode::Load, 0, 0, 1, 0, 0, 0); }, -1,
       "zero rows or row_bytes"},
      {"compute on DMA engine", [](Instruction& i) { i.set(kEngine, kEngineStore); }, -1,
       "not a chunk"},
      {"compute on missing chunk", [](Instruction& i) { i.set(kEngine, chunk_engine(3)); }, 3,
       "not a chunk of this platform"},
      {"unknown compute op", [](Instruction& i) { i.set(kComputeOp, 5); }, -1,
       "unknown compute op 5"},
      {"unknown kind", [](Instruction& i) { i.set(kKind, 3); }, -1, "unknown kind 3"},
      {"zero k", [](Instruction& i) { i.set(kK, 0); }, -1, "zero output dimension"},
      {"zero oh", [](Instruction& i) { i.set(kOh, 0); }, -1, "zero output dimension"},
      {"zero ow", [](Instruction& i) { i.set(kOw, 0); }, -1, "zero output dimension"},
      {"zero c", [](Instruction& i) { i.set(kC, 0); }, -1, "zero input dimension"},
      {"zero ih", [](Instruction& i) { i.set(kIh, 0); }, -1, "zero input dimension"},
      {"zero kw", [](Instruction& i) { i.set(kKw, 0); }, -1, "zero input dimension"},
      {"zero stride", [](Instruction& i) { i.set(kStride, 0); }, -1, "zero input dimension"},
      {"dwconv k != c",
       [](Instruction& i) {
         i.set(kComputeOp, static_cast<uint64_t>(ComputeOp::DwConv));
         i.set(kK, 4);
       },
       -1, "dwconv needs k == c (got k=4 c=8)"},
      {"maxpool k != c",
       [](Instruction& i) {
         i.set(kComputeOp, static_cast<uint64_t>(ComputeOp::MaxPool));
         i.set(kC, 2);
       },
       -1, "maxpool needs k == c"},
      {"obits 1", [](Instruction& i) { i.set(kOBits, 1); }, -1, "obits 1 outside [2, 8]"},
      {"obits 9", [](Instruction& i) { i.set(kOBits, 9); }, -1, "obits 9 outside [2, 8]"},
      {"wbits 1", [](Instruction& i) { i.set(kWBits, 1); }, -1, "wbits 1 outside"},
      {"abits 9", [](Instruction& i) { i.set(kABits, 9); }, -1, "abits 9 outside"},
      {"shift 63", [](Instruction& i) { i.set(kShift, 63); }, -1, "shift 63 above 62"},
      {"multiplier 2^31", [](Instruction& i) { i.set(kMultiplier, uint64_t{1} << 31); }, -1,
       "below 2^31"},
      {"multiplier2 2^31", [](Instruction& i) { i.set(kMultiplier2, uint64_t{1} << 31); }, -1,
       "below 2^31"},
      {"wait on missing chunk", [](Instruction& i) { i.set(kWaitMask, 1u << chunk_engine(5)); }, 3,
       "wait names engine chunk5 but the platform has 5 engines"},
      {"signal on missing chunk", [](Instruction& i) { i.set(kSignalMask, 1u << chunk_engine(1)); },
       1, "signal names"},
      {"nop on unknown engine", [](Instruction& i) { i = make_sync(Opcode::Nop, 16); }, -1,
       "nop on unknown engine 16"},
      {"nop on missing chunk", [](Instruction& i) { i = make_sync(Opcode::Nop, 5); }, 2,
       "nop on unknown engine 5"},
  };
  for (const BadCase& c : cases) {
    Instruction in = good_conv();
    c.breaks(in);
    std::string msg = validate(in, c.num_chunks);
    EXPECT_NE(msg.find(c.expect), std::string::npos)
        << c.what << ": got \"" << msg << "\", expected \"" << c.expect << "\"";
  }
}

TEST(Isa, MakeComputeSetsEveryOperandAndTheChunkEngine) {
  ComputeArgs a;
  a.op = ComputeOp::DwConv;
  a.kind = 2;
  a.k = 32, a.c = 32, a.oh = 7, a.ow = 9, a.ih = 15, a.iw = 19, a.kh = 3, a.kw = 5;
  a.stride = 2, a.pad_t = 1, a.pad_l = 2, a.wbits = 4, a.abits = 6, a.obits = 5;
  a.multiplier = 0x7fffffff, a.multiplier2 = 3, a.shift = 62;
  a.in = 1, a.w = 2, a.bias = 3, a.acc = 4, a.out = 0xffffffff, a.flags = kFlagRelu | kFlagNoBias;
  Instruction in = make_compute(5, a);
  EXPECT_EQ(in.opcode(), Opcode::Compute);
  EXPECT_EQ(in.engine(), chunk_engine(5));
  EXPECT_EQ(in.compute_op(), ComputeOp::DwConv);
  EXPECT_EQ(in.flags(), kFlagRelu | kFlagNoBias);
  const std::pair<Field, uint64_t> want[] = {
      {kKind, 2}, {kK, 32}, {kC, 32}, {kOh, 7}, {kOw, 9}, {kIh, 15}, {kIw, 19}, {kKh, 3},
      {kKw, 5}, {kStride, 2}, {kPadT, 1}, {kPadL, 2}, {kWBits, 4}, {kABits, 6}, {kOBits, 5},
      {kMultiplier, 0x7fffffff}, {kMultiplier2, 3}, {kShift, 62}, {kInAddr, 1}, {kWAddr, 2},
      {kBiasAddr, 3}, {kAccAddr, 4}, {kOutAddr, 0xffffffff}};
  for (const auto& [f, v] : want) EXPECT_EQ(in.get(f), v) << f.name;
  EXPECT_EQ(validate(in, 6), "");
  a.wbits = 16;  // does not fit the 4-bit field
  EXPECT_THROW(make_compute(0, a), FirmwareError);
}

}  // namespace
}  // namespace savp::isa
