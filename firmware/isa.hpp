// The savp instruction set, defined once (STYLE.md habit 6; anchor: TVM VTA's hw_spec.h).
//
// A decoupled access/execute machine: the controller fetches fixed 64-byte instructions and
// dispatches each to one engine queue:
//   engine 0        DMA load queue   (LOAD: DRAM/any region -> on-chip buffer)
//   engine 1        DMA store queue  (STORE: on-chip buffer -> DRAM/any region)
//   engine 2 + i    chunk i          (COMPUTE: one tile of a layer on chunk i of the config)
// Every instruction carries explicit dependency tokens: before it starts, it pops one token
// from each channel (src -> this engine) whose src bit is set in wait_mask; when it finishes,
// it pushes one token to each channel (this engine -> dst) whose dst bit is set in
// signal_mask. Token channels are unbounded counters carrying the signal time.
// BARRIER waits until every queue is drained and every engine idle; HALT ends the program.
//
// Bit fields are (word, lsb, width) in eight little-endian 64-bit words. The assembler,
// disassembler, encoder, decoder, controller and mapper all use the tables below.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace savp::isa {

constexpr int kInstrWords = 8;
constexpr int kInstrBytes = kInstrWords * 8;
constexpr int kMaxEngines = 16;  // width of the token masks
constexpr int kEngineLoad = 0;
constexpr int kEngineStore = 1;
constexpr int kFirstChunkEngine = 2;
constexpr int kMaxChunks = kMaxEngines - kFirstChunkEngine;

inline int chunk_engine(int chunk_index) { return kFirstChunkEngine + chunk_index; }
std::string engine_name(int engine);  // "load", "store", "chunk3"
int parse_engine_name(const std::string& s);  // -1 if not an engine name

enum class Opcode : uint8_t { Nop = 0, Load = 1, Store = 2, Compute = 3, Barrier = 4, Halt = 5 };
constexpr int kNumOpcodes = 6;
const char* to_string(Opcode op);  // "nop", "load", ...

// What a COMPUTE instruction does with its tile.
enum class ComputeOp : uint8_t {
  Conv = 0,       // out[oy][ox][k] = sum_{ky,kx,c} in[iy][ix][c] (.) w[k][ky][kx][c] (+ bias)
  DwConv = 1,     // depthwise: out[..][c] = sum_{ky,kx} in[iy][ix][c] (.) w[c][ky][kx]
  MaxPool = 2,    // max over the kh x kw window, per channel (k == c)
  AvgPool = 3,    // window sum requantized with (multiplier, shift)
  Add = 4,        // out = sat(round_shift(a*multiplier + b*multiplier2, shift)), k*oh*ow elems
};
constexpr int kNumComputeOps = 5;
const char* to_string(ComputeOp op);  // "conv", "dwconv", "maxpool", "avgpool", "add"

// COMPUTE flags.
constexpr uint32_t kFlagRelu = 1u << 0;        // clamp the low end of the output at 0
constexpr uint32_t kFlagAccLoad = 1u << 1;     // start from int32 partials at acc_addr
constexpr uint32_t kFlagOutPartial = 1u << 2;  // write int32 partials to acc_addr, no requant
constexpr uint32_t kFlagNoBias = 1u << 3;      // start from 0 instead of the bias

struct Field {
  const char* name;  // assembly keyword
  uint8_t word;
  uint8_t lsb;
  uint8_t width;
};

// Common header (word 0) of every instruction.
constexpr Field kOpcode{"opcode", 0, 0, 8};
constexpr Field kEngine{"engine", 0, 8, 8};
constexpr Field kFlags{"flags", 0, 16, 16};
constexpr Field kWaitMask{"wait", 0, 32, 16};
constexpr Field kSignalMask{"signal", 0, 48, 16};

// LOAD / STORE: a 2D strided copy of `rows` rows of `row_bytes` bytes from src to dst.
// Addresses are platform addresses (platform/address_map.hpp).
constexpr Field kSrcAddr{"src", 1, 0, 48};
constexpr Field kDstAddr{"dst", 2, 0, 48};
constexpr Field kRows{"rows", 3, 0, 32};
constexpr Field kRowBytes{"row_bytes", 3, 32, 32};
constexpr Field kSrcStride{"src_stride", 4, 0, 32};
constexpr Field kDstStride{"dst_stride", 4, 32, 32};

// COMPUTE: one tile on the chunk of the instruction's engine. Buffer addresses are byte
// offsets into that chunk's ibuf (in, and b for Add), wbuf (w, bias) and obuf (acc, out).
// Layouts: input [ih][iw][c] int8; weights [k][kh][kw][c] int8 (DwConv: [c][kh][kw]);
// bias [k] int32; partials [oh][ow][k] int32; output [oh][ow][k] int8.
constexpr Field kComputeOp{"op", 1, 0, 8};
constexpr Field kKind{"kind", 1, 8, 8};  // OpKind the chunk must implement
constexpr Field kKh{"kh", 1, 16, 8};
constexpr Field kKw{"kw", 1, 24, 8};
constexpr Field kStride{"stride", 1, 32, 8};
constexpr Field kPadT{"pad_t", 1, 40, 8};
constexpr Field kPadL{"pad_l", 1, 48, 8};
constexpr Field kWBits{"wbits", 1, 56, 4};
constexpr Field kABits{"abits", 1, 60, 4};
constexpr Field kK{"k", 2, 0, 16};
constexpr Field kC{"c", 2, 16, 16};
constexpr Field kOh{"oh", 2, 32, 16};
constexpr Field kOw{"ow", 2, 48, 16};
constexpr Field kIh{"ih", 3, 0, 16};
constexpr Field kIw{"iw", 3, 16, 16};
constexpr Field kOBits{"obits", 3, 32, 8};
constexpr Field kShift{"shift", 3, 40, 8};
constexpr Field kMultiplier{"m", 4, 0, 32};
constexpr Field kMultiplier2{"m2", 4, 32, 32};
constexpr Field kInAddr{"in", 5, 0, 32};
constexpr Field kWAddr{"w", 5, 32, 32};
constexpr Field kBiasAddr{"bias", 6, 0, 32};
constexpr Field kAccAddr{"acc", 6, 32, 32};
constexpr Field kOutAddr{"out", 7, 0, 32};
// Weight storage of conv / dwconv (issue 8; firmware/weight_stream.hpp): the format of the
// weights at `w` in the wbuf (0 dense, 1 packed, 2 bitmask; decoded at the wbuf read port) and,
// when compressed, the stream's length in bytes (dense: 0, the size follows from the shape).
constexpr Field kWFormat{"wfmt", 3, 48, 4};
constexpr Field kWLen{"wlen", 7, 32, 32};

// The operand fields of each opcode, in assembly order (the header fields are implied).
const std::vector<Field>& operand_fields(Opcode op);

struct Instruction {
  std::array<uint64_t, kInstrWords> words{};

  uint64_t get(const Field& f) const {
    uint64_t v = words[f.word] >> f.lsb;
    return f.width == 64 ? v : v & ((uint64_t{1} << f.width) - 1);
  }
  void set(const Field& f, uint64_t value);  // throws FirmwareError if value does not fit

  Opcode opcode() const { return static_cast<Opcode>(get(kOpcode)); }
  int engine() const { return static_cast<int>(get(kEngine)); }
  uint32_t flags() const { return static_cast<uint32_t>(get(kFlags)); }
  uint32_t wait_mask() const { return static_cast<uint32_t>(get(kWaitMask)); }
  uint32_t signal_mask() const { return static_cast<uint32_t>(get(kSignalMask)); }
  ComputeOp compute_op() const { return static_cast<ComputeOp>(get(kComputeOp)); }

  bool operator==(const Instruction& o) const { return words == o.words; }
  bool operator!=(const Instruction& o) const { return !(*this == o); }
};

// Builders used by the mapper and tests.
Instruction make_dma(Opcode op /* Load or Store */, uint64_t src, uint64_t dst, uint32_t rows,
                     uint32_t row_bytes, uint32_t src_stride, uint32_t dst_stride);
Instruction make_sync(Opcode op /* Nop, Barrier or Halt */, int engine = 0);

// The operands of a COMPUTE instruction (field meanings above), with the defaults the
// assembler uses.
struct ComputeArgs {
  ComputeOp op = ComputeOp::Conv;
  uint8_t kind = 0;  // savp::OpKind the chunk must implement
  uint32_t k = 1, c = 1, oh = 1, ow = 1, ih = 1, iw = 1;
  uint32_t kh = 1, kw = 1, stride = 1, pad_t = 0, pad_l = 0;
  uint32_t wbits = 8, abits = 8, obits = 8;
  uint32_t multiplier = 0, multiplier2 = 0, shift = 0;
  uint32_t in = 0, w = 0, bias = 0, acc = 0, out = 0;
  uint32_t flags = 0;
  uint32_t wfmt = 0, wlen = 0;  // fw::WeightFormat of the weights, compressed stream bytes
};
// Throws FirmwareError if a value does not fit its field.
Instruction make_compute(int chunk_index, const ComputeArgs& a);

// Binary encoding: 64 little-endian bytes.
void encode(const Instruction& in, uint8_t* out64);
Instruction decode(const uint8_t* in64);

// Checks an instruction is well formed (known opcode and compute op, engine consistent
// with the opcode, masks naming existing engines, non-zero shapes). Returns "" if valid,
// else a description of the problem. `num_chunks` < 0 skips the chunk-count check.
std::string validate(const Instruction& in, int num_chunks = -1);

}  // namespace savp::isa
