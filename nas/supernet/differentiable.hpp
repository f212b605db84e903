// The differentiable search mode (FBNet, Wu et al. CVPR 2019; NASA's differentiable search):
// architecture logits alpha[b][j] per searchable block and choice, trained jointly with the
// supernet's weights. Each step draws Gumbel noise per block, takes the hard choice
// j = argmax((alpha + g) / tau) and runs that one path (single-path, straight-through
// Gumbel-softmax: the block's project output is multiplied by a gate equal to 1 in value whose
// gradient is d softmax_j / d alpha), so each step costs one path, not all choices. The loss of
// the architecture step is cross entropy + hw_loss_weight x the expected hardware cost
//     (sum_b sum_j softmax(alpha_b / tau)_j (cycles_bj, energy_bj) + fixed) / (all-first-choice
//     cost),
// the mean of the normalised cycles and energy from part B's platform-measured cost table
// (nas/search/cost_table.hpp). Weights train on training batches (SGD), alpha on validation
// batches (Adam), alternately; tau anneals geometrically from tau_start to tau_end.
// After every epoch the derived candidate (argmax alpha per block) is recorded.
#pragma once

#include <iosfwd>
#include <vector>

#include "nas/data/fashion_mnist.hpp"
#include "nas/search/cost_table.hpp"
#include "nas/supernet/supernet.hpp"

namespace savp::nas::supernet {

struct DifferentiableOptions {
  int epochs = 2;
  double arch_lr = 0.01;
  uint64_t seed = 1;
};

struct DifferentiableResult {
  std::vector<search::Candidate> derived;  // per epoch
  std::vector<std::vector<double>> probs;  // final softmax(alpha) per block
  std::vector<double> expected_cost;       // per epoch: the normalised expected cost
};

DifferentiableResult run_differentiable(Supernet& net, const search::CostTable& table,
                                        const data::Dataset& train_set,
                                        const data::Dataset& val_set,
                                        const DifferentiableOptions& o, std::ostream& log);

}  // namespace savp::nas::supernet
