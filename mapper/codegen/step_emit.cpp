// One step of a layer (its loads, its COMPUTE, the STORE of a finished tile) and a residual
// add's tiles, with the tokens of mapper/codegen.hpp "Synchronisation".
#include <algorithm>

#include "mapper/codegen/program.hpp"

namespace savp::mapper::codegen {

using isa::ComputeOp;

std::vector<ProgramEmitter::LoadDesc> ProgramEmitter::loads_of(const Task& k, size_t si) const {
  const Prepared& pr = *k.pr;
  const Layer& l = net_.layers[pr.li];
  const int chunk = k.chunk;
  const uint64_t src = acts_.addr_of(net_, k.image, l.inputs[0]);
  std::vector<LoadDesc> v;
  if (pr.add) {
    const uint64_t total = l.out_shape.elements(), e0 = si * pr.add_tb;
    const uint64_t ne = std::min(pr.add_tb, total - e0);
    const uint64_t b_addr = acts_.addr_of(net_, k.image, l.inputs[1]);
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
    v.push_back({src + (s.iy0 * g.w) * g.c + s.c0,
                 ibuf(chunk) + i_off,
                 rows,
                 s.nc,
                 g.c,
                 s.nc,
                 ChunkBuf::Ibuf,
                 {i_off, i_off + rows * s.nc}});
  }
  if (s.load_w) {
    // The block's stored bytes: its compressed stream when the layer is stored compressed.
    const uint64_t wbytes = pr.w_len.empty()
                                ? s.nk * g.kh * g.kw * (pr.kind == TileKind::Dense ? s.nc : 1)
                                : pr.w_len[s.kbi][s.cs];
    v.push_back({pr.w_at[s.kbi][s.cs],
                 wbuf(chunk) + w_off,
                 1,
                 wbytes,
                 wbytes,
                 wbytes,
                 ChunkBuf::Wbuf,
                 {w_off, w_off + wbytes}});
  }
  if (s.load_bias) {
    const uint64_t b0 = w_off + pr.w_bias_off, nb = s.nk * 4;
    v.push_back(
        {pr.bias_addr + s.k0 * 4, wbuf(chunk) + b0, 1, nb, nb, nb, ChunkBuf::Wbuf, {b0, b0 + nb}});
  }
  return v;
}

ByteRange ProgramEmitter::dram_of(const LoadDesc& d) {
  return hull(d.src, d.rows, d.row_bytes, d.src_stride);
}

// Emits the loads of step `si` of task k that were not prefetched (a LOAD reading a STORE's
// bytes that may not have finished waits for it).
void ProgramEmitter::emit_loads(Task& k, size_t si) {
  if (si == 0)
    for (size_t at : k.prefetch_at) em_.adopt(at);
  const std::vector<LoadDesc> v = loads_of(k, si);
  for (size_t j = 0; j < v.size(); ++j) {
    if (si == 0 && j < k.prefetched.size() && k.prefetched[j]) continue;
    const LoadDesc& d = v[j];
    uint32_t extra = 0;
    const int64_t st = deps_.load_raw(dram_of(d));
    if (st >= 0) {
      em_.add_signal(static_cast<size_t>(st), isa::kEngineLoad);
      deps_.load_waited_store(st);
      extra = bit(isa::kEngineStore);
    }
    em_.load(d.src, d.dst, d.rows, d.row_bytes, d.src_stride, d.dst_stride, extra);
  }
}

// A STORE of task k: appended, or (the task's last, when the stage defers) kept for after the
// barrier.
void ProgramEmitter::emit_store(Task& k, const isa::Instruction& in, ByteRange dram, ByteRange ob,
                                bool last) {
  if (defer_ && last) {
    deferred_.push_back(Deferred{in, k.chunk, dram, ob});
    return;
  }
  const size_t at = em_.push(in);
  k.store_at.push_back(at);
  deps_.store(at, k.chunk, dram, ob, false);
  stage_last_store_ = static_cast<int64_t>(at);
}

// The COMPUTE of a step: waits for the STORE the token plan names (own tiles) or, before
// that, a deferred STORE of the previous layer still reading the obuf bytes it writes.
void ProgramEmitter::emit_compute(Task& k, const isa::ComputeArgs& a, int64_t plan_store,
                                  bool after, bool signal_load, bool store, ByteRange out,
                                  ByteRange in_r, ByteRange w_r) {
  int64_t ws = plan_store;
  if (ws < 0 && !after) ws = deps_.obuf_war(k.chunk, out);
  if (ws >= 0) {
    em_.add_signal(static_cast<size_t>(ws), isa::chunk_engine(k.chunk));
    deps_.chunk_waited_store(k.chunk, ws);
  }
  em_.compute(a, ws >= 0 || after, signal_load, store);
  const size_t at = em_.code.size() - 1;
  k.compute_at.push_back(at);
  deps_.compute(at, k.chunk, in_r, w_r);
}

// The previous tile's STORE follows this step's loads and waits for the last of them, so the
// store engine's DRAM requests come after the load engine's earlier ones: the platform's DRAM
// serves requests in arrival order (models/dram/dram_timing.hpp), and a store issued at its
// tile's end would otherwise hold up a load stamped earlier that reaches the DRAM after it
// (loosely timed engines run ahead), which then delays every later step. The load normally
// ends long before the compute it overlaps, so the wait costs nothing.
void ProgramEmitter::emit_held_store(Task& k, Task::HeldStore& held) {
  const int64_t ll = em_.last_step_load();
  if (ll >= 0) {
    em_.add_signal(static_cast<size_t>(ll), isa::kEngineStore);
    held.in.set(isa::kWaitMask, held.in.wait_mask() | bit(isa::kEngineLoad));
  }
  emit_store(k, held.in, held.dram, held.obuf, false);
}

// Emits the next step of task k (an Add: all of its tiles).
void ProgramEmitter::emit_step(Task& k) {
  const int chunk = k.chunk;
  // The first step of a task after another task on the chunk waits for that task's last
  // COMPUTE (before loading into its buffers) and last STORE (before writing the obuf).
  const bool after = k.next == 0 && last_compute_[chunk] >= 0;
  if (after) {
    em_.add_signal(static_cast<size_t>(last_compute_[chunk]), isa::kEngineLoad);
    deps_.load_waited_compute(chunk, last_compute_[chunk]);
    em_.add_signal(static_cast<size_t>(last_store_[chunk]), isa::chunk_engine(chunk));
    deps_.chunk_waited_store(chunk, last_store_[chunk]);
  }
  em_.begin_layer(chunk);
  if (k.pr->add)
    emit_add(k, after);
  else
    emit_window_step(k, after);
  if (k.done()) {
    last_compute_[chunk] = static_cast<int64_t>(k.compute_at.back());
    last_store_[chunk] = k.store_at.empty() ? -1 : static_cast<int64_t>(k.store_at.back());
  }
}

void ProgramEmitter::emit_add(Task& k, bool after) {
  const Prepared& pr = *k.pr;
  const Layer& l = net_.layers[pr.li];
  const LayerParams& p = q_.params[pr.li];
  const ChunkConfig& cc = hw_.chunks[k.chunk];
  const int chunk = k.chunk;
  const uint64_t dst = acts_.out_addr[k.image][pr.li];
  const uint64_t total = l.out_shape.elements(), tb = pr.add_tb, nt = pr.add_nt;
  // Single buffering: tile t loads after add t-1 and adds after store t-1. Double
  // buffering (slot t % 2): tile t loads after add t-2 and adds after store t-2, and the
  // store of tile t-1 follows tile t's loads (as for windowed layers).
  const bool db = pr.add_ibs > 0;
  const uint64_t lag = db ? 2 : 1;
  std::optional<Task::HeldStore> held;
  for (uint64_t t = 0; t < nt; ++t) {
    const uint64_t e0 = t * tb, ne = std::min(tb, total - e0);
    const uint64_t i0 = (t % 2) * pr.add_ibs, o0 = (t % 2) * pr.add_obs;
    const bool war = t >= lag;
    if (war) {
      const size_t at = k.compute_at[t - lag];
      em_.add_signal(at, isa::kEngineLoad);
      deps_.load_waited_compute(chunk, static_cast<int64_t>(at));
    }
    em_.begin_step(war || (t == 0 && after));
    emit_loads(k, t);
    if (held) {
      emit_held_store(k, *held);
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
    const isa::Instruction st = em_.store(obuf(chunk) + o0, dst + e0, 1, ne, ne, ne, false);
    const ByteRange dr{dst + e0, dst + e0 + ne}, orr{o0, o0 + ne};
    if (db && more)
      held = Task::HeldStore{st, dr, orr};
    else
      emit_store(k, st, dr, orr, !more);
  }
  k.next = 1;
}

void ProgramEmitter::emit_window_step(Task& k, bool after) {
  const Prepared& pr = *k.pr;
  const Layer& l = net_.layers[pr.li];
  const LayerParams& p = q_.params[pr.li];
  const ChunkConfig& cc = hw_.chunks[k.chunk];
  const int chunk = k.chunk;
  const uint64_t dst = acts_.out_addr[k.image][pr.li];
  const Geo& g = pr.g;
  const Tiling& t = pr.t;
  const TileKind kind = pr.kind;
  const size_t si = k.next++;
  const Step& s = (*k.steps)[si];
  const TokenPlan::Waits w = k.plan.next(s, kind != TileKind::Pool);
  const uint64_t outs = s.nr * g.ow * s.nk;
  const uint64_t o_off = s.oslot * t.ob_stride, acc_off = o_off + align_up(outs);
  const uint64_t i_off = s.islot * t.ib_stride, w_off = s.wslot * t.wb_stride;
  em_.begin_step(w.load_waits_compute >= 0 || after);
  if (w.load_waits_compute >= 0) {
    const size_t at = k.compute_at[w.load_waits_compute];
    em_.add_signal(at, isa::kEngineLoad);
    deps_.load_waited_compute(chunk, static_cast<int64_t>(at));
  }
  emit_loads(k, si);
  if (k.held) {
    emit_held_store(k, *k.held);
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
        em_.store(obuf(chunk) + o_off, d0, s.nr * g.ow, s.nk, s.nk, g.k, false);
    const ByteRange dr = hull(d0, s.nr * g.ow, s.nk, g.k), orr{o_off, o_off + outs};
    if (t.double_buffered && !k.done())
      k.held = Task::HeldStore{st, dr, orr};
    else
      emit_store(k, st, dr, orr, k.done());
  }
}

}  // namespace savp::mapper::codegen
