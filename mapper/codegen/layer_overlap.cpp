// The overlap across a layer barrier (mapper/codegen.hpp "Synchronisation", batch of one,
// MapOptions::overlap_layers): the next layer's first-step loads are emitted before the
// barrier (prefetch) and this layer's last stores after it (deferred), with the tokens of
// mapper/layer_deps.hpp where they touch what the other side uses.
#include <algorithm>

#include "mapper/codegen/program.hpp"

namespace savp::mapper::codegen {

// Cross-layer overlap on one chunk: a double-buffered layer after another layer on the same
// chunk starts in the buffer halves the previous layer's last step does not use (the halves
// swap roles for the whole layer), so its first loads can be prefetched while that step
// computes and its first tile does not wait for the previous layer's deferred last store.
void avoid_previous_halves(const Prepared& pv, Prepared& pr) {
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
  const bool fw = pw >= 0 && pr.kind != TileKind::Pool &&
                  pr.t.order != LoopOrder::WeightsResident && fs.wslot == static_cast<uint32_t>(pw);
  const bool fo = po >= 0 && fs.oslot == static_cast<uint32_t>(po);
  for (Step& st : pr.steps) {
    if (fi) st.islot ^= 1u;
    if (fw) st.wslot ^= 1u;
    if (fo) st.oslot ^= 1u;
  }
}

// Emits ahead of the barrier the loads of task k's first step that can run while the current
// stage finishes: not reading a deferred store's bytes, and not overwriting bytes that the
// current stage's last COMPUTE on the chunk reads (waiting for that gains nothing).
void ProgramEmitter::prefetch(Task& k) {
  const std::vector<LoadDesc> v = loads_of(k, 0);
  k.prefetched.assign(v.size(), false);
  const int c = k.chunk;
  for (size_t j = 0; j < v.size(); ++j) {
    const LoadDesc& d = v[j];
    const ByteRange dr = dram_of(d);
    if (std::any_of(deferred_.begin(), deferred_.end(),
                    [&](const Deferred& x) { return x.dram.overlaps(dr); }))
      continue;
    const int64_t reader = deps_.last_reader(c, d.buf, d.range);
    if (reader >= 0 && reader == deps_.last_compute(c)) continue;
    const int64_t st = deps_.load_raw(dr);
    if (st >= 0 && st == stage_last_store_) continue;  // waits for the stage's very end
    uint32_t wait = 0;
    if (reader > deps_.load_waited_compute(c)) {
      em_.add_signal(static_cast<size_t>(reader), isa::kEngineLoad);
      deps_.load_waited_compute(c, reader);
      wait |= bit(isa::chunk_engine(c));
    }
    if (st >= 0) {
      em_.add_signal(static_cast<size_t>(st), isa::kEngineLoad);
      deps_.load_waited_store(st);
      wait |= bit(isa::kEngineStore);
    }
    k.prefetch_at.push_back(
        em_.prefetch_load(d.src, d.dst, d.rows, d.row_bytes, d.src_stride, d.dst_stride, wait));
    k.prefetched[j] = true;
  }
}

void ProgramEmitter::overlap_before_barrier(std::vector<std::vector<Task>>& next) {
  // A last store whose bytes the next stage's first step reads is not deferred: that load
  // would wait for it anyway, after the barrier, with nothing to overlap.
  std::vector<ByteRange> first_reads;
  for (auto& tasks : next)
    for (const Task& k : tasks)
      for (const LoadDesc& d : loads_of(k, 0)) first_reads.push_back(dram_of(d));
  std::vector<Deferred> keep;
  for (const Deferred& d : deferred_) {
    if (std::none_of(first_reads.begin(), first_reads.end(),
                     [&](const ByteRange& r) { return r.overlaps(d.dram); })) {
      keep.push_back(d);
      continue;
    }
    stage_last_store_ = static_cast<int64_t>(em_.push(d.in));
    deps_.store(static_cast<uint64_t>(stage_last_store_), d.chunk, d.dram, d.obuf, false);
  }
  deferred_.swap(keep);
  for (auto& tasks : next)
    for (Task& k : tasks) prefetch(k);
}

void ProgramEmitter::emit_deferred_after_barrier() {
  for (const Deferred& d : deferred_) deps_.store(em_.push(d.in), d.chunk, d.dram, d.obuf, true);
  deferred_.clear();
}

}  // namespace savp::mapper::codegen
