// Search-side cost of a NAS run (BENCHMARKS.md, "NAS search"): the spec's NSGA-II search in
// `nsga2` and in `surrogate` mode, with a synthetic, deterministic accuracy (a function of the
// block choices: this measures the platform side — evaluations, cache, GP screening — not the
// supernet, which is the LibTorch part's). Prints platform calls, cache hits, wall time, front
// size, and in surrogate mode the GP's held-out error and the platform calls it saved.
//
//   build/bench/nas_search_bench [spec.yaml] [population] [generations]
#include <fmt/format.h>

#include <cstdlib>
#include <string>

#include "nas/search/search.hpp"

using namespace savp::nas::search;

namespace {

double synthetic_accuracy(const Layout& l, const Candidate& c) {
  double a = 0.80;
  for (const BlockSlot& b : l.blocks()) {
    const BlockChoice& ch = l.block_choices(b.index)[c.genes[l.op_gene(b.index)]];
    if (ch.skip) {
      a -= 0.01;
      continue;
    }
    a += ch.op == savp::OpKind::Mult ? 0.012 : ch.op == savp::OpKind::Adder ? 0.009 : 0.006;
    a += 0.002 * ch.expansion + 0.001 * ch.kernel;
  }
  return std::min(a, 1.0);
}

}  // namespace

int main(int argc, char** argv) try {
  const std::string spec =
      argc > 1 ? argv[1] : std::string(SAVP_SOURCE_DIR) + "/configs/nas/fmnist.yaml";
  SearchSpace s = load_search_space(spec);
  if (argc > 2) s.search.population = static_cast<uint32_t>(std::atoi(argv[2]));
  if (argc > 3) s.search.generations = static_cast<uint32_t>(std::atoi(argv[3]));
  FunctionAccuracy acc("synthetic", synthetic_accuracy);
  for (SearchMode mode : {SearchMode::Nsga2, SearchMode::Surrogate}) {
    s.search.mode = mode;
    PlatformEvaluator ev(evaluator_options(s, ""));
    const SearchResult r = run_search(s, acc, ev, {});
    fmt::print("{}: population {}, {} generations: {} candidates measured, {} platform calls "
               "({:.2f} s simulating), {} cache hits, front {}, wall {:.2f} s\n",
               to_string(mode), s.search.population, r.generations, r.archive.size(),
               r.platform_calls, ev.simulate_seconds(), r.cache_hits, r.front.size(),
               r.wall_seconds);
    if (mode == SearchMode::Surrogate) {
      const FitError l = r.surrogate.latency(), e = r.surrogate.energy();
      fmt::print("  surrogate: {} offspring screened, {} measured, {} platform calls saved; "
                 "held-out ({}) latency MAPE {:.1f}% R^2 {:.3f}, energy MAPE {:.1f}% R^2 {:.3f}\n",
                 r.surrogate.screened, r.surrogate.measured, r.surrogate.calls_saved, l.n,
                 100 * l.mape, l.r2, 100 * e.mape, e.r2);
    }
  }
  return 0;
} catch (const std::exception& e) {
  fmt::print(stderr, "error: {}\n", e.what());
  return 1;
}
