// How the search learns a candidate's accuracy: the interface the LibTorch supernet implements
// (accuracy of the candidate's path on the validation split). The search library itself has no
// LibTorch; tests and tools plug in any function.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "nas/search/candidate.hpp"

namespace savp::nas::search {

class AccuracyProvider {
 public:
  virtual ~AccuracyProvider() = default;
  // Top-1 accuracy in [0, 1] of the candidate's network (hardware genes do not matter: the
  // search asks once per distinct network and caches the answer, checkpoint included). A value
  // outside [0, 1] or not finite is a savp::Error in the search.
  virtual double accuracy(const Layout& layout, const Candidate& c) = 0;
  // Names the provider in outputs ("supernet:runs/fmnist/supernet.pt", "synthetic").
  virtual std::string name() const = 0;
};

// An AccuracyProvider from a function.
class FunctionAccuracy : public AccuracyProvider {
 public:
  using Fn = std::function<double(const Layout&, const Candidate&)>;
  FunctionAccuracy(std::string name, Fn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  double accuracy(const Layout& layout, const Candidate& c) override { return fn_(layout, c); }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Fn fn_;
};

}  // namespace savp::nas::search
