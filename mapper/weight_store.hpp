// How one conv / linear layer's weights are stored in the firmware image (issue 8): dense, or
// compressed streams (firmware/weight_stream.hpp) that the chunk decodes at its wbuf read port.
//
// The format is the layer's `weight_format` (network description) or, for `auto`, the one with
// the smallest true size of the layer's actual weights among those the chunk's decompressor
// decodes (dense always; packed / bitmask when listed in its `decompressor.formats`), each
// layer's weights taken as one stream; ties go to dense. The value width of packed / bitmask is
// the smallest of the decompressor's `packed_bits` that holds every weight of the layer
// (fw::value_bits), e.g. 4-bit weights in [-8, 7] pack at 4 bits, 5-bit shift weights at 5
// when the shift chunk lists 5, else at the next width it lists.
//
// Every weight block the tiling loads (out channels [k0, k0 + nk) x in channels [c0, c0 + nc),
// every tap; depthwise: channels [k0, k0 + nk)) is its own stream, so its size is exact:
// block_bytes() counts the block's non-zero weights from a prefix-sum table, without encoding.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/hw_config.hpp"
#include "firmware/weight_stream.hpp"
#include "mapper/network.hpp"

namespace savp::mapper {

class WeightStore {
 public:
  // weights: the layer's weights, [k][taps][c] (depthwise: [c][taps], k == c). `what` names the
  // layer in errors. Throws savp::Error naming the layer, the chunk and what it supports when
  // the forced format is one the chunk's decompressor does not decode, or its packed widths
  // hold none of the layer's weights.
  WeightStore(const Layer& l, const std::vector<int8_t>& weights, bool depthwise, uint64_t k,
              uint64_t c, uint64_t taps, const ChunkConfig& cc, const std::string& what);

  fw::WeightFormat format() const { return format_; }
  bool compressed() const { return format_ != fw::WeightFormat::Dense; }
  int bits() const { return bits_; }  // value width of packed / bitmask (8 for dense)
  uint64_t raw_bytes() const { return weights_.size(); }
  uint64_t nonzero() const { return nnz_total_; }

  // Exact bytes of the stream of one block (dense: its weight count).
  uint64_t block_bytes(uint64_t k0, uint64_t nk, uint64_t c0, uint64_t nc) const;
  // The largest block, and the sum over all blocks, of a tiling into kb x cb blocks.
  uint64_t max_block_bytes(uint64_t kb, uint64_t cb) const;
  uint64_t total_bytes(uint64_t kb, uint64_t cb) const;
  // The block's weights in the tile layout ([k][taps][c] of the block; depthwise [c][taps]),
  // encoded in the layer's format.
  std::vector<uint8_t> encode_block(uint64_t k0, uint64_t nk, uint64_t c0, uint64_t nc) const;
  // Stored / raw bytes of the whole layer as one stream (the wbuf read estimate's ratio).
  double ratio() const;

 private:
  uint64_t nnz(uint64_t k0, uint64_t nk, uint64_t c0, uint64_t nc) const;
  std::vector<int8_t> weights_;
  bool depthwise_;
  uint64_t k_, c_, taps_, cdim_;
  std::vector<uint64_t> prefix_;  // (k_ + 1) x (cdim_ + 1) non-zero counts
  uint64_t nnz_total_ = 0;
  fw::WeightFormat format_ = fw::WeightFormat::Dense;
  int bits_ = 8;
};

}  // namespace savp::mapper
