// savp sweep as a process: killed with SIGKILL mid-way and rerun, it finishes without redoing
// completed points and without duplicate or corrupt rows; -j 2 stores the same results as -j 1.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "sweep_process_util.hpp"

namespace {

namespace fs = std::filesystem;
using namespace savp_test;

// 100 clock frequencies x 2 networks = 200 rows, a few seconds of simulation on one core.
const std::string kSpec = clock_spec("resume-test", 100);
constexpr int kRows = 200;

std::string run(const std::string& args, int* status) { return run_savp(args, status); }

class SweepProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("savp_sweep_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    spec_ = (dir_ / "spec.yaml").string();
    std::ofstream(spec_) << kSpec;
    db_ = (dir_ / "r.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Starts `savp sweep` and SIGKILLs it once the database holds at least `rows` rows.
  long long start_and_kill(const std::string& jobs, long long rows) {
    pid_t pid = fork();
    if (pid == 0) {
      freopen("/dev/null", "w", stdout);
      execl(kSavp.c_str(), kSavp.c_str(), "sweep", spec_.c_str(), "--db", db_.c_str(), "-j",
            jobs.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (query(db_, "SELECT count(*) FROM results") < rows &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    kill(pid, SIGKILL);
    int st = 0;
    waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFSIGNALED(st)) << "the sweep finished before it could be killed";
    // Workers die with the sweep: the row count stays put.
    const long long after = query(db_, "SELECT count(*) FROM results");
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    EXPECT_EQ(query(db_, "SELECT count(*) FROM results"), after) << "a worker outlived the sweep";
    return after;
  }

  void expect_complete_and_clean() {
    EXPECT_EQ(query(db_, "SELECT count(*) FROM results"), kRows);
    EXPECT_EQ(query(db_, "SELECT count(*) FROM (SELECT DISTINCT point_id, network FROM results)"),
              kRows);
    EXPECT_EQ(query(db_, "SELECT count(DISTINCT point_id) FROM results"), kRows / 2);
    EXPECT_EQ(query(db_,
                    "SELECT count(*) FROM results WHERE status = 'ok' AND cycles > 0 AND "
                    "energy_uj > 0 AND config LIKE '{%'"),
              kRows);
    EXPECT_EQ(text_query(db_, "PRAGMA integrity_check"), "ok\n");
  }
  fs::path dir_;
  std::string spec_, db_;
};

TEST_F(SweepProcess, KilledAndRerunFinishesWithoutDuplicates) {
  const long long killed_at = start_and_kill("1", 20);
  ASSERT_GE(killed_at, 20);
  ASSERT_LT(killed_at, kRows);
  EXPECT_EQ(killed_at % 2, 0) << "a point's rows are written together";
  const std::string before =
      text_query(db_, "SELECT rowid, point_id, network, cycles FROM results ORDER BY rowid");
  int status = 0;
  const std::string out = run("sweep " + spec_ + " --db " + db_, &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find(std::to_string(killed_at / 2) + " already in the database"), std::string::npos)
      << out;
  EXPECT_NE(out.find(std::to_string(100 - killed_at / 2) + " run now"), std::string::npos) << out;
  expect_complete_and_clean();
  // The rows from before the kill are the same rows: not recomputed, not rewritten.
  const std::string after =
      text_query(db_, "SELECT rowid, point_id, network, cycles FROM results ORDER BY rowid");
  EXPECT_EQ(after.substr(0, before.size()), before);
  // A third run has nothing to do.
  const std::string again = run("sweep " + spec_ + " --db " + db_, &status);
  EXPECT_NE(again.find("100 already in the database, 0 run now"), std::string::npos) << again;
}

TEST_F(SweepProcess, KilledWithWorkersAndRerunWithWorkers) {
  const long long killed_at = start_and_kill("2", 20);
  ASSERT_LT(killed_at, kRows);
  int status = 0;
  const std::string out = run("sweep " + spec_ + " --db " + db_ + " -j 2", &status);
  ASSERT_EQ(status, 0) << out;
  expect_complete_and_clean();
}

TEST_F(SweepProcess, TwoWorkersStoreWhatOneProcessStores) {
  int status = 0;
  std::string out = run("sweep " + spec_ + " --db " + db_, &status);
  ASSERT_EQ(status, 0) << out;
  const std::string db2 = (dir_ / "r2.db").string();
  out = run("sweep " + spec_ + " --db " + db2 + " -j 2", &status);
  ASSERT_EQ(status, 0) << out;
  const std::string q =
      "SELECT point_id, network, cycles, energy_uj, params FROM results ORDER BY point_id, network";
  const std::string one = text_query(db_, q), two = text_query(db2, q);
  EXPECT_EQ(one, two);
  EXPECT_EQ(std::count(one.begin(), one.end(), '\n'), kRows);
  // The clock changes the cycles of the same mapping little but the latency a lot: 100 MHz
  // point 0 is 5.95x slower than 595 MHz point 99 in ms, to within the DRAM's share.
  EXPECT_GT(query(db_,
                  "SELECT latency_ms * 1000 FROM results WHERE point_id = 0 AND network = "
                  "'resnet20-hybrid'"),
            4 * query(db_,
                      "SELECT latency_ms * 1000 FROM results WHERE point_id = 99 AND network = "
                      "'resnet20-hybrid'"));
}

}  // namespace
