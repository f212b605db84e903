// ShiftAddNAS's heterogeneous weight sharing (You et al., ShiftAddNAS, ICML 2022, sec. 3.3):
// multiplication and shift layers of a block position share one weight tensor, whose trained
// values are Gaussian-like, while AdderNet weights are Laplacian-like (AdderNet, Chen et al.
// 2020, fig. 3); sharing the raw tensor with adder layers hurts both. So the adder (and shift)
// layers read the shared tensor through a learned map: an odd, monotone piecewise-linear
// function of the standardised weight,
//     m(w) = sigma * sign(z) * g(|z|),  z = w / sigma,  sigma = std(w) (no gradient),
//     g(a) = sum_k softplus(s_k) * clamp(a - t_k, 0, dt)  (the last segment unbounded),
// with knots t_k = k * dt, learned slopes s_k (softplus keeps them positive: monotone, so the
// order of weights is kept), initialised to the identity. A KL regulariser pulls the mapped
// weights' distribution toward the target (a Laplacian of the same variance): KL(q || p) of
// soft (Gaussian-kernel) histograms of the standardised mapped weights q and of the target p
// on the same bins, differentiable in the weights and the slopes.
#pragma once

#include <torch/torch.h>

namespace savp::nas::supernet {

inline constexpr int64_t kMapSegments = 8;
inline constexpr double kMapKnotStep = 0.5;  // in standard deviations: knots 0, 0.5, .., 3.5
inline constexpr int64_t kKlBins = 33;       // histogram bin centres -4 .. 4 step 0.25
inline constexpr double kKlRange = 4.0;

class PiecewiseLinearMapImpl : public torch::nn::Module {
 public:
  PiecewiseLinearMapImpl();
  torch::Tensor forward(const torch::Tensor& w);
  torch::Tensor slopes() const;  // softplus(s_k), the segments' slopes

 private:
  torch::Tensor raw_;
};
TORCH_MODULE(PiecewiseLinearMap);

// KL(q || Laplace) of the soft histogram of w standardised to unit variance (zero mean
// assumed: the map is odd). Differentiable.
torch::Tensor laplace_kl(const torch::Tensor& w);

// Sample excess kurtosis (Gaussian 0, Laplacian 3): a second, independent check of the shape.
double excess_kurtosis(const torch::Tensor& w);

}  // namespace savp::nas::supernet
