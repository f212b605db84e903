// Compressed weight streams (issue 8): how a block of int8 weights (one COMPUTE tile's weights,
// layout firmware/isa.hpp) is stored in the firmware image, moved by the DMA and held in a
// chunk's wbuf, and decoded at the wbuf's read port on its way into the PE array. The format is
// documented in firmware/README.md ("Compressed weight streams"); the COMPUTE fields `wfmt` and
// `wlen` say which format a tile's weights are in and how many bytes the stream has.
//
//  - dense:   the int8 weights as they are, one byte each (no header; wlen = 0).
//  - packed:  a 16-byte header, then every weight as a `bits`-wide two's-complement field,
//             LSB first, in a continuous bit stream (ceil(count * bits / 8) bytes).
//  - bitmask: a 16-byte header, then one bit per weight (1: non-zero; ceil(count / 8) bytes),
//             then the non-zero weights packed as above (ceil(nnz * bits / 8) bytes).
// Header: u8 format (1 packed, 2 bitmask), u8 bits (2..8), u16 reserved (0), u32 count,
// u32 nnz (values stored: count for packed), u32 CRC-32 (zlib) of the payload; little-endian.
// Unused bits at the end of the mask and of the values are 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace savp::fw {

enum class WeightFormat : uint8_t { Dense = 0, Packed = 1, Bitmask = 2 };
constexpr int kNumWeightFormats = 3;
const char* to_string(WeightFormat f);  // "dense", "packed", "bitmask"
// Parses a format name; false if it is none of them.
bool parse_weight_format(const std::string& s, WeightFormat& out);

constexpr uint64_t kWeightStreamHeaderBytes = 16;
constexpr int kMinPackedBits = 2;
constexpr int kMaxPackedBits = 8;

// The fewest bits (1..8) of a two's-complement field that holds every value.
int value_bits(const int8_t* w, uint64_t n);
uint64_t count_nonzero(const int8_t* w, uint64_t n);

// The exact size in bytes of a stream of `count` weights, `nnz` of them non-zero, packed at
// `bits` (dense: count).
uint64_t stream_bytes(WeightFormat f, uint64_t count, uint64_t nnz, int bits);

// Encodes n weights. Throws savp::Error if bits is outside [2, 8] for packed / bitmask, if a
// weight does not fit in `bits`, or if n exceeds 2^32 - 1.
std::vector<uint8_t> encode_weights(WeightFormat f, int bits, const int8_t* w, uint64_t n);

// What a stream's header says (parse_weight_stream_header checks it against the instruction).
struct WeightStreamInfo {
  WeightFormat format = WeightFormat::Dense;
  int bits = 8;
  uint64_t count = 0, nnz = 0;
};

// Decodes a stream of `len` bytes that must hold `count` weights in format `f` into out[0..count).
// Throws savp::FirmwareError("compressed weight stream: <what> (expected ...)") for a stream
// shorter than its header or than its header declares, a format or count other than the
// instruction's, bits outside [2, 8], a non-zero reserved field or padding bit, nnz above count
// or different from the mask's population, trailing bytes, or a CRC mismatch.
WeightStreamInfo decode_weights(WeightFormat f, const uint8_t* stream, uint64_t len,
                                uint64_t count, int8_t* out);

}  // namespace savp::fw
