#include "models/dram/dram_storage.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <string>

#include "common/errors.hpp"

namespace savp::dram {

namespace {
std::string hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}
}  // namespace

DramStorage::DramStorage(uint64_t capacity_bytes, uint64_t page_bytes)
    : capacity_(capacity_bytes), page_bytes_(page_bytes) {
  if (page_bytes == 0 || (page_bytes & (page_bytes - 1)) != 0)
    throw std::invalid_argument("DramStorage page size " + std::to_string(page_bytes) +
                                " is not a power of two");
}

void DramStorage::check(uint64_t addr, uint64_t len, const char* what) const {
  if (addr > capacity_ || len > capacity_ - addr)
    throw SimulationError(std::string("DRAM ") + what + " at " + hex(addr) + " of " +
                          std::to_string(len) + " bytes is beyond the capacity " + hex(capacity_) +
                          " (" + std::to_string(capacity_) + " bytes)");
}

void DramStorage::read(uint64_t addr, uint8_t* dst, uint64_t len) const {
  check(addr, len, "read");
  while (len != 0) {
    const uint64_t off = addr & (page_bytes_ - 1);
    const uint64_t n = std::min(len, page_bytes_ - off);
    auto it = pages_.find(addr / page_bytes_);
    if (it == pages_.end())
      std::memset(dst, 0, n);
    else
      std::memcpy(dst, it->second.get() + off, n);
    addr += n;
    dst += n;
    len -= n;
  }
}

void DramStorage::write(uint64_t addr, const uint8_t* src, uint64_t len) {
  check(addr, len, "write");
  while (len != 0) {
    const uint64_t off = addr & (page_bytes_ - 1);
    const uint64_t n = std::min(len, page_bytes_ - off);
    std::memcpy(page_ptr(addr) + off, src, n);
    addr += n;
    src += n;
    len -= n;
  }
}

uint8_t* DramStorage::page_ptr(uint64_t addr) {
  check(addr, 1, "page access");
  auto& page = pages_[addr / page_bytes_];
  if (!page) page.reset(new uint8_t[page_bytes_]());  // value-initialised: zeros
  return page.get();
}

}  // namespace savp::dram
