// A network with its integer parameters (issue 3, "Correctness"): weights, biases and
// requantization parameters for every layer, in the formats of common/arith.hpp. `quantize`
// makes deterministic random weights and calibrates the requantization on an input run through
// the reference executor (mapper/reference_executor.hpp), so a network yaml alone gives a
// complete, non-degenerate integer network to map, simulate and compare bit-exact.
//
// Parameter conventions (what LayerParams holds, per layer type):
//  - conv: weights [k][kh][kw][c/groups] (output channel k belongs to group k / (k/groups),
//    which reads input channels g*c/groups .. (g+1)*c/groups - 1); a depthwise conv is the same
//    layout with c/groups == 1, i.e. [c][kh][kw] as isa.hpp's DwConv. bias [k] int32.
//  - linear: weights [out][in], `in` the flattened [h][w][c] index of its input; bias [out].
//  - conv / linear: multiplier, shift requantize the int32 accumulator (arith::requantize).
//  - avgpool / global_avgpool: multiplier, shift requantize the window's int32 sum.
//  - add: multiplier (operand a = inputs[0]), multiplier2 (operand b = inputs[1]), shift
//    (arith::residual_add).
//  - maxpool, flatten: nothing (all fields empty / zero).
//
// Generation and calibration rules (quantize):
//  - Every conv / linear layer draws from its own generator seeded from (seed, layer name), so
//    adding, removing or reordering other layers leaves its weights and random biases as they
//    are.
//  - mult / adder weights: uniform over the non-zero signed ints of weight_bits
//    ([-2^(b-1), 2^(b-1) - 1] without 0); shift weights: uniform sign, exponent uniform in
//    [0, min(arith::max_shift_exponent(bits), kMaxDrawnShiftExponent)] (the cap keeps 6-bit
//    shift layers' accumulators far from int32 wrap-around; every byte is a valid encoding).
//  - Sparsity: exactly round(sparsity * count) weights are zeroed, the smallest magnitudes
//    first (|w|, or the exponent for shift weights); ties are broken by a random permutation
//    drawn from the layer's generator, so the choice is deterministic.
//  - Bias: uniform small ints in [-kBiasRange, kBiasRange] (a conv bias). A layer with a folded
//    batch norm, and every adder layer (whose raw sum -|x - w| is never positive, so AdderNet
//    always follows it with a batch norm), also gets the batch norm's shift: per output channel,
//    minus the rounded mean of its accumulator over the calibration input's output positions,
//    so the channel is centred on zero. A single-pixel output (linear) has one sample per
//    channel, so there every channel is shifted by the mean over all its channels instead.
//  - conv / linear requantization: M / 2^S = qmax(act_bits) / peak, peak the largest
//    accumulator on the calibration input (ReLU layers: the largest positive one; without ReLU:
//    the largest |accumulator|), so the calibration input's outputs span the range unsaturated.
//  - avgpool / global_avgpool: M / 2^S = (1 / window) * qmax(act_bits) / qmax(input act_bits),
//    window = kh * kw (global: h * w); padded positions add nothing, as in count_include_pad.
//  - add: each operand counts in units of its own full range: Ma / Mb = qmax(b) / qmax(a) of the
//    operands' act_bits (equal bits: Ma == Mb), and the common factor maps the largest
//    |a/qmax(a) + b/qmax(b)| on the calibration input (ReLU: the largest positive one) to
//    qmax(act_bits).
//  - (M, S) for a real ratio r: S is the largest shift <= 62 with round(r * 2^S) < 2^31, M that
//    rounded value (at least 1); a ratio with no data (peak 0) uses r = 1.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mapper/network.hpp"

namespace savp::mapper {

struct LayerParams {
  std::vector<int8_t> weights;  // conv: [k][kh][kw][c/groups]; linear: [out][in] (see above)
  std::vector<int32_t> bias;    // [k] or [out]; empty for layers without weights
  int32_t multiplier = 0;       // requantization; add: operand a's multiplier
  int32_t multiplier2 = 0;      // add: operand b's multiplier
  int shift = 0;
};

struct QuantizedNetwork {
  Network net;
  std::vector<LayerParams> params;  // indexed like net.layers
};

inline constexpr int kMaxDrawnShiftExponent = 14;  // = arith::max_shift_exponent(5)
inline constexpr int32_t kBiasRange = 8;

// Deterministic weights and calibrated requantization (rules above). `calibration_input` is the
// network input, h*w*c int8 HWC; throws savp::Error if its size does not match.
QuantizedNetwork quantize(const Network& net, uint64_t seed,
                          const std::vector<int8_t>& calibration_input);

// A deterministic random input: h*w*c int8 uniform over the input's act_bits range.
std::vector<int8_t> random_input(const Network& net, uint64_t seed);

// Building blocks quantize uses, exposed for tests and for weights that come from elsewhere.
// The weights of one conv / linear layer (count layer.weight_count()), drawn from (seed, name)
// and pruned to the layer's sparsity.
std::vector<int8_t> random_weights(const Layer& layer, uint64_t seed);
// (M, S) with M / 2^S ~= ratio, M in [1, 2^31), S in [0, 62] (rule above).
struct Requant {
  int32_t multiplier = 0;
  int shift = 0;
};
Requant requant_for(double ratio);

}  // namespace savp::mapper
