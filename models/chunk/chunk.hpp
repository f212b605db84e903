// A chunk: a rows x cols array of PEs of one operator kind (mult, shift or adder) with its
// dataflow and local buffers. COMPUTE instructions run one tile: the arithmetic is done for
// real on the buffers (functional mode) and the time comes from the array
// (models/chunk/tile_kernels.hpp, common/tile_timing.hpp). The chunk reaches its buffers
// through DMI obtained over the interconnect.
#pragma once

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <map>

#include "common/hw_config.hpp"
#include "models/chunk/tile_kernels.hpp"
#include "models/controller/engine.hpp"
#include "models/memory/sram.hpp"

namespace savp::models {

struct ChunkStats {
  uint64_t instructions = 0;
  uint64_t busy_cycles = 0;
  uint64_t pe_ops = 0;
  std::map<int, uint64_t> pe_ops_by_bits;  // weight bits -> accumulate steps
  uint64_t vector_ops = 0;
  // Weight decompressor (issue 8): weights decoded per stream format (fw::WeightFormat 1
  // packed, 2 bitmask; index 0 unused), its busy cycles and the cycles it added to tiles.
  uint64_t decompressed_weights[3] = {0, 0, 0};
  uint64_t decompress_cycles = 0, decompress_stall_cycles = 0;
  uint64_t shadow_writes = 0;  // sums handed to shadow registers (fold_overlap)
  void reset() { *this = ChunkStats{}; }
};

using ChunkObserver = std::function<void(const isa::Instruction&, sc_core::sc_time,
                                         sc_core::sc_time, const chunk::TileCost&)>;

class Chunk : public sc_core::sc_module, public Engine {
 public:
  tlm_utils::simple_initiator_socket<Chunk> dmi_port;  // to the interconnect, DMI only

  Chunk(sc_core::sc_module_name name, const ChunkConfig& cfg, int index, sc_core::sc_time cycle,
        Sram& ibuf, Sram& wbuf, Sram& obuf);

  std::string engine_label() const override { return cfg_.name; }
  sc_core::sc_time execute(const isa::Instruction& in, sc_core::sc_time start) override;

  void set_functional(bool on) { functional_ = on; }
  const ChunkConfig& config() const { return cfg_; }
  const ChunkStats& stats() const { return stats_; }
  void reset_stats() { stats_.reset(); }
  void set_observer(ChunkObserver obs) { observer_ = std::move(obs); }

 private:
  chunk::BufferView acquire_dmi(uint64_t base, uint64_t size);

  ChunkConfig cfg_;
  int index_;
  sc_core::sc_time cycle_;
  Sram& ibuf_;
  Sram& wbuf_;
  Sram& obuf_;
  chunk::TileBuffers bufs_;
  bool have_dmi_ = false;
  bool functional_ = true;
  ChunkStats stats_;
  ChunkObserver observer_;
};

}  // namespace savp::models
