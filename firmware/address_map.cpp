#include "firmware/address_map.hpp"

#include "firmware/isa.hpp"

namespace savp::amap {

bool lookup_symbol(const std::string& name, uint64_t& value) {
  if (name == "DRAM") return value = kDramBase, true;
  if (name == "GLB") return value = kGlbBase, true;
  // CHUNK<i>_IBUF / _WBUF / _OBUF
  if (name.rfind("CHUNK", 0) != 0) return false;
  size_t us = name.find('_');
  if (us == std::string::npos || us == 5 || us > 7) return false;
  int idx = 0;
  for (size_t i = 5; i < us; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    idx = idx * 10 + (name[i] - '0');
  }
  if (idx >= isa::kMaxChunks) return false;
  std::string suffix = name.substr(us + 1);
  if (suffix == "IBUF") return value = chunk_buffer_base(idx, ChunkBuffer::Ibuf), true;
  if (suffix == "WBUF") return value = chunk_buffer_base(idx, ChunkBuffer::Wbuf), true;
  if (suffix == "OBUF") return value = chunk_buffer_base(idx, ChunkBuffer::Obuf), true;
  return false;
}

}  // namespace savp::amap
