// Code generation (issue 3, "Mapping"): a quantized network to a firmware image that the
// platform runs, bit-exact with the reference executor (mapper/reference_executor.hpp).
//
// DRAM layout (every region 64-byte aligned): the instructions at 0, then the network input,
// every layer's output activations ([h][w][c] int8, one fw::OutputRegion per layer named after
// it; flatten aliases its input's region), then every conv / linear layer's weights, blocked
// per tile ([k block][c block] -> [kb][kh][kw][cb] contiguous, depthwise: [c][kh][kw]) and its
// int32 biases [k].
//
// Placement: a conv / linear layer runs on the first chunk whose kind is the layer's operator
// kind; pools and residual adds run on chunk 0's vector unit; flatten emits no code.
//
// Tiling: an output tile is a band of output rows (full width) x a block of output channels;
// the input channels are split (int32 partial sums in the obuf, out_partial / acc_load) only
// when a full-channel tile does not fit. Tile sizes minimise an estimate of DRAM traffic plus
// per-instruction overhead over the tiles that fit the chunk's ibuf, wbuf and obuf.
//
// Synchronisation (walked by hand; every token is consumed, none is left over):
//  - per step (loads + one COMPUTE): the step's last LOAD signals the chunk; the COMPUTE waits
//    it. A step after the first in a layer has its first LOAD wait the chunk (the previous
//    COMPUTE signalled load: it has finished reading the ibuf / wbuf).
//  - the COMPUTE that finishes an output tile signals store; the STORE waits it; a STORE that
//    is followed by another COMPUTE of the layer signals the chunk, and that next COMPUTE waits
//    it (the obuf is free again).
//  - between layers a BARRIER (the next layer reads the previous layer's output from DRAM);
//    double buffering and cross-layer pipelining are later work. The program ends with HALT.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/hw_config.hpp"
#include "firmware/image.hpp"
#include "mapper/quantized_network.hpp"

namespace savp::mapper {

struct LayerPlacement {
  std::string layer;
  int chunk = -1;  // -1: no code (flatten)
  uint64_t out_addr = 0;
  uint64_t out_bytes = 0;
  std::vector<uint64_t> instr_range;  // [first, last) instruction index
  // The tile chosen (conv / linear / pools / add): output rows per band, output channels per
  // block, input channels per step (== c: no split), and the buffer bytes the largest tile uses.
  uint32_t tile_rows = 0, tile_k = 0, tile_c = 0;
  uint64_t ibuf_bytes = 0, wbuf_bytes = 0, obuf_bytes = 0;
};

struct MappedNetwork {
  fw::Image image;
  std::vector<LayerPlacement> layers;  // indexed like q.net.layers
  uint64_t input_addr = 0;
};

// Throws savp::Error naming the layer when the platform lacks a chunk of its operator kind,
// when no tile fits (naming the smallest buffer size that would do), or for a grouped conv
// that is neither dense nor depthwise.
MappedNetwork generate(const QuantizedNetwork& q, const HwConfig& hw,
                       const std::vector<int8_t>& input);

}  // namespace savp::mapper
