// `savp allocate` as a user runs it (through the binary): the shipped hybrid ResNet-20 within a
// PE budget and an area budget; the written config validates, loads, respects both budgets by
// the platform's area model, and `savp run --hw` simulates the network on it; bad budgets and
// files give one clear message and exit status 1.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "common/energy_table.hpp"
#include "common/hw_config.hpp"
#include "platform/energy_model.hpp"
#include "tests/e2e/savp_cli.hpp"

namespace {

using namespace savp::test;

namespace fs = std::filesystem;
const std::string kNet = kSrc + "/configs/nets/resnet20-hybrid.yaml";
const std::string kHw = kSrc + "/configs/hw/default.yaml";

class AllocateCli : public TempDirTest {
 protected:
  AllocateCli() : TempDirTest("savp_allocate_") {}
};

uint64_t pes(const savp::HwConfig& hw) {
  uint64_t n = 0;
  for (const savp::ChunkConfig& c : hw.chunks) n += uint64_t{c.rows} * c.cols;
  return n;
}

TEST_F(AllocateCli, WritesAConfigThatValidatesAndRuns) {
  const std::string out = path("alloc.yaml");
  Result r = run("allocate --net " + kNet + " --hw " + kHw + " --pe-budget 1024 -o " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  for (const char* s : {"mult0", "shift0", "adder0", "bottleneck", "100.0%", "config: "})
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  const savp::HwConfig hw = savp::load_hw_config(out);
  ASSERT_EQ(hw.chunks.size(), 3u);
  EXPECT_LE(pes(hw), 1024u);
  EXPECT_GT(pes(hw), 768u);  // more than the default's 3 x 16x16: the budget is used
  EXPECT_EQ(hw.name, "default-resnet20-hybrid-pe1024");
  r = run("validate " + out);
  EXPECT_EQ(r.status, 0) << r.out;
  r = run("run --hw " + out + " --net " + kNet + " --timing-only");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("cycles"), std::string::npos) << r.out;
}

TEST_F(AllocateCli, PrintsTheConfigWithoutOutputFile) {
  const Result r = run("allocate --net " + kNet + " --hw " + kHw + " --pe-budget 512");
  ASSERT_EQ(r.status, 0) << r.out;
  const size_t y = r.out.find("# savp allocate");
  ASSERT_NE(y, std::string::npos) << r.out;
  const savp::HwConfig hw = savp::parse_hw_config(r.out.substr(y), path("printed.yaml"));
  EXPECT_LE(pes(hw), 512u);
  EXPECT_EQ(hw.chunks.size(), 3u);
}

// --objective reaches every mapping's tiling search: the energy objective maps each layer for
// less energy at more cycles, so the predicted bottleneck of the same search grows, and the
// config's header records the option.
TEST_F(AllocateCli, ObjectiveIsPassedToTheTilingSearch) {
  auto bottleneck = [](const std::string& out) {
    const size_t at = out.find("bottleneck ", out.find("total: "));
    return at == std::string::npos ? 0ull : std::stoull(out.substr(at + 11));
  };
  const std::string base = "allocate --net " + kNet + " --hw " + kHw + " --pe-budget 1024";
  const Result lat = run(base);
  const Result en = run(base + " --objective energy");
  ASSERT_EQ(lat.status, 0) << lat.out;
  ASSERT_EQ(en.status, 0) << en.out;
  EXPECT_NE(lat.out.find("objective latency"), std::string::npos) << lat.out;
  EXPECT_NE(en.out.find("objective energy"), std::string::npos) << en.out;
  EXPECT_NE(en.out.find("--pe-budget 1024 --objective energy"), std::string::npos) << en.out;
  EXPECT_GT(bottleneck(en.out), bottleneck(lat.out)) << lat.out << "\n" << en.out;
}

TEST_F(AllocateCli, AreaBudgetHoldsByThePlatformsAreaModel) {
  const std::string out = path("area.yaml");
  const double budget = 5.3;  // the default with 16x16 arrays takes about 5.1 mm^2
  const Result r = run("allocate --net " + kNet + " --hw " + kHw +
                       " --pe-budget 4096 --area-budget 5.3 -o " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  const savp::HwConfig hw = savp::load_hw_config(out);
  const savp::EnergyTable et = savp::load_energy_table(hw.energy_table);
  EXPECT_LE(savp::platform_area(hw, et).total_mm2, budget);
  EXPECT_LT(pes(hw), 4096u);  // the area, not the PE budget, binds
}

TEST_F(AllocateCli, DropsChunksTheNetworkDoesNotUse) {
  const std::string out = path("mult.yaml");
  const Result r = run("allocate --net " + kSrc + "/configs/nets/resnet20-mult.yaml --hw " + kHw +
                       " --pe-budget 256 -o " + out);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("dropped (no layer runs on them): shift0, adder0"), std::string::npos)
      << r.out;
  const savp::HwConfig hw = savp::load_hw_config(out);
  ASSERT_EQ(hw.chunks.size(), 1u);
  EXPECT_EQ(hw.chunks[0].name, "mult0");
  EXPECT_EQ(pes(hw), 256u);
}

TEST_F(AllocateCli, BadInputIsOneClearError) {
  const std::string base = "allocate --net " + kNet + " --hw " + kHw;
  // The area with every chunk at the smallest candidate array (4x4), by the platform's model.
  savp::HwConfig smallest = savp::load_hw_config(kHw);
  for (savp::ChunkConfig& c : smallest.chunks) c.rows = c.cols = 4;
  char min_area[64];
  std::snprintf(
      min_area, sizeof min_area, "the platform takes %.3f mm^2",
      savp::platform_area(smallest, savp::load_energy_table(smallest.energy_table)).total_mm2);
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {base + " --pe-budget 0", "--pe-budget must be a positive number of PEs (got 0)"},
      {base + " --pe-budget -8", "--pe-budget must be a positive number of PEs (got -8)"},
      {base + " --pe-budget 40", "give --pe-budget 48 or more"},
      {base + " --pe-budget 1024 --area-budget 0", "--area-budget must be a positive"},
      {base + " --pe-budget 1024 --area-budget 1", min_area},
      {"allocate --net " + path("none.yaml") + " --hw " + kHw + " --pe-budget 64",
       "none.yaml: cannot open the file for reading"},
      {"allocate --net " + kNet + " --hw " + path("none.yaml") + " --pe-budget 64",
       "none.yaml: cannot open the file for reading"},
      {base + " --pe-budget 1024 -o " + path("no/such/dir.yaml"), "cannot write"},
      {base + " --pe-budget 1024 --objective speed",
       "unknown objective 'speed' (allowed: latency, energy, edp)"},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args);
    EXPECT_EQ(r.status, 1) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.args << "\n" << r.out;
  }
}

}  // namespace
