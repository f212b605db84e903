// Classifying a dataset on the virtual platform (issue 4: `savp run --dataset`), torch-free
// (target savp_nas_deploy, built in every configuration). One long-lived Platform runs one
// firmware image per batch of images (mapper::generate with a vector of inputs: NASA's chunk
// pipeline, up to mapper::kMaxBatch inputs per image); each image's class is the FIRST maximum
// of the output layer's int8 activations read back from the platform's DRAM, the rule of the
// LibTorch integer inference (nas/quant/int_inference.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "mapper/codegen.hpp"
#include "mapper/quantized_network.hpp"
#include "nas/data/fashion_mnist.hpp"

namespace savp::nas::deploy {

struct ClassifyOptions {
  uint32_t batch = 32;  // images per firmware image (1..mapper::kMaxBatch)
  mapper::Objective objective = mapper::Objective::Latency;
  // Also compare every layer of every image bit-exact with mapper::run_reference (slow).
  bool functional_check = false;
};

struct ClassifyResult {
  std::vector<int> predictions;  // per image
  size_t correct = 0;
  uint64_t cycles = 0;        // summed over the firmware images
  double latency_us = 0;      // summed
  double energy_pj = 0;       // summed
  size_t firmware_images = 0;
  double wall_s = 0;          // simulation wall time, summed
  double accuracy(size_t n) const { return n ? static_cast<double>(correct) / n : 0.0; }
};

// The class of an output vector: the index of its first maximum.
int argmax_first(const std::vector<uint8_t>& int8_bytes);

// Runs every image of `d` (nas/data's input rule at the network input's act_bits). Throws
// savp::Error if the network's input is not d's image shape, or on a functional mismatch.
ClassifyResult classify_on_platform(const mapper::QuantizedNetwork& q, const HwConfig& hw,
                                    const EnergyTable& et, const data::Dataset& d,
                                    const ClassifyOptions& o,
                                    const std::function<void(size_t done)>& progress = {});

// export.json (nas/export/export.hpp) as far as `savp run --dataset` needs it.
struct ExportInfo {
  bool found = false;
  std::string path;
  std::string split;              // the split it scored ("test")
  size_t images = 0;
  size_t int_correct = 0;
  double int_accuracy = 0;
  std::vector<int> int_predictions;  // per image of that split, in file order
};
// Reads `path` if it exists (found = false otherwise); a malformed file is a savp::Error.
ExportInfo read_export_info(const std::string& path);

}  // namespace savp::nas::deploy
