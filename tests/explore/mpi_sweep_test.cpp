// mpirun -np 2 savp sweep: the ranks store exactly the rows of a -j 1 run in one database, and
// a rank killed mid-sweep loses nothing stored: rerunning the same command finishes the sweep.
// Skipped only in a build without MPI (no libopenmpi-dev) or without mpirun on the PATH.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sweep_process_util.hpp"

namespace {

namespace fs = std::filesystem;
using namespace savp_test;

// mpirun on this machine only: shared-memory and self transports (no network probing), root
// allowed (containers and CI run as root), more ranks than cores allowed, ranks not pinned to
// cores (a shared machine's busy core would hold a pinned rank back).
const std::string kMpirun =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe --bind-to "
    "none "
    "--mca btl self,vader --mca btl_vader_single_copy_mechanism none -np 2 ";

class MpiSweep : public ::testing::Test {
 protected:
  void SetUp() override {
#ifndef SAVP_WITH_MPI
    GTEST_SKIP() << "this build has no MPI (install libopenmpi-dev: scripts/setup.sh)";
#endif
    if (std::system("command -v mpirun > /dev/null 2>&1") != 0)
      GTEST_SKIP() << "mpirun is not installed (openmpi-bin: scripts/setup.sh)";
    dir_ = fs::temp_directory_path() /
           ("savp_mpi_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    spec_ = (dir_ / "spec.yaml").string();
    db_ = (dir_ / "r.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string spec_, db_;
};

const std::string kRowsQuery =
    "SELECT point_id, network, status, cycles, energy_uj, dram_row_hits, params FROM results "
    "ORDER BY point_id, network";

TEST_F(MpiSweep, TwoRanksStoreWhatOneProcessStores) {
  std::ofstream(spec_) << clock_spec("mpi-test", 20);
  int st = 0;
  std::string out = run_savp("sweep " + spec_ + " --db " + db_ + " -j 1", &st);
  ASSERT_EQ(st, 0) << out;
  const std::string db2 = (dir_ / "mpi.db").string();
  out = run_savp("sweep " + spec_ + " --db " + db2, &st, kMpirun);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("20 run now x 2 networks"), std::string::npos) << out;
  EXPECT_NE(out.find("2 MPI ranks"), std::string::npos) << out;
  // Rank 0 alone reports.
  EXPECT_EQ(out.find("results: "), out.rfind("results: ")) << out;
  const std::string one = text_query(db_, kRowsQuery), two = text_query(db2, kRowsQuery);
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), 40);
  EXPECT_EQ(one, two);
  // Rerun under mpirun: nothing left to do.
  out = run_savp("sweep " + spec_ + " --db " + db2, &st, kMpirun);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("20 already in the database, 0 run now"), std::string::npos) << out;
}

TEST_F(MpiSweep, BadSpecIsReportedOnceAndNothingWritten) {
  std::ofstream(spec_) << "parameters:\n  - {path: clock_mhz, values: []}\n";
  int st = 0;
  const std::string out = run_savp("sweep " + spec_ + " --db " + db_, &st, kMpirun);
  EXPECT_NE(st, 0) << out;
  const size_t first = out.find("savp: error: ");
  ASSERT_NE(first, std::string::npos) << out;
  EXPECT_EQ(out.find("savp: error: ", first + 1), std::string::npos) << "reported twice: " << out;
  EXPECT_FALSE(fs::exists(db_));
}

// The pid of the rank `rank` among the children of mpirun `parent` (its environment names it).
pid_t find_rank(pid_t parent, int rank) {
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(e.path() / "stat");
    std::string pid, comm, state;
    long ppid = 0;
    stat >> pid >> comm >> state >> ppid;
    if (ppid != parent) continue;
    const std::string env = slurp((e.path() / "environ").string());
    if (env.find(std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank) + '\0') !=
        std::string::npos)
      return static_cast<pid_t>(std::stol(name));
  }
  return -1;
}

TEST_F(MpiSweep, ARankKilledMidSweepLosesNothingAndARerunFinishes) {
  std::ofstream(spec_) << clock_spec("mpi-kill", 100);
  const std::string cmd = kMpirun + kSavp + " sweep " + spec_ + " --db " + db_ + " > " +
                          (dir_ / "out.txt").string() + " 2>&1";
  pid_t shell = fork();
  if (shell == 0) {
    // `exec env`: the shell, then env, become mpirun, so `shell` is mpirun's pid.
    execl("/bin/sh", "sh", "-c", ("exec env " + cmd).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (query(db_, "SELECT count(*) FROM results") < 20 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const pid_t rank1 = find_rank(shell, 1);
  if (rank1 <= 0) kill(shell, SIGKILL);  // (no orphan on failure)
  EXPECT_GT(rank1, 0) << "rank 1 not found among mpirun's children: "
                      << slurp((dir_ / "out.txt").string());
  if (rank1 > 0) kill(rank1, SIGKILL);
  int st = 0;
  waitpid(shell, &st, 0);
  EXPECT_FALSE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "mpirun reported success";
  const long long stored = query(db_, "SELECT count(*) FROM results");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(query(db_, "SELECT count(*) FROM results"), stored) << "a rank outlived mpirun";
  ASSERT_LT(stored, 200) << "the sweep finished before the kill";
  EXPECT_EQ(stored % 2, 0) << "whole points only";
  const std::string out = run_savp("sweep " + spec_ + " --db " + db_, &st, kMpirun);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find(std::to_string(stored / 2) + " already in the database, " +
                     std::to_string(100 - stored / 2) + " run now"),
            std::string::npos)
      << out;
  EXPECT_EQ(query(db_, "SELECT count(*) FROM results"), 200);
  EXPECT_EQ(query(db_, "SELECT count(*) FROM (SELECT DISTINCT point_id, network FROM results)"),
            200);
  EXPECT_EQ(query(db_, "SELECT count(*) FROM results WHERE status = 'ok' AND cycles > 0"), 200);
  EXPECT_EQ(text_query(db_, "PRAGMA integrity_check"), "ok\n");
}

}  // namespace
