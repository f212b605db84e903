#include "mapper/codegen.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "common/errors.hpp"
#include "firmware/address_map.hpp"
#include "mapper/cost_model.hpp"
#include "mapper/fallback.hpp"
#include "mapper/layer_deps.hpp"
#include "mapper/tiling.hpp"
#include "mapper/weight_store.hpp"

namespace savp::mapper {

namespace {

using isa::ComputeOp;
using isa::Opcode;

constexpr uint64_t kAlign = 64;
constexpr uint64_t kMaxField16 = 65535;
constexpr uint64_t kAddTiles = 8;  // tiles of a double-buffered residual add (when large enough)

uint64_t align_up(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }
uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
uint32_t bit(int engine) { return 1u << engine; }

std::string desc(const Layer& l) {
  return fmt::format("layer '{}' ({}{}{})", l.name, to_string(l.type), l.has_weights() ? ", " : "",
                     l.has_weights() ? to_string(l.op) : "");
}

// Builds the instruction stream with DRAM addresses relative to the data base (relocated
// afterwards, once the code size is known).
class Emitter {
 public:
  std::vector<isa::Instruction> code;

  // A LOAD of the current step; `extra_wait`: further tokens it pops (a STORE it reads after).
  void load(uint64_t src, uint64_t dst, uint64_t rows, uint64_t row_bytes, uint64_t src_stride,
            uint64_t dst_stride, uint32_t extra_wait = 0) {
    isa::Instruction in = dma(Opcode::Load, src, dst, rows, row_bytes, src_stride, dst_stride);
    uint32_t wait = extra_wait;
    if (step_loads_ == 0 && need_load_wait_) wait |= bit(chunk_engine_);
    in.set(isa::kWaitMask, wait);
    ++step_loads_;
    pending_.push_back(code.size());
    code.push_back(in);
  }

  // A LOAD of a later layer's first step emitted ahead of the barrier (prefetch); its step
  // adopts it later (adopt()). Returns its index.
  size_t prefetch_load(uint64_t src, uint64_t dst, uint64_t rows, uint64_t row_bytes,
                       uint64_t src_stride, uint64_t dst_stride, uint32_t wait) {
    isa::Instruction in = dma(Opcode::Load, src, dst, rows, row_bytes, src_stride, dst_stride);
    in.set(isa::kWaitMask, wait);
    code.push_back(in);
    return code.size() - 1;
  }
  // Counts the prefetched LOAD at `at` as a load of the current step (its COMPUTE waits for the
  // step's last load).
  void adopt(size_t at) {
    ++step_loads_;
    pending_.push_back(at);
  }

  // The last LOAD of the current step so far (-1: none).
  int64_t last_step_load() const {
    return pending_.empty() ? -1 : static_cast<int64_t>(pending_.back());
  }

  static isa::Instruction dma(Opcode op, uint64_t src, uint64_t dst, uint64_t rows,
                              uint64_t row_bytes, uint64_t src_stride, uint64_t dst_stride) {
    if (rows > 1 && row_bytes == src_stride && row_bytes == dst_stride) {
      row_bytes *= rows;
      src_stride = dst_stride = row_bytes;
      rows = 1;
    }
    return isa::make_dma(op, src, dst, static_cast<uint32_t>(rows),
                         static_cast<uint32_t>(row_bytes), static_cast<uint32_t>(src_stride),
                         static_cast<uint32_t>(dst_stride));
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
  // Returns it instead of appending it (push() it: now, or after the barrier when deferred).
  isa::Instruction store(uint64_t src, uint64_t dst, uint64_t rows, uint64_t row_bytes,
                         uint64_t src_stride, uint64_t dst_stride, bool signal_chunk) const {
    isa::Instruction in = dma(Opcode::Store, src, dst, rows, row_bytes, src_stride, dst_stride);
    in.set(isa::kWaitMask, bit(chunk_engine_));
    if (signal_chunk) in.set(isa::kSignalMask, bit(chunk_engine_));
    return in;
  }
  size_t push(const isa::Instruction& in) {
    code.push_back(in);
    return code.size() - 1;
  }

  void sync(Opcode op) { code.push_back(isa::make_sync(op)); }

  // Makes the earlier instruction at index `at` signal `engine` (a later wait pops it).
  void add_signal(size_t at, int engine) {
    isa::Instruction& in = code[at];
    in.set(isa::kSignalMask, in.signal_mask() | bit(engine));
  }

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

const char* to_string(LoopOrder o) {
  switch (o) {
    case LoopOrder::KBlockOuter: return "kblock-outer";
    case LoopOrder::BandOuter: return "band-outer";
    case LoopOrder::WeightsResident: return "weights-resident";
  }
  return "?";
}

Objective parse_objective(const std::string& s) {
  for (Objective o : {Objective::Latency, Objective::Energy, Objective::Edp})
    if (s == to_string(o)) return o;
  throw Error("unknown objective '" + s + "' (allowed: latency, energy, edp)");
}

namespace {

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

// One (layer, input) pair being emitted: where its steps are and the tokens they name.
struct Task {
  const Prepared* pr = nullptr;
  int chunk = 0;
  const std::vector<Step>* steps = nullptr;  // this task's share of the layer's steps
  uint32_t image = 0;
  size_t next = 0;  // next step (Add: tiles are emitted all at once)
  TokenPlan plan;
  std::vector<size_t> compute_at, store_at;  // instruction index per step / per tile
  uint64_t first_instr = 0, last_instr = 0;
  // Loads of the first step (tile) emitted ahead of the barrier before the task's stage: which
  // of the step's loads (in loads_of() order), and their instruction indices.
  std::vector<bool> prefetched;
  std::vector<size_t> prefetch_at;
  // Double buffering: the STORE of a finished tile waits to be emitted after the next step's
  // loads (see emit_step).
  struct HeldStore {
    isa::Instruction in;
    ByteRange dram, obuf;
  };
  std::optional<HeldStore> held;
  bool done() const { return pr->add ? next > 0 : next >= steps->size(); }
};

// Splits a conv / linear layer across every chunk of its kind whose array and buffers equal
// the first one's (the tiling was chosen for that one), each chunk running a contiguous,
// near-equal share of the output tiles: by output-channel blocks when there are at least as
// many blocks as chunks, else by row bands within each block. A share loads for itself what
// the unsplit order loads once for all: a band's input at its first step in the share, a
// block's weights and biases at its first step in the share. Pools stay on one chunk.
void split_across_instances(Prepared& pr, const Layer& l, const HwConfig& hw) {
  const ChunkConfig& first = hw.chunks[pr.chunk];
  pr.chunks = {pr.chunk};
  if (l.has_weights())
    for (size_t c = pr.chunk + 1; c < hw.chunks.size(); ++c) {
      const ChunkConfig& o = hw.chunks[c];
      if (o.kind == first.kind && o.rows == first.rows && o.cols == first.cols &&
          o.weight_bits == first.weight_bits &&
          o.ibuf.capacity_bytes == first.ibuf.capacity_bytes &&
          o.wbuf.capacity_bytes == first.wbuf.capacity_bytes &&
          o.obuf.capacity_bytes == first.obuf.capacity_bytes)
        pr.chunks.push_back(static_cast<int>(c));
    }
  const Tiling& t = pr.t;
  const bool by_blocks = t.kblocks >= pr.chunks.size();
  const uint64_t parts = std::min<uint64_t>(pr.chunks.size(), by_blocks ? t.kblocks : t.bands);
  pr.chunks.resize(parts);
  pr.shares.assign(parts, {});
  for (const Step& s : pr.steps) {
    const uint64_t part = by_blocks ? s.kbi * parts / t.kblocks : s.b * parts / t.bands;
    std::vector<Step>& share = pr.shares[part];
    Step r = s;
    if (parts > 1) {
      const bool new_band = share.empty() || share.back().b != r.b || share.back().cs != r.cs;
      const bool new_block = std::none_of(share.begin(), share.end(),
                                          [&](const Step& x) { return x.kbi == r.kbi; });
      if (!r.load_in && new_band) r.load_in = true;
      if (!r.load_w && new_block && pr.kind != TileKind::Pool) r.load_w = r.load_bias = true;
    }
    r.index = share.size();
    r.tile = share.empty() ? 0 : share.back().tile + (share.back().last_of_tile ? 1 : 0);
    share.push_back(r);
  }
}

}  // namespace

MappedNetwork generate(const QuantizedNetwork& q, const HwConfig& hw,
                       const std::vector<int8_t>& input, const MapOptions& opt) {
  if (opt.batch != 1)
    throw Error(fmt::format("map options ask for a batch of {} but one input was given (the "
                            "batch is the number of inputs)",
                            opt.batch));
  return generate(q, hw, std::vector<std::vector<int8_t>>{input}, opt);
}

MappedNetwork generate(const QuantizedNetwork& q, const HwConfig& hw,
                       const std::vector<std::vector<int8_t>>& inputs, const MapOptions& opt_in) {
  // A layer whose kind has no chunk: its config-allowed fallback, or an error naming it.
  if (needs_fallback(q, hw)) return generate(apply_fallbacks(q, hw), hw, inputs, opt_in);
  MapOptions opt = opt_in;
  opt.batch = 1;
  const Network& net = q.net;
  if (q.params.size() != net.layers.size())
    throw Error(fmt::format("network '{}': {} parameter sets for {} layers", net.name,
                            q.params.size(), net.layers.size()));
  if (inputs.empty() || inputs.size() > kMaxBatch)
    throw Error(fmt::format("network '{}': a batch of {} inputs (allowed: 1 to {})", net.name,
                            inputs.size(), kMaxBatch));
  for (size_t b = 0; b < inputs.size(); ++b)
    if (inputs[b].size() != net.input.elements())
      throw Error(fmt::format("network '{}': input {} has {} bytes, expected {} ({})", net.name, b,
                              inputs[b].size(), net.input.elements(), net.input.str()));
  if (hw.chunks.empty()) throw Error(fmt::format("platform '{}' has no chunks", hw.name));
  if (hw.chunks.size() > static_cast<size_t>(isa::kMaxChunks))
    throw Error(fmt::format("platform '{}': more than {} chunks", hw.name, isa::kMaxChunks));
  const uint32_t batch = static_cast<uint32_t>(inputs.size());

  // The energy prices of the tiling search.
  EnergyTable loaded;
  const EnergyTable* table = opt.energy;
  if (!table && opt.objective != Objective::Latency && !hw.energy_table.empty()) {
    loaded = load_energy_table(hw.energy_table);
    table = &loaded;
  }
  if (!table && opt.objective != Objective::Latency)
    throw Error(fmt::format("objective '{}' needs an energy table: platform '{}' names none",
                            to_string(opt.objective), hw.name));

  MappedNetwork m;
  Data data;
  Emitter em;
  // Inputs, then every input's output regions, then the weights (placed as layers are
  // prepared). Image 0 is the plain network; input b's regions are named "<layer>#b".
  std::vector<uint64_t> in_addr(batch);
  for (uint32_t b = 0; b < batch; ++b)
    in_addr[b] = data.add(std::vector<uint8_t>(inputs[b].begin(), inputs[b].end()));
  m.input_addr = in_addr[0];
  const size_t n = net.layers.size();
  m.layers.resize(n);
  std::vector<std::vector<uint64_t>> out_addr(batch, std::vector<uint64_t>(n));
  auto addr_of = [&](uint32_t b, const std::string& name) {
    return name == kInputName ? in_addr[b] : out_addr[b][net.index_of(name)];
  };
  for (uint32_t b = 0; b < batch; ++b)
    for (size_t i = 0; i < n; ++i) {
      const Layer& l = net.layers[i];
      out_addr[b][i] = l.type == LayerType::Flatten ? addr_of(b, l.inputs[0])
                                                    : data.reserve(l.out_shape.elements());
    }

  // Prepare every layer that has code: chunk, tiling, weights in DRAM.
  std::vector<Prepared> prep;
  prep.reserve(n);
  for (size_t li = 0; li < n; ++li) {
    const Layer& l = net.layers[li];
    const LayerParams& p = q.params[li];
    LayerPlacement& pl = m.layers[li];
    pl.layer = l.name;
    pl.out_addr = out_addr[0][li];
    pl.out_bytes = l.out_shape.elements();
    if (l.type == LayerType::Flatten) continue;
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
    Prepared pr;
    pr.li = li;
    pr.chunk = chunk;

    if (l.type == LayerType::Add) {
      const uint64_t total = l.out_shape.elements();
      const uint64_t cap = std::min(
          {cc.ibuf.capacity_bytes / 2 / kAlign * kAlign, cc.obuf.capacity_bytes, kMaxField16});
      if (cap == 0)
        throw Error(fmt::format("{}: no tile fits: ibuf needs at least 128 bytes", desc(l)));
      pr.add = true;
      pr.add_nt = ceil_div(total, cap), pr.add_tb = ceil_div(total, pr.add_nt);
      // Double buffering when both operands of a tile fit a quarter of the ibuf and its output
      // half the obuf: at least kAddTiles tiles of 64-byte multiples (at least 256 bytes), so
      // the loads of tile t+1 and the store of tile t-1 overlap the add of tile t, and the first
      // load and last store are short.
      const uint64_t cap_db = std::min({cc.ibuf.capacity_bytes / 4 / kAlign * kAlign,
                                        cc.obuf.capacity_bytes / 2 / kAlign * kAlign, kMaxField16});
      if (cap_db > 0) {
        const uint64_t nt = std::max(ceil_div(total, cap_db), std::min(kAddTiles, total / 256));
        if (nt > 1) {
          pr.add_tb = std::min(cap_db, align_up(ceil_div(total, nt)));
          pr.add_nt = ceil_div(total, pr.add_tb);
          pr.add_ibs = cc.ibuf.capacity_bytes / 2 / kAlign * kAlign;
          pr.add_obs = cc.obuf.capacity_bytes / 2 / kAlign * kAlign;
          pl.double_buffered = true;
        }
      }
      pr.add_boff = align_up(pr.add_tb);
      pl.tile_k = u32(pr.add_tb), pl.ibuf_bytes = pr.add_ibs + pr.add_boff + pr.add_tb;
      pl.obuf_bytes = pr.add_obs + pr.add_tb;
      prep.push_back(std::move(pr));
      continue;
    }

    // Windowed layers.
    const bool linear = l.type == LayerType::Linear;
    const bool global = l.type == LayerType::GlobalAvgPool;
    TileKind kind = TileKind::Pool;
    if (l.type == LayerType::Conv || linear) {
      if (!linear && l.groups != 1) {
        if (l.is_depthwise() && l.out_channels == l.in_shape.c)
          kind = TileKind::Depthwise;
        else
          throw Error(fmt::format(
              "{}: grouped conv with {} groups is not supported by code generation yet (only "
              "groups 1 and depthwise with out_channels == in channels)",
              desc(l), l.groups));
      } else {
        kind = TileKind::Dense;
      }
    }
    if (!linear && !global && l.stride_h != l.stride_w)
      throw Error(fmt::format("{}: stride {}x{}: the ISA has one stride for both axes", desc(l),
                              l.stride_h, l.stride_w));
    Geo g{};
    if (linear) {
      g = Geo{1, 1, l.in_shape.elements(), 1, 1, l.out_channels, 1, 1, 1, 0, 0};
    } else if (global) {
      g = Geo{l.in_shape.h, l.in_shape.w, l.in_shape.c, 1, 1, l.in_shape.c,
              l.in_shape.h, l.in_shape.w, 1,            0, 0};
    } else {
      g = Geo{l.in_shape.h, l.in_shape.w, l.in_shape.c, l.out_shape.h, l.out_shape.w, l.out_shape.c,
              l.kernel_h,   l.kernel_w,   l.stride_h,   l.pad_h,       l.pad_w};
    }
    LayerProblem prob;
    prob.kind = kind, prob.g = g, prob.cc = &cc, prob.hw = &hw;
    prob.prices = energy_prices(hw, table, cc, l.has_weights() ? l.weight_bits : 8);
    prob.what = desc(l);
    prob.only_order = opt.only_order;
    std::optional<WeightStore> ws;
    if (kind != TileKind::Pool) {
      ws.emplace(l, p.weights, kind == TileKind::Depthwise, g.k, g.c, g.kh * g.kw, cc, desc(l));
      prob.weights = &*ws;
      if (table && ws->compressed())
        prob.prices.decompress_pj_per_weight = ws->format() == fw::WeightFormat::Packed
                                                   ? table->decompress_packed_pj
                                                   : table->decompress_bitmask_pj;
    }
    const SearchResult sr = search(prob, opt.objective);
    const Tiling& t = sr.tiling;
    const bool db = t.double_buffered;
    pl.tile_rows = u32(t.rb), pl.tile_k = u32(t.kb), pl.tile_c = u32(t.cb);
    pl.double_buffered = db;
    pl.loop_order = t.order;
    pl.est_cycles = sr.cost.cycles, pl.est_energy_pj = sr.cost.energy_pj;
    pl.est_dram_bytes = sr.cost.dram_bytes;
    pl.candidates = sr.candidates;
    const uint64_t wslots = t.order == LoopOrder::WeightsResident ? t.kblocks : db ? 2 : 1;
    pl.ibuf_bytes = (db ? t.ib_stride : 0) + t.ibuf;
    pl.wbuf_bytes = kind == TileKind::Pool ? 0 : (wslots - 1) * t.wb_stride + t.wbuf;
    pl.obuf_bytes = (db ? t.ob_stride : 0) + t.obuf;
    const uint64_t kblocks = t.kblocks, csteps = t.csteps;

    // Weights and biases in DRAM, blocked as the tiles load them.
    pr.kind = kind, pr.g = g, pr.t = t;
    pr.w_at.assign(kblocks, std::vector<uint64_t>(csteps, 0));
    pr.w_bias_off = ws && ws->compressed() ? align_up(ws->max_block_bytes(t.kb, t.cb))
                                           : weight_bias_offset(kind, g, t.kb, t.cb);
    if (ws && ws->compressed()) {
      // Every block its own stream, in load order (weight_store.hpp).
      pr.wfmt = ws->format();
      pr.w_len.assign(kblocks, std::vector<uint32_t>(csteps, 0));
      std::vector<uint8_t> wb;
      for (uint64_t kbi = 0; kbi < kblocks; ++kbi) {
        const uint64_t k0 = kbi * t.kb, nk = std::min(t.kb, g.k - k0);
        for (uint64_t cs = 0; cs < csteps; ++cs) {
          const uint64_t c0 = kind == TileKind::Dense ? cs * t.cb : k0;
          const uint64_t nc = kind == TileKind::Dense ? std::min(t.cb, g.c - c0) : nk;
          const std::vector<uint8_t> blk = ws->encode_block(k0, nk, c0, nc);
          pr.w_at[kbi][cs] = wb.size();
          pr.w_len[kbi][cs] = u32(blk.size());
          wb.insert(wb.end(), blk.begin(), blk.end());
        }
      }
      pl.weight_bytes_stored = wb.size();
      const uint64_t w_base = data.add(std::move(wb));
      for (auto& row : pr.w_at)
        for (uint64_t& a : row) a += w_base;
    } else if (kind != TileKind::Pool) {
      const uint64_t taps = g.kh * g.kw;
      std::vector<uint8_t> wb;
      if (kind == TileKind::Dense) {
        wb.reserve(p.weights.size());
        for (uint64_t kbi = 0; kbi < kblocks; ++kbi) {
          const uint64_t k0 = kbi * t.kb, nk = std::min(t.kb, g.k - k0);
          for (uint64_t cs = 0; cs < csteps; ++cs) {
            const uint64_t c0 = cs * t.cb, nc = std::min(t.cb, g.c - c0);
            pr.w_at[kbi][cs] = wb.size();
            for (uint64_t kk = k0; kk < k0 + nk; ++kk)
              for (uint64_t tap = 0; tap < taps; ++tap) {
                const int8_t* src = p.weights.data() + (kk * taps + tap) * g.c + c0;
                wb.insert(wb.end(), reinterpret_cast<const uint8_t*>(src),
                          reinterpret_cast<const uint8_t*>(src) + nc);
              }
          }
        }
      } else {
        wb.assign(reinterpret_cast<const uint8_t*>(p.weights.data()),
                  reinterpret_cast<const uint8_t*>(p.weights.data()) + p.weights.size());
        for (uint64_t kbi = 0; kbi < kblocks; ++kbi) pr.w_at[kbi][0] = kbi * t.kb * taps;
      }
      pl.weight_bytes_stored = wb.size();
      const uint64_t w_base = data.add(std::move(wb));
      for (auto& row : pr.w_at)
        for (uint64_t& a : row) a += w_base;
    }
    if (ws) {
      pl.weight_format = fw::to_string(ws->format());
      pl.weight_stream_bits = ws->compressed() ? static_cast<uint32_t>(ws->bits()) : 0;
      pl.weight_bytes_raw = ws->raw_bytes();
      pl.weight_nonzero = ws->nonzero();
      std::vector<uint8_t> bb(p.bias.size() * 4);
      for (size_t i = 0; i < p.bias.size(); ++i) {
        const uint32_t v = static_cast<uint32_t>(p.bias[i]);
        for (int b = 0; b < 4; ++b) bb[i * 4 + b] = static_cast<uint8_t>(v >> (8 * b));
      }
      pr.bias_addr = data.add(std::move(bb));
    }
    pr.steps.reserve(t.steps());
    for_each_step(kind, g, t, [&](const Step& s) { pr.steps.push_back(s); });
    // Cross-layer overlap on one chunk: a double-buffered layer after another layer on the same
    // chunk starts in the buffer halves the previous layer's last step does not use (the halves
    // swap roles for the whole layer), so its first loads can be prefetched while that step
    // computes and its first tile does not wait for the previous layer's deferred last store.
    if (batch == 1 && opt.overlap_layers && db && !prep.empty() && prep.back().chunk == chunk &&
        (prep.back().add || prep.back().chunks.size() == 1)) {
      const Prepared& pv = prep.back();
      int pi = -1, pw = -1, po = -1;  // the previous layer's last halves (-1: whole buffer)
      if (pv.add) {
        if (pv.add_ibs > 0) pi = po = static_cast<int>((pv.add_nt - 1) % 2);
      } else if (pv.t.double_buffered && !pv.steps.empty()) {
        const Step& ls = pv.steps.back();
        pi = static_cast<int>(ls.islot), po = static_cast<int>(ls.oslot);
        if (pv.t.order != LoopOrder::WeightsResident) pw = static_cast<int>(ls.wslot);
      }
      const Step& fs = pr.steps.front();
      const bool fi = pi >= 0 && fs.islot == static_cast<uint32_t>(pi);
      const bool fw = pw >= 0 && kind != TileKind::Pool && t.order != LoopOrder::WeightsResident &&
                      fs.wslot == static_cast<uint32_t>(pw);
      const bool fo = po >= 0 && fs.oslot == static_cast<uint32_t>(po);
      for (Step& st : pr.steps) {
        if (fi) st.islot ^= 1u;
        if (fw) st.wslot ^= 1u;
        if (fo) st.oslot ^= 1u;
      }
    }
    split_across_instances(pr, l, hw);
    pl.chunks = pr.chunks;
    prep.push_back(std::move(pr));
  }

  // Per chunk within a pipeline stage: the last COMPUTE and STORE of the task before, which
  // the chunk's next task waits for before it overwrites the buffers (-1: none).
  std::vector<int64_t> last_compute(hw.chunks.size(), -1), last_store(hw.chunks.size(), -1);
  // Cross-layer overlap (batch of one, MapOptions::overlap_layers; mapper/layer_deps.hpp): the
  // next layer's first loads run ahead of the barrier, this layer's last stores after it.
  const bool overlap = batch == 1 && opt.overlap_layers;
  LayerDeps deps(hw.chunks.size());
  struct Deferred {
    isa::Instruction in;
    int chunk;
    ByteRange dram, obuf;
  };
  std::vector<Deferred> deferred;  // the current stage's last stores, emitted after its barrier
  bool defer = false;              // the current stage defers its tasks' last stores
  int64_t stage_last_store = -1;   // the current stage's last STORE before its barrier

  // The loads of step `si` of task k (an Add: of tile `si`), in emission order.
  struct LoadDesc {
    uint64_t src, dst, rows, row_bytes, src_stride, dst_stride;
    ChunkBuf buf;
    ByteRange range;  // the buffer bytes it writes (offsets into the buffer)
  };
  auto loads_of = [&](const Task& k, size_t si) {
    const Prepared& pr = *k.pr;
    const Layer& l = net.layers[pr.li];
    const int chunk = k.chunk;
    const uint64_t src = addr_of(k.image, l.inputs[0]);
    std::vector<LoadDesc> v;
    if (pr.add) {
      const uint64_t total = l.out_shape.elements(), e0 = si * pr.add_tb;
      const uint64_t ne = std::min(pr.add_tb, total - e0);
      const uint64_t b_addr = addr_of(k.image, l.inputs[1]);
      const uint64_t i0 = (si % 2) * pr.add_ibs, b0 = i0 + pr.add_boff;
      v.push_back({src + e0, ibuf(chunk) + i0, 1, ne, ne, ne, ChunkBuf::Ibuf, {i0, i0 + ne}});
      v.push_back({b_addr + e0, ibuf(chunk) + b0, 1, ne, ne, ne, ChunkBuf::Ibuf, {b0, b0 + ne}});
      return v;
    }
    const Geo& g = pr.g;
    const Tiling& t = pr.t;
    const Step& s = (*k.steps)[si];
    const uint64_t i_off = s.islot * t.ib_stride, w_off = s.wslot * t.wb_stride;
    if (s.load_in) {
      const uint64_t rows = s.ih * g.w;
      v.push_back({src + (s.iy0 * g.w) * g.c + s.c0, ibuf(chunk) + i_off, rows, s.nc, g.c, s.nc,
                   ChunkBuf::Ibuf, {i_off, i_off + rows * s.nc}});
    }
    if (s.load_w) {
      // The block's stored bytes: its compressed stream when the layer is stored compressed.
      const uint64_t wbytes = pr.w_len.empty()
                                  ? s.nk * g.kh * g.kw * (pr.kind == TileKind::Dense ? s.nc : 1)
                                  : pr.w_len[s.kbi][s.cs];
      v.push_back({pr.w_at[s.kbi][s.cs], wbuf(chunk) + w_off, 1, wbytes, wbytes, wbytes,
                   ChunkBuf::Wbuf, {w_off, w_off + wbytes}});
    }
    if (s.load_bias) {
      const uint64_t b0 = w_off + pr.w_bias_off, nb = s.nk * 4;
      v.push_back({pr.bias_addr + s.k0 * 4, wbuf(chunk) + b0, 1, nb, nb, nb, ChunkBuf::Wbuf,
                   {b0, b0 + nb}});
    }
    return v;
  };
  auto dram_of = [](const LoadDesc& d) { return hull(d.src, d.rows, d.row_bytes, d.src_stride); };
  // Emits the loads of step `si` of task k that were not prefetched (a LOAD reading a STORE's
  // bytes that may not have finished waits for it).
  auto emit_loads = [&](Task& k, size_t si) {
    if (si == 0)
      for (size_t at : k.prefetch_at) em.adopt(at);
    const std::vector<LoadDesc> v = loads_of(k, si);
    for (size_t j = 0; j < v.size(); ++j) {
      if (si == 0 && j < k.prefetched.size() && k.prefetched[j]) continue;
      const LoadDesc& d = v[j];
      uint32_t extra = 0;
      const int64_t st = deps.load_raw(dram_of(d));
      if (st >= 0) {
        em.add_signal(static_cast<size_t>(st), isa::kEngineLoad);
        deps.load_waited_store(st);
        extra = bit(isa::kEngineStore);
      }
      em.load(d.src, d.dst, d.rows, d.row_bytes, d.src_stride, d.dst_stride, extra);
    }
  };
  // Emits ahead of the barrier the loads of task k's first step that can run while the current
  // stage finishes: not reading a deferred store's bytes, and not overwriting bytes that the
  // current stage's last COMPUTE on the chunk reads (waiting for that gains nothing).
  auto prefetch = [&](Task& k) {
    const std::vector<LoadDesc> v = loads_of(k, 0);
    k.prefetched.assign(v.size(), false);
    const int c = k.chunk;
    for (size_t j = 0; j < v.size(); ++j) {
      const LoadDesc& d = v[j];
      const ByteRange dr = dram_of(d);
      if (std::any_of(deferred.begin(), deferred.end(),
                      [&](const Deferred& x) { return x.dram.overlaps(dr); }))
        continue;
      const int64_t reader = deps.last_reader(c, d.buf, d.range);
      if (reader >= 0 && reader == deps.last_compute(c)) continue;
      const int64_t st = deps.load_raw(dr);
      if (st >= 0 && st == stage_last_store) continue;  // waits for the stage's very end
      uint32_t wait = 0;
      if (reader > deps.load_waited_compute(c)) {
        em.add_signal(static_cast<size_t>(reader), isa::kEngineLoad);
        deps.load_waited_compute(c, reader);
        wait |= bit(isa::chunk_engine(c));
      }
      if (st >= 0) {
        em.add_signal(static_cast<size_t>(st), isa::kEngineLoad);
        deps.load_waited_store(st);
        wait |= bit(isa::kEngineStore);
      }
      k.prefetch_at.push_back(em.prefetch_load(d.src, d.dst, d.rows, d.row_bytes, d.src_stride,
                                               d.dst_stride, wait));
      k.prefetched[j] = true;
    }
  };
  // A STORE of task k: appended, or (the task's last, when the stage defers) kept for after the
  // barrier.
  auto emit_store = [&](Task& k, const isa::Instruction& in, ByteRange dram, ByteRange ob,
                        bool last) {
    if (defer && last) {
      deferred.push_back(Deferred{in, k.chunk, dram, ob});
      return;
    }
    const size_t at = em.push(in);
    k.store_at.push_back(at);
    deps.store(at, k.chunk, dram, ob, false);
    stage_last_store = static_cast<int64_t>(at);
  };
  // The COMPUTE of a step: waits for the STORE the token plan names (own tiles) or, before
  // that, a deferred STORE of the previous layer still reading the obuf bytes it writes.
  auto emit_compute = [&](Task& k, const isa::ComputeArgs& a, int64_t plan_store, bool after,
                          bool signal_load, bool store, ByteRange out, ByteRange in_r,
                          ByteRange w_r) {
    int64_t ws = plan_store;
    if (ws < 0 && !after) ws = deps.obuf_war(k.chunk, out);
    if (ws >= 0) {
      em.add_signal(static_cast<size_t>(ws), isa::chunk_engine(k.chunk));
      deps.chunk_waited_store(k.chunk, ws);
    }
    em.compute(a, ws >= 0 || after, signal_load, store);
    const size_t at = em.code.size() - 1;
    k.compute_at.push_back(at);
    deps.compute(at, k.chunk, in_r, w_r);
  };

  // Emits the next step of task k (an Add: all of its tiles).
  auto emit_step = [&](Task& k) {
    const Prepared& pr = *k.pr;
    const Layer& l = net.layers[pr.li];
    const LayerParams& p = q.params[pr.li];
    const ChunkConfig& cc = hw.chunks[k.chunk];
    const int chunk = k.chunk;
    const uint64_t dst = out_addr[k.image][pr.li];
    // The first step of a task after another task on the chunk waits for that task's last
    // COMPUTE (before loading into its buffers) and last STORE (before writing the obuf).
    const bool after = k.next == 0 && last_compute[chunk] >= 0;
    if (after) {
      em.add_signal(static_cast<size_t>(last_compute[chunk]), isa::kEngineLoad);
      deps.load_waited_compute(chunk, last_compute[chunk]);
      em.add_signal(static_cast<size_t>(last_store[chunk]), isa::chunk_engine(chunk));
      deps.chunk_waited_store(chunk, last_store[chunk]);
    }
    em.begin_layer(chunk);
    if (pr.add) {
      const uint64_t total = l.out_shape.elements(), tb = pr.add_tb, nt = pr.add_nt;
      // Single buffering: tile t loads after add t-1 and adds after store t-1. Double
      // buffering (slot t % 2): tile t loads after add t-2 and adds after store t-2, and the
      // store of tile t-1 follows tile t's loads (as for windowed layers below).
      const bool db = pr.add_ibs > 0;
      const uint64_t lag = db ? 2 : 1;
      std::optional<Task::HeldStore> held;
      for (uint64_t t = 0; t < nt; ++t) {
        const uint64_t e0 = t * tb, ne = std::min(tb, total - e0);
        const uint64_t i0 = (t % 2) * pr.add_ibs, o0 = (t % 2) * pr.add_obs;
        const bool war = t >= lag;
        if (war) {
          const size_t at = k.compute_at[t - lag];
          em.add_signal(at, isa::kEngineLoad);
          deps.load_waited_compute(chunk, static_cast<int64_t>(at));
        }
        em.begin_step(war || (t == 0 && after));
        emit_loads(k, t);
        if (held) {
          const int64_t ll = em.last_step_load();
          if (ll >= 0) {
            em.add_signal(static_cast<size_t>(ll), isa::kEngineStore);
            held->in.set(isa::kWaitMask, held->in.wait_mask() | bit(isa::kEngineLoad));
          }
          emit_store(k, held->in, held->dram, held->obuf, false);
          held.reset();
        }
        isa::ComputeArgs a;
        a.op = ComputeOp::Add;
        a.kind = static_cast<uint8_t>(cc.kind);
        a.k = u32(ne);
        a.obits = l.act_bits;
        a.multiplier = static_cast<uint32_t>(p.multiplier);
        a.multiplier2 = static_cast<uint32_t>(p.multiplier2);
        a.shift = static_cast<uint32_t>(p.shift);
        a.in = u32(i0), a.w = u32(i0 + pr.add_boff), a.out = u32(o0);
        a.flags = l.relu ? isa::kFlagRelu : 0;
        const bool more = t + 1 < nt;
        emit_compute(k, a, war ? static_cast<int64_t>(k.store_at[t - lag]) : -1, t == 0 && after, false,
                     true, {o0, o0 + ne}, {i0, i0 + pr.add_boff + ne}, {0, 0});
        const isa::Instruction st = em.store(obuf(chunk) + o0, dst + e0, 1, ne, ne, ne, false);
        const ByteRange dr{dst + e0, dst + e0 + ne}, orr{o0, o0 + ne};
        if (db && more)
          held = Task::HeldStore{st, dr, orr};
        else
          emit_store(k, st, dr, orr, !more);
      }
      k.next = 1;
    } else {
      const Geo& g = pr.g;
      const Tiling& t = pr.t;
      const TileKind kind = pr.kind;
      const size_t si = k.next++;
      const Step& s = (*k.steps)[si];
      const TokenPlan::Waits w = k.plan.next(s, kind != TileKind::Pool);
      const uint64_t outs = s.nr * g.ow * s.nk;
      const uint64_t o_off = s.oslot * t.ob_stride, acc_off = o_off + align_up(outs);
      const uint64_t i_off = s.islot * t.ib_stride, w_off = s.wslot * t.wb_stride;
      em.begin_step(w.load_waits_compute >= 0 || after);
      if (w.load_waits_compute >= 0) {
        const size_t at = k.compute_at[w.load_waits_compute];
        em.add_signal(at, isa::kEngineLoad);
        deps.load_waited_compute(chunk, static_cast<int64_t>(at));
      }
      emit_loads(k, si);
      // The previous tile's STORE follows this step's loads and waits for the last of them, so
      // the store engine's DRAM requests come after the load engine's earlier ones: the
      // platform's DRAM serves requests in arrival order (models/dram/dram_timing.hpp), and a
      // store issued at its tile's end would otherwise hold up a load stamped earlier that
      // reaches the DRAM after it (loosely timed engines run ahead), which then delays every
      // later step. The load normally ends long before the compute it overlaps, so the wait
      // costs nothing.
      if (k.held) {
        const int64_t ll = em.last_step_load();
        if (ll >= 0) {
          em.add_signal(static_cast<size_t>(ll), isa::kEngineStore);
          k.held->in.set(isa::kWaitMask, k.held->in.wait_mask() | bit(isa::kEngineLoad));
        }
        emit_store(k, k.held->in, k.held->dram, k.held->obuf, false);
        k.held.reset();
      }
      isa::ComputeArgs a;
      a.kind = static_cast<uint8_t>(cc.kind);
      a.k = u32(s.nk), a.c = u32(s.nc), a.oh = u32(s.nr), a.ow = u32(g.ow);
      a.ih = u32(s.ih), a.iw = u32(g.w), a.kh = u32(g.kh), a.kw = u32(g.kw);
      a.stride = u32(g.s), a.pad_t = u32(s.pad_t), a.pad_l = u32(g.pw);
      a.abits = 8;
      a.obits = l.act_bits;
      a.in = u32(i_off), a.out = u32(o_off);
      ByteRange w_r{0, 0};
      if (kind == TileKind::Pool) {
        a.op = l.type == LayerType::MaxPool ? ComputeOp::MaxPool : ComputeOp::AvgPool;
        a.multiplier = static_cast<uint32_t>(p.multiplier);
        a.shift = static_cast<uint32_t>(p.shift);
      } else {
        a.op = kind == TileKind::Dense ? ComputeOp::Conv : ComputeOp::DwConv;
        a.wbits = l.weight_bits;
        a.multiplier = static_cast<uint32_t>(p.multiplier);
        a.shift = static_cast<uint32_t>(p.shift);
        a.w = u32(w_off), a.bias = u32(w_off + pr.w_bias_off), a.acc = u32(acc_off);
        if (!pr.w_len.empty()) {
          a.wfmt = static_cast<uint32_t>(pr.wfmt);
          a.wlen = pr.w_len[s.kbi][s.cs];
        }
        uint32_t f = l.relu ? isa::kFlagRelu : 0;
        if (s.cs > 0) f |= isa::kFlagAccLoad;
        if (!s.last_of_tile) f |= isa::kFlagOutPartial;
        a.flags = f;
        w_r = {w_off, w_off + pr.w_bias_off + s.nk * 4};
      }
      const int64_t plan_store =
          w.compute_waits_store >= 0 ? static_cast<int64_t>(k.store_at[w.compute_waits_store]) : -1;
      const ByteRange out_r{o_off, t.split() ? acc_off + outs * 4 : o_off + outs};
      emit_compute(k, a, plan_store, after, false, s.last_of_tile, out_r,
                   {i_off, i_off + s.ih * g.w * s.nc}, w_r);
      if (s.last_of_tile) {
        const uint64_t d0 = dst + (s.oy0 * g.ow) * g.k + s.k0;
        const isa::Instruction st =
            em.store(obuf(chunk) + o_off, d0, s.nr * g.ow, s.nk, s.nk, g.k, false);
        const ByteRange dr = hull(d0, s.nr * g.ow, s.nk, g.k), orr{o_off, o_off + outs};
        if (t.double_buffered && !k.done())
          k.held = Task::HeldStore{st, dr, orr};
        else
          emit_store(k, st, dr, orr, k.done());
      }
    }
    if (k.done()) {
      last_compute[chunk] = static_cast<int64_t>(k.compute_at.back());
      last_store[chunk] = k.store_at.empty() ? -1 : static_cast<int64_t>(k.store_at.back());
    }
  };

  // The chunk pipeline (NASA): stage s runs layer j of input s - j for every j, each after the
  // previous stage's BARRIER, so input b's layer j always follows its layer j - 1. Within a
  // stage the tasks on different chunks run concurrently: their steps are interleaved (next
  // step from the chunk with the least compute emitted so far in the stage), and tasks on one
  // chunk follow each other. A batch of one is the plain layer-by-layer program.
  const size_t stages = prep.size() + batch - 1;
  // Per chunk, the tasks of stage st in layer order.
  auto make_tasks = [&](size_t st) {
    std::vector<std::vector<Task>> per_chunk(hw.chunks.size());
    for (size_t j = 0; j < prep.size(); ++j) {
      if (st < j || st - j >= batch) continue;
      const Prepared& pr = prep[j];
      const size_t parts = pr.add ? 1 : pr.chunks.size();
      for (size_t i = 0; i < parts; ++i) {
        const int c = pr.add ? pr.chunk : pr.chunks[i];
        Task k{&pr, c, pr.add ? nullptr : &pr.shares[i], static_cast<uint32_t>(st - j), 0,
               TokenPlan(pr.t), {}, {}, 0, 0, {}, {}, std::nullopt};
        per_chunk[static_cast<size_t>(c)].push_back(std::move(k));
      }
    }
    return per_chunk;
  };
  std::vector<std::vector<Task>> per_chunk;
  if (!prep.empty()) per_chunk = make_tasks(0);
  for (size_t st = 0; st < stages && !prep.empty(); ++st) {
    const uint64_t stage_first = em.code.size();
    std::fill(last_compute.begin(), last_compute.end(), -1);
    std::fill(last_store.begin(), last_store.end(), -1);
    defer = overlap && st + 1 < stages;
    stage_last_store = -1;
    std::vector<size_t> cur(hw.chunks.size(), 0);
    std::vector<uint64_t> emitted(hw.chunks.size(), 0);  // compute cycles emitted in the stage
    for (;;) {
      int pick = -1;
      for (size_t c = 0; c < per_chunk.size(); ++c)
        if (cur[c] < per_chunk[c].size() &&
            (pick < 0 || emitted[c] < emitted[static_cast<size_t>(pick)]))
          pick = static_cast<int>(c);
      if (pick < 0) break;
      Task& k = per_chunk[pick][cur[pick]];
      const size_t before = em.code.size();
      if (k.next == 0) k.first_instr = batch == 1 ? stage_first : before;
      emit_step(k);
      for (size_t i = before; i < em.code.size(); ++i)
        if (em.code[i].opcode() == Opcode::Compute)
          emitted[pick] += compute_cycles(hw.chunks[pick], em.code[i]);
      if (k.done()) {
        k.last_instr = em.code.size();
        if (k.image == 0) {  // a split layer: from its first share's start to its last's end
          std::vector<uint64_t>& r = m.layers[k.pr->li].instr_range;
          if (r.empty())
            r = {k.first_instr, k.last_instr};
          else
            r = {std::min(r[0], k.first_instr), std::max(r[1], k.last_instr)};
        }
        ++cur[pick];
      }
    }
    if (st + 1 == stages) break;
    std::vector<std::vector<Task>> next = make_tasks(st + 1);
    if (overlap) {
      // A last store whose bytes the next stage's first step reads is not deferred: that load
      // would wait for it anyway, after the barrier, with nothing to overlap.
      std::vector<ByteRange> first_reads;
      for (auto& tasks : next)
        for (const Task& k : tasks)
          for (const LoadDesc& d : loads_of(k, 0)) first_reads.push_back(dram_of(d));
      std::vector<Deferred> keep;
      for (const Deferred& d : deferred) {
        if (std::none_of(first_reads.begin(), first_reads.end(),
                         [&](const ByteRange& r) { return r.overlaps(d.dram); })) {
          keep.push_back(d);
          continue;
        }
        stage_last_store = static_cast<int64_t>(em.push(d.in));
        deps.store(static_cast<uint64_t>(stage_last_store), d.chunk, d.dram, d.obuf, false);
      }
      deferred.swap(keep);
      for (auto& tasks : next)
        for (Task& k : tasks) prefetch(k);
    }
    em.sync(Opcode::Barrier);
    deps.barrier();
    for (const Deferred& d : deferred) deps.store(em.push(d.in), d.chunk, d.dram, d.obuf, true);
    deferred.clear();
    if (batch == 1)  // the stage's one layer owns its prefetches, the barrier and its last stores
      for (auto& tasks : per_chunk)
        for (const Task& k : tasks) m.layers[k.pr->li].instr_range[1] = em.code.size();
    per_chunk = std::move(next);
  }
  // Flatten has no code: an empty range where the layer before it ends.
  uint64_t prev_end = 0;
  for (size_t i = 0; i < n; ++i) {
    std::vector<uint64_t>& r = m.layers[i].instr_range;
    if (r.empty()) r = {prev_end, prev_end};
    prev_end = r[1];
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
  for (size_t i = 0; i < n; ++i) m.layers[i].out_addr += base;
  for (uint32_t b = 0; b < batch; ++b)
    for (size_t i = 0; i < n; ++i) {
      const Layer& l = net.layers[i];
      m.image.outputs.push_back(fw::OutputRegion{
          b == 0 ? l.name : fmt::format("{}#{}", l.name, b),
          out_addr[b][i] + base,
          l.out_shape.elements(),
          {l.out_shape.h, l.out_shape.w, l.out_shape.c}});
    }
  m.batch = batch;
  const uint64_t dram_end = base + data.end;
  if (dram_end > hw.dram.capacity_bytes())
    throw Error(fmt::format("network '{}': the image needs {} bytes of DRAM, platform '{}' has {}",
                            net.name, dram_end, hw.name, hw.dram.capacity_bytes()));
  return m;
}

}  // namespace savp::mapper
