// The sweep results store: one SQLite database (DESIGN.md "Scale": the embedded default).
//
//   sweep    one row describing the sweep: schema version, spec hash, spec text, networks
//   results  one row per (point, network), UNIQUE(point_id, network): the point's parameters,
//            every report figure (kFigures), the resolved config and the run report as JSON
//
// A point's rows are written in one transaction, so a sweep killed at any moment (SIGKILL
// included) leaves only whole points; rerunning skips them (completed_points). WAL mode lets
// readers (savp pareto) run beside the writers, and a busy timeout makes concurrent worker
// processes take turns. A database of another sweep (another spec hash), of a newer schema,
// not a database at all, or read-only is refused before anything is written.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

struct sqlite3;

namespace savp::explore {

constexpr int kSchemaVersion = 1;
// How long a writer waits for another process's transaction by default (s). A point's
// transaction takes about a millisecond; 60 s covers any pile-up of N workers.
constexpr double kDefaultLockWaitS = 60;

// A figure column of `results`: its name and whether it holds an integer.
struct Figure {
  const char* name;
  bool integer;
  const char* meaning;
};
const std::vector<Figure>& figures();

// One (point, network) result.
struct ResultRow {
  uint32_t point_id = 0;
  std::string network;
  bool ok = true;
  std::string error;        // why the point failed on this network (mapping, simulation)
  std::string params_json;  // {"chunks[shift0].cols": 16, ...}
  std::string config_json;  // the resolved hardware config
  std::string report_json;  // the run report (platform/report.hpp); "" when failed
  std::map<std::string, double> values;  // figure name -> value (absent: NULL)
};

struct SweepInfo {
  std::string hash, name, spec_path, spec_text;
  uint64_t points = 0;                // sampled points (before constraints)
  std::vector<std::string> networks;  // names, in spec order
};

class ResultStore {
 public:
  // Opens the sweep's database, creating it (and the sweep row) when absent. A database that
  // another process keeps locked (a write transaction, BEGIN EXCLUSIVE) is waited for up to
  // `lock_wait_s` seconds, here and in every write_point, then refused naming the lock.
  static ResultStore open_for_sweep(const std::string& path, const SweepInfo& info,
                                    double lock_wait_s = kDefaultLockWaitS);
  // Opens an existing savp sweep database for reading (savp pareto).
  static ResultStore open_readonly(const std::string& path);
  ResultStore(ResultStore&& o) noexcept;
  ResultStore& operator=(ResultStore&&) = delete;
  ResultStore(const ResultStore&) = delete;
  ~ResultStore();

  // Points with a row for each of `networks` networks.
  std::set<uint32_t> completed_points(size_t networks) const;
  // All of one point's rows in one transaction (ON CONFLICT DO NOTHING: never a duplicate).
  void write_point(const std::vector<ResultRow>& rows);
  uint64_t row_count() const;
  SweepInfo info() const;

  // Rows with status ok: network and the named figures (each must be a figure column).
  struct Sample {
    uint32_t point_id;
    std::string network;
    std::string params_json;
    std::vector<double> values;
  };
  std::vector<Sample> ok_rows(const std::vector<std::string>& columns) const;

  // The stored run report (JSON text) of one row; "" when the row is absent or failed.
  std::string report_of(uint32_t point_id, const std::string& network) const;

  const std::string& path() const { return path_; }

 private:
  ResultStore(std::string path, sqlite3* db, std::unique_ptr<long long> wait_us)
      : path_(std::move(path)), db_(db), wait_us_(std::move(wait_us)) {}
  void exec(const std::string& sql) const;
  [[noreturn]] void fail(const std::string& what) const;
  std::string path_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<long long> wait_us_;  // the busy handler's limit (its address stays put)
};

}  // namespace savp::explore
