// Regressions from the bad-input work of issue 6: a config error is one line ("Errors are one
// line on stderr", README) and quotes at most a short part of a bad value, whatever the file.
#include <gtest/gtest.h>

#include <string>

#include "common/errors.hpp"
#include "common/hw_config.hpp"

namespace savp {
namespace {

std::string config_error(const std::string& yaml) {
  try {
    parse_hw_config(yaml, "t.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a ConfigError for:\n" << yaml;
  return "";
}

TEST(ErrorMessages, ControlCharactersAreEscapedSoTheMessageIsOneLine) {
  ConfigError e({"f.yaml", 2, 3}, "x", "got 'a\nb\tc\x1b[31m'", "1..2");
  EXPECT_EQ(std::string(e.what()), "f.yaml:2:3: field 'x': got 'a\\nb\\tc\\x1b[31m' (allowed: 1..2)");
}

TEST(ErrorMessages, ABlockScalarValueIsQuotedOnOneLine) {
  // A literal block scalar used to put its newlines into the message.
  const std::string m = config_error("clock_mhz: |\n  fast\n  slow\n");
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  EXPECT_NE(m.find("t.yaml:1:12: field 'clock_mhz': expected a finite number, got 'fast\\nslow\\n'"),
            std::string::npos)
      << m;
}

TEST(ErrorMessages, ALongValueIsQuotedShortened) {
  const std::string m = config_error("clock_mhz: " + std::string(100000, 'x') + "\n");
  EXPECT_LT(m.size(), 300u) << m.substr(0, 300);
  EXPECT_NE(m.find("got '" + std::string(64, 'x') + "...' (100000 characters)"), std::string::npos)
      << m.substr(0, 300);
}

}  // namespace
}  // namespace savp
