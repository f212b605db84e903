// The NAS operators (issue 4, "Operators") as torch::autograd::Functions: the public header the
// QAT network (nas/quant/), the trainer and the supernet build on.
//
//  - AdderNet (Chen et al., CVPR 2020) adder conv2d / linear: Y = -sum |X - W| over the window.
//    Backward: the full-precision weight gradient dY/dW = X - W (AdderNet eq. 5, not the sign),
//    the HardTanh-clipped input gradient dY/dX = HT(W - X) (eq. 6), and the adaptive learning
//    rate of eq. 7 as a helper the trainer applies to adder weight gradients.
//  - DeepShift (Elhoushi et al. 2021) shift weights, used by an ordinary conv / linear:
//    the PS form (trainable sign and shift: W = round(sign) * 2^round(shift), straight-through
//    gradients for both) and the Q form (full-precision weights rounded to sign * 2^e with the
//    exponent clamped to a window, straight-through gradient).
//
// Implementations. On CPU float32 / float64 tensors the adder layers run the fused kernel of
// nas/ops/adder_kernel.hpp (loops with at::parallel_for and vectorised inner loops over output
// pixels; no Cout x Cin*k*k x N*H*W intermediate, and no unfolded Cin*k*k x N*H*W one either).
// Elsewhere (CUDA, other dtypes) they run the generic reference below, whose every operation is
// a tensor operation on the inputs' device: forward torch::cdist (p = 1), whose kernels keep only
// the output; the input gradient blockwise over output channels and positions, each temporary at
// most `kAdderChunkElements` (2^22 floats, 16 MiB) elements, plus the unfolded input. The tests
// check the fused kernel against the reference.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace savp::nas::ops {

inline constexpr int64_t kAdderChunkElements = int64_t{1} << 22;

// Adder conv2d. x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw]; zero padding (a padded x = 0
// adds -|w|, as common/arith.hpp's reference does). Returns [N, Cout, Ho, Wo]. Throws
// savp::Error for shapes that do not fit (groups, stride < 1, padding < 0, kernel too large).
torch::Tensor adder_conv2d(const torch::Tensor& x, const torch::Tensor& w, int64_t stride = 1,
                           int64_t padding = 0, int64_t groups = 1);
// Adder linear. x [N, In], w [Out, In]. Returns [N, Out].
torch::Tensor adder_linear(const torch::Tensor& x, const torch::Tensor& w);

// The generic implementations (any device): the reference of the fused kernel's tests.
// `chunk_elements` bounds the backward's temporaries (tests pass small values).
torch::Tensor adder_conv2d_reference(const torch::Tensor& x, const torch::Tensor& w,
                                     int64_t stride = 1, int64_t padding = 0, int64_t groups = 1,
                                     int64_t chunk_elements = kAdderChunkElements);
torch::Tensor adder_linear_reference(const torch::Tensor& x, const torch::Tensor& w,
                                     int64_t chunk_elements = kAdderChunkElements);

// AdderNet eq. 7: scales an adder layer's weight gradient in place by
// eta * sqrt(k) / ||grad||_2, k = the number of elements (does nothing to a zero gradient).
void adder_adaptive_lr(torch::Tensor& grad, double eta);

// DeepShift-PS weight: round(sign) (in {-1, 0, 1}, sign clamped to [-1, 1] first) times
// 2^round(shift), shift clamped to [min_exp, max_exp]; straight-through gradients to both.
torch::Tensor shift_ps_weight(const torch::Tensor& sign, const torch::Tensor& shift,
                              double min_exp, double max_exp);

// DeepShift-Q weight: w rounded to sign(w) * 2^e, e = round(log2 |w|) clamped above to
// max_exp; |w| whose rounded exponent is below min_exp become 0 (the arithmetic's zero shift
// weight). Straight-through gradient (identity).
torch::Tensor shift_q_weight(const torch::Tensor& w, double min_exp, double max_exp);

// Rounds to the nearest integer, halves up (floor(x + 0.5), the rule of arith::round_shift;
// torch::round rounds halves to even), with a straight-through (identity) gradient.
torch::Tensor round_ste(const torch::Tensor& x);

}  // namespace savp::nas::ops
