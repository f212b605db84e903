// Progressive supernet pretraining (NASA, Shi et al. ICCAD 2022, sec. 3.2): the phases of the
// spec's training section in order, e.g. mult + shift first, then the adders with the others
// frozen, then everything jointly. In a phase, each batch trains one sampled path (single-path
// one-shot): block operators drawn from the phase's train + frozen kinds (or skip), and only
// the parameters of the train kinds (Supernet::parameters_for) are updated; the loss is cross
// entropy + kl_weight x the maps' KL terms. SGD with momentum, cosine learning rate over all
// epochs, the spec's batch size, lr, momentum and weight decay.
//
// OUT/supernet.pt      checkpoint after every epoch (atomic): model, optimizer, epoch, the
//                      spec's hash, the options, the history
// OUT/pretrain.json    per-epoch log: phase, loss, KL, train accuracy of the sampled paths
// A run started again with the same OUT resumes after the last finished epoch; a checkpoint of
// another spec or options, or a corrupt one, is a savp::Error naming the file.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "nas/data/fashion_mnist.hpp"
#include "nas/supernet/supernet.hpp"

namespace savp::nas::supernet {

struct PretrainOptions {
  double kl_weight = 0.01;   // weight of the maps' KL terms in the loss
  double epoch_scale = 1.0;  // every phase runs max(1, round(epochs x scale)) epochs
  uint64_t seed = 1;         // path sampling and batch order
  int stop_after = 0;        // > 0: return after this many epochs of this run (tests: a kill)
};

struct PretrainSummary {
  int epochs = 0;  // the schedule's total
  int epochs_done = 0;
  int resumed_from = 0;  // epochs in the checkpoint when this run started
  double seconds = 0;
  double last_loss = 0;
};

// The schedule's per-phase epoch counts after epoch_scale.
std::vector<int> phase_epochs(const search::SearchSpace& space, const PretrainOptions& o);

PretrainSummary pretrain(Supernet& net, const data::Dataset& train_set, const std::string& out_dir,
                         const PretrainOptions& o, std::ostream& log);

}  // namespace savp::nas::supernet
