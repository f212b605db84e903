#include "firmware/isa.hpp"

#include <fmt/format.h>

#include <cstring>

#include "common/errors.hpp"
#include "common/hw_config.hpp"
#include "firmware/weight_stream.hpp"

namespace savp::isa {

std::string engine_name(int engine) {
  if (engine == kEngineLoad) return "load";
  if (engine == kEngineStore) return "store";
  return "chunk" + std::to_string(engine - kFirstChunkEngine);
}

int parse_engine_name(const std::string& s) {
  if (s == "load") return kEngineLoad;
  if (s == "store") return kEngineStore;
  if (s.rfind("chunk", 0) == 0 && s.size() > 5 && s.size() <= 7) {
    int v = 0;
    for (size_t i = 5; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    if (v < kMaxChunks) return kFirstChunkEngine + v;
  }
  return -1;
}

const char* to_string(Opcode op) {
  switch (op) {
    case Opcode::Nop: return "nop";
    case Opcode::Load: return "load";
    case Opcode::Store: return "store";
    case Opcode::Compute: return "compute";
    case Opcode::Barrier: return "barrier";
    case Opcode::Halt: return "halt";
  }
  return "?";
}

const char* to_string(ComputeOp op) {
  switch (op) {
    case ComputeOp::Conv: return "conv";
    case ComputeOp::DwConv: return "dwconv";
    case ComputeOp::MaxPool: return "maxpool";
    case ComputeOp::AvgPool: return "avgpool";
    case ComputeOp::Add: return "add";
  }
  return "?";
}

const std::vector<Field>& operand_fields(Opcode op) {
  static const std::vector<Field> kNone;
  static const std::vector<Field> kDma{kSrcAddr, kDstAddr, kRows, kRowBytes, kSrcStride,
                                       kDstStride};
  static const std::vector<Field> kCompute{
      kComputeOp, kKind, kK,     kC,     kOh,         kOw,   kIh,       kIw,
      kKh,        kKw,   kStride, kPadT, kPadL,       kWBits, kABits,   kOBits,
      kMultiplier, kMultiplier2, kShift, kInAddr,     kWAddr, kBiasAddr, kAccAddr, kOutAddr,
      kWFormat,   kWLen};
  switch (op) {
    case Opcode::Load:
    case Opcode::Store: return kDma;
    case Opcode::Compute: return kCompute;
    default: return kNone;
  }
}

void Instruction::set(const Field& f, uint64_t value) {
  uint64_t mask = f.width == 64 ? ~uint64_t{0} : ((uint64_t{1} << f.width) - 1);
  if (value & ~mask)
    throw FirmwareError(fmt::format("value {:#x} does not fit field '{}' ({} bits)", value,
                                    f.name, f.width));
  words[f.word] = (words[f.word] & ~(mask << f.lsb)) | (value << f.lsb);
}

Instruction make_dma(Opcode op, uint64_t src, uint64_t dst, uint32_t rows, uint32_t row_bytes,
                     uint32_t src_stride, uint32_t dst_stride) {
  Instruction in;
  in.set(kOpcode, static_cast<uint64_t>(op));
  in.set(kEngine, op == Opcode::Store ? kEngineStore : kEngineLoad);
  in.set(kSrcAddr, src);
  in.set(kDstAddr, dst);
  in.set(kRows, rows);
  in.set(kRowBytes, row_bytes);
  in.set(kSrcStride, src_stride);
  in.set(kDstStride, dst_stride);
  return in;
}

Instruction make_sync(Opcode op, int engine) {
  Instruction in;
  in.set(kOpcode, static_cast<uint64_t>(op));
  in.set(kEngine, static_cast<uint64_t>(engine));
  return in;
}

Instruction make_compute(int chunk_index, const ComputeArgs& a) {
  Instruction in;
  in.set(kOpcode, static_cast<uint64_t>(Opcode::Compute));
  in.set(kEngine, static_cast<uint64_t>(chunk_engine(chunk_index)));
  in.set(kFlags, a.flags);
  const std::pair<Field, uint64_t> fields[] = {
      {kComputeOp, static_cast<uint64_t>(a.op)}, {kKind, a.kind}, {kK, a.k}, {kC, a.c},
      {kOh, a.oh}, {kOw, a.ow}, {kIh, a.ih}, {kIw, a.iw}, {kKh, a.kh}, {kKw, a.kw},
      {kStride, a.stride}, {kPadT, a.pad_t}, {kPadL, a.pad_l}, {kWBits, a.wbits},
      {kABits, a.abits}, {kOBits, a.obits}, {kMultiplier, a.multiplier},
      {kMultiplier2, a.multiplier2}, {kShift, a.shift}, {kInAddr, a.in}, {kWAddr, a.w},
      {kBiasAddr, a.bias}, {kAccAddr, a.acc}, {kOutAddr, a.out}, {kWFormat, a.wfmt},
      {kWLen, a.wlen}};
  for (const auto& [f, v] : fields) in.set(f, v);
  return in;
}

void encode(const Instruction& in, uint8_t* out) {
  for (int w = 0; w < kInstrWords; ++w)
    for (int b = 0; b < 8; ++b) out[w * 8 + b] = static_cast<uint8_t>(in.words[w] >> (8 * b));
}

Instruction decode(const uint8_t* p) {
  Instruction in;
  for (int w = 0; w < kInstrWords; ++w) {
    uint64_t v = 0;
    for (int b = 7; b >= 0; --b) v = (v << 8) | p[w * 8 + b];
    in.words[w] = v;
  }
  return in;
}

std::string validate(const Instruction& in, int num_chunks) {
  uint64_t opv = in.get(kOpcode);
  if (opv >= kNumOpcodes) return fmt::format("unknown opcode {}", opv);
  Opcode op = in.opcode();
  int engine = in.engine();
  int engines = num_chunks < 0 ? kMaxEngines : kFirstChunkEngine + num_chunks;
  auto check_mask = [&](uint32_t mask, const char* what) -> std::string {
    for (int e = 0; e < kMaxEngines; ++e)
      if ((mask >> e & 1) && e >= engines)
        return fmt::format("{} names engine {} but the platform has {} engines", what,
                           engine_name(e), engines);
    return "";
  };
  if (auto s = check_mask(in.wait_mask(), "wait"); !s.empty()) return s;
  if (auto s = check_mask(in.signal_mask(), "signal"); !s.empty()) return s;
  switch (op) {
    case Opcode::Load:
    case Opcode::Store: {
      int want = op == Opcode::Load ? kEngineLoad : kEngineStore;
      if (engine != want)
        return fmt::format("{} must go to engine {}, not {}", to_string(op), engine_name(want),
                           engine_name(engine));
      if (in.get(kRows) == 0 || in.get(kRowBytes) == 0) return "DMA with zero rows or row_bytes";
      break;
    }
    case Opcode::Compute: {
      if (engine < kFirstChunkEngine || engine >= engines)
        return fmt::format("compute on engine {} which is not a chunk of this platform",
                           engine_name(engine));
      if (in.get(kComputeOp) >= kNumComputeOps)
        return fmt::format("unknown compute op {}", in.get(kComputeOp));
      if (in.get(kKind) >= kNumOpKinds) return fmt::format("unknown kind {}", in.get(kKind));
      if (in.get(kK) == 0 || in.get(kOh) == 0 || in.get(kOw) == 0)
        return "compute with a zero output dimension (k, oh, ow)";
      ComputeOp cop = in.compute_op();
      if (cop != ComputeOp::Add) {
        if (in.get(kC) == 0 || in.get(kKh) == 0 || in.get(kKw) == 0 || in.get(kStride) == 0 ||
            in.get(kIh) == 0 || in.get(kIw) == 0)
          return "compute with a zero input dimension (c, ih, iw, kh, kw, stride)";
      }
      if (cop == ComputeOp::DwConv || cop == ComputeOp::MaxPool || cop == ComputeOp::AvgPool) {
        if (in.get(kK) != in.get(kC))
          return fmt::format("{} needs k == c (got k={} c={})", to_string(cop), in.get(kK),
                             in.get(kC));
      }
      uint64_t obits = in.get(kOBits);
      if (obits < 2 || obits > 8) return fmt::format("obits {} outside [2, 8]", obits);
      if (cop == ComputeOp::Conv || cop == ComputeOp::DwConv) {
        uint64_t wb = in.get(kWBits), ab = in.get(kABits);
        if (wb < 2 || wb > 8) return fmt::format("wbits {} outside [2, 8]", wb);
        if (ab < 2 || ab > 8) return fmt::format("abits {} outside [2, 8]", ab);
      }
      const uint64_t wfmt = in.get(kWFormat), wlen = in.get(kWLen);
      if (wfmt >= static_cast<uint64_t>(fw::kNumWeightFormats))
        return fmt::format("unknown weight format {} (wfmt: 0 dense, 1 packed, 2 bitmask)", wfmt);
      if ((wfmt != 0 || wlen != 0) && cop != ComputeOp::Conv && cop != ComputeOp::DwConv)
        return fmt::format("wfmt / wlen apply to conv and dwconv only, not {}", to_string(cop));
      if (wfmt == 0 && wlen != 0)
        return fmt::format("dense weights with wlen {} (expected 0: the shape gives the size)",
                           wlen);
      if (wfmt != 0 && wlen < fw::kWeightStreamHeaderBytes)
        return fmt::format("{} weights with wlen {} (expected at least the {}-byte header)",
                           fw::to_string(static_cast<fw::WeightFormat>(wfmt)), wlen,
                           fw::kWeightStreamHeaderBytes);
      if (in.get(kShift) > 62) return fmt::format("shift {} above 62", in.get(kShift));
      if (in.get(kMultiplier) >= (uint64_t{1} << 31) || in.get(kMultiplier2) >= (uint64_t{1} << 31))
        return "multiplier must be below 2^31";
      break;
    }
    case Opcode::Nop:
      if (engine >= engines) return fmt::format("nop on unknown engine {}", engine);
      break;
    case Opcode::Barrier:
    case Opcode::Halt:
      break;
  }
  return "";
}

}  // namespace savp::isa
