// Helpers of the tests that run the savp binary on sweep databases: run a command, read the
// database with a connection of the test's own.
#pragma once

#include <sqlite3.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace savp_test {

inline const std::string kSavp = std::string(SAVP_BINARY_DIR) + "/app/savp";
inline const std::string kSrc = SAVP_SOURCE_DIR;

// Runs `savp ARGS` (through the shell; stderr joined to stdout), sets its exit status.
inline std::string run_savp(const std::string& args, int* status, const std::string& prefix = "") {
  FILE* p = popen((prefix + kSavp + " " + args + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while (p && (n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = p ? pclose(p) : -1;
  *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

// One integer from a query (-1 when the database cannot be read yet).
inline long long query(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  long long v = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(h, 5000);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
      v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
  }
  sqlite3_close(h);
  return v;
}

// Every row of a query, columns joined by '|', one line per row.
inline std::string text_query(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  std::string v;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(h, 5000);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr) == SQLITE_OK) {
      while (sqlite3_step(s) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(s); ++i) {
          const unsigned char* t = sqlite3_column_text(s, i);
          v += (t ? reinterpret_cast<const char*>(t) : "NULL") +
               std::string(i + 1 < sqlite3_column_count(s) ? "|" : "\n");
        }
      }
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(h);
  return v;
}

inline std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A sweep spec over `clocks` clock frequencies from 100 MHz in 5 MHz steps, on ResNet-20-hybrid
// and FMNIST-hybrid: 2 x clocks rows.
inline std::string clock_spec(const std::string& name, int clocks) {
  return "name: " + name + "\nbase: " + kSrc +
         "/configs/hw/default.yaml\n"
         "networks: [" +
         kSrc + "/configs/nets/resnet20-hybrid.yaml, " + kSrc +
         "/configs/nets/fmnist-hybrid.yaml]\n"
         "parameters:\n  - {path: clock_mhz, range: {min: 100, max: " +
         std::to_string(100 + 5 * (clocks - 1)) + ", step: 5}}\n";
}

}  // namespace savp_test
