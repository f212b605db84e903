// savp nas search: the supernet-in-the-loop hybrid NAS (nas/supernet/nas_search.hpp).
#include "app/cmd_nas_search.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "nas/supernet/nas_search.hpp"

namespace savp::app {

Action add_nas_search(CLI::App& nas) {
  auto* sub = nas.add_subcommand(
      "search",
      "Search hybrid mult/shift/adder networks: pretrain the supernet of SPEC progressively, "
      "search with NSGA-II / GP surrogate / differentiable mode (accuracy from the supernet, "
      "latency and energy from the platform), write DIR/pareto.json, pareto.csv, best.yaml");
  auto spec = std::make_shared<std::string>();
  auto o = std::make_shared<nas::supernet::NasSearchOptions>();
  sub->add_option("spec", *spec, "search-space spec (configs/nas/*.yaml)")->required();
  sub->add_option("--out", o->out_dir, "output folder (checkpoints, pareto.*, best.yaml)")
      ->required();
  sub->add_flag("--quick", o->quick,
                fmt::format("{} training / {} validation images, batches <= 32, one epoch per "
                            "pretraining phase, population <= 8, generations <= 3 (about 10 "
                            "minutes on 2 cores for configs/nas/fmnist.yaml)",
                            nas::supernet::kQuickTrainImages, nas::supernet::kQuickValImages));
  sub->add_flag("--resume", o->resume, "continue the search (and pretraining) in --out");
  sub->add_option("--threads", o->threads, "LibTorch threads (0: every core)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--data-dir", o->data_dir, "Fashion-MNIST folder (default: the installed one)");
  sub->add_option("--train-images", o->train_images, "use the first N training images")
      ->check(CLI::PositiveNumber);
  sub->add_option("--val-images", o->val_images, "use the first N validation images")
      ->check(CLI::PositiveNumber);
  sub->add_option("--max-weight-bytes", o->max_weight_bytes,
                  "weight budget in bytes as stored in the firmware image (compressed; 0: none); "
                  "overrides the spec's search.constraints.max_weight_bytes")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--no-compression", o->no_compression,
                "the same search without compression: only each kind's highest weight-bit "
                "level, no sparsity");
  return [spec, o]() {
    const auto s = nas::supernet::run_nas_search(*spec, *o, std::cout);
    const auto& r = s.result;
    std::cout << fmt::format(
        "search done in {:.1f} s (pretraining {:.1f} s): front of {}, {} "
        "platform calls, {} cache hits\n",
        s.seconds, s.pretrain.seconds, r.front.size(), r.platform_calls, r.cache_hits);
    for (const auto& b : r.baselines)
      std::cout << fmt::format("  {:<10} accuracy {:6.2f}%  latency {:.4f} ms  energy {:.3f} uJ\n",
                               b.label, 100 * b.accuracy, b.hw.latency_ms, b.hw.energy_uj);
    for (size_t i = 0; i < r.front.size(); ++i) {
      const auto& e = r.front[i];
      std::cout << fmt::format(
          "  {}front[{}] accuracy {:6.2f}%  latency {:.4f} ms  energy {:.3f} "
          "uJ  weights {} B{}  [{}]\n",
          i == r.best ? "*" : " ", i, 100 * e.accuracy, e.hw.latency_ms, e.hw.energy_uj,
          e.hw.weight_bytes, e.score.violation > 0 ? " (infeasible)" : "", e.candidate.str());
    }
    const bool feasible = !r.front.empty() && r.front[r.best].score.violation <= 0;
    std::cout << fmt::format("wrote {0}/pareto.json, {0}/pareto.csv{1}\n", o->out_dir,
                             feasible ? fmt::format(", {}/best.yaml", o->out_dir) : "");
    if (!feasible)
      std::cout << "no candidate met the constraints (no best.yaml); the front above is the "
                   "least infeasible\n";
    return 0;
  };
}

}  // namespace savp::app
