// The firmware image: what the mapper produces and the platform runs. It holds the instruction
// stream (placed in DRAM at code_base, fetched by the controller), the initial contents of
// memory (weights, biases, test inputs) and the regions that hold the network's outputs.
//
// The binary file format (little-endian, CRC-32 trailer) is documented byte by byte in
// firmware/README.md; serialize/deserialize are its only implementation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "firmware/isa.hpp"

namespace savp::fw {

// Initial contents of memory at a platform address (normally DRAM).
struct Segment {
  uint64_t addr = 0;
  std::vector<uint8_t> data;

  uint64_t end() const { return addr + data.size(); }
  bool operator==(const Segment& o) const { return addr == o.addr && data == o.data; }
  bool operator!=(const Segment& o) const { return !(*this == o); }
};

// A memory region that holds a result after the run (read back and checked bit-exact).
struct OutputRegion {
  std::string name;
  uint64_t addr = 0;
  uint64_t bytes = 0;
  std::vector<uint32_t> shape;  // e.g. {H, W, C}; empty if unknown

  bool operator==(const OutputRegion& o) const {
    return name == o.name && addr == o.addr && bytes == o.bytes && shape == o.shape;
  }
  bool operator!=(const OutputRegion& o) const { return !(*this == o); }
};

struct Image {
  uint64_t code_base = 0;  // platform (DRAM) address where the instructions are placed
  std::vector<isa::Instruction> code;
  std::vector<Segment> segments;
  std::vector<OutputRegion> outputs;

  uint64_t code_bytes() const { return static_cast<uint64_t>(code.size()) * isa::kInstrBytes; }
  uint64_t code_end() const { return code_base + code_bytes(); }
  // Platform address of instruction i.
  uint64_t instruction_addr(size_t i) const { return code_base + uint64_t{64} * i; }

  bool operator==(const Image& o) const {
    return code_base == o.code_base && code == o.code && segments == o.segments &&
           outputs == o.outputs;
  }
  bool operator!=(const Image& o) const { return !(*this == o); }
};

// Format constants (see firmware/README.md).
constexpr char kImageMagic[8] = {'S', 'A', 'V', 'P', 'I', 'M', 'G', '\0'};
constexpr uint32_t kImageVersion = 1;
constexpr uint32_t kImageHeaderBytes = 64;
constexpr uint32_t kImageTrailerBytes = 8;
constexpr size_t kMaxOutputNameBytes = 255;
// Every address range of an image (code, segments, outputs) ends at or below 2^48, the
// width of the platform addresses in DMA instructions (isa::kSrcAddr / kDstAddr).
constexpr uint64_t kAddressLimit = uint64_t{1} << 48;

// The checks deserialize() applies to an image's contents (also used by the assembler):
// code_base is a multiple of 8, every instruction passes isa::validate, segments are
// non-empty and overlap neither each other nor the code, output regions are non-empty with
// unique printable names, and every range ends at or below kAddressLimit.
// Returns "" if the image is consistent, else a message.
std::string check_image(const Image& img);

// Serializes without checking (check_image() first if the image is untrusted).
std::vector<uint8_t> serialize(const Image&);
// Parses and checks an image. Throws savp::FirmwareError "origin: byte N: what (expected X)".
Image deserialize(const uint8_t* data, size_t size, const std::string& origin);
void write_image(const Image&, const std::string& path);  // throws savp::Error on I/O failure
Image read_image(const std::string& path);                // throws savp::Error / FirmwareError

// CRC-32 (zlib's, polynomial 0xEDB88320) of a byte range: the trailer's checksum.
uint32_t image_crc32(const uint8_t* data, size_t size);

}  // namespace savp::fw
