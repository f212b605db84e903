// Gaussian-process regression (Rasmussen & Williams, "Gaussian Processes for Machine
// Learning", MIT Press 2006, algorithm 2.1), written out: a Matern-5/2 kernel
//   k(r) = s2 (1 + sqrt5 r / l + 5 r^2 / (3 l^2)) exp(-sqrt5 r / l)
// on feature vectors, Gaussian observation noise, Cholesky factorisation, and the
// hyperparameters (length scale l, signal variance s2, noise variance) chosen on a grid by the
// log marginal likelihood. Targets are standardised (mean 0, variance 1) before fitting.
//
// The three-phase co-design framework fits such predictors for latency and power; here they
// pre-screen candidates in the `surrogate` search mode (search.hpp) so that only the most
// promising go to the platform.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nas/search/candidate.hpp"

namespace savp::nas::search {

class GaussianProcess {
 public:
  // Fits to (x[i], y[i]); every x has the same length. Throws savp::Error on no points or
  // ragged features.
  void fit(const std::vector<std::vector<double>>& x, const std::vector<double>& y);
  double predict(const std::vector<double>& x) const;   // posterior mean
  double variance(const std::vector<double>& x) const;  // posterior variance (of y)
  bool fitted() const { return !x_.empty(); }

  double length_scale() const { return l_; }
  double signal_variance() const { return s2_; }
  double noise_variance() const { return noise_; }
  double log_marginal_likelihood() const { return lml_; }

 private:
  double kernel(const std::vector<double>& a, const std::vector<double>& b) const;
  std::vector<std::vector<double>> x_;
  std::vector<double> alpha_;           // K^-1 y (standardised)
  std::vector<std::vector<double>> L_;  // Cholesky factor of K + noise I
  double mean_ = 0, scale_ = 1;
  double l_ = 1, s2_ = 1, noise_ = 1e-6, lml_ = 0;
};

// Features of a candidate for the surrogate: per block its multiply-accumulates (expand +
// depthwise + project, scaled by the block's largest choice) in the slot of its operator kind
// (mult, shift, adder; all zero for skip), the kernel (k / 7), the expansion (e / 6), skip, the
// weight bits (bits / 8) and the sparsity; per hardware parameter its value scaled to [0, 1] over
// its list (its index when the values are not numbers).
std::vector<double> candidate_features(const Layout& layout, const Candidate& c);

// Held-out accuracy of predictions: mean absolute percentage error and coefficient of
// determination (1 - SS_res / SS_tot).
struct FitError {
  size_t n = 0;
  double mape = 0;  // fraction (0.05 = 5 %)
  double r2 = 0;
};
FitError fit_error(const std::vector<double>& predicted, const std::vector<double>& measured);

}  // namespace savp::nas::search
