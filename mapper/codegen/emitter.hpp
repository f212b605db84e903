// The instruction emitter of code generation (mapper/codegen.hpp): appends LOAD / COMPUTE /
// STORE / sync instructions and sets the dependency tokens within one step of a layer (a step's
// loads, then its COMPUTE, which waits for the last of them). The cross-step and cross-layer
// tokens are set by its callers (mapper/codegen/step_emit.cpp, layer_overlap.cpp) through
// add_signal() and the wait flags. Also the small helpers every code-generation file uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "firmware/address_map.hpp"
#include "firmware/isa.hpp"

namespace savp::mapper::codegen {

inline constexpr uint64_t kAlign = 64;  // every DRAM region and buffer half is 64-byte aligned
inline constexpr uint64_t kMaxField16 = 65535;

inline uint64_t align_up(uint64_t v) { return (v + kAlign - 1) / kAlign * kAlign; }
inline uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
inline uint32_t bit(int engine) { return 1u << engine; }
inline uint32_t u32(uint64_t v) { return static_cast<uint32_t>(v); }

// The base address of chunk c's buffers (firmware/address_map.hpp).
inline uint64_t ibuf(int c) { return amap::chunk_buffer_base(c, amap::ChunkBuffer::Ibuf); }
inline uint64_t wbuf(int c) { return amap::chunk_buffer_base(c, amap::ChunkBuffer::Wbuf); }
inline uint64_t obuf(int c) { return amap::chunk_buffer_base(c, amap::ChunkBuffer::Obuf); }

// Builds the instruction stream with DRAM addresses relative to the data base (relocated
// afterwards, once the code size is known).
class Emitter {
 public:
  using Opcode = isa::Opcode;

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

}  // namespace savp::mapper::codegen
