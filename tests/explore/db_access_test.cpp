// savp sweep against a database it may not write: another process holds an exclusive lock
// (before the sweep starts, and in the middle of it), the file is read-only, the folder is
// read-only. Each: a clear message, exit status 1, the database unchanged, nothing stored lost
// (a rerun once the obstacle is gone finishes the sweep).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "sweep_process_util.hpp"

namespace {

namespace fs = std::filesystem;
using namespace savp_test;

// A connection of the test process that holds `BEGIN EXCLUSIVE` until released.
class ExclusiveLock {
 public:
  explicit ExclusiveLock(const std::string& db) {
    EXPECT_EQ(sqlite3_open(db.c_str(), &h_), SQLITE_OK);
    sqlite3_busy_timeout(h_, 10000);
    EXPECT_EQ(sqlite3_exec(h_, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(h_);
  }
  void release() {
    if (!h_) return;
    sqlite3_exec(h_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(h_);
    h_ = nullptr;
  }
  ~ExclusiveLock() { release(); }

 private:
  sqlite3* h_ = nullptr;
};

class DbAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("savp_dbaccess_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "db");
    spec_ = (dir_ / "spec.yaml").string();
    db_ = (dir_ / "db" / "r.db").string();
  }
  void TearDown() override {
    fs::permissions(dir_ / "db", fs::perms::owner_all);
    fs::remove_all(dir_);
  }
  void write_spec(int clocks) { std::ofstream(spec_) << clock_spec("db-access", clocks); }
  std::string rows() {
    return text_query(db_, "SELECT point_id, network, cycles FROM results ORDER BY 1, 2");
  }
  fs::path dir_;
  std::string spec_, db_;
};

TEST_F(DbAccess, LockedBeforeTheSweepStarts) {
  write_spec(4);
  int st = 0;
  std::string out = run_savp("sweep " + spec_ + " --db " + db_ + " -j 1", &st);
  ASSERT_EQ(st, 0) << out;
  // Two of the four points stored (as if the sweep had been killed), then another process
  // locks the database.
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h, "DELETE FROM results WHERE point_id >= 2", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  const std::string before = rows();
  ASSERT_EQ(std::count(before.begin(), before.end(), '\n'), 4);
  ExclusiveLock lock(db_);
  const auto t0 = std::chrono::steady_clock::now();
  out = run_savp("sweep " + spec_ + " --db " + db_ + " --lock-wait 1", &st);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(st, 1) << out;
  EXPECT_NE(out.find("savp: error: database " + db_ + " is locked by another process (waited 1 s"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("rerun the same command"), std::string::npos) << out;
  EXPECT_LT(s, 30) << "it waited far longer than --lock-wait";
  lock.release();
  EXPECT_EQ(rows(), before);  // unchanged
  out = run_savp("sweep " + spec_ + " --db " + db_, &st);
  ASSERT_EQ(st, 0) << out;
  EXPECT_NE(out.find("2 already in the database, 2 run now"), std::string::npos) << out;
  EXPECT_EQ(query(db_, "SELECT count(*) FROM results"), 8);
}

TEST_F(DbAccess, LockedInTheMiddleOfTheSweepKeepsWhatWasStored) {
  write_spec(100);
  pid_t pid = fork();
  if (pid == 0) {
    freopen((dir_ / "out.txt").c_str(), "w", stdout);
    freopen((dir_ / "out.txt").c_str(), "a", stderr);
    execl(kSavp.c_str(), kSavp.c_str(), "sweep", spec_.c_str(), "--db", db_.c_str(), "--lock-wait",
          "1", static_cast<char*>(nullptr));
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (query(db_, "SELECT count(*) FROM results") < 10 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ExclusiveLock lock(db_);
  const long long at_lock = query(db_, "SELECT count(*) FROM results");
  int st = 0;
  waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 1);
  const std::string out = slurp((dir_ / "out.txt").string());
  EXPECT_NE(out.find("is locked by another process"), std::string::npos) << out;
  EXPECT_EQ(query(db_, "SELECT count(*) FROM results"), at_lock);  // nothing written after
  ASSERT_LT(at_lock, 200) << "the sweep finished before the lock";
  EXPECT_EQ(at_lock % 2, 0) << "whole points only";
  lock.release();
  const std::string out2 = run_savp("sweep " + spec_ + " --db " + db_, &st);
  ASSERT_EQ(st, 0) << out2;
  EXPECT_NE(out2.find(std::to_string(at_lock / 2) + " already in the database"), std::string::npos)
      << out2;
  EXPECT_EQ(query(db_, "SELECT count(*) FROM results"), 200);
  EXPECT_EQ(query(db_, "SELECT count(*) FROM (SELECT DISTINCT point_id, network FROM results)"),
            200);
  EXPECT_EQ(text_query(db_, "PRAGMA integrity_check"), "ok\n");
}

TEST_F(DbAccess, ReadOnlyFileIsRefusedUnchanged) {
  write_spec(2);
  int st = 0;
  std::string out = run_savp("sweep " + spec_ + " --db " + db_, &st);
  ASSERT_EQ(st, 0) << out;
  // A checkpoint folds the WAL into the file, so the file alone holds the results.
  {
    sqlite3* h = nullptr;
    sqlite3_open(db_.c_str(), &h);
    sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    sqlite3_close(h);
  }
  const std::string bytes = slurp(db_);
  fs::permissions(db_, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  write_spec(2);
  out = run_savp("sweep " + spec_ + " --db " + db_, &st);
  EXPECT_EQ(st, 1) << out;
  EXPECT_NE(out.find("savp: error: database " + db_ +
                     " is read-only (mode 444): nothing was "
                     "written"),
            std::string::npos)
      << out;
  EXPECT_EQ(slurp(db_), bytes);
  // Still readable: savp pareto works on it.
  out = run_savp("pareto " + db_, &st);
  EXPECT_EQ(st, 0) << out;
  EXPECT_NE(out.find("non-dominated rows"), std::string::npos) << out;
}

TEST_F(DbAccess, ReadOnlyFolderIsRefusedUnchangedAndNothingCreated) {
  write_spec(2);
  int st = 0;
  std::string out = run_savp("sweep " + spec_ + " --db " + db_, &st);
  ASSERT_EQ(st, 0) << out;
  const std::string before = rows();
  fs::permissions(dir_ / "db", fs::perms::owner_read | fs::perms::owner_exec |
                                   fs::perms::group_read | fs::perms::group_exec);
  out = run_savp("sweep " + spec_ + " --db " + db_, &st);
  EXPECT_EQ(st, 1) << out;
  EXPECT_NE(out.find("its folder " + (dir_ / "db").string() + " is read-only (mode 550)"),
            std::string::npos)
      << out;
  EXPECT_EQ(rows(), before);
  // A new database in a read-only folder: refused, no file appears.
  const std::string fresh = (dir_ / "db" / "new.db").string();
  out = run_savp("sweep " + spec_ + " --db " + fresh, &st);
  EXPECT_EQ(st, 1) << out;
  EXPECT_NE(out.find("is read-only"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(fresh));
}

}  // namespace
