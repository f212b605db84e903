#include "mapper/weight_store.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/errors.hpp"

namespace savp::mapper {

namespace {

std::string formats_of(const DecompressorConfig& d) {
  std::string s = "dense";
  if (d.packed) s += ", packed";
  if (d.bitmask) s += ", bitmask";
  return s;
}

std::string bits_of(const DecompressorConfig& d) {
  std::string s;
  for (uint32_t b : d.packed_bits) s += (s.empty() ? "" : ", ") + std::to_string(b);
  return s.empty() ? "none" : s;
}

}  // namespace

WeightStore::WeightStore(const Layer& l, const std::vector<int8_t>& weights, bool depthwise,
                         uint64_t k, uint64_t c, uint64_t taps, const ChunkConfig& cc,
                         const std::string& what)
    : weights_(weights), depthwise_(depthwise), k_(k), c_(c), taps_(taps) {
  cdim_ = depthwise_ ? 1 : c_;
  if (weights_.size() != k_ * taps_ * cdim_)
    throw Error(fmt::format("{}: {} weights, expected {}", what, weights_.size(),
                            k_ * taps_ * cdim_));
  prefix_.assign((k_ + 1) * (cdim_ + 1), 0);
  for (uint64_t kk = 0; kk < k_; ++kk)
    for (uint64_t cc2 = 0; cc2 < cdim_; ++cc2) {
      uint64_t z = 0;
      for (uint64_t t = 0; t < taps_; ++t)
        z += weights_[depthwise_ ? kk * taps_ + t : (kk * taps_ + t) * c_ + cc2] != 0;
      prefix_[(kk + 1) * (cdim_ + 1) + cc2 + 1] = z + prefix_[kk * (cdim_ + 1) + cc2 + 1] +
                                                  prefix_[(kk + 1) * (cdim_ + 1) + cc2] -
                                                  prefix_[kk * (cdim_ + 1) + cc2];
    }
  nnz_total_ = prefix_.back();

  const DecompressorConfig& d = cc.decompressor;
  const int need = fw::value_bits(weights_.data(), weights_.size());
  int bits = 0;
  for (uint32_t b : d.packed_bits)
    if (static_cast<int>(b) >= need) {
      bits = static_cast<int>(b);
      break;
    }
  auto usable = [&](fw::WeightFormat f) {
    return (f == fw::WeightFormat::Packed ? d.packed : d.bitmask) && bits > 0;
  };
  const uint64_t n = weights_.size();
  switch (l.weight_format) {
    case WeightStorage::Dense:
      format_ = fw::WeightFormat::Dense;
      break;
    case WeightStorage::Packed:
    case WeightStorage::Bitmask: {
      const fw::WeightFormat f = l.weight_format == WeightStorage::Packed
                                     ? fw::WeightFormat::Packed
                                     : fw::WeightFormat::Bitmask;
      // A network description error: file:line:column of the layer's weight_format.
      const FieldSource src = l.source("weight_format");
      if (!(f == fw::WeightFormat::Packed ? d.packed : d.bitmask))
        throw ConfigError(src.location, src.path,
                          fmt::format("{}: weight_format '{}' is not supported by chunk '{}'",
                                      what, fw::to_string(f), cc.name),
                          formats_of(d) + ", auto");
      if (bits == 0)
        throw ConfigError(src.location, src.path,
                          fmt::format("{}: weight_format '{}': its weights need {} bits but chunk "
                                      "'{}' packs only {}-bit values",
                                      what, fw::to_string(f), need, cc.name, bits_of(d)),
                          "dense, auto, or a decompressor with wider packed_bits");
      format_ = f;
      break;
    }
    case WeightStorage::Auto: {
      format_ = fw::WeightFormat::Dense;
      uint64_t best = n;
      for (fw::WeightFormat f : {fw::WeightFormat::Packed, fw::WeightFormat::Bitmask})
        if (usable(f) && fw::stream_bytes(f, n, nnz_total_, bits) < best) {
          best = fw::stream_bytes(f, n, nnz_total_, bits);
          format_ = f;
        }
      break;
    }
  }
  bits_ = compressed() ? bits : 8;
}

uint64_t WeightStore::nnz(uint64_t k0, uint64_t nk, uint64_t c0, uint64_t nc) const {
  if (depthwise_) c0 = 0, nc = 1;
  const uint64_t w = cdim_ + 1, k1 = k0 + nk, c1 = c0 + nc;
  return prefix_[k1 * w + c1] - prefix_[k0 * w + c1] - prefix_[k1 * w + c0] + prefix_[k0 * w + c0];
}

uint64_t WeightStore::block_bytes(uint64_t k0, uint64_t nk, uint64_t c0, uint64_t nc) const {
  const uint64_t count = nk * taps_ * (depthwise_ ? 1 : nc);
  return fw::stream_bytes(format_, count, nnz(k0, nk, c0, nc), bits_);
}

uint64_t WeightStore::max_block_bytes(uint64_t kb, uint64_t cb) const {
  uint64_t m = 0;
  const uint64_t cstep = depthwise_ ? c_ : cb;
  for (uint64_t k0 = 0; k0 < k_; k0 += kb)
    for (uint64_t c0 = 0; c0 < c_; c0 += cstep)
      m = std::max(m, block_bytes(k0, std::min(kb, k_ - k0), c0, std::min(cstep, c_ - c0)));
  return m;
}

uint64_t WeightStore::total_bytes(uint64_t kb, uint64_t cb) const {
  uint64_t s = 0;
  const uint64_t cstep = depthwise_ ? c_ : cb;
  for (uint64_t k0 = 0; k0 < k_; k0 += kb)
    for (uint64_t c0 = 0; c0 < c_; c0 += cstep)
      s += block_bytes(k0, std::min(kb, k_ - k0), c0, std::min(cstep, c_ - c0));
  return s;
}

std::vector<uint8_t> WeightStore::encode_block(uint64_t k0, uint64_t nk, uint64_t c0,
                                               uint64_t nc) const {
  std::vector<int8_t> b;
  if (depthwise_) {
    b.assign(weights_.begin() + static_cast<std::ptrdiff_t>(k0 * taps_),
             weights_.begin() + static_cast<std::ptrdiff_t>((k0 + nk) * taps_));
  } else {
    b.reserve(nk * taps_ * nc);
    for (uint64_t kk = k0; kk < k0 + nk; ++kk)
      for (uint64_t t = 0; t < taps_; ++t) {
        const int8_t* src = weights_.data() + (kk * taps_ + t) * c_ + c0;
        b.insert(b.end(), src, src + nc);
      }
  }
  return fw::encode_weights(format_, bits_, b.data(), b.size());
}

double WeightStore::ratio() const {
  const uint64_t n = weights_.size();
  return n == 0 ? 1.0
                : static_cast<double>(fw::stream_bytes(format_, n, nnz_total_, bits_)) /
                      static_cast<double>(n);
}

}  // namespace savp::mapper
