// The search driver: NSGA-II (nsga2.hpp) over the candidates of a search space, with accuracy
// from an AccuracyProvider (the supernet) and latency / energy from the platform
// (PlatformEvaluator, cached), in two modes:
//  - nsga2: every offspring is measured on the platform (or recalled from the cache);
//  - surrogate: screen_factor x population offspring are generated per generation, Gaussian
//    processes fitted on every platform measurement so far (log latency, log energy;
//    gaussian_process.hpp) predict them, NSGA-II's selection ranks them on the predictions and
//    only `population` go to the platform. The GP's error on those (held out: predicted before
//    they were measured) and the platform calls it saved are reported. With
//    `surrogate: {predict_accuracy: true}` a third GP predicts accuracy for the screening too,
//    so the AccuracyProvider (the supernet) is asked only for the candidates measured.
// The differentiable mode is the supernet's (Gumbel-softmax over the block choices); its
// hardware cost comes from cost_table.hpp.
//
// Hardware genes make it a co-design search: a candidate is (network, hardware); a batch is
// measured grouped by hardware so the evaluator keeps one platform per configuration.
//
// Checkpoint / resume: after each generation the evaluator's cache and then
// <out_dir>/checkpoint.json (the population, the archive of every candidate evaluated, the
// baselines, the generation, the RNG state, the accuracy cache, the surrogate's statistics)
// are written atomically. A search started again with the same out_dir continues after the
// last finished generation and ends with the same front as an uninterrupted run. A checkpoint
// that is corrupt, or of another spec, is a savp::Error naming the file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nas/search/accuracy.hpp"
#include "nas/search/candidate.hpp"
#include "nas/search/evaluator.hpp"
#include "nas/search/gaussian_process.hpp"
#include "nas/search/nsga2.hpp"
#include "nas/search/search_space.hpp"

namespace savp::nas::search {

struct Evaluated {
  Candidate candidate;
  std::string label;  // baselines: "all-mult" etc.; else empty
  double accuracy = 0;
  HwMeasurement hw;
  std::string hw_params = "{}";  // the hardware genes' values (JSON)
  Scored score;                  // objectives (spec order, minimised) and violation
};

struct SurrogateStats {
  uint64_t screened = 0;     // offspring the GP ranked
  uint64_t measured = 0;     // of those, sent to the platform
  uint64_t calls_saved = 0;  // new candidates screened out without a platform call
  // Held-out pairs (predicted before the candidate was measured).
  std::vector<double> predicted_latency, measured_latency, predicted_energy, measured_energy;
  FitError latency() const { return fit_error(predicted_latency, measured_latency); }
  FitError energy() const { return fit_error(predicted_energy, measured_energy); }
  // With search.surrogate.predict_accuracy: the accuracy GP's held-out pairs.
  std::vector<double> predicted_accuracy, measured_accuracy;
  FitError accuracy() const { return fit_error(predicted_accuracy, measured_accuracy); }
};

struct SearchOptions {
  std::string out_dir;  // checkpoint.json is written here; empty: no checkpoint
  bool resume = true;   // continue from out_dir/checkpoint.json when it exists
  // Called after generation g's checkpoint was written (g = 0: the initial population). A
  // callback that throws stops the search there (what a kill does); the exception propagates.
  std::function<void(uint32_t generation, const std::vector<Evaluated>& population)> on_generation;
};

struct SearchResult {
  std::vector<Evaluated> front;       // first front (constrained domination) of the archive
  std::vector<Evaluated> population;  // the final population
  std::vector<Evaluated> archive;     // every distinct candidate measured, in order
  std::vector<Evaluated> baselines;   // all-<op> of the same skeleton
  size_t best = 0;                    // index into front (best_accuracy_tolerance rule)
  uint32_t generations = 0;           // finished generations (the last one's index)
  uint32_t resumed_after = 0;         // the generation the checkpoint held (resumed only)
  bool resumed = false;
  uint64_t platform_calls = 0;  // this process
  uint64_t cache_hits = 0;      // this process: answered by the evaluator's cache
  uint64_t archive_hits = 0;    // this process: offspring already in the archive (no lookup)
  uint64_t accuracy_calls = 0;  // this process: calls into the AccuracyProvider
  double wall_seconds = 0;
  std::string accuracy_provider;
  SurrogateStats surrogate;
};

// The evaluator settings a search uses: the spec's seed and mapper objective, the cache at
// <out_dir>/eval_cache.json (empty out_dir: in memory).
EvaluatorOptions evaluator_options(const SearchSpace& space, const std::string& out_dir);

// Runs (or resumes) the search the spec describes. Throws savp::Error for the differentiable
// mode (the supernet runs it), a corrupt or foreign checkpoint, an accuracy outside [0, 1].
SearchResult run_search(const SearchSpace& space, AccuracyProvider& accuracy,
                        PlatformEvaluator& evaluator, const SearchOptions& options);

// Measures candidates as the search does (grouped by hardware, accuracy asked once per
// network), e.g. for baselines or a brute-force enumeration in tests.
std::vector<Evaluated> evaluate_candidates(const Layout& layout, AccuracyProvider& accuracy,
                                           PlatformEvaluator& evaluator,
                                           const std::vector<Candidate>& candidates);

// The first front (constrained domination) of `pts`, deduplicated by candidate, in a stable
// order (ascending first objective, then genes).
std::vector<Evaluated> pareto_front(const std::vector<Evaluated>& pts);

// The index into `front` of the best member: the lowest-energy one whose accuracy is within
// set.best_accuracy_tolerance of the front's best (0 for an empty front).
size_t choose_best(const std::vector<Evaluated>& front, const SearchSettings& set);

// Writes <dir>/pareto.json (spec, settings, statistics, the front with each member's genes,
// choices, accuracy, latency, energy, weight bytes, hardware parameters, the baselines and the
// surrogate's error), <dir>/pareto.csv (front and baselines, one row each, a `kind` column) and
// <dir>/best.yaml (the chosen front member as a network YAML for savp run / the trainer; only
// when it meets the constraints, else no best.yaml), each
// atomically.
void write_search_outputs(const std::string& dir, const Layout& layout, const SearchResult& r);

}  // namespace savp::nas::search
