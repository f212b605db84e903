// libFuzzer target: results databases (explore/result_store.cpp), the files `savp sweep --db`
// resumes and `savp pareto` reads. The input is written to a scratch file (a database is a
// file: SQLite reads it through the file system) and opened both ways: read-only, as savp
// pareto does, and for a sweep, as a resumed savp sweep does, which then writes one point. A
// corrupt, truncated or foreign file must give a savp::Error, never a crash; a file that opens
// must answer every query the sweep and pareto commands make.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/errors.hpp"
#include "explore/result_store.hpp"
#include "tests/fuzz/fuzz_util.hpp"

namespace {

using namespace savp::explore;
namespace fs = std::filesystem;

const std::string& scratch() {
  static const std::string p =
      (fs::temp_directory_path() / ("savp_fuzz_result_store_" + std::to_string(getpid()) + ".db"))
          .string();
  return p;
}

void write_input(const uint8_t* data, size_t size) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((scratch() + suffix).c_str());
  std::ofstream out(scratch(), std::ios::binary);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) savp::fuzz::fail("cannot write the scratch database", scratch());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  write_input(data, size);
  SweepInfo want{"00000000000000aa", "fuzz", "fuzz.yaml", "text", 2, {"netA"}};
  try {
    ResultStore st = ResultStore::open_readonly(scratch());
    const SweepInfo info = st.info();
    st.row_count();
    st.completed_points(info.networks.size());
    st.ok_rows({"latency_ms", "energy_uj"});
    want.hash = info.hash;  // so the file opens as the same sweep below and is written to
  } catch (const savp::Error&) {
  }
  // The same file again, resumed as a sweep (WAL mode, schema check, one point written).
  write_input(data, size);
  try {
    ResultStore st = ResultStore::open_for_sweep(scratch(), want);
    ResultRow r;
    r.point_id = 1;
    r.network = "netA";
    r.params_json = "{}";
    r.config_json = "{}";
    r.values["latency_ms"] = 1.5;
    r.values["cycles"] = 1000;
    st.completed_points(1);
    st.write_point({r});
    if (st.completed_points(1).count(1) == 0)
      savp::fuzz::fail("a point written without an error is not completed");
  } catch (const savp::Error&) {
  }
  return 0;
}
