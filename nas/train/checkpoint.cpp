#include "nas/train/checkpoint.hpp"

#include <fmt/format.h>

#include "common/errors.hpp"

namespace savp::nas::train {

void open_checkpoint(torch::serialize::InputArchive& a, const std::string& path) {
  try {
    a.load_from(path);
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    throw Error(fmt::format("{}: corrupt checkpoint (cannot be read as a torch archive: {})",
                            path, what.substr(0, what.find('\n'))));
  }
}

}  // namespace savp::nas::train
