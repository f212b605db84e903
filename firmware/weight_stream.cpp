#include "firmware/weight_stream.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include "common/errors.hpp"
#include "firmware/byte_io.hpp"

namespace savp::fw {

namespace {

constexpr uint64_t kMaxCount = 0xffffffffull;

uint32_t crc_of(const uint8_t* p, uint64_t n) {
  uLong c = crc32(0L, Z_NULL, 0);
  // zlib's length is a uInt; the counts here are bounded by 2^32 weights (< 2^33 bytes).
  while (n > 0) {
    const uInt chunk = static_cast<uInt>(std::min<uint64_t>(n, 1u << 30));
    c = crc32(c, p, chunk);
    p += chunk, n -= chunk;
  }
  return static_cast<uint32_t>(c);
}

// Appends `bits`-wide fields LSB first.
struct BitWriter {
  std::vector<uint8_t>& out;
  uint64_t acc = 0;
  int have = 0;
  void put(uint32_t v, int bits) {
    acc |= static_cast<uint64_t>(v & ((1u << bits) - 1)) << have;
    have += bits;
    while (have >= 8) {
      out.push_back(static_cast<uint8_t>(acc));
      acc >>= 8, have -= 8;
    }
  }
  void flush() {
    if (have > 0) out.push_back(static_cast<uint8_t>(acc));
    acc = 0, have = 0;
  }
};

uint64_t packed_bytes(uint64_t n, int bits) { return (n * static_cast<uint64_t>(bits) + 7) / 8; }

// Field i (bits wide) of a bit stream, sign-extended.
inline int8_t field_at(const uint8_t* p, uint64_t i, int bits) {
  const uint64_t bit = i * static_cast<uint64_t>(bits);
  const uint64_t byte = bit / 8;
  const int sh = static_cast<int>(bit % 8);
  uint32_t v = p[byte] >> sh;
  if (sh + bits > 8) v |= static_cast<uint32_t>(p[byte + 1]) << (8 - sh);
  v &= (1u << bits) - 1;
  const uint32_t sign = 1u << (bits - 1);
  return static_cast<int8_t>(static_cast<int32_t>(v ^ sign) - static_cast<int32_t>(sign));
}

// True if the bits of the last byte of a `used_bits`-bit stream of `bytes` bytes above the
// used ones are all 0.
bool tail_clear(const uint8_t* p, uint64_t bytes, uint64_t used_bits) {
  if (bytes == 0 || used_bits % 8 == 0) return true;
  return (p[bytes - 1] >> (used_bits % 8)) == 0;
}

[[noreturn]] void bad(const std::string& what) {
  throw FirmwareError("compressed weight stream: " + what);
}

}  // namespace

const char* to_string(WeightFormat f) {
  switch (f) {
    case WeightFormat::Dense: return "dense";
    case WeightFormat::Packed: return "packed";
    case WeightFormat::Bitmask: return "bitmask";
  }
  return "?";
}

bool parse_weight_format(const std::string& s, WeightFormat& out) {
  for (int i = 0; i < kNumWeightFormats; ++i)
    if (s == to_string(static_cast<WeightFormat>(i))) {
      out = static_cast<WeightFormat>(i);
      return true;
    }
  return false;
}

int value_bits(const int8_t* w, uint64_t n) {
  int lo = 0, hi = 0;
  for (uint64_t i = 0; i < n; ++i) lo = std::min<int>(lo, w[i]), hi = std::max<int>(hi, w[i]);
  for (int b = 1; b < 8; ++b)
    if (lo >= -(1 << (b - 1)) && hi <= (1 << (b - 1)) - 1) return b;
  return 8;
}

uint64_t count_nonzero(const int8_t* w, uint64_t n) {
  uint64_t z = 0;
  for (uint64_t i = 0; i < n; ++i) z += w[i] != 0;
  return z;
}

uint64_t stream_bytes(WeightFormat f, uint64_t count, uint64_t nnz, int bits) {
  switch (f) {
    case WeightFormat::Dense: return count;
    case WeightFormat::Packed: return kWeightStreamHeaderBytes + packed_bytes(count, bits);
    case WeightFormat::Bitmask:
      return kWeightStreamHeaderBytes + (count + 7) / 8 + packed_bytes(nnz, bits);
  }
  return count;
}

std::vector<uint8_t> encode_weights(WeightFormat f, int bits, const int8_t* w, uint64_t n) {
  if (f == WeightFormat::Dense)
    return std::vector<uint8_t>(reinterpret_cast<const uint8_t*>(w),
                                reinterpret_cast<const uint8_t*>(w) + n);
  if (bits < kMinPackedBits || bits > kMaxPackedBits)
    throw Error(fmt::format("{} weights at {} bits (allowed: {}..{})", to_string(f), bits,
                            kMinPackedBits, kMaxPackedBits));
  if (n > kMaxCount)
    throw Error(fmt::format("{} weights in one stream (allowed: at most {})", n, kMaxCount));
  for (uint64_t i = 0; i < n; ++i)
    if (w[i] < -(1 << (bits - 1)) || w[i] > (1 << (bits - 1)) - 1)
      throw Error(fmt::format("weight {} (value {}) does not fit in {} bits", i, w[i], bits));
  const uint64_t nnz = f == WeightFormat::Bitmask ? count_nonzero(w, n) : n;
  std::vector<uint8_t> out;
  out.reserve(stream_bytes(f, n, nnz, bits));
  out.push_back(static_cast<uint8_t>(f));
  out.push_back(static_cast<uint8_t>(bits));
  out.push_back(0), out.push_back(0);
  bytes::put_u32(out, static_cast<uint32_t>(n));
  bytes::put_u32(out, static_cast<uint32_t>(nnz));
  bytes::put_u32(out, 0);  // CRC, below
  BitWriter bw{out};
  if (f == WeightFormat::Bitmask) {
    for (uint64_t i = 0; i < n; ++i) bw.put(w[i] != 0, 1);
    bw.flush();
  }
  for (uint64_t i = 0; i < n; ++i)
    if (f == WeightFormat::Packed || w[i] != 0) bw.put(static_cast<uint8_t>(w[i]), bits);
  bw.flush();
  bytes::put_u32_at(out, 12,
                    crc_of(out.data() + kWeightStreamHeaderBytes,
                           out.size() - kWeightStreamHeaderBytes));
  return out;
}

WeightStreamInfo decode_weights(WeightFormat f, const uint8_t* s, uint64_t len, uint64_t count,
                                int8_t* out) {
  WeightStreamInfo info;
  info.format = f;
  info.count = count;
  if (f == WeightFormat::Dense) {
    if (len != count)
      bad(fmt::format("a dense block of {} bytes for {} weights (expected {})", len, count, count));
    for (uint64_t i = 0; i < count; ++i) out[i] = static_cast<int8_t>(s[i]);
    info.nnz = count_nonzero(out, count);
    return info;
  }
  if (len < kWeightStreamHeaderBytes)
    bad(fmt::format("{} bytes, shorter than its {}-byte header", len, kWeightStreamHeaderBytes));
  if (s[0] != static_cast<uint8_t>(f))
    bad(fmt::format("byte 0: format {} (expected {} = {}, as the instruction says)", s[0],
                    static_cast<int>(f), to_string(f)));
  info.bits = s[1];
  if (info.bits < kMinPackedBits || info.bits > kMaxPackedBits)
    bad(fmt::format("byte 1: {} bits per weight (expected {}..{})", info.bits, kMinPackedBits,
                    kMaxPackedBits));
  if (s[2] != 0 || s[3] != 0) bad("bytes 2..3: reserved field is not 0");
  const uint64_t n = bytes::get_u32(s + 4);
  if (n != count)
    bad(fmt::format("byte 4: {} weights (expected {}, the tile's weight count)", n, count));
  info.nnz = bytes::get_u32(s + 8);
  if (f == WeightFormat::Packed && info.nnz != count)
    bad(fmt::format("byte 8: {} values in a packed stream of {} weights (expected {})", info.nnz,
                    count, count));
  if (info.nnz > count)
    bad(fmt::format("byte 8: {} non-zero values for {} weights (expected at most {})", info.nnz,
                    count, count));
  const uint64_t want = stream_bytes(f, count, info.nnz, info.bits);
  if (len < want)
    bad(fmt::format("{} bytes, shorter than the {} bytes its header declares ({} weights, {} "
                    "values at {} bits)",
                    len, want, count, info.nnz, info.bits));
  if (len > want)
    bad(fmt::format("{} bytes, {} more than the {} its header declares", len, len - want, want));
  const uint32_t crc = bytes::get_u32(s + 12);
  const uint32_t got = crc_of(s + kWeightStreamHeaderBytes, len - kWeightStreamHeaderBytes);
  if (crc != got)
    bad(fmt::format("byte 12: the header's CRC-32 {:#010x} does not match the payload's "
                    "{:#010x}: the stream is corrupt",
                    crc, got));
  const uint8_t* p = s + kWeightStreamHeaderBytes;
  if (f == WeightFormat::Packed) {
    const uint64_t vb = packed_bytes(count, info.bits);
    if (!tail_clear(p, vb, count * info.bits)) bad("padding bits after the last value are not 0");
    for (uint64_t i = 0; i < count; ++i) out[i] = field_at(p, i, info.bits);
    return info;
  }
  const uint64_t mb = (count + 7) / 8;
  if (!tail_clear(p, mb, count)) bad("padding bits after the mask are not 0");
  uint64_t pop = 0;
  for (uint64_t i = 0; i < mb; ++i) pop += static_cast<uint64_t>(__builtin_popcount(p[i]));
  if (pop != info.nnz)
    bad(fmt::format("the mask has {} set bits but the header declares {} non-zero values", pop,
                    info.nnz));
  const uint8_t* v = p + mb;
  const uint64_t vb = packed_bytes(info.nnz, info.bits);
  if (!tail_clear(v, vb, info.nnz * info.bits)) bad("padding bits after the last value are not 0");
  uint64_t j = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (p[i / 8] >> (i % 8) & 1) {
      out[i] = field_at(v, j++, info.bits);
      if (out[i] == 0) bad(fmt::format("value {} of weight {} is 0 where the mask says non-zero", j - 1, i));
    } else {
      out[i] = 0;
    }
  }
  return info;
}

}  // namespace savp::fw
