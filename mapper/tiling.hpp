// Tiling search (issue 3, "Mapping"): for one windowed layer (conv, depthwise, linear as a 1x1
// conv, pools) on one chunk, the loop order, the tile sizes at each buffer level and single vs
// double buffering, chosen by an analytical estimate of cycles and energy for the objective
// (latency, energy or energy-delay product). mapper/codegen.cpp emits the chosen tiling.
//
// A tile is a band of rb output rows (full width) x a block of kb output channels, computed
// over input-channel steps of cb channels (cb < c: int32 partial sums in the obuf). The step
// sequence of a layer depends on the loop order:
//  - KBlockOuter: for each output-channel block, for each band, for each input-channel step.
//    Every step loads its input band (channels of the step); the weights of a block are loaded
//    once per block (per step when the input channels are split).
//  - BandOuter (dense, no split): for each band, for each output-channel block. The input band
//    is loaded once per band and stays in the ibuf while the weight blocks stream through the
//    wbuf (reloaded for every band).
//  - WeightsResident (dense, no split, every block's weights fit the wbuf together): BandOuter
//    with every weight block in its own wbuf slot, loaded once (during the first band).
// Double buffering: the input tiles alternate between the two halves of the ibuf, streamed
// weights between the two halves of the wbuf, and the output tiles rotate through 2, 4 or 8
// equal obuf slots (as many as the tile fits, Tiling::oslots), so the loads of the next step
// and the stores of the previous tiles overlap the compute (TVM VTA's load / compute / store).
//
// Synchronisation (see codegen.hpp): every buffer region (ibuf / wbuf half or slot, obuf slot)
// remembers the last COMPUTE that read it and the last STORE that drained it; TokenPlan derives
// from that, for every step, which COMPUTE its first LOAD waits for and which STORE its first
// COMPUTE waits for. Waits only ever name earlier instructions, in increasing order per channel,
// so every token is popped in FIFO order and nothing deadlocks. The estimate replays exactly
// these waits.
//
// The estimate (TilingCost) of a candidate:
//  - cycles: a replay of the step sequence on three timelines (load DMA, chunk, store DMA) with
//    the tokens above; COMPUTE durations from savp::systolic_cost() / vector_cycles() (the
//    chunk's timing), LOAD / STORE from the DMA parameters (setup, latency, bursts at the lower
//    of the DRAM peak and the interconnect width, the outstanding-burst limit) as
//    mapper/cost_model.cpp times them, with the DRAM shared by the two DMA engines (one
//    transfer streams at a time, in the order they start);
//  - energy: DRAM bytes (pJ/bit of the DRAM family), interconnect bytes, SRAM accesses (DMA
//    writes into the ibuf / wbuf, the array's operand reads and output writes as the chunk
//    counts them, the store's obuf reads), PE and vector ops, controller instructions, and
//    leakage over the estimated cycles, priced from the energy table as platform/
//    energy_model.cpp prices the simulated counts.
// search() evaluates every candidate of enumerate_candidates(); a replay stops early once its
// partial cost (cycles so far, energy so far; both only grow) already exceeds the best estimate
// found in its class. The choice is the single-buffered candidate with the minimum objective,
// unless the best double-buffered one is at least 5% better (kDoubleBufferGain in tiling.cpp:
// a margin for the transfer contention the estimate leaves out).
//
// Candidates: the loop orders above (BandOuter / WeightsResident for dense layers without an
// input-channel split, with several output-channel blocks and bands), single and double
// buffering (double: at least 4 bands; BandOuter single only; see tiling.cpp), output
// channels per block from balanced splits rounded up to whole array columns, input channels per
// step == c when that fits (else balanced splits), and per (block, step) the largest band that
// fits with at least 1, 2, 4 or 8 bands (each also rounded down to whole array rows of pixels).
// Blocks narrower than the array are tried only when no wider one fits.
//
// Not yet searched: the global buffer (GLB) as a second buffer level. The platform already maps
// the GLB (firmware/address_map.hpp kGlbBase; the DMA copies between any two addresses), so the
// firmware could stage a layer's input (reloaded once per output-channel block by KBlockOuter)
// or its weights (reloaded once per band by BandOuter) in the GLB with one DRAM -> GLB LOAD and
// then feed the chunk buffers GLB -> ibuf / wbuf, cutting DRAM bytes by the reuse factor
// (ResNet-50's wide 1x1 convs are DRAM-bound and reload their inputs 2-16 times). What it takes:
//  - Tiling: a staging choice per candidate (none / input / weights, or a band group of the
//    input) when it fits hw.global_buffer.capacity_bytes (half of it, so the next layer's
//    prefetch can stage into the other half);
//  - the estimate (replay() here) and mapper/cost_model.cpp dma_cycles(): both time every
//    LOAD / STORE as a DRAM transfer (latency, DRAM peak, burst split on the DRAM side); a
//    GLB-side transfer needs the SRAM's timing instead (len / (banks x port width) + latency,
//    the interconnect width) and must not occupy the shared-DRAM timeline, and its energy is a
//    GLB access (energy table sram_access at the GLB's size) instead of DRAM bits;
//  - codegen: GLB addresses per layer (two alternating regions), the staging LOAD before the
//    layer's first step (the load engine runs in order, so the GLB -> chunk loads need no token
//    after it), and in mapper/layer_deps.hpp the GLB as a third tracked buffer for the WAR
//    checks of prefetched staging loads;
//  - tests: a KBlockOuter layer with several blocks stages its input, its DRAM bytes drop by the
//    block count, bit-exact, and the estimate stays within 10% of the simulation.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "mapper/codegen.hpp"
#include "mapper/weight_store.hpp"

namespace savp::mapper {

enum class TileKind : uint8_t { Dense, Depthwise, Pool };

// The geometry of a windowed layer (conv, depthwise, linear as 1x1, pools).
struct Geo {
  uint64_t h, w, c, oh, ow, k, kh, kw, s, ph, pw;
  // Input rows [iy0, iy0 + ih) loaded for output rows [oy0, oy0 + rb), and the rows missing
  // above (top padding).
  void band(uint64_t oy0, uint64_t rb, uint64_t& iy0, uint64_t& ih, uint64_t& pad_t) const;
  uint64_t in_rows(uint64_t rb) const { return std::min(h, (rb - 1) * s + kh); }
};

// Buffer bytes of one tile (rb rows, kb out channels, cb in channels).
struct Need {
  uint64_t ibuf, wbuf, obuf;
};
Need need_of(TileKind kind, const Geo& g, uint64_t rb, uint64_t kb, uint64_t cb, bool split);
// Bytes of a block's weights in the wbuf, and the offset of its biases behind them.
uint64_t weight_bias_offset(TileKind kind, const Geo& g, uint64_t kb, uint64_t cb);

struct Tiling {
  uint64_t rb = 0, kb = 0, cb = 0;  // output rows per band, out channels per block, in per step
  LoopOrder order = LoopOrder::KBlockOuter;
  bool double_buffered = false;
  uint64_t ibuf = 0, wbuf = 0, obuf = 0;  // bytes the largest tile uses (per half / slot)
  uint64_t bands = 0, kblocks = 0, csteps = 0;
  // Byte offsets between buffer slots (0: one slot).
  uint64_t ib_stride = 0, wb_stride = 0, ob_stride = 0;
  // Double buffering: output tiles rotate through `oslots` obuf slots (a power of two, at
  // least 2: tile j in slot j % oslots), so the first COMPUTE of tile j waits for the STORE of
  // tile j - oslots. Small tiles get more slots (up to kMaxOutSlots in tiling.cpp), which lets a
  // STORE that the DRAM slows down (a read stream of the load engine interleaved with its
  // writes) finish later without stalling the array.
  uint32_t oslots = 2;
  bool split() const { return csteps > 1; }
  uint64_t steps() const { return bands * kblocks * csteps; }
  uint64_t tiles() const { return bands * kblocks; }
};

struct TilingCost {
  double cycles = 0;     // estimated layer cycles
  double energy_pj = 0;  // estimated layer energy
  uint64_t dram_bytes = 0;
  uint64_t instructions = 0;
};

// Per-action prices for one chunk (all 0 without an energy table).
struct EnergyPrices {
  double dram_pj_per_byte = 0;  // DRAM + interconnect
  double ibuf_pj_per_byte = 0, wbuf_pj_per_byte = 0, obuf_pj_per_byte = 0;
  double pe_op_pj = 0, vector_op_pj = 0, instr_pj = 0;
  double decompress_pj_per_weight = 0;  // the layer's stream format (set with its WeightStore)
  double leak_pj_per_cycle = 0;         // the whole platform's leakage
};
EnergyPrices energy_prices(const HwConfig& hw, const EnergyTable* t, const ChunkConfig& cc,
                           int weight_bits);

// What one layer's search works with.
struct LayerProblem {
  TileKind kind = TileKind::Dense;
  Geo g{};
  const ChunkConfig* cc = nullptr;
  const HwConfig* hw = nullptr;
  EnergyPrices prices;
  std::string what;                     // the layer, for errors
  std::optional<LoopOrder> only_order;  // MapOptions::only_order
  // The layer's weight storage (issue 8): when compressed, a block's wbuf footprint and its
  // LOAD are its stream's exact bytes, and its COMPUTE is paced by the chunk's decompressor.
  // Null: dense.
  const WeightStore* weights = nullptr;
};

// One step of a layer's loop nest.
struct Step {
  uint64_t index = 0, tile = 0;  // 0-based step and output-tile index
  uint64_t b = 0, kbi = 0, cs = 0;
  uint64_t oy0 = 0, nr = 0, k0 = 0, nk = 0, c0 = 0, nc = 0;
  uint64_t iy0 = 0, ih = 0, pad_t = 0;
  bool load_in = false, load_w = false, load_bias = false;
  bool first_of_tile = false, last_of_tile = false;
  uint32_t islot = 0, wslot = 0, oslot = 0;  // buffer slots (offset = slot x stride)
};

// Calls f(const Step&) for every step of tiling t, in program order.
template <class F>
void for_each_step(TileKind kind, const Geo& g, const Tiling& t, F&& f) {
  const bool db = t.double_buffered, split = t.split();
  Step s;
  auto fill = [&](uint64_t b, uint64_t kbi, uint64_t cs) {
    s.b = b, s.kbi = kbi, s.cs = cs;
    s.oy0 = b * t.rb, s.nr = std::min(t.rb, g.oh - s.oy0);
    s.k0 = kbi * t.kb, s.nk = std::min(t.kb, g.k - s.k0);
    s.c0 = kind == TileKind::Dense ? cs * t.cb : s.k0;
    s.nc = kind == TileKind::Dense ? std::min(t.cb, g.c - s.c0) : s.nk;
    g.band(s.oy0, s.nr, s.iy0, s.ih, s.pad_t);
    s.first_of_tile = cs == 0;
    s.last_of_tile = cs + 1 == t.csteps;
    s.oslot = db ? static_cast<uint32_t>(s.tile % t.oslots) : 0;
  };
  if (t.order == LoopOrder::KBlockOuter) {
    for (uint64_t kbi = 0; kbi < t.kblocks; ++kbi)
      for (uint64_t b = 0; b < t.bands; ++b)
        for (uint64_t cs = 0; cs < t.csteps; ++cs) {
          fill(b, kbi, cs);
          s.load_in = true;
          s.load_w = kind != TileKind::Pool && (split || b == 0);
          s.load_bias = s.load_w && cs == 0;
          s.islot = db ? static_cast<uint32_t>(s.index % 2) : 0;
          s.wslot = db ? static_cast<uint32_t>((split ? s.index : kbi) % 2) : 0;
          f(static_cast<const Step&>(s));
          ++s.index;
          if (s.last_of_tile) ++s.tile;
        }
  } else {
    const bool resident = t.order == LoopOrder::WeightsResident;
    for (uint64_t b = 0; b < t.bands; ++b)
      for (uint64_t kbi = 0; kbi < t.kblocks; ++kbi) {
        fill(b, kbi, 0);
        s.load_in = kbi == 0;
        s.load_w = s.load_bias = !resident || b == 0;
        s.islot = db ? static_cast<uint32_t>(b % 2) : 0;
        s.wslot = resident ? static_cast<uint32_t>(kbi)
                  : db     ? static_cast<uint32_t>(s.index % 2)
                           : 0;
        f(static_cast<const Step&>(s));
        ++s.index;
        ++s.tile;
      }
  }
}

// The token waits of a layer's steps (see the header comment). Call next() once per step, in
// order.
class TokenPlan {
 public:
  explicit TokenPlan(const Tiling& t);
  struct Waits {
    int64_t load_waits_compute = -1;   // the step's first LOAD pops the token of this COMPUTE
    int64_t compute_waits_store = -1;  // the step's COMPUTE pops the token of this STORE (tile)
  };
  Waits next(const Step& s, bool reads_wbuf);

 private:
  std::vector<int64_t> last_ibuf_, last_wbuf_, last_obuf_;
  int64_t waited_compute_ = -1, waited_store_ = -1;
};

// Every candidate the search considers (tiles that fit; possibly none).
std::vector<Tiling> enumerate_candidates(const LayerProblem& p);
// The estimate of one candidate (rules above).
TilingCost estimate(const LayerProblem& p, const Tiling& t);
// The value the objective minimises.
double objective_value(Objective o, const TilingCost& c);

struct SearchResult {
  Tiling tiling;
  TilingCost cost;
  uint64_t candidates = 0, evaluated = 0;  // enumerated, and fully estimated
};
// The candidate minimising the objective. Throws savp::Error naming p.what and the smallest
// buffer sizes that would do when no tile fits.
SearchResult search(const LayerProblem& p, Objective o);

}  // namespace savp::mapper
