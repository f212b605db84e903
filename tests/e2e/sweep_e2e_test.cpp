// savp sweep / savp pareto as a user runs them (issue 7): a shipped sweep end to end, and bad
// input giving one clear message, exit status 1 and nothing lost.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/savp_cli.hpp"

namespace {

using namespace savp::test;

namespace fs = std::filesystem;

class SweepCli : public TempDirTest {
 protected:
  SweepCli() : TempDirTest("savp_sweepcli_") {}
  std::string spec(const std::string& name, const std::string& params,
                   const std::string& extra = "") {
    const std::string p = path(name);
    std::ofstream(p) << "base: " << kSrc << "/configs/hw/default.yaml\nnetworks: [" << kSrc
                     << "/configs/nets/fmnist-hybrid.yaml]\nparameters:\n"
                     << params << extra;
    return p;
  }
};

TEST_F(SweepCli, ShippedDramSweepAndItsParetoFront) {
  const std::string db = path("dram.db"), csv = path("front.csv");
  Result r = run("sweep " + kSrc + "/configs/sweeps/dram-standards.yaml --db " + db + " -j 2");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("12 points sampled (grid), 0 rejected by the constraints, 0 already in the "
                       "database, 12 run now x 2 networks"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos)
      << "no progress line when stdout is not a terminal";
  r = run("pareto " + db + " --x latency_ms --y energy_uj --csv " + csv);
  ASSERT_EQ(r.status, 0) << r.out;
  // Parse the CSV: network, point, latency, energy, params.
  std::istringstream in(slurp(csv));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "network,point_id,latency_ms,energy_uj,params");
  struct Row {
    std::string net;
    double x, y;
  };
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string net, pt, x, y;
    std::getline(ls, net, ',');
    std::getline(ls, pt, ',');
    std::getline(ls, x, ',');
    std::getline(ls, y, ',');
    rows.push_back({net, std::stod(x), std::stod(y)});
  }
  ASSERT_GE(rows.size(), 2u);
  EXPECT_NE(r.out.find(std::to_string(rows.size()) + " non-dominated rows"), std::string::npos)
      << r.out;
  bool nets[2] = {false, false};
  for (const Row& a : rows) {
    nets[a.net == "resnet20-hybrid" ? 0 : 1] = true;
    for (const Row& b : rows) {
      if (a.net != b.net) continue;
      EXPECT_FALSE(b.x <= a.x && b.y <= a.y && (b.x < a.x || b.y < a.y))
          << "a dominated row in the front";
    }
  }
  EXPECT_TRUE(nets[0] && nets[1]) << "a front for each network";
  // Latency falls with the clock along the front: the fastest row is the one of least latency.
  r = run("pareto " + db + " --x latency_ms --y area_mm2 --z energy_uj --network fmnist-hybrid");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("minimising latency_ms, area_mm2, energy_uj"), std::string::npos) << r.out;
}

TEST_F(SweepCli, ProgressLineOnATerminalOnly) {
  // script(1) (util-linux, essential on Debian) runs the sweep with stdout on a pseudo-terminal.
  const std::string sp =
      spec("p.yaml", "  - {path: clock_mhz, range: {min: 100, max: 1000, step: 100}}\n");
  FILE* p = popen(
      ("script -qec '" + kSavp + " sweep " + sp + " --db " + path("p.db") + "' /dev/null 2>&1")
          .c_str(),
      "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  EXPECT_EQ(pclose(p), 0) << out;
  EXPECT_NE(out.find("\r10/10 points"), std::string::npos) << out;  // the last redraw: all done
  EXPECT_NE(out.find("points/s  ETA"), std::string::npos) << out;
  // Not a terminal: no progress line, only the summary.
  Result r = run("sweep " + sp + " --db " + path("q.db"));
  EXPECT_EQ(r.out.find("ETA"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("10 run now x 1 networks"), std::string::npos) << r.out;
}

TEST_F(SweepCli, ConstraintsThatRejectEverything) {
  const std::string db = path("x.db");
  Result r = run("sweep " +
                 spec("s.yaml", "  - {path: clock_mhz, values: [400, 500]}\n",
                      "constraints: [\"area_mm2 <= 0.5\"]\n") +
                 " --db " + db);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("the constraints reject all 2 points"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("'area_mm2 <= 0.5' at " + path("s.yaml") + ":5:"), std::string::npos)
      << r.out;  // its line
  EXPECT_NE(r.out.find("area_mm2 ranges"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(db)) << "nothing written";
}

TEST_F(SweepCli, UnknownPathAndEmptyGrid) {
  Result r = run("sweep " + spec("s.yaml", "  - {path: global_buffer.capacity, values: [1]}\n") +
                 " --db " + path("x.db"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find(path("s.yaml") + ":4:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no field 'global_buffer.capacity'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("capacity_bytes"), std::string::npos) << r.out;
  r = run("sweep " + spec("e.yaml", "  - {path: clock_mhz, values: []}\n") + " --db " +
          path("x.db"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("empty value list"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(path("x.db")));
}

TEST_F(SweepCli, AnotherSweepsDatabaseAndReadOnlyDatabaseLoseNothing) {
  const std::string db = path("a.db");
  Result r =
      run("sweep " + spec("a.yaml", "  - {path: clock_mhz, values: [400, 500]}\n") + " --db " + db);
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string front = run("pareto " + db).out;
  r = run("sweep " + spec("b.yaml", "  - {path: clock_mhz, values: [300]}\n") + " --db " + db);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("holds another sweep"), std::string::npos) << r.out;
  EXPECT_EQ(run("pareto " + db).out, front);
  fs::permissions(db, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const std::string bytes = slurp(db);
  r = run("sweep " + path("a.yaml") + " --db " + db);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("is read-only"), std::string::npos) << r.out;
  EXPECT_EQ(slurp(db), bytes);
  EXPECT_EQ(run("pareto " + db).out, front) << "a read-only database still reads";
}

TEST_F(SweepCli, ParetoBadInput) {
  Result r = run("pareto " + path("none.db"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("no such file"), std::string::npos) << r.out;
  const std::string db = path("a.db");
  ASSERT_EQ(run("sweep " + spec("a.yaml", "  - {path: clock_mhz, values: [500]}\n") + " --db " + db)
                .status,
            0);
  r = run("pareto " + db + " --x speed");
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("unknown figure 'speed' (allowed: cycles, latency_ms"), std::string::npos)
      << r.out;
  std::ofstream(path("text.db")) << "not a database at all, but long enough to have a header";
  r = run("pareto " + path("text.db"));
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("not a"), std::string::npos) << r.out;
}

}  // namespace
