// Helpers shared by the config tests: temporary files and checks that a ConfigError names the
// right file, line, column and field.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/errors.hpp"

namespace savp::testutil {

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    path_ = std::filesystem::temp_directory_path() /
            ("savp_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  // Writes `text` to `rel` (creating folders) and returns the full path.
  std::string write(const std::string& rel, const std::string& text) const {
    std::filesystem::path p = path_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }

 private:
  static int& counter() {
    static int c = 0;
    return c;
  }
  std::filesystem::path path_;
};

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

inline std::string join_lines(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l + "\n";
  return s;
}

// `text` with its 1-based line `n` replaced by `replacement` (which may hold several lines).
inline std::string replace_line(const std::string& text, int n, const std::string& replacement) {
  std::vector<std::string> lines = split_lines(text);
  lines.at(static_cast<size_t>(n - 1)) = replacement;
  return join_lines(lines);
}

// 1-based column of `token` in 1-based line `line` of `text` (0 if absent).
inline int column_of(const std::string& text, int line, const std::string& token) {
  std::vector<std::string> lines = split_lines(text);
  size_t pos = lines.at(static_cast<size_t>(line - 1)).find(token);
  return pos == std::string::npos ? 0 : static_cast<int>(pos) + 1;
}

// Checks a ConfigError's location, field and message.
inline void expect_config_error(const ConfigError& e, const std::string& file, int line, int column,
                                const std::string& field, const std::string& message_part) {
  const std::string what = e.what();
  EXPECT_EQ(e.location().file, file) << what;
  EXPECT_EQ(e.location().line, line) << what;
  EXPECT_EQ(e.location().column, column) << what;
  EXPECT_EQ(e.field(), field) << what;
  std::string loc = file + ":" + std::to_string(line);
  if (column > 0) loc += ":" + std::to_string(column);
  EXPECT_NE(what.find(loc), std::string::npos) << what;
  if (!field.empty()) {
    EXPECT_NE(what.find("'" + field + "'"), std::string::npos) << what;
  }
  EXPECT_NE(what.find(message_part), std::string::npos)
      << "message lacks '" << message_part << "': " << what;
}

}  // namespace savp::testutil
