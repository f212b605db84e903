// The firmware image file format (firmware/image.hpp, layout in firmware/README.md).
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/errors.hpp"
#include "firmware/image.hpp"

namespace savp::fw {
namespace {

using isa::Opcode;

Image small_image() {
  Image img;
  img.code_base = 0x1000;
  img.code.push_back(isa::make_dma(Opcode::Load, 0x8000, 0x2000000000ull, 1, 16, 0, 0));
  img.code.push_back(isa::make_sync(Opcode::Nop, isa::chunk_engine(0)));
  img.code.push_back(isa::make_sync(Opcode::Halt));
  img.segments.push_back({0x8000, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}});
  img.segments.push_back({0x9000, {0xff, 0x80, 0x7f}});  // 3 bytes: 5 bytes of padding
  img.outputs.push_back({"out", 0xA000, 16, {2, 2, 4}});
  img.outputs.push_back({"x y", 0xB000, 3, {}});
  return img;
}

uint32_t u32_at(const std::vector<uint8_t>& b, size_t off) {
  return b[off] | b[off + 1] << 8 | b[off + 2] << 16 | uint32_t(b[off + 3]) << 24;
}
uint64_t u64_at(const std::vector<uint8_t>& b, size_t off) {
  return u32_at(b, off) | uint64_t(u32_at(b, off + 4)) << 32;
}
void put_u32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = uint8_t(v >> (8 * i));
}
void put_u64(std::vector<uint8_t>& b, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[off + i] = uint8_t(v >> (8 * i));
}
// Re-seals an edited image with a valid CRC, so the parser's later checks are reached.
void reseal(std::vector<uint8_t>& b) {
  size_t body = b.size() - 8;
  put_u32(b, body, static_cast<uint32_t>(crc32(0L, b.data(), static_cast<uInt>(body))));
}

std::string error_of(const std::vector<uint8_t>& b, const std::string& origin = "t.img") {
  try {
    deserialize(b.data(), b.size(), origin);
  } catch (const FirmwareError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_CONTAINS(s, sub)                          \
  EXPECT_NE(std::string(s).find(sub), std::string::npos) \
      << "\"" << (s) << "\" lacks \"" << (sub) << "\""

TEST(Image, RoundTripsExactly) {
  Image img = small_image();
  std::vector<uint8_t> b = serialize(img);
  Image back = deserialize(b.data(), b.size(), "mem");
  EXPECT_EQ(back, img);
  EXPECT_EQ(serialize(back), b);
  Image empty;
  std::vector<uint8_t> e = serialize(empty);
  EXPECT_EQ(e.size(), 72u);  // header + trailer
  EXPECT_EQ(deserialize(e.data(), e.size(), "mem"), empty);
}

TEST(Image, LayoutMatchesTheDocumentation) {
  std::vector<uint8_t> b = serialize(small_image());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()), 8), std::string("SAVPIMG\0", 8));
  EXPECT_EQ(u32_at(b, 8), 1u);    // version
  EXPECT_EQ(u32_at(b, 12), 64u);  // header bytes
  EXPECT_EQ(u64_at(b, 16), 0x1000u);
  EXPECT_EQ(u32_at(b, 24), 3u);  // instructions
  EXPECT_EQ(u32_at(b, 28), 2u);  // segments
  EXPECT_EQ(u32_at(b, 32), 2u);  // outputs
  // 64 header + 3*64 code + (16+16) + (16+3+5 pad) segments
  //  + (24 + "out" padded to 8 + 3 dims padded to 16) + (24 + "x y" padded to 8) + 8 trailer
  const size_t total = 64 + 192 + 32 + 24 + 48 + 32 + 8;
  ASSERT_EQ(b.size(), total);
  EXPECT_EQ(u64_at(b, 40), total);
  EXPECT_EQ(b[64], 1);                 // first instruction's opcode byte (load)
  EXPECT_EQ(u64_at(b, 256), 0x8000u);  // first segment: addr, length, data
  EXPECT_EQ(u64_at(b, 264), 16u);
  EXPECT_EQ(b[272], 1);
  EXPECT_EQ(u64_at(b, 288), 0x9000u);
  EXPECT_EQ(b[307], 0);                // padding after the 3 data bytes
  EXPECT_EQ(u64_at(b, 312), 0xA000u);  // first output: addr, bytes, name len, rank, name, dims
  EXPECT_EQ(u64_at(b, 320), 16u);
  EXPECT_EQ(u32_at(b, 328), 3u);
  EXPECT_EQ(u32_at(b, 332), 3u);
  EXPECT_EQ(b[336], 'o');
  EXPECT_EQ(u32_at(b, 344), 2u);
  EXPECT_EQ(u32_at(b, 352), 4u);
  EXPECT_EQ(u32_at(b, total - 8), crc32(0L, b.data(), static_cast<uInt>(total - 8)));
  EXPECT_EQ(u32_at(b, total - 4), 0u);
}

TEST(Image, EveryTruncationIsAnError) {
  std::vector<uint8_t> b = serialize(small_image());
  for (size_t n = 0; n < b.size(); ++n) {
    std::vector<uint8_t> prefix(b.begin(), b.begin() + n);
    std::string e = error_of(prefix, "cut.img");
    ASSERT_FALSE(e.empty()) << "prefix of " << n << " bytes accepted";
    EXPECT_CONTAINS(e, "cut.img: byte ");
    EXPECT_CONTAINS(e, "truncated");
  }
  EXPECT_THROW(deserialize(nullptr, 0, "null"), FirmwareError);
}

TEST(Image, EveryFlippedByteIsAnError) {
  std::vector<uint8_t> b = serialize(small_image());
  for (size_t i = 0; i < b.size(); ++i) {
    std::vector<uint8_t> c = b;
    c[i] ^= 0x10;
    EXPECT_FALSE(error_of(c).empty()) << "flip at " << i << " accepted";
  }
  std::vector<uint8_t> c = b;
  c[300] ^= 1;  // inside the segments
  EXPECT_CONTAINS(error_of(c), "checksum mismatch");
  EXPECT_CONTAINS(error_of(c), "t.img: byte " + std::to_string(b.size() - 8));
}

TEST(Image, BadMagicAndVersions) {
  std::vector<uint8_t> b = serialize(small_image());
  std::vector<uint8_t> c = b;
  c[3] = 'X';
  EXPECT_CONTAINS(error_of(c), "t.img: byte 3: bad magic \"SAVXIMG\\x00\"");
  EXPECT_CONTAINS(error_of({'P', 'K', 3, 4}), "byte 0: bad magic");
  c = b;
  put_u32(c, 8, 2);
  EXPECT_EQ(error_of(c), "t.img: byte 8: image version 2 is newer than this savp supports (1)");
  put_u32(c, 8, 0);
  EXPECT_CONTAINS(error_of(c), "image version 0");
  c = b;
  put_u32(c, 12, 128);
  reseal(c);
  EXPECT_CONTAINS(error_of(c), "byte 12: header size 128 (expected 64");
  c = b;
  c.push_back(0);
  EXPECT_CONTAINS(error_of(c), "unexpected bytes after the trailer");
}

TEST(Image, HugeCountsFailBeforeAllocating) {
  std::vector<uint8_t> b = serialize(small_image());
  struct Case {
    size_t off;
    uint64_t value;
    bool wide;
    const char* expect;
  } cases[] = {
      {24, 0xFFFFFFFF, false, "byte 24: 4294967295 instructions need"},
      {28, 0xFFFFFFFF, false, "byte 28: 4294967295 segments need at least"},
      {32, 0xFFFFFFFF, false, "byte 32: 4294967295 outputs need at least"},
      {264, ~uint64_t{0}, true, "byte 264: segment 0 length 18446744073709551615 exceeds"},
      {328, 0xFFFFFFFF, false, "byte 328: output 0 name length 4294967295 (expected at most 255)"},
      {332, 0xFFFFFFFF, false, "output 0 rank 4294967295 exceeds"},
      {24, 4, false, "byte 256: instr needs 64 bytes"},  // one more: shifted records misparse
  };
  for (const Case& k : cases) {
    std::vector<uint8_t> c = b;
    if (k.wide)
      put_u64(c, k.off, k.value);
    else
      put_u32(c, k.off, static_cast<uint32_t>(k.value));
    reseal(c);
    std::string e = error_of(c);
    ASSERT_FALSE(e.empty()) << k.expect;
    if (k.off != 24 || k.value != 4) {
      EXPECT_CONTAINS(e, k.expect);
    }
  }
}

TEST(Image, InconsistentContentsAreRejectedWithTheirOffset) {
  Image img = small_image();
  img.segments[1].addr = 0x800C;  // overlaps segment 0 [0x8000, 0x8010)
  EXPECT_CONTAINS(error_of(serialize(img)),
                  "byte 288: segment 1 [0x800c, 0x800f) overlaps segment 0 [0x8000, 0x8010)");
  EXPECT_CONTAINS(check_image(img), "overlaps segment 0");

  img = small_image();
  img.segments[0].addr = 0x10B0;  // inside the code [0x1000, 0x10c0)
  EXPECT_CONTAINS(error_of(serialize(img)),
                  "byte 256: segment 0 [0x10b0, 0x10c0) overlaps the code [0x1000, 0x10c0)");

  img = small_image();
  img.code[1] = isa::make_sync(Opcode::Nop, 17);
  EXPECT_CONTAINS(error_of(serialize(img)),
                  "t.img: byte 128: instruction 1 at 0x1040: nop on unknown engine 17");

  img = small_image();
  img.segments[1].data.clear();
  EXPECT_CONTAINS(error_of(serialize(img)), "segment 1 at 0x9000 is empty");

  img = small_image();
  img.outputs[1].name = "out";
  EXPECT_CONTAINS(error_of(serialize(img)), "output 'out' is defined twice");
  img.outputs[1].name = "tab\there";
  EXPECT_CONTAINS(error_of(serialize(img)), "output 1 has an invalid name");
  img.outputs[1].name = "ok";
  img.outputs[1].bytes = 0;
  EXPECT_CONTAINS(error_of(serialize(img)), "invalid size 0");

  img = small_image();
  img.code_base = kAddressLimit - 128;  // 3 instructions need 192 bytes
  EXPECT_CONTAINS(error_of(serialize(img)),
                  "byte 16: code of 3 instructions at 0xffffffffff80 ends beyond the 2^48");
  img.code_base = 0x1004;
  EXPECT_CONTAINS(error_of(serialize(img)), "byte 16: code_base 0x1004 is not a multiple of 8");

  img = small_image();
  img.segments[1].addr = kAddressLimit - 2;
  EXPECT_CONTAINS(error_of(serialize(img)), "segment 1 at 0xfffffffffffe (3 bytes) ends beyond");
  img.segments[1].addr = ~uint64_t{0};
  EXPECT_CONTAINS(error_of(serialize(img)), "ends beyond the 2^48 address limit");
  img = small_image();
  img.outputs[0].addr = kAddressLimit;
  EXPECT_CONTAINS(error_of(serialize(img)), "output 'out' at 0x1000000000000 has an invalid size");
}

TEST(Image, PaddingAndReservedBytesMustBeZero) {
  std::vector<uint8_t> b = serialize(small_image());
  for (size_t off : {36u, 48u, 63u, 307u}) {
    std::vector<uint8_t> c = b;
    c[off] = 1;
    reseal(c);
    std::string e = error_of(c);
    EXPECT_CONTAINS(e, "byte " + std::to_string(off) + ":");
    EXPECT_CONTAINS(e, "(expected 0)");
  }
}

TEST(Image, FilesRoundTripAndIoErrorsAreReported) {
  auto dir = std::filesystem::temp_directory_path() / ("savp_img_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "a.img").string();
  write_image(small_image(), path);
  EXPECT_EQ(read_image(path), small_image());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_THROW(read_image((dir / "missing.img").string()), Error);
  EXPECT_THROW(write_image(small_image(), (dir / "no" / "such" / "dir.img").string()), Error);
  {  // a corrupt file names its path
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << "SAVPIMG";
  }
  try {
    read_image(path);
    FAIL();
  } catch (const FirmwareError& e) {
    EXPECT_CONTAINS(e.what(), path + ": byte 7: file truncated");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace savp::fw
