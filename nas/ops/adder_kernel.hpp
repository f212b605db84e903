// The fused CPU adder convolution (issue 4, "Operators": memory-bounded CPU implementation):
// forward Y = -sum |X - W| over each window, AdderNet's backward (full-precision weight
// gradient sum g (X - W), HardTanh input gradient sum g HT(W - X)), written as loops over
// output channels / window positions / output pixels with at::parallel_for and vectorised
// inner loops (GCC vector extensions: one 64-byte vector of 16 floats or 8 doubles).
//
// How the loops stay contiguous. The input of every image is laid out once per call as
// "stride phases" of the zero-padded input: channel c, phase (ry, rx) in [0, s)^2 holds the
// padded pixels (s*a + ry, s*b + rx) as a plane of Hq x Wq, Hq = ceil(Hp / s), Wq = ceil(Wp / s).
// Then the window element (ky, kx) of output pixel (oy, ox) is at
//   phase (ky % s, kx % s), row oy + ky / s, column ox + kx / s,
// i.e. at off(ky, kx) + q with q = oy * Wq + ox: for every (channel, ky, kx) the pixels of all
// outputs are one contiguous run. The kernels compute over q in [0, Ho * Wq) (columns ox >= Wo
// are junk, dropped on output, and carry a zero output gradient), rounded up to whole vectors;
// each channel's region has slack so the junk reads and writes stay inside it.
//
// Memory: the laid-out input (about the input's size, saved for the backward), the output, the
// gradients and an output gradient in the same q layout; nothing of size Cout x Cin*k*k x N*H*W
// or Cin*k*k x N*H*W. A depthwise conv (groups == channels) is the same loops with one input
// channel per group (no per-group slicing or cdist). adder_linear is the 1 x 1 case on an
// "image" of In channels x 1 x N pixels.
#pragma once

#include <torch/torch.h>

namespace savp::nas::ops {

// True where the fused kernel applies: CPU tensors, both float32 or both float64.
bool adder_fused_supported(const torch::Tensor& x, const torch::Tensor& w);

// Adder conv2d through the fused kernel (arguments checked by the caller, nas/ops/ops.cpp):
// x [N, Cin, H, W], w [Cout, Cin/groups, kh, kw], zero padding. Differentiable in x and w.
torch::Tensor adder_conv2d_fused(const torch::Tensor& x, const torch::Tensor& w, int64_t stride,
                                 int64_t padding, int64_t groups);

}  // namespace savp::nas::ops
