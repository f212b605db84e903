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
// Double buffering (TVM VTA's load / compute / store pipeline; firmware/examples/
// double_buffer.s): a layer with several steps whose tiles fit half of every buffer (ibuf, wbuf,
// obuf; each half 64-byte aligned) at an estimated cost not much above the whole-buffer tiling
// uses two halves: step s loads its input into ibuf half s % 2 and its weights into wbuf half
// (split ? s : output-channel block) % 2; output tile j accumulates and stores from obuf half
// j % 2. Then the loads of step s+1 run while step s computes and tile j-1 stores.
// Otherwise single buffering (every "half" at offset 0, lag 1 below).
//
// Synchronisation, with lag L = 2 (double) or 1 (single); N steps, T output tiles per layer;
// no NOPs (the cost model skips them), the first L steps / tiles simply do not wait:
//  - load -> chunk (RAW, input / weights in): the last LOAD of step s signals; COMPUTE s
//    waits. Pushed N, popped N, in order, so COMPUTE s pops LOAD s's token.
//  - chunk -> load (WAR, ibuf / wbuf half free): COMPUTE s signals iff s + L < N; the first
//    LOAD of step s waits iff s >= L. Pushed N - L (computes 0..N-L-1), popped N - L (steps
//    L..N-1), in order, so step s's first LOAD pops COMPUTE s-L's token: the last compute that
//    read the halves step s overwrites (weights of block kbi: block kbi-2's last step is at most
//    s-2; the chunk runs in order, so every earlier compute has finished too).
//  - chunk -> store (RAW, tile out): the COMPUTE that finishes tile j signals; STORE j waits.
//    Pushed T, popped T.
//  - store -> chunk (WAR, obuf half free): STORE j signals iff j + L < T; the first COMPUTE of
//    tile j waits iff j >= L. Pushed T - L, popped T - L; tile j pops STORE j-L's token.
//  No deadlock: every wait names an instruction earlier in program order (LOAD s: COMPUTE s-L;
//  COMPUTE s: LOAD s, STORE j-L; STORE j: the compute of tile j), and the controller dispatches
//  in program order, so full engine queues cannot block a token's producer either.
//  Every channel is back at zero at the end of each layer; a BARRIER separates layers (the next
//  layer reads the previous layer's output from DRAM); cross-layer pipelining is later work.
//  Residual adds keep single buffering. The program ends with HALT.
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
  bool double_buffered = false;  // tiles in buffer halves, loads overlapping compute
};

struct MappedNetwork {
  fw::Image image;
  std::vector<LayerPlacement> layers;  // indexed like q.net.layers
  uint64_t input_addr = 0;
};

// What the tiling search minimises (savp run / map --objective).
enum class Objective : uint8_t { Latency = 0, Energy = 1, Edp = 2 };
const char* to_string(Objective o);            // "latency", "energy", "edp"
Objective parse_objective(const std::string& s);  // throws savp::Error listing the allowed values

struct MapOptions {
  Objective objective = Objective::Latency;
  // Inputs mapped into one image (--batch N); layers on different chunk kinds run pipelined
  // over the batch.
  uint32_t batch = 1;
};

// Throws savp::Error naming the layer when the platform lacks a chunk of its operator kind,
// when no tile fits (naming the smallest buffer size that would do), or for a grouped conv
// that is neither dense nor depthwise.
MappedNetwork generate(const QuantizedNetwork& q, const HwConfig& hw,
                       const std::vector<int8_t>& input, const MapOptions& opt = {});

}  // namespace savp::mapper
