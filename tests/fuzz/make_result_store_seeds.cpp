// Writes the seed databases of fuzz_result_store (tests/fuzz/result_store/) with the results
// store's own code, so the seeds are what savp sweep writes: a sweep with an ok row and a failed
// row, a sweep without results, and a SQLite file of another program. Each is compacted
// (rollback journal, 512-byte pages, VACUUM) so the fuzzer mutates a few KB, not 20 pages.
//   build-fuzz/tests/fuzz/make_result_store_seeds tests/fuzz/result_store
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "explore/result_store.hpp"

namespace fs = std::filesystem;
using namespace savp::explore;

namespace {

void sql(const std::string& path, const std::string& text) {
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK ||
      sqlite3_exec(db, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), sqlite3_errmsg(db));
    std::exit(1);
  }
  sqlite3_close(db);
}

void compact(const std::string& path) {
  sql(path, "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const fs::path out = argv[1];
  fs::create_directories(out);
  const SweepInfo info{"5eed5eed5eed5eed", "seed", "configs/sweeps/seed.yaml",
                       "name: seed\nparameters: []\n", 2, {"fmnist-hybrid", "resnet20-hybrid"}};
  {
    const std::string p = (out / "sweep.db").string();
    fs::remove(p);
    {
      ResultStore st = ResultStore::open_for_sweep(p, info);
      ResultRow ok;
      ok.point_id = 0;
      ok.network = "fmnist-hybrid";
      ok.params_json = R"({"clock_mhz": 500})";
      ok.config_json = R"({"name": "default", "clock_mhz": 500})";
      ok.report_json = R"({"cycles": 22706, "latency_us": 45.4})";
      ok.values = {{"cycles", 22706}, {"latency_ms", 0.0454}, {"energy_uj", 3.25},
                   {"area_mm2", 4.5},  {"pes", 768},          {"clock_mhz", 500}};
      ResultRow bad;
      bad.point_id = 1;
      bad.network = "resnet20-hybrid";
      bad.ok = false;
      bad.error = "deadlock: no engine can make progress before HALT";
      bad.params_json = R"({"clock_mhz": 600})";
      bad.config_json = "{}";
      st.write_point({ok, bad});
    }
    compact(p);
  }
  {
    const std::string p = (out / "empty-sweep.db").string();
    fs::remove(p);
    ResultStore::open_for_sweep(p, info);
    compact(p);
  }
  {
    const std::string p = (out / "foreign.db").string();
    fs::remove(p);
    sql(p, "CREATE TABLE sweep (key INTEGER, note TEXT); INSERT INTO sweep VALUES (1, 'x');"
           "CREATE TABLE results (a, b);");
    compact(p);
  }
  for (const char* suffix : {"-wal", "-shm"})
    for (const char* n : {"sweep.db", "empty-sweep.db", "foreign.db"})
      fs::remove(out / (std::string(n) + suffix));
  return 0;
}
