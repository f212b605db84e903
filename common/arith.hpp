// The one definition of every operator's integer arithmetic (DESIGN.md "Arithmetic").
// Used by the chunk models, the mapper's reference executor and the NAS quantized inference.
//
// Formats
//  - Activations: signed two's-complement integers of `act_bits` (2..8), stored one per byte
//    (int8). Zero point 0 (symmetric quantization); a fused ReLU clamps the low end to 0.
//  - mult / adder weights: signed integers of `weight_bits` (2..8), one per byte (int8).
//  - shift weights (DeepShift-Q style, sign + exponent): one byte per weight. 0 encodes a zero
//    weight; +(e+1) encodes +2^e and -(e+1) encodes -2^e, e in [0, 2^(bits-1) - 2].
//    The layer's scale 2^p_min is folded into the requantization multiplier. The shifter
//    is 32 bits wide: an exponent e shifts by e mod 32.
//  - Accumulators: int32, initialised with the int32 bias; additions wrap modulo 2^32 as a
//    hardware adder does (computed in uint32 so C++ has no overflow UB).
//  - Requantization: y = sat(round_shift(int64(acc) * M, S)), M in [0, 2^31), S in [0, 62],
//    round_shift(v, S) = (v + 2^(S-1)) >> S (arithmetic shift: round half up), sat to
//    [-(2^(out_bits-1)), 2^(out_bits-1) - 1], or [0, 2^(out_bits-1) - 1] with ReLU.
//  - Max pool: max over the window's in-bounds elements. Average pool: sum of the window's
//    in-bounds elements (int32), requantized with (M, S) (the mapper sets M/2^S = 1/window).
//  - Residual add: y = sat(round_shift(a * Ma + b * Mb, S)).
#pragma once

#include <algorithm>
#include <cstdint>

#include "common/hw_config.hpp"

namespace savp::arith {

constexpr int kMinBits = 2;
constexpr int kMaxBits = 8;

inline int32_t wrap_add(int32_t a, int32_t b) {
  return static_cast<int32_t>(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}

// Largest shift exponent a `bits`-wide shift weight can encode.
inline int max_shift_exponent(int bits) { return (1 << (bits - 1)) - 2; }

// Decodes a shift weight byte into (sign, exponent); sign 0 means a zero weight.
struct ShiftWeight {
  int sign;  // -1, 0, +1
  int exponent;
};
inline ShiftWeight decode_shift_weight(int8_t w) {
  if (w == 0) return {0, 0};
  if (w > 0) return {1, w - 1};
  return {-1, -static_cast<int>(w) - 1};
}
inline int8_t encode_shift_weight(int sign, int exponent) {
  if (sign == 0) return 0;
  return static_cast<int8_t>(sign > 0 ? exponent + 1 : -(exponent + 1));
}

// One PE step: the contribution of activation x and weight w to the accumulator.
inline int32_t pe_term(OpKind kind, int8_t x, int8_t w) {
  switch (kind) {
    case OpKind::Mult:
      return static_cast<int32_t>(x) * static_cast<int32_t>(w);
    case OpKind::Shift: {
      // A 32-bit barrel shifter: the exponent's low 5 bits select the shift (valid weights
      // never exceed 30, arith::max_shift_exponent(6)); all in uint32 so nothing is UB.
      ShiftWeight s = decode_shift_weight(w);
      uint32_t mag = static_cast<uint32_t>(x < 0 ? -static_cast<int32_t>(x) : x)
                     << (s.exponent & 31);
      uint32_t v = x < 0 ? 0u - mag : mag;
      return static_cast<int32_t>(s.sign < 0 ? 0u - v : (s.sign > 0 ? v : 0u));
    }
    case OpKind::Adder: {
      int32_t d = static_cast<int32_t>(x) - static_cast<int32_t>(w);
      return d < 0 ? d : -d;  // -|x - w|
    }
  }
  return 0;
}

inline int32_t pe_accumulate(OpKind kind, int32_t acc, int8_t x, int8_t w) {
  return wrap_add(acc, pe_term(kind, x, w));
}

inline int32_t qmin(int bits, bool relu) { return relu ? 0 : -(1 << (bits - 1)); }
inline int32_t qmax(int bits) { return (1 << (bits - 1)) - 1; }

inline int64_t round_shift(int64_t v, int shift) {
  if (shift <= 0) return v;
  return (v + (int64_t{1} << (shift - 1))) >> shift;
}

inline int8_t saturate(int64_t v, int bits, bool relu) {
  return static_cast<int8_t>(std::clamp<int64_t>(v, qmin(bits, relu), qmax(bits)));
}

// Requantize an int32 accumulator to an activation of `out_bits`.
inline int8_t requantize(int32_t acc, int32_t multiplier, int shift, int out_bits, bool relu) {
  return saturate(round_shift(static_cast<int64_t>(acc) * multiplier, shift), out_bits, relu);
}

inline int8_t residual_add(int8_t a, int8_t b, int32_t ma, int32_t mb, int shift, int out_bits,
                           bool relu) {
  int64_t v = static_cast<int64_t>(a) * ma + static_cast<int64_t>(b) * mb;
  return saturate(round_shift(v, shift), out_bits, relu);
}

}  // namespace savp::arith
