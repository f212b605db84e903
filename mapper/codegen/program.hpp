// The program of code generation (mapper/codegen.hpp "Batch", "Double buffering",
// "Synchronisation"): the prepared layers emitted as instructions, stage by stage. Its parts:
//  - pipeline.cpp: the stages of the chunk pipeline (NASA), the interleaving of tasks on
//    different chunks within a stage, the barriers and every layer's instruction range;
//  - step_emit.cpp: one step of a layer's tiles (its loads, COMPUTE and STORE with their
//    tokens), and a residual add's tiles;
//  - layer_overlap.cpp: the overlap across a layer barrier (batch of one): the next layer's
//    first loads prefetched before the barrier, this layer's last stores deferred after it
//    (mapper/layer_deps.hpp), and the buffer halves a layer avoids to allow it.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/hw_config.hpp"
#include "mapper/codegen.hpp"
#include "mapper/codegen/emitter.hpp"
#include "mapper/codegen/image_data.hpp"
#include "mapper/codegen/layer_prep.hpp"
#include "mapper/layer_deps.hpp"
#include "mapper/quantized_network.hpp"
#include "mapper/tiling.hpp"

namespace savp::mapper::codegen {

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
  // loads (see ProgramEmitter::emit_step).
  struct HeldStore {
    isa::Instruction in;
    ByteRange dram, obuf;
  };
  std::optional<HeldStore> held;
  bool done() const { return pr->add ? next > 0 : next >= steps->size(); }
};

class ProgramEmitter {
 public:
  ProgramEmitter(const QuantizedNetwork& q, const HwConfig& hw, const std::vector<Prepared>& prep,
                 const ActivationLayout& acts, uint32_t batch, bool overlap);
  // Emits every stage (pipeline.cpp), setting layers[i].instr_range; ends with HALT.
  void emit(std::vector<LayerPlacement>& layers);
  // The instructions, DRAM addresses relative to the data base.
  std::vector<isa::Instruction> take_code() { return std::move(em_.code); }

 private:
  // The loads of step `si` of task k (an Add: of tile `si`), in emission order.
  struct LoadDesc {
    uint64_t src, dst, rows, row_bytes, src_stride, dst_stride;
    ChunkBuf buf;
    ByteRange range;  // the buffer bytes it writes (offsets into the buffer)
  };
  // A stage's last STORE kept for after its barrier.
  struct Deferred {
    isa::Instruction in;
    int chunk;
    ByteRange dram, obuf;
  };

  // pipeline.cpp
  std::vector<std::vector<Task>> make_tasks(size_t stage) const;

  // step_emit.cpp
  std::vector<LoadDesc> loads_of(const Task& k, size_t si) const;
  static ByteRange dram_of(const LoadDesc& d);
  void emit_loads(Task& k, size_t si);
  void emit_store(Task& k, const isa::Instruction& in, ByteRange dram, ByteRange ob, bool last);
  void emit_compute(Task& k, const isa::ComputeArgs& a, int64_t plan_store, bool after,
                    bool signal_load, bool store, ByteRange out, ByteRange in_r, ByteRange w_r);
  void emit_held_store(Task& k, Task::HeldStore& held);
  void emit_step(Task& k);
  void emit_add(Task& k, bool after);
  void emit_window_step(Task& k, bool after);

  // layer_overlap.cpp
  void prefetch(Task& k);
  // Before the barrier after a stage: emits the deferred stores the next stage's first steps
  // read, then prefetches the next stage's first loads.
  void overlap_before_barrier(std::vector<std::vector<Task>>& next);
  // After the barrier: emits the stores deferred past it.
  void emit_deferred_after_barrier();

  const QuantizedNetwork& q_;
  const Network& net_;
  const HwConfig& hw_;
  const std::vector<Prepared>& prep_;
  const ActivationLayout& acts_;
  const uint32_t batch_;
  // Cross-layer overlap (batch of one, MapOptions::overlap_layers; mapper/layer_deps.hpp): the
  // next layer's first loads run ahead of the barrier, this layer's last stores after it.
  const bool overlap_;
  Emitter em_;
  LayerDeps deps_;
  // Per chunk within a pipeline stage: the last COMPUTE and STORE of the task before, which
  // the chunk's next task waits for before it overwrites the buffers (-1: none).
  std::vector<int64_t> last_compute_, last_store_;
  std::vector<Deferred> deferred_;  // the current stage's last stores, emitted after its barrier
  bool defer_ = false;              // the current stage defers its tasks' last stores
  int64_t stage_last_store_ = -1;   // the current stage's last STORE before its barrier
};

}  // namespace savp::mapper::codegen
