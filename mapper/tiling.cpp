#include "mapper/tiling.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <set>

#include "common/errors.hpp"
#include "common/tile_timing.hpp"
#include "mapper/cost_model.hpp"

namespace savp::mapper {

namespace {

constexpr uint64_t kAlign = 64;
constexpr uint64_t kMaxField16 = 65535;  // ISA limit of a tile's k / c
constexpr uint64_t kAccBytes = 4;        // int32 partial sums and biases
constexpr double kInf = std::numeric_limits<double>::infinity();
// Double buffering is a candidate with at least kDoubleBufferBands row bands (the streamed
// weights of the band-outer order only single-buffered) and is chosen only when its estimate
// beats the best single-buffered one by kDoubleBufferGain. The estimate (like the cost model,
// mapper/cost_model.hpp) lets overlapped transfers run at full speed; the simulated platform
// does not: its DMA engines run ahead in simulated time (loosely timed) and a resource reserved
// at a later time makes every earlier arrival queue behind it (models/base/occupancy.hpp), so
// a LOAD overlapping a COMPUTE often waits for the STORE that follows that COMPUTE. Measured on
// the shipped networks (default platform): without these limits, ResNet-50 simulated 25.6 M
// cycles at 0.87 of the prediction and the Fashion-MNIST CNNs at 0.83; with them 24.7 M at 0.94
// and 0.95.
constexpr double kDoubleBufferGain = 0.95;
constexpr uint64_t kDoubleBufferBands = 4;
// The most obuf slots a double-buffered layer's output tiles rotate through (Tiling::oslots).
// Two halves leave a STORE one tile's COMPUTE to finish; the platform's DRAM serves requests
// in arrival order, so the row-strided writes of a tile narrower than the layer's channels
// (one DRAM write per output pixel) that meet a LOAD's read stream pay a read/write turnaround
// per write and take several times longer than alone (ResNet-20's s3b1_conv1: 300-700 cycles
// against 60 for a 320-cycle COMPUTE). More slots, where the tile is small enough, let the
// store engine catch up over several tiles.
constexpr uint64_t kMaxOutSlots = 8;

uint64_t align_up(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }
uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
// Buffer capacity per tile: the whole buffer, or one 64-byte aligned half (double buffering).
uint64_t half(uint64_t cap) { return cap / 2 / kAlign * kAlign; }

// Distinct balanced block sizes ceil(n / parts) <= cap, descending; with `align` > 1 each is
// rounded up to a multiple of align (at most n) and sizes below align are left out.
std::vector<uint64_t> block_sizes(uint64_t n, uint64_t cap, uint64_t align) {
  std::set<uint64_t> s;
  for (uint64_t parts = 1; parts <= n; ++parts) {
    uint64_t b = ceil_div(n, parts);
    if (align > 1) {
      if (b < align && n >= align) break;
      b = std::min(n, ceil_div(b, align) * align);
    }
    if (b <= cap) s.insert(b);
    if (b == 1) break;
  }
  return {s.rbegin(), s.rend()};
}

// DMA timing of one LOAD / STORE (cost_model.cpp's rules for rows starting on a burst
// boundary; a row whose stride is not burst aligned spans one more burst).
struct DmaModel {
  double setup = 0, latency = 0, bw = 1, min_burst = 0;
  uint64_t burst = 64, dram_min = 32;
  explicit DmaModel(const HwConfig& hw) {
    burst = std::max<uint32_t>(hw.dma.burst_bytes, 1);
    dram_min = std::max<uint32_t>(hw.dram.burst_bytes(), 1);
    const DramTiming& t = hw.dram.timing;
    const double to_core = t.tck_ns / hw.cycle_ns();
    const double rd = (t.trcd + t.cl + static_cast<double>(t.burst_length) / hw.dram.org.data_rate);
    latency = 4.0 * hw.interconnect.latency_cycles + rd * to_core;
    bw = std::min(dram_bytes_per_cycle(hw),
                  static_cast<double>(std::max<uint32_t>(hw.interconnect.width_bytes, 1)));
    min_burst = latency / std::max<uint32_t>(hw.dma.max_outstanding, 1);
    setup = hw.dma.setup_cycles;
  }
  // The DRAM streaming part of a transfer (bursts x burst time).
  double stream(uint64_t rows, uint64_t row_bytes, uint64_t stride) const {
    if (rows > 1 && row_bytes == stride) row_bytes *= rows, rows = 1;  // merged (emitter)
    uint64_t bursts = ceil_div(row_bytes, burst);
    if (rows > 1 && stride % burst != 0 && bursts < row_bytes) ++bursts;
    const double occ =
        static_cast<double>(ceil_div(ceil_div(row_bytes, bursts), dram_min) * dram_min);
    return static_cast<double>(rows * bursts) * std::max(occ / bw, min_burst);
  }
};

// Compute duration and buffer traffic of one step's COMPUTE.
struct ComputeCost {
  double cycles = 0;
  double pe_ops = 0, vector_ops = 0;
  double ibuf_bytes = 0, wbuf_bytes = 0, obuf_bytes = 0;
  double decompress_weights = 0;
};

// need_of() with the wbuf sized for the layer's largest stored weight block (compressed:
// the exact stream bytes of the actual weights; weight_store.hpp).
Need need_for(const LayerProblem& p, uint64_t rb, uint64_t kb, uint64_t cb, bool split) {
  Need n = need_of(p.kind, p.g, rb, kb, cb, split);
  if (p.weights && p.weights->compressed() && p.kind != TileKind::Pool)
    n.wbuf = align_up(p.weights->max_block_bytes(kb, cb)) + kb * kAccBytes;
  return n;
}

ComputeCost compute_cost(const LayerProblem& p, uint64_t nr, uint64_t nk, uint64_t nc,
                         bool acc_load, bool out_partial) {
  const ChunkConfig& cc = *p.cc;
  const Geo& g = p.g;
  ComputeCost r;
  const uint64_t outs = nr * g.ow * nk;
  if (p.kind == TileKind::Pool) {
    const uint64_t reads = g.kh * g.kw;
    r.cycles = static_cast<double>(vector_cycles(cc.cols, outs, reads));
    r.vector_ops = static_cast<double>(outs * (reads + 1));
    r.ibuf_bytes = static_cast<double>(outs * reads);
    r.obuf_bytes = static_cast<double>(outs);
    return r;
  }
  const ConvDims d = p.kind == TileKind::Dense ? ConvDims{nr * g.ow, nk, g.kh * g.kw * nc, 1}
                                               : ConvDims{nr * g.ow, 1, g.kh * g.kw, nk};
  const SystolicCost s = systolic_cost(cc, d);
  r.cycles = static_cast<double>(s.cycles);
  r.pe_ops = static_cast<double>(s.pe_ops);
  r.vector_ops = out_partial ? 0.0 : static_cast<double>(outs);
  r.ibuf_bytes = static_cast<double>(s.ifmap_reads);
  r.wbuf_bytes = static_cast<double>(s.filter_reads + (acc_load ? 0 : nk * kAccBytes));
  if (p.weights && p.weights->compressed()) {
    // The decompressor at the wbuf read port (chunk::tile_cost): every weight read is decoded;
    // the wbuf delivers the stream's bytes (the layer's stored / raw ratio per weight read).
    r.cycles =
        static_cast<double>(decompress_cost(cc.decompressor, s.cycles, s.filter_reads).cycles);
    r.decompress_weights = static_cast<double>(s.filter_reads);
    r.wbuf_bytes = static_cast<double>(s.filter_reads) * p.weights->ratio() +
                   static_cast<double>(acc_load ? 0 : nk * kAccBytes);
  }
  const uint64_t extra = s.ofmap_writes > outs ? s.ofmap_writes - outs : 0;
  r.obuf_bytes = static_cast<double>(2 * extra * kAccBytes + (acc_load ? outs * kAccBytes : 0) +
                                     outs * (out_partial ? kAccBytes : 1));
  return r;
}

double objective_of(Objective o, double cycles, double energy) {
  switch (o) {
    case Objective::Latency:
      return cycles;
    case Objective::Energy:
      return energy;
    case Objective::Edp:
      return cycles * energy;
  }
  return cycles;
}

// The replay (header comment); stops and returns cycles = inf once the objective of the
// partial cost exceeds `bound`.
TilingCost replay(const LayerProblem& p, const Tiling& t, Objective o, double bound) {
  const Geo& g = p.g;
  const EnergyPrices& e = p.prices;
  const DmaModel dma(*p.hw);
  // COMPUTE costs, computed once per key below.
  ComputeCost shapes[32];
  bool have[32] = {};
  TokenPlan plan(t);
  std::vector<double> cf, sf;  // finish time of every COMPUTE, of every STORE
  cf.reserve(t.steps());
  sf.reserve(t.tiles());
  double lf = 0, cfree = 0, sfree = 0, energy = 0;
  uint64_t dram = 0, instrs = 0;
  bool aborted = false;
  const bool weights = p.kind != TileKind::Pool;
  // The DRAM is shared by the two DMA engines: a transfer streams when the DRAM is free
  // (dram_free), in the order the transfers start. A STORE is issued once its tile's COMPUTE
  // finished, which is usually after the next step's loads started, so it stays pending until
  // the transfer that starts before or after it is known.
  double dram_free = 0;
  struct Pending {
    bool valid = false;
    double start = 0;
    uint64_t rows = 0, row_bytes = 0, stride = 0;
  } pending;
  auto transfer = [&](double at, uint64_t rows, uint64_t row_bytes, uint64_t stride) {
    const double begin = std::max(at + dma.setup, dram_free);
    dram_free = begin + dma.stream(rows, row_bytes, stride);
    return dram_free + dma.latency;
  };
  auto resolve_store = [&] {
    if (!pending.valid) return;
    sfree = transfer(pending.start, pending.rows, pending.row_bytes, pending.stride);
    sf.push_back(sfree);
    pending.valid = false;
  };
  for_each_step(p.kind, g, t, [&](const Step& s) {
    if (aborted) return;
    const TokenPlan::Waits w = plan.next(s, weights);
    const bool loads = s.load_in || s.load_w || s.load_bias;
    uint64_t in_b = 0, w_b = 0;
    if (loads) {
      double at = lf;
      if (w.load_waits_compute >= 0) at = std::max(at, cf[w.load_waits_compute]);
      if (pending.valid && pending.start <= at) resolve_store();
      if (s.load_in) {
        in_b = s.ih * g.w * s.nc;
        at = transfer(at, s.ih * g.w, s.nc, g.c);
      }
      if (s.load_w) {
        w_b = p.weights ? p.weights->block_bytes(s.k0, s.nk, s.c0, s.nc)
                        : s.nk * g.kh * g.kw * (p.kind == TileKind::Dense ? s.nc : 1);
        at = transfer(at, 1, w_b, w_b);
      }
      if (s.load_bias) {
        at = transfer(at, 1, s.nk * kAccBytes, s.nk * kAccBytes);
        w_b += s.nk * kAccBytes;
      }
      lf = at;
      instrs += s.load_in + s.load_w + s.load_bias;
    }
    // Shape (partial band / block / step) x role of the step in its tile (acc_load and
    // out_partial change the obuf traffic).
    const int key =
        ((s.nr != t.rb) | (s.nk != t.kb) << 1 | (s.nc != t.cb && p.kind == TileKind::Dense) << 2)
            << 2 |
        (s.cs > 0) << 1 | (s.last_of_tile ? 0 : 1);
    if (!have[key]) {
      shapes[key] = compute_cost(p, s.nr, s.nk, s.nc, s.cs > 0, !s.last_of_tile);
      have[key] = true;
    }
    const ComputeCost& cc = shapes[key];
    double start = std::max(cfree, loads ? lf : 0.0);
    if (w.compute_waits_store >= 0) {
      if (static_cast<size_t>(w.compute_waits_store) >= sf.size()) resolve_store();
      start = std::max(start, sf[w.compute_waits_store]);
    }
    cfree = start + cc.cycles;
    cf.push_back(cfree);
    ++instrs;
    uint64_t st_b = 0;
    if (s.last_of_tile) {
      st_b = s.nr * g.ow * s.nk;
      resolve_store();  // the store engine runs in order
      pending = Pending{true, std::max(sfree, cfree), s.nr * g.ow, s.nk, g.k};
      ++instrs;
    }
    dram += in_b + w_b + st_b;
    energy += static_cast<double>(in_b + w_b + st_b) * e.dram_pj_per_byte +
              static_cast<double>(in_b) * e.ibuf_pj_per_byte +
              static_cast<double>(w_b) * e.wbuf_pj_per_byte +
              static_cast<double>(st_b) * e.obuf_pj_per_byte + cc.ibuf_bytes * e.ibuf_pj_per_byte +
              cc.wbuf_bytes * e.wbuf_pj_per_byte + cc.obuf_bytes * e.obuf_pj_per_byte +
              cc.pe_ops * e.pe_op_pj + cc.vector_ops * e.vector_op_pj +
              cc.decompress_weights * e.decompress_pj_per_weight;
    if (bound < kInf && (s.index & 7) == 7) {
      const double now = std::max({lf, cfree, sfree});
      const double en =
          energy + static_cast<double>(instrs) * e.instr_pj + now * e.leak_pj_per_cycle;
      if (objective_of(o, now, en) > bound) aborted = true;
    }
  });
  resolve_store();
  TilingCost c;
  if (aborted) {
    c.cycles = c.energy_pj = kInf;
    return c;
  }
  c.cycles = std::max(sfree, cfree);
  c.dram_bytes = dram;
  c.instructions = instrs;
  c.energy_pj = energy + static_cast<double>(instrs) * e.instr_pj + c.cycles * e.leak_pj_per_cycle;
  return c;
}

// The largest band heights worth trying for a block (see the header comment).
std::vector<uint64_t> band_heights(const LayerProblem& p, uint64_t kb, uint64_t cb, bool split,
                                   uint64_t IB, uint64_t OB) {
  const Geo& g = p.g;
  uint64_t lo = 1, hi = g.oh;
  while (lo < hi) {
    const uint64_t mid = (lo + hi + 1) / 2;
    const Need n = need_of(p.kind, g, mid, kb, cb, split);
    if (n.ibuf <= IB && n.obuf <= OB)
      lo = mid;
    else
      hi = mid - 1;
  }
  std::set<uint64_t> out;
  for (uint64_t min_bands : {1, 2, 4, 8}) {
    if (min_bands > g.oh) break;
    const uint64_t cap = std::min(lo, std::max<uint64_t>(1, g.oh / min_bands));
    const uint64_t nb = ceil_div(g.oh, cap);
    const uint64_t rb = ceil_div(g.oh, nb);
    out.insert(rb);
    // A pixel count that is a whole multiple of the array rows (no partial row fold).
    if (nb > 1 && rb * g.ow > p.cc->rows)
      for (uint64_t r = rb; r * 4 >= rb * 3 && r >= 1; --r)
        if ((r * g.ow) % p.cc->rows == 0) {
          out.insert(r);
          break;
        }
  }
  return {out.rbegin(), out.rend()};
}

void add_candidates(const LayerProblem& p, const std::vector<uint64_t>& kbs,
                    const std::vector<uint64_t>& cbs, std::vector<Tiling>& out) {
  const Geo& g = p.g;
  const ChunkConfig& cc = *p.cc;
  for (bool db : {false, true}) {
    const uint64_t IB = db ? half(cc.ibuf.capacity_bytes) : cc.ibuf.capacity_bytes;
    const uint64_t WBh = db ? half(cc.wbuf.capacity_bytes) : cc.wbuf.capacity_bytes;
    const uint64_t OB = db ? half(cc.obuf.capacity_bytes) : cc.obuf.capacity_bytes;
    for (uint64_t cb0 : cbs)
      for (uint64_t kb : kbs) {
        const uint64_t cb = p.kind == TileKind::Dense ? cb0 : kb;
        const bool split = p.kind == TileKind::Dense && cb < g.c;
        const Need n1 = need_for(p, 1, kb, cb, split);
        if (n1.ibuf > IB || n1.obuf > OB) continue;
        const uint64_t kblocks = ceil_div(g.k, kb);
        const uint64_t wslot = align_up(n1.wbuf);
        const bool resident_fits = p.kind == TileKind::Dense && !split && kblocks > 1 &&
                                   (kblocks - 1) * wslot + n1.wbuf <= cc.wbuf.capacity_bytes;
        for (uint64_t rb : band_heights(p, kb, cb, split, IB, OB)) {
          Tiling t;
          t.rb = rb, t.kb = kb, t.cb = cb;
          t.bands = ceil_div(g.oh, rb), t.kblocks = kblocks;
          t.csteps = p.kind == TileKind::Dense ? ceil_div(g.c, cb) : 1;
          if (db && t.bands < kDoubleBufferBands) continue;
          const Need n = need_for(p, rb, kb, cb, split);
          t.ibuf = n.ibuf, t.wbuf = n.wbuf, t.obuf = n.obuf;
          t.double_buffered = db;
          t.ib_stride = db ? half(cc.ibuf.capacity_bytes) : 0;
          t.ob_stride = db ? half(cc.obuf.capacity_bytes) : 0;
          if (db) {
            // As many slots as fit, a power of two up to kMaxOutSlots (each 64-byte aligned).
            const uint64_t fit = cc.obuf.capacity_bytes / align_up(n.obuf);
            while (t.oslots * 2 <= std::min(fit, kMaxOutSlots)) t.oslots *= 2;
            t.ob_stride = cc.obuf.capacity_bytes / t.oslots / kAlign * kAlign;
          }
          if (n.wbuf <= WBh) {
            t.order = LoopOrder::KBlockOuter;
            t.wb_stride = db ? half(cc.wbuf.capacity_bytes) : 0;
            out.push_back(t);
            if (p.kind == TileKind::Dense && !split && kblocks > 1 && t.bands > 1 && !db) {
              t.order = LoopOrder::BandOuter;
              out.push_back(t);
            }
          }
          if (resident_fits && t.bands > 1) {
            t.order = LoopOrder::WeightsResident;
            t.wb_stride = wslot;
            out.push_back(t);
          }
        }
      }
  }
}

}  // namespace

void Geo::band(uint64_t oy0, uint64_t rb, uint64_t& iy0, uint64_t& ih, uint64_t& pad_t) const {
  const int64_t first = static_cast<int64_t>(oy0 * s) - static_cast<int64_t>(ph);
  const int64_t last = static_cast<int64_t>((oy0 + rb - 1) * s + kh) - static_cast<int64_t>(ph);
  const int64_t lo = std::max<int64_t>(0, first);
  const int64_t hi = std::max<int64_t>(lo + 1, std::min<int64_t>(static_cast<int64_t>(h), last));
  iy0 = static_cast<uint64_t>(lo);
  ih = static_cast<uint64_t>(hi - lo);
  pad_t = static_cast<uint64_t>(lo - first);
}

Need need_of(TileKind kind, const Geo& g, uint64_t rb, uint64_t kb, uint64_t cb, bool split) {
  Need n{};
  n.ibuf = g.in_rows(rb) * g.w * cb;
  const uint64_t outs = rb * g.ow * kb;
  if (kind == TileKind::Dense) {
    n.wbuf = align_up(kb * g.kh * g.kw * cb) + kb * kAccBytes;
    n.obuf = split ? align_up(outs) + outs * kAccBytes : outs;
  } else if (kind == TileKind::Depthwise) {
    n.wbuf = align_up(cb * g.kh * g.kw) + cb * kAccBytes;
    n.obuf = outs;
  } else {
    n.wbuf = 0;
    n.obuf = outs;
  }
  return n;
}

uint64_t weight_bias_offset(TileKind kind, const Geo& g, uint64_t kb, uint64_t cb) {
  if (kind == TileKind::Dense) return align_up(kb * g.kh * g.kw * cb);
  if (kind == TileKind::Depthwise) return align_up(kb * g.kh * g.kw);
  return 0;
}

EnergyPrices energy_prices(const HwConfig& hw, const EnergyTable* t, const ChunkConfig& cc,
                           int weight_bits) {
  EnergyPrices e;
  if (!t) return e;
  // As platform/energy_model.cpp: DRAM pJ/bit of the family, interconnect pJ/byte, one SRAM
  // access per port-width word, leakage (mW x ns = pJ) of every SRAM and PE array.
  e.dram_pj_per_byte = 8.0 * t->dram_bit(dram_family(hw.dram.preset)) + t->interconnect_pj_per_byte;
  auto per_byte = [&](const SramConfig& b) {
    const uint32_t w = std::max<uint32_t>(b.port_width_bytes, 1);
    return t->sram_access(b.capacity_bytes, w) / w;
  };
  e.ibuf_pj_per_byte = per_byte(cc.ibuf);
  e.wbuf_pj_per_byte = per_byte(cc.wbuf);
  e.obuf_pj_per_byte = per_byte(cc.obuf);
  e.pe_op_pj = t->pe_op(cc.kind, weight_bits);
  e.vector_op_pj = t->vector_op_pj;
  e.instr_pj = t->controller_pj_per_instr;
  double kib = hw.global_buffer.capacity_bytes / 1024.0, pe_mm2 = 0;
  for (const ChunkConfig& c : hw.chunks) {
    kib += (c.ibuf.capacity_bytes + c.wbuf.capacity_bytes + c.obuf.capacity_bytes) / 1024.0;
    const int bits =
        c.weight_bits.empty()
            ? 8
            : static_cast<int>(*std::max_element(c.weight_bits.begin(), c.weight_bits.end()));
    pe_mm2 += static_cast<double>(c.rows) * c.cols * t->pe_area(c.kind, bits) / 1e6;
  }
  e.leak_pj_per_cycle =
      (kib * t->sram_leakage_mw_per_kib + pe_mm2 * t->pe_leakage_mw_per_mm2) * hw.cycle_ns();
  return e;
}

TokenPlan::TokenPlan(const Tiling& t)
    : last_ibuf_(2, -1),
      last_wbuf_(std::max<uint64_t>(t.kblocks, 2), -1),
      last_obuf_(std::max<uint32_t>(t.oslots, 2), -1) {}

TokenPlan::Waits TokenPlan::next(const Step& s, bool reads_wbuf) {
  Waits w;
  // WAR on the ibuf / wbuf slots the step's loads overwrite: the last COMPUTE that read them.
  int64_t d = -1;
  if (s.load_in) d = std::max(d, last_ibuf_[s.islot]);
  if (s.load_w || s.load_bias) d = std::max(d, last_wbuf_[s.wslot]);
  if (d > waited_compute_) w.load_waits_compute = waited_compute_ = d;
  // WAR on the obuf slot a new output tile writes: the last STORE that drained it.
  if (s.first_of_tile) {
    const int64_t st = last_obuf_[s.oslot];
    if (st > waited_store_) w.compute_waits_store = waited_store_ = st;
  }
  last_ibuf_[s.islot] = static_cast<int64_t>(s.index);
  if (reads_wbuf) last_wbuf_[s.wslot] = static_cast<int64_t>(s.index);
  if (s.last_of_tile) last_obuf_[s.oslot] = static_cast<int64_t>(s.tile);
  return w;
}

std::vector<Tiling> enumerate_candidates(const LayerProblem& p) {
  const Geo& g = p.g;
  const ChunkConfig& cc = *p.cc;
  std::vector<Tiling> out;
  // Input channels: all of them when that fits some block (single buffering, one row).
  std::vector<uint64_t> cbs{0};
  if (p.kind == TileKind::Dense) {
    const Need n = need_of(p.kind, g, 1, std::min<uint64_t>(g.k, cc.cols), g.c, false);
    if (g.c <= kMaxField16 && n.ibuf <= cc.ibuf.capacity_bytes &&
        n.wbuf <= cc.wbuf.capacity_bytes && n.obuf <= cc.obuf.capacity_bytes)
      cbs = {g.c};
    else
      cbs = block_sizes(g.c, kMaxField16, 16);
  }
  add_candidates(p, block_sizes(g.k, kMaxField16, cc.cols), cbs, out);
  if (out.empty()) {  // narrow blocks only when nothing wider fits
    if (p.kind == TileKind::Dense) cbs = block_sizes(g.c, kMaxField16, 1);
    add_candidates(p, block_sizes(g.k, kMaxField16, 1), cbs, out);
  }
  if (p.only_order) {
    std::vector<Tiling> kept;
    for (const Tiling& t : out)
      if (t.order == *p.only_order) kept.push_back(t);
    if (!kept.empty()) out.swap(kept);
  }
  return out;
}

TilingCost estimate(const LayerProblem& p, const Tiling& t) {
  return replay(p, t, Objective::Latency, kInf);
}

double objective_value(Objective o, const TilingCost& c) {
  return objective_of(o, c.cycles, c.energy_pj);
}

SearchResult search(const LayerProblem& p, Objective o) {
  const std::vector<Tiling> cands = enumerate_candidates(p);
  SearchResult r;
  r.candidates = cands.size();
  if (cands.empty()) {
    // The smallest tile: one output row, one output channel, one input channel.
    const ChunkConfig& cc = *p.cc;
    const bool split = p.kind == TileKind::Dense && p.g.c > 1;
    const Need n = need_of(p.kind, p.g, 1, 1, 1, split);
    std::string msg;
    auto add = [&](const char* name, uint64_t needed, uint64_t have) {
      if (needed > have)
        msg += fmt::format("{}{} needs at least {} bytes (chunk '{}' has {})",
                           msg.empty() ? "" : "; ", name, needed, cc.name, have);
    };
    add("ibuf", n.ibuf, cc.ibuf.capacity_bytes);
    add("wbuf", n.wbuf, cc.wbuf.capacity_bytes);
    add("obuf", n.obuf, cc.obuf.capacity_bytes);
    if (msg.empty()) msg = "a block exceeds the ISA's 65535 channels";
    throw Error(fmt::format("{}: no tile fits the buffers: {}", p.what, msg));
  }
  // The best single- and double-buffered candidates.
  double best[2] = {kInf, kInf};
  SearchResult pick[2];
  for (const Tiling& t : cands) {
    const int db = t.double_buffered;
    const TilingCost c = replay(p, t, o, best[db]);
    ++r.evaluated;
    const double v = objective_of(o, c.cycles, c.energy_pj);
    if (v < best[db]) best[db] = v, pick[db].tiling = t, pick[db].cost = c;
  }
  const int db = best[1] < kDoubleBufferGain * best[0];
  r.tiling = pick[db].tiling;
  r.cost = pick[db].cost;
  return r;
}

}  // namespace savp::mapper
