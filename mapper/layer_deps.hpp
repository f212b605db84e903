// Cross-layer dependencies of the layer-by-layer program (mapper/codegen.hpp, batch of one):
// what lets the next layer's first loads run before the BARRIER between two layers (prefetch)
// and the previous layer's last STOREs after it (deferred), with tokens instead of the barrier
// where an instruction on one side still touches what an instruction on the other side uses.
//
// The tracker remembers, since the last BARRIER (everything before a barrier has finished):
//  - every STORE: the DRAM bytes it writes (the hull of its rows) and the obuf bytes it reads;
//  - every COMPUTE: the ibuf and wbuf bytes it reads.
// and, per token channel a LOAD or a COMPUTE pops, the latest instruction already waited for
// (engines run their instructions in order, so waiting for a later STORE / COMPUTE of the same
// engine covers every earlier one; a channel's waited-for indices only grow, so tokens are
// popped in the order they are pushed).
//  - RAW through DRAM: a LOAD waits for the latest STORE whose bytes overlap its source;
//  - WAR on a chunk's ibuf / wbuf: a prefetched LOAD waits for the latest COMPUTE on its chunk
//    that read the bytes it overwrites;
//  - WAR on a chunk's obuf: a COMPUTE waits for the latest deferred STORE on its chunk that reads
//    the bytes it writes.
// Byte ranges of strided transfers are their hulls (first to last byte), so an overlap test can
// only report a dependency that is not there, never miss one.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace savp::mapper {

struct ByteRange {
  uint64_t lo = 0, hi = 0;  // [lo, hi)
  bool overlaps(const ByteRange& o) const { return lo < o.hi && o.lo < hi; }
};
// The hull of `rows` rows of `row_bytes` bytes, `stride` apart, from `addr`.
ByteRange hull(uint64_t addr, uint64_t rows, uint64_t row_bytes, uint64_t stride);

enum class ChunkBuf : uint8_t { Ibuf = 0, Wbuf = 1 };

class LayerDeps {
 public:
  explicit LayerDeps(size_t chunks);

  // A BARRIER was emitted: everything before it has finished.
  void barrier();
  // A STORE at instruction `at` writing `dram` from chunk `chunk`'s obuf bytes `obuf`.
  // `deferred`: it runs after the barrier that the next layer's first instructions follow.
  void store(uint64_t at, int chunk, ByteRange dram, ByteRange obuf, bool deferred);
  // A COMPUTE at instruction `at` on chunk `chunk` reading `ibuf` and `wbuf` bytes.
  void compute(uint64_t at, int chunk, ByteRange ibuf, ByteRange wbuf);

  // The latest STORE a LOAD from `dram` must wait for that the load engine has not waited for
  // already (-1: none).
  int64_t load_raw(ByteRange dram) const;
  // The latest COMPUTE on `chunk` that read bytes `r` of buffer `b` (-1: none since the barrier).
  int64_t last_reader(int chunk, ChunkBuf b, ByteRange r) const;
  // The last COMPUTE on `chunk` since the barrier (-1: none).
  int64_t last_compute(int chunk) const { return last_compute_[static_cast<size_t>(chunk)]; }
  // The latest deferred STORE on `chunk` reading obuf bytes `r` that the chunk has not waited
  // for already (-1: none).
  int64_t obuf_war(int chunk, ByteRange r) const;

  // Waits the emitter made (each pops one token): the load engine waited for STORE `at` /
  // COMPUTE `at` of `chunk`; `chunk` waited for STORE `at`.
  void load_waited_store(int64_t at) { load_store_ = std::max(load_store_, at); }
  void load_waited_compute(int chunk, int64_t at);
  void chunk_waited_store(int chunk, int64_t at);
  int64_t load_waited_compute(int chunk) const {
    return load_compute_[static_cast<size_t>(chunk)];
  }
  int64_t chunk_waited_store(int chunk) const { return chunk_store_[static_cast<size_t>(chunk)]; }

 private:
  struct StoreRec {
    uint64_t at;
    int chunk;
    ByteRange dram, obuf;
    bool deferred;
  };
  struct ReadRec {
    uint64_t at;
    int chunk;
    ByteRange ibuf, wbuf;
  };
  std::vector<StoreRec> stores_;
  std::vector<ReadRec> reads_;
  std::vector<int64_t> last_compute_;
  int64_t load_store_ = -1;
  std::vector<int64_t> load_compute_, chunk_store_;
};

}  // namespace savp::mapper
