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
// --quick: 6,000 training images, 1,000 validation images, one epoch per phase, population
// <= 8, generations <= 3 (differentiable: 1 epoch).
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

#include "nas/search/search.hpp"
#include "nas/supernet/pretrain.hpp"

namespace savp::nas::supernet {

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
