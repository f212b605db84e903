// The assembler and disassembler (firmware/assembler.hpp, firmware/disassembler.hpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/arith.hpp"
#include "common/errors.hpp"
#include "firmware/address_map.hpp"
#include "firmware/assembler.hpp"
#include "firmware/disassembler.hpp"

namespace savp::fw {
namespace {

using isa::Instruction;

#define EXPECT_CONTAINS(s, sub)                          \
  EXPECT_NE(std::string(s).find(sub), std::string::npos) \
      << "\"" << (s) << "\" lacks \"" << (sub) << "\""

std::string error_of(const std::string& src) {
  try {
    assemble(src, "t.s");
  } catch (const FirmwareError& e) {
    return e.what();
  }
  return "";
}

TEST(Assembler, LoadLineGivesTheHandComputedWords) {
  Image img = assemble(
      "load src=0x1000 dst=CHUNK0_IBUF+64 rows=2 row_bytes=128 src_stride=256 "
      "dst_stride=128 wait=store signal=chunk0,chunk1\n",
      "t.s");
  ASSERT_EQ(img.code.size(), 1u);
  const Instruction& in = img.code[0];
  // word 0: opcode 1 (load), engine 0, flags 0, wait mask bit 1 (store) at bit 32,
  // signal mask bits 2 and 3 (chunk0, chunk1) = 0xC at bit 48.
  EXPECT_EQ(in.words[0], 0x000C000200000001ull);
  EXPECT_EQ(in.words[1], 0x1000u);                // src
  EXPECT_EQ(in.words[2], 0x2000000040ull);        // CHUNK0_IBUF = 0x20'0000'0000, + 64
  EXPECT_EQ(in.words[3], 0x0000008000000002ull);  // rows 2 | row_bytes 128 << 32
  EXPECT_EQ(in.words[4], 0x0000008000000100ull);  // src_stride 256 | dst_stride 128 << 32
  for (int w = 5; w < 8; ++w) EXPECT_EQ(in.words[w], 0u);
  EXPECT_EQ(img.code_base, 0u);
  EXPECT_TRUE(img.segments.empty());
}

TEST(Assembler, ComputeOperandsNamesAndDefaults) {
  Image img = assemble(
      "compute chunk2 op=dwconv kind=shift k=4 c=4 oh=2 ow=3 ih=4 iw=5 pad_t=1 m=7 shift=9 "
      "in=0x10 w=0x20 bias=0x30 acc=0x40 out=0x50 flags=relu|no_bias signal=store\n",
      "t.s");
  const Instruction& in = img.code[0];
  EXPECT_EQ(in.opcode(), isa::Opcode::Compute);
  EXPECT_EQ(in.engine(), isa::chunk_engine(2));
  EXPECT_EQ(in.compute_op(), isa::ComputeOp::DwConv);
  EXPECT_EQ(in.get(isa::kKind), 1u);
  EXPECT_EQ(in.get(isa::kOw), 3u);
  EXPECT_EQ(in.get(isa::kIw), 5u);
  EXPECT_EQ(in.get(isa::kPadT), 1u);
  EXPECT_EQ(in.get(isa::kPadL), 0u);
  // defaults: stride 1, kh = kw = 1, 8-bit weights, activations and outputs
  EXPECT_EQ(in.get(isa::kStride), 1u);
  EXPECT_EQ(in.get(isa::kKh), 1u);
  EXPECT_EQ(in.get(isa::kKw), 1u);
  EXPECT_EQ(in.get(isa::kWBits), 8u);
  EXPECT_EQ(in.get(isa::kABits), 8u);
  EXPECT_EQ(in.get(isa::kOBits), 8u);
  EXPECT_EQ(in.get(isa::kMultiplier), 7u);
  EXPECT_EQ(in.get(isa::kShift), 9u);
  EXPECT_EQ(in.get(isa::kOutAddr), 0x50u);
  EXPECT_EQ(in.flags(), isa::kFlagRelu | isa::kFlagNoBias);
  EXPECT_EQ(in.signal_mask(), 1u << isa::kEngineStore);
  // word 1 by hand: op 1 | kind 1 << 8 | kh 1 << 16 | kw 1 << 24 | stride 1 << 32 |
  // pad_t 1 << 40 | pad_l 0 | wbits 8 << 56 | abits 8 << 60
  EXPECT_EQ(in.words[1], 0x8800010101010101ull);
}

TEST(Assembler, ExpressionsSymbolsAndNumbers) {
  Image img = assemble(
      ".equ A 0x100\n"
      ".equ B A*2+4-1   # 0x203\n"
      ".equ C (B-3)*(1+1)\n"
      ".equ D -5+A\n"
      ".bytes B 1 0xff -128 255 -1\n"
      ".int32 C -2 0x7fffffff 4294967295\n"
      ".bytes D+1000 D-A+5\n"
      ".bytes GLB+CHUNK1_WBUF-CHUNK1_WBUF 7\n",
      "t.s");
  ASSERT_EQ(img.segments.size(), 4u);
  EXPECT_EQ(img.segments[0], (Segment{0x203, {1, 0xff, 0x80, 0xff, 0xff}}));
  EXPECT_EQ(img.segments[1].addr, 0x400u);
  EXPECT_EQ(img.segments[1].data, (std::vector<uint8_t>{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                        0x7f, 0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(img.segments[2], (Segment{0xfb + 1000, {0}}));
  EXPECT_EQ(img.segments[3], (Segment{amap::kGlbBase, {7}}));
}

TEST(Assembler, RandomAndShiftWeightsAreDeterministic) {
  // splitmix64 with seed 0 first gives 0xe220a8397b1dcdaf (Steele et al. / Vigna's
  // reference); 0xaf = 175, and -128 + 175 % 256 = 47.
  EXPECT_EQ(SplitMix64(0).next(), 0xe220a8397b1dcdafull);
  Image img =
      assemble(".random 0 1 0 -128 127\n.random 16 4096 9 -3 5\n.shiftw 0x2000 4096 3 4\n", "t.s");
  EXPECT_EQ(static_cast<int8_t>(img.segments[0].data[0]), 47);
  std::vector<int> seen(256, 0);
  for (uint8_t b : img.segments[1].data) ++seen[static_cast<int8_t>(b) + 128];
  for (int v = -128; v < 128; ++v) EXPECT_EQ(seen[v + 128] > 0, v >= -3 && v <= 5) << v;
  // 4-bit shift weights: 0 or +-(e+1), e in [0, max_shift_exponent(4) = 6]: bytes -7..7.
  std::vector<int> sw(256, 0);
  for (uint8_t b : img.segments[2].data) ++sw[static_cast<int8_t>(b) + 128];
  for (int v = -128; v < 128; ++v) EXPECT_EQ(sw[v + 128] > 0, v >= -7 && v <= 7) << v;
  EXPECT_EQ(assemble(".random 0x2000 4096 3 -7 7\n", "u.s").segments[0], img.segments[2]);
}

TEST(Assembler, OutputsIncbinCodeAndContinuations) {
  auto dir = std::filesystem::temp_directory_path() / ("savp_asm_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir / "data");
  {
    std::ofstream f(dir / "data" / "blob.bin", std::ios::binary);
    f.write("\x01\x02\x03", 3);
  }
  std::string src =
      ".code 0x4000\n"
      ".output conv_out 0x100 1024 8x8x16   ; a comment\n"
      ".output \"odd name\" 0x900 3\n"
      ".incbin 0x200 \"data/blob.bin\"\n"
      ".bytes 0x300 1 2 \\\n"
      "   3 4 \\   # comments may follow a continuation\n"
      "   5\n"
      "halt\n";
  std::ofstream(dir / "prog.s") << src;
  Image img = assemble_file((dir / "prog.s").string());
  EXPECT_EQ(img.code_base, 0x4000u);
  ASSERT_EQ(img.outputs.size(), 2u);
  EXPECT_EQ(img.outputs[0], (OutputRegion{"conv_out", 0x100, 1024, {8, 8, 16}}));
  EXPECT_EQ(img.outputs[1], (OutputRegion{"odd name", 0x900, 3, {}}));
  EXPECT_EQ(img.segments[0], (Segment{0x200, {1, 2, 3}}));
  EXPECT_EQ(img.segments[1], (Segment{0x300, {1, 2, 3, 4, 5}}));
  EXPECT_EQ(assemble(disassemble(img), "re.s"), img);
  std::string err;
  try {
    assemble(".incbin 0 \"nope.bin\"\n", (dir / "x.s").string());
  } catch (const FirmwareError& e) {
    err = e.what();
  }
  EXPECT_CONTAINS(err, "x.s:1:11: cannot open");
  std::filesystem::remove_all(dir);
  EXPECT_THROW(assemble_file((dir / "gone.s").string()), Error);
}

struct ErrCase {
  const char* src;
  const char* expect;  // prefix of the message: "t.s:line:column: ..."
};

TEST(Assembler, ErrorsNameLineAndColumn) {
  const ErrCase cases[] = {
      {"halt\n  lod src=0\n", "t.s:2:3: unknown mnemonic 'lod'"},
      {"load srcx=1 dst=0 rows=1 row_bytes=1\n", "t.s:1:6: unknown operand 'srcx' for load"},
      {"load src=1 dst=0 rows=1 rows=2 row_bytes=1\n", "t.s:1:25: duplicate operand 'rows'"},
      {"load src=1 dst=0 rows=0x100000000 row_bytes=1\n",
       "t.s:1:23: value 0x100000000 does not fit field 'rows' (32 bits)"},
      {"load src=FOO+1 dst=0 rows=1 row_bytes=1\n", "t.s:1:10: unknown symbol 'FOO'"},
      {"load src=1 dst=0 rows=1 row_bytes=1 wait=load,chunk99\n",
       "t.s:1:47: unknown engine 'chunk99'"},
      {"nop dma\n", "t.s:1:5: unknown engine 'dma'"},
      {"nop\n", "t.s:1:5: 'nop' needs an engine first"},
      {"load src=0 dst=0 rows=0 row_bytes=4\n",
       "t.s:1:1: invalid instruction: DMA with zero rows or row_bytes"},
      {"\n\n compute chunk0 op=conv kind=mult k=1 c=1 oh=1 ow=1 ih=1 iw=1 obits=9\n",
       "t.s:3:2: invalid instruction: obits 9 outside [2, 8]"},
      {"compute chunk0 op=conv k=1\n", "t.s:1:1: compute needs kind="},
      {"compute chunk0 op=fft kind=mult\n", "t.s:1:19: unknown op 'fft'"},
      {"compute chunk0 op=conv kind=mul\n", "t.s:1:29: unknown kind 'mul'"},
      {"compute chunk0 op=conv kind=mult flags=relu|fast\n", "t.s:1:45: unknown flag 'fast'"},
      {"load src=-1 dst=0 rows=1 row_bytes=1\n", "t.s:1:10: negative value -1 for field 'src'"},
      {"load src=12ab dst=0\n", "t.s:1:12: bad digit 'a' in number"},
      {"load src=0x dst=0\n", "t.s:1:12: expected hex digits"},
      {"load src=99999999999999999999 dst=0\n", "t.s:1:10: number too large"},
      {"load src=(1+2 dst=0\n", "t.s:1:14: expected ')'"},
      {"load src=1+ dst=0\n", "t.s:1:12: expected a number or a symbol"},
      {"load src=0x7fffffffffffffff*2\n", "t.s:1:28: arithmetic overflow"},
      {"load src\n", "t.s:1:6: expected key=value, got 'src'"},
      {"load src=\n", "t.s:1:10: missing value after 'src='"},
      {".bytes 0 1 256\n", "t.s:1:12: byte value 256 out of range [-128, 255]"},
      {".bytes 0\n", "t.s:1:10: missing operand; usage: .bytes ADDR V..."},
      {".int32 0 4294967296\n", "t.s:1:10: int32 value 4294967296 out of range"},
      {".random 0 16 1 5 4\n", "t.s:1:18: HI 4 is below LO 5"},
      {".random 0 0x7fffffffff 1 0 1\n", "t.s:1:11: length 549755813887 out of range"},
      {".shiftw 0 16 1 9\n", "t.s:1:16: bits 9 out of range [2, 8]"},
      {".equ X 1\n.equ X 2\n", "t.s:2:6: symbol 'X' is already defined"},
      {".equ DRAM 2\n", "t.s:1:6: symbol 'DRAM' is already defined"},
      {".equ 1X 2\n", "t.s:1:6: '1X' is not a symbol name"},
      {".code 0\n.code 0\n", "t.s:2:1: .code given twice"},
      {".data 0\n", "t.s:1:1: unknown directive '.data'"},
      {".output o 0 4 4x0\n", "t.s:1:17: expected a shape like 8x8x16"},
      {".output o 0 4\n.output o 8 4\n", "t.s:2:9: output 'o' is defined twice"},
      {".output \"unterminated 0 4\n", "t.s:1:9: unterminated string"},
      {".bytes 0x100 1 2 3 4\n.bytes 0x102 9\n",
       "t.s:2:1: data [0x102, 0x103) overlaps the data of line 1 [0x100, 0x104)"},
      {"halt\n.bytes 0x3f 1 2\n", "t.s:2:1: data [0x3f, 0x41) overlaps the code [0x0, 0x40)"},
      {".bytes 0x1000000000000 1\n", "t.s:1:8: address 281474976710656 out of range"},
      {".bytes 0xffffffffffff 1 2\n", "t.s:1:1: data ends beyond the 2^48 address limit"},
      {".output o 0xfffffffffff0 17\n", "t.s:1:26: output ends beyond the 2^48"},
      {".code 0xffffffffffc0\nhalt\nhalt\n", "t.s:1:1: the code ends beyond the 2^48"},
      {".code 4\n", "t.s:1:7: code address must be a multiple of 8"},
      {".inst 1 2 3\n", "t.s:1:13: missing operand"},
      {".inst 6 0 0 0 0 0 0 0\n", "t.s:1:1: invalid instruction: unknown opcode 6"},
      {".inst 5 0 0 0 0 0 0 -1\n", "t.s:1:21: expected a number"},
      {"\"halt\"\n", "t.s:1:1: expected a mnemonic or a directive"},
      {"halt extra\n", "t.s:1:6: expected key=value"},
      {"barrier src=1\n", "t.s:1:9: unknown operand 'src' for barrier"},
  };
  EXPECT_EQ(error_of("load src=" + std::string(200, '(') + "1\n"),
            "t.s:1:110: expression nested too deeply");
  for (const ErrCase& c : cases) {
    std::string e = error_of(c.src);
    EXPECT_EQ(e.rfind(c.expect, 0), 0u)
        << "source: " << c.src << "got: " << e << "\nexpected: " << c.expect;
  }
}

TEST(Assembler, GarbageNeverCrashes) {
  // Mutations of a valid program: every result either assembles or is a FirmwareError.
  const std::string base =
      ".equ IN DRAM+0x1000\n.output o IN 4 2x2\nload src=IN dst=CHUNK0_IBUF rows=1 "
      "row_bytes=4 signal=chunk0\ncompute chunk0 op=conv kind=mult k=1 c=4 oh=1 ow=1 ih=1 "
      "iw=1 m=1 wait=load signal=store flags=relu\nstore src=CHUNK0_OBUF dst=IN+8 rows=1 "
      "row_bytes=1 wait=chunk0\nhalt\n.bytes IN 1 2 3 4\n.random IN+64 8 1 -4 4\n";
  ASSERT_NO_THROW(assemble(base, "base.s"));
  std::mt19937 rng(1234);
  const std::string alphabet = " =,|+-*()x\"\\#;.0123456789abcdefAZ_\n\t";
  int ok = 0, errors = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s = base;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % s.size();
      switch (rng() % 3) {
        case 0:
          s.erase(at, 1 + rng() % 3);
          break;
        case 1:
          s.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        default:
          s[at] = static_cast<char>(rng() % 256);
          break;
      }
    }
    try {
      Image img = assemble(s, "fuzz.s");
      EXPECT_EQ(assemble(disassemble(img), "re.s"), img);
      ++ok;
    } catch (const FirmwareError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("fuzz.s:", 0), 0u) << e.what();
      ++errors;
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(errors, 0);
}

TEST(Disassembler, CanonicalLines) {
  Instruction l = isa::make_dma(isa::Opcode::Load, 0x1000, 0x2000000040ull, 2, 128, 256, 128);
  l.set(isa::kWaitMask, 1u << isa::kEngineStore);
  l.set(isa::kSignalMask, 0xCu);
  EXPECT_EQ(disassemble_instruction(l),
            "load src=0x1000 dst=0x2000000040 rows=2 row_bytes=128 src_stride=256 "
            "dst_stride=128 wait=store signal=chunk0,chunk1");
  EXPECT_EQ(disassemble_instruction(isa::make_sync(isa::Opcode::Nop, 5)), "nop chunk3");
  EXPECT_EQ(disassemble_instruction(isa::make_sync(isa::Opcode::Halt)), "halt");
  Image img = assemble(
      "compute chunk0 op=add kind=adder k=8 oh=1 ow=1 m=3 m2=5 shift=2 flags=relu|0x100\n", "t.s");
  EXPECT_EQ(disassemble_instruction(img.code[0]),
            "compute chunk0 op=add kind=adder k=8 c=0 oh=1 ow=1 ih=0 iw=0 kh=1 kw=1 stride=1 "
            "pad_t=0 pad_l=0 wbits=8 abits=8 obits=8 m=3 m2=5 shift=2 in=0x0 w=0x0 bias=0x0 "
            "acc=0x0 out=0x0 flags=relu|0x100");
  EXPECT_EQ(flags_to_string(0), "0");
  EXPECT_EQ(engine_mask_to_string(0x8003), "load,store,chunk13");
}

TEST(Disassembler, NonCanonicalInstructionsPrintRawAndReassemble) {
  Image img;
  Instruction reserved = isa::make_dma(isa::Opcode::Store, 1, 2, 3, 4, 5, 6);
  reserved.words[7] = 0xdead;                                     // a bit no field of store covers
  Instruction barrier = isa::make_sync(isa::Opcode::Barrier, 3);  // engine not printed
  img.code = {reserved, barrier, isa::make_sync(isa::Opcode::Halt)};
  EXPECT_EQ(disassemble_instruction(reserved),
            ".inst 0x102 0x1 0x2 0x400000003 0x600000005 0x0 0x0 0xdead");
  std::string text = disassemble(img);
  EXPECT_EQ(assemble(text, "raw.s"), img);
  EXPECT_EQ(disassemble(assemble(text, "raw.s")), text);
}

// Random consistent images, including instructions with reserved bits set and odd output
// names, survive serialize -> deserialize -> disassemble -> assemble unchanged.
TEST(Disassembler, RandomImagesRoundTrip) {
  std::mt19937_64 rng(99);
  auto pick = [&](uint64_t n) { return rng() % n; };
  for (int iter = 0; iter < 200; ++iter) {
    Image img;
    img.code_base = pick(1 << 20) * 8;
    while (img.code.size() < 1 + pick(12)) {
      Instruction in;
      auto op = static_cast<isa::Opcode>(pick(isa::kNumOpcodes));
      in.set(isa::kOpcode, static_cast<uint64_t>(op));
      in.set(isa::kEngine, op == isa::Opcode::Store ? 1 : op == isa::Opcode::Load ? 0 : pick(16));
      for (const isa::Field* f : {&isa::kFlags, &isa::kWaitMask, &isa::kSignalMask})
        in.set(*f, pick(4) ? 0 : rng() & 0xffff);
      for (const isa::Field& f : isa::operand_fields(op))
        in.set(f, rng() & ((uint64_t{1} << f.width) - 1) & (pick(2) ? 0xff : ~uint64_t{0}));
      if (op == isa::Opcode::Compute) {  // keep it valid often enough
        in.set(isa::kComputeOp, pick(isa::kNumComputeOps));
        in.set(isa::kKind, pick(3));
        for (const isa::Field* f : {&isa::kWBits, &isa::kABits, &isa::kOBits}) in.set(*f, 8);
        in.set(isa::kShift, pick(63));
        in.set(isa::kMultiplier, pick(1u << 31));
        in.set(isa::kMultiplier2, pick(1u << 31));
        for (const isa::Field* f : {&isa::kK, &isa::kC}) in.set(*f, 4);
      }
      if (pick(8) == 0) in.words[7] |= uint64_t{1} << 63;  // reserved for all but none
      if (isa::validate(in).empty()) img.code.push_back(in);
    }
    uint64_t at = img.code_end() + pick(64);
    for (uint64_t k = pick(4); k > 0; --k) {
      Segment seg{at, std::vector<uint8_t>(1 + pick(100))};
      for (uint8_t& b : seg.data) b = static_cast<uint8_t>(rng());
      at = seg.end() + pick(3);
      img.segments.push_back(seg);
    }
    for (uint64_t k = pick(3); k > 0; --k) {
      std::string name;
      for (uint64_t n = 1 + pick(6); n > 0; --n) name += static_cast<char>(0x20 + pick(95));
      if (std::none_of(img.outputs.begin(), img.outputs.end(),
                       [&](const OutputRegion& o) { return o.name == name; }))
        img.outputs.push_back({name, pick(1 << 30), 1 + pick(1000), {1 + uint32_t(pick(9))}});
    }
    ASSERT_EQ(check_image(img), "");
    std::vector<uint8_t> bytes = serialize(img);
    ASSERT_EQ(deserialize(bytes.data(), bytes.size(), "r.img"), img);
    std::string text = disassemble(img);
    Image back;
    ASSERT_NO_THROW(back = assemble(text, "r.s")) << text;
    ASSERT_EQ(back, img) << text;
    ASSERT_EQ(disassemble(back), text);
  }
}

TEST(Disassembler, OptionsAddAddressesOrOmitData) {
  Image img = assemble(".code 0x100\nnop load\nhalt\n.bytes 0 1 2 3\n", "t.s");
  std::string with_addr = disassemble(img, {true, true});
  EXPECT_CONTAINS(with_addr, "# [1] 0x140");
  EXPECT_EQ(assemble(with_addr, "a.s"), img);
  std::string no_data = disassemble(img, {false, false});
  EXPECT_CONTAINS(no_data, "# data [0x0, 0x3): 3 bytes (omitted)");
  EXPECT_TRUE(assemble(no_data, "b.s").segments.empty());
}

}  // namespace
}  // namespace savp::fw
