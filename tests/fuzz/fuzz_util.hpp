// Shared by the libFuzzer targets of tests/fuzz (scripts/fuzz.sh). Every parser of outside
// input must turn bad input into a savp::Error; anything else (a crash, a sanitizer report, an
// exception of another type, an inconsistency a target checks) is a finding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace savp::fuzz {

inline std::string text_of(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// A property the target checks failed: report it the way libFuzzer reports a crash.
[[noreturn]] inline void fail(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "fuzz property violated: %s\n%s\n", what, detail.c_str());
  std::abort();
}

}  // namespace savp::fuzz
