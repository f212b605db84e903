// `savp nas search SPEC --out DIR` as a library call: the whole supernet-in-the-loop search.
//  1. the supernet of the spec (supernet.hpp) is pretrained progressively (pretrain.hpp) into
//     DIR/supernet/ (checkpoint every epoch);
//  2. the search runs:
//     - nsga2 / surrogate: part B's driver (nas/search/search.hpp) with the supernet as the
//       accuracy provider (accuracy.hpp: inherited subnet, BN recalibration, validation split)
//       and the platform evaluator in process (cache DIR/eval_cache.json, checkpoint
//       DIR/checkpoint.json each generation);
//     - differentiable: part B's cost table measured on the platform (DIR/cost_table.json,
//       reused when present), Gumbel-softmax search (differentiable.hpp), then each epoch's
//       derived candidate measured like NSGA-II's (accuracy from the supernet, platform);
//     the baselines (all-mult / all-shift / all-adder of the same skeleton) are subnets of the
//     same supernet, measured the same way;
//  3. DIR/pareto.json, DIR/pareto.csv (front + baselines), DIR/best.yaml (part B's writer).
// --quick: kQuickTrainImages training images, kQuickValImages validation images, batches of at
// most 32, one epoch per phase, population <= 8, generations <= 3 (differentiable: 1 epoch):
// sized so that configs/nas/fmnist.yaml finishes within 10 minutes on 2 cores (BENCHMARKS.md,
// "NAS search with the supernet in the loop").
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

#include "nas/search/search.hpp"
#include "nas/supernet/pretrain.hpp"

namespace savp::nas::supernet {

inline constexpr size_t kQuickTrainImages = 512;
inline constexpr size_t kQuickValImages = 256;

struct NasSearchOptions {
  std::string out_dir;
  bool quick = false;
  bool resume = false;      // continue a search in out_dir; without it, an existing one is an error
  int threads = 0;          // 0: every core
  std::string data_dir;     // empty: nas::data::default_dir()
  size_t train_images = 0;  // 0: by mode (all / quick subset)
  size_t val_images = 0;    // 0: by mode (the spec's validation_images / quick subset)
  double max_weight_bytes = -1;  // >= 0: overrides search.constraints.max_weight_bytes (0: none)
  bool no_compression = false;   // the same search without compression (apply_overrides)
  int stop_after_epochs = 0;  // tests: stop pretraining after this many epochs (as a kill)
};

struct NasSearchSummary {
  bool finished = false;  // false: stopped by stop_after_epochs
  PretrainSummary pretrain;
  search::SearchResult result;
  double seconds = 0;
};

NasSearchSummary run_nas_search(const std::string& spec_path, const NasSearchOptions& o,
                                std::ostream& log);

}  // namespace savp::nas::supernet
