// Per-layer preparation of code generation (mapper/codegen.hpp "Placement", "Tiling"): a layer's
// chunk, its tiling (the search of mapper/tiling.hpp) or its residual-add tiles, its weights in
// DRAM, its steps, and the chunks it is split across. Done once per layer for every input of
// the batch.
#pragma once

#include <cstdint>
#include <vector>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "firmware/weight_stream.hpp"
#include "mapper/codegen.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/tiling.hpp"

namespace savp::mapper::codegen {

struct ImageData;

// One layer, prepared once for every input of the batch: its chunk, tiling and the DRAM
// addresses of its weights.
struct Prepared {
  size_t li = 0;
  int chunk = 0;
  bool add = false;
  // Add: elements per tile, tiles, offset of operand b in the ibuf.
  uint64_t add_tb = 0, add_nt = 0, add_boff = 0;
  uint64_t add_ibs = 0, add_obs = 0;  // double buffering: ibuf / obuf half strides (0: single)
  // Windowed layers.
  TileKind kind = TileKind::Pool;
  Geo g{};
  Tiling t;
  std::vector<Step> steps;
  std::vector<std::vector<uint64_t>> w_at;
  std::vector<std::vector<uint32_t>> w_len;  // compressed stream bytes per block (0: dense)
  fw::WeightFormat wfmt = fw::WeightFormat::Dense;
  uint64_t bias_addr = 0, w_bias_off = 0;
  // The chunks the layer is split across (output-channel blocks in contiguous shares), and
  // per chunk its steps renumbered from 0 (Step::index / tile as TokenPlan counts them).
  std::vector<int> chunks;
  std::vector<std::vector<Step>> shares;
};

// What preparing a layer needs besides the layer.
struct PrepContext {
  const QuantizedNetwork* q = nullptr;
  const HwConfig* hw = nullptr;
  const EnergyTable* table = nullptr;  // the search's prices (null: energy estimated as 0)
  const MapOptions* opt = nullptr;
  uint32_t batch = 1;
};

// Prepares layer li (not flatten): chooses its chunk (an error naming the layer when the
// platform has none of its kind), searches its tiling, places its weights in `data`, fills the
// placement's tiling / estimate / weight-storage fields. `prev`: the layer prepared before it
// (null: none), whose buffer halves the cross-layer overlap avoids (layer_overlap.cpp).
Prepared prepare_layer(const PrepContext& ctx, size_t li, const Prepared* prev, ImageData& data,
                       LayerPlacement& pl);

// Splits a conv / linear layer across every chunk of its kind whose array and buffers equal
// the first one's (see layer_prep.cpp).
void split_across_instances(Prepared& pr, const Layer& l, const HwConfig& hw);

// Cross-layer overlap on one chunk (layer_overlap.cpp): when the double-buffered layer `pr`
// follows `prev` on the same chunk, flips its buffer halves so that its first step uses the
// halves `prev`'s last step does not.
void avoid_previous_halves(const Prepared& prev, Prepared& pr);

// "layer 'name' (conv, mult)": how errors name a layer.
std::string describe(const Layer& l);

// The tile kind of a conv / linear / pooling layer (an error naming the layer for a grouped
// conv other than depthwise), and its geometry for the tiling search.
TileKind tile_kind(const Layer& l);
Geo geometry(const Layer& l);

}  // namespace savp::mapper::codegen
