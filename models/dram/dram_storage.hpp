// Sparse byte storage behind the DRAM model (DRAMSys keeps storage apart from timing too).
// The capacity can be many GiB, so memory is allocated a page at a time on first write;
// bytes never written read as 0. Not thread-safe (one SystemC kernel per process).
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>

namespace savp::dram {

class DramStorage {
 public:
  static constexpr uint64_t kDefaultPageBytes = 64 * 1024;

  // page_bytes must be a power of two (throws std::invalid_argument otherwise).
  explicit DramStorage(uint64_t capacity_bytes, uint64_t page_bytes = kDefaultPageBytes);

  uint64_t capacity() const { return capacity_; }
  uint64_t page_bytes() const { return page_bytes_; }
  // Bytes actually allocated (pages touched by write() or page_ptr()).
  uint64_t allocated_bytes() const { return pages_.size() * page_bytes_; }

  // Copy `len` bytes. Throw savp::SimulationError (naming the address range and the capacity)
  // when [addr, addr + len) is not inside [0, capacity).
  void read(uint64_t addr, uint8_t* dst, uint64_t len) const;
  void write(uint64_t addr, const uint8_t* src, uint64_t len);

  // DMI-like access: the page holding `addr` (allocated, zero-filled, if new). The pointer
  // stays valid until clear() or destruction; it addresses page_base(addr) .. +page_bytes().
  uint8_t* page_ptr(uint64_t addr);
  uint64_t page_base(uint64_t addr) const { return addr & ~(page_bytes_ - 1); }

  // Forget all contents (everything reads as 0 again) and free the pages.
  void clear() { pages_.clear(); }

 private:
  void check(uint64_t addr, uint64_t len, const char* what) const;

  uint64_t capacity_;
  uint64_t page_bytes_;
  std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>> pages_;  // by page index
};

}  // namespace savp::dram
