#include "nas/search/gaussian_process.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace savp::nas::search {

namespace {

// In-place Cholesky of a symmetric positive-definite matrix (lower triangle); false when it is
// not positive definite.
bool cholesky(std::vector<std::vector<double>>& a) {
  const size_t n = a.size();
  for (size_t j = 0; j < n; ++j) {
    double d = a[j][j];
    for (size_t k = 0; k < j; ++k) d -= a[j][k] * a[j][k];
    if (!(d > 0)) return false;
    a[j][j] = std::sqrt(d);
    for (size_t i = j + 1; i < n; ++i) {
      double s = a[i][j];
      for (size_t k = 0; k < j; ++k) s -= a[i][k] * a[j][k];
      a[i][j] = s / a[j][j];
    }
    for (size_t k = j + 1; k < n; ++k) a[j][k] = 0;
  }
  return true;
}

// Solves L L^T x = b.
std::vector<double> chol_solve(const std::vector<std::vector<double>>& L, std::vector<double> b) {
  const size_t n = L.size();
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < i; ++k) b[i] -= L[i][k] * b[k];
    b[i] /= L[i][i];
  }
  for (size_t i = n; i-- > 0;) {
    for (size_t k = i + 1; k < n; ++k) b[i] -= L[k][i] * b[k];
    b[i] /= L[i][i];
  }
  return b;
}

double matern52(double r, double l, double s2) {
  const double a = std::sqrt(5.0) * r / l;
  return s2 * (1 + a + a * a / 3) * std::exp(-a);
}

double distance(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

}  // namespace

double GaussianProcess::kernel(const std::vector<double>& a, const std::vector<double>& b) const {
  return matern52(distance(a, b), l_, s2_);
}

void GaussianProcess::fit(const std::vector<std::vector<double>>& x, const std::vector<double>& y) {
  if (x.empty() || x.size() != y.size())
    throw Error(fmt::format("GP fit: {} inputs and {} targets", x.size(), y.size()));
  for (const auto& v : x)
    if (v.size() != x[0].size()) throw Error("GP fit: feature vectors of different lengths");
  const size_t n = x.size();
  double mean = 0;
  for (double v : y) mean += v;
  mean /= n;
  double var = 0;
  for (double v : y) var += (v - mean) * (v - mean);
  var /= n;
  const double scale = var > 0 ? std::sqrt(var) : 1.0;
  std::vector<double> ys(n);
  for (size_t i = 0; i < n; ++i) ys[i] = (y[i] - mean) / scale;
  // Pairwise distances once; the grid re-uses them. The length-scale grid spans the typical
  // distances of the data (median distance x 1/8 .. 32).
  std::vector<std::vector<double>> dist(n, std::vector<double>(n, 0));
  std::vector<double> ds;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < i; ++j) {
      dist[i][j] = dist[j][i] = distance(x[i], x[j]);
      ds.push_back(dist[i][j]);
    }
  double med = 1.0;
  if (!ds.empty()) {
    std::nth_element(ds.begin(), ds.begin() + ds.size() / 2, ds.end());
    if (ds[ds.size() / 2] > 0) med = ds[ds.size() / 2];
  }
  double best = -std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> bestL;
  std::vector<double> bestAlpha;
  double bl = med, bs = 1, bn = 1e-2;
  for (double lf : {0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0})
    for (double s2 : {0.25, 1.0, 4.0})
      for (double noise : {1e-6, 1e-4, 1e-2, 1e-1}) {
        const double l = med * lf;
        std::vector<std::vector<double>> K(n, std::vector<double>(n));
        for (size_t i = 0; i < n; ++i)
          for (size_t j = 0; j < n; ++j)
            K[i][j] = matern52(dist[i][j], l, s2) + (i == j ? noise : 0);
        if (!cholesky(K)) continue;
        const std::vector<double> alpha = chol_solve(K, ys);
        double lml = 0;
        for (size_t i = 0; i < n; ++i) lml += -0.5 * ys[i] * alpha[i] - std::log(K[i][i]);
        lml -= 0.5 * n * std::log(2 * M_PI);
        if (lml > best) {
          best = lml;
          bestL = std::move(K);
          bestAlpha = alpha;
          bl = l;
          bs = s2;
          bn = noise;
        }
      }
  if (bestL.empty())
    throw Error("GP fit: no hyperparameters on the grid gave a positive-definite kernel");
  x_ = x;
  L_ = std::move(bestL);
  alpha_ = std::move(bestAlpha);
  mean_ = mean;
  scale_ = scale;
  l_ = bl;
  s2_ = bs;
  noise_ = bn;
  lml_ = best;
}

double GaussianProcess::predict(const std::vector<double>& x) const {
  if (x_.empty()) throw Error("GP predict before fit");
  double s = 0;
  for (size_t i = 0; i < x_.size(); ++i) s += kernel(x, x_[i]) * alpha_[i];
  return mean_ + scale_ * s;
}

double GaussianProcess::variance(const std::vector<double>& x) const {
  if (x_.empty()) throw Error("GP variance before fit");
  std::vector<double> k(x_.size());
  for (size_t i = 0; i < x_.size(); ++i) k[i] = kernel(x, x_[i]);
  const std::vector<double> v = chol_solve(L_, k);
  double s = s2_;
  for (size_t i = 0; i < k.size(); ++i) s -= k[i] * v[i];
  return std::max(0.0, s) * scale_ * scale_;
}

namespace {

// Multiply- (shift-, adder-) accumulates of a block choice (expand, depthwise, project).
double block_macs(const BlockSlot& b, const BlockChoice& ch) {
  if (ch.skip) return 0;
  const double mid = double(b.in_channels) * ch.expansion;
  const double ho = (b.in_h + b.stride - 1) / b.stride, wo = (b.in_w + b.stride - 1) / b.stride;
  const double expand = ch.expansion == 1 ? 0 : double(b.in_h) * b.in_w * b.in_channels * mid;
  return expand + ho * wo * mid * ch.kernel * ch.kernel + ho * wo * mid * b.out_channels;
}

}  // namespace

std::vector<double> candidate_features(const Layout& layout, const Candidate& c) {
  const SearchSpace& s = layout.space();
  std::vector<double> f;
  for (const BlockSlot& b : layout.blocks()) {
    const auto& chs = layout.block_choices(b.index);
    const BlockChoice& ch = chs[c.genes[layout.op_gene(b.index)]];
    double most = 0;
    for (const BlockChoice& x : chs) most = std::max(most, block_macs(b, x));
    // The block's work, in the slot of its operator kind (scaled to the block's largest).
    for (OpKind k : {OpKind::Mult, OpKind::Shift, OpKind::Adder})
      f.push_back(!ch.skip && ch.op == k && most > 0 ? block_macs(b, ch) / most : 0.0);
    f.push_back(ch.skip ? 0.0 : ch.kernel / 7.0);
    f.push_back(ch.skip ? 0.0 : ch.expansion / 6.0);
    f.push_back(ch.skip ? 1.0 : 0.0);
    const int bg = layout.bits_gene(b.index), sg = layout.sparsity_gene(b.index);
    if (bg >= 0)
      f.push_back(ch.skip ? 0.0 : s.weight_bits[static_cast<size_t>(ch.op)][c.genes[bg]] / 8.0);
    if (sg >= 0) f.push_back(ch.skip ? 0.0 : s.sparsity[c.genes[sg]]);
  }
  const auto& hp = s.hardware.parameters;
  for (size_t p = 0; p < hp.size(); ++p) {
    const uint32_t i = c.genes[layout.hw_gene(p)];
    bool numeric = true;
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& v : hp[p].values) {
      numeric = numeric && v.numeric;
      lo = std::min(lo, v.number);
      hi = std::max(hi, v.number);
    }
    if (numeric && hi > lo)
      f.push_back((hp[p].values[i].number - lo) / (hi - lo));
    else
      f.push_back(hp[p].values.size() > 1 ? double(i) / (hp[p].values.size() - 1) : 0.0);
  }
  return f;
}

FitError fit_error(const std::vector<double>& predicted, const std::vector<double>& measured) {
  FitError e;
  e.n = measured.size();
  if (e.n == 0 || predicted.size() != measured.size()) return e;
  double mean = 0;
  for (double m : measured) mean += m;
  mean /= e.n;
  double ss_res = 0, ss_tot = 0, ape = 0;
  for (size_t i = 0; i < e.n; ++i) {
    ss_res += (measured[i] - predicted[i]) * (measured[i] - predicted[i]);
    ss_tot += (measured[i] - mean) * (measured[i] - mean);
    ape += measured[i] != 0 ? std::fabs((measured[i] - predicted[i]) / measured[i]) : 0.0;
  }
  e.mape = ape / e.n;
  e.r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
  return e;
}

}  // namespace savp::nas::search
