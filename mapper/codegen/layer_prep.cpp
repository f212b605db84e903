#include "mapper/codegen/layer_prep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "common/errors.hpp"
#include "mapper/codegen/emitter.hpp"
#include "mapper/codegen/image_data.hpp"
#include "mapper/weight_store.hpp"

namespace savp::mapper::codegen {

namespace {

constexpr uint64_t kAddTiles = 8;  // tiles of a double-buffered residual add (when large enough)

// A residual add: elementwise tiles on the chunk's vector unit.
void prepare_add(const Layer& l, const ChunkConfig& cc, Prepared& pr, LayerPlacement& pl) {
  const uint64_t total = l.out_shape.elements();
  const uint64_t cap =
      std::min({cc.ibuf.capacity_bytes / 2 / kAlign * kAlign, cc.obuf.capacity_bytes, kMaxField16});
  if (cap == 0)
    throw Error(fmt::format("{}: no tile fits: ibuf needs at least 128 bytes", describe(l)));
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
      pl.out_slots = 2;  // obuf halves
    }
  }
  pr.add_boff = align_up(pr.add_tb);
  pl.tile_k = u32(pr.add_tb), pl.ibuf_bytes = pr.add_ibs + pr.add_boff + pr.add_tb;
  pl.obuf_bytes = pr.add_obs + pr.add_tb;
}

}  // namespace

std::string describe(const Layer& l) {
  return fmt::format("layer '{}' ({}{}{})", l.name, to_string(l.type), l.has_weights() ? ", " : "",
                     l.has_weights() ? to_string(l.op) : "");
}

// The tile kind and geometry of a windowed layer (conv, depthwise, linear as 1x1, pools).
TileKind tile_kind(const Layer& l) {
  const bool linear = l.type == LayerType::Linear;
  if (l.type != LayerType::Conv && !linear) return TileKind::Pool;
  if (!linear && l.groups != 1) {
    if (l.is_depthwise() && l.out_channels == l.in_shape.c) return TileKind::Depthwise;
    throw Error(
        fmt::format("{}: grouped conv with {} groups is not supported by code generation yet (only "
                    "groups 1 and depthwise with out_channels == in channels)",
                    describe(l), l.groups));
  }
  return TileKind::Dense;
}

Geo geometry(const Layer& l) {
  const bool linear = l.type == LayerType::Linear;
  const bool global = l.type == LayerType::GlobalAvgPool;
  if (!linear && !global && l.stride_h != l.stride_w)
    throw Error(fmt::format("{}: stride {}x{}: the ISA has one stride for both axes", describe(l),
                            l.stride_h, l.stride_w));
  if (linear) return Geo{1, 1, l.in_shape.elements(), 1, 1, l.out_channels, 1, 1, 1, 0, 0};
  if (global)
    return Geo{l.in_shape.h,
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
  return Geo{l.in_shape.h, l.in_shape.w, l.in_shape.c, l.out_shape.h, l.out_shape.w, l.out_shape.c,
             l.kernel_h,   l.kernel_w,   l.stride_h,   l.pad_h,       l.pad_w};
}

Prepared prepare_layer(const PrepContext& ctx, size_t li, const Prepared* prev, ImageData& data,
                       LayerPlacement& pl) {
  const HwConfig& hw = *ctx.hw;
  const Layer& l = ctx.q->net.layers[li];
  const LayerParams& p = ctx.q->params[li];
  int chunk = 0;
  if (l.has_weights()) {
    chunk = -1;
    for (size_t c = 0; c < hw.chunks.size(); ++c)
      if (hw.chunks[c].kind == l.op) {
        chunk = static_cast<int>(c);
        break;
      }
    if (chunk < 0)
      throw Error(fmt::format("{}: the platform '{}' has no {} chunk to run it", describe(l),
                              hw.name, to_string(l.op)));
  }
  const ChunkConfig& cc = hw.chunks[chunk];
  pl.chunk = chunk;
  Prepared pr;
  pr.li = li;
  pr.chunk = chunk;
  if (l.type == LayerType::Add) {
    prepare_add(l, cc, pr, pl);
    return pr;
  }

  // Windowed layers: the tiling search.
  const TileKind kind = tile_kind(l);
  const Geo g = geometry(l);
  LayerProblem prob;
  prob.kind = kind, prob.g = g, prob.cc = &cc, prob.hw = &hw;
  prob.prices = energy_prices(hw, ctx.table, cc, l.has_weights() ? l.weight_bits : 8);
  prob.what = describe(l);
  prob.only_order = ctx.opt->only_order;
  std::optional<WeightStore> ws;
  if (kind != TileKind::Pool) {
    ws.emplace(l, p.weights, kind == TileKind::Depthwise, g.k, g.c, g.kh * g.kw, cc, describe(l));
    prob.weights = &*ws;
    if (ctx.table && ws->compressed())
      prob.prices.decompress_pj_per_weight = ws->format() == fw::WeightFormat::Packed
                                                 ? ctx.table->decompress_packed_pj
                                                 : ctx.table->decompress_bitmask_pj;
  }
  const SearchResult sr = search(prob, ctx.opt->objective);
  const Tiling& t = sr.tiling;
  const bool db = t.double_buffered;
  pl.tile_rows = u32(t.rb), pl.tile_k = u32(t.kb), pl.tile_c = u32(t.cb);
  pl.double_buffered = db;
  pl.out_slots = db ? t.oslots : 0;
  pl.loop_order = t.order;
  pl.est_cycles = sr.cost.cycles, pl.est_energy_pj = sr.cost.energy_pj;
  pl.est_dram_bytes = sr.cost.dram_bytes;
  pl.candidates = sr.candidates;
  const uint64_t wslots = t.order == LoopOrder::WeightsResident ? t.kblocks : db ? 2 : 1;
  pl.ibuf_bytes = (db ? t.ib_stride : 0) + t.ibuf;
  pl.wbuf_bytes = kind == TileKind::Pool ? 0 : (wslots - 1) * t.wb_stride + t.wbuf;
  pl.obuf_bytes = (db ? (t.oslots - 1) * t.ob_stride : 0) + t.obuf;

  // Weights and biases in DRAM, blocked as the tiles load them.
  pr.kind = kind, pr.g = g, pr.t = t;
  pr.w_at.assign(t.kblocks, std::vector<uint64_t>(t.csteps, 0));
  pr.w_bias_off = ws && ws->compressed() ? align_up(ws->max_block_bytes(t.kb, t.cb))
                                         : weight_bias_offset(kind, g, t.kb, t.cb);
  if (ws) {
    pl.weight_bytes_stored = place_weights(pr, p, *ws, data);
    pl.weight_format = fw::to_string(ws->format());
    pl.weight_stream_bits = ws->compressed() ? static_cast<uint32_t>(ws->bits()) : 0;
    pl.weight_bytes_raw = ws->raw_bytes();
    pl.weight_nonzero = ws->nonzero();
  }
  pr.steps.reserve(t.steps());
  for_each_step(kind, g, t, [&](const Step& s) { pr.steps.push_back(s); });
  if (ctx.batch == 1 && ctx.opt->overlap_layers && db && prev && prev->chunk == chunk &&
      (prev->add || prev->chunks.size() == 1))
    avoid_previous_halves(*prev, pr);
  split_across_instances(pr, l, hw);
  pl.chunks = pr.chunks;
  return pr;
}

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
      const bool new_block =
          std::none_of(share.begin(), share.end(), [&](const Step& x) { return x.kbi == r.kbi; });
      if (!r.load_in && new_band) r.load_in = true;
      if (!r.load_w && new_block && pr.kind != TileKind::Pool) r.load_w = r.load_bias = true;
    }
    r.index = share.size();
    r.tile = share.empty() ? 0 : share.back().tile + (share.back().last_of_tile ? 1 : 0);
    share.push_back(r);
  }
}

}  // namespace savp::mapper::codegen
