#include "nas/supernet/accuracy.hpp"

#include "nas/export/export.hpp"

namespace savp::nas::supernet {

double SupernetAccuracy::accuracy(const search::Layout& layout, const search::Candidate& c) {
  search::check_candidate(layout, c);
  quant::QatNet sub = net_->subnet(c);
  recalibrate(sub, calib_, batch_, calib_batches_);
  return exporting::accuracy(exporting::float_predictions(sub, val_, batch_), val_);
}

}  // namespace savp::nas::supernet
