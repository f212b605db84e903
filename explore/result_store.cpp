#include "explore/result_store.hpp"

#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/errors.hpp"
#include "common/yaml_util.hpp"

namespace savp::explore {

namespace {

// Waits for another process's write transaction: polls every 200 us up to the store's limit
// (microseconds, at `limit`). (sqlite3_busy_timeout backs off to 100 ms sleeps; a point's
// transaction takes well under a millisecond, so with workers committing tens of points a
// second that backoff idled them.)
constexpr int kPollUs = 200;
int busy_wait(void* limit, int attempt) {
  if (static_cast<long long>(attempt) * kPollUs >= *static_cast<const long long*>(limit)) return 0;
  usleep(kPollUs);
  return 1;
}

// Refuses a path whose permission bits deny every write: root's writes would otherwise succeed,
// and a read-only database (or folder) is the user's way to say "keep these results as they
// are". The folder matters too: SQLite's WAL mode creates <db>-wal and <db>-shm beside it.
void refuse_read_only(const std::string& path, bool exists) {
  namespace fs = std::filesystem;
  struct stat st {};
  if (exists && ::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0)
    throw Error(
        fmt::format("database {} is read-only (mode {:o}): nothing was written; make it "
                    "writable or choose another --db",
                    path, st.st_mode & 07777));
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  if (::stat(dir.c_str(), &st) == 0 && (st.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0)
    throw Error(fmt::format(
        "database {}: its folder {} is read-only (mode {:o}), and SQLite needs to create the "
        "database's journal files there: nothing was written; make the folder writable or "
        "choose another --db",
        path, dir.string(), st.st_mode & 07777));
}

// Owns a prepared statement.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const std::string& sql, const std::string& path) {
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
      throw Error(fmt::format(
          "database {} is locked by another process: nothing more was written, and every point "
          "stored so far is kept; close the other program, then rerun the same command",
          path));
    if (rc != SQLITE_OK)
      throw Error(fmt::format("database {}: {} (in: {})", path, sqlite3_errmsg(db), sql));
  }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
};

std::string column_text(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? reinterpret_cast<const char*>(t) : "";
}

sqlite3* open_db(const std::string& path, bool create, bool readonly, long long* wait_us) {
  namespace fs = std::filesystem;
  const bool exists = fs::exists(path);
  if (!exists && !create) throw Error("database " + path + ": no such file");
  if (!readonly) refuse_read_only(path, exists);
  sqlite3* db = nullptr;
  const int flags =
      readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw Error("database " + path + ": cannot open: " + msg);
  }
  if (!readonly && sqlite3_db_readonly(db, "main") == 1) {
    sqlite3_close(db);
    throw Error("database " + path +
                " is read-only: nothing was written; make it writable or "
                "choose another --db");
  }
  sqlite3_busy_handler(db, busy_wait, wait_us);
  return db;
}

std::string figure_columns_sql() {
  std::string s;
  for (const Figure& f : figures())
    s += fmt::format("  {} {},\n", f.name, f.integer ? "INTEGER" : "REAL");
  return s;
}

}  // namespace

const std::vector<Figure>& figures() {
  static const std::vector<Figure> f{
      {"cycles", true, "simulated cycles of the run"},
      {"latency_ms", false, "simulated latency"},
      {"energy_uj", false, "total energy"},
      {"edp_uj_ms", false, "energy x latency"},
      {"area_mm2", false, "platform area (platform/energy_model.hpp)"},
      {"predicted_cycles", true, "the cost model's prediction, summed over the layers"},
      {"dram_read_bytes", true, "bytes read from DRAM"},
      {"dram_write_bytes", true, "bytes written to DRAM"},
      {"dram_bytes", true, "read + write bytes"},
      {"dram_bandwidth_gbps", false, "DRAM bytes over the run's latency"},
      {"dram_row_hits", true, "row-buffer hits"},
      {"dram_row_misses", true, "row-buffer misses"},
      {"dram_row_conflicts", true, "row-buffer conflicts"},
      {"utilization", false, "mean busy share of the chunks"},
      {"pe_utilization", false, "PE ops / (cycles x PEs), over all chunks"},
      {"pes", true, "PEs of all chunks"},
      {"sram_bytes", true, "all buffers' capacity"},
      {"clock_mhz", false, "core clock"},
      {"energy_compute_uj", false, "PE energy"},
      {"energy_sram_uj", false, "buffer access energy"},
      {"energy_dram_uj", false, "DRAM energy"},
      {"energy_leakage_uj", false, "leakage"},
      {"instructions", true, "firmware instructions"},
      {"wall_s", false, "wall-clock seconds to map and simulate"},
  };
  return f;
}

ResultStore::ResultStore(ResultStore&& o) noexcept
    : path_(std::move(o.path_)), db_(o.db_), wait_us_(std::move(o.wait_us_)) {
  o.db_ = nullptr;
}

void ResultStore::fail(const std::string& what) const {
  const int code = sqlite3_errcode(db_);
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
    throw Error(fmt::format(
        "database {} is locked by another process (waited {:g} s for it): nothing more was "
        "written, and every point stored so far is kept; close the other program (or wait for "
        "it), then rerun the same command to finish, or raise --lock-wait",
        path_, static_cast<double>(*wait_us_) / 1e6));
  if (code == SQLITE_NOTADB)
    throw Error("database " + path_ + " is not a SQLite database (" + what + ")");
  if (code == SQLITE_READONLY)
    throw Error("database " + path_ + " is read-only (" + what +
                "): nothing was written; make it writable or choose another --db");
  throw Error("database " + path_ + ": " + what);
}

ResultStore::~ResultStore() {
  if (db_) sqlite3_close(db_);
}

void ResultStore::exec(const std::string& sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    fail(msg);
  }
}

SweepInfo ResultStore::info() const {
  {
    Stmt t(db_, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='sweep'", path_);
    if (sqlite3_step(t.s) != SQLITE_ROW || sqlite3_column_int(t.s, 0) == 0)
      throw Error("database " + path_ + " is not a savp sweep database (no 'sweep' table)");
  }
  Stmt s(db_,
         "SELECT schema_version, spec_hash, name, spec_path, spec_text, points, networks "
         "FROM sweep WHERE key = 1",
         path_);
  if (sqlite3_step(s.s) != SQLITE_ROW)
    throw Error("database " + path_ + " is not a savp sweep database (the 'sweep' table is empty)");
  const int version = sqlite3_column_int(s.s, 0);
  if (version > kSchemaVersion)
    throw Error(
        fmt::format("database {} has schema version {}, newer than this savp's {}: use a "
                    "newer savp, or another --db",
                    path_, version, kSchemaVersion));
  SweepInfo i;
  i.hash = column_text(s.s, 1);
  i.name = column_text(s.s, 2);
  i.spec_path = column_text(s.s, 3);
  i.spec_text = column_text(s.s, 4);
  i.points = static_cast<uint64_t>(sqlite3_column_int64(s.s, 5));
  for (const auto& n : nlohmann::json::parse(column_text(s.s, 6), nullptr, false))
    if (n.is_string()) i.networks.push_back(n.get<std::string>());
  return i;
}

ResultStore ResultStore::open_for_sweep(const std::string& path, const SweepInfo& want,
                                        double lock_wait_s) {
  if (!(lock_wait_s >= 0) || lock_wait_s > 86400)
    throw Error(fmt::format("--lock-wait {}: allowed 0..86400 seconds", lock_wait_s));
  auto wait_us = std::make_unique<long long>(static_cast<long long>(lock_wait_s * 1e6));
  sqlite3* db = open_db(path, true, false, wait_us.get());
  ResultStore st(path, db, std::move(wait_us));
  std::string mode;
  {
    Stmt s(st.db_, "PRAGMA journal_mode=WAL", path);  // fails here on a file that is no database
    if (sqlite3_step(s.s) == SQLITE_ROW)
      mode = column_text(s.s, 0);
    else if (sqlite3_errcode(st.db_) == SQLITE_NOTADB)
      st.fail(std::string(sqlite3_errmsg(st.db_)) + "; not a savp sweep database?");
    else
      st.fail(sqlite3_errmsg(st.db_));
  }
  st.exec("PRAGMA synchronous=NORMAL");  // WAL + NORMAL: a crash loses no committed point
  st.exec("BEGIN IMMEDIATE");
  try {
    Stmt t(st.db_, "SELECT count(*) FROM sqlite_master", path);
    sqlite3_step(t.s);
    const bool empty = sqlite3_column_int(t.s, 0) == 0;
    if (empty) {
      st.exec(fmt::format(
          "CREATE TABLE sweep (key INTEGER PRIMARY KEY CHECK (key = 1), schema_version INTEGER "
          "NOT NULL, spec_hash TEXT NOT NULL, name TEXT, spec_path TEXT, spec_text TEXT, points "
          "INTEGER, networks TEXT, created TEXT DEFAULT CURRENT_TIMESTAMP);\n"
          "CREATE TABLE results (\n  point_id INTEGER NOT NULL,\n  network TEXT NOT NULL,\n"
          "  status TEXT NOT NULL CHECK (status IN ('ok', 'error')),\n  error TEXT,\n"
          "  params TEXT NOT NULL,\n{}  config TEXT NOT NULL,\n  report TEXT,\n"
          "  UNIQUE (point_id, network)\n);\nPRAGMA user_version = {};",
          figure_columns_sql(), kSchemaVersion));
      Stmt ins(st.db_,
               "INSERT INTO sweep (key, schema_version, spec_hash, name, spec_path, "
               "spec_text, points, networks) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
               path);
      const std::string nets = nlohmann::json(want.networks)
                                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      sqlite3_bind_int(ins.s, 1, kSchemaVersion);
      sqlite3_bind_text(ins.s, 2, want.hash.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins.s, 3, want.name.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins.s, 4, want.spec_path.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins.s, 5, want.spec_text.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(ins.s, 6, static_cast<int64_t>(want.points));
      sqlite3_bind_text(ins.s, 7, nets.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(ins.s) != SQLITE_DONE)
        throw Error("database " + path + ": " + sqlite3_errmsg(st.db_));
    } else {
      const SweepInfo have = st.info();
      if (have.hash != want.hash)
        throw Error(fmt::format(
            "database {} holds another sweep ('{}' from {}, spec hash {}); this sweep ('{}' from "
            "{}, spec, base config and networks hash {}) needs its own --db: nothing was written",
            path, have.name, have.spec_path, have.hash, want.name, want.spec_path, want.hash));
    }
    st.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(st.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return st;
}

ResultStore ResultStore::open_readonly(const std::string& path) {
  auto wait_us = std::make_unique<long long>(static_cast<long long>(kDefaultLockWaitS * 1e6));
  sqlite3* db = open_db(path, false, true, wait_us.get());
  ResultStore st(path, db, std::move(wait_us));
  st.info();  // a savp sweep database of a schema this savp reads
  return st;
}

std::set<uint32_t> ResultStore::completed_points(size_t networks) const {
  Stmt s(db_, "SELECT point_id FROM results GROUP BY point_id HAVING count(*) >= ?", path_);
  sqlite3_bind_int64(s.s, 1, static_cast<int64_t>(networks));
  std::set<uint32_t> done;
  int rc;
  while ((rc = sqlite3_step(s.s)) == SQLITE_ROW)
    done.insert(static_cast<uint32_t>(sqlite3_column_int64(s.s, 0)));
  if (rc != SQLITE_DONE) throw Error("database " + path_ + ": " + sqlite3_errmsg(db_));
  return done;
}

std::string ResultStore::report_of(uint32_t point_id, const std::string& network) const {
  Stmt s(db_, "SELECT report FROM results WHERE point_id = ? AND network = ? AND status = 'ok'",
         path_);
  sqlite3_bind_int64(s.s, 1, point_id);
  sqlite3_bind_text(s.s, 2, network.c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(s.s);
  if (rc == SQLITE_ROW) return column_text(s.s, 0);
  if (rc != SQLITE_DONE) throw Error("database " + path_ + ": " + sqlite3_errmsg(db_));
  return "";
}

uint64_t ResultStore::row_count() const {
  Stmt s(db_, "SELECT count(*) FROM results", path_);
  if (sqlite3_step(s.s) != SQLITE_ROW)
    throw Error("database " + path_ + ": " + sqlite3_errmsg(db_));
  return static_cast<uint64_t>(sqlite3_column_int64(s.s, 0));
}

void ResultStore::write_point(const std::vector<ResultRow>& rows) {
  std::string cols = "point_id, network, status, error, params, config, report",
              qs = "?, ?, ?, ?, ?, ?, ?";
  for (const Figure& f : figures()) {
    cols += std::string(", ") + f.name;
    qs += ", ?";
  }
  Stmt ins(db_, "INSERT INTO results (" + cols + ") VALUES (" + qs + ") ON CONFLICT DO NOTHING",
           path_);
  exec("BEGIN IMMEDIATE");
  try {
    for (const ResultRow& r : rows) {
      sqlite3_reset(ins.s);
      sqlite3_clear_bindings(ins.s);
      sqlite3_bind_int64(ins.s, 1, r.point_id);
      sqlite3_bind_text(ins.s, 2, r.network.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins.s, 3, r.ok ? "ok" : "error", -1, SQLITE_STATIC);
      if (!r.ok) sqlite3_bind_text(ins.s, 4, r.error.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins.s, 5, r.params_json.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(ins.s, 6, r.config_json.c_str(), -1, SQLITE_TRANSIENT);
      if (!r.report_json.empty())
        sqlite3_bind_text(ins.s, 7, r.report_json.c_str(), -1, SQLITE_TRANSIENT);
      int i = 8;
      for (const Figure& f : figures()) {
        auto it = r.values.find(f.name);
        if (it != r.values.end()) {
          if (f.integer)
            sqlite3_bind_int64(ins.s, i, static_cast<int64_t>(it->second));
          else
            sqlite3_bind_double(ins.s, i, it->second);
        }
        ++i;
      }
      if (sqlite3_step(ins.s) != SQLITE_DONE) fail(sqlite3_errmsg(db_));
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<ResultStore::Sample> ResultStore::ok_rows(
    const std::vector<std::string>& columns) const {
  std::vector<std::string> names;
  for (const Figure& f : figures()) names.push_back(f.name);
  std::string sel = "point_id, network, params";
  for (const std::string& c : columns) {
    if (std::find(names.begin(), names.end(), c) == names.end())
      throw Error("unknown figure '" + c + "' (allowed: " + yaml::join(names) + ")");
    sel += ", " + c;
  }
  Stmt s(db_, "SELECT " + sel + " FROM results WHERE status = 'ok' ORDER BY network, point_id",
         path_);
  std::vector<Sample> out;
  int rc;
  while ((rc = sqlite3_step(s.s)) == SQLITE_ROW) {
    Sample smp{static_cast<uint32_t>(sqlite3_column_int64(s.s, 0)),
               column_text(s.s, 1),
               column_text(s.s, 2),
               {}};
    bool null = false;
    for (size_t k = 0; k < columns.size(); ++k) {
      null = null || sqlite3_column_type(s.s, static_cast<int>(3 + k)) == SQLITE_NULL;
      smp.values.push_back(sqlite3_column_double(s.s, static_cast<int>(3 + k)));
    }
    if (!null) out.push_back(std::move(smp));
  }
  if (rc != SQLITE_DONE) throw Error("database " + path_ + ": " + sqlite3_errmsg(db_));
  return out;
}

}  // namespace savp::explore
