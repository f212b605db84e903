// Compute timing of one tile on a chunk's PE array, shared by the chunk models and the
// mapper's analytical cost model. No SystemC.
//
// A conv-like tile is a GEMM in SCALE-Sim's terms (Samajdar et al., "SCALE-Sim", 2018/2020):
// ofmap pixels (oh*ow), filters (k) and window (kh*kw*c), repeated `groups` times (a
// depthwise tile is c groups of one filter with a kh*kw window). The dataflow decides which
// dimensions map to the array rows (Sr), columns (Sc) and the streamed time dimension (T):
//   os: Sr = ofmap px, Sc = filters, T = window
//   ws: Sr = window,   Sc = filters, T = ofmap px
//   is: Sr = window,   Sc = ofmap px, T = filters
// and a fold of an R x C array takes fill + stream + drain cycles.
//
// With fold overlap (ChunkConfig::fold_overlap, os only) each PE hands its finished sum to a
// shadow register on its column's output chain and starts the next fold at once: consecutive
// folds of a tile (all groups) start max(T, R) cycles apart (T for the accumulator, R for the
// column's R outputs on one chain), and the tile pays the fill and drain once:
//   cycles = (folds - 1) * max(T, R) + R + C + T - 2.
#pragma once

#include <cstdint>

#include "common/hw_config.hpp"

namespace savp {

struct ConvDims {
  uint64_t ofmap_px = 1;
  uint64_t filters = 1;
  uint64_t window = 1;
  uint64_t groups = 1;
};

struct SystolicCost {
  uint64_t cycles = 0;          // compute cycles, fill and drain of every fold counted
  uint64_t folds = 0;           // array passes (all groups)
  uint64_t pe_ops = 0;          // useful accumulate steps: groups * px * filters * window
  uint64_t ifmap_reads = 0;     // operand elements read from the input buffer
  uint64_t filter_reads = 0;    // operand elements read from the weight buffer
  uint64_t ofmap_writes = 0;    // output elements written (per fold, partials included)
  double utilization = 0.0;     // pe_ops / (cycles * rows * cols)
};

SystolicCost systolic_cost(uint32_t rows, uint32_t cols, Dataflow df, const ConvDims& d,
                           bool fold_overlap = false);
// The chunk's array: rows, cols, dataflow and fold_overlap from its config. The chunk model,
// the cost model and the tiling search all call this one.
SystolicCost systolic_cost(const ChunkConfig& chunk, const ConvDims& d);

// Pooling / residual add on a chunk's vector unit: `lanes` elements per cycle, each output
// element needing `reads_per_elem` buffer reads (window size, or 2 for an add).
uint64_t vector_cycles(uint32_t lanes, uint64_t out_elems, uint64_t reads_per_elem);

// Weights of a compressed stream (issue 8) reach the array through the chunk's decompressor at
// the wbuf read port: every weight the array reads (SystolicCost::filter_reads) is decoded,
// d.weights_per_cycle per cycle, pipelined with the array after d.latency_cycles of fill. The
// tile takes the longer of the two streams plus the fill; dense tiles bypass the decoder.
struct DecompressCost {
  uint64_t cycles = 0;         // the tile's cycles with the decoder in the path
  uint64_t decode_cycles = 0;  // cycles the decoder is busy
  uint64_t stall_cycles = 0;   // cycles the decoder adds to the array's compute cycles
};
DecompressCost decompress_cost(const DecompressorConfig& d, uint64_t compute_cycles,
                               uint64_t weight_reads);

}  // namespace savp
