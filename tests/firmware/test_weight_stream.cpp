// Compressed weight streams (firmware/weight_stream.hpp): round trips, exact sizes worked out
// by hand, and corrupt / short streams rejected with a message saying what is wrong.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "common/errors.hpp"
#include "firmware/assembler.hpp"
#include "firmware/disassembler.hpp"
#include "firmware/isa.hpp"
#include "firmware/weight_stream.hpp"

namespace savp::fw {
namespace {

std::vector<int8_t> random_weights(uint64_t n, int bits, double zero_frac, uint32_t seed) {
  std::mt19937 g(seed);
  std::uniform_int_distribution<int> v(-(1 << (bits - 1)), (1 << (bits - 1)) - 1);
  std::uniform_real_distribution<double> z(0.0, 1.0);
  std::vector<int8_t> w(n);
  for (auto& x : w) x = z(g) < zero_frac ? 0 : static_cast<int8_t>(v(g));
  return w;
}

std::string decode_error(WeightFormat f, const std::vector<uint8_t>& s, uint64_t count) {
  std::vector<int8_t> out(count);
  try {
    decode_weights(f, s.data(), s.size(), count, out.data());
  } catch (const FirmwareError& e) {
    return e.what();
  }
  return "";
}

TEST(WeightStream, RoundTripEveryFormatAndWidth) {
  for (WeightFormat f : {WeightFormat::Dense, WeightFormat::Packed, WeightFormat::Bitmask})
    for (int bits = 2; bits <= 8; ++bits)
      for (uint64_t n : {1u, 7u, 8u, 9u, 1000u}) {
        const std::vector<int8_t> w = random_weights(n, bits, 0.5, 17 * bits + n);
        const std::vector<uint8_t> s = encode_weights(f, bits, w.data(), n);
        EXPECT_EQ(s.size(), stream_bytes(f, n, count_nonzero(w.data(), n), bits));
        std::vector<int8_t> back(n, 99);
        const WeightStreamInfo info = decode_weights(f, s.data(), s.size(), n, back.data());
        EXPECT_EQ(back, w) << to_string(f) << " bits " << bits << " n " << n;
        EXPECT_EQ(info.nnz, f == WeightFormat::Packed ? n : count_nonzero(w.data(), n));
      }
}

TEST(WeightStream, ExactSizesByHand) {
  // 100 weights at 4 bits: packed 16 + ceil(400/8) = 66 bytes; bitmask with 50 non-zero:
  // 16 + ceil(100/8) = 13 mask bytes + ceil(200/8) = 25 value bytes = 54; dense: 100.
  EXPECT_EQ(stream_bytes(WeightFormat::Packed, 100, 50, 4), 66u);
  EXPECT_EQ(stream_bytes(WeightFormat::Bitmask, 100, 50, 4), 54u);
  EXPECT_EQ(stream_bytes(WeightFormat::Dense, 100, 50, 4), 100u);
  // 5-bit shift codes: 9 weights -> 45 bits -> 6 bytes + header.
  EXPECT_EQ(stream_bytes(WeightFormat::Packed, 9, 9, 5), 22u);
  // Bit layout: LSB first. Weights {1, -1} at 2 bits: 0b01 then 0b11 -> byte 0b1101 = 0x0d.
  const int8_t w[] = {1, -1};
  const std::vector<uint8_t> s = encode_weights(WeightFormat::Packed, 2, w, 2);
  ASSERT_EQ(s.size(), 17u);
  EXPECT_EQ(s[0], 1);  // format packed
  EXPECT_EQ(s[1], 2);  // bits
  EXPECT_EQ(s[4], 2);  // count
  EXPECT_EQ(s[16], 0x0d);
  // Bitmask {0, 3, 0, -2} at 3 bits: mask 0b1010, values 011, 110 -> 0b110011 = 0x33.
  const int8_t m[] = {0, 3, 0, -2};
  const std::vector<uint8_t> b = encode_weights(WeightFormat::Bitmask, 3, m, 4);
  ASSERT_EQ(b.size(), 18u);
  EXPECT_EQ(b[8], 2);  // nnz
  EXPECT_EQ(b[16], 0x0a);
  EXPECT_EQ(b[17], 0x33);
}

TEST(WeightStream, ValueBits) {
  const int8_t a[] = {0, 0};
  const int8_t b[] = {-8, 7};
  const int8_t c[] = {8};
  const int8_t d[] = {-128, 127};
  EXPECT_EQ(value_bits(a, 2), 1);
  EXPECT_EQ(value_bits(b, 2), 4);
  EXPECT_EQ(value_bits(c, 1), 5);
  EXPECT_EQ(value_bits(d, 2), 8);
}

TEST(WeightStream, EncoderRejectsValuesThatDoNotFit) {
  const int8_t w[] = {8};
  EXPECT_THROW(encode_weights(WeightFormat::Packed, 4, w, 1), Error);
  EXPECT_THROW(encode_weights(WeightFormat::Packed, 1, w, 1), Error);
  EXPECT_THROW(encode_weights(WeightFormat::Bitmask, 9, w, 1), Error);
}

TEST(WeightStream, CorruptAndShortStreamsAreRejected) {
  const std::vector<int8_t> w = random_weights(64, 4, 0.5, 3);
  const std::vector<uint8_t> good = encode_weights(WeightFormat::Bitmask, 4, w.data(), 64);
  ASSERT_EQ(decode_error(WeightFormat::Bitmask, good, 64), "");

  auto with = [&](size_t at, uint8_t v) {
    std::vector<uint8_t> s = good;
    s[at] = v;
    return s;
  };
  EXPECT_NE(decode_error(WeightFormat::Bitmask, {good.begin(), good.begin() + 10}, 64)
                .find("shorter than its 16-byte header"),
            std::string::npos);
  EXPECT_NE(decode_error(WeightFormat::Bitmask, {good.begin(), good.end() - 1}, 64)
                .find("shorter than the"),
            std::string::npos);
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  EXPECT_NE(decode_error(WeightFormat::Bitmask, longer, 64).find("more than"), std::string::npos);
  EXPECT_NE(decode_error(WeightFormat::Packed, good, 64).find("as the instruction says"),
            std::string::npos);
  EXPECT_NE(decode_error(WeightFormat::Bitmask, with(1, 9), 64).find("bits per weight"),
            std::string::npos);
  EXPECT_NE(decode_error(WeightFormat::Bitmask, with(2, 1), 64).find("reserved"),
            std::string::npos);
  EXPECT_NE(decode_error(WeightFormat::Bitmask, good, 63).find("the tile's weight count"),
            std::string::npos);
  // A flipped payload bit: the CRC catches it.
  std::vector<uint8_t> flipped = good;
  flipped[20] ^= 0x10;
  EXPECT_NE(decode_error(WeightFormat::Bitmask, flipped, 64).find("CRC-32"), std::string::npos);
  // nnz that disagrees with the mask (with a recomputed CRC the structure check fires): nnz - 1
  // declares a shorter stream, so the length check reports it first.
  std::vector<uint8_t> nnz = good;
  nnz[8] = static_cast<uint8_t>(nnz[8] - 1);
  EXPECT_NE(decode_error(WeightFormat::Bitmask, nnz, 64), "");
  // Dense blocks: the byte count must match.
  EXPECT_NE(decode_error(WeightFormat::Dense, std::vector<uint8_t>(10), 12).find("dense block"),
            std::string::npos);
}

TEST(WeightStream, AssemblerAndDisassemblerRoundTripTheNewFields) {
  const std::string src =
      "compute chunk0 op=conv kind=mult k=1 c=8 oh=1 ow=1 ih=1 iw=1 wfmt=bitmask wlen=20\n"
      "compute chunk0 op=conv kind=mult k=1 c=8 oh=1 ow=1 ih=1 iw=1\n"
      "halt\n";
  const Image img = assemble(src, "t.s");
  ASSERT_EQ(img.code.size(), 3u);
  EXPECT_EQ(img.code[0].get(isa::kWFormat), 2u);
  EXPECT_EQ(img.code[0].get(isa::kWLen), 20u);
  const std::string text = disassemble(img);
  EXPECT_NE(text.find("wfmt=bitmask wlen=20"), std::string::npos);
  // Dense weights print no storage operands (listings of dense images are unchanged).
  EXPECT_EQ(text.find("wfmt=dense"), std::string::npos);
  EXPECT_EQ(assemble(text, "t2.s"), img);
}

TEST(WeightStream, ValidateRejectsInconsistentStorageFields) {
  isa::ComputeArgs a;
  a.c = 8;
  a.wfmt = 1;
  a.wlen = 4;  // shorter than a header
  EXPECT_NE(isa::validate(isa::make_compute(0, a)).find("at least the 16-byte header"),
            std::string::npos);
  a.wfmt = 0;
  EXPECT_NE(isa::validate(isa::make_compute(0, a)).find("dense weights with wlen"),
            std::string::npos);
  a.wfmt = 3, a.wlen = 20;
  EXPECT_NE(isa::validate(isa::make_compute(0, a)).find("unknown weight format"),
            std::string::npos);
  a.op = isa::ComputeOp::MaxPool, a.k = 8, a.wfmt = 1;
  EXPECT_NE(isa::validate(isa::make_compute(0, a)).find("conv and dwconv only"),
            std::string::npos);
}

}  // namespace
}  // namespace savp::fw
