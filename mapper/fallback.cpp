#include "mapper/fallback.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "common/arith.hpp"
#include "common/errors.hpp"

namespace savp::mapper {

namespace {

bool has_kind(const HwConfig& hw, OpKind k) {
  return std::any_of(hw.chunks.begin(), hw.chunks.end(),
                     [k](const ChunkConfig& c) { return c.kind == k; });
}

const ChunkConfig* first_of(const HwConfig& hw, OpKind k) {
  for (const ChunkConfig& c : hw.chunks)
    if (c.kind == k) return &c;
  return nullptr;
}

// As the code generator names layers: "<file:line:col: >layer 'x' (conv, shift)".
std::string where(const Layer& l) {
  const std::string d = fmt::format("layer '{}' ({}, {})", l.name, to_string(l.type),
                                    to_string(l.op));
  return l.location.line > 0 ? l.location.str() + ": " + d : d;
}

std::string widths(const std::vector<uint32_t>& bits) {
  std::string s;
  for (uint32_t b : bits) s += (s.empty() ? "" : ", ") + std::to_string(b);
  return s;
}

// Shift weights -> multiplier weights s * 2^e, in the narrowest width of `cc` that holds them.
void shift_to_mult(Layer& l, LayerParams& p, const ChunkConfig& cc) {
  int max_e = -1;
  bool max_e_positive = false;  // +2^e needs one bit more than -2^e
  for (int8_t w : p.weights) {
    const arith::ShiftWeight s = arith::decode_shift_weight(w);
    if (s.sign == 0) continue;
    if (s.exponent > max_e || (s.exponent == max_e && s.sign > 0))
      max_e = s.exponent, max_e_positive = s.sign > 0;
  }
  std::vector<uint32_t> bits = cc.weight_bits;
  std::sort(bits.begin(), bits.end());
  uint32_t chosen = 0;
  for (uint32_t b : bits) {
    const int64_t hi = (int64_t{1} << (b - 1)) - 1, lo = -(int64_t{1} << (b - 1));
    const int64_t need = max_e < 0 ? 0 : int64_t{1} << max_e;
    if (max_e < 0 || (max_e_positive ? need <= hi : -need >= lo)) {
      chosen = b;
      break;
    }
  }
  if (chosen == 0)
    throw Error(fmt::format(
        "{}: the shift layer cannot fall back to multiplier chunk '{}': its largest weight "
        "{}2^{} needs a wider multiplier weight than the chunk's widths ({} bits)",
        where(l), cc.name, max_e_positive ? "+" : "-", max_e, widths(cc.weight_bits)));
  for (int8_t& w : p.weights) {
    const arith::ShiftWeight s = arith::decode_shift_weight(w);
    w = static_cast<int8_t>(s.sign * (1 << s.exponent));
  }
  l.op = OpKind::Mult;
  l.weight_bits = chosen;
}

}  // namespace

bool needs_fallback(const QuantizedNetwork& q, const HwConfig& hw) {
  return std::any_of(q.net.layers.begin(), q.net.layers.end(), [&](const Layer& l) {
    return l.has_weights() && !has_kind(hw, l.op);
  });
}

QuantizedNetwork apply_fallbacks(const QuantizedNetwork& q, const HwConfig& hw) {
  QuantizedNetwork out = q;
  for (size_t i = 0; i < out.net.layers.size(); ++i) {
    Layer& l = out.net.layers[i];
    if (!l.has_weights() || has_kind(hw, l.op)) continue;
    auto f = std::find_if(hw.fallbacks.begin(), hw.fallbacks.end(),
                          [&](const Fallback& fb) { return fb.from == l.op; });
    if (f == hw.fallbacks.end())
      throw Error(fmt::format(
          "{}: the platform '{}' has no {} chunk to run it (add one to the config, or allow "
          "a fallback: 'fallback: {{shift: mult}}' is the exact one)",
          where(l), hw.name, to_string(l.op)));
    const ChunkConfig* cc = first_of(hw, f->to);
    if (!cc)
      throw Error(fmt::format("{}: the platform '{}' has no {} chunk, and its fallback kind {} "
                              "has no chunk either",
                              where(l), hw.name, to_string(l.op), to_string(f->to)));
    if (l.op == OpKind::Shift && f->to == OpKind::Mult) {
      shift_to_mult(l, out.params[i], *cc);
    } else {
      throw Error(fmt::format("{}: no exact fallback runs {} layers on a {} chunk", where(l),
                              to_string(l.op), to_string(f->to)));
    }
  }
  return out;
}

}  // namespace savp::mapper
