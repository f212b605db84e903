// The results store (explore/result_store.hpp) and the Pareto front (explore/pareto.hpp).
#include "explore/result_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/errors.hpp"
#include "explore/pareto.hpp"

namespace {

using namespace savp::explore;
namespace fs = std::filesystem;

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Store : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("savp_store_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "s.db").string();
    info_ = SweepInfo{"00000000000000aa", "t", "t.yaml", "text", 3, {"netA", "netB"}};
  }
  void TearDown() override { fs::remove_all(dir_); }
  static ResultRow row(uint32_t p, const std::string& net, double lat, double en) {
    ResultRow r;
    r.point_id = p;
    r.network = net;
    r.params_json = "{}";
    r.config_json = "{}";
    r.values["latency_ms"] = lat;
    r.values["energy_uj"] = en;
    r.values["cycles"] = 1000 * p;
    return r;
  }
  void sql(const std::string& s) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, s.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  std::string error_opening(const SweepInfo& i) {
    try {
      ResultStore::open_for_sweep(db_, i);
    } catch (const savp::Error& e) {
      return e.what();
    }
    return "";
  }
  fs::path dir_;
  std::string db_;
  SweepInfo info_;
};

TEST_F(Store, WholePointsCountAsCompletedAndNeverDuplicate) {
  {
    ResultStore s = ResultStore::open_for_sweep(db_, info_);
    s.write_point({row(0, "netA", 1, 2), row(0, "netB", 3, 4)});
    s.write_point({row(1, "netA", 1, 2)});  // only one of the two networks
    s.write_point({row(0, "netA", 9, 9)});  // already there: ignored
    EXPECT_EQ(s.completed_points(2), (std::set<uint32_t>{0}));
    EXPECT_EQ(s.row_count(), 3u);
  }
  ResultStore r = ResultStore::open_readonly(db_);
  const auto rows = r.ok_rows({"latency_ms", "cycles"});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].values[0], 1.0);  // the first write of (0, netA) stands
  EXPECT_EQ(r.info().networks, (std::vector<std::string>{"netA", "netB"}));
  EXPECT_EQ(r.info().hash, info_.hash);
}

TEST_F(Store, AnotherSweepIsRefusedAndNothingWritten) {
  { ResultStore::open_for_sweep(db_, info_).write_point({row(0, "netA", 1, 2)}); }
  SweepInfo other = info_;
  other.hash = "00000000000000bb";
  const std::string e = error_opening(other);
  EXPECT_NE(e.find("holds another sweep"), std::string::npos) << e;
  EXPECT_NE(e.find("00000000000000aa"), std::string::npos) << e;
  EXPECT_EQ(ResultStore::open_readonly(db_).row_count(), 1u);
}

TEST_F(Store, NewerSchemaIsRefused) {
  { ResultStore::open_for_sweep(db_, info_); }
  sql("UPDATE sweep SET schema_version = 99");
  const std::string e = error_opening(info_);
  EXPECT_NE(e.find("schema version 99, newer than this savp's 1"), std::string::npos) << e;
}

TEST_F(Store, ReadOnlyDatabaseIsRefusedUnchanged) {
  { ResultStore::open_for_sweep(db_, info_).write_point({row(0, "netA", 1, 2)}); }
  const std::string before = slurp(db_);
  fs::permissions(db_, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const std::string e = error_opening(info_);
  EXPECT_NE(e.find("read-only"), std::string::npos) << e;
  EXPECT_EQ(slurp(db_), before);
  EXPECT_EQ(ResultStore::open_readonly(db_).row_count(), 1u);  // still readable
}

TEST_F(Store, NotADatabase) {
  std::ofstream(db_) << "just some text, certainly not a database, long enough for a header";
  const std::string e = error_opening(info_);
  EXPECT_NE(e.find("not a"), std::string::npos) << e;
  EXPECT_EQ(slurp(db_).substr(0, 9), "just some");
}

TEST_F(Store, UnknownFigureListsTheColumns) {
  { ResultStore::open_for_sweep(db_, info_); }
  try {
    ResultStore::open_readonly(db_).ok_rows({"speed"});
    FAIL();
  } catch (const savp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown figure 'speed'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("energy_uj"), std::string::npos);
  }
}

TEST(Pareto, NonDominatedRowsByHand) {
  // (1,5) (2,2) (3,1) form the front; (2,3) is dominated by (2,2), (4,4) by all three;
  // the duplicate (2,2) is not dominated by its twin (no strictly better figure).
  const std::vector<std::vector<double>> v{{1, 5}, {2, 3}, {2, 2}, {3, 1}, {4, 4}, {2, 2}};
  EXPECT_EQ(pareto_front(v), (std::vector<size_t>{0, 2, 3, 5}));
  // A third figure rescues (4,4) when it is the best there.
  const std::vector<std::vector<double>> w{{1, 5, 9}, {2, 2, 9}, {4, 4, 0}};
  EXPECT_EQ(pareto_front(w), (std::vector<size_t>{0, 1, 2}));
}

TEST_F(Store, ParetoPerNetwork) {
  {
    ResultStore s = ResultStore::open_for_sweep(db_, info_);
    s.write_point({row(0, "netA", 1, 5), row(0, "netB", 10, 10)});
    s.write_point({row(1, "netA", 2, 6), row(1, "netB", 1, 1)});
    s.write_point({row(2, "netA", 3, 1), row(2, "netB", 2, 2)});
  }
  ResultStore r = ResultStore::open_readonly(db_);
  const auto f = pareto_rows(r, {"latency_ms", "energy_uj"});
  ASSERT_EQ(f.size(), 3u);  // netA: points 0 and 2; netB: point 1
  EXPECT_EQ(f[0].network, "netA");
  EXPECT_EQ(f[0].point_id, 0u);
  EXPECT_EQ(f[1].point_id, 2u);
  EXPECT_EQ(f[2].network, "netB");
  EXPECT_EQ(f[2].point_id, 1u);
  EXPECT_EQ(pareto_rows(r, {"latency_ms", "energy_uj"}, "netB").size(), 1u);
  EXPECT_THROW(pareto_rows(r, {"latency_ms", "energy_uj"}, "netC"), savp::Error);
}

}  // namespace
