// The LibTorch integer inference (issue 4): an exported mapper::QuantizedNetwork run on batches
// with torch tensor operations, every layer computed exactly as common/arith.hpp (and so as
// mapper::run_reference and the platform):
//  - conv / linear: the accumulator sum in float64, which is exact (every term and partial sum
//    is an integer below 2^53: |x| <= 128, |w| <= 2^30 for shift weights, and a window of up to
//    2^15 terms), then int64, then wrapped to int32 (two's complement, as arith::wrap_add: a sum
//    modulo 2^32 does not depend on the order of its terms); shift weights count sign * 2^e;
//    adder layers -|x - w| with padded x = 0 (nas/ops adder_conv2d on float64);
//  - requantization sat(round_shift(acc * M, S)) in int64 (round half up, saturation, the ReLU
//    clamp); avgpool / global_avgpool: window sums requantized; maxpool: in-bounds max;
//    add: sat(round_shift(a * Ma + b * Mb, S)); flatten: HWC order.
// Tensors are NCHW int64; vectors [N, n, 1, 1].
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "mapper/quantized_network.hpp"

namespace savp::nas::quant {

// Every layer's output activations, indexed like q.net.layers. `input`: [N, C, H, W] integers
// (any integer or float dtype holding integers). Throws savp::Error if the shape does not fit.
std::vector<torch::Tensor> int_forward(const mapper::QuantizedNetwork& q, const torch::Tensor& input);

// The network input for `n` images of uint8 pixels (HWC bytes each) under nas/data's input
// rule: int64 [N, C, H, W].
torch::Tensor input_ints(const mapper::Network& net, const uint8_t* pixels, int64_t n);

// The predicted class of each row of `logits` [N, classes, ...]: the index of the FIRST maximum
// (as the platform's report and `savp run --dataset` take it).
std::vector<int> argmax_first(const torch::Tensor& logits);

// One sample of a layer output as the IR's HWC int8 vector (to compare with run_reference).
std::vector<int8_t> sample_hwc(const torch::Tensor& out, int64_t n);

}  // namespace savp::nas::quant
