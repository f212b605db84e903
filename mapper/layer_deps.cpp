#include "mapper/layer_deps.hpp"

#include <algorithm>

namespace savp::mapper {

ByteRange hull(uint64_t addr, uint64_t rows, uint64_t row_bytes, uint64_t stride) {
  if (rows == 0 || row_bytes == 0) return ByteRange{addr, addr};
  return ByteRange{addr, addr + (rows - 1) * stride + row_bytes};
}

LayerDeps::LayerDeps(size_t chunks)
    : last_compute_(chunks, -1), load_compute_(chunks, -1), chunk_store_(chunks, -1) {}

void LayerDeps::barrier() {
  // Everything recorded so far has finished; the waits made so far stay valid (indices only
  // grow, and nothing older than the barrier is ever waited for again).
  stores_.clear();
  reads_.clear();
  std::fill(last_compute_.begin(), last_compute_.end(), -1);
}

void LayerDeps::store(uint64_t at, int chunk, ByteRange dram, ByteRange obuf, bool deferred) {
  stores_.push_back(StoreRec{at, chunk, dram, obuf, deferred});
}

void LayerDeps::compute(uint64_t at, int chunk, ByteRange ibuf, ByteRange wbuf) {
  reads_.push_back(ReadRec{at, chunk, ibuf, wbuf});
  last_compute_[static_cast<size_t>(chunk)] = static_cast<int64_t>(at);
}

int64_t LayerDeps::load_raw(ByteRange dram) const {
  int64_t need = -1;
  for (const StoreRec& s : stores_)
    if (s.dram.overlaps(dram)) need = std::max(need, static_cast<int64_t>(s.at));
  return need > load_store_ ? need : -1;
}

int64_t LayerDeps::last_reader(int chunk, ChunkBuf b, ByteRange r) const {
  int64_t need = -1;
  for (const ReadRec& x : reads_)
    if (x.chunk == chunk && (b == ChunkBuf::Ibuf ? x.ibuf : x.wbuf).overlaps(r))
      need = std::max(need, static_cast<int64_t>(x.at));
  return need;
}

int64_t LayerDeps::obuf_war(int chunk, ByteRange r) const {
  int64_t need = -1;
  for (const StoreRec& s : stores_)
    if (s.deferred && s.chunk == chunk && s.obuf.overlaps(r))
      need = std::max(need, static_cast<int64_t>(s.at));
  return need > chunk_store_[static_cast<size_t>(chunk)] ? need : -1;
}

void LayerDeps::load_waited_compute(int chunk, int64_t at) {
  int64_t& w = load_compute_[static_cast<size_t>(chunk)];
  w = std::max(w, at);
}

void LayerDeps::chunk_waited_store(int chunk, int64_t at) {
  int64_t& w = chunk_store_[static_cast<size_t>(chunk)];
  w = std::max(w, at);
}

}  // namespace savp::mapper
