// The platform address space firmware sees (fixed by convention, sized by the config).
// DMA instructions use these addresses; the interconnect routes by them and faults on an
// address outside every region. COMPUTE instructions use offsets into their chunk's buffers.
#pragma once

#include <cstdint>
#include <string>

namespace savp::amap {

constexpr uint64_t kDramBase = 0x0;                 // DRAM, [0, capacity)
constexpr uint64_t kGlbBase = 0x10'0000'0000ull;    // shared global buffer
constexpr uint64_t kChunkBase = 0x20'0000'0000ull;  // chunk i at kChunkBase + i * kChunkStride
constexpr uint64_t kChunkStride = 0x1'0000'0000ull;
constexpr uint64_t kIbufOffset = 0x0;               // within a chunk's window
constexpr uint64_t kWbufOffset = 0x4000'0000ull;
constexpr uint64_t kObufOffset = 0x8000'0000ull;

enum class ChunkBuffer : uint8_t { Ibuf = 0, Wbuf = 1, Obuf = 2 };
inline uint64_t chunk_buffer_base(int chunk, ChunkBuffer b) {
  static constexpr uint64_t kOff[] = {kIbufOffset, kWbufOffset, kObufOffset};
  return kChunkBase + static_cast<uint64_t>(chunk) * kChunkStride + kOff[static_cast<int>(b)];
}

// Assembler symbols: DRAM, GLB, CHUNK<i>_IBUF, CHUNK<i>_WBUF, CHUNK<i>_OBUF.
// Returns false if `name` is not one of them.
bool lookup_symbol(const std::string& name, uint64_t& value);

}  // namespace savp::amap
