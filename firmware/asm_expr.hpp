// The assembler's constant expressions (firmware/README.md): numbers, .equ symbols and the
// built-in address-map symbols, with + - * and parentheses, all overflow-checked.
#pragma once

#include <fmt/format.h>

#include <cctype>
#include <climits>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "common/errors.hpp"
#include "firmware/address_map.hpp"

namespace savp::fw::asmx {

inline bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
inline bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// --- expressions: expr := term (('+'|'-') term)*; term := unary ('*' unary)*;
//     unary := '-' unary | primary; primary := number | symbol | '(' expr ')'
class ExprParser {
 public:
  ExprParser(const std::string& text, size_t begin, const std::map<std::string, int64_t>& equs,
             std::function<void(size_t, const std::string&)> fail)
      : s_(text), i_(begin), equs_(equs), fail_(std::move(fail)) {}

  bool done() const { return i_ == s_.size(); }
  int64_t parse() {
    if (i_ >= s_.size()) err("expected a value");
    int64_t v = expr();
    if (i_ < s_.size()) err(fmt::format("unexpected '{}' in expression", s_[i_]));
    return v;
  }

 private:
  [[noreturn]] void err(const std::string& m) {
    fail_(i_, m);
    throw FirmwareError(m);  // not reached: fail_ throws
  }
  void check_overflow(bool overflow, size_t at) {
    if (overflow) {
      i_ = at;
      err("arithmetic overflow in expression");
    }
  }
  int64_t expr() {
    int64_t v = term();
    while (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) {
      size_t at = i_;
      char op = s_[i_++];
      int64_t r = term(), out = 0;
      bool ov = op == '+' ? __builtin_add_overflow(v, r, &out) : __builtin_sub_overflow(v, r, &out);
      check_overflow(ov, at);
      v = out;
    }
    return v;
  }
  int64_t term() {
    int64_t v = unary();
    while (i_ < s_.size() && s_[i_] == '*') {
      size_t at = i_++;
      int64_t r = unary(), out = 0;
      check_overflow(__builtin_mul_overflow(v, r, &out), at);
      v = out;
    }
    return v;
  }
  int64_t unary() {
    if (++depth_ > kMaxDepth) err("expression nested too deeply");
    int64_t v = unary_inner();
    --depth_;
    return v;
  }
  int64_t unary_inner() {
    if (i_ < s_.size() && s_[i_] == '-') {
      size_t at = i_++;
      int64_t v = unary();
      check_overflow(v == INT64_MIN, at);
      return -v;
    }
    return primary();
  }
  int64_t primary() {
    if (i_ >= s_.size()) err("expected a number or a symbol");
    char c = s_[i_];
    if (c == '(') {
      ++i_;
      int64_t v = expr();
      if (i_ >= s_.size() || s_[i_] != ')') err("expected ')'");
      ++i_;
      return v;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) return number();
    if (is_ident_start(c)) {
      size_t start = i_;
      while (i_ < s_.size() && is_ident_char(s_[i_])) ++i_;
      std::string name = s_.substr(start, i_ - start);
      if (auto it = equs_.find(name); it != equs_.end()) return it->second;
      uint64_t v = 0;
      if (amap::lookup_symbol(name, v)) return static_cast<int64_t>(v);
      i_ = start;
      err(
          fmt::format("unknown symbol '{}' (define it with .equ before use; built-in: DRAM, GLB, "
                      "CHUNK<i>_IBUF, CHUNK<i>_WBUF, CHUNK<i>_OBUF)",
                      name));
    }
    err(fmt::format("expected a number or a symbol, got '{}'", c));
  }
  int64_t number() { return static_cast<int64_t>(literal(INT64_MAX, "2^63 - 1")); }

 public:
  // A decimal or 0x-hex literal up to `max` (.inst words use the whole 64 bits).
  uint64_t literal(uint64_t max, const char* max_text) {
    size_t start = i_;
    uint64_t base = 10, v = 0;
    if (s_.compare(i_, 2, "0x") == 0 || s_.compare(i_, 2, "0X") == 0) base = 16, i_ += 2;
    size_t digits = i_;
    for (; i_ < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[i_])); ++i_) {
      char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s_[i_])));
      uint64_t d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : c - 'a' + 10;
      if (d >= base) break;
      if (v > (max - d) / base) {
        i_ = start;
        err(fmt::format("number too large (the maximum is {})", max_text));
      }
      v = v * base + d;
    }
    if (i_ == digits) err(base == 16 ? "expected hex digits after 0x" : "expected a number");
    if (i_ < s_.size() && is_ident_char(s_[i_]))
      err(fmt::format("bad digit '{}' in number", s_[i_]));
    return v;
  }

 private:
  static constexpr int kMaxDepth = 100;
  const std::string& s_;
  size_t i_;
  int depth_ = 0;
  const std::map<std::string, int64_t>& equs_;
  std::function<void(size_t, const std::string&)> fail_;
};

}  // namespace savp::fw::asmx
