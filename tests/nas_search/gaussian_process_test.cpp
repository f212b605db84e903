// The Gaussian process: interpolation, held-out error on a smooth function, and a real fit on
// platform measurements of the fmnist space.
#include "nas/search/gaussian_process.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "common/splitmix64.hpp"
#include "nas/search/evaluator.hpp"
#include "nas/search/nsga2.hpp"

namespace savp::nas::search {
namespace {

TEST(GaussianProcess, InterpolatesItsTrainingPoints) {
  std::vector<std::vector<double>> x;
  std::vector<double> y;
  for (int i = 0; i < 12; ++i) {
    x.push_back({i / 11.0});
    y.push_back(std::sin(6 * i / 11.0) + 3);
  }
  GaussianProcess gp;
  gp.fit(x, y);
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_NEAR(gp.predict(x[i]), y[i], 1e-3);
    EXPECT_LT(gp.variance(x[i]), 1e-3);
  }
  // Far from the data the posterior falls back to the mean with the prior's variance.
  EXPECT_GT(gp.variance({50.0}), 10 * gp.variance({0.5}));
}

TEST(GaussianProcess, HeldOutErrorOnASmoothFunction) {
  // f(a, b, c) = 2 + sin(3a) + b^2 - 0.5 c on [0, 1]^3: 60 random training points, 40 held out.
  SplitMix64 rng(5);
  auto f = [](const std::vector<double>& v) {
    return 2 + std::sin(3 * v[0]) + v[1] * v[1] - 0.5 * v[2];
  };
  std::vector<std::vector<double>> x, xt;
  std::vector<double> y, yt;
  for (int i = 0; i < 100; ++i) {
    std::vector<double> v{unit(rng), unit(rng), unit(rng)};
    (i < 60 ? x : xt).push_back(v);
    (i < 60 ? y : yt).push_back(f(v));
  }
  GaussianProcess gp;
  gp.fit(x, y);
  std::vector<double> p;
  for (const auto& v : xt) p.push_back(gp.predict(v));
  const FitError e = fit_error(p, yt);
  EXPECT_EQ(e.n, 40u);
  EXPECT_LT(e.mape, 0.01);  // under 1 %
  EXPECT_GT(e.r2, 0.99);
}

TEST(GaussianProcess, FitErrorByHand) {
  // measured 1 2 3, predicted 1 2 4: MAPE (0 + 0 + 1/3) / 3 = 1/9; SS_res 1, SS_tot 2: R^2 0.5.
  const FitError e = fit_error({1, 2, 4}, {1, 2, 3});
  EXPECT_NEAR(e.mape, 1.0 / 9, 1e-12);
  EXPECT_NEAR(e.r2, 0.5, 1e-12);
}

TEST(GaussianProcess, BadInputsAreErrors) {
  GaussianProcess gp;
  EXPECT_THROW(gp.fit({}, {}), Error);
  EXPECT_THROW(gp.fit({{1.0}, {1.0, 2.0}}, {1, 2}), Error);
  EXPECT_THROW(gp.predict({1.0}), Error);
}

// The surrogate's real job: latency and energy of fmnist candidates on the default platform,
// 90 measured for training and 45 held out (BENCHMARKS.md records the figures printed here).
TEST(GaussianProcess, FitsPlatformMeasurementsOfTheFmnistSpace) {
  const SearchSpace s =
      load_search_space(std::string(SAVP_SOURCE_DIR) + "/configs/nas/fmnist.yaml");
  const Layout l(s);
  const HwConfig hw = decode_hardware(l, baseline_candidate(l, OpKind::Mult));
  PlatformEvaluator ev({1, "latency", ""});
  uint64_t rng = 2024;
  std::vector<std::vector<double>> x, xt;
  std::vector<double> yl, ye, ml, me;
  for (int i = 0; i < 135; ++i) {
    const Candidate c = random_candidate(l, rng);
    const HwMeasurement m = ev.evaluate(decode_network(l, c), hw);
    ASSERT_TRUE(m.ok) << m.error;
    if (i < 90) {
      x.push_back(candidate_features(l, c));
      yl.push_back(std::log(m.latency_ms));
      ye.push_back(std::log(m.energy_uj));
    } else {
      xt.push_back(candidate_features(l, c));
      ml.push_back(m.latency_ms);
      me.push_back(m.energy_uj);
    }
  }
  GaussianProcess gl, ge;
  gl.fit(x, yl);
  ge.fit(x, ye);
  std::vector<double> pl, pe;
  for (const auto& f : xt) {
    pl.push_back(std::exp(gl.predict(f)));
    pe.push_back(std::exp(ge.predict(f)));
  }
  const FitError el = fit_error(pl, ml), ee = fit_error(pe, me);
  std::printf(
      "fmnist GP, 90 train / 45 held out: latency MAPE %.1f%% R^2 %.3f; energy MAPE "
      "%.1f%% R^2 %.3f\n",
      100 * el.mape, el.r2, 100 * ee.mape, ee.r2);
  // A model that has learnt nothing (the training mean) has R^2 <= 0 and MAPE ~25-35 % here.
  EXPECT_LT(el.mape, 0.12);
  EXPECT_LT(ee.mape, 0.12);
  EXPECT_GT(el.r2, 0.85);
  EXPECT_GT(ee.r2, 0.85);
}

}  // namespace
}  // namespace savp::nas::search
