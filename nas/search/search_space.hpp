// The NAS search space and run specification (configs/nas/*.yaml; schema in
// configs/nas/README.md): a macro skeleton of MBConv stages for one input shape (NASA / FBNet
// style), the per-block choices (operator kind x kernel x expansion, or skip), optional
// per-block weight-bit levels and sparsity (UDC), the supernet's training schedule, the search
// settings, the hardware (a config and optional co-design parameters, applied with
// explore/sweep_spec's path edits) and the baselines.
//
// Read strictly (common/yaml_util.hpp): unknown keys, wrong types and values out of range are
// ConfigErrors naming the file:line:col, the field and what is allowed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/errors.hpp"
#include "common/hw_config.hpp"
#include "explore/sweep_spec.hpp"

namespace savp::nas::search {

// One stage of the skeleton: `blocks` searchable MBConv blocks with `channels` outputs; the
// first block carries the stage's stride.
struct Stage {
  uint32_t channels = 0;
  uint32_t stride = 1;  // 1 or 2
  uint32_t blocks = 0;
  SourceLocation where;
};

// One phase of the progressive supernet pretraining (NASA: mult + shift, then adder with the
// others frozen, then joint): the kinds whose weights train, the kinds frozen, epochs.
struct TrainingPhase {
  std::vector<OpKind> train;
  std::vector<OpKind> frozen;
  uint32_t epochs = 0;
};

struct TrainingSpec {
  uint32_t epochs = 0;  // the sum of the phases' epochs (checked)
  uint32_t batch_size = 128;
  double lr = 0.01;
  double momentum = 0.9;
  double weight_decay = 0.0;
  uint32_t validation_images = 5000;  // held out of the training set for the search
  std::vector<TrainingPhase> phases;
};

enum class SearchMode { Nsga2, Surrogate, Differentiable };
const char* to_string(SearchMode m);  // "nsga2", "surrogate", "differentiable"

// Figures a candidate is ranked by. Accuracy is maximised, the others minimised.
enum class Objective { Accuracy, Latency, Energy, WeightBytes };
const char* to_string(Objective o);  // "accuracy", "latency_ms", "energy_uj", "weight_bytes"

struct SearchSettings {
  SearchMode mode = SearchMode::Nsga2;
  uint32_t population = 16;
  uint32_t generations = 10;
  uint64_t seed = 1;  // the search's RNG and the networks' random weights and input
  std::vector<Objective> objectives{Objective::Accuracy, Objective::Latency, Objective::Energy};
  double crossover_prob = 0.9;  // per pair; uniform crossover (each gene from either parent)
  double mutation_prob = 0.0;   // per gene; 0 = 1 / number of genes
  std::string mapper_objective = "latency";  // mapper::parse_objective
  // Constraints (0 = none): a candidate above one is infeasible (constrained domination).
  double max_weight_bytes = 0;  // compressed weights (sparsity, bit widths), bytes
  double max_latency_ms = 0;
  double max_energy_uj = 0;
  double min_accuracy = 0;
  // Surrogate mode: offspring generated per generation = screen_factor x population; the GP
  // ranks them and only `population` go to the platform.
  uint32_t screen_factor = 4;
  // Surrogate mode: screen on a GP's accuracy too (the AccuracyProvider is then asked only for
  // the candidates that go to the platform).
  bool surrogate_accuracy = false;
  // best.yaml: the lowest-energy front member whose accuracy is within this of the front's best
  // (a fraction: 0.01 = one point of accuracy).
  double best_accuracy_tolerance = 0.01;
  // Differentiable mode (the supernet's): Gumbel-softmax temperature schedule and the weight
  // of the hardware cost in the loss.
  double gumbel_tau_start = 5.0;
  double gumbel_tau_end = 0.5;
  double hw_loss_weight = 0.1;
};

// A hardware co-design parameter: a path into the hw config and its discrete values
// (explore::Parameter, applied with explore::apply_point).
struct HardwareSpec {
  std::string config;                          // resolved path of the base hw config
  std::string config_text;                     // its text
  std::vector<explore::Parameter> parameters;  // discrete (values) only
  SourceLocation parameters_where;
  // The base config and parameters as a sweep spec, so explore::apply_point edits and
  // re-validates a config exactly as savp sweep does.
  explore::SweepSpec as_sweep() const;
};

struct BaselineSpec {
  std::vector<OpKind> ops{OpKind::Mult, OpKind::Shift, OpKind::Adder};
  uint32_t kernel = 3;
  uint32_t expansion = 3;
};

struct SearchSpace {
  std::string file;
  std::string text;
  std::string hash;  // FNV-1a 64 over the spec's and the hw config's texts (hex)
  std::string name;

  // Skeleton.
  uint32_t input_h = 28, input_w = 28, input_c = 1;
  uint32_t classes = 10;
  uint32_t stem_channels = 16, stem_kernel = 3, stem_stride = 1;
  OpKind stem_op = OpKind::Mult;  // the first layer stays multiplication (AdderNet, ShiftAddNet)
  std::vector<Stage> stages;
  uint32_t head_channels = 0;  // a 1x1 conv before the pool; 0 = none
  OpKind head_op = OpKind::Mult;
  uint32_t act_bits = 8;
  bool batch_norm = true;

  // Per-block choices.
  std::vector<OpKind> ops{OpKind::Mult, OpKind::Shift, OpKind::Adder};
  std::vector<uint32_t> kernels{3, 5};
  std::vector<uint32_t> expansions{1, 3, 6};
  bool skip = true;  // offered only where the block keeps its shape (stride 1, same channels)
  // Weight-bit levels (UDC): level i uses weight_bits[kind][i]; every kind has the same number
  // of levels. Defaults: one level, {mult 8, shift 5, adder 8}.
  std::vector<std::vector<uint32_t>> weight_bits{{8}, {5}, {8}};  // indexed by OpKind
  std::vector<double> sparsity{0.0};  // fractions of zero weights, each in [0, 1)

  TrainingSpec training;
  SearchSettings search;
  HardwareSpec hardware;
  BaselineSpec baselines;

  uint32_t blocks() const;  // searchable blocks over all stages
  uint32_t bit_levels() const { return static_cast<uint32_t>(weight_bits[0].size()); }
};

// Reads and validates a spec; relative paths (hardware.config) resolve against the spec's
// folder, then the source tree. Throws ConfigError.
SearchSpace load_search_space(const std::string& path);
SearchSpace parse_search_space(const std::string& text, const std::string& origin);

// Command-line overrides of a loaded spec (savp nas search), folded into its hash so a
// checkpoint of the spec without them is not resumed with them:
//  - max_weight_bytes >= 0 replaces search.constraints.max_weight_bytes (0: none; < 0: keep);
//  - no_compression: the same search without compression (issue 8's comparison): every kind
//    keeps only its highest bit level and the sparsity choices collapse to {0}, so no candidate
//    is pruned or narrower than the space's widest weights (the platform still stores each
//    layer in its smallest format, e.g. 5-bit shift codes packed at 5 bits).
void apply_overrides(SearchSpace& s, double max_weight_bytes, bool no_compression);

uint64_t fnv1a64(uint64_t h, const std::string& s);  // FNV-1a with a separator byte
inline constexpr uint64_t kFnvBasis = 0xcbf29ce484222325ull;

}  // namespace savp::nas::search
