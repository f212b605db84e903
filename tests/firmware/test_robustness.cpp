// Regressions found by the robustness work of issue 6 (tests/fuzz, tests/bad_inputs).
#include <gtest/gtest.h>

#include <string>

#include "common/errors.hpp"
#include "firmware/assembler.hpp"

namespace savp::fw {
namespace {

void expect_asm_error(const std::string& src, const std::string& phrase) {
  try {
    assemble(src, std::string(SAVP_SOURCE_DIR) + "/firmware/examples/x.s");
    ADD_FAILURE() << "expected an error for: " << src;
  } catch (const FirmwareError& e) {
    EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
  }
}

// .incbin of a device used to read until memory ran out (/dev/zero has no end and no file
// size, so the 2^30-byte limit was never checked). Only regular files are read now.
TEST(AssemblerRobustness, IncbinOfADeviceOrFolderIsAnError) {
  expect_asm_error(".incbin 0x1000 \"/dev/zero\"\nhalt\n", "x.s:1:16: '/dev/zero' is not a regular file");
  expect_asm_error(".incbin 0x1000 \"/\"\nhalt\n", "is not a regular file");
  expect_asm_error(".incbin 0x1000 \".\"\nhalt\n", "is not a regular file");
}

}  // namespace
}  // namespace savp::fw
