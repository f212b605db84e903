#include "firmware/assembler.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>

#include "common/arith.hpp"
#include "common/errors.hpp"
#include "firmware/address_map.hpp"
#include "firmware/asm_expr.hpp"
#include "firmware/disassembler.hpp"
#include "firmware/weight_stream.hpp"

namespace savp::fw {
namespace {

using asmx::ExprParser;
using asmx::is_ident_char;
using asmx::is_ident_start;

using isa::Field;
using isa::Instruction;
using isa::Opcode;

struct Token {
  std::string text;  // without the quotes if quoted
  int line = 0;
  int col = 0;  // 1-based column of the first character (of the opening quote if quoted)
  bool quoted = false;
};

// A data directive may not create more than this (a typo must not allocate terabytes).
constexpr uint64_t kMaxDirectiveBytes = uint64_t{1} << 30;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

class Assembler {
 public:
  explicit Assembler(const std::string& origin) : origin_(origin) {}
  Image run(const std::string& text);

 private:
  struct Loc {
    int line, col;
  };

  [[noreturn]] void error(int line, int col, const std::string& msg) const {
    throw FirmwareError(SourceLocation{origin_, line, col}.str() + ": " + msg);
  }
  [[noreturn]] void error(const Token& t, const std::string& msg, size_t offset = 0) const {
    error(t.line, t.col + static_cast<int>(offset), msg);
  }

  bool tokenize(const std::string& line, int lineno, std::vector<Token>& out) const;
  void statement(const std::vector<Token>& t);
  void instruction(const std::vector<Token>& t);
  void directive(const std::vector<Token>& t);
  void finish();

  // Expressions (README "Expressions"): evaluates t.text from `begin` on.
  int64_t eval(const Token& t, size_t begin = 0) const;
  int64_t eval_in(const Token& t, int64_t lo, int64_t hi, const char* what, size_t begin = 0) const;
  uint32_t engine_mask(const Token& t, size_t begin) const;
  uint32_t flag_mask(const Token& t, size_t begin) const;
  void set_field(Instruction& in, const Field& f, int64_t v, const Token& t, size_t off) const;
  void add_segment(Segment s, const Token& at);
  void expect_args(const std::vector<Token>& t, size_t lo, size_t hi, const char* usage) const;

  std::string origin_;
  std::map<std::string, int64_t> equs_;
  Image img_;
  bool code_set_ = false;
  Loc code_loc_{0, 0};
  std::vector<Loc> seg_loc_;
};

// Splits one physical line into tokens; returns true if it ends with a continuation `\`.
bool Assembler::tokenize(const std::string& line, int lineno, std::vector<Token>& out) const {
  size_t i = 0, n = line.size();
  while (i < n) {
    char c = line[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == '#' || c == ';') break;
    Token t;
    t.line = lineno;
    t.col = static_cast<int>(i) + 1;
    if (c == '"') {
      t.quoted = true;
      ++i;
      bool closed = false;
      while (i < n) {
        char d = line[i++];
        if (d == '"') {
          closed = true;
          break;
        }
        if (d == '\\' && i < n) d = line[i++];
        t.text += d;
      }
      if (!closed) error(lineno, t.col, "unterminated string");
    } else {
      while (i < n && !is_space(line[i]) && line[i] != '#' && line[i] != ';' && line[i] != '"')
        t.text += line[i++];
    }
    out.push_back(std::move(t));
  }
  if (!out.empty() && !out.back().quoted && !out.back().text.empty() &&
      out.back().text.back() == '\\') {
    out.back().text.pop_back();
    if (out.back().text.empty()) out.pop_back();
    return true;
  }
  return false;
}

Image Assembler::run(const std::string& text) {
  std::vector<Token> stmt;
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    ++lineno;
    bool cont = tokenize(text.substr(pos, eol - pos), lineno, stmt);
    if (!cont && !stmt.empty()) {
      statement(stmt);
      stmt.clear();
    }
    pos = eol + 1;
  }
  if (!stmt.empty()) statement(stmt);
  finish();
  return std::move(img_);
}

void Assembler::statement(const std::vector<Token>& t) {
  if (t[0].quoted) error(t[0], "expected a mnemonic or a directive, got a string");
  if (!t[0].text.empty() && t[0].text[0] == '.')
    directive(t);
  else
    instruction(t);
}

int64_t Assembler::eval(const Token& t, size_t begin) const {
  if (t.quoted) error(t, "expected a value, got a string");
  ExprParser p(t.text, begin, equs_, [&](size_t at, const std::string& m) { error(t, m, at); });
  return p.parse();
}

int64_t Assembler::eval_in(const Token& t, int64_t lo, int64_t hi, const char* what,
                           size_t begin) const {
  int64_t v = eval(t, begin);
  if (v < lo || v > hi)
    error(t, fmt::format("{} {} out of range [{}, {}]", what, v, lo, hi), begin);
  return v;
}

uint32_t Assembler::engine_mask(const Token& t, size_t begin) const {
  uint32_t mask = 0;
  size_t i = begin;
  while (true) {
    size_t comma = t.text.find(',', i);
    std::string name = t.text.substr(i, comma == std::string::npos ? std::string::npos : comma - i);
    int e = isa::parse_engine_name(name);
    if (e < 0)
      error(t,
            fmt::format("unknown engine '{}' (expected load, store or chunk0..chunk{})", name,
                        isa::kMaxChunks - 1),
            i);
    if (mask >> e & 1) error(t, fmt::format("engine '{}' named twice", name), i);
    mask |= 1u << e;
    if (comma == std::string::npos) return mask;
    i = comma + 1;
  }
}

uint32_t Assembler::flag_mask(const Token& t, size_t begin) const {
  uint32_t mask = 0;
  size_t i = begin;
  while (true) {
    size_t bar = t.text.find('|', i);
    std::string name = t.text.substr(i, bar == std::string::npos ? std::string::npos : bar - i);
    uint32_t f = parse_flag_name(name);
    if (f == 0) {
      if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0])))
        error(t,
              fmt::format("unknown flag '{}' (expected relu, acc_load, out_partial, no_bias or a "
                          "number)",
                          name),
              i);
      Token num{name, t.line, t.col + static_cast<int>(i), false};
      f = static_cast<uint32_t>(eval_in(num, 0, 0xffff, "flags"));
    }
    mask |= f;
    if (bar == std::string::npos) return mask;
    i = bar + 1;
  }
}

void Assembler::set_field(Instruction& in, const Field& f, int64_t v, const Token& t,
                          size_t off) const {
  if (v < 0) error(t, fmt::format("negative value {} for field '{}'", v, f.name), off);
  try {
    in.set(f, static_cast<uint64_t>(v));
  } catch (const FirmwareError& e) {
    error(t, e.what(), off);
  }
}

void Assembler::instruction(const std::vector<Token>& t) {
  const Token& mn = t[0];
  int opv = -1;
  for (int o = 0; o < isa::kNumOpcodes; ++o)
    if (mn.text == isa::to_string(static_cast<Opcode>(o))) opv = o;
  if (opv < 0)
    error(mn, fmt::format("unknown mnemonic '{}' (expected load, store, compute, nop, barrier, "
                          "halt or a directive such as .bytes)",
                          mn.text));
  Opcode op = static_cast<Opcode>(opv);
  Instruction in;
  in.set(isa::kOpcode, static_cast<uint64_t>(opv));
  size_t next = 1;
  int engine = op == Opcode::Store ? isa::kEngineStore : isa::kEngineLoad;
  if (op == Opcode::Nop || op == Opcode::Compute) {
    if (t.size() < 2 || t[1].quoted || t[1].text.find('=') != std::string::npos) {
      int col = t.size() < 2 ? mn.col + static_cast<int>(mn.text.size()) + 1 : t[1].col;
      error(mn.line, col,
            fmt::format("'{}' needs an engine first ({})", mn.text,
                        op == Opcode::Compute ? "chunk0..chunk13" : "load, store, chunk0.."));
    }
    engine = isa::parse_engine_name(t[1].text);
    if (engine < 0)
      error(t[1], fmt::format("unknown engine '{}' (expected load, store or chunk0..chunk{})",
                              t[1].text, isa::kMaxChunks - 1));
    next = 2;
  }
  in.set(isa::kEngine, static_cast<uint64_t>(engine));
  if (op == Opcode::Compute) {  // defaults (README "Instructions")
    for (const Field* f : {&isa::kStride, &isa::kKh, &isa::kKw}) in.set(*f, 1);
    for (const Field* f : {&isa::kWBits, &isa::kABits, &isa::kOBits}) in.set(*f, 8);
  }
  const std::vector<Field>& fields = isa::operand_fields(op);
  std::set<std::string> seen;
  for (size_t k = next; k < t.size(); ++k) {
    const Token& tok = t[k];
    size_t eq = tok.text.find('=');
    if (tok.quoted || eq == std::string::npos || eq == 0)
      error(tok, fmt::format("expected key=value, got '{}'", tok.text));
    std::string key = tok.text.substr(0, eq);
    size_t off = eq + 1;
    if (off >= tok.text.size()) error(tok, fmt::format("missing value after '{}='", key), off);
    if (!seen.insert(key).second) error(tok, fmt::format("duplicate operand '{}'", key));
    if (key == "wait") {
      in.set(isa::kWaitMask, engine_mask(tok, off));
    } else if (key == "signal") {
      in.set(isa::kSignalMask, engine_mask(tok, off));
    } else if (key == "flags") {
      in.set(isa::kFlags, flag_mask(tok, off));
    } else {
      auto f =
          std::find_if(fields.begin(), fields.end(), [&](const Field& x) { return key == x.name; });
      if (f == fields.end()) {
        std::string allowed;
        for (const Field& x : fields) allowed += std::string(x.name) + ", ";
        error(tok, fmt::format("unknown operand '{}' for {} (expected {}flags, wait or signal)",
                               key, mn.text, allowed));
      }
      std::string val = tok.text.substr(off);
      int64_t v = -1;
      if (op == Opcode::Compute && (key == "op" || key == "kind")) {  // a name or a number
        bool is_op = key == "op";
        for (int c = 0; c < (is_op ? isa::kNumComputeOps : kNumOpKinds); ++c)
          if (val == (is_op ? isa::to_string(static_cast<isa::ComputeOp>(c))
                            : to_string(static_cast<OpKind>(c))))
            v = c;
        if (v < 0 && !std::isdigit(static_cast<unsigned char>(val[0])))
          error(
              tok,
              fmt::format("unknown {} '{}' (expected {})", key, val,
                          is_op ? "conv, dwconv, maxpool, avgpool or add" : "mult, shift or adder"),
              off);
      }
      if (op == Opcode::Compute && key == "wfmt") {  // a weight format name or a number
        fw::WeightFormat wf;
        if (fw::parse_weight_format(val, wf))
          v = static_cast<int64_t>(wf);
        else if (!std::isdigit(static_cast<unsigned char>(val[0])))
          error(tok, fmt::format("unknown wfmt '{}' (expected dense, packed or bitmask)", val),
                off);
      }
      if (v < 0) v = eval(tok, off);
      set_field(in, *f, v, tok, off);
    }
  }
  if (op == Opcode::Compute)
    for (const char* need : {"op", "kind"})
      if (!seen.count(need)) error(mn, fmt::format("compute needs {}= (it has no default)", need));
  std::string why = isa::validate(in);
  if (!why.empty()) error(mn, "invalid instruction: " + why);
  img_.code.push_back(in);
}

void Assembler::expect_args(const std::vector<Token>& t, size_t lo, size_t hi,
                            const char* usage) const {
  size_t args = t.size() - 1;
  if (args > hi) error(t[hi + 1], fmt::format("too many operands; usage: {}", usage));
  if (args < lo) {
    const Token& last = t.back();
    error(last.line, last.col + static_cast<int>(last.text.size()) + (last.quoted ? 2 : 0) + 1,
          fmt::format("missing operand; usage: {}", usage));
  }
}

void Assembler::add_segment(Segment s, const Token& at) {
  if (s.data.empty()) error(at, "empty data directive");
  img_.segments.push_back(std::move(s));
  seg_loc_.push_back({at.line, at.col});
}

void Assembler::directive(const std::vector<Token>& t) {
  const std::string& d = t[0].text;
  constexpr auto kAddrMax = static_cast<int64_t>(kAddressLimit - 1);
  auto addr = [&](size_t i) {
    return static_cast<uint64_t>(eval_in(t[i], 0, kAddrMax, "address"));
  };
  auto length = [&](size_t i) {
    return static_cast<uint64_t>(eval_in(t[i], 1, kMaxDirectiveBytes, "length"));
  };
  if (d == ".equ") {
    expect_args(t, 2, 2, ".equ NAME EXPR");
    const std::string& name = t[1].text;
    uint64_t builtin;
    if (t[1].quoted || name.empty() || !is_ident_start(name[0]) ||
        !std::all_of(name.begin(), name.end(), is_ident_char))
      error(t[1], fmt::format("'{}' is not a symbol name ([A-Za-z_][A-Za-z0-9_]*)", name));
    if (equs_.count(name) || amap::lookup_symbol(name, builtin))
      error(t[1], fmt::format("symbol '{}' is already defined", name));
    equs_[name] = eval(t[2]);
  } else if (d == ".code") {
    expect_args(t, 1, 1, ".code ADDR");
    if (code_set_) error(t[0], ".code given twice (the code is one block)");
    code_set_ = true;
    code_loc_ = {t[0].line, t[0].col};
    img_.code_base = addr(1);
    if (img_.code_base % 8) error(t[1], "code address must be a multiple of 8");
  } else if (d == ".bytes" || d == ".int32") {
    expect_args(t, 2, SIZE_MAX - 1, d == ".bytes" ? ".bytes ADDR V..." : ".int32 ADDR V...");
    Segment s;
    s.addr = addr(1);
    for (size_t i = 2; i < t.size(); ++i) {
      if (d == ".bytes") {
        s.data.push_back(static_cast<uint8_t>(eval_in(t[i], -128, 255, "byte value")));
      } else {
        auto v = static_cast<uint32_t>(eval_in(t[i], INT32_MIN, UINT32_MAX, "int32 value"));
        for (int b = 0; b < 4; ++b) s.data.push_back(static_cast<uint8_t>(v >> (8 * b)));
      }
    }
    add_segment(std::move(s), t[0]);
  } else if (d == ".random" || d == ".shiftw") {
    bool shiftw = d == ".shiftw";
    const char* usage = shiftw ? ".shiftw ADDR LEN SEED BITS" : ".random ADDR LEN SEED LO HI";
    expect_args(t, shiftw ? 4 : 5, shiftw ? 4 : 5, usage);
    Segment s;
    s.addr = addr(1);
    uint64_t len = length(2);
    SplitMix64 rng(static_cast<uint64_t>(eval_in(t[3], 0, INT64_MAX, "seed")));
    int64_t lo, hi;
    if (shiftw) {  // every valid shift-weight byte for BITS-bit weights (common/arith.hpp)
      int bits = static_cast<int>(eval_in(t[4], arith::kMinBits, arith::kMaxBits, "bits"));
      hi = arith::max_shift_exponent(bits) + 1;
      lo = -hi;
    } else {
      lo = eval_in(t[4], -128, 127, "LO");
      hi = eval_in(t[5], -128, 127, "HI");
      if (hi < lo) error(t[5], fmt::format("HI {} is below LO {}", hi, lo));
    }
    uint64_t span = static_cast<uint64_t>(hi - lo + 1);
    s.data.resize(len);
    for (uint64_t i = 0; i < len; ++i)
      s.data[i] = static_cast<uint8_t>(lo + static_cast<int64_t>(rng.next() % span));
    add_segment(std::move(s), t[0]);
  } else if (d == ".incbin") {
    expect_args(t, 2, 2, ".incbin ADDR \"FILE\"");
    Segment s;
    s.addr = addr(1);
    std::filesystem::path p(t[2].text);
    if (p.is_relative()) p = std::filesystem::path(origin_).parent_path() / p;
    std::ifstream f(p, std::ios::binary);
    if (!f) error(t[2], fmt::format("cannot open '{}': {}", p.string(), std::strerror(errno)));
    // Only regular files: a device or pipe (/dev/zero) has no size and would be read until
    // memory runs out.
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec))
      error(t[2], fmt::format("'{}' is not a regular file", p.string()));
    auto size = std::filesystem::file_size(p, ec);
    if (!ec && size > kMaxDirectiveBytes)
      error(t[2], fmt::format("'{}' is larger than {} bytes", p.string(), kMaxDirectiveBytes));
    s.data.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    if (s.data.empty()) error(t[2], fmt::format("'{}' is empty", p.string()));
    add_segment(std::move(s), t[0]);
  } else if (d == ".output") {
    expect_args(t, 3, 4, ".output NAME ADDR LEN [HxWxC]");
    OutputRegion o;
    o.name = t[1].text;
    if (o.name.empty() || o.name.size() > kMaxOutputNameBytes ||
        !std::all_of(o.name.begin(), o.name.end(), [](char c) { return c >= 0x20 && c < 0x7f; }))
      error(t[1], fmt::format("output name must be 1 to {} printable ASCII characters",
                              kMaxOutputNameBytes));
    for (const OutputRegion& x : img_.outputs)
      if (x.name == o.name) error(t[1], fmt::format("output '{}' is defined twice", o.name));
    o.addr = addr(2);
    o.bytes = static_cast<uint64_t>(eval_in(t[3], 1, kAddrMax, "length"));
    if (o.bytes > kAddressLimit - o.addr) error(t[3], "output ends beyond the 2^48 address limit");
    if (t.size() == 5) {
      const Token& sh = t[4];
      size_t i = 0;
      while (true) {
        size_t start = i;
        uint64_t v = 0;
        while (i < sh.text.size() && std::isdigit(static_cast<unsigned char>(sh.text[i]))) {
          v = v * 10 + static_cast<uint64_t>(sh.text[i] - '0');
          if (v > UINT32_MAX) error(sh, "shape dimension too large", start);
          ++i;
        }
        if (i == start || v == 0 || sh.quoted)
          error(sh, "expected a shape like 8x8x16 (positive decimal dimensions)", start);
        o.shape.push_back(static_cast<uint32_t>(v));
        if (i == sh.text.size()) break;
        if (sh.text[i] != 'x') error(sh, fmt::format("unexpected '{}' in shape", sh.text[i]), i);
        ++i;
      }
    }
    img_.outputs.push_back(std::move(o));
  } else if (d == ".inst") {
    expect_args(t, isa::kInstrWords, isa::kInstrWords, ".inst W0 W1 W2 W3 W4 W5 W6 W7");
    Instruction in;
    for (int w = 0; w < isa::kInstrWords; ++w) {
      const Token& tok = t[w + 1];
      if (tok.quoted) error(tok, "expected a 64-bit unsigned number");
      ExprParser p(tok.text, 0, equs_, [&](size_t at, const std::string& m) { error(tok, m, at); });
      uint64_t v = p.literal(UINT64_MAX, "2^64 - 1");
      if (!p.done()) error(tok, "expected a 64-bit unsigned number (decimal or 0x hex)");
      in.words[w] = v;
    }
    std::string why = isa::validate(in);
    if (!why.empty()) error(t[0], "invalid instruction: " + why);
    img_.code.push_back(in);
  } else {
    error(t[0], fmt::format("unknown directive '{}' (expected .equ, .code, .bytes, .int32, "
                            ".random, .shiftw, .incbin, .output or .inst)",
                            d));
  }
}

void Assembler::finish() {
  const uint64_t code_lo = img_.code_base;
  if (img_.code.size() > (kAddressLimit - code_lo) / isa::kInstrBytes)
    error(code_loc_.line, code_loc_.col, "the code ends beyond the 2^48 address limit");
  const uint64_t code_hi = img_.code_end();
  std::vector<size_t> order;
  for (size_t i = 0; i < img_.segments.size(); ++i) {
    const Segment& s = img_.segments[i];
    const Loc& at = seg_loc_[i];
    if (s.data.size() > kAddressLimit - s.addr)
      error(at.line, at.col, "data ends beyond the 2^48 address limit");
    if (!img_.code.empty() && s.addr < code_hi && code_lo < s.end())
      error(at.line, at.col,
            fmt::format("data [{:#x}, {:#x}) overlaps the code [{:#x}, {:#x}) ({} instructions "
                        "at .code {:#x})",
                        s.addr, s.end(), code_lo, code_hi, img_.code.size(), code_lo));
    order.push_back(i);
  }
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return img_.segments[a].addr < img_.segments[b].addr; });
  for (size_t k = 1; k < order.size(); ++k) {
    size_t a = order[k - 1], b = order[k];
    if (img_.segments[b].addr < img_.segments[a].end()) {
      size_t i = std::min(a, b), j = std::max(a, b);
      error(seg_loc_[j].line, seg_loc_[j].col,
            fmt::format("data [{:#x}, {:#x}) overlaps the data of line {} [{:#x}, {:#x})",
                        img_.segments[j].addr, img_.segments[j].end(), seg_loc_[i].line,
                        img_.segments[i].addr, img_.segments[i].end()));
    }
  }
  std::string why = check_image(img_);  // backstop: the checks deserialize() applies
  if (!why.empty()) error(0, 0, why);
}

}  // namespace

Image assemble(const std::string& source_text, const std::string& origin) {
  return Assembler(origin).run(source_text);
}

Image assemble_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return assemble(text, path);
}

}  // namespace savp::fw
