// The supernet as the search's accuracy provider (nas/search/accuracy.hpp): a candidate's
// accuracy is its inherited subnet's top-1 accuracy (fake-quantized float forward, as part A's
// trainer reports validation accuracy) on the validation split, after BN recalibration
// (recalibrate(): batch-norm statistics and output ranges re-estimated on training batches,
// SPOS / OFA style, since they are per subnet).
#pragma once

#include <string>

#include "nas/data/fashion_mnist.hpp"
#include "nas/search/accuracy.hpp"
#include "nas/supernet/supernet.hpp"

namespace savp::nas::supernet {

class SupernetAccuracy : public search::AccuracyProvider {
 public:
  SupernetAccuracy(Supernet net, const data::Dataset& calibration, const data::Dataset& validation,
                   std::string name, int calibration_batches = 4, int64_t batch = 128)
      : net_(std::move(net)),
        calib_(calibration),
        val_(validation),
        name_(std::move(name)),
        calib_batches_(calibration_batches),
        batch_(batch) {}
  double accuracy(const search::Layout& layout, const search::Candidate& c) override;
  std::string name() const override { return name_; }

 private:
  Supernet net_;
  const data::Dataset& calib_;
  const data::Dataset& val_;
  std::string name_;
  int calib_batches_;
  int64_t batch_;
};

}  // namespace savp::nas::supernet
