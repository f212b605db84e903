#include "nas/supernet/weight_map.hpp"

#include <cmath>

namespace savp::nas::supernet {

namespace {

// softplus^-1(1): the identity map's raw slope.
const double kIdentityRaw = std::log(std::exp(1.0) - 1.0);
// The soft histogram's kernel width: one bin.
constexpr double kBinWidth = 2 * kKlRange / (kKlBins - 1);

torch::Tensor bin_centres(const torch::TensorOptions& o) {
  return torch::linspace(-kKlRange, kKlRange, kKlBins, o);
}

// The target histogram: the unit-variance Laplacian density (b = 1/sqrt 2) smoothed by the
// same Gaussian kernel as the weights' histogram, by quadrature on a fine grid.
torch::Tensor laplace_target(const torch::TensorOptions& o) {
  static const torch::Tensor t = [] {
    const double b = 1.0 / std::sqrt(2.0);
    const torch::Tensor x = torch::linspace(-4 * kKlRange, 4 * kKlRange, 8001, torch::kFloat64);
    const torch::Tensor dens = torch::exp(-x.abs() / b) / (2 * b);
    const torch::Tensor c = bin_centres(torch::kFloat64);
    const torch::Tensor k =
        torch::exp(-(x.view({-1, 1}) - c.view({1, -1})).pow(2) / (2 * kBinWidth * kBinWidth));
    torch::Tensor p = (dens.view({-1, 1}) * k).sum(0);
    return p / p.sum();
  }();
  return t.to(o);
}

}  // namespace

PiecewiseLinearMapImpl::PiecewiseLinearMapImpl() {
  raw_ = register_parameter("slopes", torch::full({kMapSegments}, kIdentityRaw));
}

torch::Tensor PiecewiseLinearMapImpl::slopes() const {
  return torch::nn::functional::softplus(raw_);
}

torch::Tensor PiecewiseLinearMapImpl::forward(const torch::Tensor& w) {
  const torch::Tensor sigma = w.detach().std().clamp_min(1e-12);
  const torch::Tensor z = w / sigma;
  const torch::Tensor a = z.abs();
  const torch::Tensor k = slopes();
  torch::Tensor g = torch::zeros_like(a);
  for (int64_t i = 0; i < kMapSegments; ++i) {
    const double t = static_cast<double>(i) * kMapKnotStep;
    torch::Tensor seg = (a - t).clamp_min(0.0);
    if (i + 1 < kMapSegments) seg = seg.clamp_max(kMapKnotStep);
    g = g + k[i] * seg;
  }
  return sigma * torch::sign(z) * g;
}

torch::Tensor laplace_kl(const torch::Tensor& w) {
  const torch::Tensor v = w.flatten();
  const torch::Tensor u = v / v.pow(2).mean().sqrt().clamp_min(1e-12);
  const torch::Tensor c = bin_centres(u.options());
  torch::Tensor q =
      torch::exp(-(u.view({-1, 1}) - c.view({1, -1})).pow(2) / (2 * kBinWidth * kBinWidth)).sum(0);
  q = q / q.sum() + 1e-8;
  const torch::Tensor p = laplace_target(u.options()) + 1e-8;
  return (q * (q.log() - p.log())).sum();
}

double excess_kurtosis(const torch::Tensor& w) {
  const torch::Tensor v = w.detach().flatten().to(torch::kFloat64);
  const torch::Tensor d = v - v.mean();
  const double m2 = d.pow(2).mean().item<double>();
  const double m4 = d.pow(4).mean().item<double>();
  return m2 > 0 ? m4 / (m2 * m2) - 3.0 : 0.0;
}

}  // namespace savp::nas::supernet
