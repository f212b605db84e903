// What one COMPUTE instruction does on a chunk, without SystemC: its cost on the chunk's PE array
// and vector unit (tile_cost), its legality on the chunk (check_tile), and its functional
// execution on the chunk's buffers with the one arithmetic of common/arith.hpp (execute_tile).
// Used by the SystemC chunk model (models/chunk/chunk.hpp).
#pragma once

#include <cstdint>

#include "common/hw_config.hpp"
#include "firmware/isa.hpp"

namespace savp::chunk {

struct BufferView {
  uint8_t* data = nullptr;
  uint64_t size = 0;
};

struct TileBuffers {
  BufferView ibuf, wbuf, obuf;
};

struct TileCost {
  uint64_t cycles = 0;      // compute cycles of the tile on this chunk
  uint64_t pe_ops = 0;      // accumulate steps (or vector element ops for pool/add)
  uint64_t vector_ops = 0;  // pooling compares/adds, residual adds, requantizations
  uint64_t ibuf_read_bytes = 0, wbuf_read_bytes = 0, obuf_read_bytes = 0, obuf_write_bytes = 0;
  double utilization = 0.0;  // PE array (conv) or vector lanes (pool/add) busy fraction
  // Compressed weights (wfmt != dense): weights decoded, decoder busy cycles, and the cycles
  // the decoder adds to the array's (common/tile_timing.hpp decompress_cost).
  uint64_t decompress_weights = 0, decompress_cycles = 0, decompress_stall_cycles = 0;
  // Fold overlap (ChunkConfig::fold_overlap): finished sums handed to the PEs' shadow registers
  // (the tile's real outputs; padded PEs of a partial fold are clock-gated).
  uint64_t shadow_writes = 0;
};

// Cost of a COMPUTE instruction on the chunk.
//  conv / dwconv: savp::systolic_cost() with the chunk's rows, cols, dataflow and fold_overlap
//    (a depthwise tile is c groups of one filter with a kh*kw window). Requantization runs on
//    the chunk's cols-lane vector unit as outputs leave the array; the array never emits more
//    than one output per column per cycle (with fold overlap too: folds start at least R
//    cycles apart), so it keeps up and adds no cycles (counted in vector_ops).
//  maxpool / avgpool / add: savp::vector_cycles() with cols lanes (kh*kw reads per output for
//    a pool, 2 for an add); avgpool and add requantize in the same pass.
//  Bytes: operand reads are the systolic ifmap/filter read counts (one byte each) plus the bias
//    (4 bytes per filter unless no_bias/acc_load); the final outputs are written once (1 byte,
//    or 4 with out_partial); partial sums of the extra row folds of ws/is (ofmap_writes beyond
//    one per output) are read-modify-written as int32 in the obuf; acc_load reads 4 bytes per
//    output.
TileCost tile_cost(const ChunkConfig& cfg, const isa::Instruction& in);

// Throws savp::SimulationError if the instruction is not a well-formed COMPUTE (isa::validate),
// its operands do not fit in the chunk's buffers (message: which operand, its byte range
// [a, b), the buffer and its capacity), its kind differs from cfg.kind (conv/dwconv), its wbits
// is not one of cfg.weight_bits (conv/dwconv), it sets acc_load/out_partial on a pool or add,
// or a max-pool window lies entirely in the padding.
void check_tile(const ChunkConfig& cfg, const isa::Instruction& in);

// Executes the tile on the buffers (layouts in firmware/isa.hpp). Conv input coordinates are
// iy = oy*stride - pad_t + ky, ix = ox*stride - pad_l + kx; outside [0,ih) x [0,iw) the input is
// zero (so an adder PE adds -|w| there, as AdderNet does on a zero-padded input); pools skip
// out-of-bounds elements. Flags: relu, acc_load (start from int32 partials at acc instead of
// the bias), out_partial (write int32 partials to acc, no requantization, relu ignored), no_bias
// (start from 0). Calls check_tile first; also throws if a BufferView is smaller than the
// operand range it must hold.
void execute_tile(const ChunkConfig& cfg, const isa::Instruction& in, const TileBuffers& b);

}  // namespace savp::chunk
