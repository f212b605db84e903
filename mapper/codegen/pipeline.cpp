// The chunk pipeline (NASA; mapper/codegen.hpp "Batch"): stage s runs layer j of input s - j for
// every j, each after the previous stage's BARRIER, so input b's layer j always follows its
// layer j - 1. Within a stage the tasks on different chunks run concurrently: their steps are
// interleaved (next step from the chunk with the least compute emitted so far in the stage),
// and tasks on one chunk follow each other. A batch of one is the plain layer-by-layer program.
#include <algorithm>

#include "mapper/codegen/program.hpp"
#include "mapper/cost_model.hpp"

namespace savp::mapper::codegen {

ProgramEmitter::ProgramEmitter(const QuantizedNetwork& q, const HwConfig& hw,
                               const std::vector<Prepared>& prep, const ActivationLayout& acts,
                               uint32_t batch, bool overlap)
    : q_(q),
      net_(q.net),
      hw_(hw),
      prep_(prep),
      acts_(acts),
      batch_(batch),
      overlap_(overlap),
      deps_(hw.chunks.size()),
      last_compute_(hw.chunks.size(), -1),
      last_store_(hw.chunks.size(), -1) {}

// Per chunk, the tasks of stage st in layer order.
std::vector<std::vector<Task>> ProgramEmitter::make_tasks(size_t st) const {
  std::vector<std::vector<Task>> per_chunk(hw_.chunks.size());
  for (size_t j = 0; j < prep_.size(); ++j) {
    if (st < j || st - j >= batch_) continue;
    const Prepared& pr = prep_[j];
    const size_t parts = pr.add ? 1 : pr.chunks.size();
    for (size_t i = 0; i < parts; ++i) {
      const int c = pr.add ? pr.chunk : pr.chunks[i];
      Task k{&pr,
             c,
             pr.add ? nullptr : &pr.shares[i],
             static_cast<uint32_t>(st - j),
             0,
             TokenPlan(pr.t),
             {},
             {},
             0,
             0,
             {},
             {},
             std::nullopt};
      per_chunk[static_cast<size_t>(c)].push_back(std::move(k));
    }
  }
  return per_chunk;
}

void ProgramEmitter::emit(std::vector<LayerPlacement>& layers) {
  const size_t stages = prep_.size() + batch_ - 1;
  std::vector<std::vector<Task>> per_chunk;
  if (!prep_.empty()) per_chunk = make_tasks(0);
  for (size_t st = 0; st < stages && !prep_.empty(); ++st) {
    const uint64_t stage_first = em_.code.size();
    std::fill(last_compute_.begin(), last_compute_.end(), -1);
    std::fill(last_store_.begin(), last_store_.end(), -1);
    defer_ = overlap_ && st + 1 < stages;
    stage_last_store_ = -1;
    std::vector<size_t> cur(hw_.chunks.size(), 0);
    std::vector<uint64_t> emitted(hw_.chunks.size(), 0);  // compute cycles emitted in the stage
    for (;;) {
      int pick = -1;
      for (size_t c = 0; c < per_chunk.size(); ++c)
        if (cur[c] < per_chunk[c].size() &&
            (pick < 0 || emitted[c] < emitted[static_cast<size_t>(pick)]))
          pick = static_cast<int>(c);
      if (pick < 0) break;
      Task& k = per_chunk[pick][cur[pick]];
      const size_t before = em_.code.size();
      if (k.next == 0) k.first_instr = batch_ == 1 ? stage_first : before;
      emit_step(k);
      for (size_t i = before; i < em_.code.size(); ++i)
        if (em_.code[i].opcode() == isa::Opcode::Compute)
          emitted[pick] += compute_cycles(hw_.chunks[pick], em_.code[i]);
      if (k.done()) {
        k.last_instr = em_.code.size();
        if (k.image == 0) {  // a split layer: from its first share's start to its last's end
          std::vector<uint64_t>& r = layers[k.pr->li].instr_range;
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
    if (overlap_) overlap_before_barrier(next);
    em_.sync(isa::Opcode::Barrier);
    deps_.barrier();
    emit_deferred_after_barrier();
    if (batch_ == 1)  // the stage's one layer owns its prefetches, the barrier and its last stores
      for (auto& tasks : per_chunk)
        for (const Task& k : tasks) layers[k.pr->li].instr_range[1] = em_.code.size();
    per_chunk = std::move(next);
  }
  // Flatten has no code: an empty range where the layer before it ends.
  uint64_t prev_end = 0;
  for (LayerPlacement& pl : layers) {
    std::vector<uint64_t>& r = pl.instr_range;
    if (r.empty()) r = {prev_end, prev_end};
    prev_end = r[1];
  }
  em_.sync(isa::Opcode::Halt);
}

}  // namespace savp::mapper::codegen
