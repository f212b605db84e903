// Export of a trained QatNet (issue 4: `savp nas export`): the network description, its integer
// parameters and the LibTorch integer accuracy, for `savp run --dataset`.
//
// DIR2/net.yaml     the network description (the trained network's YAML text, checked by
//                   mapper::load_network after writing)
// DIR2/weights.bin  mapper::save_weights (format v1, configs/nets/README.md)
// DIR2/export.json  {"network", "split": "test", "test_images", "int_accuracy", "int_correct",
//                   "int_predictions" (the class of each test image, in file order),
//                   "float_accuracy", "input_rule", "argmax", "source", "weights": per
//                   conv / linear layer {name, op, weight_bits, count, zeros, sparsity
//                   (the zeros' fraction), sparsity_target (net.yaml's)}}: int_accuracy is the
//                   accuracy of the LibTorch integer inference (nas/quant/int_inference.hpp)
//                   on the test split; `savp run --dataset test` on the platform must
//                   reproduce it exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mapper/quantized_network.hpp"
#include "nas/data/fashion_mnist.hpp"
#include "nas/quant/qat_net.hpp"

namespace savp::nas::exporting {

// Predicted classes of the LibTorch integer inference for every image of `d`, in batches.
std::vector<int> int_predictions(const mapper::QuantizedNetwork& q, const data::Dataset& d,
                                 int64_t batch = 256);
// Predicted classes of the fake-quantized float forward (eval mode).
std::vector<int> float_predictions(quant::QatNet& model, const data::Dataset& d,
                                   int64_t batch = 256);
// Fraction of predictions equal to the labels.
double accuracy(const std::vector<int>& pred, const data::Dataset& d);

struct ExportSummary {
  size_t test_images = 0;
  size_t int_correct = 0;
  double int_accuracy = 0, float_accuracy = 0;
  uint64_t weights = 0, zero_weights = 0;  // over conv / linear layers, the exported integers
};

// Writes the three files into out_dir (created if needed); `source` names where the model came
// from (export.json). The model is put in eval mode.
ExportSummary export_model(quant::QatNet& model, const std::string& net_yaml_text,
                           const data::Dataset& test, const std::string& out_dir,
                           const std::string& source);

}  // namespace savp::nas::exporting
