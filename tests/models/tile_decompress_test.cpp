// A COMPUTE with compressed weights (issue 8) on the chunk's tile kernels: the decoder at the wbuf
// read port gives the same outputs as the dense tile, its timing and wbuf traffic, and faults on
// a bad stream or a format the chunk does not decode.
#include <gtest/gtest.h>

#include <vector>

#include "common/errors.hpp"
#include "common/tile_timing.hpp"
#include "firmware/isa.hpp"
#include "firmware/weight_stream.hpp"
#include "models/chunk/tile_kernels.hpp"

namespace savp::chunk {
namespace {

ChunkConfig cfg_with_decoder() {
  ChunkConfig c;
  c.name = "mult0";
  c.kind = OpKind::Mult;
  c.rows = c.cols = 4;
  c.weight_bits = {4, 8};
  c.ibuf.capacity_bytes = c.wbuf.capacity_bytes = c.obuf.capacity_bytes = 4096;
  c.decompressor.packed = c.decompressor.bitmask = true;
  c.decompressor.packed_bits = {2, 4, 8};
  c.decompressor.weights_per_cycle = 2;  // slow enough to pace the array
  c.decompressor.latency_cycles = 3;
  return c;
}

// A 3x3 conv, 4 in / 4 out channels, 4x4 output, with 4-bit weights, half zero.
struct Case {
  std::vector<int8_t> w;
  isa::ComputeArgs a;
  Case() {
    w.resize(4 * 9 * 4);
    for (size_t i = 0; i < w.size(); ++i) w[i] = i % 2 ? 0 : static_cast<int8_t>(int(i % 13) - 6);
    a.k = 4, a.c = 4, a.oh = 4, a.ow = 4, a.ih = 4, a.iw = 4, a.kh = 3, a.kw = 3;
    a.pad_t = a.pad_l = 1, a.wbits = 4, a.multiplier = 1 << 20, a.shift = 24;
    a.in = 0, a.w = 0, a.bias = 1024, a.out = 0;
  }
};

std::vector<uint8_t> run(const ChunkConfig& cfg, const isa::Instruction& in,
                         const std::vector<uint8_t>& wbuf_bytes) {
  std::vector<uint8_t> i(4096), w(4096, 0), o(4096, 0);
  for (size_t n = 0; n < 64; ++n) i[n] = static_cast<uint8_t>(n * 7 % 23);
  std::copy(wbuf_bytes.begin(), wbuf_bytes.end(), w.begin());
  execute_tile(cfg, in, TileBuffers{{i.data(), i.size()}, {w.data(), w.size()}, {o.data(), o.size()}});
  return {o.begin(), o.begin() + 64};
}

TEST(TileDecompress, SameOutputsAsTheDenseTileAndItsTiming) {
  const ChunkConfig cfg = cfg_with_decoder();
  Case k;
  const std::vector<uint8_t> dense(reinterpret_cast<const uint8_t*>(k.w.data()),
                                   reinterpret_cast<const uint8_t*>(k.w.data()) + k.w.size());
  const isa::Instruction d = isa::make_compute(0, k.a);
  const std::vector<uint8_t> want = run(cfg, d, dense);
  for (fw::WeightFormat f : {fw::WeightFormat::Packed, fw::WeightFormat::Bitmask}) {
    const std::vector<uint8_t> s = fw::encode_weights(f, 4, k.w.data(), k.w.size());
    isa::ComputeArgs a = k.a;
    a.wfmt = static_cast<uint32_t>(f), a.wlen = static_cast<uint32_t>(s.size());
    const isa::Instruction c = isa::make_compute(0, a);
    EXPECT_EQ(run(cfg, c, s), want) << fw::to_string(f);
    // Timing: the array's os cycles vs the decoder's filter_reads / 2 per cycle, + 3 fill.
    const TileCost dc = tile_cost(cfg, d), cc = tile_cost(cfg, c);
    const SystolicCost sc =
        systolic_cost(4, 4, Dataflow::OutputStationary, ConvDims{16, 4, 36, 1});
    EXPECT_EQ(dc.cycles, sc.cycles);
    EXPECT_EQ(cc.cycles, std::max(sc.cycles, (sc.filter_reads + 1) / 2) + 3);
    EXPECT_EQ(cc.decompress_weights, sc.filter_reads);
    // The wbuf delivers the stream's bytes: wlen per 144 weights read, + the biases.
    EXPECT_EQ(cc.wbuf_read_bytes, (sc.filter_reads * s.size() + 143) / 144 + 16);
    EXPECT_LT(cc.wbuf_read_bytes, dc.wbuf_read_bytes);
  }
}

TEST(TileDecompress, BadStreamsAndUnsupportedFormatsFault) {
  ChunkConfig cfg = cfg_with_decoder();
  Case k;
  std::vector<uint8_t> s = fw::encode_weights(fw::WeightFormat::Packed, 4, k.w.data(), k.w.size());
  isa::ComputeArgs a = k.a;
  a.wfmt = 1, a.wlen = static_cast<uint32_t>(s.size());
  s[30] ^= 0x04;
  EXPECT_THROW(run(cfg, isa::make_compute(0, a), s), SimulationError);
  s[30] ^= 0x04;
  a.wlen -= 1;  // shorter than declared
  EXPECT_THROW(run(cfg, isa::make_compute(0, a), s), SimulationError);
  a.wlen += 1;
  cfg.decompressor.packed_bits = {2, 8};  // 4-bit values it cannot decode
  EXPECT_THROW(run(cfg, isa::make_compute(0, a), s), SimulationError);
  cfg.decompressor.packed = false;  // a format it does not have: check_tile refuses
  EXPECT_THROW(check_tile(cfg, isa::make_compute(0, a)), SimulationError);
}

}  // namespace
}  // namespace savp::chunk
