#include "firmware/disassembler.hpp"

#include <fmt/format.h>

#include "common/hw_config.hpp"
#include "firmware/weight_stream.hpp"

namespace savp::fw {
namespace {

using isa::Field;
using isa::Instruction;
using isa::Opcode;

struct FlagName {
  uint32_t bit;
  const char* name;
};
constexpr FlagName kFlagNames[] = {{isa::kFlagRelu, "relu"},
                                   {isa::kFlagAccLoad, "acc_load"},
                                   {isa::kFlagOutPartial, "out_partial"},
                                   {isa::kFlagNoBias, "no_bias"}};

// Fields holding addresses print in hex; the rest in decimal.
bool is_address(const Field& f) {
  for (const Field* a : {&isa::kSrcAddr, &isa::kDstAddr, &isa::kInAddr, &isa::kWAddr,
                         &isa::kBiasAddr, &isa::kAccAddr, &isa::kOutAddr})
    if (f.word == a->word && f.lsb == a->lsb && f.width == a->width) return true;
  return false;
}

std::string raw(const Instruction& in) {
  std::string s = ".inst";
  for (uint64_t w : in.words) s += fmt::format(" {:#x}", w);
  return s;
}

// An output name prints bare when the assembler reads it back as one token, else quoted.
std::string quote_name(const std::string& name) {
  bool bare = !name.empty() && name.find_first_of(" \t\"#;\\") == std::string::npos;
  if (bare) return name;
  std::string s = "\"";
  for (char c : name) {
    if (c == '"' || c == '\\') s += '\\';
    s += c;
  }
  return s + "\"";
}

}  // namespace

std::string flags_to_string(uint32_t flags) {
  std::string s;
  for (const FlagName& f : kFlagNames)
    if (flags & f.bit) {
      s += (s.empty() ? "" : "|") + std::string(f.name);
      flags &= ~f.bit;
    }
  if (flags) s += (s.empty() ? "" : "|") + fmt::format("{:#x}", flags);
  return s.empty() ? "0" : s;
}

std::string engine_mask_to_string(uint32_t mask) {
  std::string s;
  for (int e = 0; e < isa::kMaxEngines; ++e)
    if (mask >> e & 1) s += (s.empty() ? "" : ",") + isa::engine_name(e);
  return s;
}

uint32_t parse_flag_name(const std::string& name) {
  for (const FlagName& f : kFlagNames)
    if (name == f.name) return f.bit;
  return 0;
}

std::string disassemble_instruction(const Instruction& in) {
  if (in.get(isa::kOpcode) >= static_cast<uint64_t>(isa::kNumOpcodes)) return raw(in);
  Opcode op = in.opcode();
  // The instruction the canonical text stands for: anything else prints raw.
  Instruction canon;
  canon.set(isa::kOpcode, in.get(isa::kOpcode));
  int engine = op == Opcode::Store ? isa::kEngineStore : isa::kEngineLoad;
  std::string s = isa::to_string(op);
  if (op == Opcode::Nop || op == Opcode::Compute) {
    engine = in.engine();
    if (engine >= isa::kMaxEngines) return raw(in);
    s += " " + isa::engine_name(engine);
  }
  canon.set(isa::kEngine, static_cast<uint64_t>(engine));
  for (const Field& f : isa::operand_fields(op)) {
    uint64_t v = in.get(f);
    canon.set(f, v);
    // The weight storage operands print only when not dense (their assembler default is 0).
    if (op == Opcode::Compute && v == 0 &&
        ((f.word == isa::kWFormat.word && f.lsb == isa::kWFormat.lsb) ||
         (f.word == isa::kWLen.word && f.lsb == isa::kWLen.lsb)))
      continue;
    std::string val;
    if (op == Opcode::Compute && f.word == isa::kComputeOp.word && f.lsb == isa::kComputeOp.lsb &&
        v < static_cast<uint64_t>(isa::kNumComputeOps))
      val = isa::to_string(static_cast<isa::ComputeOp>(v));
    else if (op == Opcode::Compute && f.word == isa::kKind.word && f.lsb == isa::kKind.lsb &&
             v < static_cast<uint64_t>(kNumOpKinds))
      val = to_string(static_cast<OpKind>(v));
    else if (op == Opcode::Compute && f.word == isa::kWFormat.word &&
             f.lsb == isa::kWFormat.lsb && v < static_cast<uint64_t>(fw::kNumWeightFormats))
      val = fw::to_string(static_cast<fw::WeightFormat>(v));
    else
      val = is_address(f) ? fmt::format("{:#x}", v) : fmt::format("{}", v);
    s += fmt::format(" {}={}", f.name, val);
  }
  if (uint32_t fl = in.flags()) s += " flags=" + flags_to_string(fl);
  if (uint32_t w = in.wait_mask()) s += " wait=" + engine_mask_to_string(w);
  if (uint32_t g = in.signal_mask()) s += " signal=" + engine_mask_to_string(g);
  canon.set(isa::kFlags, in.flags());
  canon.set(isa::kWaitMask, in.wait_mask());
  canon.set(isa::kSignalMask, in.signal_mask());
  return canon == in ? s : raw(in);
}

std::string disassemble(const Image& img, const DisasmOptions& opt) {
  std::string s =
      fmt::format("# savp firmware image: {} instructions at {:#x}, {} data segments, {} outputs\n",
                  img.code.size(), img.code_base, img.segments.size(), img.outputs.size());
  s += fmt::format(".code {:#x}\n", img.code_base);
  for (const OutputRegion& o : img.outputs) {
    s += fmt::format(".output {} {:#x} {}", quote_name(o.name), o.addr, o.bytes);
    for (size_t i = 0; i < o.shape.size(); ++i) s += (i ? "x" : " ") + std::to_string(o.shape[i]);
    s += "\n";
  }
  s += "\n";
  for (size_t i = 0; i < img.code.size(); ++i) {
    std::string line = disassemble_instruction(img.code[i]);
    if (opt.with_addresses) {
      line.resize(std::max<size_t>(line.size() + 2, 60), ' ');
      line += fmt::format("# [{}] {:#x}", i, img.instruction_addr(i));
    }
    s += line + "\n";
  }
  // Canonical data form: one `.bytes` per segment (its first line holds the address, the
  // values follow 32 to a line, joined by `\` continuations), in the image's segment order.
  constexpr size_t kPerLine = 32;
  for (const Segment& seg : img.segments) {
    s += "\n";
    if (!opt.with_data) {
      s += fmt::format("# data [{:#x}, {:#x}): {} bytes (omitted)\n", seg.addr, seg.end(),
                       seg.data.size());
      continue;
    }
    s += fmt::format(".bytes {:#x}", seg.addr);
    for (size_t i = 0; i < seg.data.size(); ++i) {
      if (i % kPerLine == 0) s += " \\\n ";
      s += fmt::format(" {}", static_cast<int8_t>(seg.data[i]));
    }
    s += "\n";
  }
  return s;
}

}  // namespace savp::fw
