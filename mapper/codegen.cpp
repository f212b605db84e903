#include "mapper/codegen.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "common/errors.hpp"
#include "common/tile_timing.hpp"
#include "firmware/address_map.hpp"
#include "mapper/cost_model.hpp"
#include "mapper/fallback.hpp"

namespace savp::mapper {

namespace {

using isa::ComputeOp;
using isa::Opcode;

constexpr uint64_t kAlign = 64;
constexpr uint64_t kMaxField16 = 65535;
// Per-DMA-instruction overhead (setup + latency) the tiling estimate assumes, in cycles.
constexpr double kDmaOverhead = 80.0;
constexpr uint64_t kDoubleBufferBands[] = {4};
constexpr double kDoubleBufferGain = 0.95;

uint64_t align_up(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }
uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
uint32_t bit(int engine) { return 1u << engine; }

std::string desc(const Layer& l) {
  return fmt::format("layer '{}' ({}{}{})", l.name, to_string(l.type), l.has_weights() ? ", " : "",
                     l.has_weights() ? to_string(l.op) : "");
}

// The geometry of a windowed layer (conv, depthwise, linear as 1x1, pools).
struct Geo {
  uint64_t h, w, c, oh, ow, k, kh, kw, s, ph, pw;
  // Input rows [first, last) loaded for output rows [oy0, oy0 + rb), and the rows missing above.
  void band(uint64_t oy0, uint64_t rb, uint64_t& iy0, uint64_t& ih, uint64_t& pad_t) const {
    const int64_t first = static_cast<int64_t>(oy0 * s) - static_cast<int64_t>(ph);
    const int64_t last = static_cast<int64_t>((oy0 + rb - 1) * s + kh) - static_cast<int64_t>(ph);
    const int64_t lo = std::max<int64_t>(0, first);
    const int64_t hi = std::max<int64_t>(lo + 1, std::min<int64_t>(static_cast<int64_t>(h), last));
    iy0 = static_cast<uint64_t>(lo);
    ih = static_cast<uint64_t>(hi - lo);
    pad_t = static_cast<uint64_t>(lo - first);
  }
  uint64_t in_rows(uint64_t rb) const { return std::min(h, (rb - 1) * s + kh); }
};

enum class Kind { Dense, Depthwise, Pool };

struct Tiling {
  uint64_t rb = 0, kb = 0, cb = 0;  // output rows per band, out channels per block, in per step
  uint64_t ibuf = 0, wbuf = 0, obuf = 0;
  double cost = std::numeric_limits<double>::infinity();
};

// Buffer bytes of a tile (rb rows, kb out channels, cb in channels).
struct Need {
  uint64_t ibuf, wbuf, obuf;
};
Need need_of(Kind kind, const Geo& g, uint64_t rb, uint64_t kb, uint64_t cb, bool split) {
  Need n{};
  n.ibuf = g.in_rows(rb) * g.w * cb;
  const uint64_t outs = rb * g.ow * kb;
  if (kind == Kind::Dense) {
    n.wbuf = align_up(kb * g.kh * g.kw * cb) + kb * 4;
    n.obuf = split ? align_up(outs) + outs * 4 : outs;
  } else if (kind == Kind::Depthwise) {
    n.wbuf = align_up(cb * g.kh * g.kw) + cb * 4;
    n.obuf = outs;
  } else {
    n.wbuf = 0;
    n.obuf = outs;
  }
  return n;
}

// Distinct balanced block sizes ceil(n / parts), descending.
std::vector<uint64_t> block_sizes(uint64_t n, uint64_t cap) {
  std::set<uint64_t> s;
  for (uint64_t parts = 1; parts <= n; ++parts) {
    uint64_t b = ceil_div(n, parts);
    if (b <= cap) s.insert(b);
    if (b == 1) break;
  }
  return {s.rbegin(), s.rend()};
}

// Buffer capacity per tile: the whole buffer, or one 64-byte aligned half (double buffering).
uint64_t tile_cap(uint64_t cap, bool halves) { return halves ? cap / 2 / kAlign * kAlign : cap; }

// With `halves`, tiles must fit half of every buffer, and no tile fitting returns rb == 0.
Tiling choose_tiling(const Layer& l, Kind kind, const Geo& g, const ChunkConfig& cc,
                     bool halves = false, uint64_t min_bands = 1) {
  const uint64_t IB = tile_cap(cc.ibuf.capacity_bytes, halves),
                 WB = tile_cap(cc.wbuf.capacity_bytes, halves),
                 OB = tile_cap(cc.obuf.capacity_bytes, halves);
  Tiling best;
  const std::vector<uint64_t> cbs =
      kind == Kind::Dense ? block_sizes(g.c, kMaxField16) : std::vector<uint64_t>{0};
  const std::vector<uint64_t> kbs = block_sizes(g.k, kMaxField16);
  for (uint64_t cb0 : cbs) {
    for (uint64_t kb : kbs) {
      const uint64_t cb = kind == Kind::Dense ? cb0 : kb;
      const bool split = kind == Kind::Dense && cb < g.c;
      Need n1 = need_of(kind, g, 1, kb, cb, split);
      if (n1.ibuf > IB || n1.wbuf > WB || n1.obuf > OB) continue;
      // Largest band that fits, then balanced over the bands.
      // Double buffering needs several steps to overlap: at least kDoubleBufferBands bands.
      uint64_t lo = 1, hi = std::max<uint64_t>(1, g.oh / min_bands);
      while (lo < hi) {
        uint64_t mid = (lo + hi + 1) / 2;
        Need n = need_of(kind, g, mid, kb, cb, split);
        if (n.ibuf <= IB && n.obuf <= OB)
          lo = mid;
        else
          hi = mid - 1;
      }
      const uint64_t nb = ceil_div(g.oh, lo);
      uint64_t rb = ceil_div(g.oh, nb);
      // Prefer a pixel count that is a whole multiple of the array rows.
      if (nb > 1 && rb * g.ow > cc.rows) {
        for (uint64_t r = rb; r * 4 >= rb * 3 && r >= 1; --r)
          if ((r * g.ow) % cc.rows == 0) {
            rb = r;
            break;
          }
      }
      const uint64_t bands = ceil_div(g.oh, rb), kblocks = ceil_div(g.k, kb),
                     csteps = kind == Kind::Dense ? ceil_div(g.c, cb) : 1;
      double in_bytes = 0;
      for (uint64_t b = 0; b < bands; ++b) {
        uint64_t iy0, ih, pt;
        g.band(b * rb, std::min(rb, g.oh - b * rb), iy0, ih, pt);
        in_bytes += static_cast<double>(ih * g.w * g.c);
      }
      if (kind == Kind::Dense) in_bytes *= static_cast<double>(kblocks);
      if (split && cb < 64) in_bytes *= 64.0 / static_cast<double>(cb);  // narrow DMA rows
      const double w_bytes =
          kind == Kind::Pool
              ? 0.0
              : static_cast<double>(g.k * g.kh * g.kw * (kind == Kind::Dense ? g.c : 1)) *
                    (split ? static_cast<double>(bands) : 1.0);
      const double steps = static_cast<double>(bands * kblocks * csteps);
      // Array utilisation: partial column / row folds waste PE cycles.
      const double util =
          static_cast<double>(kb) / static_cast<double>(ceil_div(kb, cc.cols) * cc.cols);
      const double cost =
          in_bytes + w_bytes + 256.0 * steps + 16.0 * static_cast<double>(bands * kblocks) / util;
      if (cost < best.cost) {
        Need n = need_of(kind, g, rb, kb, cb, split);
        best = Tiling{rb, kb, kind == Kind::Pool ? kb : cb, n.ibuf, n.wbuf, n.obuf, cost};
      }
    }
  }
  if (best.rb == 0 && !halves) {
    // The smallest tile: one output row, one output channel, one input channel.
    const bool split = kind == Kind::Dense && g.c > 1;
    Need n = need_of(kind, g, 1, 1, 1, split);
    std::string msg;
    auto add = [&](const char* name, uint64_t needed, uint64_t have) {
      if (needed > have)
        msg += fmt::format("{}{} needs at least {} bytes (chunk '{}' has {})",
                           msg.empty() ? "" : "; ", name, needed, cc.name, have);
    };
    add("ibuf", n.ibuf, IB);
    add("wbuf", n.wbuf, WB);
    add("obuf", n.obuf, OB);
    throw Error(fmt::format("{}: no tile fits the buffers: {}", desc(l), msg));
  }
  return best;
}

// Estimated cycles of a layer with tiling t: a replay of the step loop (the same token rules as
// the emitted code, lag 2 with halves, else 1) with compute from the chunk's timing model and
// DMA at the DRAM peak plus a fixed overhead per instruction.
double estimate_cycles(Kind kind, const Geo& g, const ChunkConfig& cc, const Tiling& t,
                       bool halves, double peak) {
  const uint64_t bands = ceil_div(g.oh, t.rb), kblocks = ceil_div(g.k, t.kb);
  const uint64_t csteps = kind == Kind::Dense ? ceil_div(g.c, t.cb) : 1;
  const bool split = csteps > 1;
  const size_t lag = halves ? 2 : 1;
  auto dma = [&](double bytes) { return kDmaOverhead + bytes / peak; };
  std::vector<double> cf, sf;
  double lf = 0, cfree = 0, sfree = 0;
  for (uint64_t kbi = 0; kbi < kblocks; ++kbi) {
    const uint64_t nk = std::min(t.kb, g.k - kbi * t.kb);
    for (uint64_t b = 0; b < bands; ++b) {
      const uint64_t oy0 = b * t.rb, nr = std::min(t.rb, g.oh - oy0);
      uint64_t iy0, ih, pt;
      g.band(oy0, nr, iy0, ih, pt);
      for (uint64_t cs = 0; cs < csteps; ++cs) {
        const uint64_t nc = kind == Kind::Dense ? std::min(t.cb, g.c - cs * t.cb) : nk;
        double load = dma(static_cast<double>(ih * g.w * nc));
        if (kind != Kind::Pool && (split || b == 0))
          load += dma(static_cast<double>(nk * g.kh * g.kw * (kind == Kind::Dense ? nc : 1))) +
                  (cs == 0 ? dma(static_cast<double>(nk * 4)) : 0.0);
        double comp = 0;
        if (kind == Kind::Pool)
          comp = static_cast<double>(vector_cycles(cc.cols, nr * g.ow * nk, g.kh * g.kw));
        else
          comp = static_cast<double>(
              systolic_cost(cc.rows, cc.cols, cc.dataflow,
                            kind == Kind::Dense ? ConvDims{nr * g.ow, nk, g.kh * g.kw * nc, 1}
                                                : ConvDims{nr * g.ow, 1, g.kh * g.kw, nk})
                  .cycles);
        const size_t s = cf.size();
        lf = std::max(lf, s >= lag ? cf[s - lag] : 0.0) + load;
        double start = std::max(cfree, lf);
        if (cs == 0 && sf.size() >= lag) start = std::max(start, sf[sf.size() - lag]);
        cfree = start + comp;
        cf.push_back(cfree);
        if (cs + 1 == csteps) {
          sfree = std::max(sfree, cfree) + dma(static_cast<double>(nr * g.ow * nk));
          sf.push_back(sfree);
        }
      }
    }
  }
  return sfree;
}

// Builds the instruction stream with DRAM addresses relative to the data base (relocated
// afterwards, once the code size is known).
class Emitter {
 public:
  std::vector<isa::Instruction> code;

  void load(uint64_t src, uint64_t dst, uint64_t rows, uint64_t row_bytes, uint64_t src_stride,
            uint64_t dst_stride) {
    if (rows > 1 && row_bytes == src_stride && row_bytes == dst_stride) {
      row_bytes *= rows;
      src_stride = dst_stride = row_bytes;
      rows = 1;
    }
    isa::Instruction in = isa::make_dma(
        Opcode::Load, src, dst, static_cast<uint32_t>(rows), static_cast<uint32_t>(row_bytes),
        static_cast<uint32_t>(src_stride), static_cast<uint32_t>(dst_stride));
    if (step_loads_ == 0 && need_load_wait_) in.set(isa::kWaitMask, bit(chunk_engine_));
    ++step_loads_;
    pending_.push_back(code.size());
    code.push_back(in);
  }

  // Starts a layer on chunk `chunk`.
  void begin_layer(int chunk) {
    chunk_engine_ = isa::chunk_engine(chunk);
    chunk_ = chunk;
    need_load_wait_ = false;
    step_loads_ = 0;
    pending_.clear();
  }

  // Starts a step (its loads, then one COMPUTE); `wait_chunk`: its first LOAD pops a
  // chunk -> load token (a buffer it overwrites is free).
  void begin_step(bool wait_chunk) {
    need_load_wait_ = wait_chunk;
    step_loads_ = 0;
    pending_.clear();
  }

  // The step's COMPUTE (its last LOAD is made to signal it). `wait_store`: pops a store -> chunk
  // token (the obuf (half) is free); `signal_load`: a later LOAD waits for this compute;
  // `store`: this compute finishes an output tile (a STORE follows).
  void compute(const isa::ComputeArgs& a, bool wait_store, bool signal_load, bool store) {
    uint32_t wait = 0, signal = 0;
    if (!pending_.empty()) {
      isa::Instruction& last = code[pending_.back()];
      last.set(isa::kSignalMask, last.signal_mask() | bit(chunk_engine_));
      wait |= bit(isa::kEngineLoad);
    }
    if (wait_store) wait |= bit(isa::kEngineStore);
    if (signal_load) signal |= bit(isa::kEngineLoad);
    if (store) signal |= bit(isa::kEngineStore);
    isa::Instruction in = isa::make_compute(chunk_, a);
    in.set(isa::kWaitMask, wait);
    in.set(isa::kSignalMask, signal);
    code.push_back(in);
    need_load_wait_ = false;
    step_loads_ = 0;
    pending_.clear();
  }

  // The STORE after a compute that signalled store; `signal_chunk`: a later COMPUTE waits for
  // it (it frees the obuf (half)).
  void store(uint64_t src, uint64_t dst, uint64_t rows, uint64_t row_bytes, uint64_t src_stride,
             uint64_t dst_stride, bool signal_chunk) {
    if (rows > 1 && row_bytes == src_stride && row_bytes == dst_stride) {
      row_bytes *= rows;
      src_stride = dst_stride = row_bytes;
      rows = 1;
    }
    isa::Instruction in = isa::make_dma(
        Opcode::Store, src, dst, static_cast<uint32_t>(rows), static_cast<uint32_t>(row_bytes),
        static_cast<uint32_t>(src_stride), static_cast<uint32_t>(dst_stride));
    in.set(isa::kWaitMask, bit(chunk_engine_));
    if (signal_chunk) in.set(isa::kSignalMask, bit(chunk_engine_));
    code.push_back(in);
  }

  void sync(Opcode op) { code.push_back(isa::make_sync(op)); }

 private:
  int chunk_ = 0, chunk_engine_ = 2;
  bool need_load_wait_ = false;
  int step_loads_ = 0;
  std::vector<size_t> pending_;
};

struct Data {
  std::vector<fw::Segment> segments;  // addresses relative to the data base
  uint64_t end = 0;
  uint64_t reserve(uint64_t bytes) {
    uint64_t a = end;
    end = align_up(end + std::max<uint64_t>(bytes, 1));
    return a;
  }
  uint64_t add(std::vector<uint8_t> bytes) {
    uint64_t a = reserve(bytes.size());
    segments.push_back(fw::Segment{a, std::move(bytes)});
    return a;
  }
};

uint64_t ibuf(int c) { return amap::chunk_buffer_base(c, amap::ChunkBuffer::Ibuf); }
uint64_t wbuf(int c) { return amap::chunk_buffer_base(c, amap::ChunkBuffer::Wbuf); }
uint64_t obuf(int c) { return amap::chunk_buffer_base(c, amap::ChunkBuffer::Obuf); }

uint32_t u32(uint64_t v) { return static_cast<uint32_t>(v); }

}  // namespace

const char* to_string(Objective o) {
  switch (o) {
    case Objective::Latency: return "latency";
    case Objective::Energy: return "energy";
    case Objective::Edp: return "edp";
  }
  return "?";
}

Objective parse_objective(const std::string& s) {
  for (Objective o : {Objective::Latency, Objective::Energy, Objective::Edp})
    if (s == to_string(o)) return o;
  throw Error("unknown objective '" + s + "' (allowed: latency, energy, edp)");
}

MappedNetwork generate(const QuantizedNetwork& q, const HwConfig& hw,
                       const std::vector<int8_t>& input, const MapOptions& opt) {
  (void)opt;  // objective: the tiling search; batch: the chunk pipeline (both in progress)
  // A layer whose kind has no chunk: its config-allowed fallback, or an error naming it.
  if (needs_fallback(q, hw)) return generate(apply_fallbacks(q, hw), hw, input, opt);
  const Network& net = q.net;
  if (q.params.size() != net.layers.size())
    throw Error(fmt::format("network '{}': {} parameter sets for {} layers", net.name,
                            q.params.size(), net.layers.size()));
  if (input.size() != net.input.elements())
    throw Error(fmt::format("network '{}': input has {} bytes, expected {} ({})", net.name,
                            input.size(), net.input.elements(), net.input.str()));
  if (hw.chunks.empty()) throw Error(fmt::format("platform '{}' has no chunks", hw.name));
  if (hw.chunks.size() > static_cast<size_t>(isa::kMaxChunks))
    throw Error(fmt::format("platform '{}': more than {} chunks", hw.name, isa::kMaxChunks));

  MappedNetwork m;
  Data data;
  Emitter em;
  m.input_addr = data.add(std::vector<uint8_t>(input.begin(), input.end()));

  // Output regions first (addresses), then the code (weights placed as layers are visited).
  const size_t n = net.layers.size();
  m.layers.resize(n);
  std::vector<uint64_t> out_addr(n);
  auto addr_of = [&](const std::string& name) {
    return name == kInputName ? m.input_addr : out_addr[net.index_of(name)];
  };
  for (size_t i = 0; i < n; ++i) {
    const Layer& l = net.layers[i];
    out_addr[i] =
        l.type == LayerType::Flatten ? addr_of(l.inputs[0]) : data.reserve(l.out_shape.elements());
  }

  bool first_layer = true;
  for (size_t li = 0; li < n; ++li) {
    const Layer& l = net.layers[li];
    const LayerParams& p = q.params[li];
    LayerPlacement& pl = m.layers[li];
    pl.layer = l.name;
    pl.out_addr = out_addr[li];
    pl.out_bytes = l.out_shape.elements();
    const uint64_t first_instr = em.code.size();
    if (l.type == LayerType::Flatten) {
      pl.instr_range = {first_instr, first_instr};
      continue;
    }
    int chunk = 0;
    if (l.has_weights()) {
      chunk = -1;
      for (size_t c = 0; c < hw.chunks.size(); ++c)
        if (hw.chunks[c].kind == l.op) {
          chunk = static_cast<int>(c);
          break;
        }
      if (chunk < 0)
        throw Error(fmt::format("{}: the platform '{}' has no {} chunk to run it", desc(l), hw.name,
                                to_string(l.op)));
    }
    const ChunkConfig& cc = hw.chunks[chunk];
    pl.chunk = chunk;
    if (!first_layer) em.sync(Opcode::Barrier);
    first_layer = false;
    em.begin_layer(chunk);
    const uint64_t in_addr = addr_of(l.inputs[0]);
    const uint64_t dst = out_addr[li];

    if (l.type == LayerType::Add) {
      const uint64_t total = l.out_shape.elements();
      const uint64_t cap = std::min(
          {cc.ibuf.capacity_bytes / 2 / kAlign * kAlign, cc.obuf.capacity_bytes, kMaxField16});
      if (cap == 0)
        throw Error(fmt::format("{}: no tile fits: ibuf needs at least 128 bytes", desc(l)));
      const uint64_t nt = ceil_div(total, cap), tb = ceil_div(total, nt);
      const uint64_t b_off = align_up(tb);
      const uint64_t b_addr = addr_of(l.inputs[1]);
      pl.tile_k = u32(tb), pl.ibuf_bytes = b_off + tb, pl.obuf_bytes = tb;
      for (uint64_t t = 0; t < nt; ++t) {
        const uint64_t e0 = t * tb, ne = std::min(tb, total - e0);
        em.begin_step(t > 0);
        em.load(in_addr + e0, ibuf(chunk), 1, ne, ne, ne);
        em.load(b_addr + e0, ibuf(chunk) + b_off, 1, ne, ne, ne);
        isa::ComputeArgs a;
        a.op = ComputeOp::Add;
        a.kind = static_cast<uint8_t>(cc.kind);
        a.k = u32(ne);
        a.obits = l.act_bits;
        a.multiplier = static_cast<uint32_t>(p.multiplier);
        a.multiplier2 = static_cast<uint32_t>(p.multiplier2);
        a.shift = static_cast<uint32_t>(p.shift);
        a.in = 0, a.w = u32(b_off), a.out = 0;
        a.flags = l.relu ? isa::kFlagRelu : 0;
        const bool more = t + 1 < nt;
        em.compute(a, t > 0, more, true);
        em.store(obuf(chunk), dst + e0, 1, ne, ne, ne, more);
      }
      pl.instr_range = {first_instr, em.code.size()};
      continue;
    }

    // Windowed layers.
    const bool linear = l.type == LayerType::Linear;
    const bool global = l.type == LayerType::GlobalAvgPool;
    Kind kind = Kind::Pool;
    if (l.type == LayerType::Conv || linear) {
      if (!linear && l.groups != 1) {
        if (l.is_depthwise() && l.out_channels == l.in_shape.c)
          kind = Kind::Depthwise;
        else
          throw Error(fmt::format(
              "{}: grouped conv with {} groups is not supported by code generation yet (only "
              "groups 1 and depthwise with out_channels == in channels)",
              desc(l), l.groups));
      } else {
        kind = Kind::Dense;
      }
    }
    if (!linear && !global && l.stride_h != l.stride_w)
      throw Error(fmt::format("{}: stride {}x{}: the ISA has one stride for both axes", desc(l),
                              l.stride_h, l.stride_w));
    Geo g{};
    if (linear) {
      g = Geo{1, 1, l.in_shape.elements(), 1, 1, l.out_channels, 1, 1, 1, 0, 0};
    } else if (global) {
      g = Geo{l.in_shape.h,
              l.in_shape.w,
              l.in_shape.c,
              1,
              1,
              l.in_shape.c,
              l.in_shape.h,
              l.in_shape.w,
              1,
              0,
              0};
    } else {
      g = Geo{l.in_shape.h, l.in_shape.w, l.in_shape.c, l.out_shape.h, l.out_shape.w, l.out_shape.c,
              l.kernel_h,   l.kernel_w,   l.stride_h,   l.pad_h,       l.pad_w};
    }
    const Tiling t1 = choose_tiling(l, kind, g, cc);
    // Double buffering (tiles in half buffers, at least kDoubleBufferBands bands to overlap)
    // when its estimated cycles beat single buffering's by a margin (the estimate ignores the
    // DRAM / buffer contention of overlapped transfers).
    const double peak = dram_bytes_per_cycle(hw);
    bool db = false;
    Tiling t = t1;
    double best_est = estimate_cycles(kind, g, cc, t1, false, peak);
    for (uint64_t mb : kDoubleBufferBands) {
      if (mb > g.oh) break;
      const Tiling t2 = choose_tiling(l, kind, g, cc, true, mb);
      if (t2.rb == 0) continue;
      const double e = estimate_cycles(kind, g, cc, t2, true, peak);
      if (e < kDoubleBufferGain * best_est) best_est = e, t = t2, db = true;
    }
    // Byte offsets of half 1 of each buffer (0: single buffering).
    const uint64_t ib_half = db ? tile_cap(cc.ibuf.capacity_bytes, true) : 0;
    const uint64_t wb_half = db ? tile_cap(cc.wbuf.capacity_bytes, true) : 0;
    const uint64_t ob_half = db ? tile_cap(cc.obuf.capacity_bytes, true) : 0;
    pl.tile_rows = u32(t.rb), pl.tile_k = u32(t.kb), pl.tile_c = u32(t.cb);
    pl.double_buffered = db;
    pl.ibuf_bytes = ib_half + t.ibuf, pl.wbuf_bytes = (kind == Kind::Pool ? 0 : wb_half) + t.wbuf,
    pl.obuf_bytes = ob_half + t.obuf;
    const uint64_t bands = ceil_div(g.oh, t.rb), kblocks = ceil_div(g.k, t.kb);
    const uint64_t csteps = kind == Kind::Dense ? ceil_div(g.c, t.cb) : 1;
    const bool split = csteps > 1;

    // Weights and biases in DRAM, blocked as the tiles load them.
    std::vector<std::vector<uint64_t>> w_at(kblocks, std::vector<uint64_t>(csteps, 0));
    uint64_t bias_addr = 0, w_bias_off = 0;
    if (kind != Kind::Pool) {
      const uint64_t taps = g.kh * g.kw;
      std::vector<uint8_t> wb;
      if (kind == Kind::Dense) {
        wb.reserve(p.weights.size());
        for (uint64_t kbi = 0; kbi < kblocks; ++kbi) {
          const uint64_t k0 = kbi * t.kb, nk = std::min(t.kb, g.k - k0);
          for (uint64_t cs = 0; cs < csteps; ++cs) {
            const uint64_t c0 = cs * t.cb, nc = std::min(t.cb, g.c - c0);
            w_at[kbi][cs] = wb.size();
            for (uint64_t kk = k0; kk < k0 + nk; ++kk)
              for (uint64_t tap = 0; tap < taps; ++tap) {
                const int8_t* src = p.weights.data() + (kk * taps + tap) * g.c + c0;
                wb.insert(wb.end(), reinterpret_cast<const uint8_t*>(src),
                          reinterpret_cast<const uint8_t*>(src) + nc);
              }
          }
        }
        w_bias_off = align_up(t.kb * taps * t.cb);
      } else {
        wb.assign(reinterpret_cast<const uint8_t*>(p.weights.data()),
                  reinterpret_cast<const uint8_t*>(p.weights.data()) + p.weights.size());
        for (uint64_t kbi = 0; kbi < kblocks; ++kbi) w_at[kbi][0] = kbi * t.kb * taps;
        w_bias_off = align_up(t.kb * taps);
      }
      const uint64_t w_base = data.add(std::move(wb));
      for (auto& row : w_at)
        for (uint64_t& a : row) a += w_base;
      std::vector<uint8_t> bb(p.bias.size() * 4);
      for (size_t i = 0; i < p.bias.size(); ++i) {
        const uint32_t v = static_cast<uint32_t>(p.bias[i]);
        for (int b = 0; b < 4; ++b) bb[i * 4 + b] = static_cast<uint8_t>(v >> (8 * b));
      }
      bias_addr = data.add(std::move(bb));
    }

    const uint64_t total_steps = kblocks * bands * csteps, total_tiles = kblocks * bands;
    uint64_t step = 0, tile = 0;  // 0-based indices of the step / output tile being emitted
    for (uint64_t kbi = 0; kbi < kblocks; ++kbi) {
      const uint64_t k0 = kbi * t.kb, nk = std::min(t.kb, g.k - k0);
      for (uint64_t b = 0; b < bands; ++b) {
        const uint64_t oy0 = b * t.rb, nr = std::min(t.rb, g.oh - oy0);
        uint64_t iy0, ih, pad_t;
        g.band(oy0, nr, iy0, ih, pad_t);
        const uint64_t outs = nr * g.ow * nk;
        // Buffer halves: the output tile's obuf half, per step the ibuf half, and the wbuf half
        // of the weights it uses (loaded per step when split, else per output-channel block).
        const uint64_t o_off = (tile % 2) * ob_half;
        const uint64_t acc_off = o_off + align_up(outs);
        for (uint64_t cs = 0; cs < csteps; ++cs) {
          const uint64_t i_off = (step % 2) * ib_half;
          const uint64_t w_off = ((split ? step : kbi) % 2) * wb_half;
          // Input channels of this step: dense: [c0, c0 + nc); depthwise / pools: the block.
          const uint64_t c0 = kind == Kind::Dense ? cs * t.cb : k0;
          const uint64_t nc = kind == Kind::Dense ? std::min(t.cb, g.c - c0) : nk;
          em.begin_step(db ? step >= 2 : step >= 1);
          em.load(in_addr + (iy0 * g.w) * g.c + c0, ibuf(chunk) + i_off, ih * g.w, nc, g.c, nc);
          if (kind != Kind::Pool && (split || b == 0)) {
            const uint64_t wbytes = nk * g.kh * g.kw * (kind == Kind::Dense ? nc : 1);
            em.load(w_at[kbi][cs], wbuf(chunk) + w_off, 1, wbytes, wbytes, wbytes);
            if (cs == 0)
              em.load(bias_addr + k0 * 4, wbuf(chunk) + w_off + w_bias_off, 1, nk * 4, nk * 4,
                      nk * 4);
          }
          isa::ComputeArgs a;
          a.kind = static_cast<uint8_t>(cc.kind);
          a.k = u32(nk), a.c = u32(nc), a.oh = u32(nr), a.ow = u32(g.ow);
          a.ih = u32(ih), a.iw = u32(g.w), a.kh = u32(g.kh), a.kw = u32(g.kw);
          a.stride = u32(g.s), a.pad_t = u32(pad_t), a.pad_l = u32(g.pw);
          a.abits = 8;
          a.obits = l.act_bits;
          a.in = u32(i_off), a.out = u32(o_off);
          if (kind == Kind::Pool) {
            a.op = l.type == LayerType::MaxPool ? ComputeOp::MaxPool : ComputeOp::AvgPool;
            a.multiplier = static_cast<uint32_t>(p.multiplier);
            a.shift = static_cast<uint32_t>(p.shift);
          } else {
            a.op = kind == Kind::Dense ? ComputeOp::Conv : ComputeOp::DwConv;
            a.wbits = l.weight_bits;
            a.multiplier = static_cast<uint32_t>(p.multiplier);
            a.shift = static_cast<uint32_t>(p.shift);
            a.w = u32(w_off), a.bias = u32(w_off + w_bias_off), a.acc = u32(acc_off);
            uint32_t f = l.relu ? isa::kFlagRelu : 0;
            if (cs > 0) f |= isa::kFlagAccLoad;
            if (cs + 1 < csteps) f |= isa::kFlagOutPartial;
            a.flags = f;
          }
          const bool last_c = cs + 1 == csteps;
          const uint64_t lag = db ? 2 : 1;  // how many steps / tiles a buffer (half) is reused after
          em.compute(a, cs == 0 && tile >= lag, step + lag < total_steps, last_c);
          if (last_c) {
            em.store(obuf(chunk) + o_off, dst + (oy0 * g.ow) * g.k + k0, nr * g.ow, nk, nk, g.k,
                     tile + lag < total_tiles);
            ++tile;
          }
          ++step;
        }
      }
    }
    pl.instr_range = {first_instr, em.code.size()};
  }
  em.sync(Opcode::Halt);

  // Relocate: the data follows the code.
  const uint64_t base = align_up(em.code.size() * isa::kInstrBytes);
  for (isa::Instruction& in : em.code) {
    if (in.opcode() == Opcode::Load && in.get(isa::kSrcAddr) < amap::kGlbBase)
      in.set(isa::kSrcAddr, in.get(isa::kSrcAddr) + base);
    if (in.opcode() == Opcode::Store && in.get(isa::kDstAddr) < amap::kGlbBase)
      in.set(isa::kDstAddr, in.get(isa::kDstAddr) + base);
  }
  m.image.code_base = 0;
  m.image.code = std::move(em.code);
  for (fw::Segment& s : data.segments) {
    s.addr += base;
    m.image.segments.push_back(std::move(s));
  }
  m.input_addr += base;
  for (size_t i = 0; i < n; ++i) {
    const Layer& l = net.layers[i];
    m.layers[i].out_addr += base;
    m.image.outputs.push_back(fw::OutputRegion{l.name,
                                               m.layers[i].out_addr,
                                               l.out_shape.elements(),
                                               {l.out_shape.h, l.out_shape.w, l.out_shape.c}});
  }
  const uint64_t dram_end = base + data.end;
  if (dram_end > hw.dram.capacity_bytes())
    throw Error(fmt::format("network '{}': the image needs {} bytes of DRAM, platform '{}' has {}",
                            net.name, dram_end, hw.name, hw.dram.capacity_bytes()));
  return m;
}

}  // namespace savp::mapper
