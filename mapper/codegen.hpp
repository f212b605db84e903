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
// kind (or its config-allowed fallback kind: mapper/fallback.hpp), split across every further
// chunk of that kind with the same array and buffers (contiguous shares of the output tiles:
// by output-channel blocks, or by row bands when there are fewer blocks than chunks; each share
// loads the inputs and weights it needs itself); pools and residual adds run on chunk 0's
// vector unit; flatten emits no code.
//
// Batch (NASA's chunk pipeline): N inputs in one image, each with its own input and output
// regions. Pipeline stage s (stages separated by a BARRIER) runs layer j of input s - j for
// every j. Within a stage, tasks on different chunks have their steps interleaved (the next
// step comes from the chunk with the least compute emitted so far in the stage; their tokens
// use disjoint engine pairs, and every wait still names an earlier instruction), and tasks on
// one chunk follow each other: the later one's first LOAD waits for the earlier one's last
// COMPUTE and its first COMPUTE for the earlier one's last STORE (one extra token each). A batch
// of one is the plain program: one layer per stage.
//
// Tiling (mapper/tiling.hpp): an output tile is a band of output rows (full width) x a block of
// output channels; the input channels are split (int32 partial sums in the obuf, out_partial /
// acc_load) only when a full-channel tile does not fit. The search picks the loop order
// (output-channel block outer, band outer with the weight blocks streaming, or band outer with
// every weight block resident in the wbuf), the tile sizes and single vs double buffering that
// minimise the MapOptions objective (latency, energy or energy-delay product) by an analytical
// estimate of each candidate's cycles and energy.
//
// Double buffering (TVM VTA's load / compute / store pipeline; firmware/examples/
// double_buffer.s): tiles fit half of the ibuf and obuf (and of the wbuf, unless the weights
// are resident; each half 64-byte aligned); the input of step s goes to ibuf half s % 2 (band
// outer: band b's input to half b % 2), the weights of a block to wbuf half (split ? s : block)
// % 2 (band outer, streaming: s % 2; resident: slot = block), output tile j to obuf slot
// j % S (Tiling::oslots: S = 2, 4 or 8, as many equal slots as the tile fits; the halves of the
// ibuf and wbuf stay two). Then the loads of step s+1 run while step s computes and tiles
// j-1 ... j-S+1 store.
// Otherwise single buffering (every slot at offset 0).
//
// Synchronisation (mapper/tiling.hpp TokenPlan): every buffer slot (ibuf / wbuf half or
// resident slot, obuf slot) remembers the last COMPUTE that read it and the last STORE that
// drained it; no NOPs (the cost model skips them):
//  - load -> chunk (RAW, input / weights in): the last LOAD of a step that loads anything
//    signals; its COMPUTE waits (a step without loads reuses what earlier steps loaded, and the
//    chunk runs in order, after those steps' computes).
//  - chunk -> load (WAR, slot free): the first LOAD of a step waits for the last COMPUTE that
//    read a slot the step overwrites, when that COMPUTE is later than the last one the load
//    engine already waited for (the DMA runs in order); that COMPUTE signals. With the
//    output-channel-block-outer order and lag L = 2 (double) or 1 (single) that is: step s
//    waits for COMPUTE s-L.
//  - chunk -> store (RAW, tile out): the COMPUTE that finishes tile j signals; STORE j waits.
//  - store -> chunk (WAR, obuf slot free): the first COMPUTE of tile j waits for the last STORE
//    of a tile in the same obuf slot (tile j-S double-buffered, j-1 single), which signals.
//  Each channel is popped in the order it is pushed (the waited-for instruction indices grow),
//  every signal has exactly one wait. No deadlock: every wait names an instruction earlier in
//  program order, and the controller dispatches in program order, so full engine queues cannot
//  block a token's producer either.
//  - load -> store (double buffering): the STORE of tile j is emitted after the loads of the
//    next step and waits for the last of them, so the DRAM sees the earlier-stamped load first
//    (the platform's DRAM serves requests in arrival order; loosely timed engines run ahead).
//  A BARRIER separates layers (the next layer reads the previous layer's output from DRAM).
//  With a batch of one (MapOptions::overlap_layers) the next layer's first-step loads are
//  emitted before the barrier (prefetch) and this layer's last stores after it, with the tokens
//  of mapper/layer_deps.hpp where they touch what the other side uses; a layer's instruction
//  range then ends after its deferred stores and holds the next layer's prefetches.
//  Residual adds are double-buffered in up to 8 tiles when both operands of a tile fit a quarter
//  of the ibuf (single-buffered otherwise). The program ends with HALT.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "firmware/image.hpp"
#include "mapper/quantized_network.hpp"

namespace savp::mapper {

// The loop order of a layer's tiles (mapper/tiling.hpp).
enum class LoopOrder : uint8_t { KBlockOuter = 0, BandOuter = 1, WeightsResident = 2 };
const char* to_string(LoopOrder o);  // "kblock-outer", "band-outer", "weights-resident"

struct LayerPlacement {
  std::string layer;
  int chunk = -1;           // -1: no code (flatten); a split layer: its first chunk
  std::vector<int> chunks;  // conv / linear: every chunk running a share of its output channels
  uint64_t out_addr = 0;
  uint64_t out_bytes = 0;
  std::vector<uint64_t> instr_range;  // [first, last) instruction index
  // The tile chosen (conv / linear / pools / add): output rows per band, output channels per
  // block, input channels per step (== c: no split), and the buffer bytes the largest tile uses.
  uint32_t tile_rows = 0, tile_k = 0, tile_c = 0;
  uint64_t ibuf_bytes = 0, wbuf_bytes = 0, obuf_bytes = 0;
  bool double_buffered = false;  // tiles in buffer halves, loads overlapping compute
  uint32_t out_slots = 0;        // double-buffered: obuf slots the output tiles rotate through
  LoopOrder loop_order = LoopOrder::KBlockOuter;
  // The tiling search's estimate of the chosen tiling (0 for adds and flatten).
  double est_cycles = 0, est_energy_pj = 0;
  uint64_t est_dram_bytes = 0;
  uint64_t candidates = 0;  // tilings the search considered
  // Weight storage (issue 8; mapper/weight_store.hpp), conv / linear only: the format, the
  // value width of packed / bitmask streams, the raw weight bytes (one per weight) and the
  // bytes stored in the image (every block's stream; dense: raw), and non-zero weights.
  std::string weight_format;  // "dense", "packed", "bitmask"; empty without weights
  uint32_t weight_stream_bits = 0;
  uint64_t weight_bytes_raw = 0, weight_bytes_stored = 0, weight_nonzero = 0;
};

struct MappedNetwork {
  fw::Image image;
  // Indexed like q.net.layers. With a batch, a layer's instr_range spans input 0's instructions
  // of it from first to last, which other inputs' interleaved instructions may share.
  std::vector<LayerPlacement> layers;
  uint64_t input_addr = 0;  // input 0
  uint32_t batch = 1;       // inputs in the image; input b's outputs are named "<layer>#b"
};

inline constexpr uint32_t kMaxBatch = 256;

// What the tiling search minimises (savp run / map --objective).
enum class Objective : uint8_t { Latency = 0, Energy = 1, Edp = 2 };
const char* to_string(Objective o);               // "latency", "energy", "edp"
Objective parse_objective(const std::string& s);  // throws savp::Error listing the allowed values

struct MapOptions {
  Objective objective = Objective::Latency;
  // Inputs mapped into one image (savp run --batch N): must equal the number of inputs given
  // to generate().
  uint32_t batch = 1;
  // Prices for the energy estimate; null: loaded from hw.energy_table when the objective needs
  // energy (a latency search then estimates energy as 0).
  const EnergyTable* energy = nullptr;
  // Restricts the tiling search to one loop order where that order has candidates (tests and
  // design-space exploration); empty: every order.
  std::optional<LoopOrder> only_order;
  // Batch of one: the next layer's first loads run before the barrier between two layers and
  // the last stores after it, with tokens where they touch what the other side uses
  // (mapper/layer_deps.hpp); false: a plain barrier between layers.
  bool overlap_layers = true;
};

// Throws savp::Error naming the layer when the platform lacks a chunk of its operator kind,
// when no tile fits (naming the smallest buffer size that would do), or for a grouped conv
// that is neither dense nor depthwise.
MappedNetwork generate(const QuantizedNetwork& q, const HwConfig& hw,
                       const std::vector<int8_t>& input, const MapOptions& opt = {});
// A batch: one image that runs every input, as NASA's chunk pipeline: pipeline stage s runs
// layer j of input s - j for every j (a BARRIER between stages), so the layers of different
// inputs on different chunks run at the same time. opt.batch is ignored (inputs.size() is the
// batch, 1 to kMaxBatch). Input 0 is laid out and named as in the single-input image.
MappedNetwork generate(const QuantizedNetwork& q, const HwConfig& hw,
                       const std::vector<std::vector<int8_t>>& inputs, const MapOptions& opt = {});

}  // namespace savp::mapper
