// nas/ops adder_kernel: the fused CPU adder conv / linear against the generic reference
// (adder_conv2d_reference / adder_linear_reference: cdist forward, blockwise tensor backward):
// forward, input gradient and weight gradient, for normal, strided, padded, grouped, depthwise
// (with and without a channel multiplier) and 1 x 1 shapes, random shapes, both dtypes.
//
// Tolerances. The reference runs in float64 on the same values (for float32 inputs, their exact
// float64 conversion), so it is the exact result up to m * u64 * S (the classic bound
// gamma_m ~ m * u for a sum of m terms, u the unit roundoff, S the sum of the terms' absolute
// values; Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., section 4.2). The
// fused kernel's own error follows from how it sums (adder_kernel.cpp), with S bounded from
// above by (number of terms) x (largest term):
//  - forward: sequentially over m = Cin/g * k * k terms |x - w| <= max|x| + max|w|;
//  - input gradient: sequentially over m = Cout/g * k * k terms |g HT(w - x)| <= max|g|;
//  - weight gradient: N * Ho * Wo terms g (x - w) of size <= max|g| (max|x| + max|w|), summed
//    per image in 64-byte vector lanes (qpad / lanes terms per lane, then the lanes), the images
//    in float64: m = qpad / lanes + lanes + N.
// The tolerance is twice the sum of both bounds. A wrong index (a shifted window, a missing
// padding term, a mixed-up group) changes an element by about one term, far above these bounds
// for the sizes used here, and each test checks the gradients are well above the tolerance.
#include <gtest/gtest.h>

#include <random>
#include <tuple>
#include <vector>
#include <string>

#include "nas/ops/adder_kernel.hpp"
#include "nas/ops/ops.hpp"
#include "common/errors.hpp"

using namespace savp::nas::ops;

namespace {

struct Shape {
  int64_t n, cin, h, w, cout, k, stride, pad, groups;
  std::string str() const {
    return "N" + std::to_string(n) + " Cin" + std::to_string(cin) + " " + std::to_string(h) + "x" +
           std::to_string(w) + " Cout" + std::to_string(cout) + " k" + std::to_string(k) + " s" +
           std::to_string(stride) + " p" + std::to_string(pad) + " g" + std::to_string(groups);
  }
};

double unit_roundoff(torch::Dtype t) { return t == torch::kDouble ? 1.2e-16 : 6.0e-8; }

double max_abs(const torch::Tensor& t) { return t.abs().max().item<double>(); }

int64_t lanes(torch::Dtype t) { return t == torch::kDouble ? 8 : 16; }

struct Bounds {
  double y, dx, dw;
};

// The tolerances of the header comment for one shape.
Bounds bounds(const Shape& s, int64_t ho, int64_t wo, torch::Dtype dtype, double xm, double wm,
              double gm) {
  const double u = unit_roundoff(dtype), u64 = unit_roundoff(torch::kDouble);
  const double m_y = static_cast<double>(s.cin / s.groups * s.k * s.k);
  const double m_dx = static_cast<double>(s.cout / s.groups * s.k * s.k);
  const double terms_dw = static_cast<double>(s.n * ho * wo);
  const int64_t wq = (s.w + 2 * s.pad + s.stride - 1) / s.stride, l = lanes(dtype);
  const double qpad = static_cast<double>((ho * wq + l - 1) / l * l);
  const double m_dw = qpad / static_cast<double>(l) + static_cast<double>(l + s.n);
  const double sy = m_y * (xm + wm), sdx = m_dx * gm, sdw = terms_dw * gm * (xm + wm);
  return {2 * (m_y * u + m_y * u64) * sy, 2 * (m_dx * u + m_dx * u64) * sdx,
          2 * (m_dw * u + terms_dw * u64) * sdw};
}

double max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b).abs().max().item<double>();
}

// Runs the fused kernel in `dtype` and the reference in float64 on the same inputs and upstream
// gradient; checks y, dx and dw.
void expect_fused_equals_reference(const Shape& s, torch::Dtype dtype, uint64_t seed) {
  SCOPED_TRACE(s.str() + (dtype == torch::kDouble ? " float64" : " float32"));
  torch::manual_seed(seed);
  const auto opt = torch::TensorOptions().dtype(dtype);
  // Weights of scale 0.7 against unit-normal inputs: |w - x| falls on both sides of 1, so the
  // HardTanh clips some terms and passes others.
  const torch::Tensor x0 = torch::randn({s.n, s.cin, s.h, s.w}, opt);
  const torch::Tensor w0 = 0.7 * torch::randn({s.cout, s.cin / s.groups, s.k, s.k}, opt);
  torch::Tensor xa = x0.clone().requires_grad_(true), wa = w0.clone().requires_grad_(true);
  torch::Tensor xb = x0.to(torch::kDouble).requires_grad_(true);
  torch::Tensor wb = w0.to(torch::kDouble).requires_grad_(true);
  ASSERT_TRUE(adder_fused_supported(xa, wa));
  const torch::Tensor ya = adder_conv2d(xa, wa, s.stride, s.pad, s.groups);
  const torch::Tensor yb = adder_conv2d_reference(xb, wb, s.stride, s.pad, s.groups);
  ASSERT_EQ(ya.sizes(), yb.sizes());
  const torch::Tensor g = torch::randn(ya.sizes(), opt);
  ya.backward(g);
  yb.backward(g.to(torch::kDouble));

  const Bounds tol = bounds(s, ya.size(2), ya.size(3), dtype, max_abs(x0), max_abs(w0), max_abs(g));
  EXPECT_LE(max_diff(ya, yb), tol.y);
  EXPECT_LE(max_diff(xa.grad(), xb.grad()), tol.dx);
  EXPECT_LE(max_diff(wa.grad(), wb.grad()), tol.dw);
  // Not vacuous: the results are well above the tolerances.
  EXPECT_GT(max_abs(yb), 10 * tol.y);
  EXPECT_GT(max_abs(xb.grad()), 10 * tol.dx);
  EXPECT_GT(max_abs(wb.grad()), 10 * tol.dw);
}

const Shape kShapes[] = {
    {2, 3, 7, 6, 5, 3, 1, 0, 1},     // normal
    {2, 4, 9, 8, 6, 3, 2, 0, 1},     // strided
    {2, 3, 6, 7, 4, 5, 1, 2, 1},     // padded, 5 x 5
    {3, 4, 11, 10, 8, 3, 2, 1, 1},   // strided and padded (an fmnist-adder conv2 / conv3)
    {2, 6, 8, 8, 9, 3, 1, 1, 3},     // grouped
    {2, 8, 9, 9, 8, 5, 1, 2, 8},     // depthwise 5 x 5 (a supernet dw block)
    {2, 8, 14, 14, 8, 3, 2, 1, 8},   // depthwise, stride 2
    {2, 4, 6, 6, 8, 3, 1, 1, 4},     // depthwise with channel multiplier 2
    {2, 17, 5, 5, 13, 1, 1, 0, 1},   // 1 x 1 (expand / project), 13 outputs: not a block of 4
    {1, 2, 10, 10, 3, 2, 3, 1, 1},   // stride 3 > kernel 2: pixels no window covers
    {4, 16, 28, 28, 16, 3, 1, 1, 1},  // an fmnist-adder conv1-sized layer
};

}  // namespace

TEST(AdderKernel, ConvEqualsReferenceFloat64) {
  uint64_t seed = 1;
  for (const Shape& s : kShapes) expect_fused_equals_reference(s, torch::kDouble, seed++);
}

TEST(AdderKernel, ConvEqualsReferenceFloat32) {
  uint64_t seed = 100;
  for (const Shape& s : kShapes) expect_fused_equals_reference(s, torch::kFloat, seed++);
}

TEST(AdderKernel, RandomShapesEqualReference) {
  std::mt19937 rng(42);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  for (int i = 0; i < 40; ++i) {
    Shape s{};
    s.groups = pick(1, 3);
    s.cin = s.groups * pick(1, 3);
    s.cout = s.groups * pick(1, 5);
    s.n = pick(1, 3);
    s.k = std::vector<int64_t>{1, 2, 3, 5}[static_cast<size_t>(pick(0, 3))];
    s.stride = pick(1, 3);
    s.pad = pick(0, 2);
    s.h = pick(std::max<int64_t>(1, s.k - 2 * s.pad), 12);
    s.w = pick(std::max<int64_t>(1, s.k - 2 * s.pad), 12);
    expect_fused_equals_reference(s, i % 2 ? torch::kFloat : torch::kDouble, 1000 + i);
  }
}

TEST(AdderKernel, LinearEqualsReference) {
  // adder_linear is the 1 x 1 conv of an image of In channels x 1 x N pixels: the bounds of a
  // conv with that shape.
  for (auto [n, in, out] : {std::tuple<int64_t, int64_t, int64_t>{37, 19, 7}, {5, 3, 10}, {1, 64, 10}}) {
    for (torch::Dtype dtype : {torch::kDouble, torch::kFloat}) {
      SCOPED_TRACE("N" + std::to_string(n) + " In" + std::to_string(in) + " Out" +
                   std::to_string(out));
      torch::manual_seed(n * 100 + in);
      const auto opt = torch::TensorOptions().dtype(dtype);
      const torch::Tensor x0 = torch::randn({n, in}, opt), w0 = 0.7 * torch::randn({out, in}, opt);
      torch::Tensor xa = x0.clone().requires_grad_(true), wa = w0.clone().requires_grad_(true);
      torch::Tensor xb = x0.to(torch::kDouble).requires_grad_(true);
      torch::Tensor wb = w0.to(torch::kDouble).requires_grad_(true);
      const torch::Tensor ya = adder_linear(xa, wa), yb = adder_linear_reference(xb, wb);
      ASSERT_EQ(ya.sizes(), yb.sizes());
      const torch::Tensor g = torch::randn(ya.sizes(), opt);
      ya.backward(g);
      yb.backward(g.to(torch::kDouble));
      const Shape as_conv{1, in, 1, n, out, 1, 1, 0, 1};
      const Bounds tol = bounds(as_conv, 1, n, dtype, max_abs(x0), max_abs(w0), max_abs(g));
      EXPECT_LE(max_diff(ya, yb), tol.y);
      EXPECT_LE(max_diff(xa.grad(), xb.grad()), tol.dx);
      EXPECT_LE(max_diff(wa.grad(), wb.grad()), tol.dw);
      EXPECT_GT(max_abs(wb.grad()), 10 * tol.dw);
    }
  }
}

TEST(AdderKernel, OnlyTheRequestedGradients) {
  // A frozen weight (supernet phase 2 freezes mult / shift; a first layer's input needs no
  // gradient): the other gradient is still the reference's.
  torch::manual_seed(9);
  const torch::Tensor x0 = torch::randn({2, 3, 6, 6}, torch::kDouble);
  const torch::Tensor w0 = 0.7 * torch::randn({4, 3, 3, 3}, torch::kDouble);
  {
    torch::Tensor xa = x0.clone().requires_grad_(true), xb = x0.clone().requires_grad_(true);
    adder_conv2d(xa, w0, 1, 1).sum().backward();
    adder_conv2d_reference(xb, w0, 1, 1).sum().backward();
    EXPECT_TRUE(torch::allclose(xa.grad(), xb.grad(), 1e-12, 1e-10));
  }
  {
    torch::Tensor wa = w0.clone().requires_grad_(true), wb = w0.clone().requires_grad_(true);
    adder_conv2d(x0, wa, 2, 1).sum().backward();
    adder_conv2d_reference(x0, wb, 2, 1).sum().backward();
    EXPECT_TRUE(torch::allclose(wa.grad(), wb.grad(), 1e-12, 1e-10));
  }
  // No gradient at all: a plain forward under NoGradGuard (evaluation, integer inference).
  torch::NoGradGuard ng;
  EXPECT_TRUE(torch::allclose(adder_conv2d(x0, w0, 1, 1), adder_conv2d_reference(x0, w0, 1, 1),
                              1e-12, 1e-10));
}

TEST(AdderKernel, NonContiguousInputsAndOtherDtypesTakeTheRightPath) {
  torch::manual_seed(13);
  // A channels-last / transposed view: the kernel makes its own contiguous copy.
  const torch::Tensor x = torch::randn({2, 5, 5, 3}, torch::kDouble).permute({0, 3, 1, 2});
  const torch::Tensor w = torch::randn({4, 3, 3, 3}, torch::kDouble);
  EXPECT_FALSE(x.is_contiguous());
  EXPECT_TRUE(torch::allclose(adder_conv2d(x, w, 1, 1), adder_conv2d_reference(x, w, 1, 1),
                              1e-12, 1e-10));
  // Mixed dtypes are not for the fused kernel (the reference decides what they mean).
  EXPECT_FALSE(adder_fused_supported(x, w.to(torch::kFloat)));
  EXPECT_FALSE(adder_fused_supported(x.to(torch::kInt), w.to(torch::kInt)));
}

TEST(AdderKernel, BadShapesAreErrors) {
  const torch::Tensor x = torch::randn({1, 4, 5, 5});
  EXPECT_THROW(adder_conv2d(x, torch::randn({2, 3, 3, 3})), savp::Error);           // Cin
  EXPECT_THROW(adder_conv2d(x, torch::randn({3, 2, 3, 3}), 1, 0, 2), savp::Error);  // Cout % g
  EXPECT_THROW(adder_conv2d(x, torch::randn({2, 4, 3, 3}), 0, 0, 1), savp::Error);  // stride 0
  EXPECT_THROW(adder_conv2d(x, torch::randn({2, 4, 3, 3}), 1, -1, 1), savp::Error);  // padding
  EXPECT_THROW(adder_conv2d(x, torch::randn({2, 4, 7, 7}), 1, 0, 1), savp::Error);  // kernel
  EXPECT_THROW(adder_linear(torch::randn({2, 3}), torch::randn({4, 5})), savp::Error);
}
