// NAS evaluator throughput and the GP surrogate's held-out error on real platform measurements
// (BENCHMARKS.md, "NAS search"). Draws N random candidates of a search space (seeded), measures
// each on the platform in-process (nas/search/evaluator.hpp: map + timing-only simulation on one
// long-lived platform), then asks for all of them again (cache hits), then fits the Gaussian
// processes on the first 2/3 and predicts the last third.
//
//   build/bench/nas_eval_bench [spec.yaml] [N] [seed]     (defaults: configs/nas/fmnist.yaml 60 1)
#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "nas/search/candidate.hpp"
#include "nas/search/evaluator.hpp"
#include "nas/search/gaussian_process.hpp"

using namespace savp::nas::search;

int main(int argc, char** argv) try {
  const std::string spec =
      argc > 1 ? argv[1] : std::string(SAVP_SOURCE_DIR) + "/configs/nas/fmnist.yaml";
  const int n = argc > 2 ? std::atoi(argv[2]) : 60;
  const uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  const SearchSpace s = load_search_space(spec);
  const Layout layout(s);
  std::vector<Candidate> cs;
  uint64_t rng = seed;
  for (int i = 0; i < n; ++i) cs.push_back(random_candidate(layout, rng));
  PlatformEvaluator ev({s.search.seed, s.search.mapper_objective, ""});
  using clk = std::chrono::steady_clock;
  std::vector<HwMeasurement> ms;
  const auto t0 = clk::now();
  for (const Candidate& c : cs)
    ms.push_back(ev.evaluate(decode_network(layout, c), decode_hardware(layout, c)));
  const double t_eval = std::chrono::duration<double>(clk::now() - t0).count();
  const auto t1 = clk::now();
  for (const Candidate& c : cs) ev.evaluate(decode_network(layout, c), decode_hardware(layout, c));
  const double t_hit = std::chrono::duration<double>(clk::now() - t1).count();
  int ok = 0;
  double cyc = 0;
  for (const auto& m : ms)
    if (m.ok) {
      ++ok;
      cyc += m.cycles;
    }
  fmt::print(
      "space {} ({} genes, 10^{:.1f} candidates), {} candidates, {} ran, mean {:.0f} cycles\n",
      s.name, layout.genes().size(), layout.log10_size(), n, ok, ok ? cyc / ok : 0.0);
  fmt::print("platform calls: {} in {:.3f} s = {:.1f} evaluations/s ({:.1f} ms each)\n",
             ev.platform_calls(), t_eval, ev.platform_calls() / t_eval,
             1e3 * t_eval / ev.platform_calls());
  fmt::print("cache hits: {} in {:.4f} s = {:.0f} lookups/s (decode + hash included)\n",
             ev.cache_hits(), t_hit, ev.cache_hits() / t_hit);
  // GP: train on the first 2/3, hold out the rest.
  std::vector<std::vector<double>> x, xt;
  std::vector<double> yl, ye, ml, me;
  const int split = 2 * n / 3;
  for (int i = 0; i < n; ++i) {
    if (!ms[i].ok) continue;
    auto f = candidate_features(layout, cs[i]);
    if (i < split) {
      x.push_back(f);
      yl.push_back(std::log(ms[i].latency_ms));
      ye.push_back(std::log(ms[i].energy_uj));
    } else {
      xt.push_back(f);
      ml.push_back(ms[i].latency_ms);
      me.push_back(ms[i].energy_uj);
    }
  }
  GaussianProcess gl, ge;
  const auto t2 = clk::now();
  gl.fit(x, yl);
  ge.fit(x, ye);
  const double t_fit = std::chrono::duration<double>(clk::now() - t2).count();
  std::vector<double> pl, pe;
  for (const auto& f : xt) {
    pl.push_back(std::exp(gl.predict(f)));
    pe.push_back(std::exp(ge.predict(f)));
  }
  const FitError el = fit_error(pl, ml), ee = fit_error(pe, me);
  fmt::print(
      "GP (Matern-5/2, {} train, {} held out, both fits {:.3f} s): latency MAPE {:.1f}% R^2 {:.3f} "
      "(l {:.3g}, noise {:.0e}); energy MAPE {:.1f}% R^2 {:.3f} (l {:.3g}, noise {:.0e})\n",
      x.size(), xt.size(), t_fit, 100 * el.mape, el.r2, gl.length_scale(), gl.noise_variance(),
      100 * ee.mape, ee.r2, ge.length_scale(), ge.noise_variance());
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "error: {}\n", e.what());
  return 1;
}
