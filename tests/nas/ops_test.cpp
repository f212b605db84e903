// nas/ops: adder conv / linear against naive loops, their backward against AdderNet's formulas
// and finite differences, chunked == unchunked, the DeepShift weights, round_ste.
#include "nas/ops/ops.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace savp::nas::ops;

namespace {

torch::TensorOptions f64() { return torch::TensorOptions().dtype(torch::kFloat64); }

// Naive adder conv: y[n][o][oy][ox] = -sum |x_pad - w| (x_pad = 0 outside), grouped.
torch::Tensor naive_adder_conv(const torch::Tensor& x, const torch::Tensor& w, int64_t s,
                               int64_t p, int64_t groups) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), wd = x.size(3);
  const int64_t o = w.size(0), cg = w.size(1), kh = w.size(2), kw = w.size(3), og = o / groups;
  const int64_t ho = (h + 2 * p - kh) / s + 1, wo = (wd + 2 * p - kw) / s + 1;
  (void)c;
  torch::Tensor y = torch::zeros({n, o, ho, wo}, f64());
  auto xa = x.accessor<double, 4>();
  auto wa = w.accessor<double, 4>();
  auto ya = y.accessor<double, 4>();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t oy = 0; oy < ho; ++oy)
        for (int64_t ox = 0; ox < wo; ++ox) {
          double acc = 0;
          const int64_t g = oc / og;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t iy = oy * s - p + ky, ix = ox * s - p + kx;
                const double xv = (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                                      ? 0.0
                                      : xa[b][g * cg + ci][iy][ix];
                acc -= std::fabs(xv - wa[oc][ci][ky][kx]);
              }
          ya[b][oc][oy][ox] = acc;
        }
  return y;
}

}  // namespace

TEST(AdderOps, ConvForwardMatchesNaiveLoop) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({2, 4, 6, 5}, f64());
  const torch::Tensor w = torch::randn({6, 2, 3, 3}, f64());
  for (int64_t groups : {1, 2}) {
    const torch::Tensor wg = groups == 1 ? torch::randn({6, 4, 3, 3}, f64()) : w;
    const torch::Tensor y = adder_conv2d(x, wg, 2, 1, groups);
    const torch::Tensor ref = naive_adder_conv(x, wg, 2, 1, groups);
    ASSERT_EQ(y.sizes(), ref.sizes());
    EXPECT_TRUE(torch::allclose(y, ref, 1e-12, 1e-12)) << "groups " << groups;
  }
}

TEST(AdderOps, LinearForwardAndIntegersExact) {
  // Integers in float64 give the exact integer -sum |x - w| (what the integer inference uses).
  const torch::Tensor x = torch::tensor({{1.0, -128.0, 127.0}, {0.0, 5.0, -7.0}}, f64());
  const torch::Tensor w = torch::tensor({{127.0, 127.0, -128.0}, {0.0, 0.0, 0.0}}, f64());
  const torch::Tensor y = adder_linear(x, w);
  // row 0: -(126 + 255 + 255) = -636, -(1 + 128 + 127) = -256; row 1: -(127+122+121), -(0+5+7)
  EXPECT_EQ(y[0][0].item<double>(), -636.0);
  EXPECT_EQ(y[0][1].item<double>(), -256.0);
  EXPECT_EQ(y[1][0].item<double>(), -370.0);
  EXPECT_EQ(y[1][1].item<double>(), -12.0);
}

TEST(AdderOps, BackwardFollowsAdderNetFormulas) {
  torch::manual_seed(5);
  const torch::Tensor x = torch::randn({3, 4}, f64()).requires_grad_(true);
  const torch::Tensor w = torch::randn({2, 4}, f64()).requires_grad_(true);
  const torch::Tensor g = torch::randn({3, 2}, f64());
  adder_linear(x, w).backward(g);
  // dW[o][k] = sum_m g[m][o] (x[m][k] - w[o][k]); dX[m][k] = sum_o g[m][o] HT(w[o][k] - x[m][k]).
  auto xa = x.accessor<double, 2>();
  auto wa = w.accessor<double, 2>();
  auto ga = g.accessor<double, 2>();
  for (int64_t o = 0; o < 2; ++o)
    for (int64_t k = 0; k < 4; ++k) {
      double s = 0;
      for (int64_t m = 0; m < 3; ++m) s += ga[m][o] * (xa[m][k] - wa[o][k]);
      EXPECT_NEAR(w.grad()[o][k].item<double>(), s, 1e-12);
    }
  for (int64_t m = 0; m < 3; ++m)
    for (int64_t k = 0; k < 4; ++k) {
      double s = 0;
      for (int64_t o = 0; o < 2; ++o) s += ga[m][o] * std::clamp(wa[o][k] - xa[m][k], -1.0, 1.0);
      EXPECT_NEAR(x.grad()[m][k].item<double>(), s, 1e-12);
    }
}

TEST(AdderOps, InputGradientMatchesFiniteDifferencesWhereHardTanhSaturates) {
  // With w - x >= 2 everywhere, HT(w - x) = 1 = d(-|x - w|)/dx: the true gradient.
  torch::manual_seed(7);
  torch::Tensor x = torch::rand({1, 2, 4, 4}, f64());
  const torch::Tensor w = 3.0 + torch::rand({3, 2, 3, 3}, f64());
  torch::Tensor xv = x.clone().requires_grad_(true);
  adder_conv2d(xv, w, 1, 0).sum().backward();
  const double eps = 1e-6;
  for (int64_t i = 0; i < x.numel(); ++i) {
    torch::Tensor xp = x.clone(), xm = x.clone();
    xp.view(-1)[i] += eps;
    xm.view(-1)[i] -= eps;
    const double fd =
        (adder_conv2d(xp, w, 1, 0).sum().item<double>() - adder_conv2d(xm, w, 1, 0).sum().item<double>()) /
        (2 * eps);
    EXPECT_NEAR(xv.grad().view(-1)[i].item<double>(), fd, 1e-6) << "element " << i;
  }
}

TEST(AdderOps, ChunkedEqualsUnchunked) {
  torch::manual_seed(11);
  const torch::Tensor x0 = torch::randn({2, 3, 7, 7}, f64());
  const torch::Tensor w0 = torch::randn({5, 3, 3, 3}, f64());
  const torch::Tensor g = torch::randn({2, 5, 4, 4}, f64());
  torch::Tensor xa = x0.clone().requires_grad_(true), wa = w0.clone().requires_grad_(true);
  torch::Tensor xb = x0.clone().requires_grad_(true), wb = w0.clone().requires_grad_(true);
  // The reference's blocking (the fused kernel has no blocks).
  const torch::Tensor ya = adder_conv2d_reference(xa, wa, 2, 1, 1);  // default chunk: one block
  const torch::Tensor yb = adder_conv2d_reference(xb, wb, 2, 1, 1, 30);  // [1, 1, 27] blocks
  ya.backward(g);
  yb.backward(g);
  EXPECT_TRUE(torch::equal(ya, yb));
  EXPECT_TRUE(torch::allclose(xa.grad(), xb.grad(), 1e-12, 1e-12));
  EXPECT_TRUE(torch::allclose(wa.grad(), wb.grad(), 1e-12, 1e-12));
}

TEST(AdderOps, AdaptiveLearningRate) {
  torch::Tensor g = torch::tensor({3.0, 4.0, 0.0, 0.0}, f64());
  adder_adaptive_lr(g, 0.1);  // eta * sqrt(4) / 5 = 0.04
  EXPECT_NEAR(g[0].item<double>(), 0.12, 1e-12);
  EXPECT_NEAR(g[1].item<double>(), 0.16, 1e-12);
  torch::Tensor z = torch::zeros({3}, f64());
  adder_adaptive_lr(z, 0.1);
  EXPECT_EQ(z.abs().sum().item<double>(), 0.0);
}

TEST(ShiftOps, QFormRoundsToPowersOfTwo) {
  const torch::Tensor w =
      torch::tensor({0.3, -0.75, 0.01, 9.0, 0.0, -0.2}, f64()).requires_grad_(true);
  const torch::Tensor q = shift_q_weight(w, -4, 2);
  // log2: -1.74 -> -2; -0.415 -> 0; 0.01: -6.6 -> -7 < -4 -> 0; 9: 3.17 -> 3 clamped to 2;
  // 0 -> 0; 0.2: -2.32 -> -2.
  const std::vector<double> want = {0.25, -1.0, 0.0, 4.0, 0.0, -0.25};
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(q[static_cast<int64_t>(i)].item<double>(), want[i]) << i;
  q.sum().backward();  // straight-through
  EXPECT_TRUE(torch::equal(w.grad(), torch::ones_like(w)));
}

TEST(ShiftOps, PsFormSignAndShiftWithStraightThroughGradients) {
  const torch::Tensor s = torch::tensor({0.7, -0.9, 0.2}, f64()).requires_grad_(true);
  const torch::Tensor p = torch::tensor({-1.4, 0.6, -3.0}, f64()).requires_grad_(true);
  const torch::Tensor w = shift_ps_weight(s, p, -5, 0);
  // round(0.7) = 1, 2^round(-1.4) = 0.5; round(-0.9) = -1, 0.6 -> 1 clamped to 0 -> -1; 0.2 -> 0.
  EXPECT_EQ(w[0].item<double>(), 0.5);
  EXPECT_EQ(w[1].item<double>(), -1.0);
  EXPECT_EQ(w[2].item<double>(), 0.0);
  w.sum().backward();
  // d/dsign = 2^round(shift); d/dshift = w * ln 2 (0 where the clamp is active).
  EXPECT_DOUBLE_EQ(s.grad()[0].item<double>(), 0.5);
  EXPECT_DOUBLE_EQ(p.grad()[0].item<double>(), 0.5 * std::log(2.0));
  EXPECT_DOUBLE_EQ(p.grad()[1].item<double>(), 0.0);
}

TEST(ShiftOps, RoundSteRoundsHalvesUp) {
  const torch::Tensor x = torch::tensor({0.5, -0.5, 2.5, -2.5, 1.49}, f64()).requires_grad_(true);
  const torch::Tensor r = round_ste(x);
  EXPECT_TRUE(torch::equal(r, torch::tensor({1.0, 0.0, 3.0, -2.0, 1.0}, f64())));
  r.sum().backward();
  EXPECT_TRUE(torch::equal(x.grad(), torch::ones_like(x)));
}
