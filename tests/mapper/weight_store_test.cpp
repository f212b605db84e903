// The mapper's weight storage choice (mapper/weight_store.hpp): the smallest true size among the
// formats the chunk decodes, exact per-block sizes, and forced formats a chunk cannot decode.
#include <gtest/gtest.h>

#include <vector>

#include "common/errors.hpp"
#include "firmware/weight_stream.hpp"
#include "mapper/weight_store.hpp"

namespace savp::mapper {
namespace {

ChunkConfig chunk_with(bool packed, bool bitmask, std::vector<uint32_t> bits) {
  ChunkConfig cc;
  cc.name = "mult0";
  cc.decompressor.packed = packed;
  cc.decompressor.bitmask = bitmask;
  cc.decompressor.packed_bits = bits;
  return cc;
}

Layer conv(WeightStorage f = WeightStorage::Auto) {
  Layer l;
  l.name = "c";
  l.weight_format = f;
  return l;
}

// k = 4 filters x 3 taps x c = 8 channels, values in [-8, 7], every other weight zero.
std::vector<int8_t> half_sparse_4bit() {
  std::vector<int8_t> w(4 * 3 * 8);
  for (size_t i = 0; i < w.size(); ++i) w[i] = i % 2 ? 0 : static_cast<int8_t>(int(i % 15) - 7);
  return w;
}

TEST(WeightStore, AutoPicksTheSmallestTrueSize) {
  const std::vector<int8_t> w = half_sparse_4bit();  // 96 weights, 48 non-zero (i even, != 7)
  uint64_t nnz = fw::count_nonzero(w.data(), w.size());
  // Dense 96; packed at 4 bits 16 + 48 = 64; bitmask 16 + 12 + ceil(nnz * 4 / 8).
  const WeightStore all(conv(), w, false, 4, 8, 3, chunk_with(true, true, {2, 4, 8}), "c");
  EXPECT_EQ(all.format(), fw::WeightFormat::Bitmask);
  EXPECT_EQ(all.bits(), 4);
  EXPECT_EQ(all.total_bytes(4, 8), 16 + 12 + (nnz * 4 + 7) / 8);
  const WeightStore packed_only(conv(), w, false, 4, 8, 3, chunk_with(true, false, {2, 4, 8}),
                                "c");
  EXPECT_EQ(packed_only.format(), fw::WeightFormat::Packed);
  EXPECT_EQ(packed_only.total_bytes(4, 8), 64u);
  // Only 8-bit packing: 16 + 96 > 96 dense, so dense wins.
  const WeightStore wide(conv(), w, false, 4, 8, 3, chunk_with(true, false, {8}), "c");
  EXPECT_EQ(wide.format(), fw::WeightFormat::Dense);
  const WeightStore none(conv(), w, false, 4, 8, 3, ChunkConfig{}, "c");
  EXPECT_EQ(none.format(), fw::WeightFormat::Dense);
  EXPECT_EQ(none.total_bytes(2, 4), 96u);
}

TEST(WeightStore, BlockSizesAreTheEncodedSizes) {
  const std::vector<int8_t> w = half_sparse_4bit();
  const WeightStore s(conv(), w, false, 4, 8, 3, chunk_with(true, true, {2, 4, 8}), "c");
  uint64_t total = 0, biggest = 0;
  for (uint64_t k0 = 0; k0 < 4; k0 += 3)
    for (uint64_t c0 = 0; c0 < 8; c0 += 5) {
      const uint64_t nk = std::min<uint64_t>(3, 4 - k0), nc = std::min<uint64_t>(5, 8 - c0);
      const std::vector<uint8_t> b = s.encode_block(k0, nk, c0, nc);
      EXPECT_EQ(b.size(), s.block_bytes(k0, nk, c0, nc));
      // The block decodes to the weights in the tile layout [k][tap][c of the block].
      std::vector<int8_t> out(nk * 3 * nc);
      fw::decode_weights(s.format(), b.data(), b.size(), out.size(), out.data());
      for (uint64_t kk = 0; kk < nk; ++kk)
        for (uint64_t t = 0; t < 3; ++t)
          for (uint64_t cc = 0; cc < nc; ++cc)
            ASSERT_EQ(out[(kk * 3 + t) * nc + cc], w[((k0 + kk) * 3 + t) * 8 + c0 + cc]);
      total += b.size();
      biggest = std::max<uint64_t>(biggest, b.size());
    }
  EXPECT_EQ(s.total_bytes(3, 5), total);
  EXPECT_EQ(s.max_block_bytes(3, 5), biggest);
}

TEST(WeightStore, DepthwiseBlocksAreChannelRanges) {
  std::vector<int8_t> w(6 * 9, 0);
  for (size_t i = 0; i < w.size(); i += 3) w[i] = -3;  // 18 non-zero, 3 bits
  const WeightStore s(conv(WeightStorage::Packed), w, true, 6, 6, 9, chunk_with(true, true, {3}),
                      "c");
  EXPECT_EQ(s.format(), fw::WeightFormat::Packed);
  EXPECT_EQ(s.bits(), 3);
  EXPECT_EQ(s.block_bytes(0, 2, 0, 2), 16u + (18 * 3 + 7) / 8);  // 2 channels x 9 taps
  EXPECT_EQ(s.encode_block(2, 2, 2, 2).size(), s.block_bytes(2, 2, 2, 2));
}

TEST(WeightStore, ForcedFormatsTheChunkCannotDecodeAreErrors) {
  const std::vector<int8_t> w = half_sparse_4bit();
  EXPECT_THROW(WeightStore(conv(WeightStorage::Bitmask), w, false, 4, 8, 3,
                           chunk_with(true, false, {4}), "c"),
               ConfigError);
  EXPECT_THROW(WeightStore(conv(WeightStorage::Packed), w, false, 4, 8, 3,
                           chunk_with(true, false, {2}), "c"),
               ConfigError);
  // Forced dense always works, even where compression would be smaller.
  EXPECT_EQ(WeightStore(conv(WeightStorage::Dense), w, false, 4, 8, 3,
                        chunk_with(true, true, {4}), "c")
                .format(),
            fw::WeightFormat::Dense);
}

}  // namespace
}  // namespace savp::mapper
