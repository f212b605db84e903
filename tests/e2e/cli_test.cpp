// The savp command line as a user runs it: every subcommand of the platform issue, the
// shipped examples end to end, and bad input giving one clear message and exit status 1.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/e2e/savp_cli.hpp"

namespace {

using namespace savp::test;

namespace fs = std::filesystem;

class Cli : public TempDirTest {
 protected:
  Cli() : TempDirTest("savp_cli_") {}
};

TEST_F(Cli, ValidatesTheShippedConfigs) {
  for (const char* cfg : {"default", "edge-small", "hbm-large"}) {
    Result r = run("validate " + kSrc + "/configs/hw/" + cfg + ".yaml");
    EXPECT_EQ(r.status, 0) << r.out;
    EXPECT_NE(r.out.find("valid"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("area"), std::string::npos) << r.out;
  }
}

TEST_F(Cli, EveryExampleAssemblesRoundTripsAndSimulates) {
  for (const char* ex : {"conv_mult", "conv_shift", "conv_adder", "double_buffer"}) {
    SCOPED_TRACE(ex);
    std::string img = path(std::string(ex) + ".img");
    Result a = run("asm " + kSrc + "/firmware/examples/" + ex + ".s -o " + img);
    ASSERT_EQ(a.status, 0) << a.out;
    // disasm prints a source that assembles to the identical image.
    Result d = run("disasm " + img);
    ASSERT_EQ(d.status, 0) << d.out;
    std::string src2 = write(std::string(ex) + "_2.s", d.out);
    std::string img2 = path(std::string(ex) + "_2.img");
    ASSERT_EQ(run("asm " + src2 + " -o " + img2).status, 0);
    std::ifstream f1(img, std::ios::binary), f2(img2, std::ios::binary);
    std::string b1((std::istreambuf_iterator<char>(f1)), {}), b2((std::istreambuf_iterator<char>(f2)), {});
    EXPECT_EQ(b1, b2);

    std::string rep = path(std::string(ex) + ".json");
    Result s = run("sim --hw " + kSrc + "/configs/hw/default.yaml --image " + img + " --report " + rep);
    ASSERT_EQ(s.status, 0) << s.out;
    EXPECT_NE(s.out.find("energy by component"), std::string::npos) << s.out;
    EXPECT_NE(s.out.find("DRAM LPDDR4-3200"), std::string::npos) << s.out;
    nlohmann::json j = nlohmann::json::parse(std::ifstream(rep));
    EXPECT_EQ(j["schema_version"], 1);
    EXPECT_GT(j["cycles"].get<uint64_t>(), 0u);
    EXPECT_GT(j["energy"]["total_pj"].get<double>(), 0.0);
    EXPECT_EQ(j["engines"].size(), 5u);  // two DMA queues + three chunks
    EXPECT_EQ(j["buffers"].size(), 10u);
    EXPECT_GT(j["dram"]["read_bytes"].get<uint64_t>(), 0u);
    EXPECT_GT(j["simulator"]["transactions"].get<uint64_t>(), 0u);
    double sum = 0;
    for (auto& [k, v] : j["energy"]["by_component_pj"].items()) sum += v.get<double>();
    EXPECT_NEAR(sum, j["energy"]["total_pj"].get<double>(), 1e-6 * sum);

    // Timing-only runs take exactly as long as functional ones.
    Result t = run("sim --hw " + kSrc + "/configs/hw/default.yaml --image " + img +
                   " --timing-only --json");
    ASSERT_EQ(t.status, 0) << t.out;
    EXPECT_EQ(nlohmann::json::parse(t.out)["cycles"], j["cycles"]);
  }
}

TEST_F(Cli, BadConfigNamesFileLineColumnAndField) {
  std::string cfg = write("bad.yaml",
                          "name: bad\n"
                          "clock_mhz: 500\n"
                          "chunks:\n"
                          "  - {name: m0, kind: mult, rows: 0, cols: 16, ibuf: {capacity_bytes: 65536},"
                          " wbuf: {capacity_bytes: 65536}, obuf: {capacity_bytes: 65536}}\n"
                          "global_buffer: {capacity_bytes: 262144}\n"
                          "dram: {preset: DDR4-2400}\n");
  Result r = run("validate " + cfg);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("bad.yaml:4:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rows"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("internal error"), std::string::npos) << r.out;
}

TEST_F(Cli, UnknownDramPresetListsTheAllowedOnes) {
  std::string text;
  std::ifstream f(kSrc + "/configs/hw/default.yaml");
  text.assign(std::istreambuf_iterator<char>(f), {});
  size_t at = text.find("LPDDR4-3200");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 11, "DDR9-9999");
  // Keep the energy table resolvable from the temporary folder.
  std::string cfg = write("preset.yaml", text);
  Result r = run("validate " + cfg);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("DDR9-9999"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("DDR4-2400"), std::string::npos) << r.out;  // listed as allowed
}

TEST_F(Cli, CorruptAndTruncatedImagesAreRejected) {
  std::string img = path("x.img");
  ASSERT_EQ(run("asm " + kSrc + "/firmware/examples/conv_mult.s -o " + img).status, 0);
  std::ifstream f(img, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), {});
  std::ofstream(path("trunc.img"), std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  std::string flipped = bytes;
  flipped[100] ^= 0x5a;
  std::ofstream(path("flip.img"), std::ios::binary) << flipped;
  for (const char* name : {"trunc.img", "flip.img"}) {
    Result r = run("sim --hw " + kSrc + "/configs/hw/default.yaml --image " + path(name));
    EXPECT_EQ(r.status, 1) << r.out;
    EXPECT_NE(r.out.find(name), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("internal error"), std::string::npos) << r.out;
  }
  Result m = run("disasm " + path("missing.img"));
  EXPECT_EQ(m.status, 1) << m.out;
}

TEST_F(Cli, DeadlockedFirmwareStopsWithEngineStatesAndNoReport) {
  std::string src = write("dead.s",
                          "nop chunk0 wait=load\n"
                          "halt\n");
  std::string img = path("dead.img");
  ASSERT_EQ(run("asm " + src + " -o " + img).status, 0);
  std::string rep = path("dead.json");
  Result r = run("sim --hw " + kSrc + "/configs/hw/default.yaml --image " + img + " --report " + rep);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("deadlock"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("waiting for a token from dma_load at instruction 0x0"), std::string::npos)
      << r.out;
  EXPECT_FALSE(fs::exists(rep));
}

TEST_F(Cli, AssemblyErrorsPointAtTheToken) {
  std::string src = write("bad.s", "load src=0 dst=GLB rows=1 row_bytes=64\nfrobnicate x\n");
  Result r = run("asm " + src + " -o " + path("bad.img"));
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("bad.s:2:1"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(path("bad.img")));
}

TEST_F(Cli, UsageErrorsExitNonZero) {
  EXPECT_NE(run("").status, 0);
  EXPECT_NE(run("sim --image x.img").status, 0);  // --hw is required
  EXPECT_NE(run("nonsense").status, 0);
}

// `savp nas ...` runs the savp-nas executable (the only one linking LibTorch) with the same
// arguments; a build without it says what is missing instead of "unknown subcommand".
TEST_F(Cli, NasCommandsRunInSavpNasOrSayWhatIsMissing) {
  const bool with_torch = fs::exists(std::string(SAVP_BINARY_DIR) + "/app/savp-nas");
  Result help = run("nas --help");
  Result bad = run("nas frobnicate");
  if (with_torch) {
    EXPECT_EQ(help.status, 0) << help.out;
    for (const char* sub : {"train", "export", "search"})
      EXPECT_NE(help.out.find(sub), std::string::npos) << help.out;
    EXPECT_NE(bad.status, 0);
    EXPECT_NE(bad.out.find("Run with --help"), std::string::npos) << bad.out;
  } else {
    for (const Result& r : {help, bad}) {
      EXPECT_EQ(r.status, 1) << r.out;
      EXPECT_NE(r.out.find("needs the LibTorch NAS frontend"), std::string::npos) << r.out;
    }
  }
  Result top = run("--help");
  EXPECT_NE(top.out.find("nas"), std::string::npos) << "savp --help lists nas: " << top.out;
}

}  // namespace
