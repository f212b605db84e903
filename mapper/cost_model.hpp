// Analytical cost model (issue 3, "Correctness"): predicts each layer's cycles for the firmware
// the code generator emits today, without SystemC, so a NAS can evaluate many mappings fast.
//
// The model replays the layer's instruction stream (MappedNetwork::image.code over the
// LayerPlacement's instr_range) on three timelines (dma_load, dma_store, the layer's chunk),
// honouring the same dependency tokens and barriers the controller does: each engine runs its
// instructions in order, an instruction starts when its engine is free and every token it
// waits for was signalled, a BARRIER starts when every engine is idle. With the codegen's
// token chain that is: per tile the loads, then the COMPUTE, then the STORE, one after the
// other; the STORE of a tile overlaps the next tile's loads; a barrier between layers.
//
// Instruction durations:
//  COMPUTE: savp::systolic_cost() (conv / dwconv) or savp::vector_cycles() (pools, add) with
//    the chunk's rows, cols, dataflow and fold_overlap, decoded exactly as chunk::tile_cost()
//    does; a tile with compressed weights (wfmt != dense) takes savp::decompress_cost() (the
//    chunk's decompressor paces the weights into the array). LOADs move the streams' true bytes.
//  LOAD / STORE: dma.setup_cycles + one transfer latency + bursts x burst time, where
//    - the transfer is split into bursts of at most dma.burst_bytes at burst-aligned
//      boundaries (per row), as the DMA engine does; a burst occupies the DRAM for at least one
//      DRAM column command (dram.burst_bytes() per channel-interleaved burst);
//    - the burst time is its bytes / min(DRAM peak bytes per core cycle, interconnect
//      width_bytes), but at least latency / dma.max_outstanding (the outstanding-burst limit);
//    - the latency = 4 interconnect hops (request and response of the read and of the write)
//      + the DRAM access (tRCD + CL + BL / data_rate for a read, tRCD + CWL + BL / data_rate
//      for a write) in core cycles.
//  BARRIER: controller dispatch_cycles; the controller's fetch is not modelled.
//
// Roofline per layer: max(PE ops / (rows x cols) of its chunk — vector element steps / cols
// lanes for pools and adds —, DRAM bytes its DMA instructions move / DRAM peak bytes per core
// cycle).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/hw_config.hpp"
#include "mapper/codegen.hpp"
#include "mapper/quantized_network.hpp"

namespace savp::mapper {

struct LayerPrediction {
  std::string layer;
  int chunk = -1;                 // -1: no code (flatten)
  uint64_t predicted_cycles = 0;  // from the layer's first instruction start to its last finish
  uint64_t compute_cycles = 0;    // sum of its COMPUTE durations
  uint64_t dma_cycles = 0;        // sum of its LOAD / STORE durations (they may overlap)
  uint64_t roofline_cycles = 0;   // max(compute_bound_cycles, memory_bound_cycles)
  uint64_t compute_bound_cycles = 0;
  uint64_t memory_bound_cycles = 0;
  uint64_t pe_ops = 0;            // conv accumulate steps, or vector element steps
  uint64_t dram_bytes = 0;        // bytes its DMA instructions move
};

// DRAM peak bandwidth in bytes per core cycle.
double dram_bytes_per_cycle(const HwConfig& hw);
// Predicted duration of one LOAD / STORE instruction in core cycles (rules above).
uint64_t dma_cycles(const HwConfig& hw, const isa::Instruction& in);
// Predicted duration of one COMPUTE instruction on chunk `cc`, and its PE (or vector) ops.
uint64_t compute_cycles(const ChunkConfig& cc, const isa::Instruction& in, uint64_t* ops = nullptr);

// One prediction per layer of q.net (indexed like m.layers).
std::vector<LayerPrediction> predict(const MappedNetwork& m, const QuantizedNetwork& q,
                                     const HwConfig& hw);

}  // namespace savp::mapper
