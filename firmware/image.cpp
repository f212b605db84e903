#include "firmware/image.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "common/errors.hpp"
#include "common/file_io.hpp"
#include "firmware/byte_io.hpp"

namespace savp::fw {
namespace {

// Header field offsets (firmware/README.md, "Image file format").
constexpr size_t kOffVersion = 8;
constexpr size_t kOffHeaderBytes = 12;
constexpr size_t kOffCodeBase = 16;
constexpr size_t kOffNumInstrs = 24;
constexpr size_t kOffNumSegments = 28;
constexpr size_t kOffNumOutputs = 32;
constexpr size_t kOffReserved0 = 36;
constexpr size_t kOffTotalBytes = 40;
constexpr size_t kOffReserved1 = 48;
constexpr size_t kSegmentRecordMin = 16;  // addr + length
constexpr size_t kOutputRecordMin = 24;   // addr + bytes + name length + rank

using namespace bytes;

// A problem found in an image's contents, with the record it belongs to so that
// deserialize() can name its byte offset.
struct Problem {
  enum Where { None, Code, Instr, Segment, Output } where = None;
  size_t index = 0;
  std::string message;
};

bool printable_name(const std::string& s) {
  if (s.empty() || s.size() > kMaxOutputNameBytes) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

// [addr, addr + bytes) lies within [0, kAddressLimit].
bool fits(uint64_t addr, uint64_t bytes) {
  return addr <= kAddressLimit && bytes <= kAddressLimit - addr;
}

Problem find_problem(const Image& img) {
  const uint64_t n = img.code.size();
  if (img.code_base % 8 != 0)
    return {Problem::Code, 0, fmt::format("code_base {:#x} is not a multiple of 8", img.code_base)};
  if (!fits(img.code_base, 0) || n > (kAddressLimit - img.code_base) / isa::kInstrBytes)
    return {Problem::Code, 0,
            fmt::format("code of {} instructions at {:#x} ends beyond the 2^48 address limit", n,
                        img.code_base)};
  for (size_t i = 0; i < img.code.size(); ++i) {
    std::string why = isa::validate(img.code[i]);
    if (!why.empty())
      return {Problem::Instr, i,
              fmt::format("instruction {} at {:#x}: {}", i, img.instruction_addr(i), why)};
  }
  // Segments: non-empty, no wrap, no overlap with the code or with each other.
  std::vector<size_t> order;
  for (size_t i = 0; i < img.segments.size(); ++i) {
    const Segment& s = img.segments[i];
    if (s.data.empty())
      return {Problem::Segment, i, fmt::format("segment {} at {:#x} is empty", i, s.addr)};
    if (!fits(s.addr, s.data.size()))
      return {Problem::Segment, i,
              fmt::format("segment {} at {:#x} ({} bytes) ends beyond the 2^48 address limit", i,
                          s.addr, s.data.size())};
    if (n > 0 && s.addr < img.code_end() && img.code_base < s.end())
      return {Problem::Segment, i,
              fmt::format("segment {} [{:#x}, {:#x}) overlaps the code [{:#x}, {:#x})", i, s.addr,
                          s.end(), img.code_base, img.code_end())};
    order.push_back(i);
  }
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return img.segments[a].addr < img.segments[b].addr; });
  for (size_t k = 1; k < order.size(); ++k) {
    const Segment& a = img.segments[order[k - 1]];
    const Segment& b = img.segments[order[k]];
    if (b.addr < a.end()) {
      size_t i = std::min(order[k - 1], order[k]), j = std::max(order[k - 1], order[k]);
      return {Problem::Segment, j,
              fmt::format("segment {} [{:#x}, {:#x}) overlaps segment {} [{:#x}, {:#x})", j,
                          img.segments[j].addr, img.segments[j].end(), i, img.segments[i].addr,
                          img.segments[i].end())};
    }
  }
  for (size_t i = 0; i < img.outputs.size(); ++i) {
    const OutputRegion& o = img.outputs[i];
    if (!printable_name(o.name))
      return {Problem::Output, i,
              fmt::format("output {} has an invalid name (1 to {} printable ASCII characters)", i,
                          kMaxOutputNameBytes)};
    if (o.bytes == 0 || !fits(o.addr, o.bytes))
      return {Problem::Output, i,
              fmt::format("output '{}' at {:#x} has an invalid size {}", o.name, o.addr, o.bytes)};
    for (size_t j = 0; j < i; ++j)
      if (img.outputs[j].name == o.name)
        return {Problem::Output, i, fmt::format("output '{}' is defined twice", o.name)};
  }
  return {};
}

[[noreturn]] void fail(const std::string& origin, uint64_t offset, const std::string& what) {
  throw FirmwareError(fmt::format("{}: byte {}: {}", origin, offset, what));
}

}  // namespace

uint32_t image_crc32(const uint8_t* data, size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (size > 0) {
    uInt chunk = static_cast<uInt>(std::min<size_t>(size, 1u << 30));
    crc = crc32(crc, data, chunk);
    data += chunk;
    size -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

std::string check_image(const Image& img) { return find_problem(img).message; }

std::vector<uint8_t> serialize(const Image& img) {
  std::vector<uint8_t> b;
  b.reserve(kImageHeaderBytes + img.code_bytes() + kImageTrailerBytes);
  b.resize(kImageHeaderBytes, 0);
  std::memcpy(b.data(), kImageMagic, sizeof kImageMagic);
  put_u32_at(b, kOffVersion, kImageVersion);
  put_u32_at(b, kOffHeaderBytes, kImageHeaderBytes);
  put_u64_at(b, kOffCodeBase, img.code_base);
  put_u32_at(b, kOffNumInstrs, static_cast<uint32_t>(img.code.size()));
  put_u32_at(b, kOffNumSegments, static_cast<uint32_t>(img.segments.size()));
  put_u32_at(b, kOffNumOutputs, static_cast<uint32_t>(img.outputs.size()));
  // kOffReserved0, kOffReserved1: 0; kOffTotalBytes: patched below.
  for (const isa::Instruction& in : img.code) {
    size_t at = b.size();
    b.resize(at + isa::kInstrBytes);
    isa::encode(in, b.data() + at);
  }
  for (const Segment& s : img.segments) {
    put_u64(b, s.addr);
    put_u64(b, s.data.size());
    b.insert(b.end(), s.data.begin(), s.data.end());
    pad_to_8(b);
  }
  for (const OutputRegion& o : img.outputs) {
    put_u64(b, o.addr);
    put_u64(b, o.bytes);
    put_u32(b, static_cast<uint32_t>(o.name.size()));
    put_u32(b, static_cast<uint32_t>(o.shape.size()));
    b.insert(b.end(), o.name.begin(), o.name.end());
    pad_to_8(b);
    for (uint32_t d : o.shape) put_u32(b, d);
    pad_to_8(b);
  }
  put_u64_at(b, kOffTotalBytes, b.size() + kImageTrailerBytes);
  uint32_t crc = image_crc32(b.data(), b.size());
  put_u32(b, crc);
  put_u32(b, 0);  // reserved
  return b;
}

Image deserialize(const uint8_t* data, size_t size, const std::string& origin) {
  // Magic first (on what there is), so a file of another kind is named as such.
  for (size_t i = 0; i < std::min<size_t>(size, sizeof kImageMagic); ++i)
    if (data[i] != static_cast<uint8_t>(kImageMagic[i])) {
      const std::string got = quote_prefix(data, size);
      fail(origin, i,
           fmt::format("bad magic \"{}\" (expected \"SAVPIMG\\0\"): not a savp image", got));
    }
  const uint64_t min_size = kImageHeaderBytes + kImageTrailerBytes;
  if (size < min_size)
    fail(origin, size,
         fmt::format("file truncated: {} bytes (expected at least {}: header and trailer)", size,
                     min_size));
  uint32_t version = get_u32(data + kOffVersion);
  if (version > kImageVersion)
    fail(origin, kOffVersion,
         fmt::format("image version {} is newer than this savp supports ({})", version,
                     kImageVersion));
  if (version == 0)
    fail(origin, kOffVersion, fmt::format("image version 0 (expected {})", kImageVersion));
  uint32_t header_bytes = get_u32(data + kOffHeaderBytes);
  if (header_bytes != kImageHeaderBytes)
    fail(origin, kOffHeaderBytes,
         fmt::format("header size {} (expected {} for version {})", header_bytes, kImageHeaderBytes,
                     kImageVersion));
  uint64_t total = get_u64(data + kOffTotalBytes);
  if (total > size)
    fail(origin, size,
         fmt::format("file truncated: {} bytes but the header says {} (expected the whole image)",
                     size, total));
  if (total < size)
    fail(origin, total,
         fmt::format("{} unexpected bytes after the trailer (header says the image is {} bytes)",
                     size - total, total));
  if (total % 8 != 0)
    fail(origin, kOffTotalBytes, fmt::format("total size {} (expected a multiple of 8)", total));
  const uint64_t body = total - kImageTrailerBytes;
  uint32_t stored_crc = get_u32(data + body);
  uint32_t crc = image_crc32(data, body);
  if (stored_crc != crc)
    fail(origin, body,
         fmt::format("checksum mismatch: trailer says {:#010x}, contents give {:#010x} (the file "
                     "is corrupt)",
                     stored_crc, crc));
  if (get_u32(data + body + 4) != 0)
    fail(origin, body + 4, "reserved trailer field is not 0 (expected 0)");
  if (get_u32(data + kOffReserved0) != 0)
    fail(origin, kOffReserved0, "reserved header field is not 0 (expected 0)");
  for (size_t i = kOffReserved1; i < kImageHeaderBytes; ++i)
    if (data[i] != 0) fail(origin, i, "reserved header byte is not 0 (expected 0)");

  Image img;
  img.code_base = get_u64(data + kOffCodeBase);
  const uint64_t n_instr = get_u32(data + kOffNumInstrs);
  const uint64_t n_seg = get_u32(data + kOffNumSegments);
  const uint64_t n_out = get_u32(data + kOffNumOutputs);
  Reader r(data, body, origin, fail);
  r.bytes(kImageHeaderBytes, "header");
  // Every count is checked against the bytes left before anything is allocated for it.
  if (n_instr > r.left() / isa::kInstrBytes)
    fail(origin, kOffNumInstrs,
         fmt::format("{} instructions need {} bytes but only {} remain (expected a count that "
                     "fits the file)",
                     n_instr, n_instr * isa::kInstrBytes, r.left()));
  img.code.reserve(n_instr);
  for (uint64_t i = 0; i < n_instr; ++i) img.code.push_back(isa::decode(r.bytes(64, "instr")));

  if (n_seg > r.left() / kSegmentRecordMin)
    fail(origin, kOffNumSegments,
         fmt::format("{} segments need at least {} bytes but only {} remain (expected a count "
                     "that fits the file)",
                     n_seg, n_seg * kSegmentRecordMin, r.left()));
  std::vector<uint64_t> seg_off;
  img.segments.reserve(n_seg);
  for (uint64_t i = 0; i < n_seg; ++i) {
    seg_off.push_back(r.pos());
    Segment s;
    s.addr = r.u64("segment address");
    uint64_t len = r.u64("segment length");
    if (len > r.left())
      fail(origin, r.pos() - 8,
           fmt::format("segment {} length {} exceeds the {} bytes left (expected a length that "
                       "fits the file)",
                       i, len, r.left()));
    const uint8_t* p = r.bytes(len, "segment data");
    s.data.assign(p, p + len);
    r.padding();
    img.segments.push_back(std::move(s));
  }

  if (n_out > r.left() / kOutputRecordMin)
    fail(origin, kOffNumOutputs,
         fmt::format("{} outputs need at least {} bytes but only {} remain (expected a count "
                     "that fits the file)",
                     n_out, n_out * kOutputRecordMin, r.left()));
  std::vector<uint64_t> out_off;
  img.outputs.reserve(n_out);
  for (uint64_t i = 0; i < n_out; ++i) {
    out_off.push_back(r.pos());
    OutputRegion o;
    o.addr = r.u64("output address");
    o.bytes = r.u64("output size");
    uint32_t name_len = r.u32("output name length");
    uint32_t rank = r.u32("output rank");
    if (name_len > kMaxOutputNameBytes)
      fail(origin, r.pos() - 8,
           fmt::format("output {} name length {} (expected at most {})", i, name_len,
                       kMaxOutputNameBytes));
    const uint8_t* p = r.bytes(name_len, "output name");
    o.name.assign(reinterpret_cast<const char*>(p), name_len);
    r.padding();
    if (rank > r.left() / 4)
      fail(origin, r.pos() - 4,
           fmt::format("output {} rank {} exceeds the {} bytes left (expected a rank that fits "
                       "the file)",
                       i, rank, r.left()));
    for (uint32_t d = 0; d < rank; ++d) o.shape.push_back(r.u32("output shape"));
    r.padding();
    img.outputs.push_back(std::move(o));
  }
  if (r.left() != 0)
    fail(origin, r.pos(),
         fmt::format("{} unexpected bytes before the trailer (expected the trailer here)",
                     r.left()));

  Problem p = find_problem(img);
  switch (p.where) {
    case Problem::None:
      break;
    case Problem::Code:
      fail(origin, kOffCodeBase, p.message);
    case Problem::Instr:
      fail(origin, kImageHeaderBytes + p.index * isa::kInstrBytes, p.message);
    case Problem::Segment:
      fail(origin, seg_off[p.index], p.message);
    case Problem::Output:
      fail(origin, out_off[p.index], p.message);
  }
  return img;
}

void write_image(const Image& img, const std::string& path) {
  const std::vector<uint8_t> b = serialize(img);
  write_file_atomic(path, {reinterpret_cast<const char*>(b.data()), b.size()}, "image");
}

Image read_image(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("cannot open image '{}': {}", path, std::strerror(errno)));
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw Error(fmt::format("cannot read image '{}'", path));
  return deserialize(bytes.data(), bytes.size(), path);
}

}  // namespace savp::fw
