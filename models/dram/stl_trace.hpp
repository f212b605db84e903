// DRAM request traces in DRAMSys's `.stl` text format (read by DRAMSys's StlPlayer,
// src/simulator/simulator/player/StlPlayer.cpp), free of SystemC. One request per line:
//
//     <cycle>: [(<bytes>)] read|write 0x<address> [0x<data>]
//
// `<cycle>` counts clock cycles of the player (savp writes DRAM tCK cycles, see
// traces/README.md); a `.stl` file holds absolute cycles that must not decrease, a `.rstl`
// file the cycles since the previous request. `(<bytes>)` is the optional data length
// (default: the caller's, normally one DRAM burst). The address is hexadecimal ("0x"
// optional, as std::stoull(.., 16) reads it). A write may carry its data as 0x + 2 hex
// digits per byte (DRAMSys's storage mode); it is checked and ignored. Blank lines and
// lines starting with '#' are comments. savp writes one directive comment of its own,
// `# savp: end <cycle>`, the end of the recorded run (its idle tail counts refreshes).
//
// The reader streams the file line by line (bounded memory whatever the size) and throws
// TraceError naming the file, the line, the field and what is allowed.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/errors.hpp"

namespace savp::dram {

// A malformed trace line: what() = "file:line:column: field 'f': message (allowed: ...)".
class TraceError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

enum class StlTimestamps : uint8_t { Absolute, Relative };
// ".rstl" (any case) -> Relative, anything else -> Absolute.
StlTimestamps stl_timestamps_for(const std::string& path);

struct StlRequest {
  uint64_t cycle = 0;  // absolute (relative files are summed up)
  bool is_write = false;
  uint64_t address = 0;
  uint32_t bytes = 0;
  uint64_t line = 0;  // 1-based line in the file
};

struct StlReaderOptions {
  StlTimestamps timestamps = StlTimestamps::Absolute;
  uint32_t default_bytes = 64;  // length of a line without "(<bytes>)"
  uint64_t capacity_bytes = 0;  // requests must lie in [0, capacity); 0 = no check
};

class StlReader {
 public:
  // Throws savp::Error when the file cannot be opened.
  StlReader(const std::string& path, const StlReaderOptions& opt);

  // The next request, or false at the end of the file. Throws TraceError on a bad line.
  bool next(StlRequest& r);

  const std::string& path() const { return path_; }
  uint64_t requests() const { return requests_; }
  // The `# savp: end <cycle>` directive, once read (it is the last line savp writes).
  std::optional<uint64_t> end_cycle() const { return end_cycle_; }

  // Parses one line (no newline) as line number `line_no` of `path`; returns false for a
  // comment or blank line. `prev_cycle` is the previous request's absolute cycle (nullopt
  // for the first). Exposed for tests.
  static bool parse_line(const std::string& line, uint64_t line_no, const std::string& path,
                         const StlReaderOptions& opt, std::optional<uint64_t> prev_cycle,
                         StlRequest& out, std::optional<uint64_t>* end_directive = nullptr);

 private:
  std::string path_;
  StlReaderOptions opt_;
  std::ifstream in_;
  std::string line_;
  uint64_t line_no_ = 0, requests_ = 0;
  std::optional<uint64_t> prev_cycle_, end_cycle_;
};

// Writes a `.stl` (absolute) or `.rstl` (relative, by the file name) trace to `path`
// through a temporary file renamed into place by finish(), so an interrupted run never leaves
// a half-written trace under the final name.
class StlWriter {
 public:
  // `header` lines are written as '#' comments first. `default_bytes`: requests of this
  // length are written without "(<bytes>)". Throws savp::Error when the file cannot be made.
  StlWriter(const std::string& path, const std::vector<std::string>& header,
            uint32_t default_bytes);
  ~StlWriter();  // without finish(): removes the temporary file
  StlWriter(const StlWriter&) = delete;
  StlWriter& operator=(const StlWriter&) = delete;

  // Cycles must not decrease (throws savp::Error: a .stl cannot say that).
  void write(uint64_t cycle, bool is_write, uint64_t address, uint32_t bytes);
  // Writes `# savp: end <end_cycle>`, flushes and renames into place.
  void finish(uint64_t end_cycle);
  uint64_t requests() const { return requests_; }

 private:
  std::string path_, tmp_;
  std::ofstream out_;
  StlTimestamps ts_;
  uint32_t default_bytes_;
  uint64_t last_cycle_ = 0, requests_ = 0;
  bool finished_ = false;
};

}  // namespace savp::dram
