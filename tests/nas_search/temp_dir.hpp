// A fresh folder for a test of the search library: <tmp>/<prefix><name>_<pid>, emptied first.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace savp::nas::search::test {

inline std::filesystem::path temp_dir(const std::string& prefix, const std::string& name) {
  namespace fs = std::filesystem;
  fs::path d = fs::temp_directory_path() / (prefix + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

}  // namespace savp::nas::search::test
