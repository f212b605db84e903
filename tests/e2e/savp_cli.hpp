// What the end-to-end tests share: the savp binary and source tree, running savp as a user
// does (through a shell, stdout and stderr together), reading a file whole, and a fixture that
// gives each test an empty folder of its own.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace savp::test {

namespace fs = std::filesystem;

inline const std::string kSavp = std::string(SAVP_BINARY_DIR) + "/app/savp";
inline const std::string kSrc = SAVP_SOURCE_DIR;

struct Result {
  int status;       // the exit status; -1 if savp did not exit normally
  std::string out;  // stdout and stderr together
};

// Runs `savp ARGS` through the shell.
inline Result run(const std::string& args) {
  FILE* p = popen((kSavp + " " + args + " 2>&1").c_str(), "r");
  Result r{-1, ""};
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// A fresh folder per test: <tmp>/<prefix><test name>, removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  explicit TempDirTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           (prefix_ + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // Writes `text` to a file in the folder; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
    return path(name);
  }
  std::string prefix_;
  fs::path dir_;
};

}  // namespace savp::test
