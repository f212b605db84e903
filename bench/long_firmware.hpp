// A long firmware for speed measurements: `tiles` conv tiles on chunk 0, double-buffered
// (VTA-style tokens): load tile i+1 into one ibuf half while tile i computes from the other
// and tile i-1 is stored from the other obuf half.
#pragma once

#include "firmware/address_map.hpp"
#include "firmware/image.hpp"
#include "firmware/isa.hpp"

namespace savp::bench {

inline fw::Image long_firmware(int tiles) {
  using isa::Opcode;
  const int H = 8, W = 8, C = 64, K = 16;  // a 1x1 conv tile: 4 KiB in, 1 KiB out
  const uint32_t in_bytes = H * W * C, out_bytes = H * W * K, w_bytes = K * C;
  const int load = isa::kEngineLoad, store = isa::kEngineStore, ch = isa::chunk_engine(0);
  const uint64_t ib = amap::chunk_buffer_base(0, amap::ChunkBuffer::Ibuf);
  const uint64_t wb = amap::chunk_buffer_base(0, amap::ChunkBuffer::Wbuf);
  const uint64_t ob = amap::chunk_buffer_base(0, amap::ChunkBuffer::Obuf);
  // Data above the code (64 bytes per instruction, about 3 per tile).
  const uint64_t w_dram = 0x1000'0000, in_dram = w_dram + 0x10000;
  const uint64_t out_dram = in_dram + static_cast<uint64_t>(tiles) * in_bytes;
  fw::Image img;
  img.segments.push_back({w_dram, std::vector<uint8_t>(w_bytes, 1)});
  img.segments.push_back({in_dram, std::vector<uint8_t>(static_cast<size_t>(tiles) * in_bytes, 2)});
  auto tok = [](isa::Instruction in, uint32_t wait, uint32_t signal) {
    in.set(isa::kWaitMask, wait);
    in.set(isa::kSignalMask, signal);
    return in;
  };
  auto load_tile = [&](int i) {
    uint32_t wait = i >= 2 ? 1u << ch : 0;  // the ibuf half is free again
    return tok(isa::make_dma(Opcode::Load, in_dram + static_cast<uint64_t>(i) * in_bytes,
                             ib + (i % 2) * in_bytes, 1, in_bytes, 0, 0),
               wait, 1u << ch);
  };
  img.code.push_back(tok(isa::make_dma(Opcode::Load, w_dram, wb, 1, w_bytes, 0, 0), 0, 1u << ch));
  img.code.push_back(load_tile(0));
  for (int i = 0; i < tiles; ++i) {
    if (i + 1 < tiles) img.code.push_back(load_tile(i + 1));
    isa::ComputeArgs a;  // a mult (kind 0) conv tile
    a.k = K, a.c = C, a.oh = H, a.ow = W, a.ih = H, a.iw = W;
    a.multiplier = 1, a.shift = 8, a.flags = isa::kFlagNoBias;
    a.in = (i % 2) * in_bytes;
    a.out = (i % 2) * out_bytes;
    isa::Instruction c = isa::make_compute(0, a);
    // Wait for the input (and, first, the weights); wait for a free obuf half from tile 2 on.
    uint32_t wait = (1u << load) | (i >= 2 ? 1u << store : 0);
    if (i == 0) {
      // The weights' token: a separate nop pops it before the first compute.
      img.code.push_back(tok(isa::make_sync(Opcode::Nop, ch), 1u << load, 0));
    }
    img.code.push_back(tok(c, wait, (1u << load) | (1u << store)));
    img.code.push_back(tok(isa::make_dma(Opcode::Store, ob + (i % 2) * out_bytes,
                                         out_dram + static_cast<uint64_t>(i) * out_bytes, 1,
                                         out_bytes, 0, 0),
                           1u << ch, 1u << ch));
  }
  img.code.push_back(isa::make_sync(Opcode::Halt));
  img.outputs.push_back({"out", out_dram, static_cast<uint64_t>(tiles) * out_bytes, {}});
  return img;
}

}  // namespace savp::bench
