// The trainer (issue 4, "Training"): quantization-aware training of a QatNet on Fashion-MNIST's
// train split, SGD with momentum (or Adam) and a cosine learning rate over the epochs, AdderNet's
// adaptive learning rate on adder weights; a checkpoint after every epoch, written atomically,
// from which a killed run resumes (same network, same options).
//
// Layers with a `sparsity` target (issue 8) are pruned gradually by weight magnitude on Zhu &
// Gupta's cubic schedule ("To prune, or not to prune", 2017, eq. 1): after training step t the
// layer's sparsity is s * (1 - (1 - p)^3), p = (t + 1 - t0) / (t1 - t0) clamped to [0, 1], t0 and
// t1 the steps at prune_start and prune_end (fractions of all steps); from t1 on the full target
// holds and the remaining steps fine-tune the kept weights. Masks (QatNet::prune) keep pruned
// weights at exactly zero; they are part of the checkpoint. Weight bit widths train through the
// QAT forward (nas/quant/qat_net.hpp).
//
// OUT/net.yaml        the network's YAML text (what `savp nas export` exports)
// OUT/checkpoint.pt   model, optimizer, epoch, network text and options (torch archive)
// OUT/train.json      per-epoch log: loss, train accuracy, validation accuracy (float
//                     fake-quantized forward), seconds, images/s
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "nas/data/fashion_mnist.hpp"
#include "nas/quant/qat_net.hpp"

namespace savp::nas::train {

struct TrainOptions {
  int epochs = 8;
  int64_t batch_size = 128;
  double lr = 0.05;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  std::string optimizer = "sgd";  // sgd | adam
  double adder_eta = 0.1;         // AdderNet eq. 7's eta
  uint64_t seed = 1;
  size_t train_limit = 0;  // 0: the whole train split; else its first N images
  size_t val_limit = 0;
  int threads = 0;          // 0: every core (std::thread::hardware_concurrency)
  std::string data_dir;     // empty: nas::data::default_dir()
  double prune_start = 0.0;  // sparse layers: the schedule's start and end, fractions of all
  double prune_end = 0.75;   // training steps, 0 <= start < end <= 1
  int stop_after = 0;       // > 0: return after this many epochs of this run (as a kill would;
                            // tests), the checkpoint written
};

// --quick: a 6,000-image subset, 2 epochs, 1,000 validation images.
TrainOptions quick_options(TrainOptions o);

struct TrainSummary {
  int epochs_done = 0;
  int resumed_from = 0;  // epochs already in the checkpoint when this run started
  double val_accuracy = 0;
  double seconds = 0;
  double images_per_s = 0;
};

// Trains (or resumes) into out_dir. Throws savp::Error on a corrupt checkpoint or one written
// for another network or other options.
TrainSummary train(const std::string& net_yaml_text, const std::string& origin,
                   const std::string& out_dir, const TrainOptions& o, std::ostream& log);

// Loads OUT/net.yaml and the model of OUT/checkpoint.pt (for export).
struct Trained {
  std::string net_yaml_text;
  quant::QatNet model{nullptr};
  int epochs = 0;
};
Trained load_trained(const std::string& out_dir);

// Sets at::set_num_threads (0: all cores); returns the count.
int set_threads(int threads);

}  // namespace savp::nas::train
