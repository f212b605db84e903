// Little-endian byte encoding shared by savp's binary file formats (firmware images,
// firmware/image.*; weights files, mapper/weights_file.*): fixed-width writes, 8-byte padding,
// and a bounds-checked reader whose every failure names the file and the byte offset.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace savp::fw::bytes {

inline uint64_t pad8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

inline void put_u32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void put_u64(std::vector<uint8_t>& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
inline void put_u32_at(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void put_u64_at(std::vector<uint8_t>& b, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void pad_to_8(std::vector<uint8_t>& b) {
  while (b.size() % 8) b.push_back(0);
}
inline uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// The first (up to) 8 bytes as text for a "bad magic" message: printable ASCII as is, other
// bytes as \xNN.
inline std::string quote_prefix(const uint8_t* data, size_t size) {
  std::string got;
  for (size_t j = 0; j < std::min<size_t>(size, 8); ++j)
    got += (data[j] >= 0x20 && data[j] < 0x7f) ? fmt::format("{:c}", char(data[j]))
                                               : fmt::format("\\x{:02x}", data[j]);
  return got;
}

// Throws the format's error type: "origin: byte offset: what".
using FailFn = void (*)(const std::string& origin, uint64_t offset, const std::string& what);

// Bounds-checked little-endian reader over [0, end) of a file body (everything before the
// trailer). `fail` must not return.
class Reader {
 public:
  Reader(const uint8_t* data, uint64_t end, const std::string& origin, FailFn fail)
      : d_(data), end_(end), origin_(origin), fail_(fail) {}
  uint64_t pos() const { return pos_; }
  uint64_t left() const { return end_ - pos_; }
  void need(uint64_t n, const std::string& what) const {
    if (n > left())
      fail_(origin_, pos_,
            fmt::format("{} needs {} bytes but only {} remain before the trailer", what, n,
                        left()));
  }
  uint32_t u32(const std::string& what) { return get_u32(bytes(4, what)); }
  uint64_t u64(const std::string& what) { return get_u64(bytes(8, what)); }
  const uint8_t* bytes(uint64_t n, const std::string& what) {
    need(n, what);
    pos_ += n;
    return d_ + pos_ - n;
  }
  void padding() {
    const uint64_t to = pad8(pos_);
    need(to - pos_, "padding");
    for (; pos_ < to; ++pos_)
      if (d_[pos_] != 0)
        fail_(origin_, pos_, fmt::format("padding byte is {:#04x} (expected 0)", d_[pos_]));
  }

 private:
  const uint8_t* d_;
  uint64_t end_;
  uint64_t pos_ = 0;
  const std::string& origin_;
  FailFn fail_;
};

}  // namespace savp::fw::bytes
